"""zoo.learn.tasks.pairs: the Siamese network (Koch et al. 2015) on pairs of scikit-learn digits. Plans, balanced
deterministic pairs, the shortcut evaluation (each held-out image embedded once) against the model's own pairwise
logit, reproducibility, cancellation, and a short real training that beats chance on held-out pairs."""

from __future__ import annotations

import threading

import torch

from zoo import learn
from zoo.learn.tasks import pairs
from zoo.runtime import single_threaded


def test_plan_says_what_is_reduced():
    (plan,) = learn.plans_for("siamese")
    assert plan.dataset == "digit_pairs" and plan.overrides["image_size"] == pairs.SIDE
    assert [r.code for r in plan.reductions] == ["pairs_digits", "pairs_kernels", "width", "model_width"]
    assert "kernels 5/3/2/2 for the smaller image (published 10/7/4/4)" in plan.note()
    model = learn.build(plan, 0)
    x = torch.rand(2, 1, pairs.SIDE, pairs.SIDE)
    assert model(x, x.flip(0)).shape == (2, 1)


def test_pairs_are_balanced_and_deterministic():
    data = learn.load_dataset("digit_pairs")
    x1, x2, same = data.batch(torch.arange(64))
    assert x1.shape == (64, 1, pairs.SIDE, pairs.SIDE) and float(same.mean()) == 0.5
    again = data.batch(torch.tensor([5, 6]))
    assert torch.equal(again[0], x1[5:7]) and torch.equal(again[1], x2[5:7])
    labels = {tuple(img.flatten().tolist()): int(c) for img, c in zip(data.x_train, data.y_train)}
    for a, b, s in zip(x1[:16], x2[:16], same[:16]):  # "same" pairs show one digit, "different" two
        assert (labels[tuple(a.flatten().tolist())] == labels[tuple(b.flatten().tolist())]) == bool(s)


def test_shortcut_evaluation_matches_the_model():
    plan = learn.plans_for("siamese")[0]
    data = learn.load_dataset("digit_pairs")
    model = learn.build(plan, 3).eval()
    metrics = data.evaluate(model)
    x, _, first, second, same, _, _ = pairs._held_out(pairs.SIDE)
    with torch.no_grad():
        logit = model.logit(x[first], x[second]).squeeze(1)
    assert abs(metrics["verification_accuracy"] - float(((logit > 0).float() == same).float().mean())) < 1e-6
    cancel = threading.Event()
    cancel.set()
    assert data.evaluate(model, cancel=cancel) is None


def test_siamese_learns_same_seed_same_losses():
    plan = learn.plans_for("siamese")[0]
    data = learn.load_dataset("digit_pairs")
    config = learn.FitConfig(**{**plan.defaults, "max_steps": 150, "batch_size": 32, "eval_every": None, "seed": 0})
    with single_threaded():
        model = learn.build(plan, 0)
        before = data.evaluate(model)
        result = learn.fit(model, data, config)
        short = learn.FitConfig(**{**plan.defaults, "max_steps": 3, "batch_size": 32, "seed": 0})
        again = [learn.fit(learn.build(plan, 0), data, short).losses for _ in range(2)]
    after = result.final_metrics
    assert after["verification_accuracy"] > max(0.65, before["verification_accuracy"] + 0.1), (before, after)
    assert after["one_shot_accuracy"] > 0.25 and after["loss"] < before["loss"]
    assert again[0] == again[1] and again[0][0] == result.losses[0]
