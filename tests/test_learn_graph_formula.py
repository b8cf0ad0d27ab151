"""Task modules zoo.learn.tasks.graphs (GIN on generated graph families) and zoo.learn.tasks.formulas (a KAN
fitting the KAN paper's formula): they really learn, their held-out sets are fixed, and they draw samples."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from zoo import learn
from zoo.learn.tasks import graphs
from zoo.runtime import single_threaded


def test_graph_families_are_balanced_fixed_and_hard_to_count():
    data = learn.load_dataset("graph_families")
    assert len(data) == graphs.TRAIN_GRAPHS and len(data.held_out) == graphs.HELD_OUT_GRAPHS
    labels = [g[2] for g in data.held_out]
    assert np.bincount(labels).tolist() == [50, 50, 50, 50]
    # the families are matched on mean degree: the number of edges per node does not tell them apart
    mean_degree = {f: np.mean([g[1].shape[1] * 2 / g[0].shape[0] for g in data.train if g[2] == f]) for f in range(4)}
    assert all(3.4 < d < 4.2 for d in mean_degree.values()), mean_degree
    x, a, nodes, y = data.batch(torch.tensor([0, 1, 2]))
    assert a.shape == (x.shape[0],) * 2 and torch.equal(a, a.T) and nodes.max() == 2 and y.tolist() == [0, 1, 2]
    # no edge crosses two graphs of a batch (block-diagonal)
    src, dst = a.nonzero().T
    assert torch.equal(nodes[src], nodes[dst])
    again = learn.load_dataset("graph_families")
    assert all(torch.equal(p[1], q[1]) for p, q in zip(data.held_out, again.held_out))


def test_gin_learns_the_graph_families():
    plan = learn.plans_for("gin")[0]
    assert plan.dataset == "graph_families" and plan.note() == "11 input features per node, 4 classes"
    data = learn.load_dataset(plan.dataset)
    with single_threaded():
        model = learn.build(plan, 0)
        before = data.evaluate(model)["accuracy"]
        result = learn.fit(model, data, learn.FitConfig(**{**plan.defaults, "epochs": 3}))
    assert before < 0.4 and result.final_metrics["accuracy"] > 0.8, (before, result.final_metrics)


def test_kan_fits_the_formula_and_draws_it():
    plan = learn.plans_for("kan")[0]
    data = learn.load_dataset(plan.dataset)
    assert not learn.dataset_info(plan.dataset).batched and len(data) == 1
    with single_threaded():
        model = learn.build(plan, 0)
        before = data.evaluate(model)["rmse"]
        result = learn.fit(model, data, learn.FitConfig(**{**plan.defaults, "max_steps": 300}))
        picture = data.samples(result.model)
    target_std = float(data.y_val.std())
    assert before > target_std and result.final_metrics["rmse"] < 0.1 * target_std, (before, result.final_metrics)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3


@pytest.mark.parametrize("name", ["graph_families", "formula_points"])
def test_evaluation_stops_when_cancelled(name):
    key = {"graph_families": "gin", "formula_points": "kan"}[name]
    cancel = threading.Event()
    cancel.set()
    assert learn.load_dataset(name).evaluate(learn.build(learn.plans_for(key)[0], 0), cancel=cancel) is None
