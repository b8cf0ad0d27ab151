"""Detection on generated digit scenes (zoo.learn.tasks.detection): each objective really trains, runs repeat,
mAP agrees with the reference implementation, samples draw, cancellation works, plans say what is reduced.

Short runs on small scenes (64 px; YOLO v1 at 192 px, a 3×3 grid) keep the file well under a minute on one
thread; a detector needs minutes before its mAP moves, so the training tests check that the loss falls clearly.
"""

from __future__ import annotations

import dataclasses
import threading

import numpy as np
import pytest
import torch

from zoo import learn
from zoo.learn.datasets import load_dataset
from zoo.learn.plans import build, plans_for
from zoo.learn.tasks import detection

SMALL = {  # key → (data options, model overrides) of a quick run
    "yolov8n": ({"objective": "yolov8", "side": 64, "eval_scenes": 8}, {}),
    "yolov5s": ({"objective": "yolov5", "side": 64, "eval_scenes": 8}, {}),
    "yolov1": ({"objective": "yolov1", "side": 192, "eval_scenes": 8}, {"image_size": 192, "grid": 3}),
    "ssdlite320_mobilenet_v3_large": ({"objective": "own_loss", "side": 64, "eval_scenes": 8, "background": True},
                                      {"size": 64}),
}


def _quick(key: str, steps: int, seed: int = 0, **fit):
    plan = plans_for(key)[0]
    options, over = SMALL[key]
    plan = dataclasses.replace(plan, data_options=options)  # the builders read the side from here
    model = build(plan, seed=seed, **over)
    data = load_dataset(plan.dataset, **options)
    config = learn.FitConfig(**{**plan.defaults, "max_steps": steps, "batch_size": 8, "eval_every": None,
                                "warmup_steps": 5, "seed": seed, **fit})
    return learn.fit(model, data, config), data


FALLS_TO = {"yolov5s": 0.93}  # YOLOv5's loss is mostly objectness BCE over every cell: it falls slowly at first


@pytest.mark.parametrize("key", list(SMALL))
def test_objective_trains(key):
    result, data = _quick(key, 40)
    first, last = np.mean(result.losses[:5]), np.mean(result.losses[-5:])
    assert np.isfinite(result.losses).all()
    assert last < FALLS_TO.get(key, 0.8) * first, (key, first, last)
    assert 0.0 <= result.final_metrics["map50"] <= 1.0


def test_same_seed_same_losses():
    a, _ = _quick("yolov5s", 3, seed=3)
    b, _ = _quick("yolov5s", 3, seed=3)
    c, _ = _quick("yolov5s", 3, seed=4)
    assert a.losses == b.losses
    assert a.losses != c.losses


def test_scenes_are_fixed_and_held_out_digits_differ():
    from zoo.train.find_digits import digit_sets

    data = load_dataset("digit_scenes", side=64)
    x1, t1 = data.batch(torch.tensor([5, 9]))
    x2, t2 = data.batch(torch.tensor([5, 9]))
    assert torch.equal(x1, x2) and all(torch.equal(a["boxes"], b["boxes"]) for a, b in zip(t1, t2))
    assert x1.shape == (2, 3, 64, 64) and 0 <= float(x1.min()) and float(x1.max()) <= 1
    (train_grids, _), (held_grids, _) = digit_sets()
    assert len(train_grids) > len(held_grids)


def _greedy_map(detections, targets, num_classes: int, iou_threshold: float = 0.5) -> float:
    """mAP@0.5 the plain way, one detection at a time in each class's global ranking: the reference the
    per-image matching of `mean_average_precision` must agree with."""
    from zoo.vision._detection import box_iou
    from zoo.vision._yolo import average_precision

    aps = []
    for c in range(num_classes):
        gts = [t["boxes"][t["labels"] == c] for t in targets]
        n_gt = sum(len(g) for g in gts)
        if n_gt == 0:
            continue
        found = sorted(((float(s), i, bx) for i, d in enumerate(detections)
                        for bx, s in zip(d["boxes"][d["labels"] == c], d["scores"][d["labels"] == c])),
                       key=lambda f: -f[0])
        matched = [torch.zeros(len(g), dtype=torch.bool) for g in gts]
        tp = np.zeros(len(found))
        for k, (_, i, bx) in enumerate(found):
            if len(gts[i]):
                iou = box_iou(bx[None].float(), gts[i].float())[0]
                j = int(iou.argmax())
                if iou[j] >= iou_threshold and not matched[i][j]:
                    matched[i][j] = True
                    tp[k] = 1
        ctp = np.cumsum(tp)
        aps.append(average_precision(ctp / n_gt, ctp / np.arange(1, len(found) + 1)) if len(found) else 0.0)
    return float(np.mean(aps)) if aps else 0.0


def test_map50_agrees_with_reference():
    from zoo.vision._yolo import mean_average_precision

    g = torch.Generator().manual_seed(0)
    _, targets = detection._held_out(64, 12)
    found = []
    for t in targets:
        noise = torch.rand(20, 4, generator=g) * 40
        boxes = torch.cat([torch.cat((noise[:, :2], noise[:, :2] + noise[:, 2:] + 4), 1),
                           t["boxes"] + torch.randn(t["boxes"].shape, generator=g)])
        labels = torch.cat([torch.randint(0, 10, (20,), generator=g), t["labels"]])
        found.append({"boxes": boxes, "labels": labels, "scores": torch.rand(len(boxes), generator=g)})
    ours = mean_average_precision(found, list(targets), 10)[0]
    assert ours == pytest.approx(_greedy_map(found, list(targets), 10, 0.5), abs=1e-9)
    assert 0 < ours < 1
    perfect = [{"boxes": t["boxes"], "labels": t["labels"], "scores": torch.ones(len(t["labels"]))} for t in targets]
    assert mean_average_precision(perfect, list(targets), 10)[0] == pytest.approx(1.0)


def test_samples_and_cancel():
    plan = plans_for("yolov5s")[0]
    data = load_dataset("digit_scenes", objective="yolov5", side=64, eval_scenes=4)
    model = build(plan, seed=0)
    picture = data.samples(model)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3
    assert picture.shape[0] == 256 and picture.shape[1] > 4 * 256
    cancel = threading.Event()
    cancel.set()
    assert data.evaluate(model, cancel=cancel) is None
    assert model.detections.conf_threshold == plan.overrides.get("conf_threshold", 0.25)  # restored
    assert model.detections.max_candidates == 1000


def test_plans_and_reductions():
    for key, objective in (("yolov8n", "yolov8"), ("yolov5s", "yolov5"), ("yolov1", "yolov1"),
                           ("ssdlite320_mobilenet_v3_large", "own_loss")):
        (plan,) = plans_for(key)
        assert plan.dataset == "digit_scenes" and plan.data_options["objective"] == objective
        assert plan.overrides["num_classes"] == (11 if objective == "own_loss" else 10)  # + background
        codes = [r.code for r in plan.reductions]
        assert codes[0] == "detection_scenes" and ("width" in codes) == (objective != "own_loss")
        assert 50 <= plan.defaults["max_steps"] <= 2000 and plan.defaults["max_steps"] % 50 == 0
        # the YOLOv5/v8 builder sets Ultralytics' prior biases; YOLOv1 and SSDLite are the registry models
        assert (plan.builder is None) == (objective in ("own_loss", "yolov1"))
        plan.note()  # every placeholder filled
    for key in ("fasterrcnn_resnet50_fpn", "retinanet_resnet50_fpn", "ssd300_vgg16"):
        assert plans_for(key) == []  # full-width ResNet-50 / VGG-16 from scratch: see the module docstring
    (v1,) = plans_for("yolov1")
    model = build(v1, seed=0)
    assert sum(p.numel() for p in model.parameters()) < 10_000_000  # published: 272M
    assert model.features[0].out_channels == 8 and v1.data_options["side"] == 448
    assert plans_for("yolov8n")[0].overrides["width"] == 0.125
    assert detection.plans("resnet18", None, lambda: None) == []
