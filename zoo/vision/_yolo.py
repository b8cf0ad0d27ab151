"""Pieces shared by the Ultralytics-style YOLOs (YOLOv5, YOLOv8) and by every YOLO's evaluation.

- the building blocks of both networks: `Conv` (conv → BatchNorm → SiLU), the residual `Bottleneck`,
  CSP blocks `C3` (YOLOv5) and `C2f` (YOLOv8), and `SPPF` (spatial pyramid pooling, fast);
- the width/depth multipliers that turn one layout into the n/s/m/l/x sizes;
- `Detections`, the post-processing module: confidence threshold + per-class NMS → the common
  detector output, a list (one per image) of {"boxes", "labels", "scores"};
- VOC-style average precision (all-point interpolation) and mAP@0.5.

Files starting with "_" are not scanned by the registry: nothing is registered here.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn

from ._detection import batched_nms_fixed_point, box_iou

# Ultralytics' BatchNorm settings for every YOLOv5/v8 conv (eps 1e-3, momentum 0.03 = 0.97 decay).
BN_EPS, BN_MOMENTUM = 1e-3, 0.03


def make_divisible(x: float, divisor: int = 8) -> int:
    """Round a scaled channel count up to a multiple of 8 (friendly to vector units)."""
    return int(math.ceil(x / divisor) * divisor)


def scaled_width(channels: int, width: float, max_channels: int = 1024) -> int:
    """A layer's channels in a model of width multiplier `width` (e.g. 0.25 for "n", 0.5 for "s")."""
    return make_divisible(min(channels, max_channels) * width)


def scaled_depth(n: int, depth: float) -> int:
    """How many blocks a CSP layer of nominal depth `n` gets at depth multiplier `depth` (≥ 1)."""
    return max(round(n * depth), 1) if n > 1 else n


class Conv(nn.Module):
    """Conv2d (no bias: BN has one) → BatchNorm → SiLU, "same" padding for odd kernels."""

    def __init__(self, c_in: int, c_out: int, k: int = 1, s: int = 1, p: int | None = None, g: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2 if p is None else p, groups=g, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """Two convs with an optional residual add (only when shapes agree). YOLOv5 uses 1×1 then 3×3,
    YOLOv8 3×3 then 3×3 (`kernels`)."""

    def __init__(self, c_in: int, c_out: int, shortcut: bool = True, kernels: tuple[int, int] = (1, 3), e: float = 1.0):
        super().__init__()
        hidden = int(c_out * e)
        self.cv1 = Conv(c_in, hidden, kernels[0])
        self.cv2 = Conv(hidden, c_out, kernels[1])
        self.add = shortcut and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C3(nn.Module):
    """YOLOv5's CSP block with 3 convs (Cross Stage Partial, Wang et al. 2020): half the channels go
    through n bottlenecks, the other half skip them, and a 1×1 conv merges both — gradients reach the
    input by a short path as well as a deep one, at about half the compute of a plain stack."""

    def __init__(self, c_in: int, c_out: int, n: int = 1, shortcut: bool = True, e: float = 0.5):
        super().__init__()
        hidden = int(c_out * e)
        self.cv1 = Conv(c_in, hidden, 1)  # the deep path's entry
        self.cv2 = Conv(c_in, hidden, 1)  # the partial path that skips the bottlenecks
        self.cv3 = Conv(2 * hidden, c_out, 1)  # transition after the concat
        self.m = nn.Sequential(*(Bottleneck(hidden, hidden, shortcut, (1, 3), 1.0) for _ in range(n)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.cv3(torch.cat((self.m(self.cv1(x)), self.cv2(x)), 1))  # (B, c_out, H, W)


class C2f(nn.Module):
    """YOLOv8's CSP block ("C2 with more flow"): one 1×1 conv splits into two halves; bottlenecks are
    chained on the second half and the output of *every* bottleneck is kept, so the final 1×1 conv
    sees (2 + n) slices — richer gradient flow than C3 for about the same cost."""

    def __init__(self, c_in: int, c_out: int, n: int = 1, shortcut: bool = False, e: float = 0.5):
        super().__init__()
        self.c = int(c_out * e)
        self.cv1 = Conv(c_in, 2 * self.c, 1)
        self.cv2 = Conv((2 + n) * self.c, c_out, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, self.c, shortcut, (3, 3), 1.0) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = list(self.cv1(x).chunk(2, 1))  # 2 × (B, c, H, W)
        for m in self.m:
            y.append(m(y[-1]))  # each bottleneck reads the previous slice
        return self.cv2(torch.cat(y, 1))  # (B, c_out, H, W)


class SPPF(nn.Module):
    """Spatial Pyramid Pooling — Fast: three chained 5×5 max-pools see 5×5, 9×9 and 13×13 windows (the
    SPP of He et al. 2014 with kernels 5, 9, 13) at a fraction of the cost; concat → 1×1 conv."""

    def __init__(self, c_in: int, c_out: int, k: int = 5):
        super().__init__()
        hidden = c_in // 2
        self.cv1 = Conv(c_in, hidden, 1)
        self.cv2 = Conv(hidden * 4, c_out, 1)
        self.m = nn.MaxPool2d(k, stride=1, padding=k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


def grid_points(h: int, w: int, stride: float, offset: float, like: torch.Tensor) -> torch.Tensor:
    """(h·w, 2) cell coordinates (x, y) + offset, row-major, in grid units (multiply by stride for px)."""
    ys = torch.arange(h, dtype=like.dtype, device=like.device) + offset
    xs = torch.arange(w, dtype=like.dtype, device=like.device) + offset
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    return torch.stack((gx, gy), -1).view(-1, 2)


def xywh_to_xyxy(b: torch.Tensor) -> torch.Tensor:
    xy, wh = b[..., :2], b[..., 2:4]
    return torch.cat((xy - wh / 2, xy + wh / 2), -1)


class Detections(nn.Module):
    """Candidate boxes and class scores → the common detector output, per image:
    {"boxes": (K, 4) x1 y1 x2 y2 in input pixels, "labels": (K,) int64, "scores": (K,)}, best first.

    Each candidate keeps its best class (score = that class's confidence); candidates under
    `conf_threshold` are dropped, at most `max_candidates` go into class-wise NMS at `iou_threshold`,
    and at most `max_det` survive. A module of its own so that introspection draws it as one box.

    On the `meta` device (the shapes-only build of very large models) there are no values to compare
    with a threshold: every candidate is returned, unsorted and unsuppressed.
    """

    def __init__(self, conf_threshold: float, iou_threshold: float, max_det: int, max_candidates: int = 1000):
        super().__init__()
        self.conf_threshold, self.iou_threshold = conf_threshold, iou_threshold
        self.max_det, self.max_candidates = max_det, max_candidates

    def forward(self, boxes: torch.Tensor, scores: torch.Tensor) -> list[dict[str, torch.Tensor]]:
        # boxes (B, A, 4) xyxy px; scores (B, A, C) in [0, 1]
        best, labels = scores.max(-1)  # (B, A) each
        out = []
        for b in range(boxes.shape[0]):
            if boxes.device.type == "meta":
                out.append({"boxes": boxes[b], "labels": labels[b], "scores": best[b]})
                continue
            keep = (best[b] > self.conf_threshold).nonzero().squeeze(1)
            keep = keep[best[b, keep].argsort(descending=True)[: self.max_candidates]]
            bx, sc, lb = boxes[b, keep], best[b, keep], labels[b, keep]
            kept = batched_nms_fixed_point(bx, sc, lb, self.iou_threshold)[: self.max_det]  # exact greedy NMS, vectorised
            out.append({"boxes": bx[kept], "labels": lb[kept], "scores": sc[kept]})
        return out

    def extra_repr(self) -> str:
        return f"conf_threshold={self.conf_threshold}, iou_threshold={self.iou_threshold}, max_det={self.max_det}"


# ----------------------------------------------------------------------------- evaluation: VOC mAP


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision–recall curve with all-point interpolation (PASCAL VOC 2010+):
    precision is first made monotone (each point takes the best precision at any higher recall),
    then summed over every recall step."""
    r = np.concatenate(([0.0], recall, [1.0]))
    p = np.concatenate(([0.0], precision, [0.0]))
    p = np.maximum.accumulate(p[::-1])[::-1]  # the precision envelope
    steps = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(
    detections: Sequence[dict[str, torch.Tensor]],
    targets: Sequence[dict[str, torch.Tensor]],
    num_classes: int,
    iou_threshold: float = 0.5,
) -> tuple[float, list[float]]:
    """VOC-style mAP@`iou_threshold` over a set of images.

    `detections[i]` = {"boxes", "labels", "scores"} for image i, `targets[i]` = {"boxes", "labels"}.
    Per class, detections of all images are ranked by score; each is a true positive if it overlaps a
    not-yet-matched ground truth of its class in its image by IoU ≥ threshold (greedy, best score first),
    else a false positive. Returns (mean over classes that have ground truth, AP per class; NaN for
    classes without ground truth).

    Matches only ever involve one image and one class, so each image's detections are matched on one IoU
    matrix, best score first (ground truth of another class masked out), and only the ranking is per class:
    an untrained detector's ~300 boxes per image stay cheap to score."""
    scores, hits, labels = [], [], []
    n_gt = np.zeros(num_classes, dtype=np.int64)
    for d, t in zip(detections, targets):
        gt_labels = t["labels"].numpy()
        n_gt += np.bincount(gt_labels, minlength=num_classes)[:num_classes]
        order = d["scores"].argsort(descending=True, stable=True)
        boxes, score, label = d["boxes"][order].float(), d["scores"][order].numpy(), d["labels"][order].numpy()
        hit = np.zeros(len(score), dtype=bool)
        if len(gt_labels) and len(score):
            iou = box_iou(boxes, t["boxes"].float()).numpy()
            iou[label[:, None] != gt_labels[None, :]] = -1.0  # only ground truth of the detection's class counts
            matched = np.zeros(len(gt_labels), dtype=bool)
            for k, j in enumerate(iou.argmax(1)):
                if iou[k, j] >= iou_threshold and not matched[j]:
                    matched[j] = hit[k] = True
        scores.append(score)
        hits.append(hit)
        labels.append(label)
    score, hit, label = (np.concatenate(a) if a else np.zeros(0) for a in (scores, hits, labels))
    aps: list[float] = []
    for c in range(num_classes):
        if n_gt[c] == 0:
            aps.append(float("nan"))
            continue
        mine = label == c
        tp = np.cumsum(hit[mine][np.argsort(-score[mine], kind="stable")])
        aps.append(average_precision(tp / n_gt[c], tp / np.arange(1, len(tp) + 1)) if len(tp) else 0.0)
    valid = [a for a in aps if not math.isnan(a)]
    return (float(np.mean(valid)) if valid else 0.0), aps
