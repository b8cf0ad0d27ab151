"""KAN demo: the shipped fit of exp(sin(πx) + y²), live training on a menu of formulas, the learned curves."""

from __future__ import annotations

import json
import math

import pytest
import torch
from apptest_utils import open_page, texts

from zoo.demos import BadInput, get
from zoo.demos.kan import GRID, run
from zoo.train.kan import FORMULAS, fit, held_out_points, rmse
from zoo.weights import WEIGHTS_DIR, load


def test_shipped_weights_reach_the_rmse_of_their_manifest():
    manifest = json.loads((WEIGHTS_DIR / "kan_formula.safetensors.json").read_text())
    assert manifest["model"] == "kan" and manifest["recipe"] == "kan_formula"
    model = load("kan")
    x, y = held_out_points(**{k: manifest["training"][k] for k in ("seed", "points", "held_out", "formula")})
    measured = rmse(model, x, y)
    assert measured == pytest.approx(manifest["metric"]["held-out RMSE"], abs=1e-4)
    assert measured < 0.02 * manifest["metric"]["held-out target std"]  # the formula was learned, not averaged


def test_shipped_result_shows_fit_and_every_edge():
    r = run()
    assert r.source == "shipped" and r.losses == [] and r.rmse < 0.02
    assert r.truth.shape == r.predicted.shape == (GRID, GRID)
    assert ((r.predicted - r.truth) ** 2).mean() ** 0.5 < 0.03  # on the grid too (corners, up to e², err most)
    assert len(r.curves) == 2 * 5 + 5 * 1  # every φ_{l,j,i} of the [2, 5, 1] KAN
    assert {(c.source, c.target) for c in r.curves if c.layer == 0} == {(s, f"h{j}") for s in "xy" for j in range(1, 6)}
    assert all(len(c.x) == len(c.phi) and all(map(math.isfinite, c.phi)) for c in r.curves)


def test_live_training_on_a_tiny_budget_lowers_the_loss():
    seen = []
    r = run("sin_cos", train=True, points=100, steps=60, seed=1, progress=lambda step, mse: seen.append(step))
    assert r.source == "trained" and len(r.losses) == 60 and seen[-1] == 60
    assert r.losses[-1] < 0.2 * r.losses[0]
    assert r.rmse < r.target_std  # better than predicting the mean
    assert r.formula_text == FORMULAS["sin_cos"].text


def test_every_formula_is_fitted_well_with_the_default_budget():
    for name in FORMULAS:
        fitted = fit(name, points=300, steps=400)
        assert fitted.held_out_rmse < 0.05 * fitted.target_std, name


def test_training_is_seeded():
    a = run("product", train=True, points=50, steps=20, seed=3)
    b = run("product", train=True, points=50, steps=20, seed=3)
    assert a.losses == b.losses
    assert torch.equal(torch.as_tensor(a.predicted), torch.as_tensor(b.predicted))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"formula": "__import__('os').system('ls')"}, "Unknown formula"),
        ({"formula": 3}, "Unknown formula"),
        ({"formula": "product"}, "Shipped weights exist only for"),
        ({"formula": "product", "train": True, "steps": 0}, "Steps must be"),
        ({"formula": "product", "train": True, "steps": 10**9}, "Steps must be"),
        ({"formula": "product", "train": True, "points": 2.5}, "Training points must be"),
        ({"formula": "product", "train": True, "seed": -1}, "Seed out of range"),
    ],
)
def test_bad_requests_are_explained(kwargs, message):
    with pytest.raises(BadInput, match=message):
        run(**kwargs)


def test_demo_is_registered():
    demo = get("kan")
    assert demo.models == ("kan",) and demo.run is run and not demo.gradio
    assert demo.text("title", "zh") != demo.title


def test_try_it_tab_shows_the_shipped_fit_then_trains():
    at = open_page("pages/model.py", model="kan", tab="try")
    assert not at.exception, at.exception
    metric = next(m for m in at.metric if m.label == "Held-out RMSE")
    assert float(metric.value) < 0.02
    assert len(at.get("vega_lite_chart")) == 4  # surfaces, error, and the two layers' curves
    at.selectbox(key="kan_formula").set_value("squares").run()
    assert "Pick a formula and press “Train a fresh KAN”" in texts(at)  # no shipped fit of x² + y²
    assert not at.get("vega_lite_chart")
    at.number_input(key="kan_steps").set_value(200).run()
    at.button(key="kan_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "Freshly trained" in " ".join(m.value for m in at.markdown)
    assert len(at.get("vega_lite_chart")) == 5  # + the training loss
    at.selectbox(key="kan_formula").set_value("product").run()  # the fit shown is of another formula now
    assert any("to fit x · y" in i.value for i in at.info)
