"""Detection building blocks shared by every detector in zoo/vision, written in plain PyTorch (no
torchvision): box overlap and non-maximum suppression.

Boxes are (x1, y1, x2, y2) in pixels, x2 > x1 and y2 > y1, the convention of COCO-style detectors.
Files starting with "_" are not scanned by the registry: this module registers nothing.
"""

from __future__ import annotations

import torch


def box_area(boxes: torch.Tensor) -> torch.Tensor:
    """(N, 4) → (N,) areas; degenerate boxes (x2 < x1) count as 0."""
    return (boxes[:, 2] - boxes[:, 0]).clamp(min=0) * (boxes[:, 3] - boxes[:, 1]).clamp(min=0)


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Intersection over union of every pair: (N, 4), (M, 4) → (N, M)."""
    top_left = torch.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2)
    bottom_right = torch.minimum(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2)
    wh = (bottom_right - top_left).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    return inter / union.clamp(min=torch.finfo(inter.dtype).tiny)


def nms(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression: indices of the boxes kept, highest score first.

    Take the best-scoring box, drop every remaining box that overlaps it by more than `iou_threshold`
    (IoU strictly greater, as torchvision does), repeat. One IoU matrix, then a loop over the kept boxes
    only: O(N²) memory, fine for the few thousand candidates a detector keeps before NMS.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    order = scores.argsort(descending=True, stable=True)
    iou = box_iou(boxes[order], boxes[order])  # (N, N) in score order
    suppressed = torch.zeros(len(order), dtype=torch.bool, device=boxes.device)
    keep = []
    for i in range(len(order)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return order[torch.tensor(keep, dtype=torch.long, device=boxes.device)]


def batched_nms(boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """NMS within each class only: boxes of different classes never suppress each other.

    Shifting each class's boxes by (class × a span larger than every box) makes boxes of different
    classes disjoint, so one NMS call does every class at once.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    span = boxes.max() - boxes.min() + 1
    shifted = boxes + (classes.to(boxes) * span)[:, None]
    return nms(shifted, scores, iou_threshold)
