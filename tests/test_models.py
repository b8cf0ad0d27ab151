"""Every registered model, checked against its own card. Parametrized over the registry, so a new
model is covered the moment it is registered."""

from __future__ import annotations

import math

import pytest
import torch

import zoo
from zoo import introspect
from zoo.introspect.trace import tensors as _tensors

KEYS = zoo.list_models()
SMALL = 30e6  # backward pass only below this size (keeps the suite fast on 2 cores)


def _first(out) -> torch.Tensor:
    return _tensors(out)[0]


@pytest.mark.parametrize("key", KEYS)
def test_card_complete(key):
    c = zoo.card(key)
    assert c.key == key
    assert c.missing_fields() == []
    assert c.domain in zoo.DOMAINS and c.level in zoo.LEVELS


@pytest.mark.parametrize("key", KEYS)
def test_param_count_matches_published(key):
    """Unique parameters (tied weights once) equal the card's published figure."""
    model, _ = introspect.build(key)  # big models on meta: counts without memory
    measured = introspect.param_counts(model).unique
    fig = zoo.card(key).params
    assert fig.matches(measured), f"{key}: measured {measured:,} vs published {fig.value:,.0f} ({fig.source})"


@pytest.mark.parametrize("key", KEYS)
def test_forward_finite_and_shaped(key):
    model, x = introspect.build(key)  # meta for big models: shape-checked only
    with torch.no_grad():
        out = zoo.call_model(model, x)
    t = _first(out)
    assert t.ndim >= 1 and t.shape[0] >= 1
    expected = zoo.entry(key).card.output
    assert expected, "card.output describes the output"
    if t.device.type != "meta":
        for tensor in _tensors(out):
            if tensor.is_floating_point():
                assert torch.isfinite(tensor).all(), f"{key}: non-finite output"


@pytest.mark.parametrize("key", [k for k in KEYS if zoo.card(k).params.value < SMALL])
def test_backward_gives_gradients(key):
    torch.manual_seed(0)
    model = zoo.create_model(key).train()
    out = zoo.call_model(model, zoo.example_input(key))
    loss = sum(t.float().pow(2).mean() for t in _tensors(out) if t.is_floating_point())
    loss.backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    with_grad = [g for g in grads if g is not None and torch.isfinite(g).all() and g.abs().sum() > 0]
    assert len(with_grad) >= 0.8 * len(grads), f"{key}: only {len(with_grad)}/{len(grads)} tensors got gradients"


@pytest.mark.parametrize("key", KEYS)
def test_introspection_artifact(key, artifacts):
    """The artifact the app serves: counts, rows that add up, a graph, DOT at depth 1, the source."""
    data = introspect.load(key)
    assert data is not None and "error" not in data, data and data.get("error")
    s = introspect.Summary.from_json(data["summary"])
    assert s.rows and s.text.startswith("=")
    assert s.params.unique == introspect.param_counts(introspect.build(key)[0]).unique
    assert s.flops > 0 and s.macs == s.flops // 2
    assert sum(r.flops for r in s.rows if r.depth == 1) == s.flops  # depth-1 rows add up to the total
    children: dict[str, int] = {}
    for r in s.rows:
        children[r.parent] = children.get(r.parent, 0) + r.flops
    for r in s.rows:
        if r.name in children:
            assert children[r.name] == r.flops, f"{key}: children of {r.name} sum to {children[r.name]}, row says {r.flops}"
    ids = {n["id"] for n in data["graph"]["nodes"]}
    assert all(e["src"] in ids and e["dst"] in ids for e in data["graph"]["edges"])
    assert "1" in data["dot"] and data["dot"]["1"]["dot"].startswith(("digraph", "strict digraph"))
    assert data["source"]["path"].startswith(f"zoo/{zoo.card(key).domain}/")
    assert f"def {key}(" in introspect.source(key).text


def test_all_domains_covered():
    assert {zoo.card(k).domain for k in KEYS} == set(zoo.DOMAINS)


def test_overrides_change_config():
    m = zoo.create_model("lenet5", num_classes=3)
    assert m(zoo.example_input("lenet5")).shape == (1, 3)


def test_unknown_key_suggests_close_keys():
    with pytest.raises(KeyError, match="lenet5"):
        zoo.create_model("lenet")
    with pytest.raises(KeyError):
        zoo.card("no-such-model-at-all")


def test_duplicate_registration_is_an_error():
    c = zoo.card("lenet5")
    with pytest.raises(zoo.registry.DuplicateModelError):
        zoo.register_model(c, example_input=lambda: None)(lambda **kw: None)


def test_list_models_filters():
    assert zoo.list_models(domain="vision") == sorted(zoo.list_models(domain="vision"))
    assert all(zoo.card(k).domain == "vision" for k in zoo.list_models(domain="vision"))
    assert "lenet5" in zoo.list_models(query="digit")
    assert zoo.list_models(query="zzzz-no-match") == []
    with pytest.raises(ValueError):
        zoo.list_models(domain="astrology")


def test_big_cards_inspected_on_meta():
    big = [k for k in KEYS if zoo.card(k).big]
    for k in big:
        model, _ = introspect.build(k)
        assert all(p.device.type == "meta" for p in model.parameters()), k


def test_big_graphs_drawn_shallower_to_stay_readable():
    dot, depth = introspect.readable_graph_dot("resnet152", depth=3)
    assert depth < 3 and dot.count("->") <= introspect.MAX_READABLE_EDGES
    dot, depth = introspect.readable_graph_dot("lenet5", depth=3)
    assert depth == 3
