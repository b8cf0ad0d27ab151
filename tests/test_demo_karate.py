"""Karate club demo: GCN/GAT trained live on Zachary's club from the two leaders' labels only."""

from __future__ import annotations

import re

import pytest
from apptest_utils import open_page

from zoo.demos import BadInput, get
from zoo.demos.karate import LEADERS, classify


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gcn_labelling_only_the_two_leaders_gets_90_percent_of_the_rest(seed):
    r = classify("gcn", LEADERS, epochs=200, seed=seed)
    assert r.labelled == [0, 33] and r.unlabelled == 32
    assert r.accuracy >= 0.90, f"{r.correct}/{r.unlabelled}"
    assert r.correct == sum(p == t for i, (p, t) in enumerate(zip(r.predicted, r.truth)) if i not in LEADERS)
    assert r.predicted[0] == 0 and r.predicted[33] == 1  # the leaders keep their own factions
    assert r.losses[-1] < 0.5 * r.losses[0]  # it did train (dropout keeps the loss noisy)


def test_gat_trains_on_the_same_task():
    r = classify("gat", LEADERS, epochs=200, seed=0)
    assert r.accuracy >= 0.85, f"{r.correct}/{r.unlabelled}"  # seed 0: 31/32; 20 seeds: 29–32 of 32
    assert r.losses[-1] < 0.5 * r.losses[0]


def test_more_labels_are_accepted_and_measured_on_the_rest():
    r = classify("gcn", [0, 1, 2, 32, 33], epochs=100)
    assert r.unlabelled == 29 and len(r.predicted) == 34 and len(r.positions) == 34 and len(r.edges) == 78


@pytest.mark.parametrize(
    "labelled, message",
    [
        ([], "at least one member of each faction"),
        ([0, 1, 2], "Officer faction"),
        ([33], "Mr. Hi faction"),
        ([0, 33, 99], "no member 99"),
        (["x"], "member numbers"),
        (list(range(34)), "Leave some members unlabelled"),
    ],
)
def test_bad_selections_are_explained(labelled, message):
    with pytest.raises(BadInput, match=message):
        classify("gcn", labelled)


def test_bad_model_and_epochs_are_explained():
    with pytest.raises(BadInput, match="gcn or gat"):
        classify("resnet50")
    with pytest.raises(BadInput, match="1 to 1000 epochs"):
        classify("gcn", epochs=0)


def test_demo_is_registered_for_both_models():
    demo = get("karate")
    assert demo.models == ("gcn", "gat") and demo.run is classify and not demo.gradio
    assert demo.text("title", "zh") != demo.title


def test_try_it_tab_trains_and_shows_the_accuracy():
    at = open_page("pages/model.py", model="gcn", tab="try")
    assert not at.exception, at.exception
    at.button(key="karate_train").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    metric = next(m for m in at.metric if m.label == "Accuracy on unlabelled members")
    assert float(metric.value.rstrip("%")) >= 90
    text = " ".join(m.value for m in at.markdown)
    assert re.search(r"GCN predicts \*\*\d+ of 32\*\* unlabelled members", text)
    assert len(at.get("vega_lite_chart")) == 2  # the graph drawing and the loss curve
    # one faction only: a clear message, no traceback
    at.multiselect(key="karate_labelled").set_value([33]).run()
    at.button(key="karate_train").click().run()
    assert not at.exception
    assert any("Mr. Hi faction" in e.value for e in at.error)
