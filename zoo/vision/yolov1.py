"""YOLO (v1) — Redmon, Divvala, Girshick & Farhadi, "You Only Look Once: Unified, Real-Time Object
Detection" (CVPR 2016). https://arxiv.org/abs/1506.02640

Before YOLO, detectors classified thousands of region proposals one by one (R-CNN) or slid a
classifier over the image. YOLO reframes detection as a single regression: one CNN looks at the whole
448×448 image once and outputs a fixed S × S × (B·5 + C) tensor (paper §2, Figure 2). The image is
divided into an S × S grid (S = 7); the cell that contains an object's centre is responsible for it.
Each cell predicts
- B = 2 boxes, each (x, y, w, h, confidence): x, y the centre as an offset within the cell (0–1),
  w, h relative to the whole image — as square roots, so that the squared-error loss weighs an error
  on a small box more than the same error on a big one (§2.2) — and confidence ≈ Pr(object) · IoU;
- C = 20 class probabilities Pr(class | object), shared by the cell's boxes (PASCAL VOC classes).
At test time a box's class-specific score is confidence × Pr(class | object) (§2, Eq. 1).

The network (Figure 3) is 24 conv layers inspired by GoogLeNet — 1×1 "reduction" layers followed by
3×3 convs instead of inception modules — then two fully connected layers: 7·7·1024 → 4096 → 1470 =
7·7·30. Leaky ReLU (slope 0.1) everywhere but the last layer, which is linear (§2.2); dropout 0.5
after the first FC layer; no batch normalisation (that came with YOLOv2).

Output layout: the paper fixes the tensor shape, not the order within a cell; here each cell's 30
numbers are [x, y, √w, √h, confidence] for box 1, the same for box 2, then the 20 class probabilities.
`model.train()` returns that (B, 7, 7, 30) tensor for the sum-squared-error loss; eval mode decodes it
into boxes (threshold + NMS).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ._yolo import Detections, grid_points

# Figure 3 as (kernel, out channels, stride) per conv and "M" for a 2×2 stride-2 max-pool.
FIGURE3 = (
    (7, 64, 2), "M",
    (3, 192, 1), "M",
    (1, 128, 1), (3, 256, 1), (1, 256, 1), (3, 512, 1), "M",
    *((1, 256, 1), (3, 512, 1)) * 4, (1, 512, 1), (3, 1024, 1), "M",
    *((1, 512, 1), (3, 1024, 1)) * 2, (3, 1024, 1), (3, 1024, 2),
    (3, 1024, 1), (3, 1024, 1),
)  # fmt: skip


@dataclass(frozen=True)
class YOLOv1Config:
    grid: int = 7  # S
    boxes_per_cell: int = 2  # B
    num_classes: int = 20  # C (PASCAL VOC)
    image_size: int = 448  # the FC layers fix the input size: 448 / 64 = 7
    in_channels: int = 3
    hidden: int = 4096  # the first FC layer
    width: float = 1.0  # multiplies every conv's channels of Figure 3 (at least 8): smaller models to train here
    dropout: float = 0.5
    negative_slope: float = 0.1  # leaky ReLU
    conf_threshold: float = 0.2  # eval: darknet's default detection threshold
    iou_threshold: float = 0.5  # NMS, as the paper's §2.4 suggests for multiple detections
    max_det: int = 100


YOLOV1 = YOLOv1Config()


class YOLOv1(nn.Module):
    def __init__(self, cfg: YOLOv1Config = YOLOV1):
        super().__init__()
        self.cfg = cfg
        layers: list[nn.Module] = []
        c = cfg.in_channels
        for spec in FIGURE3:
            if spec == "M":
                layers.append(nn.MaxPool2d(2, 2))
                continue
            k, out, s = spec
            out = max(8, int(out * cfg.width))
            layers += [nn.Conv2d(c, out, k, s, k // 2), nn.LeakyReLU(cfg.negative_slope)]
            c = out
        # 448 → 224 (conv s2) → 112 → 56 → 28 → 14 (pools) → 7 (conv s2): (B, 1024, 7, 7)
        self.features = nn.Sequential(*layers)
        cells = cfg.grid * cfg.grid
        self.per_cell = cfg.boxes_per_cell * 5 + cfg.num_classes  # 30
        self.head = nn.Sequential(
            nn.Flatten(),  # (B, 7·7·1024)
            nn.Linear(c * cells, cfg.hidden),
            nn.LeakyReLU(cfg.negative_slope),
            nn.Dropout(cfg.dropout),
            nn.Linear(cfg.hidden, cells * self.per_cell),  # linear: raw x, y, √w, √h, conf, class probs
        )
        self.detections = Detections(cfg.conf_threshold, cfg.iou_threshold, cfg.max_det, cfg.boxes_per_cell * cells)

    def decode(self, out: torch.Tensor, image_size: tuple[int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, S, S, B·5 + C) → boxes (B, S·S·B, 4) x1 y1 x2 y2 in pixels and class-specific scores
        (B, S·S·B, C) = confidence · Pr(class | object), cells row-major, the B boxes of a cell together."""
        n, s = out.shape[0], self.cfg.grid
        h, w = image_size or (self.cfg.image_size, self.cfg.image_size)
        nb, nc = self.cfg.boxes_per_cell, self.cfg.num_classes
        boxes = out[..., : nb * 5].reshape(n, s, s, nb, 5)  # (B, S, S, nb, 5)
        probs = out[..., nb * 5 :]  # (B, S, S, C)
        cell = grid_points(s, s, 1.0, 0.0, out).view(1, s, s, 1, 2)  # (col, row) of each cell
        centre = (cell + boxes[..., :2]) / s  # offsets within the cell → fraction of the image
        size = boxes[..., 2:4] ** 2  # the net predicts √w, √h (fractions of the image)
        scale = out.new_tensor([w, h, w, h])
        xyxy = torch.cat((centre - size / 2, centre + size / 2), -1) * scale  # (B, S, S, nb, 4) px
        scores = boxes[..., 4:5] * probs[..., None, :]  # (B, S, S, nb, C): Eq. 1
        return xyxy.reshape(n, -1, 4), scores.reshape(n, -1, nc)

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[dict[str, torch.Tensor]]:
        s = self.cfg.grid
        out = self.head(self.features(x)).view(-1, s, s, self.per_cell)  # (B, 7, 7, 30)
        if self.training:
            return out
        return self.detections(*self.decode(out, tuple(x.shape[-2:])))


def example_image() -> torch.Tensor:
    return torch.randn(1, 3, 448, 448)


YOLOV1_CARD = ModelCard(
    key="yolov1",
    name="YOLO (v1)",
    family="YOLO",
    domain="vision",
    task="object detection",
    year=2015,
    paper=Paper(
        "You Only Look Once: Unified, Real-Time Object Detection",
        "https://arxiv.org/abs/1506.02640",
        authors="J. Redmon, S. Divvala, R. Girshick, A. Farhadi",
        venue="CVPR 2016",
    ),
    level="intermediate",
    summary=(
        "The first YOLO: detection as one regression problem. A 24-layer CNN with two fully connected "
        "layers looks at the whole image once and outputs a 7×7 grid; each cell predicts two boxes with a "
        "confidence and one set of 20 class probabilities. Boxes come out in a single pass, at 45 frames per "
        "second in 2015, with far fewer false detections on background than region-based detectors."
    ),
    scenarios=(
        "teaching how one-stage detectors turn detection into regression on a grid",
        "a historical baseline for real-time detection",
        "understanding the design choices that YOLOv2–v8 later revised (anchors, BN, multi-scale heads)",
    ),
    strengths=(
        "one network, one pass: simple to train end to end and fast",
        "sees the whole image, so it confuses background for objects about half as often as Fast R-CNN",
        "generalises better than R-CNN to artwork",
    ),
    weaknesses=(
        "each cell predicts at most two boxes and one class: small objects in groups (birds, crowds) are missed",
        "coarse 7×7 grid and FC layers give poor localisation and a fixed 448×448 input",
        "the FC layers hold three quarters of the 272M parameters",
    ),
    params=Figure(
        271_703_550,
        "computed from the paper's Figure 3 (24 convs with bias, FC 7·7·1024→4096→1470), stated here",
    ),
    input="an RGB image (B, 3, 448, 448) scaled to [0, 1]",
    output=(
        "eval: per image a dict of boxes (K, 4) as x1, y1, x2, y2 in input pixels, labels (K,) and scores (K,) "
        "after threshold and NMS; train: the raw (B, 7, 7, 30) grid — per cell 2 × (x, y, √w, √h, confidence) "
        "then 20 class probabilities"
    ),
    metric=Metric("mAP", 63.4, "%", "PASCAL VOC 2007 test (trained on VOC 2007+2012)", "paper Table 1"),
    config_note=(
        "Figure 3 layout: 24 conv layers (with bias, no BatchNorm), leaky ReLU 0.1, FC 4096 with dropout 0.5, "
        "FC 1470 = 7×7×30 (S = 7, B = 2, C = 20); input 448×448 (the FC layers fix it). Parameter count "
        "271,703,550 computed from this layout. Over 150M parameters, so DeepZoo builds it on the meta "
        "device for graphs, where no threshold can be applied: eval then returns all 98 candidates. "
        "Eval post-processing: score 0.2, NMS IoU 0.5."
    ),
    tags=("cnn", "detection", "one-stage", "yolo", "grid", "voc", "real-time"),
    i18n={
        "zh": {
            "task": "目标检测",
            "summary": "第一代 YOLO：把检测变成一个回归问题。一个 24 层卷积、两层全连接的网络只看整张图一次，输出 7×7 的网格；"
            "每个格子预测两个带置信度的框和一组 20 类的类别概率。所有框一次前向即得，2015 年就达到每秒 45 帧，"
            "而且比基于候选区域的检测器少得多地把背景误判为目标。",
            "scenarios": ["讲解单阶段检测器如何把检测变成网格上的回归", "实时检测的历史基线", "理解后来 YOLOv2–v8 修改的设计选择（锚框、BN、多尺度检测头）"],
            "strengths": ["一个网络、一次前向：端到端训练简单且速度快", "看到整张图，把背景误判为目标的次数约为 Fast R-CNN 的一半", "在艺术作品上的泛化优于 R-CNN"],
            "weaknesses": ["每个格子最多预测两个框、一个类别：成群的小目标（鸟群、人群）容易漏检", "7×7 的粗网格和全连接层导致定位不准，且输入固定为 448×448", "全连接层占了 2.72 亿参数的四分之三"],
            "input": "RGB 图像 (B, 3, 448, 448)，取值缩放到 [0, 1]",
            "output": "评估模式：每张图一个字典，含 boxes (K, 4)（输入像素坐标 x1, y1, x2, y2）、labels (K,) 和 scores (K,)，"
            "已做阈值与 NMS；训练模式：原始的 (B, 7, 7, 30) 网格——每个格子依次为 2 组 (x, y, √w, √h, 置信度)，然后是 20 个类别概率",
            "config_note": "图 3 结构：24 个卷积层（带偏置、无 BatchNorm），leaky ReLU 0.1，4096 维全连接层带 0.5 dropout，"
            "输出全连接 1470 = 7×7×30（S = 7、B = 2、C = 20）；输入 448×448（全连接层决定了尺寸）。参数量 271,703,550 "
            "由该结构算得。超过 1.5 亿参数，因此 DeepZoo 在 meta 设备上构建它来画图，那里无法按阈值筛选：评估模式返回全部 98 个候选框。"
            "评估后处理：分数 0.2、NMS IoU 0.5。",
        }
    },
)


@register_model(card=YOLOV1_CARD, example_input=example_image)
def yolov1(**overrides) -> YOLOv1:
    return YOLOv1(replace(YOLOV1, **overrides))
