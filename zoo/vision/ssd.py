"""SSD300 (VGG-16) and SSDLite320 (MobileNetV3-Large) — single-shot multibox detectors.

SSD — Liu, Anguelov, Erhan, Szegedy, Reed, Fu & Berg, "SSD: Single Shot MultiBox Detector" (ECCV 2016),
https://arxiv.org/abs/1512.02325.
One network pass, no proposals: a truncated VGG-16 is followed by extra conv layers that halve the
resolution, and a 3×3 conv on each of six maps (38², 19², 10², 5², 3², 1² for a 300×300 input, paper
Figure 2) predicts, for every cell and each of 4 or 6 "default boxes", softmax scores over the classes
(background included) and 4 box offsets. Large maps see small objects and small maps large ones; the
default boxes' scales grow linearly from 0.1 to 0.9 of the image (Eq. 4; torchvision's SSD300 uses the
Caffe model's 0.07, 0.15, … 1.05). Training matches each ground-truth box to its best default box and to
every box with IoU > 0.5, and keeps the hardest negatives at 3 per positive ("hard negative mining", §2.2).

The VGG-16 is modified as in the paper (§3 and the Caffe model): pool3 rounds up (ceil mode) so conv4_3 is
38×38; pool5 becomes 3×3 with stride 1; fc6 and fc7 become convolutions (fc6 a 3×3 conv with dilation 6,
the "atrous" trick that keeps the receptive field without the 7×7×512×4096 weight); conv4_3's features,
whose scale differs from the later layers, are L2-normalised per position and multiplied by a learned
per-channel scale initialised to 20 (ParseNet, Liu et al. 2015).

SSDLite — Sandler et al., "MobileNetV2" (CVPR 2018) §6.3 and Howard et al., "Searching for MobileNetV3"
(ICCV 2019) §6.2, https://arxiv.org/abs/1905.02244: SSD with every regular conv of the extra layers and
of the prediction heads replaced by a depthwise-separable one (depthwise 3×3 → pointwise 1×1), on a
MobileNetV3-Large whose first output is taken at the expansion layer of the C4 block (stride 16) and
second after the last 1×1 conv (stride 32). With no ImageNet backbone, torchvision builds the "reduced
tail" variant (V3 paper Table 6: the last stage at half width), which is what its COCO weights use.

Layer for layer torchvision's `ssd300_vgg16` and `ssdlite320_mobilenet_v3_large`, with their parameter
counts; post-processing in plain PyTorch (`_detection.py`).

Modes: eval → a list (one per image) of dicts `boxes`, `labels`, `scores`; train with targets (`boxes`,
`labels` per image) → {"bbox_regression": smooth-L1, "classification": cross-entropy with hard negative
mining}; train WITHOUT targets → the raw head outputs {"cls_logits": (B, N, K), "bbox_regression":
(B, N, 4)} over all N default boxes (so a caller can build its own loss and gradients flow).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Paper
from ..pretrained import BATCH_COUNTERS, KeyMap, Layout, register_checkpoint, register_layout, torchvision_checkpoint
from ..pretrained.layouts import ConfigReader
from ..registry import register_model
from ._detection import (
    BoxCoder,
    DefaultBoxGenerator,
    DetectionTransform,
    SSDMatcher,
    batched_nms_fixed_point,
    box_iou,
    clip_boxes_to_image,
    coco_box_map,
    detection_card,
    flatten_head_outputs,
    images_as_list,
)
from .mobilenet import V3_LARGE, MobileNetV3, _inverted_residual_indices
from .vgg import VGG16, make_features


@dataclass(frozen=True)
class SSDConfig:
    backbone: str = "vgg16"  # "vgg16" (SSD300) or "mobilenet_v3_large" (SSDLite320)
    num_classes: int = 91  # softmax over COCO's 91 ids, 0 = background
    size: int = 300  # every image is resized to size × size (the network's anchors assume it)
    image_mean: tuple[float, float, float] = (0.48235, 0.45882, 0.40784)  # Caffe VGG: pixels in [0, 255] minus the mean
    image_std: tuple[float, float, float] = (1 / 255, 1 / 255, 1 / 255)
    aspect_ratios: tuple[tuple[int, ...], ...] = ((2,), (2, 3), (2, 3), (2, 3), (2,), (2,))  # 4 or 6 boxes per cell
    scales: tuple[float, ...] | None = (0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05)
    steps: tuple[int, ...] | None = (8, 16, 32, 64, 100, 300)
    min_ratio: float = 0.15  # Eq. 4's s_min, s_max when `scales` is None
    max_ratio: float = 0.9
    iou_thresh: float = 0.5  # matching (§2.2)
    neg_to_pos_ratio: int = 3  # hard negative mining (§2.2)
    score_thresh: float = 0.01
    nms_thresh: float = 0.45
    detections_per_img: int = 200
    topk_candidates: int = 400  # per class, before NMS


SSD300_VGG16 = SSDConfig()
SSDLITE320_MOBILENET_V3_LARGE = SSDConfig(
    backbone="mobilenet_v3_large",
    size=320,
    image_mean=(0.5, 0.5, 0.5),  # [0, 1] → [-1, 1], the MobileNet input range
    image_std=(0.5, 0.5, 0.5),
    aspect_ratios=((2, 3),) * 6,
    scales=None,
    steps=None,
    min_ratio=0.2,
    max_ratio=0.95,
    score_thresh=0.001,
    nms_thresh=0.55,
    detections_per_img=300,
    topk_candidates=300,
)


# --------------------------------------------------------------------------- SSD300: modified VGG-16


class L2Norm(nn.Module):
    """ParseNet-style normalisation of conv4_3: each position's 512-vector to unit length, times a learned
    per-channel scale (initialised to 20, SSD §3.1 "Base network")."""

    def __init__(self, channels: int, scale: float = 20.0):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight.view(1, -1, 1, 1) * F.normalize(x, dim=1)


def xavier_(module: nn.Module) -> nn.Module:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return module


class VGG16Extractor(nn.Module):
    """Six maps for a 300×300 input: conv4_3 (38², L2-normalised), fc7 (19²), conv8_2 … conv11_2 (10², 5², 3², 1²)."""

    def __init__(self):
        super().__init__()
        vgg = make_features(VGG16)  # the 13 convs + ReLUs + 5 max-pools of VGG-16 (configuration D)
        for m in vgg.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(m.bias)
        pools = [i for i, m in enumerate(vgg) if isinstance(m, nn.MaxPool2d)]
        vgg[pools[2]].ceil_mode = True  # pool3: 75 → 38, not 37, so conv4_3 is 38×38 as in the paper
        self.conv4_3 = nn.Sequential(*vgg[: pools[3]])  # conv1_1 … conv4_3 + ReLU: (B, 512, 38, 38)
        self.l2norm = L2Norm(512)
        fc = xavier_(nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),  # pool5: 3×3 stride 1 instead of 2×2 stride 2
            nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6),  # fc6 as an atrous conv
            nn.ReLU(inplace=True),
            nn.Conv2d(1024, 1024, kernel_size=1),  # fc7
            nn.ReLU(inplace=True),
        ))

        def extra(cin: int, mid: int, cout: int, stride: int, padding: int) -> nn.Sequential:
            """1×1 reduction, then a 3×3 conv that shrinks the map (SSD Figure 2's "Extra Feature Layers")."""
            return xavier_(nn.Sequential(
                nn.Conv2d(cin, mid, 1), nn.ReLU(inplace=True),
                nn.Conv2d(mid, cout, 3, stride=stride, padding=padding), nn.ReLU(inplace=True),
            ))

        self.extra = nn.ModuleList([
            nn.Sequential(*vgg[pools[3] : pools[4]], fc),  # pool4, conv5_x, pool5, fc6, fc7: (B, 1024, 19, 19)
            extra(1024, 256, 512, 2, 1),  # conv8_2: (B, 512, 10, 10)
            extra(512, 128, 256, 2, 1),  # conv9_2: (B, 256, 5, 5)
            extra(256, 128, 256, 1, 0),  # conv10_2: (B, 256, 3, 3)
            extra(256, 128, 256, 1, 0),  # conv11_2: (B, 256, 1, 1)
        ])
        self.out_channels = (512, 1024, 512, 256, 256, 256)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.conv4_3(x)  # (B, 512, 38, 38)
        maps = [self.l2norm(x)]
        for block in self.extra:
            x = block(x)
            maps.append(x)
        return maps


class SSDHead(nn.Module):
    """One 3×3 conv per map for class scores (A·K) and one for box offsets (A·4) (SSD Figure 2)."""

    def __init__(self, channels: tuple[int, ...], anchors: list[int], num_classes: int):
        super().__init__()
        pairs = list(zip(channels, anchors))
        self.cls_logits = xavier_(nn.ModuleList(nn.Conv2d(c, a * num_classes, 3, padding=1) for c, a in pairs))
        self.bbox_regression = xavier_(nn.ModuleList(nn.Conv2d(c, a * 4, 3, padding=1) for c, a in pairs))
        self.num_classes = num_classes

    def forward(self, maps: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        cls = flatten_head_outputs([conv(m) for conv, m in zip(self.cls_logits, maps)], self.num_classes)  # (B, N, K)
        box = flatten_head_outputs([conv(m) for conv, m in zip(self.bbox_regression, maps)], 4)  # (B, N, 4)
        return cls, box


# --------------------------------------------------------------------------- SSDLite: MobileNetV3 + separable heads


def bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=0.001, momentum=0.03)  # torchvision's SSDLite BatchNorm settings


def conv_bn_relu6(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> nn.Sequential:
    conv = nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False)
    return nn.Sequential(conv, bn(cout), nn.ReLU6(inplace=True))


def separable_extra(cin: int, cout: int) -> nn.Sequential:
    """An SSDLite extra layer: 1×1 to half width, 3×3 depthwise stride 2, 1×1 to `cout` (MobileNetV2 §6.3)."""
    mid = cout // 2
    return nn.Sequential(
        conv_bn_relu6(cin, mid, 1),
        conv_bn_relu6(mid, mid, 3, stride=2, groups=mid),
        conv_bn_relu6(mid, cout, 1),
    )


def separable_predictor(cin: int, cout: int) -> nn.Sequential:
    """SSDLite's prediction layer: 3×3 depthwise + BN + ReLU6, then a 1×1 conv to the outputs."""
    return nn.Sequential(conv_bn_relu6(cin, cin, 3, groups=cin), nn.Conv2d(cin, cout, 1))


# MobileNetV3-Large with the "reduced tail" (V3 Table 6): the last stage at half width (160 → 80, 960 → 480).
V3_LARGE_REDUCED_TAIL = replace(
    V3_LARGE,
    setting=V3_LARGE.setting[:12]
    + ((5, 672, 80, True, "HS", 2), (5, 480, 80, True, "HS", 1), (5, 480, 80, True, "HS", 1)),
    bn_momentum=0.03,
)


class MobileNetV3Extractor(nn.Module):
    """Six maps for a 320×320 input: C4's expansion (672 ch, 20²), the last 1×1 conv (480 ch, 10²), and four
    separable extra layers (512, 256, 256, 128 ch at 5², 3², 2², 1²)."""

    def __init__(self):
        super().__init__()
        features = MobileNetV3(V3_LARGE_REDUCED_TAIL).features  # stem, 15 bnecks, last 1×1 conv
        c4 = 13  # the stride-2 bneck that starts the stride-32 stage
        block = features[c4]
        # Split C4 after its 1×1 expansion: the wide, stride-16 expansion output is the first detection map.
        self.stages = nn.ModuleList([
            nn.Sequential(*features[:c4], block.expand),  # (B, 672, 20, 20)
            nn.Sequential(block.depthwise, block.se, block.project, *features[c4 + 1 :]),  # (B, 480, 10, 10)
        ])
        self.extra = nn.ModuleList(
            [separable_extra(480, 512), separable_extra(512, 256), separable_extra(256, 256), separable_extra(256, 128)]
        )
        for m in self.modules():  # torchvision's init without an ImageNet backbone: N(0, 0.03²) for every conv
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.03)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self.out_channels = (672, 480, 512, 256, 256, 128)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        maps = []
        for block in list(self.stages) + list(self.extra):
            x = block(x)
            maps.append(x)
        return maps


class SSDLiteHead(SSDHead):
    def __init__(self, channels: tuple[int, ...], anchors: list[int], num_classes: int):
        nn.Module.__init__(self)
        self.cls_logits = nn.ModuleList(separable_predictor(c, a * num_classes) for c, a in zip(channels, anchors))
        self.bbox_regression = nn.ModuleList(separable_predictor(c, a * 4) for c, a in zip(channels, anchors))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0.0, 0.03)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self.num_classes = num_classes


# --------------------------------------------------------------------------- the detector


class SSDPostprocess(nn.Module):
    """Per class, the `topk_candidates` best boxes above `score_thresh`; NMS per class; keep the best
    `detections_per_img`. All classes at once: top-k along the box axis of the (N, K−1) score matrix.
    A module of its own (no parameters), so that graphs show it as one step."""

    def __init__(self, cfg: SSDConfig):
        super().__init__()
        self.cfg = cfg
        self.box_coder = BoxCoder((10.0, 10.0, 5.0, 5.0))

    def forward(self, cls_logits, bbox_regression, anchors, sizes) -> list[dict]:
        cfg = self.cfg
        scores = F.softmax(cls_logits, -1)[..., 1:]  # (B, N, K−1): background dropped
        out = []
        for s, deltas, size in zip(scores, bbox_regression, sizes):
            boxes = clip_boxes_to_image(self.box_coder.decode(deltas, anchors), size)  # (N, 4)
            top = s.topk(min(cfg.topk_candidates, len(s)), dim=0)  # values, indices: (k, K−1)
            keep = top.values > cfg.score_thresh
            box_idx = top.indices[keep]
            labels = torch.nonzero(keep)[:, 1] + 1  # column → class id (background was column 0)
            b, sc = boxes[box_idx], top.values[keep]
            k = batched_nms_fixed_point(b, sc, labels, cfg.nms_thresh)[: cfg.detections_per_img]
            out.append({"boxes": b[k], "labels": labels[k], "scores": sc[k]})
        return out


class SSD(nn.Module):
    def __init__(self, cfg: SSDConfig = SSD300_VGG16):
        super().__init__()
        self.cfg = cfg
        self.transform = DetectionTransform(cfg.size, cfg.size, cfg.image_mean, cfg.image_std, size_divisible=1,
                                            fixed_size=(cfg.size, cfg.size))
        self.anchor_generator = DefaultBoxGenerator(
            cfg.aspect_ratios, cfg.min_ratio, cfg.max_ratio, cfg.scales, cfg.steps
        )
        anchors = self.anchor_generator.num_anchors_per_location()
        if cfg.backbone == "vgg16":
            self.backbone = VGG16Extractor()
            self.head = SSDHead(self.backbone.out_channels, anchors, cfg.num_classes)
        else:
            self.backbone = MobileNetV3Extractor()
            self.head = SSDLiteHead(self.backbone.out_channels, anchors, cfg.num_classes)
        self.box_coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
        self.matcher = SSDMatcher(cfg.iou_thresh)
        self.postprocess = SSDPostprocess(cfg)

    def forward(self, images, targets: list[dict] | None = None):
        """`images`: (B, 3, H, W) or a list of (3, H, W), RGB in [0, 1]. See the module docstring for modes."""
        images = images_as_list(images)
        original_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        batch, sizes, targets = self.transform(images, targets)  # (B, 3, size, size)
        maps = self.backbone(batch)  # six maps, finest first
        cls_logits, bbox_regression = self.head(maps)  # (B, N, K), (B, N, 4)
        if self.training and targets is None:
            return {"cls_logits": cls_logits, "bbox_regression": bbox_regression}
        anchors = self.anchor_generator(batch.shape[-2:], [m.shape[-2:] for m in maps], batch.device)  # (N, 4)
        if self.training:
            return self.loss(cls_logits, bbox_regression, anchors, targets)
        detections = self.postprocess(cls_logits, bbox_regression, anchors, sizes)
        return self.transform.postprocess(detections, sizes, original_sizes)

    def loss(self, cls_logits, bbox_regression, anchors, targets) -> dict:
        """SSD Eq. 1: (L_conf + L_loc) / N over N matched default boxes; L_conf keeps every positive and the
        3·N_pos negatives with the highest loss per image (hard negative mining)."""
        box_losses, cls_targets, num_fg = [], [], 0
        for deltas, t in zip(bbox_regression, targets):
            matches = self.matcher(box_iou(t["boxes"], anchors))
            fg = torch.nonzero(matches >= 0).squeeze(1)
            num_fg += fg.numel()
            target = self.box_coder.encode(t["boxes"][matches[fg]], anchors[fg])
            box_losses.append(F.smooth_l1_loss(deltas[fg], target, reduction="sum"))
            labels = torch.zeros(len(anchors), dtype=torch.long, device=deltas.device)
            labels[fg] = t["labels"][matches[fg]]
            cls_targets.append(labels)
        cls_targets = torch.stack(cls_targets)  # (B, N)
        ce = F.cross_entropy(cls_logits.flatten(0, 1), cls_targets.flatten(), reduction="none").view_as(cls_targets)
        positive = cls_targets > 0
        num_neg = self.cfg.neg_to_pos_ratio * positive.sum(1, keepdim=True)  # (B, 1)
        negative_loss = ce.clone().detach()
        negative_loss[positive] = -float("inf")  # positives never count as negatives
        rank = negative_loss.argsort(1, descending=True).argsort(1)  # each box's rank by loss within its image
        hard_negative = rank < num_neg
        n = max(1, num_fg)
        return {
            "bbox_regression": sum(box_losses) / n,
            "classification": (ce[positive].sum() + ce[hard_negative].sum()) / n,
        }


def example_image_300() -> torch.Tensor:
    return torch.rand(1, 3, 300, 300)  # (B, 3, H, W), RGB in [0, 1]; any size is resized to 300×300


def example_images_320() -> torch.Tensor:
    # Two images: in train mode BatchNorm needs more than one value per channel, and SSDLite's last map is 1×1.
    return torch.rand(2, 3, 320, 320)


# --------------------------------------------------------------------------- cards

SSD_PAPER = Paper(
    "SSD: Single Shot MultiBox Detector",
    "https://arxiv.org/abs/1512.02325",
    authors="W. Liu, D. Anguelov, D. Erhan, C. Szegedy, S. Reed, C.-Y. Fu, A. C. Berg",
    venue="ECCV 2016",
)


@register_model(
    card=detection_card(
        key="ssd300_vgg16",
        name="SSD300 (VGG-16)",
        family="SSD",
        year=2016,
        paper=SSD_PAPER,
        level="advanced",
        summary=(
            "A single-shot detector: one pass of a modified VGG-16 plus extra convolution layers produces six "
            "feature maps from 38×38 down to 1×1, and a 3×3 convolution on each map predicts class scores and "
            "box offsets for a few default boxes at every cell. Fine maps catch small objects, coarse maps large "
            "ones. It was the first one-stage detector to rival Faster R-CNN's accuracy at real-time speed."
        ),
        scenarios=(
            "real-time detection on GPUs where a simple, fixed-size pipeline is convenient",
            "teaching multi-scale default boxes, matching and hard negative mining",
            "a baseline for one-stage detectors",
        ),
        strengths=(
            "one forward pass, fixed 300×300 input, easy to deploy",
            "multi-scale predictions from several feature maps without a feature pyramid",
            "simple training objective (matching, smooth-L1, hard negative mining)",
        ),
        weaknesses=(
            "weak on small objects: the finest map is only 38×38 at 300×300",
            "VGG-16 makes it heavy for its accuracy (~35M parameters, ~35 G multiply-adds)",
            "many default boxes and NMS post-processing",
        ),
        params=Figure(35_641_826, "torchvision reference implementation (ssd300_vgg16, 91 COCO classes)"),
        metric=coco_box_map(25.1, "SSD300_VGG16_Weights"),
        input=(
            "RGB images in [0, 1], a (B, 3, H, W) batch or a list of (3, H, W), resized to 300×300; "
            "example 1×3×300×300"
        ),
        input_zh="取值 [0, 1] 的 RGB 图像：(B, 3, H, W) 批次或 (3, H, W) 列表，内部缩放到 300×300；示例为 1×3×300×300",
        config_note=(
            "torchvision's ssd300_vgg16: VGG-16 to conv5_3 with ceil-mode pool3, 3×3/1 pool5, dilated fc6 and "
            "1×1 fc7 as convolutions, L2Norm (scale 20) on conv4_3, four extra layers; 4-6-6-6-4-4 default boxes "
            "per cell at scales 0.07…1.05 with steps 8…300 (8,732 boxes); 91 classes; score threshold 0.01, "
            "NMS 0.45, at most 200 detections (torchvision's defaults)."
        ),
        tags=("detection", "one-stage", "default boxes", "multi-scale", "vgg", "coco", "hard negative mining"),
        zh={
            "summary": "单次检测器：修改后的 VGG-16 加上额外卷积层只需一次前向传播，就产生从 38×38 到 1×1 的六张特征图；"
            "每张图上的 3×3 卷积为每个格子的几个默认框预测类别得分和边框偏移。细的特征图负责小物体，粗的负责大物体。"
            "它是第一个在实时速度下精度可与 Faster R-CNN 相当的单阶段检测器。",
            "scenarios": ["在 GPU 上需要简单、固定尺寸流程的实时检测", "讲解多尺度默认框、匹配和难负样本挖掘", "单阶段检测器的基线"],
            "strengths": ["一次前向传播、固定 300×300 输入，易于部署", "无需特征金字塔即可利用多张特征图进行多尺度预测", "训练目标简单（匹配、smooth-L1、难负样本挖掘）"],
            "weaknesses": ["对小物体较弱：300×300 输入时最细的特征图只有 38×38", "VGG-16 使其相对精度而言过重（约 3500 万参数、约 350 亿次乘加运算）", "默认框数量多，且需要 NMS 后处理"],
            "config_note": "torchvision 的 ssd300_vgg16：VGG-16 截至 conv5_3，pool3 向上取整，pool5 改为 3×3 步长 1，fc6（空洞率 6 的 3×3 卷积）"
            "和 fc7（1×1 卷积）改为卷积层，conv4_3 后接 L2Norm（初始缩放 20），另加四个额外层；每个格子 4-6-6-6-4-4 个默认框，"
            "尺度 0.07…1.05，步长 8…300（共 8732 个框）；91 类；得分阈值 0.01、NMS 0.45、每图至多 200 个检测结果（torchvision 默认值）。",
        },
    ),
    example_input=example_image_300,
)
def ssd300_vgg16(**overrides) -> SSD:
    return SSD(replace(SSD300_VGG16, **overrides))


@register_model(
    card=detection_card(
        key="ssdlite320_mobilenet_v3_large",
        name="SSDLite320 (MobileNetV3-Large)",
        family="SSD",
        year=2019,
        paper=Paper(
            "Searching for MobileNetV3",
            "https://arxiv.org/abs/1905.02244",
            authors="A. Howard, M. Sandler, G. Chu, L.-C. Chen, B. Chen, M. Tan, W. Wang, Y. Zhu, R. Pang, "
            "V. Vasudevan, Q. V. Le, H. Adam",
            venue="ICCV 2019",
        ),
        level="advanced",
        summary=(
            "SSD made for phones: the heavy VGG-16 is replaced by MobileNetV3-Large, and every ordinary convolution "
            "in the extra layers and prediction heads by a depthwise-separable one (SSDLite, from the MobileNetV2 "
            "paper). Detection maps start at the stride-16 expansion layer of MobileNetV3, followed by five coarser "
            "maps. About 3.4M parameters and 0.6 billion multiply-adds per 320×320 image."
        ),
        scenarios=(
            "object detection on phones, embedded boards and CPUs",
            "real-time detection in video where latency matters more than small-object recall",
            "a light detector to fine-tune on a few custom classes",
        ),
        strengths=(
            "tiny and fast: ~3.4M parameters, ~0.6 G multiply-adds per image",
            "separable convolutions cut the head's cost by an order of magnitude",
            "simple single-shot pipeline with a fixed 320×320 input",
        ),
        weaknesses=(
            "much less accurate than larger detectors (21.3 box AP on COCO)",
            "poor on small objects: the finest map is 20×20",
            "long training schedules are needed to reach the published accuracy",
        ),
        params=Figure(
            3_440_060, "torchvision reference implementation (ssdlite320_mobilenet_v3_large, 91 COCO classes)"
        ),
        metric=coco_box_map(21.3, "SSDLite320_MobileNet_V3_Large_Weights"),
        input=(
            "RGB images in [0, 1], a (B, 3, H, W) batch or a list of (3, H, W), resized to 320×320; "
            "example 2×3×320×320"
        ),
        input_zh="取值 [0, 1] 的 RGB 图像：(B, 3, H, W) 批次或 (3, H, W) 列表，内部缩放到 320×320；示例为 2×3×320×320",
        config_note=(
            "torchvision's ssdlite320_mobilenet_v3_large: MobileNetV3-Large with the reduced tail (last stage 80/480 "
            "channels), maps from C4's expansion (672 ch, stride 16) and the last 1×1 conv (480 ch), four "
            "separable extra layers (512, 256, 256, 128); 6 default boxes per cell, scales 0.2…0.95; separable "
            "heads; 91 classes; score threshold 0.001, NMS 0.55, at most 300 detections. The example is a batch "
            "of two images because in train mode BatchNorm on the final 1×1 map needs more than one value per channel."
        ),
        tags=("detection", "one-stage", "mobile", "ssdlite", "depthwise separable", "mobilenet", "coco"),
        zh={
            "summary": "为手机设计的 SSD：用 MobileNetV3-Large 替换沉重的 VGG-16，并把额外层和预测头中的普通卷积全部换成深度可分离卷积"
            "（SSDLite，出自 MobileNetV2 论文）。检测特征图从 MobileNetV3 步长 16 的扩展层开始，之后是五张更粗的特征图。"
            "约 340 万参数，每张 320×320 图像约 6 亿次乘加运算。",
            "scenarios": ["在手机、嵌入式板卡和 CPU 上做目标检测", "延迟比小目标召回更重要的视频实时检测", "针对少量自定义类别微调的轻量检测器"],
            "strengths": ["小而快：约 340 万参数、每张图约 6 亿次乘加运算", "可分离卷积把检测头的计算量降低一个数量级", "固定 320×320 输入的简单单次检测流程"],
            "weaknesses": ["精度远低于大型检测器（COCO 框 AP 21.3）", "小物体检测差：最细的特征图只有 20×20", "需要很长的训练周期才能达到公布的精度"],
            "config_note": "torchvision 的 ssdlite320_mobilenet_v3_large：采用“缩减尾部”的 MobileNetV3-Large（最后阶段 80/480 通道），"
            "特征图取自 C4 的扩展层（672 通道，步长 16）和最后的 1×1 卷积（480 通道），另有四个可分离额外层（512、256、256、128）；"
            "每个格子 6 个默认框，尺度 0.2…0.95；可分离预测头；91 类；得分阈值 0.001、NMS 0.55、每图至多 300 个检测结果。"
            "示例为两张图像组成的批次，因为训练模式下最后 1×1 特征图上的 BatchNorm 每个通道需要不止一个值。",
        },
    ),
    example_input=example_images_320,
)
def ssdlite320_mobilenet_v3_large(**overrides) -> SSD:
    return SSD(replace(SSDLITE320_MOBILENET_V3_LARGE, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# torchvision's SSDHead wraps each list of predictors in a `module_list`; the extra layers keep their names.
SSD_HEAD_TORCHVISION_NAMES = (
    (r"^head\.cls_logits\.", "head.classification_head.module_list."),
    (r"^head\.bbox_regression\.", "head.regression_head.module_list."),
)


def ssd_num_classes_from(name: str, cfg: SSDConfig) -> ConfigReader:
    """The class count of an SSD file: the first map's class predictor has (anchors per cell × classes) rows."""
    generator = DefaultBoxGenerator(cfg.aspect_ratios, cfg.min_ratio, cfg.max_ratio, cfg.scales, cfg.steps)
    anchors = generator.num_anchors_per_location()[0]

    def config(config, shapes) -> dict:
        return {"num_classes": shapes[name][0] // anchors} if name in shapes else {}

    return config


def torchvision_ssd300_map(model: SSD) -> KeyMap:
    """torchvision's SSDFeatureExtractorVGG: VGG-16 up to conv4_3 is `features`, its L2 norm scale `scale_weight`."""
    rules = (
        (r"^backbone\.conv4_3\.", "backbone.features."),
        (r"^backbone\.l2norm\.weight$", "backbone.scale_weight"),
        *SSD_HEAD_TORCHVISION_NAMES,
    )
    return KeyMap.by_rules(model.state_dict(), rules)


register_layout(
    Layout("torchvision", models=("ssd300_vgg16",), key_map=torchvision_ssd300_map,
           config=ssd_num_classes_from("head.classification_head.module_list.0.weight", SSD300_VGG16),
           note="torchvision.models.detection.ssd300_vgg16 COCO files")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("ssd300_vgg16", "ssd300_vgg16_coco-b556d3b4.pth", dataset="COCO train2017"))

# SSDLite's C4 block is split after its expansion: torchvision's `features.0` ends with that expansion, and
# `features.1.0` is the rest of the block as a Sequential numbered as the whole block was (depthwise 1, SE 2,
# projection 3); the zoo's stage 1 starts with those three parts, then the later blocks.
C4_REST = 3


def torchvision_ssdlite_map(model: SSD) -> KeyMap:
    names = list(model.state_dict())
    index = _inverted_residual_indices(names, ("expand", "depthwise", "se", "project"))
    rules = (
        (r"^(backbone\.stages\.\d+\.\d+)\.(expand|depthwise|se|project)\.",
         lambda m: f"{m.group(1)}.block.{index[m.group(1), m.group(2)]}."),
        (r"^backbone\.stages\.0\.", "backbone.features.0."),
        (r"^backbone\.stages\.1\.(\d+)\.", lambda m: (
            f"backbone.features.1.0.{int(m.group(1)) + 1}." if int(m.group(1)) < C4_REST
            else f"backbone.features.1.{int(m.group(1)) - C4_REST + 1}.")),
        *SSD_HEAD_TORCHVISION_NAMES,
    )  # fmt: skip
    return KeyMap.by_rules(names, rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=("ssdlite320_mobilenet_v3_large",), key_map=torchvision_ssdlite_map,
           config=ssd_num_classes_from("head.classification_head.module_list.0.1.weight",  # separable: its 1×1
                                       SSDLITE320_MOBILENET_V3_LARGE),
           note="torchvision.models.detection.ssdlite320_mobilenet_v3_large COCO files")
)  # fmt: skip
register_checkpoint(
    torchvision_checkpoint("ssdlite320_mobilenet_v3_large", "ssdlite320_mobilenet_v3_large_coco-a79551df.pth",
                           dataset="COCO train2017")
)  # fmt: skip
