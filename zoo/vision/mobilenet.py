"""MobileNetV2 — Sandler, Howard, Zhu, Zhmoginov & Chen, "MobileNetV2: Inverted Residuals and
Linear Bottlenecks" (CVPR 2018).
https://arxiv.org/abs/1801.04381

A CNN for phones. Its building block turns the ResNet bottleneck inside out: a cheap 1×1 conv
*expands* a thin tensor t-fold, a 3×3 depthwise conv filters each channel on its own, and a 1×1
conv *projects* back to a thin tensor with no activation (a "linear bottleneck"). Shortcuts join
the thin ends. The layout is the paper's Table 2; with width multiplier 1.0 and a 1280-channel
head it has 3,504,872 parameters (the paper rounds to 3.4M) and ~300M multiply-adds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_

# Table 2: (t expansion factor, c output channels, n repeats, s stride of the first repeat).
INVERTED_RESIDUAL_SETTING: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)


@dataclass(frozen=True)
class MobileNetV2Config:
    width_mult: float = 1.0  # the paper's α: scales every layer's channels (§4)
    round_nearest: int = 8  # channel counts are kept multiples of 8 (friendly to mobile kernels)
    stem_channels: int = 32
    head_channels: int = 1280  # not shrunk for α < 1 (§4): small models keep a rich final feature
    setting: tuple[tuple[int, int, int, int], ...] = INVERTED_RESIDUAL_SETTING
    in_channels: int = 3
    dropout: float = 0.2
    num_classes: int = 1000


CONFIG = MobileNetV2Config()


def make_divisible(v: float, divisor: int) -> int:
    """Round `v` to the nearest multiple of `divisor`, but never down by more than 10%."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def conv_bn_relu6(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, groups: int = 1) -> nn.Sequential:
    # ReLU6 (min(max(x, 0), 6)) is used for its robustness in low-precision arithmetic (paper §4).
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU6(inplace=True),
    )


class InvertedResidual(nn.Module):
    """Bottleneck residual block of Table 1: 1×1 expand → 3×3 depthwise → 1×1 linear project."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, expand_ratio: int):
        super().__init__()
        hidden = in_channels * expand_ratio
        # Shortcuts only between same-shape thin bottlenecks (Figure 4): stride-2 blocks have none.
        self.use_shortcut = stride == 1 and in_channels == out_channels
        layers: list[nn.Module] = []
        if expand_ratio != 1:  # the first block (t = 1) filters the stem output directly
            layers.append(conv_bn_relu6(in_channels, hidden, kernel_size=1))  # (B, t·C_in, H, W)
        layers += [
            conv_bn_relu6(hidden, hidden, stride=stride, groups=hidden),  # depthwise: (B, t·C_in, H/s, W/s)
            # Linear bottleneck (§3.2): a ReLU in this low-dimensional space would destroy information.
            nn.Conv2d(hidden, out_channels, kernel_size=1, bias=False),  # (B, C_out, H/s, W/s)
            nn.BatchNorm2d(out_channels),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.use_shortcut else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, cfg: MobileNetV2Config = CONFIG):
        super().__init__()
        self.cfg = cfg
        channels = make_divisible(cfg.stem_channels * cfg.width_mult, cfg.round_nearest)
        head = make_divisible(cfg.head_channels * max(1.0, cfg.width_mult), cfg.round_nearest)
        layers: list[nn.Module] = [conv_bn_relu6(cfg.in_channels, channels, stride=2)]  # (B, 32, 112, 112)
        for t, c, n, s in cfg.setting:
            out = make_divisible(c * cfg.width_mult, cfg.round_nearest)
            for i in range(n):
                layers.append(InvertedResidual(channels, out, s if i == 0 else 1, t))
                channels = out
        # After the 17 blocks: (B, 320, 7, 7) → 1×1 conv to the wide head (B, 1280, 7, 7).
        layers.append(conv_bn_relu6(channels, head, kernel_size=1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(head, cfg.num_classes))
        init_cnn_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 1280, 7, 7)
        x = x.mean((2, 3))  # global average pool: (B, 1280)
        return self.classifier(x)  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="mobilenet_v2",
        name="MobileNetV2",
        family="MobileNet",
        year=2018,
        paper=Paper(
            "MobileNetV2: Inverted Residuals and Linear Bottlenecks",
            "https://arxiv.org/abs/1801.04381",
            authors="M. Sandler, A. Howard, M. Zhu, A. Zhmoginov, L.-C. Chen",
            venue="CVPR 2018",
        ),
        level="intermediate",
        summary=(
            "An efficient CNN for mobile devices built from inverted residual blocks: a 1×1 convolution "
            "widens a thin feature map, a depthwise 3×3 convolution filters each channel separately, and a "
            "linear 1×1 convolution narrows it again, with shortcuts between the thin ends. It beats "
            "ResNet-18 (71.9% vs 69.8% top-1) with under a third of the parameters and a sixth of the computation."
        ),
        scenarios=(
            "on-device image classification on phones and embedded boards",
            "lightweight backbone for mobile detection (SSDLite) and segmentation (DeepLabv3)",
            "fast fine-tuning baseline on a CPU",
        ),
        strengths=(
            "small (3.5M parameters) and cheap (~0.3 GFLOPs per image)",
            "width multiplier trades accuracy for speed with one number",
        ),
        weaknesses=(
            "depthwise convolutions run less efficiently on GPUs than their FLOP count suggests",
            "lower accuracy than larger networks; sensitive to training recipe and quantisation details",
        ),
        params=Figure(3_504_872, "torchvision reference implementation (mobilenet_v2)"),
        metric=imagenet_top1(71.878, "MobileNet_V2_Weights"),
        config_note=(
            "Width multiplier 1.0, Table 2 layout (17 inverted residual blocks, expansion 6), ReLU6, "
            "1280-channel head, dropout 0.2, 1000 classes."
        ),
        tags=("cnn", "imagenet", "mobile", "efficient", "depthwise separable", "inverted residual"),
        zh={
            "summary": "面向移动设备的高效卷积网络，由倒残差块构成：1×1 卷积先把较窄的特征图扩宽，"
            "3×3 深度卷积逐通道滤波，再由不带激活的线性 1×1 卷积压回窄通道，捷径连接在窄端之间。"
            "它以不到三分之一的参数量和约六分之一的计算量超过了 ResNet-18（top-1 71.9% 对 69.8%）。",
            "scenarios": ["手机与嵌入式设备上的端侧图像分类", "移动端检测（SSDLite）与分割（DeepLabv3）的轻量骨干", "在 CPU 上快速微调的基线"],
            "strengths": ["体积小（350 万参数）、计算量低（每张图约 0.3 GFLOPs）", "宽度乘子用一个数字即可在准确率与速度间取舍"],
            "weaknesses": ["深度卷积在 GPU 上的实际效率低于其计算量所暗示的水平", "准确率低于大型网络；对训练配方和量化细节较敏感"],
        },
    ),
    example_input=imagenet_image,
)
def mobilenet_v2(**overrides) -> MobileNetV2:
    return MobileNetV2(replace(CONFIG, **overrides))
