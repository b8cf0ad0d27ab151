"""YOLOv8 — Ultralytics (Jocher, Chaurasia & Qiu), released January 2023, no paper.
https://github.com/ultralytics/ultralytics (architecture described in the docs:
https://docs.ultralytics.com/models/yolov8/)

A one-stage detector: one forward pass of a CNN predicts every box at once, on three feature maps
of stride 8, 16 and 32 (small, medium and large objects). YOLOv8 keeps YOLOv5's outline — a CSP
backbone, SPPF, a PANet neck that passes features top-down then bottom-up — and changes three things:

1. **C2f blocks** instead of C3: the output of every bottleneck in the block is concatenated, not just
   the last one (more paths for the gradient, the idea of ELAN in YOLOv7).
2. **Anchor-free, decoupled head**: each cell of each map is one candidate, with no prior box shapes.
   A box branch and a classification branch (two 3×3 convs each) are kept apart, because locating
   and naming want different features (YOLOX, Ge et al. 2021).
3. **Distribution Focal Loss boxes** (Li et al., Generalized Focal Loss, NeurIPS 2020): the distance
   from the cell centre to each side (left, top, right, bottom) is not regressed as one number; the
   head predicts a distribution over `reg_max` = 16 bins (0, 1, …, 15 strides) and the distance is its
   expectation, d = Σᵢ i · softmax(logits)ᵢ (the fixed 1×1 conv `DFL`). A blurry edge can then be
   expressed as a spread-out distribution.

Class scores are independent sigmoids (no objectness). The size letters n/s/m/l/x only scale depth and
width of one layout; `yolov8n` is depth 0.33, width 0.25 (channels 16-32-64-128-256), 80 COCO classes.

Training (`model.train()`) returns the raw head maps, as Ultralytics does; the task-aligned assigner and
the losses (BCE, CIoU, DFL) live in the training recipe `zoo.train.find_digits`. Evaluation returns the
boxes after confidence threshold and NMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..weights import Weights, register_weights
from ._yolo import C2f, SPPF, Conv, Detections, grid_points, scaled_depth, scaled_width


@dataclass(frozen=True)
class YOLOv8Config:
    depth: float = 0.33  # depth multiplier: C2f of nominal n bottlenecks get max(round(n·depth), 1)
    width: float = 0.25  # width multiplier on channels 64-128-256-512-1024
    max_channels: int = 1024  # cap before the width multiplier (matters for l/x only)
    num_classes: int = 80  # COCO
    in_channels: int = 3
    reg_max: int = 16  # DFL bins per box side
    conf_threshold: float = 0.25  # eval: Ultralytics' predict defaults
    iou_threshold: float = 0.7
    max_det: int = 300
    pre_nms_top_k: int = 1000  # best candidates that go into NMS (torchvision's RetinaNet/FCOS keep 1000)


YOLOV8N = YOLOv8Config()
STRIDES = (8, 16, 32)  # P3, P4, P5


class DFL(nn.Module):
    """Distribution Focal Loss decoding: (B, 4·R, A) bin logits → (B, 4, A) expected distances (in strides).

    A frozen 1×1 conv whose weights are 0, 1, …, R-1 computes Σᵢ i·pᵢ over each side's softmax — how
    Ultralytics writes it, and why its parameter count includes these R untrained weights."""

    def __init__(self, reg_max: int = 16):
        super().__init__()
        self.reg_max = reg_max
        self.conv = nn.Conv2d(reg_max, 1, 1, bias=False).requires_grad_(False)
        with torch.no_grad():
            self.conv.weight.copy_(torch.arange(reg_max, dtype=torch.float32).view(1, reg_max, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, a = x.shape
        p = x.view(b, 4, self.reg_max, a).transpose(2, 1).softmax(1)  # (B, R, 4, A): a distribution per side
        return self.conv(p).view(b, 4, a)  # (B, 4, A): Σ i·pᵢ


class Detect(nn.Module):
    """The decoupled, anchor-free head: per level a box branch (→ 4·reg_max DFL logits) and a class
    branch (→ num_classes logits), both two 3×3 Convs then a 1×1 conv with bias."""

    def __init__(self, num_classes: int, channels: tuple[int, ...], reg_max: int = 16):
        super().__init__()
        self.nc, self.reg_max, self.no = num_classes, reg_max, num_classes + 4 * reg_max
        c_box = max(16, channels[0] // 4, reg_max * 4)
        c_cls = max(channels[0], min(num_classes, 100))
        self.box = nn.ModuleList(  # Ultralytics' cv2
            nn.Sequential(Conv(c, c_box, 3), Conv(c_box, c_box, 3), nn.Conv2d(c_box, 4 * reg_max, 1)) for c in channels
        )
        self.cls = nn.ModuleList(  # Ultralytics' cv3
            nn.Sequential(Conv(c, c_cls, 3), Conv(c_cls, c_cls, 3), nn.Conv2d(c_cls, num_classes, 1)) for c in channels
        )
        self.dfl = DFL(reg_max)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        # each level: (B, 4·reg_max + nc, H/s, W/s) — box logits first, then class logits
        return [torch.cat((b(x), c(x)), 1) for x, b, c in zip(feats, self.box, self.cls)]

    def decode(self, raw: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw maps → boxes (B, A, 4) x1 y1 x2 y2 in input pixels and class scores (B, A, nc) in [0, 1];
        A = Σ H·W over the levels, anchors are the cell centres."""
        points = torch.cat([grid_points(x.shape[2], x.shape[3], 1.0, 0.5, x) for x in raw])  # (A, 2) grid units
        strides = torch.cat([x.new_full((x.shape[2] * x.shape[3], 1), float(s)) for x, s in zip(raw, STRIDES)])
        flat = torch.cat([x.flatten(2) for x in raw], 2)  # (B, no, A)
        box_logits, cls_logits = flat.split((4 * self.reg_max, self.nc), 1)
        dist = self.dfl(box_logits).transpose(1, 2)  # (B, A, 4): left, top, right, bottom in strides
        boxes = torch.cat((points - dist[..., :2], points + dist[..., 2:]), -1) * strides  # (B, A, 4) px
        return boxes, cls_logits.sigmoid().transpose(1, 2)

    @torch.no_grad()
    def init_biases(self, image_size: int = 640) -> None:
        """The prior Ultralytics gives the last convs before training: box logits start at 1 (a flat
        distribution), and class logits at log(5 / nc / cells) — about 5 objects per image, so the
        sigmoid losses do not start swamped by the thousands of empty cells (RetinaNet's prior, §4.1)."""
        for b, c, s in zip(self.box, self.cls, STRIDES):
            b[-1].bias.fill_(1.0)
            c[-1].bias.fill_(math.log(5 / self.nc / (image_size / s) ** 2))


class YOLOv8(nn.Module):
    def __init__(self, cfg: YOLOv8Config = YOLOV8N):
        super().__init__()
        self.cfg = cfg

        def w(c: int) -> int:
            return scaled_width(c, cfg.width, cfg.max_channels)

        def d(n: int) -> int:
            return scaled_depth(n, cfg.depth)

        # Backbone (yolov8.yaml layers 0–9); shapes for width 0.25 and a 320×320 input.
        self.stem = Conv(cfg.in_channels, w(64), 3, 2)  # 0: (B, 16, 160, 160) P1/2
        self.down2 = Conv(w(64), w(128), 3, 2)  # 1: (B, 32, 80, 80) P2/4
        self.stage2 = C2f(w(128), w(128), d(3), shortcut=True)  # 2
        self.down3 = Conv(w(128), w(256), 3, 2)  # 3: (B, 64, 40, 40) P3/8
        self.stage3 = C2f(w(256), w(256), d(6), shortcut=True)  # 4
        self.down4 = Conv(w(256), w(512), 3, 2)  # 5: (B, 128, 20, 20) P4/16
        self.stage4 = C2f(w(512), w(512), d(6), shortcut=True)  # 6
        self.down5 = Conv(w(512), w(1024), 3, 2)  # 7: (B, 256, 10, 10) P5/32
        self.stage5 = C2f(w(1024), w(1024), d(3), shortcut=True)  # 8
        self.sppf = SPPF(w(1024), w(1024), 5)  # 9
        # PANet neck (layers 10–21): top-down (upsample + concat) then bottom-up (strided conv + concat).
        self.up = nn.Upsample(scale_factor=2, mode="nearest")  # 10, 13
        self.top_down4 = C2f(w(1024) + w(512), w(512), d(3))  # 12: (B, 128, 20, 20)
        self.top_down3 = C2f(w(512) + w(256), w(256), d(3))  # 15: (B, 64, 40, 40) → P3 out
        self.down_p3 = Conv(w(256), w(256), 3, 2)  # 16
        self.bottom_up4 = C2f(w(256) + w(512), w(512), d(3))  # 18: (B, 128, 20, 20) → P4 out
        self.down_p4 = Conv(w(512), w(512), 3, 2)  # 19
        self.bottom_up5 = C2f(w(512) + w(1024), w(1024), d(3))  # 21: (B, 256, 10, 10) → P5 out
        self.detect = Detect(cfg.num_classes, (w(256), w(512), w(1024)), cfg.reg_max)  # 22
        self.detections = Detections(cfg.conf_threshold, cfg.iou_threshold, cfg.max_det, cfg.pre_nms_top_k)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, C, H, W), H and W multiples of 32 → [P3 (B, ·, H/8, W/8), P4 (H/16), P5 (H/32)]."""
        x = self.stage2(self.down2(self.stem(x)))
        c3 = self.stage3(self.down3(x))  # P3/8
        c4 = self.stage4(self.down4(c3))  # P4/16
        c5 = self.sppf(self.stage5(self.down5(c4)))  # P5/32
        t4 = self.top_down4(torch.cat((self.up(c5), c4), 1))
        p3 = self.top_down3(torch.cat((self.up(t4), c3), 1))
        p4 = self.bottom_up4(torch.cat((self.down_p3(p3), t4), 1))
        p5 = self.bottom_up5(torch.cat((self.down_p4(p4), c5), 1))
        return [p3, p4, p5]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor] | list[dict[str, torch.Tensor]]:
        raw = self.detect(self.features(x))
        if self.training:
            return raw  # [(B, 4·reg_max + nc, H/s, W/s) for s in 8, 16, 32] for the loss
        return self.detections(*self.detect.decode(raw))


def example_image() -> torch.Tensor:
    return torch.randn(1, 3, 320, 320)


YOLOV8N_CARD = ModelCard(
    key="yolov8n",
    name="YOLOv8n",
    family="YOLO",
    domain="vision",
    task="object detection",
    year=2023,
    paper=Paper(
        "Ultralytics YOLOv8 (software release; architecture in the documentation)",
        "https://docs.ultralytics.com/models/yolov8/",
        authors="G. Jocher, A. Chaurasia, J. Qiu",
        venue="Ultralytics, 2023",
    ),
    level="advanced",
    summary=(
        "The nano size of YOLOv8, a one-stage detector that predicts every box in one pass over three "
        "feature maps. It uses C2f blocks, an SPPF layer and a PANet neck, and its head has no anchor "
        "boxes: each cell predicts class scores and the distances to the four sides of its box, each "
        "distance as a distribution over 16 bins (Distribution Focal Loss)."
    ),
    scenarios=(
        "real-time object detection on CPUs, phones and edge devices",
        "a small baseline to fine-tune on a custom detection data set",
        "teaching anchor-free heads and box regression as a distribution",
    ),
    strengths=(
        "37.3 COCO mAP with only 3.2M parameters and 8.7 GFLOPs at 640×640",
        "no anchor boxes to tune for a new data set",
        "one layout scales from nano to x-large by two multipliers",
    ),
    weaknesses=(
        "small or crowded objects are harder than for larger two-stage detectors",
        "needs NMS after the network, which is awkward to export and adds latency",
        "no peer-reviewed paper: the design is documented by code and release notes",
    ),
    params=Figure(3_157_200, "Ultralytics model summary (YOLOv8n: 225 layers, 3,157,200 parameters)"),
    input="an RGB image (B, 3, H, W) scaled to [0, 1], H and W multiples of 32 (COCO models use 640×640)",
    output=(
        "eval: per image a dict of boxes (K, 4) as x1, y1, x2, y2 in input pixels, labels (K,) and scores (K,) "
        "after threshold and NMS; train: the raw maps (B, 64 + 80, H/s, W/s) for strides 8, 16, 32"
    ),
    metric=Metric("mAP50-95", 37.3, "%", "COCO val2017 (640×640)", "Ultralytics README, YOLOv8 detection table"),
    config_note=(
        "depth 0.33, width 0.25 (channels 16-32-64-128-256), C2f blocks with 1-2-2-1 bottlenecks, SPPF, "
        "reg_max 16, 80 classes; example input 1×3×320×320 (any multiple of 32 works; COCO uses 640). "
        "Eval post-processing: confidence 0.25, NMS IoU 0.7, at most 300 boxes (Ultralytics predict defaults). "
        "The prior class bias Ultralytics sets before training is `Detect.init_biases`, called by the recipe."
    ),
    tags=("cnn", "detection", "one-stage", "anchor-free", "yolo", "csp", "dfl", "coco"),
    i18n={
        "zh": {
            "task": "目标检测",
            "summary": "YOLOv8 的 nano 规格：单阶段检测器，在三个特征图上一次前向就预测出所有框。它使用 C2f 块、"
            "SPPF 层和 PANet 颈部，检测头不使用锚框：每个格点预测类别分数以及到框四条边的距离，每个距离表示为 "
            "16 个区间上的分布（分布焦点损失，DFL）。",
            "scenarios": ["在 CPU、手机和边缘设备上实时检测目标", "在自定义检测数据集上微调的小型基线", "讲解无锚框检测头以及把框回归表示成分布的做法"],
            "strengths": ["仅 320 万参数、640×640 下 8.7 GFLOPs 即达到 COCO 37.3 mAP", "换新数据集时无需调整锚框", "同一结构靠两个倍率即可从 nano 扩展到 x-large"],
            "weaknesses": ["小目标或密集目标比大型两阶段检测器更难", "网络之后还需要 NMS，导出不便且增加延迟", "没有经过同行评审的论文：设计只由代码和发布说明记录"],
            "input": "RGB 图像 (B, 3, H, W)，取值缩放到 [0, 1]，H 和 W 为 32 的倍数（COCO 模型用 640×640）",
            "output": "评估模式：每张图一个字典，含 boxes (K, 4)（输入像素坐标 x1, y1, x2, y2）、labels (K,) 和 scores (K,)，"
            "已做阈值与 NMS；训练模式：步长 8、16、32 上的原始输出图 (B, 64 + 80, H/s, W/s)",
            "config_note": "深度 0.33、宽度 0.25（通道 16-32-64-128-256），C2f 块内瓶颈数 1-2-2-1，SPPF，reg_max 16，80 类；"
            "示例输入 1×3×320×320（任意 32 的倍数均可；COCO 用 640）。评估后处理：置信度 0.25、NMS IoU 0.7、最多 300 个框"
            "（Ultralytics 预测默认值）。Ultralytics 训练前设置的类别先验偏置是 `Detect.init_biases`，由训练脚本调用。",
        }
    },
)


@register_model(card=YOLOV8N_CARD, example_input=example_image)
def yolov8n(**overrides) -> YOLOv8:
    return YOLOv8(replace(YOLOV8N, **overrides))


# ----------------------------------------------------------------------------- trained weights
register_weights(
    Weights(
        model="yolov8n",
        name="digits",
        description=(
            "A narrow YOLOv8 (width 0.125: channels 8-16-32-64-128, 10 classes, 0.9M parameters) that finds "
            "handwritten digits in a scene; trained in minutes on generated scenes (`zoo.train.find_digits`)"
        ),
        dataset="generated 128×128 scenes of scikit-learn load_digits digits; evaluation scenes use only held-out digits",
        source="shipped",
        file="yolov8n_digits_det.safetensors",
        recipe="yolov8_digits_det",
        config={"width": 0.125, "depth": 0.33, "num_classes": 10},
        metrics={"held-out mAP@0.5": 0.8106},
        preprocessing=(
            "gray in [0, 1] copied to 3 channels, long side resized to 128 px, padded to multiples of 32; "
            "light-on-dark or dark-on-light (see zoo.demos.find_digits.prepare)"
        ),
        labels=tuple(str(d) for d in range(10)),
    )
)
