"""The learning path and the level rule (zoo.path, zoo.catalog), checked without a UI."""

import pytest

import zoo
from ui.i18n import languages, strings
from zoo import path
from zoo.card import LEVELS
from zoo.catalog import LEVEL_SHARE, PICKS, Filters, families, level_rule_breaks, level_shares, search, variant_label


def test_path_goes_from_basic_to_advanced_and_never_steps_down():
    steps = path.steps()
    assert steps[0] == "lenet5" and zoo.card(steps[-1]).level == "advanced"
    assert zoo.card(steps[0]).level == "basic"
    assert path.steps_down() == []
    assert len(set(steps)) == len(steps)


@pytest.mark.parametrize("lang", sorted(languages()))
def test_every_step_says_why_and_what_changed(lang):
    table = strings(lang)
    for key in path.steps():
        for part in ("why", "changed"):
            assert table.get(f"home.step.{key}.{part}", "").strip(), (key, part)
    for p in PICKS:
        assert table.get(f"home.pick.{p.name}.title") and table.get(f"home.pick.{p.name}.blurb")


def test_next_step_follows_the_ticks():
    steps = path.steps()
    assert path.next_step(set()) == steps[0]
    assert path.next_step({steps[0], steps[2]}) == steps[1]
    assert path.next_step(set(steps)) is None


def test_levels_are_balanced():
    shares = level_shares()
    assert set(shares) == set(LEVELS)
    lo, hi = LEVEL_SHARE
    assert all(lo <= share <= hi for share in shares.values()), shares


def test_variants_published_together_share_a_level():
    """Size is not difficulty: e.g. BERT-base and BERT-large, ResNet-18 … 152, EfficientNet-B0 … B7."""
    assert level_rule_breaks() == []


def test_rule_breaks_are_found():
    """The check can fail: two variants of one family and year at different levels are reported."""
    import dataclasses
    from unittest import mock

    real = zoo.card
    changed = {"resnet18": dataclasses.replace(real("resnet18"), level="advanced")}
    with mock.patch("zoo.catalog.card", lambda k: changed.get(k) or real(k)):
        breaks = level_rule_breaks()
    assert [(fam, year) for fam, year, _ in breaks] == [("ResNet", 2015)]


def test_one_card_per_family_with_variant_chips():
    groups = families(search(Filters(sort="size_asc")))
    assert len(groups) == len({(zoo.card(k).domain, zoo.card(k).family) for k in zoo.list_models()})
    effnet = next(g for g in groups if g.name == "EfficientNet" and g.domain == "vision")
    chips = [variant_label(c, effnet) for c in effnet.variants]
    assert {f"B{i}" for i in range(8)} <= set(chips)
    resnet = next(g for g in groups if g.name == "ResNet")
    assert [variant_label(c, resnet) for c in resnet.variants] == ["18", "34", "50", "101", "152"]
    lenet = next(g for g in groups if g.name == "LeNet")
    assert variant_label(lenet.lead, lenet) == "LeNet-5"  # a family of one keeps its full name


def test_every_model_can_be_picked_by_task():
    picked = {c.key for p in PICKS for c in search(Filters(pick=p.name))}
    assert picked == set(zoo.list_models())


def test_card_text_translations_copy_the_cards():
    """ui/locales/sections/cards.*.toml translates the metric names and datasets, and the config notes a card has
    no Chinese for. Its English copies the card, so an edited card shows here as a difference to translate."""
    en, zh = strings("en"), strings("zh")
    for key in zoo.list_models():
        c = zoo.card(key)
        if c.metric:
            assert en[f"cards.{key}.metric_name"] == c.metric.name, key
            assert en[f"cards.{key}.metric_dataset"] == c.metric.dataset, key
            assert zh[f"cards.{key}.metric_name"] and zh[f"cards.{key}.metric_dataset"]
        if c.config_note and "config_note" not in c.i18n.get("zh", {}):
            assert en[f"cards.{key}.config_note"] == c.config_note, key
            assert zh[f"cards.{key}.config_note"]
