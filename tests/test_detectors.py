"""The torchvision-family detectors (Faster/Mask R-CNN, RetinaNet, SSD300, SSDLite): output structure in
eval mode, losses and gradients in train mode, and the post-processing on crafted head outputs.
Small images keep this quick: R-CNN and RetinaNet are built with min_size = max_size = 128."""

from __future__ import annotations

import math

import pytest
import torch

import zoo
from zoo.vision._fpn import FrozenBatchNorm2d

SMALL = dict(min_size=128, max_size=128)
# Fewer proposals and masks than the defaults: the same code paths at a fraction of the cost.
RCNN = dict(SMALL, rpn_pre_nms_top_n_train=500, rpn_post_nms_top_n_train=200, rpn_post_nms_top_n_test=100,
            box_batch_size_per_image=128, box_detections_per_img=10)
BUILD = {
    "fasterrcnn_resnet50_fpn": RCNN,
    "maskrcnn_resnet50_fpn": RCNN,
    "retinanet_resnet50_fpn": SMALL,
    "ssd300_vgg16": {},
    "ssdlite320_mobilenet_v3_large": {},
}
_models: dict[str, torch.nn.Module] = {}


def model(key: str) -> torch.nn.Module:
    """One model per key for the whole module (building a ResNet-50 detector takes a second)."""
    if key not in _models:
        torch.manual_seed(0)
        _models[key] = zoo.create_model(key, **BUILD[key])
    return _models[key]


def targets(h: int = 96, w: int = 128) -> list[dict]:
    boxes = torch.tensor([[10.0, 20.0, 60.0, 90.0], [50.0, 10.0, 120.0, 60.0]])
    masks = torch.zeros(2, h, w, dtype=torch.uint8)
    masks[0, 20:90, 10:60] = 1
    masks[1, 10:60, 50:120] = 1
    return [{"boxes": boxes, "labels": torch.tensor([3, 17]), "masks": masks}]


@pytest.mark.parametrize("key", list(BUILD))
def test_eval_returns_one_dict_per_image(key):
    m = model(key).eval()
    images = [torch.rand(3, 96, 128), torch.rand(3, 80, 100)]  # any sizes; boxes come back in these pixels
    if key == "ssd300_vgg16":
        images = images[:1]  # the heaviest network here (~60 GFLOPs per image): one is enough
    with torch.no_grad():
        out = m(images)
    assert isinstance(out, list) and len(out) == len(images)
    for det, (h, w) in zip(out, [(96, 128), (80, 100)]):
        expected = {"boxes", "labels", "scores"} | ({"masks"} if key.startswith("mask") else set())
        assert set(det) == expected
        n = len(det["scores"])
        assert det["boxes"].shape == (n, 4) and det["labels"].shape == (n,) and det["labels"].dtype == torch.long
        assert n > 0  # the untrained models' scores pass their thresholds: post-processing ran end to end
        b = det["boxes"]
        assert (b[:, :2] >= 0).all() and (b[:, 2] <= w + 1e-3).all() and (b[:, 3] <= h + 1e-3).all()
        assert (b[:, 2] >= b[:, 0]).all() and (b[:, 3] >= b[:, 1]).all()
        assert (det["scores"][:-1] >= det["scores"][1:]).all()  # best first
        assert ((det["labels"] >= 0) & (det["labels"] < 91)).all()
        if "masks" in det:  # pasted into the original image, probabilities
            assert det["masks"].shape == (n, 1, h, w)
            assert (det["masks"] >= 0).all() and (det["masks"] <= 1).all()


@pytest.mark.parametrize("key,names", [
    ("maskrcnn_resnet50_fpn", {"loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"}),
    ("retinanet_resnet50_fpn", {"classification", "bbox_regression"}),
    ("ssdlite320_mobilenet_v3_large", {"classification", "bbox_regression"}),
])
def test_train_mode_losses_reach_the_backbone(key, names):
    m = model(key).train()
    m.zero_grad()
    torch.manual_seed(1)
    images = torch.rand(2, 3, 96, 128)
    losses = m(images, targets() * 2)
    assert set(losses) == names
    assert all(torch.isfinite(v) and v.ndim == 0 for v in losses.values()), losses
    assert all(v > 0 for k, v in losses.items()), losses
    sum(losses.values()).backward()
    # The deepest trainable backbone layers and the earliest one all receive gradients.
    if key == "ssdlite320_mobilenet_v3_large":
        first = m.backbone.stages[0][0][0].weight  # the stem conv
    else:
        first = m.backbone.body.layer2[0].conv1.weight  # conv3_x: the first stage torchvision trains
    for p in (first, next(iter(m.backbone.parameters()))):
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0
    m.eval()


def test_two_stage_train_needs_targets_and_single_stage_returns_head_outputs():
    with pytest.raises(ValueError, match="targets"):
        model("fasterrcnn_resnet50_fpn").train()(torch.rand(1, 3, 64, 64))
    model("fasterrcnn_resnet50_fpn").eval()
    m = model("ssdlite320_mobilenet_v3_large").train()
    out = m(torch.rand(2, 3, 320, 320))
    assert out["cls_logits"].shape == (2, 3234, 91) and out["bbox_regression"].shape == (2, 3234, 4)
    m.eval()


def test_frozen_batchnorm_is_buffers_only():
    m = model("fasterrcnn_resnet50_fpn")
    frozen = [mod for mod in m.modules() if isinstance(mod, FrozenBatchNorm2d)]
    assert len(frozen) == 53  # every BatchNorm of ResNet-50
    assert all(not list(f.parameters()) for f in frozen)
    assert not any(isinstance(mod, torch.nn.BatchNorm2d) for mod in m.modules())
    # torchvision's COCO recipe: the stem and conv2_x stay frozen
    assert not any(p.requires_grad for p in m.backbone.body.layer1.parameters())
    assert all(p.requires_grad for p in m.backbone.body.layer2.parameters())


# --------------------------------------------------------------------------- post-processing on crafted outputs


def test_retinanet_postprocess_decodes_the_scoring_anchor():
    m = model("retinanet_resnet50_fpn")
    anchors = torch.tensor([[0.0, 0, 10, 10], [1.0, 0, 11, 10], [50.0, 50, 70, 80], [0.0, 0, 5, 5]])
    logits = torch.full((1, 4, 91), -10.0)
    logits[0, 0, 7] = 3.0  # anchor 0, class 7
    logits[0, 1, 7] = 2.0  # anchor 1 overlaps anchor 0 (IoU 0.82), same class: suppressed
    logits[0, 2, 9] = 1.0  # anchor 2, class 9
    deltas = torch.zeros(1, 4, 4)
    deltas[0, 2] = torch.tensor([0.5, 0.0, math.log(2), 0.0])  # shift right half a width, double the width
    det = m.postprocess(logits, deltas, anchors, [4], [(100, 100)])[0]
    keep = det["scores"] > 0.1
    assert det["labels"][keep].tolist() == [7, 9]
    torch.testing.assert_close(det["scores"][keep], torch.sigmoid(torch.tensor([3.0, 1.0])))
    torch.testing.assert_close(det["boxes"][keep], torch.tensor([[0.0, 0, 10, 10], [50.0, 50, 90, 80]]))


def test_ssd_postprocess_nms_per_class():
    m = model("ssdlite320_mobilenet_v3_large")
    anchors = torch.tensor([[0.0, 0, 10, 10], [1.0, 0, 11, 10], [0.0, 0, 10, 10]])
    logits = torch.full((1, 3, 91), -20.0)
    logits[0, :, 0] = 0.0
    logits[0, 0, 5], logits[0, 1, 5], logits[0, 2, 6] = 5.0, 4.0, 3.0  # 0 and 1 overlap in class 5; 2 is class 6
    det = m.postprocess(logits, torch.zeros(1, 3, 4), anchors, [(320, 320)])[0]
    assert det["labels"].tolist() == [5, 6]
    torch.testing.assert_close(det["boxes"], anchors[[0, 2]])


def test_rcnn_box_postprocess_class_specific_boxes():
    heads = model("fasterrcnn_resnet50_fpn").roi_heads
    proposals = [torch.tensor([[10.0, 10, 30, 30], [60.0, 60, 100, 90]])]
    logits = torch.full((2, 91), -10.0)
    logits[0, 4], logits[1, 0], logits[1, 8] = 10.0, 10.0, 9.0  # roi 0: class 4; roi 1: background > class 8
    deltas = torch.zeros(2, 91 * 4)
    deltas[0, 16:20] = torch.tensor([10.0, 0.0, 0.0, 0.0])  # class 4's deltas: roi 0 one width right (dx weight 10)
    det = heads.postprocess(logits, deltas, proposals, [(128, 128)])[0]
    assert det["labels"][:2].tolist() == [4, 8]
    torch.testing.assert_close(det["boxes"][0], torch.tensor([30.0, 10, 50, 30]))
    assert det["scores"][1] < 0.5  # class 8 of roi 1 loses to background but passes the 0.05 threshold
