"""The YOLO family's defining computations on crafted tensors: YOLOv1's grid decoding, YOLOv5's anchor
decoding, YOLOv8's DFL expectation, the shared post-processing, and VOC mAP@0.5 on a hand-computed case.
Small configs (or the meta device for YOLOv1's 272M parameters) keep it fast."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from zoo.vision._yolo import Detections, average_precision, mean_average_precision
from zoo.vision.yolov1 import YOLOv1
from zoo.vision.yolov5 import YOLOv5, YOLOv5Config
from zoo.vision.yolov8 import DFL, YOLOv8, YOLOv8Config

CONVENTION = {"boxes", "labels", "scores"}


@pytest.fixture(scope="module")
def v1():
    with torch.device("meta"):  # Figure 3 as published: 271.7M parameters, shapes only
        return YOLOv1()


@pytest.fixture(scope="module")
def tiny_v5():
    return YOLOv5(YOLOv5Config(width=0.125, num_classes=3)).eval()


@pytest.fixture(scope="module")
def tiny_v8():
    return YOLOv8(YOLOv8Config(width=0.125, num_classes=3)).eval()


# ----------------------------------------------------------------------------- YOLOv1


def test_yolov1_outputs_a_7x7x30_grid(v1):
    v1.train()
    out = v1(torch.empty(2, 3, 448, 448, device="meta"))
    assert out.shape == (2, 7, 7, 30)  # S × S × (B·5 + C) with S = 7, B = 2, C = 20
    v1.eval()
    (dets,) = v1(torch.empty(1, 3, 448, 448, device="meta"))  # meta: every candidate, no threshold
    assert set(dets) == CONVENTION and dets["boxes"].shape == (98, 4) and dets["scores"].shape == (98,)


def test_yolov1_grid_decoding_of_a_crafted_cell(v1):
    out = torch.zeros(1, 7, 7, 30)
    row, col = 3, 2
    out[0, row, col, :5] = torch.tensor([0.5, 0.25, 0.5, 0.5, 0.8])  # box 1: x, y in the cell, √w, √h, confidence
    out[0, row, col, 10 + 7] = 0.9  # Pr(class 7 | object)
    boxes, scores = v1.decode(out)
    assert boxes.shape == (1, 98, 4) and scores.shape == (1, 98, 20)
    i = (row * 7 + col) * 2  # cells row-major, the cell's two boxes together
    # centre ((2 + 0.5) / 7, (3 + 0.25) / 7) of 448 px = (160, 208); w = h = 0.5² · 448 = 112
    torch.testing.assert_close(boxes[0, i], torch.tensor([104.0, 152.0, 216.0, 264.0]))
    assert scores[0, i, 7].item() == pytest.approx(0.72)  # confidence × Pr(class | object), Eq. 1
    assert scores[0].max().item() == pytest.approx(0.72) and int(scores[0].flatten().argmax()) == i * 20 + 7

    (dets,) = Detections(0.2, 0.5, 100)(boxes, scores)
    assert dets["labels"].tolist() == [7] and dets["scores"].tolist() == pytest.approx([0.72])
    torch.testing.assert_close(dets["boxes"], torch.tensor([[104.0, 152.0, 216.0, 264.0]]))


# ----------------------------------------------------------------------------- YOLOv5


def test_yolov5_anchor_decoding_of_a_crafted_cell(tiny_v5):
    raw = [torch.full((1, 3, s, s, 8), -10.0) for s in (8, 4, 2)]  # a 64×64 input: strides 8, 16, 32
    raw[1][0, 2, 1, 2, :4] = 0.0  # level P4/16, anchor 2 = (59, 119) px, cell row 1, col 2: σ(0) = 0.5
    raw[1][0, 2, 1, 2, 4] = 10.0  # objectness
    raw[1][0, 2, 1, 2, 5 + 1] = 10.0  # class 1
    boxes, scores = tiny_v5.detect.decode(raw)
    assert boxes.shape == (1, 3 * (64 + 16 + 4), 4) and scores.shape == (1, 252, 3)
    i = 3 * 64 + 2 * 16 + 1 * 4 + 2  # after all of P3; anchor-major, then row, column
    # centre = (2·0.5 − 0.5 + (col, row)) · 16 = (40, 24); size = (2·0.5)² · anchor = (59, 119)
    torch.testing.assert_close(boxes[0, i], torch.tensor([40 - 29.5, 24 - 59.5, 40 + 29.5, 24 + 59.5]))
    expected = torch.sigmoid(torch.tensor(10.0)) ** 2  # objectness × class score
    torch.testing.assert_close(scores[0, i, 1], expected)
    assert int(scores[0].max(-1).values.argmax()) == i


def test_yolov5_train_mode_returns_raw_maps(tiny_v5):
    tiny_v5.train()
    try:
        raw = tiny_v5(torch.randn(1, 3, 64, 96))
    finally:
        tiny_v5.eval()
    assert [tuple(r.shape) for r in raw] == [(1, 3, 8, 12, 8), (1, 3, 4, 6, 8), (1, 3, 2, 3, 8)]


# ----------------------------------------------------------------------------- YOLOv8


def test_dfl_is_the_expected_bin():
    dfl = DFL(16)
    logits = torch.full((1, 4, 16), -1e4)  # one anchor, four sides
    logits[0, 0, 3], logits[0, 0, 4] = math.log(0.25), math.log(0.75)  # left: 3·0.25 + 4·0.75 = 3.75
    logits[0, 1, 0] = 0.0  # top: all mass on bin 0
    logits[0, 2, :] = 0.0  # right: uniform over 0…15 → 7.5
    logits[0, 3, 15] = 0.0  # bottom: bin 15
    dist = dfl(logits.view(1, 64, 1))
    torch.testing.assert_close(dist.view(4), torch.tensor([3.75, 0.0, 7.5, 15.0]))
    assert not dfl.conv.weight.requires_grad  # the bins' values are fixed, not learned


def test_yolov8_decodes_distances_from_the_cell_centre(tiny_v8):
    r = 16
    raw = [torch.full((1, 4 * r + 3, s, s), -1e4) for s in (8, 4, 2)]
    row, col = 2, 5
    box = raw[0][0, : 4 * r, row, col].view(4, r)
    box[0, 1] = box[1, 2] = box[3, 0] = 0.0  # left 1, top 2, bottom 0 strides
    box[2, 3], box[2, 4] = math.log(0.25), math.log(0.75)  # right 3.75 strides
    raw[0][0, 4 * r + 2, row, col] = 5.0  # class 2
    boxes, scores = tiny_v8.detect.decode(raw)
    i = row * 8 + col
    # anchor = cell centre (5.5, 2.5); box = (anchor − (l, t), anchor + (r, b)) · stride 8
    torch.testing.assert_close(boxes[0, i], torch.tensor([(5.5 - 1) * 8, (2.5 - 2) * 8, (5.5 + 3.75) * 8, 2.5 * 8]))
    torch.testing.assert_close(scores[0, i], torch.sigmoid(torch.tensor([-1e4, -1e4, 5.0])))


def test_yolov8_eval_returns_the_convention_and_train_the_raw_maps(tiny_v8):
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        dets = tiny_v8(x)
    assert isinstance(dets, list) and len(dets) == 2
    for d in dets:
        assert set(d) == CONVENTION
        assert d["boxes"].shape[1:] == (4,) and d["boxes"].dtype == torch.float32
        assert d["labels"].dtype == torch.int64 and len(d["labels"]) == len(d["scores"]) == len(d["boxes"])
        assert (d["scores"] > tiny_v8.cfg.conf_threshold).all() and (d["scores"].diff() <= 0).all()
    tiny_v8.train()
    try:
        raw = tiny_v8(x)
    finally:
        tiny_v8.eval()
    assert [tuple(m.shape) for m in raw] == [(2, 67, 8, 8), (2, 67, 4, 4), (2, 67, 2, 2)]


def test_post_processing_thresholds_and_suppresses_within_a_class():
    boxes = torch.tensor([[[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 30.0]]])
    scores = torch.zeros(1, 5, 2)
    scores[0, :, 0] = torch.tensor([0.9, 0.8, 0.0, 0.7, 0.1])  # box 1 overlaps box 0 (IoU 0.68) → suppressed
    scores[0, 2, 1] = 0.6  # same place as box 0 but another class → kept
    (d,) = Detections(conf_threshold=0.25, iou_threshold=0.5, max_det=10)(boxes, scores)
    assert d["labels"].tolist() == [0, 0, 1] and d["scores"].tolist() == pytest.approx([0.9, 0.7, 0.6])
    torch.testing.assert_close(d["boxes"], boxes[0, [0, 3, 2]])


# ----------------------------------------------------------------------------- mAP@0.5


def test_average_precision_all_point_interpolation():
    # ranked TP, FP, TP of 2 ground truths: precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1
    ap = average_precision(np.array([0.5, 0.5, 1.0]), np.array([1.0, 0.5, 2 / 3]))
    assert ap == pytest.approx(0.5 * 1.0 + 0.5 * 2 / 3)


def test_map50_on_a_hand_computed_case():
    t = lambda boxes, labels: {"boxes": torch.tensor(boxes, dtype=torch.float32), "labels": torch.tensor(labels)}  # noqa: E731
    d = lambda boxes, labels, scores: {**t(boxes, labels), "scores": torch.tensor(scores)}  # noqa: E731
    targets = [t([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 1]), t([[0, 0, 10, 10]], [0])]
    detections = [
        # class 0: a hit (0.9), a duplicate of the same box (0.8: FP), a box elsewhere (0.3: FP);
        # class 1: IoU (5·5)/(100+100−25) = 0.14 with its truth — a miss
        d([[0, 0, 10, 10], [0, 0, 10, 10], [40, 40, 50, 50], [25, 25, 35, 35]], [0, 0, 0, 1], [0.9, 0.8, 0.3, 0.95]),
        d([[1, 0, 11, 10]], [0], [0.7]),  # class 0 hit in image 2 (IoU 9/11 = 0.82)
    ]
    m, aps = mean_average_precision(detections, targets, num_classes=3)
    # class 0 ranked: TP .9, FP .8, TP .7, FP .3 → precision 1, 1/2, 2/3, 1/2 at recall 1/2, 1/2, 1, 1
    assert aps[0] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert aps[1] == 0.0 and math.isnan(aps[2])  # class 2 has no ground truth: not averaged
    assert m == pytest.approx((5 / 6 + 0) / 2)
    perfect = [{**g, "scores": torch.ones(len(g["labels"]))} for g in targets]
    assert mean_average_precision(perfect, targets, num_classes=2)[0] == 1.0
