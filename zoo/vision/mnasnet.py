"""MnasNet — Tan, Chen, Pang, Vasudevan, Sandler, Howard & Le, "MnasNet: Platform-Aware Neural
Architecture Search for Mobile" (CVPR 2019).
https://arxiv.org/abs/1807.11626

An architecture search whose reward is accuracy *and measured latency on a real phone*:
ACC(m)·[LAT(m)/T]^w (Eq. 2), with a soft latency target T. The search space is factorized
hierarchically (§4.1, Figure 4): the network is cut into blocks, and each block picks its own
operation (conv, depthwise-separable conv or MBConv with expansion 3 or 6), kernel (3×3 or 5×5),
skip, width and number of layers — so different stages may differ, unlike cell-based search.

torchvision's `mnasnet1_0` is MnasNet-B1, the variant without squeeze-and-excitation released with
the paper's TensorFlow code: a 3×3 conv and a depthwise-separable conv, then six stacks of MBConv
blocks (ReLU, inverted residuals as in MobileNetV2), a 1×1 conv to 1280 and the classifier.
Layer layout and parameter count match torchvision (4,383,312).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)  # fmt: skip
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_

# MnasNet-B1 stacks: (expansion, kernel, output channels, repeats, stride of the first block).
B1_STACKS: tuple[tuple[int, int, int, int, int], ...] = (
    (3, 3, 24, 3, 2),  # MBConv3 3×3 → 56²
    (3, 5, 40, 3, 2),  # MBConv3 5×5 → 28²
    (6, 5, 80, 3, 2),  # MBConv6 5×5 → 14²
    (6, 3, 96, 2, 1),  # MBConv6 3×3
    (6, 5, 192, 4, 2),  # MBConv6 5×5 → 7²
    (6, 3, 320, 1, 1),  # MBConv6 3×3
)


@dataclass(frozen=True)
class MnasNetConfig:
    alpha: float = 1.0  # depth multiplier: scales every width, rounded to a multiple of 8
    stem_channels: int = 32
    sepconv_channels: int = 16
    stacks: tuple[tuple[int, int, int, int, int], ...] = B1_STACKS
    head_channels: int = 1280  # not scaled by alpha
    bn_momentum: float = 1 - 0.9997  # the paper's TensorFlow decay 0.9997, in PyTorch's convention
    dropout: float = 0.2
    in_channels: int = 3
    num_classes: int = 1000


MNASNET1_0 = MnasNetConfig()


def round_to_multiple_of(v: float, divisor: int = 8) -> int:
    """Nearest multiple of `divisor`, rounded up when rounding down would lose more than 10%."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new if new >= 0.9 * v else new + divisor


def conv_bn(
    in_channels: int, out_channels: int, kernel_size: int, stride: int, cfg: MnasNetConfig, groups: int = 1,
    relu: bool = True,
) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels, momentum=cfg.bn_momentum),
    ]
    return layers + [nn.ReLU(inplace=True)] if relu else layers


class MBConv(nn.Module):
    """MobileNetV2's inverted residual (the "MBConv" op of the search space): 1×1 expand, k×k depthwise,
    linear 1×1 project; identity shortcut when the shape is kept."""

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int, stride: int, expansion: int, cfg: MnasNetConfig
    ):
        super().__init__()
        mid = in_channels * expansion
        self.use_shortcut = stride == 1 and in_channels == out_channels
        self.layers = nn.Sequential(
            *conv_bn(in_channels, mid, 1, 1, cfg),  # (B, e·C_in, H, W)
            *conv_bn(mid, mid, kernel_size, stride, cfg, groups=mid),  # (B, e·C_in, H/s, W/s)
            *conv_bn(mid, out_channels, 1, 1, cfg, relu=False),  # (B, C_out, H/s, W/s)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.layers(x) if self.use_shortcut else self.layers(x)


class MnasNet(nn.Module):
    def __init__(self, cfg: MnasNetConfig = MNASNET1_0):
        super().__init__()
        self.cfg = cfg
        stem = round_to_multiple_of(cfg.stem_channels * cfg.alpha)
        channels = round_to_multiple_of(cfg.sepconv_channels * cfg.alpha)
        self.stem = nn.Sequential(
            *conv_bn(cfg.in_channels, stem, 3, 2, cfg),  # (B, 32, 112, 112)
            # SepConv 3×3: depthwise + linear pointwise, no shortcut.
            *conv_bn(stem, stem, 3, 1, cfg, groups=stem),
            *conv_bn(stem, channels, 1, 1, cfg, relu=False),  # (B, 16, 112, 112)
        )
        stacks = []
        for expansion, kernel, out, repeats, stride in cfg.stacks:
            out = round_to_multiple_of(out * cfg.alpha)
            # Only the first block of a stack changes shape; the rest keep it and use the shortcut.
            blocks = [MBConv(channels, out, kernel, stride, expansion, cfg)]
            blocks += [MBConv(out, out, kernel, 1, expansion, cfg) for _ in range(repeats - 1)]
            stacks.append(nn.Sequential(*blocks))
            channels = out
        self.stacks = nn.Sequential(*stacks)  # (B, 320, 7, 7)
        self.head = nn.Sequential(*conv_bn(channels, cfg.head_channels, 1, 1, cfg))  # (B, 1280, 7, 7)
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(cfg.head_channels, cfg.num_classes))
        init_cnn_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.head(self.stacks(self.stem(x)))  # (B, 1280, 7, 7)
        return self.classifier(x.mean((2, 3)))  # global average pool → (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="mnasnet1_0",
        name="MnasNet-B1 1.0",
        family="MnasNet",
        year=2018,
        paper=Paper(
            "MnasNet: Platform-Aware Neural Architecture Search for Mobile",
            "https://arxiv.org/abs/1807.11626",
            authors="M. Tan, B. Chen, R. Pang, V. Vasudevan, M. Sandler, A. Howard, Q. V. Le",
            venue="CVPR 2019",
        ),
        level="advanced",
        summary=(
            "A mobile CNN found by reinforcement-learning architecture search whose reward combines ImageNet "
            "accuracy with latency measured on a real phone. The search space lets every stage choose its own "
            "block type, kernel size, width and depth. The result is a stack of MobileNetV2-style inverted "
            "residual blocks mixing 3×3 and 5×5 depthwise kernels; it paved the way for MobileNetV3 and EfficientNet."
        ),
        scenarios=(
            "on-device image classification under a latency budget",
            "backbone for mobile detection and segmentation",
            "studying platform-aware neural architecture search",
        ),
        strengths=(
            "optimised for real measured latency, not just FLOPs",
            "4.4M parameters and ~314M multiply-adds at 224×224",
            "plain building blocks (no SE in B1) that quantize and deploy easily",
        ),
        weaknesses=(
            "the search cost thousands of TPU-hours; the architecture itself is hard to reason about",
            "superseded by MobileNetV3 and EfficientNet at similar cost",
        ),
        params=Figure(4_383_312, "torchvision reference implementation (mnasnet1_0)"),
        metric=imagenet_top1(73.456, "MNASNet1_0_Weights"),
        config_note=(
            "MnasNet-B1 (no squeeze-and-excitation), depth multiplier 1.0: 3×3 conv (32), SepConv 3×3 (16), "
            "MBConv stacks 3×24(e3,k3) 3×40(e3,k5) 3×80(e6,k5) 2×96(e6,k3) 4×192(e6,k5) 1×320(e6,k3), "
            "1×1 conv to 1280, dropout 0.2, 1000 classes; BatchNorm momentum 0.0003."
        ),
        tags=("cnn", "imagenet", "mobile", "efficient", "nas", "inverted residual"),
        zh={
            "summary": "一种用强化学习架构搜索得到的移动端卷积网络，其奖励同时考虑 ImageNet 准确率和在真实手机上测得的延迟。"
            "搜索空间允许每个阶段各自选择块类型、卷积核大小、宽度和深度。结果是一组混合 3×3 与 5×5 深度卷积核的"
            " MobileNetV2 式倒残差块；它为 MobileNetV3 和 EfficientNet 铺平了道路。",
            "scenarios": ["延迟受限的端侧图像分类", "移动端检测与分割的骨干", "研究面向平台的神经架构搜索"],
            "strengths": ["针对实测延迟而非仅 FLOPs 进行优化", "440 万参数，224×224 下约 3.14 亿次乘加", "构件朴素（B1 不含 SE），易于量化和部署"],
            "weaknesses": ["搜索耗费数千 TPU 小时；得到的架构难以直观理解", "相近计算量下已被 MobileNetV3 和 EfficientNet 超越"],
            "config_note": "MnasNet-B1（无挤压-激励），深度乘子 1.0：3×3 卷积（32），SepConv 3×3（16），"
            "MBConv 堆叠 3×24(e3,k3) 3×40(e3,k5) 3×80(e6,k5) 2×96(e6,k3) 4×192(e6,k5) 1×320(e6,k3)，"
            "1×1 卷积到 1280，dropout 0.2，1000 类；BatchNorm momentum 0.0003。",
        },
    ),
    example_input=imagenet_image,
)
def mnasnet1_0(**overrides) -> MnasNet:
    return MnasNet(replace(MNASNET1_0, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts


def torchvision_mnasnet_map(model: MnasNet) -> KeyMap:
    """torchvision: one Sequential `layers` — stem and SepConv 0–7, the six stacks 8–13 (each block's
    Sequential also named `layers`), the 1×1 head conv 14–15; the classifier keeps its name."""
    first_stack, head = 8, 8 + len(model.cfg.stacks)
    rules = (
        (r"^stem\.", "layers."),
        (r"^stacks\.(\d+)\.", lambda m: f"layers.{first_stack + int(m.group(1))}."),
        (r"^head\.(\d+)\.", lambda m: f"layers.{head + int(m.group(1))}."),
    )
    return KeyMap.by_rules(model.state_dict(), rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=("mnasnet1_0",), key_map=torchvision_mnasnet_map,
           config=num_classes_from("classifier.1.weight"), note="torchvision.models.mnasnet1_0 state dicts")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("mnasnet1_0", "mnasnet1.0_top1_73.512-f206786ef8.pth"))
