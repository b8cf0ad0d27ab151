"""zoo.learn datasets and plans: every dataset's shapes, and every covered model takes one training step on its
plan's data at the reduced size (a batch of 4; the test prints the total time)."""

from __future__ import annotations

import inspect
import math
import shutil
import time

import pytest
import torch

import zoo
from zoo import learn
from zoo.learn.plans import REASONS
from zoo.runtime import single_threaded


def test_digits_shapes():
    d = learn.load_dataset("digits")
    assert d.x_train.shape == (1437, 1, 32, 32) and d.x_val.shape == (360, 1, 32, 32)
    assert set(d.y_train.tolist()) == set(range(10)) and 0 <= float(d.x_train.min()) and float(d.x_train.max()) <= 1
    rgb = learn.load_dataset("digits", image_size=64, channels=3)
    assert rgb.x_train.shape == (1437, 3, 64, 64) and torch.equal(rgb.x_train[:, 0], rgb.x_train[:, 2])
    seq = learn.load_dataset("digits", as_sequence=True)
    assert seq.x_train.shape == (1437, 64, 1)
    assert torch.equal(d.y_val, seq.y_val)  # the same fixed split whatever the form


def test_shapes_shapes():
    s = learn.load_dataset("shapes", image_size=32, channels=3)
    assert s.x_train.shape == (1600, 3, 32, 32) and s.x_val.shape == (400, 3, 32, 32)
    assert torch.bincount(s.y_train).tolist() == [400] * 4 and s.classes == ("circle", "square", "triangle", "cross")
    grey = learn.load_dataset("shapes", image_size=28, channels=1)
    assert grey.x_train.shape == (1600, 1, 28, 28)


def test_pydoc_bytes_windows():
    lm = learn.load_dataset("pydoc_bytes", seq_len=32)
    b = lm.batch(torch.tensor([0, 5]))
    assert b.shape == (2, 33) and int(b.max()) < 256
    assert torch.equal(b[1, :32], lm.train[5 * 32 : 6 * 32])  # window i starts at byte i × seq_len
    assert lm.val.shape[1] == 33 and len(lm) == (len(lm.train) - 1) // 32


@pytest.mark.parametrize("name, nodes, features, classes", [("karate", 34, 34, 2), ("communities", 120, 16, 3)])
def test_graph_shapes(name, nodes, features, classes):
    g = learn.load_dataset(name)
    assert g.x.shape == (nodes, features) and g.matrix.shape == (nodes, nodes) and len(g) == 1
    assert int(g.y.max()) + 1 == classes and 0 < int(g.train_mask.sum()) < nodes
    assert not (g.train_mask & g.val_mask).any()
    lap = learn.load_dataset(name, graph_form="laplacian").matrix
    assert torch.allclose(lap, lap.T)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_spoken_digits_shapes():
    s = learn.load_dataset("spoken_digits", max_voices=4)
    assert s.x_train.shape[1:] == (1, 8000) and s.x_train.shape[0] == len(s.y_train) >= 30
    assert set(s.y_train.tolist()) == set(range(10)) and len(s.y_val) >= 10


def test_every_model_is_covered_or_has_a_reason():
    covered, missing = set(learn.covered_models()), learn.not_covered()
    assert covered.isdisjoint(missing) and covered | set(missing) == set(zoo.list_models())
    assert set(missing.values()) <= set(REASONS)
    assert len(covered) >= 100, sorted(covered)
    assert all(missing[k] != "other" for k in missing), missing  # every model left out says why it was
    assert {"lenet5", "resnet50", "gpt2", "gcn", "vgg16_bn", "vit_b_16", "char_lstm", "s4"} <= covered
    assert missing["gpt3"] == "too big"


def test_plans_say_what_is_reduced():
    resnet = learn.plans_for("resnet50")[0]
    assert resnet.note() == "input 32×32 (published 224×224), 10 classes, width ×0.25, 1 input channel(s)"
    assert learn.plans_for("lenet5")[0].note() == "as published"
    assert learn.plans_for("vgg16_bn")[0].batch_norm_field == "batch_norm"
    assert learn.plans_for("resnet18")[0].batch_norm_field is None


def test_batch_norm_switch():
    plan = learn.plans_for("vgg11_bn")[0]
    has_bn = lambda m: any(isinstance(x, torch.nn.BatchNorm2d) for x in m.modules())
    assert has_bn(learn.build(plan, 0)) and not has_bn(learn.build(plan, 0, batch_norm=False))


def _one_step(key: str) -> float:
    plan = learn.plans_for(key)[0]
    factory = learn.all_datasets()[plan.dataset][1]  # spoken data: a few voices, not the whole synthesis
    options = {**plan.data_options, **({"max_voices": 4} if "max_voices" in inspect.signature(factory).parameters else {})}
    data = learn.load_dataset(plan.dataset, **options)
    model = learn.build(plan, 0).train()
    batch = data.batch(torch.arange(min(4, len(data))))
    loss = data.loss(model, batch)
    loss.backward()
    assert math.isfinite(loss.item()), key
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters()), key
    return loss.item()


def test_every_covered_model_takes_a_training_step():
    t0 = time.perf_counter()
    failures = {}
    with single_threaded():
        for key in learn.covered_models():
            try:
                _one_step(key)
            except Exception as e:  # collected, so one run names every failing model
                failures[key] = f"{type(e).__name__}: {e}"
    print(f"\none training step for {len(learn.covered_models())} models: {time.perf_counter() - t0:.1f} s")
    assert not failures, failures


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_dataset_metric_and_reduction_has_ui_text(lang):
    """The Train tab names datasets, sources, metrics and reductions by key: each one, from every task module,
    must have its text in both languages (and a dataset that draws samples, their caption)."""
    from ui.i18n import strings

    from zoo.learn.plans import reduction_texts

    table = strings(lang)
    needed = set()
    for name, (info, _factory) in learn.all_datasets().items():
        needed |= {f"train.data_{name}", f"train.source_{name}", f"train.metric_{info.metric}", f"train.axis_{info.metric}"}
    for code in reduction_texts():
        needed.add(f"train.reduce_{code}")
    for key in learn.covered_models():
        for plan in learn.plans_for(key):
            data = learn.load_dataset(plan.dataset, **plan.data_options) if plan.dataset != "spoken_digits" else None
            if data is not None and type(data).samples is not learn.TrainData.samples:
                needed.add(f"train.samples_{plan.dataset}")
    missing = sorted(k for k in needed if k not in table)
    assert not missing, missing


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_key_is_written_twice_across_the_train_parts(lang):
    """The parts of the `train.` section (`train.<lang>.toml`, `train+<module>.<lang>.toml`) are merged: a key
    two files define would silently take whichever is read last."""
    import tomllib
    from pathlib import Path

    sections = Path(__file__).resolve().parent.parent / "ui" / "locales" / "sections"
    seen: dict[str, str] = {}
    clashes = []
    for f in sorted(sections.glob(f"train*.{lang}.toml")):
        for key in tomllib.loads(f.read_text(encoding="utf-8")):
            if key in seen:
                clashes.append(f"{key}: {seen[key]} and {f.name}")
            seen[key] = f.name
    assert not clashes, clashes
