"""zoo.learn.tasks.segmentation: U-Net, FCN and DeepLabV3 on generated scenes with masks. Plans, the scenes
(fresh per step, held-out seeds apart), the objective (auxiliary head at weight 0.5), reproducibility, cancellation, samples, and a short real U-Net training that beats the
untrained network on held-out scenes. Small sides and few held-out scenes keep the file to seconds."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from zoo import learn
from zoo.learn.tasks import segmentation as seg
from zoo.runtime import single_threaded

KEYS = ("unet", "fcn_resnet50", "deeplabv3_resnet50")


def _codes(plan) -> list[str]:
    return [r.code for r in plan.reductions]


def test_plans_say_what_is_reduced():
    for key in KEYS:
        (plan,) = learn.plans_for(key)
        assert plan.dataset == "shape_scenes" and plan.overrides["num_classes"] == 2, key
        assert _codes(plan)[0] == "segmentation_scenes" and "width" in _codes(plan), key
        assert plan.defaults["max_steps"] % 50 == 0 and plan.defaults["epochs"] == 10_000
    assert "segmentation_padded" in _codes(learn.plans_for("unet")[0])
    assert learn.plans_for("segnet") == [] and learn.plans_for("maskrcnn_resnet50_fpn") == []  # why: the module docstring
    deeplab = learn.plans_for("deeplabv3_resnet50")[0]
    assert deeplab.overrides["atrous_rates"] == (2, 4, 6)
    assert "ASPP 64 channels, rates 2/4/6" in deeplab.note() and "12/24/36" in deeplab.note()
    assert learn.plans_for("fcn_resnet50")[0].overrides["backbone"].widths == (16, 32, 64, 128)


def test_scenes_are_fresh_and_held_out_apart():
    from zoo.train.segmentation import HELD_OUT_SEED

    data = learn.load_dataset("shape_scenes", side=32, eval_scenes=4)
    x, y = data.batch(torch.tensor([3, 7]))
    assert x.shape == (2, 3, 32, 32) and y.shape == (2, 32, 32) and set(y.unique().tolist()) <= {0, 1}
    again, _ = data.batch(torch.tensor([7]))
    assert torch.equal(again[0], x[1])  # scene i is seed i
    assert len(data) <= HELD_OUT_SEED  # training seeds stay below the held-out ones


def test_aux_head_counts_half():
    data = learn.load_dataset("shape_scenes", side=32)
    plan = learn.plans_for("fcn_resnet50")[0]
    model = learn.build(plan, 0).eval()  # eval: no dropout, so two forward passes agree
    x, y = batch = data.batch(torch.arange(2))
    out = model(x)
    assert seg.AUX_WEIGHT == 0.5
    expected = F.cross_entropy(out["out"], y) + 0.5 * F.cross_entropy(out["aux"], y)
    assert torch.allclose(data.loss(model, batch), expected, atol=1e-6)


def test_same_seed_same_losses_and_cancel():
    plan = learn.plans_for("deeplabv3_resnet50")[0]
    data = learn.load_dataset("shape_scenes", side=32, eval_scenes=4)
    config = learn.FitConfig(max_steps=2, epochs=10_000, batch_size=2, lr=1e-3)
    with single_threaded():
        runs = [learn.fit(learn.build(plan, 0), data, config).losses for _ in range(2)]
        assert runs[0] == runs[1]
        cancel = threading.Event()
        cancel.set()
        assert data.evaluate(learn.build(plan, 0), cancel=cancel) is None


def test_unet_learns_and_draws_samples():
    plan = learn.plans_for("unet")[0]
    data = learn.load_dataset("shape_scenes", side=32, eval_scenes=32)
    with single_threaded():
        model = learn.build(plan, 0)
        before = data.evaluate(model)
        config = learn.FitConfig(**{**plan.defaults, "max_steps": 120, "batch_size": 8, "eval_every": None, "seed": 0})
        result = learn.fit(model, data, config)
        after = result.final_metrics
        picture = data.samples(result.model)
    assert after["loss"] < before["loss"] - 0.05, (before, after)
    assert after["mean_iou"] > before["mean_iou"] + 0.03, (before, after)
    assert np.mean(result.losses[-20:]) < np.mean(result.losses[:20])
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    assert picture.shape[1] == 2 * (3 * 32 + 4) and picture.shape[0] == 2 * (4 * 32 + 3 * 2)


@pytest.mark.parametrize("key", KEYS)
def test_a_step_of_four_trains(key):
    plan = learn.plans_for(key)[0]
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    with single_threaded():
        model = learn.build(plan, 0).train()
        loss = data.loss(model, data.batch(torch.arange(4)))
        loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in model.parameters() if p.requires_grad)
