"""Every language has every key, placeholders agree, and cards' translations name real fields."""

import re
from dataclasses import fields

import pytest

import zoo
from ui.i18n import DEFAULT, Translator, languages, strings

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_english_and_chinese_ship():
    assert {"en", "zh"} <= set(languages())


@pytest.mark.parametrize("lang", sorted(languages()))
def test_same_keys_and_placeholders_as_english(lang):
    en, other = strings(DEFAULT), strings(lang)
    assert set(other) == set(en), set(en) ^ set(other)
    for k in en:
        assert set(PLACEHOLDER.findall(other[k])) == set(PLACEHOLDER.findall(en[k])), k


def test_translator_falls_back_and_formats():
    assert Translator("zh")("gallery.showing", shown=2, total=9) == "显示 2 / 9 个模型"
    assert Translator("xx")("nav.gallery") == "Gallery"  # unknown language → English


@pytest.mark.parametrize("key", zoo.list_models())
def test_card_translations_name_real_fields(key):
    card = zoo.card(key)
    known = {f.name for f in fields(card)}
    for lang, tr in card.i18n.items():
        assert lang in languages()
        assert set(tr) <= known, set(tr) - known
        loc = card.localized(lang)
        assert loc.key == key and loc.params == card.params
