"""Object detection on generated digit scenes: YOLOv8, YOLOv5, YOLO (v1) and SSDLite find and name handwritten digits.

No detection set ships offline, so the scenes are those the "Find the digits" demo's YOLOv8 learned from
(`zoo.train.find_digits.make_scene`): 0–6 scikit-learn digits, 12–56 px tall in a 128-px scene, on shaded noisy
backgrounds with stray lines, half of them inverted; a digit's box is the tight box of its ink, its label the
digit (10 classes). Training scene `i` is drawn from seed `i` with the training digits (the 80 % of
`zoo.train.digits`' split), so batches are generated on the fly and a run never sees a scene twice; the held-out
scenes (seeds 10⁶ on) use only the held-out 20 % of the digits, the same for every run and seed.

Metric: mAP@0.5 over the 10 classes (PASCAL VOC all-point AP, `zoo.vision._yolo.mean_average_precision`) on the
first 200 held-out scenes, every detection with confidence ≥ 0.001 kept (the whole precision–recall curve).

Objectives, one per model family:
- `yolov8` — the loss of the shipped `yolov8n_digits_det` weights (`zoo.train.find_digits.detection_loss`):
  the task-aligned assigner (TOOD, Feng et al. 2021), BCE on the class scores, CIoU and Distribution Focal Loss
  on the boxes (gains 0.5 / 7.5 / 1.5). The recipe's EMA of the weights is not kept: the engine trains the
  weights themselves.
- `yolov5` — Ultralytics YOLOv5's `ComputeLoss` (v6.0/v7.0, written here from its source's description): at each
  of the 3 levels a ground-truth box is matched to every anchor whose width and height ratios to it stay within
  4× (`anchor_t`), in its own cell and the 2 nearest neighbouring cells (the centre offset 2σ − 0.5 reaches
  them); box loss 1 − CIoU (Zheng et al. 2020) on the matches; objectness BCE on every cell with target the
  match's CIoU (clamped at 0), levels weighted 4 / 1 / 0.4; class BCE against one-hot targets on the matches.
  Gains 0.05 (box), 1.0 × (side/640)² (objectness) and 0.5 × classes/80 (class), as Ultralytics scales
  hyp.scratch-low for the image side and the number of classes. Ultralytics multiplies the sum by the batch size
  (SGD on a nominal batch of 64); with Adam here it is left as a per-image mean.
- `yolov1` — Redmon et al. 2016, Eq. 3: sum-squared error on the S×S grid. The cell holding an object's centre is
  responsible for it; of its B boxes, the one whose prediction overlaps the object most is the "responsible
  predictor" and regresses x, y (offsets in the cell) and √w, √h (fractions of the image) with λ_coord = 5, and
  its confidence regresses to that IoU; every other predictor's confidence regresses to 0 with λ_noobj = 0.5;
  the cell's class probabilities regress to the one-hot class. Summed over the grid, averaged over the batch.
- `own_loss` — the model's own training loss (`model.train()(images, targets)` → a dict of losses, summed):
  SSDLite's is SSD's Eq. 1 (Liu et al. 2016, §2.2: softmax confidence loss with 3:1 hard negative mining and
  smooth-L1 localisation over the matched default boxes, `zoo.vision.ssd.SSD.loss`); its class 0 is background,
  so the digits are its classes 1–10.

Reduced so that a default run takes about two to four minutes on one CPU thread:
- YOLOv8n at width 0.125 (the shipped weights' configuration), YOLOv5s at width 0.25 (yolov5n's; published 0.5),
  both on 128-px scenes (published 640) with 10 classes (published 80) and the prior biases of
  `Detect.init_biases`;
- YOLO (v1) at 448 px as published (the fully connected head fixes the input: 448 / 64 = 7 cells), but every
  conv of Figure 3 at 1/8 of its channels (64…1024 → 8…128), the first fully connected layer 512 wide (published
  4096), no dropout (a few hundred steps are far from over-fitting), 10 classes: ≈ 4.7M parameters instead of 272M.
  (`YOLOv1Config.width`); the scenes are drawn at 448 px (digits 42–196 px).
- SSDLite320 (MobileNetV3-Large, full width) on 128-px scenes (published 320) with default boxes of 0.1–0.6 of
  the side (published 0.2–0.95, i.e. 26–122 px here, too large for 12-px digits).

Not covered: Faster R-CNN and RetinaNet (ResNet-50-FPN) and SSD300 (VGG-16) have no width setting, so they would
train their full 23–25M-parameter trunks from scratch (the published runs start from ImageNet weights, which are
not available offline): a step of 4 scenes takes 1.5 s (RetinaNet, 128 px) to 11 s (Faster R-CNN with its
published 2,000 proposals and 512 sampled RoIs; SSD300, whose extra layers need the full 300-px input), and with
the frozen-identity BatchNorm of an un-pretrained trunk their losses spiked to 150–2,000 within the first four
steps of a try (AdamW 1e-3).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ...vision._yolo import mean_average_precision
from ..datasets import DatasetInfo, TrainData
from ..plans import TrainPlan, _r

__all__ = ["DATASETS", "REDUCTIONS", "DigitScenes", "plans", "yolov1_loss", "yolov5_loss"]

SIDE = 128  # zoo.train.find_digits.SIDE
TRAIN_SCENES = 100_000  # training scene i is drawn from seed i, far below the held-out seeds
HELD_OUT_SEED = 1_000_000
EVAL_SCENES = 200
SAMPLE_SCENES = 4
CLASSES = tuple(str(d) for d in range(10))
EVAL_CONFIDENCE = 0.001  # keep (almost) every detection: mAP integrates the whole precision–recall curve
SHOW_CONFIDENCE = 0.3  # samples() of models without a confidence threshold of their own
EVAL_CANDIDATES = 300  # a scene holds at most 6 digits: NMS over the 300 best candidates loses nothing, and an
# untrained detector's 1000 candidates per scene would make NMS (O(n²)) the slowest part of a run
OBJECTIVES = ("yolov8", "yolov5", "yolov1", "own_loss")

SCENES_INFO = DatasetInfo(
    "digit_scenes", "object_detection",
    "generated scenes (zoo.train.find_digits): 0–6 scikit-learn digits, 12–56 px in 128 px, on shaded noisy "
    "backgrounds, half inverted, each digit boxed and labelled 0–9; fresh scenes every step from the training "
    "digits, 200 fixed held-out scenes of held-out digits", "map50", True, percent=True)


# ----------------------------------------------------------------------------------------------------- scenes


def _scene(seed: int, held_out: bool, side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scene `seed` as uint8 gray (side, side), boxes (n, 4) px, labels (n,): quantised like a photo, and so that
    the held-out set can be kept in memory at 448 px."""
    from zoo.rng import numpy_generator
    from zoo.train.find_digits import digit_sets, make_scene

    grids, labels = digit_sets()[1 if held_out else 0]
    img, boxes, classes = make_scene(numpy_generator(seed), grids, labels, side)
    return (img * 255).round().astype(np.uint8), boxes, classes


def _stack(scenes) -> tuple[torch.Tensor, list[dict[str, torch.Tensor]]]:
    """Scenes → images (n, 3, side, side) in [0, 1] (the gray copied to RGB, as find_digits' `to_input`) and
    targets [{"boxes", "labels"}]."""
    gray = torch.from_numpy(np.stack([s[0] for s in scenes])).float().div_(255)
    x = gray[:, None].expand(-1, 3, -1, -1).contiguous()
    return x, [{"boxes": torch.from_numpy(b), "labels": torch.from_numpy(c)} for _, b, c in scenes]


@functools.lru_cache(maxsize=4)
def _held_out(side: int, n: int) -> tuple[torch.Tensor, tuple[dict[str, torch.Tensor], ...]]:
    """The first `n` held-out scenes as uint8 (n, side, side) and their targets: built once per process."""
    scenes = [_scene(HELD_OUT_SEED + k, True, side) for k in range(n)]
    gray = torch.from_numpy(np.stack([s[0] for s in scenes]))
    return gray, tuple({"boxes": torch.from_numpy(b), "labels": torch.from_numpy(c)} for _, b, c in scenes)


def _as_input(gray: torch.Tensor) -> torch.Tensor:
    return (gray.float() / 255)[:, None].expand(-1, 3, -1, -1).contiguous()


# ---------------------------------------------------------------------------------------------- YOLOv5 loss

YOLOV5_ANCHOR_T = 4.0  # hyp.scratch-low anchor_t: a match keeps w and h within 4× of the anchor's
YOLOV5_BALANCE = (4.0, 1.0, 0.4)  # objectness weight of P3, P4, P5
YOLOV5_GAINS = {"box": 0.05, "obj": 1.0, "cls": 0.5}  # hyp.scratch-low, before scaling for side and classes
NEIGHBOURS = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], dtype=torch.float32)  # the cell, l, u, r, d


def _xywh_to_xyxy(b: torch.Tensor) -> torch.Tensor:
    return torch.cat((b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2), -1)


def yolov5_loss(model: nn.Module, raw: list[torch.Tensor], targets: list[dict], side: int) -> torch.Tensor:
    """YOLOv5's loss of raw head maps [(B, na, H, W, 5 + nc)] at strides 8/16/32 and targets [{"boxes" px,
    "labels"}] (see the module docstring)."""
    from zoo.train.find_digits import ciou
    from zoo.vision.yolov5 import STRIDES

    head = model.detect
    nc, nl = head.nc, len(raw)
    gains = {"box": YOLOV5_GAINS["box"] * 3 / nl, "obj": YOLOV5_GAINS["obj"] * (side / 640) ** 2 * 3 / nl,
             "cls": YOLOV5_GAINS["cls"] * nc / 80 * 3 / nl}
    image = torch.cat([torch.full((len(t["labels"]),), i) for i, t in enumerate(targets)]).long()
    boxes = torch.cat([t["boxes"] for t in targets]).float()
    labels = torch.cat([t["labels"] for t in targets]).long()
    xywh = torch.cat(((boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]), -1)  # px
    zero = sum(p.sum() for p in raw) * 0
    loss_box, loss_obj, loss_cls = zero, zero, zero
    for level, (p, stride) in enumerate(zip(raw, STRIDES)):
        b, na, h, w, _ = p.shape
        anchors = head.anchors[level] / stride  # (na, 2) grid units
        tobj = torch.zeros(p.shape[:4], dtype=p.dtype)
        g = xywh / stride  # (n, 4) grid units
        ratio = g[:, None, 2:] / anchors[None]  # (n, na, 2)
        match = torch.maximum(ratio, 1 / ratio).amax(-1) < YOLOV5_ANCHOR_T  # (n, na)
        t_idx, a_idx = match.nonzero(as_tuple=True)
        if len(t_idx):  # a level whose anchors fit no box of the batch has objectness negatives only
            gxy = g[t_idx, :2]
            gxi = torch.tensor([w, h], dtype=gxy.dtype) - gxy  # distance to the far edges
            near = torch.stack((torch.ones_like(t_idx, dtype=torch.bool),
                                *((gxy % 1 < 0.5) & (gxy > 1)).T, *((gxi % 1 < 0.5) & (gxi > 1)).T))  # (5, m)
            k, m = near.nonzero(as_tuple=True)  # which offset, which match
            t_idx, a_idx, gxy = t_idx[m], a_idx[m], gxy[m]
            cell = (gxy - NEIGHBOURS[k] * 0.5).long()
            gi, gj = cell[:, 0].clamp(0, w - 1), cell[:, 1].clamp(0, h - 1)
            bi = image[t_idx]
            ps = p[bi, a_idx, gj, gi]  # (m, 5 + nc)
            pxy = ps[:, :2].sigmoid() * 2 - 0.5
            pwh = (ps[:, 2:4].sigmoid() * 2) ** 2 * anchors[a_idx]
            tbox = torch.cat((gxy - torch.stack((gi, gj), 1), g[t_idx, 2:]), 1)
            iou = ciou(_xywh_to_xyxy(torch.cat((pxy, pwh), 1)), _xywh_to_xyxy(tbox))
            loss_box = loss_box + (1 - iou).mean()
            tobj[bi, a_idx, gj, gi] = iou.detach().clamp(0).to(tobj.dtype)
            onehot = F.one_hot(labels[t_idx], nc).to(ps.dtype)
            loss_cls = loss_cls + F.binary_cross_entropy_with_logits(ps[:, 5:], onehot)
        loss_obj = loss_obj + F.binary_cross_entropy_with_logits(p[..., 4], tobj) * YOLOV5_BALANCE[level]
    return gains["box"] * loss_box + gains["obj"] * loss_obj + gains["cls"] * loss_cls


# ---------------------------------------------------------------------------------------------- YOLO v1 loss

LAMBDA_COORD, LAMBDA_NOOBJ = 5.0, 0.5  # Redmon et al. 2016, §2.2
YOLOV1_WIDTH = 0.125  # every conv of Figure 3 at 1/8 of its channels
YOLOV1_HIDDEN = 512


def yolov1_loss(model: nn.Module, out: torch.Tensor, targets: list[dict], side: int) -> torch.Tensor:
    """Eq. 3 of Redmon et al. 2016 for the raw grid out (B, S, S, nb·5 + C) and targets [{"boxes" px, "labels"}]:
    summed over cells and predictors, averaged over images. A cell holds one object: if two centres fall in the
    same cell, the later one counts (the paper's grid cannot express both)."""
    from zoo.vision._detection import box_iou

    n, s = out.shape[0], out.shape[1]
    nb, nc = model.cfg.boxes_per_cell, model.cfg.num_classes
    pred = out[..., : nb * 5].reshape(n, s, s, nb, 5)
    probs = out[..., nb * 5 :]
    has = torch.zeros(n, s, s, dtype=torch.bool)
    t_xy = torch.zeros(n, s, s, 2)
    t_wh = torch.zeros(n, s, s, 2)  # √w, √h, fractions of the image
    t_cls = torch.zeros(n, s, s, dtype=torch.long)
    t_box = torch.zeros(n, s, s, 4)  # px, for the IoU
    for i, t in enumerate(targets):
        for box, label in zip(t["boxes"].float(), t["labels"]):
            centre = (box[:2] + box[2:]) / 2 / side * s
            col, row = (int(v) for v in centre.clamp(0, s - 1e-4))
            has[i, row, col] = True
            t_xy[i, row, col] = centre - torch.tensor([col, row])
            t_wh[i, row, col] = ((box[2:] - box[:2]) / side).sqrt()
            t_cls[i, row, col] = label
            t_box[i, row, col] = box
    with torch.no_grad():  # which predictor is responsible: the one overlapping the object most now
        decoded, _ = model.decode(out.detach(), (side, side))  # (n, S·S·nb, 4) px
        decoded = decoded.view(n, s, s, nb, 4)
        iou = torch.zeros(n, s, s, nb)
        cells = has.nonzero(as_tuple=True)
        if len(cells[0]):
            pairs = decoded[cells]  # (k, nb, 4)
            truth = t_box[cells]  # (k, 4)
            iou[cells] = torch.stack([box_iou(pairs[j], truth[j : j + 1])[:, 0] for j in range(len(truth))])
        best = iou.argmax(-1)  # (n, S, S)
        responsible = F.one_hot(best, nb).bool() & has[..., None]  # (n, S, S, nb)
    r = pred[responsible]  # (k, 5), the responsible predictors in the order of `cells`
    coord = ((r[:, :2] - t_xy[has]) ** 2).sum() + ((r[:, 2:4] - t_wh[has]) ** 2).sum()
    obj = ((r[:, 4] - iou[responsible]) ** 2).sum()
    noobj = (pred[..., 4][~responsible] ** 2).sum()
    cls = ((probs[has] - F.one_hot(t_cls[has], nc).to(probs.dtype)) ** 2).sum()
    return (LAMBDA_COORD * coord + obj + LAMBDA_NOOBJ * noobj + cls) / n


def build_with_priors(plan: TrainPlan, generator: torch.Generator, **overrides: Any) -> nn.Module:
    """YOLOv5/YOLOv8 with the prior biases Ultralytics sets before training (`Detect.init_biases`) for the
    scene side: the class (and objectness) losses start near their expected values, not at log 2 per cell."""
    import zoo

    model = zoo.create_model(plan.key, **{**plan.overrides, **overrides})
    model.detect.init_biases(plan.data_options.get("side", SIDE))
    return model


# ---------------------------------------------------------------------------------------------------- dataset


class DigitScenes(TrainData):
    """Generated digit scenes with boxes; `objective` picks the loss of the model family (module docstring)."""

    info = SCENES_INFO

    def __init__(self, objective: str = "yolov8", side: int = SIDE, eval_scenes: int = EVAL_SCENES,
                 background: bool = False):
        """`objective="own_loss"`: the model computes its loss itself (`model.train()(images, targets)` → a dict
        of losses, summed); `background=True`: its class 0 is background, so the digits are classes 1–10."""
        if objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}")
        self.objective, self.side, self.eval_scenes = objective, int(side), int(eval_scenes)
        self.offset = int(bool(background))
        self.classes = CLASSES

    def __len__(self) -> int:
        return TRAIN_SCENES

    def batch(self, indices, device="cpu"):
        x, targets = _stack([_scene(int(i), False, self.side) for i in indices])
        return x.to(device), targets

    def loss(self, model, batch):
        x, targets = batch
        if self.objective == "own_loss":
            shifted = [{"boxes": t["boxes"], "labels": t["labels"] + self.offset} for t in targets]
            return sum(v.float() for v in model(x, shifted).values())
        raw = model(x)
        if self.objective == "yolov8":
            from zoo.train.find_digits import detection_loss

            return detection_loss(model, [r.float() for r in raw], targets)[0]
        if self.objective == "yolov5":
            return yolov5_loss(model, [r.float() for r in raw], targets, self.side)
        return yolov1_loss(model, raw.float(), targets, self.side)

    @torch.no_grad()
    def detect(self, model: nn.Module, x: torch.Tensor, confidence: float) -> list[dict[str, torch.Tensor]]:
        """The model's detections on images x at this confidence threshold, at most `EVAL_CANDIDATES` of the best
        candidates per image going into NMS (the model's settings are restored afterwards)."""
        model.eval()
        post = getattr(model, "detections", None)
        if post is None:  # torchvision-style detectors: thresholds live in their frozen config (set by the plan)
            found = model(x)
            return [{"boxes": d["boxes"][keep], "labels": d["labels"][keep] - self.offset, "scores": d["scores"][keep]}
                    for d in found for keep in [d["scores"] >= confidence]]
        saved = post.conf_threshold, post.max_candidates
        post.conf_threshold, post.max_candidates = confidence, min(post.max_candidates, EVAL_CANDIDATES)
        try:
            return model(x)
        finally:
            post.conf_threshold, post.max_candidates = saved

    @torch.no_grad()
    def evaluate(self, model, cancel: threading.Event | None = None, batch_size: int = 50):
        model.eval()
        gray, targets = _held_out(self.side, self.eval_scenes)
        found = []
        for i in range(0, len(gray), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            found += [{k: v.float() if k != "labels" else v for k, v in d.items()}
                      for d in self.detect(model, _as_input(gray[i : i + batch_size]), EVAL_CONFIDENCE)]
        return {"map50": mean_average_precision(found, list(targets), len(CLASSES))[0]}

    def samples(self, model: nn.Module) -> np.ndarray:
        """The first held-out scenes side by side, each with the detections above the model's own confidence
        threshold drawn (green box, predicted digit and score)."""
        from PIL import Image, ImageDraw

        gray, _ = _held_out(self.side, max(self.eval_scenes, SAMPLE_SCENES))
        gray = gray[:SAMPLE_SCENES]
        post = getattr(model, "detections", None)
        found = self.detect(model, _as_input(gray), post.conf_threshold if post is not None else SHOW_CONFIDENCE)
        show = 256  # each panel's side in the picture
        scale = show / self.side
        panels = []
        for g, d in zip(gray, found):
            img = Image.fromarray(g.numpy()).convert("RGB").resize((show, show), Image.Resampling.BILINEAR)
            draw = ImageDraw.Draw(img)
            for box, label, score in zip(d["boxes"].tolist(), d["labels"].tolist(), d["scores"].tolist()):
                x1, y1, x2, y2 = (v * scale for v in box)
                draw.rectangle((x1, y1, x2, y2), outline=(40, 220, 60), width=2)
                text = f"{label} {score:.2f}"
                draw.rectangle((x1, max(0, y1 - 12), x1 + 6 * len(text) + 2, max(12, y1)), fill=(40, 220, 60))
                draw.text((x1 + 1, max(0, y1 - 12)), text, fill=(0, 0, 0))
            panels.append(np.asarray(img))
            panels.append(np.full((show, 4, 3), 255, dtype=np.uint8))
        return np.concatenate(panels[:-1], axis=1)


DATASETS: dict[str, tuple[DatasetInfo, Callable[..., TrainData]]] = {"digit_scenes": (SCENES_INFO, DigitScenes)}

REDUCTIONS = {
    "detection_scenes": "generated digit scenes {side}×{side}, 10 classes (published: {published})",
    "detection_no_ema": "no moving average of the weights (the engine trains the weights themselves)",
    "detection_hidden": "first fully connected layer {hidden} wide (published {published})",
    "detection_no_dropout": "no dropout (published {published})",
    "detection_box_scales": "default boxes {low}–{high} of the image side (published {published_low}–{published_high})",
}

PUBLISHED_DATA = {"yolov8n": "COCO, 640×640, 80 classes", "yolov5s": "COCO, 640×640, 80 classes",
                  "yolov1": "PASCAL VOC, 448×448, 20 classes", "ssdlite320_mobilenet_v3_large": "COCO, 320×320, 90 classes"}
SSD_SCALES = (0.1, 0.6)  # default boxes 13–77 px in a 128-px scene, for digits of 12–56 px
DEFAULTS = {
    "yolov8n": {"epochs": 10_000, "max_steps": 600, "batch_size": 16, "optimizer": "adamw", "lr": 2e-3,
                "weight_decay": 5e-4, "schedule": "cosine", "warmup_steps": 50, "clip_norm": 10.0, "eval_every": 100},
    "yolov5s": {"epochs": 10_000, "max_steps": 600, "batch_size": 16, "optimizer": "adamw", "lr": 4e-3,
                "weight_decay": 5e-4, "schedule": "cosine", "warmup_steps": 50, "clip_norm": 10.0, "eval_every": 100},
    "ssdlite320_mobilenet_v3_large": {"epochs": 10_000, "max_steps": 400, "batch_size": 8, "optimizer": "adamw",
                                      "lr": 2e-3, "weight_decay": 4e-5, "schedule": "cosine", "warmup_steps": 50,
                                      "clip_norm": 10.0, "eval_every": 100},
    "yolov1": {"epochs": 10_000, "max_steps": 400, "batch_size": 8, "optimizer": "adam", "lr": 5e-4,
               "schedule": "cosine", "warmup_steps": 50, "clip_norm": 10.0, "eval_every": 100},
}


# tried and left out (see the module docstring): no width setting for their trunks, seconds per step, unstable
NOT_COVERED = {"fasterrcnn_resnet50_fpn": "trunk", "retinanet_resnet50_fpn": "trunk", "ssd300_vgg16": "trunk"}


def plans(key: str, card, config: Callable[[], Any]) -> list[TrainPlan]:
    if key not in PUBLISHED_DATA:
        return []
    cfg = config()
    builder = "zoo.learn.tasks.detection:build_with_priors"
    if key == "yolov8n":
        from zoo.train.find_digits import CONFIG

        side, objective, over = SIDE, "yolov8", dict(CONFIG)
        red = [_r("width", factor=round(CONFIG["width"] / cfg.width, 3)), _r("detection_no_ema")]
    elif key == "yolov5s":
        side, objective, over = SIDE, "yolov5", {"width": 0.25, "num_classes": 10}  # yolov5n's width
        red = [_r("width", factor=round(0.25 / cfg.width, 3))]
    elif key == "ssdlite320_mobilenet_v3_large":
        side, objective, builder = SIDE, "own_loss", None
        over = {"num_classes": 11, "size": SIDE, "min_ratio": SSD_SCALES[0], "max_ratio": SSD_SCALES[1]}
        red = [_r("detection_box_scales", low=SSD_SCALES[0], high=SSD_SCALES[1], published_low=cfg.min_ratio,
                  published_high=cfg.max_ratio)]
        options = {"objective": objective, "side": side, "background": True}
        return [TrainPlan(key, "digit_scenes", options, over,
                          (_r("detection_scenes", side=side, published=PUBLISHED_DATA[key]), *red), dict(DEFAULTS[key]))]
    else:
        side, objective = cfg.image_size, "yolov1"
        over = {"num_classes": 10, "hidden": YOLOV1_HIDDEN, "dropout": 0.0, "width": YOLOV1_WIDTH}
        red = [_r("width", factor=YOLOV1_WIDTH), _r("detection_hidden", hidden=YOLOV1_HIDDEN, published=cfg.hidden),
               _r("detection_no_dropout", published=cfg.dropout)]
        builder = None
    red.insert(0, _r("detection_scenes", side=side, published=PUBLISHED_DATA[key]))
    return [TrainPlan(key, "digit_scenes", {"objective": objective, "side": side}, over, tuple(red),
                      dict(DEFAULTS[key]), builder=builder)]

