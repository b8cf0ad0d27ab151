"""Faster R-CNN and Mask R-CNN with a ResNet-50-FPN backbone — the two-stage detectors.

Faster R-CNN — Ren, He, Girshick & Sun, "Faster R-CNN: Towards Real-Time Object Detection with Region
Proposal Networks" (NeurIPS 2015), https://arxiv.org/abs/1506.01497.
Stage one, the Region Proposal Network (RPN, paper §3.1), slides a small conv over the feature maps and,
for each of A "anchor" boxes of fixed sizes and aspect ratios centred at every position, predicts an
objectness score and a box correction. The best few thousand corrected anchors, thinned by NMS, are the
proposals. Stage two (Fast R-CNN, Girshick 2015) crops each proposal's features to a fixed 7×7 grid,
runs two fully connected layers and predicts, per proposal, a class (91 COCO ids, 0 = background) and a
class-specific box refinement. Both stages share the backbone, so proposals cost almost nothing.

FPN — Lin et al., "Feature Pyramid Networks for Object Detection" (CVPR 2017),
https://arxiv.org/abs/1612.03144 (see `_fpn.py`): the RPN runs on every pyramid level P2–P6 with one
anchor size per level (32² … 512², FPN §4.1), and each proposal is pooled from the level that fits its
size (FPN Eq. 1, `MultiScaleRoIAlign`).

Mask R-CNN — He, Gkioxari, Dollár & Girshick, "Mask R-CNN" (ICCV 2017), https://arxiv.org/abs/1703.06870.
Adds a third head in parallel with the box head: a small FCN on 14×14 RoIAlign crops that predicts a
28×28 binary mask per class (paper Figure 4, right); only the mask of the predicted class is used, so
classes do not compete (a per-pixel sigmoid, not a softmax, §3). RoIAlign (§3, "RoIAlign") replaces
RoIPool's rounding with bilinear sampling, which matters for pixel-accurate masks.

This file follows torchvision's `fasterrcnn_resnet50_fpn` / `maskrcnn_resnet50_fpn` (v1) layer for layer,
with its parameter counts; the detection post-processing (anchors, box coding, NMS, RoIAlign, mask
pasting) is written in plain PyTorch in `_detection.py`.

Modes: `model.eval()(images)` → a list (one per image) of dicts with `boxes`, `labels`, `scores`
(+ `masks`); `model.train()(images, targets)` → the dict of losses (`loss_objectness`, `loss_rpn_box_reg`,
`loss_classifier`, `loss_box_reg`, + `loss_mask`), where each target holds `boxes` (N, 4), `labels` (N,)
and, for Mask R-CNN, `masks` (N, H, W). Training needs targets: without them the call is an error.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Paper
from ..pretrained import KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._detection import (
    BETWEEN_THRESHOLDS,
    AnchorGenerator,
    BoxCoder,
    DetectionTransform,
    Matcher,
    MultiScaleRoIAlign,
    batched_nms_fixed_point,
    box_iou,
    clip_boxes_to_image,
    coco_box_map,
    conv_relu_stack,
    detection_card,
    flatten_head_outputs,
    images_as_list,
    remove_small_boxes,
    roi_align,
    sample_positive_negative,
)
from ._fpn import ResNetFPN, torchvision_v1_name


@dataclass(frozen=True)
class FasterRCNNConfig:
    num_classes: int = 91  # COCO's 80 classes in the 91-id numbering, 0 = background
    masks: bool = False  # Mask R-CNN's mask branch
    trainable_layers: int = 3  # ResNet stages with gradients, from the top (torchvision's COCO recipe)
    # Input transform. torchvision resizes the short side to 800 (long side ≤ 1333); the zoo's example
    # runs at 320 so that a CPU forward stays cheap. Set 800/1333 for the published setting.
    min_size: int = 320
    max_size: int = 320
    image_mean: tuple[float, float, float] = (0.485, 0.456, 0.406)  # ImageNet statistics of the backbone
    image_std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    # RPN (Faster R-CNN §3.1; FPN §4.1): one anchor size per level, three aspect ratios
    anchor_sizes: tuple[tuple[int, ...], ...] = ((32,), (64,), (128,), (256,), (512,))
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)
    rpn_pre_nms_top_n_train: int = 2000  # per level
    rpn_pre_nms_top_n_test: int = 1000
    rpn_post_nms_top_n_train: int = 2000  # per image
    rpn_post_nms_top_n_test: int = 300  # torchvision: 1000; the Faster R-CNN paper tests with 300 (§4.1)
    rpn_nms_thresh: float = 0.7
    rpn_fg_iou_thresh: float = 0.7  # anchors with IoU ≥ 0.7 are positive, < 0.3 negative (§3.1.2)
    rpn_bg_iou_thresh: float = 0.3
    rpn_batch_size_per_image: int = 256  # anchors per image in the loss, half positive at most (§3.1.3)
    rpn_positive_fraction: float = 0.5
    # RoI heads (Fast R-CNN)
    box_score_thresh: float = 0.05
    box_nms_thresh: float = 0.5
    box_detections_per_img: int = 100
    box_fg_iou_thresh: float = 0.5
    box_bg_iou_thresh: float = 0.5
    box_batch_size_per_image: int = 512  # sampled proposals per image, 25% positive at most
    box_positive_fraction: float = 0.25
    representation_size: int = 1024  # the two fully connected layers of the box head


# torchvision's published setting (fields that differ from the CPU-friendly defaults above):
#   min_size=800, max_size=1333, rpn_post_nms_top_n_test=1000, box_detections_per_img=100.
# The zoo's defaults run the example on a small image with the Faster R-CNN paper's 300 test-time proposals
# (§4.1) and, for Mask R-CNN, at most 20 masks per image: the mask head costs ~0.5 G multiply-adds per detection.
FASTER_RCNN_R50_FPN = FasterRCNNConfig()
MASK_RCNN_R50_FPN = FasterRCNNConfig(masks=True, box_detections_per_img=20)


# --------------------------------------------------------------------------- stage one: RPN


class RPNHead(nn.Module):
    """3×3 conv + ReLU shared by all levels, then two sibling 1×1 convs (Faster R-CNN Figure 3):
    A objectness logits and 4A box deltas per position."""

    def __init__(self, channels: int, num_anchors: int):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.cls_logits = nn.Conv2d(channels, num_anchors, 1)
        self.bbox_pred = nn.Conv2d(channels, 4 * num_anchors, 1)
        for conv in (self.conv, self.cls_logits, self.bbox_pred):
            nn.init.normal_(conv.weight, std=0.01)
            nn.init.zeros_(conv.bias)

    def forward(self, features: list[torch.Tensor]) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        logits, deltas = [], []
        for f in features:
            t = F.relu(self.conv(f))  # (B, 256, H, W)
            logits.append(self.cls_logits(t))  # (B, A, H, W)
            deltas.append(self.bbox_pred(t))  # (B, 4A, H, W)
        return logits, deltas


class ProposalFilter(nn.Module):
    """From ~25k decoded anchors to the proposals (Faster R-CNN §3.3, FPN §4.1): the top-n per level by
    objectness, clipped, tiny boxes dropped, NMS at 0.7 within each level, the best post_nms_top_n kept.
    A module of its own (no parameters), so that graphs show it as one step; more proposals in training."""

    def __init__(self, cfg: FasterRCNNConfig):
        super().__init__()
        self.cfg = cfg

    def forward(self, proposals, objectness, sizes, per_level) -> list[torch.Tensor]:
        cfg = self.cfg
        pre_n = cfg.rpn_pre_nms_top_n_train if self.training else cfg.rpn_pre_nms_top_n_test
        post_n = cfg.rpn_post_nms_top_n_train if self.training else cfg.rpn_post_nms_top_n_test
        idx, levels, start = [], [], 0
        for level, n in enumerate(per_level):
            top = objectness[:, start : start + n].topk(min(pre_n, n), dim=1).indices + start  # (B, k)
            idx.append(top)
            levels.append(torch.full((top.shape[1],), level, device=objectness.device))
            start += n
        idx, levels = torch.cat(idx, 1), torch.cat(levels)
        out = []
        for b, size in enumerate(sizes):
            boxes = clip_boxes_to_image(proposals[b, idx[b]], size)
            scores, lvl = torch.sigmoid(objectness[b, idx[b]]), levels
            keep = remove_small_boxes(boxes, 1e-3)
            boxes, scores, lvl = boxes[keep], scores[keep], lvl[keep]
            keep = batched_nms_fixed_point(boxes, scores, lvl, cfg.rpn_nms_thresh)[:post_n]
            out.append(boxes[keep])
        return out


class RegionProposalNetwork(nn.Module):
    def __init__(self, cfg: FasterRCNNConfig, channels: int):
        super().__init__()
        self.cfg = cfg
        self.anchor_generator = AnchorGenerator(cfg.anchor_sizes, (cfg.aspect_ratios,) * len(cfg.anchor_sizes))
        self.head = RPNHead(channels, self.anchor_generator.num_anchors_per_location()[0])
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
        self.matcher = Matcher(cfg.rpn_fg_iou_thresh, cfg.rpn_bg_iou_thresh, allow_low_quality_matches=True)
        self.filter_proposals = ProposalFilter(cfg)

    def forward(self, batch_size: tuple[int, int], sizes: list[tuple[int, int]], features: list[torch.Tensor],
                targets: list[dict] | None = None) -> tuple[list[torch.Tensor], dict]:
        logits, deltas = self.head(features)
        per_level = [m[0].numel() for m in logits]  # anchors per level: A·H·W
        anchors = self.anchor_generator(batch_size, [f.shape[-2:] for f in features], features[0].device)  # (N, 4)
        objectness = flatten_head_outputs(logits, 1).squeeze(-1)  # (B, N)
        box_deltas = flatten_head_outputs(deltas, 4)  # (B, N, 4)
        # Proposals are not differentiated through (approximate joint training, Faster R-CNN §3.2).
        proposals = self.box_coder.decode(box_deltas.detach(), anchors[None])  # (B, N, 4)
        boxes = self.filter_proposals(proposals, objectness.detach(), sizes, per_level)  # [(≤ post_nms_top_n, 4)]
        losses = {}
        if self.training:
            losses = self.loss(objectness, box_deltas, anchors, targets)
        return boxes, losses

    def loss(self, objectness, box_deltas, anchors, targets) -> dict:
        """Faster R-CNN Eq. 1: binary cross-entropy on sampled anchors + smooth-L1 (β = 1/9) on positives,
        both normalised by the number of sampled anchors."""
        labels, regression_targets, sampled_pos, sampled_neg = [], [], [], []
        for t in targets:
            matches = self.matcher(box_iou(t["boxes"], anchors))  # (N,)
            lab = (matches >= 0).float()
            lab[matches == BETWEEN_THRESHOLDS] = -1  # ignored
            gt = t["boxes"][matches.clamp(min=0)] if len(t["boxes"]) else torch.zeros_like(anchors)
            pos, neg = sample_positive_negative(lab, self.cfg.rpn_batch_size_per_image, self.cfg.rpn_positive_fraction)
            labels.append(lab)
            regression_targets.append(self.box_coder.encode(gt, anchors))
            sampled_pos.append(pos)
            sampled_neg.append(neg)
        labels, regression_targets = torch.stack(labels), torch.stack(regression_targets)
        pos, neg = torch.stack(sampled_pos), torch.stack(sampled_neg)
        sampled = pos | neg
        n = sampled.sum().clamp(min=1)
        box_loss = F.smooth_l1_loss(box_deltas[pos], regression_targets[pos], beta=1 / 9, reduction="sum") / n
        obj_loss = F.binary_cross_entropy_with_logits(objectness[sampled], labels[sampled])
        return {"loss_objectness": obj_loss, "loss_rpn_box_reg": box_loss}


# --------------------------------------------------------------------------- stage two: RoI heads


class TwoMLPHead(nn.Module):
    """FPN §4.2: two 1024-d fully connected layers (fc6, fc7) on the flattened 7×7×256 RoI features."""

    def __init__(self, in_features: int, representation: int):
        super().__init__()
        self.fc6 = nn.Linear(in_features, representation)
        self.fc7 = nn.Linear(representation, representation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.fc6(x.flatten(1)))  # (K, 1024)
        return F.relu(self.fc7(x))  # (K, 1024)


class FastRCNNPredictor(nn.Module):
    """Sibling outputs of Fast R-CNN: class logits (background included) and one box delta per class."""

    def __init__(self, in_features: int, num_classes: int):
        super().__init__()
        self.cls_score = nn.Linear(in_features, num_classes)
        self.bbox_pred = nn.Linear(in_features, num_classes * 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.cls_score(x), self.bbox_pred(x)  # (K, C), (K, 4C)


class MaskHead(nn.Module):
    """Mask R-CNN Figure 4 (right, FPN variant): four 3×3 convs at 14×14, then a 2× deconvolution to 28×28
    and a 1×1 conv to one mask logit map per class."""

    def __init__(self, channels: int, num_classes: int, layers: int = 4):
        super().__init__()
        self.convs = conv_relu_stack(channels, layers)
        self.deconv = nn.ConvTranspose2d(channels, channels, 2, stride=2)
        self.mask_logits = nn.Conv2d(channels, num_classes, 1)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.convs(x)  # (K, 256, 14, 14)
        x = F.relu(self.deconv(x))  # (K, 256, 28, 28)
        return self.mask_logits(x)  # (K, C, 28, 28)


class BoxPostprocess(nn.Module):
    """Softmax scores, class-specific boxes, clip, drop background / low scores / tiny boxes, NMS per class
    at 0.5, keep the `box_detections_per_img` best. A module of its own (no parameters), so that graphs
    show it as one step."""

    def __init__(self, cfg: FasterRCNNConfig):
        super().__init__()
        self.cfg = cfg
        self.box_coder = BoxCoder((10.0, 10.0, 5.0, 5.0))

    def forward(self, class_logits, box_regression, proposals, sizes) -> list[dict]:
        cfg = self.cfg
        num_classes = class_logits.shape[-1]
        deltas = box_regression.view(len(class_logits), -1, 4)  # (K, C, 4)
        boxes = self.box_coder.decode(deltas, torch.cat(proposals)[:, None])  # (K, C, 4): one box per class
        scores = F.softmax(class_logits, -1)  # (K, C)
        out = []
        per_image = [len(p) for p in proposals]
        for b, s, size in zip(boxes.split(per_image), scores.split(per_image), sizes):
            b = clip_boxes_to_image(b, size)
            labels = torch.arange(num_classes, device=s.device).expand_as(s)
            b, s, labels = b[:, 1:].reshape(-1, 4), s[:, 1:].reshape(-1), labels[:, 1:].reshape(-1)  # drop background
            keep = torch.nonzero(s > cfg.box_score_thresh).squeeze(1)
            b, s, labels = b[keep], s[keep], labels[keep]
            keep = remove_small_boxes(b, 1e-2)
            b, s, labels = b[keep], s[keep], labels[keep]
            keep = batched_nms_fixed_point(b, s, labels, cfg.box_nms_thresh)[: cfg.box_detections_per_img]
            out.append({"boxes": b[keep], "labels": labels[keep], "scores": s[keep]})
        return out


class RoIHeads(nn.Module):
    def __init__(self, cfg: FasterRCNNConfig, channels: int):
        super().__init__()
        self.cfg = cfg
        self.box_roi_pool = MultiScaleRoIAlign(7, sampling_ratio=2)
        self.box_head = TwoMLPHead(channels * 7 * 7, cfg.representation_size)
        self.box_predictor = FastRCNNPredictor(cfg.representation_size, cfg.num_classes)
        self.box_coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
        self.matcher = Matcher(cfg.box_fg_iou_thresh, cfg.box_bg_iou_thresh, allow_low_quality_matches=False)
        self.postprocess = BoxPostprocess(cfg)
        if cfg.masks:
            self.mask_roi_pool = MultiScaleRoIAlign(14, sampling_ratio=2)
            self.mask_head = MaskHead(channels, cfg.num_classes)

    def forward(self, features, proposals, sizes, targets=None) -> tuple[list[dict], dict]:
        if self.training:
            proposals, labels, regression_targets, matched = self.select_training_samples(proposals, targets)
        x = self.box_roi_pool(features, proposals, sizes)  # (K, 256, 7, 7)
        class_logits, box_regression = self.box_predictor(self.box_head(x))  # (K, C), (K, 4C)
        if self.training:
            losses = self.box_loss(class_logits, box_regression, torch.cat(labels), torch.cat(regression_targets))
            if self.cfg.masks:
                losses["loss_mask"] = self.mask_loss(features, proposals, labels, matched, targets, sizes)
            return [], losses
        detections = self.postprocess(class_logits, box_regression, proposals, sizes)
        if self.cfg.masks:
            crops = self.mask_roi_pool(features, [d["boxes"] for d in detections], sizes)  # (K, 256, 14, 14)
            logits = self.mask_head(crops)  # (K, C, 28, 28)
            labels = torch.cat([d["labels"] for d in detections])
            own = logits[torch.arange(len(labels), device=labels.device), labels]  # the predicted class's mask
            probs = torch.sigmoid(own)[:, None]  # (K, 1, 28, 28)
            for d, p in zip(detections, probs.split([len(d["labels"]) for d in detections])):
                d["masks"] = p
        return detections, {}

    def select_training_samples(self, proposals, targets):
        """Add the ground-truth boxes to the proposals, match (IoU ≥ 0.5 foreground, below background),
        sample 512 per image with ≤ 25 % foreground (Fast R-CNN §2.3), and encode the box targets."""
        cfg = self.cfg
        out_props, out_labels, out_targets, out_matched = [], [], [], []
        for props, t in zip(proposals, targets):
            props = torch.cat((props, t["boxes"].to(props)))
            matches = self.matcher(box_iou(t["boxes"], props))
            idx = matches.clamp(min=0)
            labels = t["labels"][idx] if len(t["boxes"]) else torch.zeros_like(matches)
            labels = labels.clone()
            labels[matches < 0] = 0  # background
            labels[matches == BETWEEN_THRESHOLDS] = -1
            pos, neg = sample_positive_negative(labels, cfg.box_batch_size_per_image, cfg.box_positive_fraction)
            keep = torch.nonzero(pos | neg).squeeze(1)
            props, labels, idx = props[keep], labels[keep], idx[keep]
            gt = t["boxes"][idx] if len(t["boxes"]) else torch.zeros_like(props)
            out_props.append(props)
            out_labels.append(labels)
            out_targets.append(self.box_coder.encode(gt, props))
            out_matched.append(idx)
        return out_props, out_labels, out_targets, out_matched

    def box_loss(self, class_logits, box_regression, labels, regression_targets) -> dict:
        """Fast R-CNN Eq. 1: cross-entropy over classes + smooth-L1 (β = 1/9) on the true class's deltas of
        foreground rois, normalised by all sampled rois."""
        classification = F.cross_entropy(class_logits, labels)
        pos = torch.nonzero(labels > 0).squeeze(1)
        deltas = box_regression.view(len(labels), -1, 4)[pos, labels[pos]]
        box = F.smooth_l1_loss(deltas, regression_targets[pos], beta=1 / 9, reduction="sum") / max(labels.numel(), 1)
        return {"loss_classifier": classification, "loss_box_reg": box}

    def mask_loss(self, features, proposals, labels, matched, targets, sizes) -> torch.Tensor:
        """Mask R-CNN §3, L_mask: per-pixel binary cross-entropy on the 28×28 mask of the ground-truth class
        only, for foreground rois; the target is the ground-truth mask cropped to the roi by RoIAlign."""
        pos_props, pos_labels, mask_targets = [], [], []
        for props, lab, idx, t in zip(proposals, labels, matched, targets):
            pos = torch.nonzero(lab > 0).squeeze(1)
            pos_props.append(props[pos])
            pos_labels.append(lab[pos])
            rois = torch.cat((idx[pos, None].to(props), props[pos]), dim=1)  # "batch index" = which gt mask
            mask_targets.append(roi_align(t["masks"][:, None].float(), rois, 28, 1.0, sampling_ratio=-1)[:, 0])
        logits = self.mask_head(self.mask_roi_pool(features, pos_props, sizes))  # (P, C, 28, 28)
        labels, mask_targets = torch.cat(pos_labels), torch.cat(mask_targets)
        if labels.numel() == 0:
            return logits.sum() * 0
        logits = logits[torch.arange(len(labels), device=labels.device), labels]
        return F.binary_cross_entropy_with_logits(logits, mask_targets)


# --------------------------------------------------------------------------- the detector


class FasterRCNN(nn.Module):
    """images → transform → ResNet-50-FPN → RPN proposals → RoI heads → detections in input pixels."""

    def __init__(self, cfg: FasterRCNNConfig = FASTER_RCNN_R50_FPN):
        super().__init__()
        self.cfg = cfg
        self.transform = DetectionTransform(cfg.min_size, cfg.max_size, cfg.image_mean, cfg.image_std, 32)
        self.backbone = ResNetFPN(returned=(1, 2, 3, 4), extra="pool", trainable_layers=cfg.trainable_layers)  # P2–P6
        self.rpn = RegionProposalNetwork(cfg, self.backbone.out_channels)
        self.roi_heads = RoIHeads(cfg, self.backbone.out_channels)

    def forward(self, images, targets: list[dict] | None = None):
        """`images`: (B, 3, H, W) or a list of (3, H, W), RGB in [0, 1]. See the module docstring for modes."""
        images = images_as_list(images)
        if self.training and targets is None:
            raise ValueError("a two-stage detector needs targets (boxes, labels[, masks]) in train mode")
        original_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        batch, sizes, targets = self.transform(images, targets)  # (B, 3, H', W') padded to /32
        features = self.backbone(batch)  # P2..P6: (B, 256, H'/4, W'/4) … (B, 256, H'/64, W'/64)
        proposals, rpn_losses = self.rpn(batch.shape[-2:], sizes, features, targets)  # [(≤1000, 4)] per image
        detections, roi_losses = self.roi_heads(features[:4], proposals, sizes, targets)  # RoIs pool from P2–P5 only
        if self.training:
            return {**rpn_losses, **roi_losses}
        return self.transform.postprocess(detections, sizes, original_sizes)


def example_image() -> torch.Tensor:
    return torch.rand(1, 3, 320, 320)  # (B, 3, H, W), RGB in [0, 1]: one small image, no resize at min_size 320


# --------------------------------------------------------------------------- cards

INPUT = "RGB images in [0, 1], a (B, 3, H, W) batch or a list of (3, H, W); example 1×3×320×320"
INPUT_ZH = "取值 [0, 1] 的 RGB 图像：(B, 3, H, W) 批次或 (3, H, W) 列表；示例为 1×3×320×320"
CONFIG_NOTE = (
    "torchvision v1 layout: ResNet-50 (frozen BatchNorm, conv3_x–conv5_x trainable) + FPN P2–P6, RPN with "
    "3 anchors per position (sizes 32–512, one per level), RoIAlign 7×7 (sampling 2), two 1024-d FC layers, "
    "91 classes. So that the CPU example stays cheap, images are resized to a short side of 320 (max 320) "
    "instead of 800 (max 1333) and the RPN keeps 300 proposals per image (the Faster R-CNN paper's test setting) "
    "instead of torchvision's 1000 — set min_size=800, max_size=1333, rpn_post_nms_top_n_test=1000 for the "
    "published setting. Score threshold 0.05, NMS 0.5 per class."
)
CONFIG_NOTE_ZH = (
    "torchvision v1 结构：ResNet-50（冻结 BatchNorm，conv3_x–conv5_x 可训练）+ FPN P2–P6；RPN 每个位置 3 个锚框"
    "（每层一种尺寸，32–512）；RoIAlign 7×7（每格采样 2×2）；两层 1024 维全连接；91 类。默认值与 torchvision 唯一的"
    "为了让 CPU 示例足够快：图像短边缩放到 320（长边至多 320）而非 800（至多 1333），RPN 每张图保留 300 个候选区域"
    "（Faster R-CNN 论文的测试设定）而非 torchvision 的 1000 个——设置 min_size=800、max_size=1333、"
    "rpn_post_nms_top_n_test=1000 即为参考实现的设定。得分阈值 0.05，按类别 NMS 阈值 0.5。"
)


@register_model(
    card=detection_card(
        key="fasterrcnn_resnet50_fpn",
        name="Faster R-CNN (ResNet-50-FPN)",
        family="R-CNN",
        year=2015,
        paper=Paper(
            "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal Networks",
            "https://arxiv.org/abs/1506.01497",
            authors="S. Ren, K. He, R. Girshick, J. Sun",
            venue="NeurIPS 2015",
        ),
        level="advanced",
        summary=(
            "A two-stage object detector. A small Region Proposal Network slides over the backbone's feature "
            "maps and scores a set of reference boxes (anchors) at every position; the best few hundred become "
            "proposals. A second head crops each proposal's features with RoIAlign and classifies it into one "
            "of the COCO classes or background, refining its box. With a Feature Pyramid Network both stages "
            "work on five scales at once. For years it was the accuracy reference for detection."
        ),
        scenarios=(
            "general object detection where accuracy matters more than frame rate",
            "a strong, well-understood baseline for detection research and fine-tuning on custom classes",
            "the base of two-stage extensions (Mask R-CNN, Cascade R-CNN, keypoint R-CNN)",
        ),
        strengths=(
            "accurate, especially on small and overlapping objects, thanks to proposals and FPN",
            "modular: backbone, RPN and heads can be swapped or extended with new heads",
            "mature training recipes and many fine-tuned variants",
        ),
        weaknesses=(
            "slower than single-stage detectors: a second stage runs per proposal",
            "many hand-set hyper-parameters (anchors, IoU thresholds, sampling, NMS)",
            "NMS post-processing is not differentiable and can drop heavily overlapping objects",
        ),
        params=Figure(41_755_286, "torchvision reference implementation (fasterrcnn_resnet50_fpn, 91 COCO classes)"),
        metric=coco_box_map(37.0, "FasterRCNN_ResNet50_FPN_Weights"),
        input=INPUT,
        input_zh=INPUT_ZH,
        config_note=CONFIG_NOTE,
        tags=("detection", "two-stage", "region proposal network", "anchors", "fpn", "roialign", "coco", "resnet"),
        zh={
            "summary": "两阶段目标检测器。一个小型区域建议网络（RPN）在骨干网络的特征图上滑动，为每个位置上的一组参考框"
            "（锚框）打分，得分最高的几百个成为候选区域；第二阶段用 RoIAlign 截取每个候选区域的特征，将其分类为某个 COCO "
            "类别或背景，并修正边框。配合特征金字塔网络（FPN），两个阶段同时在五个尺度上工作。多年来它一直是检测精度的标杆。",
            "scenarios": ["精度比帧率更重要的通用目标检测", "检测研究和自定义类别微调的强基线", "两阶段扩展模型（Mask R-CNN、Cascade R-CNN、关键点 R-CNN）的基础"],
            "strengths": ["借助候选区域和 FPN，检测精度高，尤其擅长小目标和相互重叠的目标", "模块化：骨干、RPN 和各个头部都可替换或扩展", "训练方案成熟，微调变体众多"],
            "weaknesses": ["比单阶段检测器慢：第二阶段要对每个候选区域运行", "手工设定的超参数多（锚框、IoU 阈值、采样、NMS）", "NMS 后处理不可微，且可能丢掉严重重叠的目标"],
            "config_note": CONFIG_NOTE_ZH,
        },
    ),
    example_input=example_image,
)
def fasterrcnn_resnet50_fpn(**overrides) -> FasterRCNN:
    return FasterRCNN(replace(FASTER_RCNN_R50_FPN, **overrides))


@register_model(
    card=detection_card(
        key="maskrcnn_resnet50_fpn",
        name="Mask R-CNN (ResNet-50-FPN)",
        family="R-CNN",
        year=2017,
        paper=Paper(
            "Mask R-CNN", "https://arxiv.org/abs/1703.06870", authors="K. He, G. Gkioxari, P. Dollár, R. Girshick",
            venue="ICCV 2017",
        ),
        level="advanced",
        masks=True,
        summary=(
            "Faster R-CNN with a third head that predicts a 28×28 mask for every detected object, turning the "
            "detector into an instance segmenter. The mask head is a small fully convolutional network run on "
            "each box's features, predicting one mask per class and using only the predicted class's mask. "
            "RoIAlign, introduced here, samples features at exact positions instead of rounding them, which is "
            "what makes pixel-accurate masks possible. torchvision's reference weights reach 37.9 box AP and "
            "34.6 mask AP on COCO."
        ),
        scenarios=(
            "instance segmentation: separating every person, car or cell in an image",
            "counting and measuring objects (area, shape) in microscopy, agriculture or industry",
            "a base for keypoint detection (human pose) and panoptic segmentation",
        ),
        strengths=(
            "boxes and masks from one network, with a small overhead over Faster R-CNN",
            "per-class sigmoid masks avoid competition between classes",
            "RoIAlign gives accurate alignment between features and pixels",
        ),
        weaknesses=(
            "masks are only 28×28 per object, so fine boundaries are blurred",
            "inherits the speed and hyper-parameter burden of two-stage detection",
            "training needs instance masks, which are expensive to annotate",
        ),
        params=Figure(44_401_393, "torchvision reference implementation (maskrcnn_resnet50_fpn, 91 COCO classes)"),
        metric=coco_box_map(37.9, "MaskRCNN_ResNet50_FPN_Weights"),
        input=INPUT,
        input_zh=INPUT_ZH,
        config_note=CONFIG_NOTE + " Mask head: four 3×3 convs at 14×14, 2× deconvolution, 28×28 mask per class; "
        "at most 20 detections (and masks) per image instead of torchvision's 100 (box_detections_per_img=100).",
        tags=("instance segmentation", "detection", "two-stage", "masks", "roialign", "fpn", "coco", "resnet"),
        zh={
            "summary": "在 Faster R-CNN 上增加第三个头，为每个检测到的物体预测一个 28×28 的掩码，使检测器变成实例分割器。"
            "掩码头是一个作用在每个框特征上的小型全卷积网络，为每个类别各预测一个掩码，只取预测类别的那一个。"
            "本文提出的 RoIAlign 在精确位置上采样特征而不做取整，这正是像素级精确掩码的关键。"
            "torchvision 参考权重在 COCO 上达到 37.9 框 AP 和 34.6 掩码 AP。",
            "scenarios": ["实例分割：把图像中的每个人、每辆车或每个细胞分开", "在显微镜、农业或工业场景中计数和测量物体（面积、形状）", "关键点检测（人体姿态）和全景分割的基础"],
            "strengths": ["一个网络同时给出框和掩码，比 Faster R-CNN 只多一点开销", "按类别的 sigmoid 掩码避免了类别之间的竞争", "RoIAlign 让特征与像素精确对齐"],
            "weaknesses": ["每个物体的掩码只有 28×28，细小边界会变模糊", "继承了两阶段检测的速度和超参数负担", "训练需要实例掩码标注，代价高"],
            "config_note": CONFIG_NOTE_ZH + " 掩码头：14×14 上四层 3×3 卷积、2 倍反卷积，每类输出 28×28 掩码；"
            "每张图至多 20 个检测结果（及掩码），torchvision 为 100 个（box_detections_per_img=100）。",
        },
    ),
    example_input=example_image,
)
def maskrcnn_resnet50_fpn(**overrides) -> FasterRCNN:
    return FasterRCNN(replace(MASK_RCNN_R50_FPN, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → name in torchvision's published COCO files (saved before torchvision renamed its FPN, RPN and
# mask-head convolutions; its loader still reads these names). FrozenBatchNorm has no batch counter.
DETECTION_TORCHVISION_NAMES = (
    (r"^backbone\.body\.stem\.0\.", "backbone.body.conv1."),
    (r"^backbone\.body\.stem\.1\.", "backbone.body.bn1."),
    (r"\.shortcut\.", ".downsample."),
    (r"^backbone\.fpn\.lateral\.", "backbone.fpn.inner_blocks."),
    (r"^backbone\.fpn\.smooth\.", "backbone.fpn.layer_blocks."),
    (r"^roi_heads\.mask_head\.convs\.(\d)\.", lambda m: f"roi_heads.mask_head.mask_fcn{int(m.group(1)) // 2 + 1}."),
    (r"^roi_heads\.mask_head\.deconv\.", "roi_heads.mask_predictor.conv5_mask."),
    (r"^roi_heads\.mask_head\.mask_logits\.", "roi_heads.mask_predictor.mask_fcn_logits."),
)
# A file whose backbone kept BatchNorm's batch counters: frozen norms have none (torchvision drops them too).
FROZEN_BN_COUNTERS = ("backbone.body.*num_batches_tracked",)

register_layout(
    Layout("torchvision", models=("fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), DETECTION_TORCHVISION_NAMES, ignore=FROZEN_BN_COUNTERS),
           rename=torchvision_v1_name,  # a current torchvision's names read as the v1 files'
           config=num_classes_from("roi_heads.box_predictor.cls_score.weight"),
           note="torchvision.models.detection fasterrcnn/maskrcnn_resnet50_fpn (v1) COCO files")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_coco-258fb6c6.pth", dataset="COCO train2017"))
register_checkpoint(torchvision_checkpoint("maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", dataset="COCO train2017"))
