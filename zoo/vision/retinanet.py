"""RetinaNet — Lin, Goyal, Girshick, He & Dollár, "Focal Loss for Dense Object Detection" (ICCV 2017).
https://arxiv.org/abs/1708.02002

Why were one-stage detectors (SSD, YOLO) less accurate than two-stage ones? The paper's answer: class
imbalance. A dense detector scores ~100k anchors per image, nearly all easy background, and their many
small cross-entropy losses drown the few informative ones. Two-stage detectors dodge this with proposals
and sampling. The focal loss (Eq. 5)

    FL(p_t) = −α_t (1 − p_t)^γ log(p_t),   γ = 2, α = 0.25

scales each anchor's loss down by (1 − p_t)^γ as it becomes well classified, so training concentrates
on hard examples without any sampling. RetinaNet itself is deliberately plain (Figure 3): a ResNet-FPN
with levels P3–P7 (P6, P7 by strided 3×3 convs), 9 anchors per position (3 scales 2^{0, 1/3, 2/3} × 3
aspect ratios, areas 32² … 512²), and two small FCN subnets shared across levels — four 3×3 convs each,
then K·A sigmoid class scores or 4·A box deltas. The classifier's last bias starts at −log((1 − π)/π),
π = 0.01 (§4.1, "Initialization"), so every anchor begins as confident background and the loss of the
first iterations is not dominated by the background.

Layer for layer torchvision's `retinanet_resnet50_fpn` (v1), with its parameter count; post-processing in
plain PyTorch (`_detection.py`).

Modes: eval → a list (one per image) of dicts `boxes`, `labels`, `scores`; train with targets (`boxes`,
`labels` per image) → {"classification": focal loss, "bbox_regression": L1 loss}; train WITHOUT targets
→ the raw head outputs {"cls_logits": (B, N, K), "bbox_regression": (B, N, 4)} over all N anchors (so a
caller can build its own loss and gradients flow).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Paper
from ..pretrained import KeyMap, Layout, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._detection import (
    BETWEEN_THRESHOLDS,
    AnchorGenerator,
    BoxCoder,
    DetectionTransform,
    Matcher,
    batched_nms_fixed_point,
    box_iou,
    clip_boxes_to_image,
    coco_box_map,
    conv_relu_stack,
    detection_card,
    flatten_head_outputs,
    images_as_list,
    sigmoid_focal_loss,
)
from ._fpn import ResNetFPN, torchvision_v1_name


@dataclass(frozen=True)
class RetinaNetConfig:
    num_classes: int = 91  # sigmoid per class, no background logit (torchvision keeps COCO's 91 ids)
    trainable_layers: int = 3
    min_size: int = 320  # torchvision: 800 (short side) / 1333 (long side); 320 keeps the CPU example cheap
    max_size: int = 320
    image_mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    image_std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    anchor_base_sizes: tuple[int, ...] = (32, 64, 128, 256, 512)  # P3..P7, areas 32² … 512² (§4)
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)
    prior: float = 0.01  # π of §4.1: initial foreground probability of every anchor
    fg_iou_thresh: float = 0.5  # anchors with IoU ≥ 0.5 are foreground, < 0.4 background, between ignored (§4)
    bg_iou_thresh: float = 0.4
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    # Inference (§4, "Inference"): per level the `topk_candidates` best scores above `score_thresh`,
    # then class-wise NMS at 0.5. torchvision's score_thresh is 0.05; the zoo's default 0 keeps the untrained
    # model's boxes (its scores all start at π = 0.01) so the post-processing always has something to show.
    score_thresh: float = 0.0
    nms_thresh: float = 0.5
    detections_per_img: int = 300
    topk_candidates: int = 1000


RETINANET_R50_FPN = RetinaNetConfig()


def anchor_sizes(base: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """Three scales per level, 2^0, 2^(1/3), 2^(2/3) of the base size, truncated to whole pixels."""
    return tuple((s, int(s * 2 ** (1 / 3)), int(s * 2 ** (2 / 3))) for s in base)


class ClassificationSubnet(nn.Module):
    """§4 "Classification Subnet": four 3×3 conv + ReLU layers, then K·A logits per position."""

    def __init__(self, channels: int, num_anchors: int, num_classes: int, prior: float):
        super().__init__()
        self.convs = conv_relu_stack(channels, 4)
        self.cls_logits = nn.Conv2d(channels, num_anchors * num_classes, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior) / prior))  # sigmoid(b) = π
        self.num_classes = num_classes

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return flatten_head_outputs([self.cls_logits(self.convs(f)) for f in features], self.num_classes)  # (B, N, K)


class BoxSubnet(nn.Module):
    """§4 "Box Regression Subnet": same shape as the classifier, 4·A class-agnostic deltas per position."""

    def __init__(self, channels: int, num_anchors: int):
        super().__init__()
        self.convs = conv_relu_stack(channels, 4)
        self.bbox_reg = nn.Conv2d(channels, num_anchors * 4, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        return flatten_head_outputs([self.bbox_reg(self.convs(f)) for f in features], 4)  # (B, N, 4)


class RetinaNetPostprocess(nn.Module):
    """§4 "Inference": on each level the `topk_candidates` best (anchor, class) scores above `score_thresh`,
    their boxes decoded and clipped; then NMS per class at 0.5 over all levels and the `detections_per_img`
    best. A module of its own (no parameters), so that graphs show it as one step."""

    def __init__(self, cfg: RetinaNetConfig):
        super().__init__()
        self.cfg = cfg
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))

    def forward(self, cls_logits, bbox_regression, anchors, per_level, sizes) -> list[dict]:
        cfg = self.cfg
        k = cls_logits.shape[-1]
        out = []
        for logits, deltas, size in zip(cls_logits, bbox_regression, sizes):
            boxes_all, scores_all, labels_all = [], [], []
            for lg, dl, an in zip(logits.split(per_level), deltas.split(per_level), anchors.split(per_level)):
                scores = torch.sigmoid(lg).flatten()  # (n·K,) one score per (anchor, class)
                idx = torch.nonzero(scores > cfg.score_thresh).squeeze(1)
                top = scores[idx].topk(min(cfg.topk_candidates, idx.numel()))
                idx = idx[top.indices]
                anchor_idx, label = idx // k, idx % k
                boxes_all.append(clip_boxes_to_image(self.box_coder.decode(dl[anchor_idx], an[anchor_idx]), size))
                scores_all.append(top.values)
                labels_all.append(label)
            boxes, scores, labels = torch.cat(boxes_all), torch.cat(scores_all), torch.cat(labels_all)
            keep = batched_nms_fixed_point(boxes, scores, labels, cfg.nms_thresh)[: cfg.detections_per_img]
            out.append({"boxes": boxes[keep], "labels": labels[keep], "scores": scores[keep]})
        return out


class RetinaNet(nn.Module):
    def __init__(self, cfg: RetinaNetConfig = RETINANET_R50_FPN):
        super().__init__()
        self.cfg = cfg
        self.transform = DetectionTransform(cfg.min_size, cfg.max_size, cfg.image_mean, cfg.image_std, 32)
        # P3–P5 from conv3_x..conv5_x (P2 would add too many anchors, §4), P6/P7 by strided convs on P5.
        self.backbone = ResNetFPN(returned=(2, 3, 4), extra="p6p7", trainable_layers=cfg.trainable_layers)
        sizes = anchor_sizes(cfg.anchor_base_sizes)
        self.anchor_generator = AnchorGenerator(sizes, (cfg.aspect_ratios,) * len(sizes))
        a = self.anchor_generator.num_anchors_per_location()[0]  # 9
        self.classification_head = ClassificationSubnet(self.backbone.out_channels, a, cfg.num_classes, cfg.prior)
        self.regression_head = BoxSubnet(self.backbone.out_channels, a)
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
        self.matcher = Matcher(cfg.fg_iou_thresh, cfg.bg_iou_thresh, allow_low_quality_matches=True)
        self.postprocess = RetinaNetPostprocess(cfg)

    def forward(self, images, targets: list[dict] | None = None):
        """`images`: (B, 3, H, W) or a list of (3, H, W), RGB in [0, 1]. See the module docstring for modes."""
        images = images_as_list(images)
        original_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        batch, sizes, targets = self.transform(images, targets)
        features = self.backbone(batch)  # P3..P7: (B, 256, H/8, W/8) … (B, 256, H/128, W/128)
        cls_logits = self.classification_head(features)  # (B, N, K), N = Σ H·W·9
        bbox_regression = self.regression_head(features)  # (B, N, 4)
        if self.training and targets is None:
            return {"cls_logits": cls_logits, "bbox_regression": bbox_regression}
        anchors = self.anchor_generator(batch.shape[-2:], [f.shape[-2:] for f in features], batch.device)  # (N, 4)
        if self.training:
            return self.loss(cls_logits, bbox_regression, anchors, targets)
        per_level = [f.shape[-2] * f.shape[-1] * self.anchor_generator.num_anchors_per_location()[0] for f in features]
        detections = self.postprocess(cls_logits, bbox_regression, anchors, per_level, sizes)
        return self.transform.postprocess(detections, sizes, original_sizes)

    def loss(self, cls_logits, bbox_regression, anchors, targets) -> dict:
        """Focal loss over all non-ignored anchors and L1 on the foreground deltas, each normalised by the
        number of foreground anchors (§4.1: "normalized by the number of anchors assigned to a ground-truth
        box"), averaged over images."""
        cls_losses, box_losses = [], []
        for logits, deltas, t in zip(cls_logits, bbox_regression, targets):
            matches = self.matcher(box_iou(t["boxes"], anchors))  # (N,)
            fg = matches >= 0
            n_fg = max(int(fg.sum()), 1)
            onehot = torch.zeros_like(logits)
            onehot[fg, t["labels"][matches[fg]]] = 1.0
            valid = matches != BETWEEN_THRESHOLDS
            focal = sigmoid_focal_loss(logits[valid], onehot[valid], self.cfg.focal_alpha, self.cfg.focal_gamma)
            cls_losses.append(focal / n_fg)
            target = self.box_coder.encode(t["boxes"][matches[fg]], anchors[fg])
            box_losses.append(F.l1_loss(deltas[fg], target, reduction="sum") / n_fg)
        return {"classification": sum(cls_losses) / len(targets), "bbox_regression": sum(box_losses) / len(targets)}


def example_image() -> torch.Tensor:
    return torch.rand(1, 3, 320, 320)  # (B, 3, H, W), RGB in [0, 1]


CONFIG_NOTE = (
    "torchvision v1 layout: ResNet-50 (frozen BatchNorm, conv3_x–conv5_x trainable) + FPN P3–P7 (P6, P7 from P5), "
    "9 anchors per position (sizes 32–512 × 2^{0,1/3,2/3}, ratios 0.5/1/2), two 4-conv subnets, 91 sigmoid classes, "
    "prior π = 0.01. CPU-friendly defaults: images resized to 320 (torchvision 800, max 1333) and score threshold 0 "
    "(torchvision 0.05) so that the untrained model, whose scores all start at 0.01, still returns its top boxes; "
    "set min_size=800, max_size=1333, score_thresh=0.05 for the published setting."
)
CONFIG_NOTE_ZH = (
    "torchvision v1 结构：ResNet-50（冻结 BatchNorm，conv3_x–conv5_x 可训练）+ FPN P3–P7（P6、P7 由 P5 计算）；"
    "每个位置 9 个锚框（尺寸 32–512 × 2^{0,1/3,2/3}，宽高比 0.5/1/2）；两个各含 4 层卷积的子网络；91 个 sigmoid 类别；"
    "先验 π = 0.01。为适合 CPU 的默认值：图像缩放到 320（torchvision 为 800，至多 1333），得分阈值为 0（torchvision 为 0.05），"
    "这样所有得分初始都为 0.01 的未训练模型也能给出得分最高的框；设置 min_size=800、max_size=1333、score_thresh=0.05 即为参考设定。"
)


@register_model(
    card=detection_card(
        key="retinanet_resnet50_fpn",
        name="RetinaNet (ResNet-50-FPN)",
        family="RetinaNet",
        year=2017,
        paper=Paper(
            "Focal Loss for Dense Object Detection",
            "https://arxiv.org/abs/1708.02002",
            authors="T.-Y. Lin, P. Goyal, R. Girshick, K. He, P. Dollár",
            venue="ICCV 2017",
        ),
        level="advanced",
        summary=(
            "A one-stage detector that classifies and regresses a dense grid of anchor boxes on every level of a "
            "feature pyramid, with no proposal stage. Its contribution is the focal loss: a cross-entropy that "
            "shrinks the loss of anchors already classified well, so the ~100,000 easy background anchors per image "
            "stop drowning out the few objects. With it, a simple one-stage design matched two-stage accuracy."
        ),
        scenarios=(
            "object detection where a single-stage pipeline is preferred (simpler deployment, steady latency)",
            "dense prediction problems with heavy class imbalance, e.g. small objects in aerial or medical images",
            "a baseline for anchor-based one-stage detectors and for studying the focal loss",
        ),
        strengths=(
            "one stage, no proposals or sampling, yet accurate thanks to the focal loss",
            "the focal loss is a drop-in idea reused far beyond detection",
            "shared heads across pyramid levels keep the parameter count moderate",
        ),
        weaknesses=(
            "the dense heads on five levels are heavy: more FLOPs than torchvision's Faster R-CNN for slightly lower AP",
            "still relies on anchors, IoU thresholds and NMS",
            "sigmoid scores per class need a tuned threshold and many candidates before NMS",
        ),
        params=Figure(34_014_999, "torchvision reference implementation (retinanet_resnet50_fpn, 91 COCO classes)"),
        metric=coco_box_map(36.4, "RetinaNet_ResNet50_FPN_Weights"),
        input="RGB images in [0, 1], a (B, 3, H, W) batch or a list of (3, H, W); example 1×3×320×320",
        input_zh="取值 [0, 1] 的 RGB 图像：(B, 3, H, W) 批次或 (3, H, W) 列表；示例为 1×3×320×320",
        config_note=CONFIG_NOTE,
        tags=("detection", "one-stage", "focal loss", "anchors", "fpn", "coco", "resnet"),
        zh={
            "summary": "单阶段检测器：在特征金字塔的每一层上对密集的锚框网格直接分类和回归，不需要候选区域阶段。"
            "它的贡献是焦点损失（focal loss）：对已经分得很好的锚框缩小其损失，使每张图上约 10 万个简单背景锚框"
            "不再淹没少数真正的目标。借助它，简单的单阶段设计达到了两阶段检测器的精度。",
            "scenarios": ["希望使用单阶段流程的目标检测（部署更简单、延迟稳定）", "类别极不平衡的密集预测问题，例如航拍或医学图像中的小目标", "基于锚框的单阶段检测器的基线，以及研究焦点损失"],
            "strengths": ["单阶段、无需候选区域和采样，却因焦点损失而精度高", "焦点损失是可直接套用的思想，被广泛用于检测以外的任务", "各金字塔层共享头部，参数量适中"],
            "weaknesses": ["五个层级上的密集头部计算量大：在 torchvision 中计算量比 Faster R-CNN 更大，AP 却略低", "仍依赖锚框、IoU 阈值和 NMS", "按类别的 sigmoid 得分需要调好阈值，并在 NMS 前保留大量候选"],
            "config_note": CONFIG_NOTE_ZH,
        },
    ),
    example_input=example_image,
)
def retinanet_resnet50_fpn(**overrides) -> RetinaNet:
    return RetinaNet(replace(RETINANET_R50_FPN, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → name in torchvision's published COCO file: its heads sit under `head.` and their conv stacks are
# called `conv`; the FPN is named as in Faster R-CNN's file, with p6/p7 as `extra_blocks`.
RETINANET_TORCHVISION_NAMES = (
    (r"^backbone\.body\.stem\.0\.", "backbone.body.conv1."),
    (r"^backbone\.body\.stem\.1\.", "backbone.body.bn1."),
    (r"\.shortcut\.", ".downsample."),
    (r"^backbone\.fpn\.lateral\.", "backbone.fpn.inner_blocks."),
    (r"^backbone\.fpn\.smooth\.", "backbone.fpn.layer_blocks."),
    (r"^backbone\.fpn\.extra\.", "backbone.fpn.extra_blocks."),
    (r"^(classification|regression)_head\.convs\.", lambda m: f"head.{m.group(1)}_head.conv."),
    (r"^(classification|regression)_head\.", lambda m: f"head.{m.group(1)}_head."),
)

FROZEN_BN_COUNTERS = ("backbone.body.*num_batches_tracked",)  # as in faster_rcnn.py: frozen norms have none


def _retinanet_classes(config, shapes) -> dict:
    """Classes = class-logit rows / anchors per place, and anchors = box-regression rows / 4."""
    cls, box = "head.classification_head.cls_logits.weight", "head.regression_head.bbox_reg.weight"
    if cls not in shapes or box not in shapes:
        return {}
    return {"num_classes": shapes[cls][0] // (shapes[box][0] // 4)}


register_layout(
    Layout("torchvision", models=("retinanet_resnet50_fpn",),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), RETINANET_TORCHVISION_NAMES, ignore=FROZEN_BN_COUNTERS),
           rename=torchvision_v1_name,  # a current torchvision's names read as the v1 files'
           config=_retinanet_classes, note="torchvision.models.detection.retinanet_resnet50_fpn (v1) COCO file")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("retinanet_resnet50_fpn", "retinanet_resnet50_fpn_coco-eeacb38b.pth", dataset="COCO train2017"))
