"""Detection building blocks shared by every detector in zoo/vision, written in plain PyTorch (no
torchvision): box overlap and non-maximum suppression;
box coding, anchor and default-box generators, matching and sampling, RoIAlign (single and multi-scale),
the image batching transform and mask pasting used by Faster/Mask R-CNN, RetinaNet and SSD.

Boxes are (x1, y1, x2, y2) in pixels, x2 > x1 and y2 > y1, the convention of COCO-style detectors.
Files starting with "_" are not scanned by the registry: this module registers nothing.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Metric, ModelCard


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


# --------------------------------------------------------------------------- a faster exact NMS for big candidate sets
# Everything below was added for the torchvision-family detectors (Faster/Mask R-CNN, RetinaNet, SSD); the four
# functions above are unchanged.


def nms_fixed_point(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """The same result as `nms` (indices kept, highest score first, ties broken by index), computed with
    whole-matrix steps instead of one Python step per box.

    Greedy NMS is the unique solution of  keep[i] = not any(keep[j] and IoU(j, i) > t for j ranked above i):
    the recursion fixes keep[0], then keep[1], ... Iterating the right-hand side from keep = all-true settles
    at least one more rank per round, and in practice within a handful of rounds (the length of the longest
    suppression chain); `_greedy_keep` does it block by block. A few thousand RPN proposals then cost a few
    tensor steps rather than a few thousand interpreter steps (which also keeps traced graphs small).
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    order = scores.argsort(descending=True, stable=True)
    iou = box_iou(boxes[order], boxes[order])  # (N, N) in score order
    # suppresses[j, i]: j ranks above i and overlaps it too much.
    suppresses = torch.triu(iou > iou_threshold, diagonal=1)
    keep = _greedy_keep(suppresses[None], torch.ones(1, len(order), dtype=torch.bool, device=boxes.device))[0]
    return order[keep]


def _greedy_keep(suppresses: torch.Tensor, valid: torch.Tensor, block: int = 128) -> torch.Tensor:
    """Solve keep[i] = valid[i] and not any(keep[j] and suppresses[j, i], j < i) for (c, n, n) / (c, n),
    one block of `block` ranks at a time: the kept boxes of earlier blocks are applied in one step, then
    the fixed-point iteration settles the block itself. Long suppression chains (hundreds of near-duplicate
    boxes of one class) then cost iterations on a block × block matrix, not on the whole n × n one."""
    n = valid.shape[1]
    keep = torch.zeros_like(valid)
    for start in range(0, n, block):
        end = min(start + block, n)
        cand = valid[:, start:end].clone()
        if start:  # suppressed by a box already kept in an earlier block
            cand &= ~(suppresses[:, :start, start:end] & keep[:, :start, None]).any(1)
        inner = suppresses[:, start:end, start:end]
        k = cand
        for _ in range(end - start):
            new = cand & ~(inner & k[:, :, None]).any(1)
            if torch.equal(new, k):
                break
            k = new
        keep[:, start:end] = k
    return keep


def batched_nms_fixed_point(
    boxes: torch.Tensor, scores: torch.Tensor, classes: torch.Tensor, iou_threshold: float
) -> torch.Tensor:
    """`batched_nms` (NMS within each class, result sorted by score) with `nms_fixed_point`'s iteration run
    on every class at once: the candidates are laid out as a (classes, n, 4) tensor, each class's boxes in
    score order and padded to the largest class, so the IoU matrices are (classes, n, n) rather than one
    mostly-empty (N, N) matrix over all classes (90 COCO classes × 300 boxes: 8M entries instead of 729M)."""
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.long, device=boxes.device)
    order = scores.argsort(descending=True, stable=True)
    idx = order[classes[order].argsort(stable=True)]  # grouped by class, by score within each class
    _, counts = torch.unique_consecutive(classes[idx], return_counts=True)
    # Largest classes first, so that a chunk of classes is padded only to its own largest class.
    by_size = counts.argsort(descending=True, stable=True)
    slot = torch.empty_like(by_size)
    slot[by_size] = torch.arange(len(counts), device=boxes.device)
    counts_sorted = counts[by_size].tolist()
    num, n = len(counts), counts_sorted[0]
    group = slot.repeat_interleave(counts)  # (N,) the class's slot, by decreasing size
    starts = (counts.cumsum(0) - counts).repeat_interleave(counts)
    pos = torch.arange(len(idx), device=boxes.device) - starts  # (N,) rank within the class
    padded = boxes.new_zeros((num, n, 4))
    padded[group, pos] = boxes[idx]
    valid = torch.zeros((num, n), dtype=torch.bool, device=boxes.device)
    valid[group, pos] = True
    slot_to_box = torch.full((num, n), -1, dtype=torch.long, device=boxes.device)
    slot_to_box[group, pos] = idx
    keep = torch.zeros_like(valid)
    c = 0
    while c < num:
        m = counts_sorted[c]  # the chunk's largest class
        step = max(1, (1 << 23) // (m * m))  # classes per chunk: ≤ 8M IoU entries at a time
        b, v = padded[c : c + step, :m], valid[c : c + step, :m]
        j, i = b[:, :, None], b[:, None, :]  # (c, n, 1, 4), (c, 1, n, 4)
        iw = (torch.minimum(j[..., 2], i[..., 2]) - torch.maximum(j[..., 0], i[..., 0])).clamp_(min=0)
        ih = (torch.minimum(j[..., 3], i[..., 3]) - torch.maximum(j[..., 1], i[..., 1])).clamp_(min=0)
        inter = iw.mul_(ih)  # (c, n, n)
        area = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
        # IoU = I / (A_j + A_i − I) > t  ⇔  I·(1 + t) > t·(A_j + A_i): no division over the big tensor
        over = inter.mul_(1 + iou_threshold) > (area[:, :, None] + area[:, None, :]).mul_(iou_threshold)
        suppresses = torch.triu(over, diagonal=1) & v[:, :, None]  # (c, j, i): j ranks above i
        keep[c : c + step, :m] = _greedy_keep(suppresses, v)
        c += step
    kept = slot_to_box[keep].sort().values  # index order, then a stable sort by score: nms's tie-breaking
    return kept[scores[kept].argsort(descending=True, stable=True)]


# --------------------------------------------------------------------------- box helpers

# Largest log-scale change a decoder may apply: exp(dw) ≤ 1000/16, so a 16-px anchor never grows past 1000 px
# (the clamp that keeps an untrained regressor from overflowing exp).
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def clip_boxes_to_image(boxes: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Clamp (..., 4) boxes into an image of size (height, width)."""
    h, w = size
    x = boxes[..., 0::2].clamp(0, w)
    y = boxes[..., 1::2].clamp(0, h)
    return torch.stack((x[..., 0], y[..., 0], x[..., 1], y[..., 1]), dim=-1)


def remove_small_boxes(boxes: torch.Tensor, min_size: float) -> torch.Tensor:
    """Indices of boxes whose width and height are both at least `min_size`."""
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    return torch.nonzero((w >= min_size) & (h >= min_size)).squeeze(1)


class BoxCoder:
    """The box parametrisation of R-CNN (Girshick et al. 2014, Appendix C), used by every detector here:

        dx = wx·(x − xa)/wa,  dy = wy·(y − ya)/ha,  dw = ww·log(w/wa),  dh = wh·log(h/ha)

    for a box of centre (x, y) and size (w, h) relative to a reference (anchor or proposal) (xa, ya, wa, ha).
    The weights (wx, wy, ww, wh) rescale the targets to about unit variance: (1, 1, 1, 1) for the RPN and
    RetinaNet, (10, 10, 5, 5) for the Fast R-CNN head and SSD.
    """

    def __init__(self, weights: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0), clip: float = BBOX_XFORM_CLIP):
        self.weights = weights
        self.clip = clip

    @staticmethod
    def _centres(boxes: torch.Tensor) -> tuple[torch.Tensor, ...]:
        w = boxes[..., 2] - boxes[..., 0]
        h = boxes[..., 3] - boxes[..., 1]
        return boxes[..., 0] + 0.5 * w, boxes[..., 1] + 0.5 * h, w, h

    def encode(self, boxes: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
        """(N, 4) target boxes relative to (N, 4) references → (N, 4) deltas (dx, dy, dw, dh)."""
        wx, wy, ww, wh = self.weights
        x, y, w, h = self._centres(boxes)
        xa, ya, wa, ha = self._centres(references)
        dx, dy = wx * (x - xa) / wa, wy * (y - ya) / ha
        return torch.stack((dx, dy, ww * torch.log(w / wa), wh * torch.log(h / ha)), dim=-1)

    def decode(self, deltas: torch.Tensor, references: torch.Tensor) -> torch.Tensor:
        """Inverse of `encode`: (..., 4) deltas applied to broadcastable (..., 4) references → (..., 4) boxes.
        dw and dh are clamped at log(1000/16) before the exponential."""
        wx, wy, ww, wh = self.weights
        xa, ya, wa, ha = self._centres(references.to(deltas.dtype))
        dx, dy = deltas[..., 0] / wx, deltas[..., 1] / wy
        dw = (deltas[..., 2] / ww).clamp(max=self.clip)
        dh = (deltas[..., 3] / wh).clamp(max=self.clip)
        x, y = dx * wa + xa, dy * ha + ya
        w, h = torch.exp(dw) * wa, torch.exp(dh) * ha
        return torch.stack((x - 0.5 * w, y - 0.5 * h, x + 0.5 * w, y + 0.5 * h), dim=-1)


# --------------------------------------------------------------------------- training-time assignment

BELOW_LOW_THRESHOLD = -1  # background
BETWEEN_THRESHOLDS = -2  # ignored by the loss


class Matcher:
    """Assign each anchor/proposal the ground-truth box it overlaps most: the index of that box if the
    IoU ≥ `high`, BELOW_LOW_THRESHOLD if < `low`, BETWEEN_THRESHOLDS in between. With
    `allow_low_quality_matches` every ground-truth box also keeps the anchors it overlaps best even
    below `high` (Faster R-CNN §3.1.2: "the anchor with the highest IoU" is positive too), so no object is
    left without a positive anchor."""

    def __init__(self, high: float, low: float, allow_low_quality_matches: bool = False):
        assert low <= high
        self.high, self.low, self.allow_low_quality_matches = high, low, allow_low_quality_matches

    def __call__(self, quality: torch.Tensor) -> torch.Tensor:
        """(G, A) IoU of G ground-truth boxes with A anchors → (A,) matched index or a negative code."""
        if quality.shape[0] == 0:  # an image without objects: everything is background
            return torch.full((quality.shape[1],), BELOW_LOW_THRESHOLD, dtype=torch.long, device=quality.device)
        best, matches = quality.max(dim=0)  # (A,)
        original = matches.clone()
        matches[best < self.low] = BELOW_LOW_THRESHOLD
        matches[(best >= self.low) & (best < self.high)] = BETWEEN_THRESHOLDS
        if self.allow_low_quality_matches:
            best_per_gt = quality.max(dim=1).values  # (G,)
            # every anchor tied for a box's best overlap (ties included, as in Detectron)
            anchors = torch.nonzero(quality == best_per_gt[:, None])[:, 1]
            matches[anchors] = original[anchors]
        return matches


class SSDMatcher(Matcher):
    """SSD §2.2 matching: IoU ≥ t is positive, everything else negative, and each ground-truth box also
    claims its single best default box."""

    def __init__(self, threshold: float):
        super().__init__(threshold, threshold, allow_low_quality_matches=False)

    def __call__(self, quality: torch.Tensor) -> torch.Tensor:
        matches = super().__call__(quality)
        if quality.shape[0]:
            best_anchor = quality.max(dim=1).indices  # (G,)
            matches[best_anchor] = torch.arange(len(best_anchor), device=quality.device)
        return matches


def sample_positive_negative(
    labels: torch.Tensor, batch_size: int, positive_fraction: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Faster R-CNN §3.1.3: draw `batch_size` anchors (proposals) from one image, up to `positive_fraction`
    of them positive, the rest negative, so background does not swamp the loss. `labels`: 1 positive,
    0 negative, -1 ignored. Returns boolean masks (positives, negatives)."""
    positive = torch.nonzero(labels >= 1).squeeze(1)
    negative = torch.nonzero(labels == 0).squeeze(1)
    num_pos = min(int(batch_size * positive_fraction), positive.numel())
    num_neg = min(batch_size - num_pos, negative.numel())
    pos_idx = positive[torch.randperm(positive.numel(), device=labels.device)[:num_pos]]
    neg_idx = negative[torch.randperm(negative.numel(), device=labels.device)[:num_neg]]
    pos_mask = torch.zeros_like(labels, dtype=torch.bool)
    neg_mask = torch.zeros_like(labels, dtype=torch.bool)
    pos_mask[pos_idx] = True
    neg_mask[neg_idx] = True
    return pos_mask, neg_mask


def sigmoid_focal_loss(
    logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0
) -> torch.Tensor:
    """RetinaNet Eq. 5, FL(p_t) = −α_t (1 − p_t)^γ log(p_t), summed: easy, well-classified anchors
    (p_t → 1) are down-weighted by (1 − p_t)^γ so the ~100k easy negatives do not dominate."""
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
    return (alpha_t * ce * (1 - p_t) ** gamma).sum()


# --------------------------------------------------------------------------- anchors


class AnchorGenerator(nn.Module):
    """Faster R-CNN §3.1.1 anchors, one set per FPN level: at every feature-map cell, boxes of each
    (size, aspect ratio) centred on the cell's top-left corner in image pixels (torchvision's convention).
    For aspect ratio r = h/w and size s: h = s·√r, w = s/√r, corners rounded to whole pixels.

    Order of the output (matches the heads' (B, A·C, H, W) → (B, H·W·A, C) flattening): level, then
    row-major cell, then anchor (ratio-major, size-minor)."""

    def __init__(self, sizes: tuple[tuple[int, ...], ...], aspect_ratios: tuple[tuple[float, ...], ...]):
        super().__init__()
        assert len(sizes) == len(aspect_ratios)
        self.sizes, self.aspect_ratios = sizes, aspect_ratios
        self.cell_anchors = [self.cell_anchor(s, r) for s, r in zip(sizes, aspect_ratios)]

    @staticmethod
    def cell_anchor(sizes: tuple[int, ...], ratios: tuple[float, ...]) -> torch.Tensor:
        scales = torch.as_tensor(sizes, dtype=torch.float32)
        h_ratios = torch.sqrt(torch.as_tensor(ratios, dtype=torch.float32))
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).reshape(-1)  # (R·S,)
        hs = (h_ratios[:, None] * scales[None, :]).reshape(-1)
        return (torch.stack([-ws, -hs, ws, hs], dim=1) / 2).round()  # (A, 4) around (0, 0)

    def num_anchors_per_location(self) -> list[int]:
        return [len(s) * len(r) for s, r in zip(self.sizes, self.aspect_ratios)]

    def forward(self, image_size: tuple[int, int], feature_sizes: list[tuple[int, int]], device=None) -> torch.Tensor:
        """(total anchors, 4) for a padded batch of `image_size` and feature maps of `feature_sizes`."""
        out = []
        for (fh, fw), base in zip(feature_sizes, self.cell_anchors):
            stride_h, stride_w = image_size[0] // fh, image_size[1] // fw  # integer strides, as torchvision
            sx = torch.arange(fw, dtype=torch.float32, device=device) * stride_w
            sy = torch.arange(fh, dtype=torch.float32, device=device) * stride_h
            yy, xx = torch.meshgrid(sy, sx, indexing="ij")
            shifts = torch.stack((xx, yy, xx, yy), dim=-1).reshape(-1, 1, 4)  # (H·W, 1, 4)
            out.append((shifts + base.to(device)[None]).reshape(-1, 4))  # (H·W·A, 4)
        return torch.cat(out)


class DefaultBoxGenerator(nn.Module):
    """SSD §2.2 default boxes. Level k of m has scale s_k = s_min + (s_max − s_min)(k − 1)/(m − 1) (Eq. 4)
    as a fraction of the image, or explicit `scales`; at every cell centre ((i + ½)/f_k) it places a square
    of side s_k, one of side √(s_k s_{k+1}), and for each extra aspect ratio a a pair w = s_k√a, h = s_k/√a
    and its transpose. `steps` (SSD300's 8, 16, 32, 64, 100, 300) fix the cell size in pixels instead of
    deriving it from the map size. Boxes are clipped to [0, 1] in (cx, cy, w, h) before scaling to pixels."""

    def __init__(self, aspect_ratios: tuple[tuple[int, ...], ...], min_ratio: float = 0.15, max_ratio: float = 0.9,
                 scales: tuple[float, ...] | None = None, steps: tuple[int, ...] | None = None, clip: bool = True):
        super().__init__()
        self.aspect_ratios, self.steps, self.clip = aspect_ratios, steps, clip
        m = len(aspect_ratios)
        if scales is None:  # Eq. 4, plus a last scale 1.0 for the s'_k of the coarsest map
            scales = tuple(min_ratio + (max_ratio - min_ratio) * k / (m - 1.0) for k in range(m)) + (1.0,)
        self.scales = scales
        self.wh_pairs = []
        for k in range(m):
            s, s_next = scales[k], math.sqrt(scales[k] * scales[k + 1])
            pairs = [[s, s], [s_next, s_next]]
            for a in aspect_ratios[k]:
                pairs += [[s * math.sqrt(a), s / math.sqrt(a)], [s / math.sqrt(a), s * math.sqrt(a)]]
            self.wh_pairs.append(torch.tensor(pairs, dtype=torch.float32))

    def num_anchors_per_location(self) -> list[int]:
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def forward(self, image_size: tuple[int, int], feature_sizes: list[tuple[int, int]], device=None) -> torch.Tensor:
        boxes = []
        for k, (fh, fw) in enumerate(feature_sizes):
            cells_x = image_size[1] / self.steps[k] if self.steps else fw
            cells_y = image_size[0] / self.steps[k] if self.steps else fh
            cx = (torch.arange(fw, dtype=torch.float32, device=device) + 0.5) / cells_x
            cy = (torch.arange(fh, dtype=torch.float32, device=device) + 0.5) / cells_y
            yy, xx = torch.meshgrid(cy, cx, indexing="ij")
            wh = self.wh_pairs[k].to(device)
            wh = wh.clamp(0, 1) if self.clip else wh
            centres = torch.stack((xx, yy), dim=-1).reshape(-1, 1, 2).expand(-1, len(wh), 2)  # (H·W, A, 2)
            cxcywh = torch.cat((centres, wh[None].expand(len(centres), -1, -1)), dim=-1).reshape(-1, 4)
            boxes.append(cxcywh)
        b = torch.cat(boxes)
        scale = torch.tensor([image_size[1], image_size[0]], dtype=torch.float32, device=device)
        return torch.cat(((b[:, :2] - 0.5 * b[:, 2:]) * scale, (b[:, :2] + 0.5 * b[:, 2:]) * scale), dim=1)


def flatten_head_outputs(maps: list[torch.Tensor], channels: int) -> torch.Tensor:
    """Per-level (B, A·C, H, W) head outputs → (B, Σ H·W·A, C), in the anchor generator's order."""
    out = []
    for m in maps:
        b, _, h, w = m.shape
        out.append(m.view(b, -1, channels, h, w).permute(0, 3, 4, 1, 2).reshape(b, -1, channels))
    return torch.cat(out, dim=1)


# --------------------------------------------------------------------------- RoIAlign


def roi_align(features: torch.Tensor, rois: torch.Tensor, output_size: int | tuple[int, int],
              spatial_scale: float = 1.0, sampling_ratio: int = -1, aligned: bool = False) -> torch.Tensor:
    """RoIAlign (Mask R-CNN §3): (B, C, H, W) features, (K, 5) rois (batch index, x1, y1, x2, y2 in image
    pixels) → (K, C, out_h, out_w).

    Each output bin averages a grid of bilinear samples (`sampling_ratio`² of them, or ⌈roi size / bins⌉
    per side when ≤ 0) taken at exact, unrounded positions — no quantisation, unlike RoIPool. Matches
    torchvision's `roi_align`: with `aligned=False` coordinates are not shifted by half a pixel and rois are
    at least 1×1; a sample beyond one pixel outside the map reads 0, one within reads the border value.

    Bilinear interpolation is separable, so the samples are gathered with `F.grid_sample` (border
    padding reproduces the clamp) and then zeroed where out of range.
    """
    oh, ow = (output_size, output_size) if isinstance(output_size, int) else output_size
    if rois.numel() == 0:
        return features.new_zeros((0, features.shape[1], oh, ow))
    offset = 0.5 if aligned else 0.0
    boxes = rois[:, 1:] * spatial_scale - offset  # (K, 4) in feature-map pixels
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    if not aligned:
        w, h = w.clamp(min=1.0), h.clamp(min=1.0)
    if sampling_ratio > 0:
        groups = [(sampling_ratio, sampling_ratio, torch.arange(len(rois), device=rois.device))]
    else:  # adaptive: ⌈h/oh⌉ × ⌈w/ow⌉ samples per bin, one vectorised pass per distinct grid
        gh_all = torch.ceil(h / oh).long().clamp(min=1)
        gw_all = torch.ceil(w / ow).long().clamp(min=1)
        pairs = torch.stack((gh_all, gw_all), 1)
        groups = [(int(gh), int(gw), torch.nonzero((pairs == torch.stack((gh, gw))).all(1)).squeeze(1))
                  for gh, gw in pairs.unique(dim=0)]
    out = features.new_zeros((len(rois), features.shape[1], oh, ow))
    for gh, gw, idx in groups:
        out[idx] = _roi_align_grid(features, rois[idx, 0].long(), boxes[idx], w[idx], h[idx], oh, ow, gh, gw)
    return out


def _roi_align_grid(features, batch, boxes, w, h, oh, ow, gh, gw):
    """RoIAlign for rois that share a sampling grid of gh × gw points per bin."""
    B, C, H, W = features.shape
    k = len(boxes)
    # Sample positions: bin p's sample i sits at start + (p + (i + ½)/g) · bin size  → (K, out·g)
    fy = (torch.arange(oh * gh, device=features.device, dtype=features.dtype) + 0.5) / gh  # bins, fractional
    fx = (torch.arange(ow * gw, device=features.device, dtype=features.dtype) + 0.5) / gw
    ys = boxes[:, 1:2] + fy[None] * (h / oh)[:, None]  # (K, oh·gh)
    xs = boxes[:, 0:1] + fx[None] * (w / ow)[:, None]  # (K, ow·gw)
    valid = ((ys >= -1) & (ys <= H))[:, :, None] & ((xs >= -1) & (xs <= W))[:, None, :]  # (K, Sy, Sx)
    # grid_sample's align_corners=False maps pixel coordinate p to (2p + 1)/size − 1.
    gy = (2 * ys + 1) / H - 1
    gx = (2 * xs + 1) / W - 1
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # (K, Sy, Sx, 2)
    samples = features.new_zeros((k, C, oh * gh, ow * gw))
    for b in range(B):  # rois of one image read that image's map
        sel = torch.nonzero(batch == b).squeeze(1)
        if sel.numel():
            g = grid[sel].reshape(1, -1, ow * gw, 2)  # (1, K_b·Sy, Sx, 2)
            s = F.grid_sample(features[b : b + 1], g, mode="bilinear", padding_mode="border", align_corners=False)
            samples[sel] = s.reshape(C, len(sel), oh * gh, ow * gw).transpose(0, 1)
    if not bool(valid.all()):
        samples = samples * valid[:, None].to(samples.dtype)
    return F.avg_pool2d(samples, (gh, gw))  # (K, C, oh, ow): average the gh × gw samples inside each bin


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign on the FPN level that suits each roi's size — FPN Eq. 1:

        k = ⌊k0 + log2(√(wh) / 224)⌋,  k0 = 4,  clamped to the levels present (P2–P5)

    so a 224×224 roi (ImageNet-sized) reads P4 and one half that size reads P3. Level scales are inferred
    from the feature and image sizes (powers of 2)."""

    def __init__(self, output_size: int, sampling_ratio: int, canonical_scale: int = 224, canonical_level: int = 4):
        super().__init__()
        self.output_size, self.sampling_ratio = output_size, sampling_ratio
        self.canonical_scale, self.canonical_level = canonical_scale, canonical_level

    def levels(self, boxes: torch.Tensor, k_min: int, k_max: int) -> torch.Tensor:
        """Eq. 1 for (K, 4) boxes in image pixels → (K,) index into the level list (0 = P_{k_min})."""
        s = torch.sqrt(box_area(boxes))
        k = torch.floor(self.canonical_level + torch.log2(s / self.canonical_scale) + 1e-6)
        return (k.clamp(k_min, k_max) - k_min).long()

    def forward(
        self, features: list[torch.Tensor], boxes: list[torch.Tensor], image_sizes: list[tuple[int, int]]
    ) -> torch.Tensor:
        rois = torch.cat([torch.cat((torch.full_like(b[:, :1], i), b), dim=1) for i, b in enumerate(boxes)])  # (K, 5)
        original = (max(s[0] for s in image_sizes), max(s[1] for s in image_sizes))
        scales = [2.0 ** round(math.log2(f.shape[-2] / original[0])) for f in features]
        k_min, k_max = -int(math.log2(scales[0])), -int(math.log2(scales[-1]))
        level = self.levels(rois[:, 1:], k_min, k_max)
        out = features[0].new_zeros((len(rois), features[0].shape[1], self.output_size, self.output_size))
        for i, (f, scale) in enumerate(zip(features, scales)):
            idx = torch.nonzero(level == i).squeeze(1)
            out[idx] = roi_align(f, rois[idx], self.output_size, scale, self.sampling_ratio)
        return out


# --------------------------------------------------------------------------- image batching and outputs


class DetectionTransform(nn.Module):
    """What torchvision calls GeneralizedRCNNTransform: normalise each image, resize it so its short side
    is `min_size` unless the long side would pass `max_size` (or to exactly `fixed_size`), and pad the batch
    to a common size divisible by `size_divisible`. Targets are resized with the images; `postprocess`
    maps detections back to each original image size."""

    def __init__(self, min_size: int, max_size: int, mean: tuple[float, ...], std: tuple[float, ...],
                 size_divisible: int = 32, fixed_size: tuple[int, int] | None = None):
        super().__init__()
        self.min_size, self.max_size = min_size, max_size
        self.size_divisible, self.fixed_size = size_divisible, fixed_size
        self.register_buffer("mean", torch.tensor(mean).view(-1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(-1, 1, 1), persistent=False)

    def resize(self, image: torch.Tensor, target: dict | None):
        h, w = image.shape[-2:]
        if self.fixed_size is not None:
            image = F.interpolate(image[None], size=self.fixed_size, mode="bilinear", align_corners=False)[0]
        else:
            scale = min(self.min_size / min(h, w), self.max_size / max(h, w))
            image = F.interpolate(image[None], scale_factor=scale, mode="bilinear", recompute_scale_factor=True,
                                  align_corners=False)[0]
        if target is not None:
            nh, nw = image.shape[-2:]
            target = dict(target)
            ratio = torch.tensor([nw / w, nh / h, nw / w, nh / h], dtype=torch.float32, device=image.device)
            target["boxes"] = target["boxes"] * ratio
            if "masks" in target:
                target["masks"] = F.interpolate(target["masks"][:, None].float(), size=(nh, nw))[:, 0].byte()
        return image, target

    def forward(self, images: list[torch.Tensor], targets: list[dict] | None = None):
        """list of (3, H, W) in [0, 1] → (B, 3, H', W') padded batch, [(h, w) resized sizes], targets."""
        out, sizes, new_targets = [], [], []
        for i, image in enumerate(images):
            image = (image - self.mean.to(image)) / self.std.to(image)
            image, t = self.resize(image, targets[i] if targets is not None else None)
            out.append(image)
            sizes.append((int(image.shape[-2]), int(image.shape[-1])))
            new_targets.append(t)
        d = self.size_divisible
        H = int(math.ceil(max(s[0] for s in sizes) / d) * d)
        W = int(math.ceil(max(s[1] for s in sizes) / d) * d)
        batch = torch.stack([F.pad(im, (0, W - im.shape[-1], 0, H - im.shape[-2])) for im in out])
        return batch, sizes, (new_targets if targets is not None else None)

    @staticmethod
    def postprocess(
        detections: list[dict], sizes: list[tuple[int, int]], original_sizes: list[tuple[int, int]]
    ) -> list[dict]:
        for det, (h, w), (oh, ow) in zip(detections, sizes, original_sizes):
            ratio = torch.tensor([ow / w, oh / h, ow / w, oh / h], dtype=det["boxes"].dtype, device=det["boxes"].device)
            det["boxes"] = det["boxes"] * ratio
            if "masks" in det:
                det["masks"] = paste_masks_in_image(det["masks"], det["boxes"], (oh, ow))
        return detections


def paste_masks_in_image(masks: torch.Tensor, boxes: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, 1, M, M) mask probabilities predicted inside (N, 4) boxes → (N, 1, H, W) over the whole image:
    every image pixel centre is mapped into its box's mask and read bilinearly (0 outside the box), one
    `grid_sample` for all masks."""
    n = len(masks)
    h, w = size
    if n == 0:
        return masks.new_zeros((0, 1, h, w))
    ys = torch.arange(h, device=masks.device, dtype=masks.dtype) + 0.5  # pixel centres
    xs = torch.arange(w, device=masks.device, dtype=masks.dtype) + 0.5
    x0, y0, x1, y1 = (boxes[:, i : i + 1].to(masks.dtype) for i in range(4))
    gy = (ys[None] - y0) / (y1 - y0).clamp(min=1e-6) * 2 - 1  # (N, H) in the box's [-1, 1]
    gx = (xs[None] - x0) / (x1 - x0).clamp(min=1e-6) * 2 - 1  # (N, W)
    grid = torch.stack(torch.broadcast_tensors(gx[:, None, :], gy[:, :, None]), dim=-1)  # (N, H, W, 2)
    return F.grid_sample(masks, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def conv_relu_stack(channels: int, depth: int) -> nn.Sequential:
    """`depth` × (3×3 conv + ReLU) at constant width: the towers of the RetinaNet subnets and the mask head."""
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


def images_as_list(images) -> list[torch.Tensor]:
    """Detectors take a (B, 3, H, W) batch or a list of (3, H, W) images of any sizes."""
    return list(images.unbind(0)) if isinstance(images, torch.Tensor) else list(images)


# --------------------------------------------------------------------------- card text shared by the COCO detectors


def coco_box_map(value: float, weights: str, name: str = "box mAP@[.5:.95]") -> Metric:
    """COCO val2017 AP (averaged over IoU 0.5:0.95) of torchvision's `weights`.COCO_V1."""
    return Metric(name, value, "AP", "COCO val2017", f"torchvision reference weights {weights}.COCO_V1")


def detection_card(*, zh: dict[str, object], input: str, input_zh: str, masks: bool = False, **fields) -> ModelCard:
    """A vision ModelCard with the task and output text (English and Chinese) of a COCO detector."""
    out = "per image a dict: boxes (N, 4) as x1, y1, x2, y2 in input pixels, labels (N,) of 91 COCO ids, scores (N,)"
    out_zh = "每张图像一个字典：boxes (N, 4)（x1, y1, x2, y2，输入图像像素坐标）、labels (N,)（91 个 COCO 类别编号）、scores (N,)"
    if masks:
        out += ", masks (N, 1, H, W) probabilities pasted into the image"
        out_zh += "、masks (N, 1, H, W)（贴回整幅图像的掩码概率）"
    out += "; in train mode with targets, a dict of losses"
    out_zh += "；训练模式下给出 targets 时返回各项损失组成的字典"
    task = "instance segmentation" if masks else "object detection"
    shared = dict(domain="vision", task=task, input=input, output=out)
    shared_zh = {"task": "实例分割" if masks else "目标检测", "input": input_zh, "output": out_zh}
    return ModelCard(**{**shared, **fields}, i18n={"zh": {**shared_zh, **zh}})
