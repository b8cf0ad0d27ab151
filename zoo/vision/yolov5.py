"""YOLOv5 — Ultralytics (G. Jocher et al.), first released June 2020; this is the v6.0/v7.0 layout
(October 2021 onward), no paper. https://github.com/ultralytics/yolov5
(architecture described in https://docs.ultralytics.com/yolov5/tutorials/architecture_description/)

A one-stage, anchor-based detector in the line of YOLOv3/v4, engineered for easy training:

- **Backbone**: a 6×6 stride-2 stem conv (v6.0 replaced the Focus space-to-depth layer with it), then
  stride-2 3×3 convs alternating with **C3** blocks — CSP bottleneck stacks (Cross Stage Partial
  networks, Wang et al. 2020) that send half the channels around the bottlenecks — and **SPPF**, a fast
  spatial pyramid pooling (three chained 5×5 max-pools = the 5/9/13 windows of SPP).
- **Neck**: PANet (Liu et al. 2018): an FPN top-down path (1×1 conv, upsample, concat, C3), then a
  bottom-up path (stride-2 conv, concat, C3), so every output level mixes fine and coarse features.
- **Head**: at strides 8, 16 and 32, a 1×1 conv predicts for each of 3 anchor boxes per cell
  (x, y, w, h, objectness, 80 class scores). Decoding (all sigmoids, the v4/v5 "grid-sensitive" form):
      x = (2σ(tx) − 0.5 + cx) · stride,   w = anchor_w · (2σ(tw))²
  so a centre can reach just outside its cell and a box is 0–4× its anchor (bounded, unlike e^tw).
  A box's confidence for class c is objectness × class score.

Sizes n/s/m/l/x scale depth and width of one layout; `yolov5s` is depth 0.33, width 0.50.
Training mode returns the raw head maps (as Ultralytics does); eval mode returns boxes after
confidence threshold and class-wise NMS.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ._yolo import C3, SPPF, Conv, Detections, grid_points, scaled_depth, scaled_width, xywh_to_xyxy

# COCO anchors (w, h in pixels) found by k-means on COCO boxes, 3 per level: P3/8, P4/16, P5/32.
COCO_ANCHORS = (
    ((10, 13), (16, 30), (33, 23)),
    ((30, 61), (62, 45), (59, 119)),
    ((116, 90), (156, 198), (373, 326)),
)
STRIDES = (8, 16, 32)


@dataclass(frozen=True)
class YOLOv5Config:
    depth: float = 0.33  # depth multiplier on the C3 bottleneck counts 3-6-9-3
    width: float = 0.50  # width multiplier on channels 64-128-256-512-1024
    num_classes: int = 80
    in_channels: int = 3
    anchors: tuple[tuple[tuple[int, int], ...], ...] = COCO_ANCHORS
    conf_threshold: float = 0.25  # eval: YOLOv5 detect.py defaults
    iou_threshold: float = 0.45
    max_det: int = 1000
    pre_nms_top_k: int = 1000  # best candidates that go into NMS (torchvision's RetinaNet/FCOS keep 1000)


YOLOV5S = YOLOv5Config()


class Detect(nn.Module):
    """One 1×1 conv per level: 3 anchors × (4 box + 1 objectness + nc classes) channels."""

    def __init__(self, num_classes: int, channels: tuple[int, ...], anchors):
        super().__init__()
        self.nc, self.no, self.na = num_classes, num_classes + 5, len(anchors[0])
        self.register_buffer("anchors", torch.tensor(anchors, dtype=torch.float32))  # (levels, na, 2) px
        self.m = nn.ModuleList(nn.Conv2d(c, self.no * self.na, 1) for c in channels)

    def forward(self, feats: list[torch.Tensor]) -> list[torch.Tensor]:
        out = []
        for x, conv in zip(feats, self.m):
            b, _, h, w = x.shape
            out.append(conv(x).view(b, self.na, self.no, h, w).permute(0, 1, 3, 4, 2))  # (B, na, H, W, 5 + nc)
        return out

    def decode(self, raw: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw maps → boxes (B, N, 4) x1 y1 x2 y2 px and class confidences (B, N, nc) = obj × cls,
        N = Σ na·H·W."""
        boxes, scores = [], []
        for i, (x, stride) in enumerate(zip(raw, STRIDES)):
            b, na, h, w, _ = x.shape
            y = x.sigmoid()
            cell = grid_points(h, w, 1.0, 0.0, x).view(1, 1, h, w, 2)  # (cx, cy) of each cell's corner
            xy = (y[..., :2] * 2 - 0.5 + cell) * stride  # centre may sit half a cell outside its own cell
            wh = (y[..., 2:4] * 2) ** 2 * self.anchors[i].view(1, na, 1, 1, 2)  # 0–4 × the anchor
            boxes.append(xywh_to_xyxy(torch.cat((xy, wh), -1)).reshape(b, -1, 4))
            scores.append((y[..., 5:] * y[..., 4:5]).reshape(b, -1, self.nc))
        return torch.cat(boxes, 1), torch.cat(scores, 1)

    @torch.no_grad()
    def init_biases(self, image_size: int = 640) -> None:
        """YOLOv5's prior before training: objectness log(8 / cells) (≈ 8 objects per 640² image), class
        logits log(0.6 / (nc − 0.99)) — the sigmoid losses start near their expected values."""
        for conv, s in zip(self.m, STRIDES):
            bias = conv.bias.view(self.na, self.no)
            bias[:, 4] += math.log(8 / (image_size / s) ** 2)
            bias[:, 5:] += math.log(0.6 / (self.nc - 0.99))


class YOLOv5(nn.Module):
    def __init__(self, cfg: YOLOv5Config = YOLOV5S):
        super().__init__()
        self.cfg = cfg

        def w(c: int) -> int:
            return scaled_width(c, cfg.width)

        def d(n: int) -> int:
            return scaled_depth(n, cfg.depth)

        # Backbone (yolov5s.yaml layers 0–9); shapes for width 0.5 and a 320×320 input.
        self.stem = Conv(cfg.in_channels, w(64), 6, 2, 2)  # 0: (B, 32, 160, 160) P1/2
        self.down2 = Conv(w(64), w(128), 3, 2)  # 1: (B, 64, 80, 80) P2/4
        self.stage2 = C3(w(128), w(128), d(3))  # 2
        self.down3 = Conv(w(128), w(256), 3, 2)  # 3: (B, 128, 40, 40) P3/8
        self.stage3 = C3(w(256), w(256), d(6))  # 4
        self.down4 = Conv(w(256), w(512), 3, 2)  # 5: (B, 256, 20, 20) P4/16
        self.stage4 = C3(w(512), w(512), d(9))  # 6
        self.down5 = Conv(w(512), w(1024), 3, 2)  # 7: (B, 512, 10, 10) P5/32
        self.stage5 = C3(w(1024), w(1024), d(3))  # 8
        self.sppf = SPPF(w(1024), w(1024), 5)  # 9
        # PANet head (layers 10–23); C3 blocks here have no residual adds (shortcut=False).
        self.lateral5 = Conv(w(1024), w(512), 1)  # 10
        self.up = nn.Upsample(scale_factor=2, mode="nearest")  # 11, 15
        self.top_down4 = C3(w(512) + w(512), w(512), d(3), shortcut=False)  # 13
        self.lateral4 = Conv(w(512), w(256), 1)  # 14
        self.top_down3 = C3(w(256) + w(256), w(256), d(3), shortcut=False)  # 17: (B, 128, 40, 40) → P3 out
        self.down_p3 = Conv(w(256), w(256), 3, 2)  # 18
        self.bottom_up4 = C3(w(256) + w(256), w(512), d(3), shortcut=False)  # 20: (B, 256, 20, 20) → P4 out
        self.down_p4 = Conv(w(512), w(512), 3, 2)  # 21
        self.bottom_up5 = C3(w(512) + w(512), w(1024), d(3), shortcut=False)  # 23: (B, 512, 10, 10) → P5 out
        self.detect = Detect(cfg.num_classes, (w(256), w(512), w(1024)), cfg.anchors)  # 24
        self.detections = Detections(cfg.conf_threshold, cfg.iou_threshold, cfg.max_det, cfg.pre_nms_top_k)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, C, H, W), H and W multiples of 32 → [P3 (H/8), P4 (H/16), P5 (H/32)]."""
        x = self.stage2(self.down2(self.stem(x)))
        c3 = self.stage3(self.down3(x))  # P3/8
        c4 = self.stage4(self.down4(c3))  # P4/16
        l5 = self.lateral5(self.sppf(self.stage5(self.down5(c4))))  # P5/32, reduced for the top-down path
        l4 = self.lateral4(self.top_down4(torch.cat((self.up(l5), c4), 1)))
        p3 = self.top_down3(torch.cat((self.up(l4), c3), 1))
        p4 = self.bottom_up4(torch.cat((self.down_p3(p3), l4), 1))
        p5 = self.bottom_up5(torch.cat((self.down_p4(p4), l5), 1))
        return [p3, p4, p5]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor] | list[dict[str, torch.Tensor]]:
        raw = self.detect(self.features(x))
        if self.training:
            return raw  # [(B, 3, H/s, W/s, 5 + nc) for s in 8, 16, 32] for the loss
        return self.detections(*self.detect.decode(raw))


def example_image() -> torch.Tensor:
    return torch.randn(1, 3, 320, 320)


YOLOV5S_CARD = ModelCard(
    key="yolov5s",
    name="YOLOv5s",
    family="YOLO",
    domain="vision",
    task="object detection",
    year=2020,
    paper=Paper(
        "Ultralytics YOLOv5 (software release v6.0/v7.0; architecture in the documentation)",
        "https://github.com/ultralytics/yolov5",
        authors="G. Jocher et al.",
        venue="Ultralytics, 2020 (v6.0: 2021)",
    ),
    level="advanced",
    summary=(
        "The small size of YOLOv5, the PyTorch detector that made YOLO easy to train and deploy. A CSP "
        "backbone with C3 blocks and SPPF feeds a PANet neck; at three scales a 1×1 conv predicts, for "
        "each of 3 anchor boxes per cell, the box, an objectness score and 80 class scores, all decoded "
        "with sigmoids so that boxes stay within 4× their anchor."
    ),
    scenarios=(
        "real-time object detection on GPUs, CPUs and edge devices",
        "fine-tuning a detector on a custom data set with little tuning",
        "teaching anchor-based one-stage detection and the FPN/PANet neck",
    ),
    strengths=(
        "37.4 COCO mAP at 7.2M parameters and 16.5 GFLOPs (640×640)",
        "bounded box decoding and auto-anchors make training stable",
        "one layout scales from nano to x-large by two multipliers",
    ),
    weaknesses=(
        "anchor boxes are tied to the data set they were clustered on",
        "needs NMS after the network",
        "superseded in accuracy per FLOP by anchor-free successors (YOLOv8 and later)",
    ),
    params=Figure(7_235_389, "Ultralytics model summary (YOLOv5s v6.0: 214 layers, 7,235,389 parameters)"),
    input="an RGB image (B, 3, H, W) scaled to [0, 1], H and W multiples of 32 (COCO models use 640×640)",
    output=(
        "eval: per image a dict of boxes (K, 4) as x1, y1, x2, y2 in input pixels, labels (K,) and scores (K,) "
        "after threshold and NMS; train: the raw maps (B, 3, H/s, W/s, 85) for strides 8, 16, 32"
    ),
    metric=Metric("mAP50-95", 37.4, "%", "COCO val2017 (640×640)", "Ultralytics YOLOv5 README, pretrained checkpoints table"),
    config_note=(
        "v6.0/v7.0 layout: 6×6 stem conv, C3 blocks with 1-2-3-1 bottlenecks (depth 0.33), width 0.5 "
        "(channels 32-64-128-256-512), SPPF, PANet neck, 3 COCO anchors × 3 levels, 80 classes; example input "
        "1×3×320×320 (any multiple of 32 works; COCO uses 640). Eval: confidence 0.25, NMS IoU 0.45 "
        "(detect.py defaults). The prior objectness/class biases are `Detect.init_biases`, for training."
    ),
    tags=("cnn", "detection", "one-stage", "anchors", "yolo", "csp", "panet", "coco"),
    i18n={
        "zh": {
            "task": "目标检测",
            "summary": "YOLOv5 的 small 规格——让 YOLO 易于训练和部署的 PyTorch 检测器。带 C3 块和 SPPF 的 CSP 骨干"
            "连接 PANet 颈部；在三个尺度上，一个 1×1 卷积为每个格点的 3 个锚框分别预测框、目标性分数和 80 个类别分数，"
            "全部用 sigmoid 解码，因此框的大小不超过锚框的 4 倍。",
            "scenarios": ["在 GPU、CPU 和边缘设备上实时检测目标", "几乎无需调参即可在自定义数据集上微调检测器", "讲解基于锚框的单阶段检测以及 FPN/PANet 颈部"],
            "strengths": ["720 万参数、640×640 下 16.5 GFLOPs 即达到 COCO 37.4 mAP", "有界的框解码和自动锚框让训练稳定", "同一结构靠两个倍率即可从 nano 扩展到 x-large"],
            "weaknesses": ["锚框与聚类所用的数据集绑定", "网络之后还需要 NMS", "在单位计算量的准确率上已被无锚框的后继者（YOLOv8 等）超越"],
            "input": "RGB 图像 (B, 3, H, W)，取值缩放到 [0, 1]，H 和 W 为 32 的倍数（COCO 模型用 640×640）",
            "output": "评估模式：每张图一个字典，含 boxes (K, 4)（输入像素坐标 x1, y1, x2, y2）、labels (K,) 和 scores (K,)，"
            "已做阈值与 NMS；训练模式：步长 8、16、32 上的原始输出图 (B, 3, H/s, W/s, 85)",
            "config_note": "v6.0/v7.0 结构：6×6 起始卷积，C3 块内瓶颈数 1-2-3-1（深度 0.33），宽度 0.5（通道 32-64-128-256-512），"
            "SPPF，PANet 颈部，3 个尺度 × 3 个 COCO 锚框，80 类；示例输入 1×3×320×320（任意 32 的倍数均可；COCO 用 640）。"
            "评估：置信度 0.25、NMS IoU 0.45（detect.py 默认值）。目标性与类别的先验偏置见 `Detect.init_biases`，供训练使用。",
        }
    },
)


@register_model(card=YOLOV5S_CARD, example_input=example_image)
def yolov5s(**overrides) -> YOLOv5:
    return YOLOv5(replace(YOLOV5S, **overrides))
