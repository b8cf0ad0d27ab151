"""RegNet — Radosavovic, Kosaraju, Girshick, He & Dollár, "Designing Network Design Spaces" (CVPR 2020).
https://arxiv.org/abs/2003.13678

Instead of searching for one network, the paper narrows a whole *design space* step by step, keeping
the constraints under which the best sampled models live. What is left is a rule with four numbers:
block widths grow linearly, u_j = w_0 + w_a·j for block j (Eq. 2), and are then snapped to a
geometric ladder, w_j = w_0·w_m^round(log(u_j / w_0) / log(w_m)) (Eqs. 3–4), rounded to a multiple
of 8. Blocks with the same width form a stage. Every block is a ResNeXt bottleneck with bottleneck
ratio 1 and a fixed group width g ("X" block); RegNetY adds squeeze-and-excitation ("Y" block).

`regnet_stages` below turns (d, w_0, w_a, w_m, g) into stage widths and depths in code, so
RegNetX-400MF and RegNetY-400MF are just their five numbers. Layer layout and parameter counts
match torchvision (stem width 32, SE width ¼ of the block's input width).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..pretrained import BATCH_COUNTERS, KeyMap, Layout, register_checkpoint, register_layout
from ..pretrained import num_classes_from, torchvision_checkpoint
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_

QUANT = 8  # widths are multiples of 8 (paper §5, Eq. 4)


@dataclass(frozen=True)
class RegNetConfig:
    depth: int = 16  # d: total number of blocks
    w_0: int = 48  # initial width
    w_a: float = 27.89  # slope of the linear width ramp
    w_m: float = 2.09  # width multiplier between consecutive stages
    group_width: int = 8  # g: channels per group in the 3×3 conv
    bottleneck_ratio: float = 1.0  # b: RegNets use 1 (no bottleneck), found best in §4
    se_ratio: float = 0.0  # 0 = RegNetX; 0.25 = RegNetY (squeeze to ¼ of the block's input width)
    stem_width: int = 32
    in_channels: int = 3
    num_classes: int = 1000


# The 400MF rows of the paper's model zoo (pycls configs RegNetX-400MF_dds_8gpu, RegNetY-400MF_dds_8gpu).
REGNET_X_400MF = RegNetConfig(depth=22, w_0=24, w_a=24.48, w_m=2.54, group_width=16, se_ratio=0.0)
REGNET_Y_400MF = RegNetConfig(depth=16, w_0=48, w_a=27.89, w_m=2.09, group_width=8, se_ratio=0.25)


def make_divisible(v: float, divisor: int) -> int:
    """Round `v` to the nearest multiple of `divisor`, but never down by more than 10%."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def block_widths(cfg: RegNetConfig) -> list[int]:
    """Per-block widths of the quantized linear rule (Eqs. 2–4)."""
    if cfg.w_0 <= 0 or cfg.w_a < 0 or cfg.w_m <= 1 or cfg.w_0 % QUANT:
        raise ValueError(f"invalid RegNet parameters: w_0={cfg.w_0}, w_a={cfg.w_a}, w_m={cfg.w_m}")
    widths = []
    for j in range(cfg.depth):
        u = cfg.w_0 + cfg.w_a * j  # Eq. 2: the continuous linear ramp
        s = round(math.log(u / cfg.w_0) / math.log(cfg.w_m))  # Eq. 3: its step on the log ladder
        widths.append(round(cfg.w_0 * cfg.w_m**s / QUANT) * QUANT)  # Eq. 4, snapped to a multiple of 8
    return widths


def regnet_stages(cfg: RegNetConfig) -> tuple[list[int], list[int], list[int]]:
    """(stage widths, stage depths, group widths): consecutive blocks of equal width form one stage.

    Each stage's bottleneck width is then nudged up to a multiple of its group width, so the 3×3
    conv splits into whole groups (a stage narrower than g gets one group of its own width)."""
    widths, depths = [], []
    for w in block_widths(cfg):
        if widths and widths[-1] == w:
            depths[-1] += 1
        else:
            widths.append(w)
            depths.append(1)
    bottlenecks = [int(w * cfg.bottleneck_ratio) for w in widths]
    groups = [min(cfg.group_width, wb) for wb in bottlenecks]
    bottlenecks = [make_divisible(wb, g) for wb, g in zip(bottlenecks, groups)]
    widths = [int(wb / cfg.bottleneck_ratio) for wb in bottlenecks]
    return widths, depths, groups


def conv_bn(
    in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1, groups: int = 1, act: bool = True
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class SqueezeExcitation(nn.Module):
    """Hu et al. 2018: a gate in [0, 1] per channel computed from the globally pooled features."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))  # (B, C, 1, 1) in [0, 1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)


class BottleneckTransform(nn.Sequential):
    """F(x) of the X block (paper Figure 4): 1×1 → grouped 3×3 (stride here) → [SE] → 1×1, no ReLU at the end."""

    def __init__(self, w_in: int, w_out: int, stride: int, group_width: int, bottleneck_ratio: float, se_ratio: float):
        super().__init__()
        w_b = int(round(w_out * bottleneck_ratio))
        self.a = conv_bn(w_in, w_b)  # (B, w_b, H, W)
        self.b = conv_bn(w_b, w_b, 3, stride, groups=w_b // group_width)  # (B, w_b, H/s, W/s)
        if se_ratio:
            # Y block: the squeeze width is measured against the block's *input* width.
            self.se = SqueezeExcitation(w_b, int(round(se_ratio * w_in)))
        self.c = conv_bn(w_b, w_out, act=False)  # (B, w_out, H/s, W/s)


class ResBottleneckBlock(nn.Module):
    """y = ReLU(F(x) + shortcut(x)); the shortcut is a strided 1×1 projection when the shape changes."""

    def __init__(self, w_in: int, w_out: int, stride: int, group_width: int, bottleneck_ratio: float, se_ratio: float):
        super().__init__()
        needs_proj = w_in != w_out or stride != 1
        self.proj = conv_bn(w_in, w_out, 1, stride, act=False) if needs_proj else nn.Identity()
        self.f = BottleneckTransform(w_in, w_out, stride, group_width, bottleneck_ratio, se_ratio)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.proj(x) + self.f(x))


class RegNet(nn.Module):
    def __init__(self, cfg: RegNetConfig = REGNET_Y_400MF):
        super().__init__()
        self.cfg = cfg
        widths, depths, groups = regnet_stages(cfg)
        # AnyNet's fixed stem (paper Figure 3): one stride-2 3×3 conv.
        self.stem = conv_bn(cfg.in_channels, cfg.stem_width, 3, 2)  # (B, 32, H/2, W/2)
        stages: list[nn.Module] = []
        w_in = cfg.stem_width
        for w_out, d, g in zip(widths, depths, groups):
            # Every stage starts with a stride-2 block: four stages take H/2 down to H/32.
            b, se = cfg.bottleneck_ratio, cfg.se_ratio
            blocks = [ResBottleneckBlock(w_in, w_out, 2, g, b, se)]
            blocks += [ResBottleneckBlock(w_out, w_out, 1, g, b, se) for _ in range(d - 1)]
            stages.append(nn.Sequential(*blocks))
            w_in = w_out
        self.stages = nn.Sequential(*stages)  # (B, w_4, H/32, W/32)
        self.fc = nn.Linear(w_in, cfg.num_classes)
        init_cnn_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stages(self.stem(x))  # (B, w_4, 7, 7) at 224×224
        x = x.mean((2, 3))  # global average pool: (B, w_4)
        return self.fc(x)  # (B, num_classes) logits


PAPER = Paper(
    "Designing Network Design Spaces",
    "https://arxiv.org/abs/2003.13678",
    authors="I. Radosavovic, R. P. Kosaraju, R. Girshick, K. He, P. Dollár",
    venue="CVPR 2020",
)


def _card(
    key: str, name: str, cfg: RegNetConfig, params: int, top1: float, weights: str, note: tuple[str, str] = ("", "")
):
    widths, depths, groups = regnet_stages(cfg)
    y = cfg.se_ratio > 0
    block_en = (
        "Y block (X block + squeeze-and-excitation, SE width ¼ of the block input)"
        if y
        else "X block (ResNeXt bottleneck, ratio 1)"
    )
    block_zh = "Y 块（X 块加挤压-激励，SE 宽度为块输入宽度的 ¼）" if y else "X 块（ResNeXt 瓶颈，瓶颈比 1）"
    rule = f"d={cfg.depth}, w_0={cfg.w_0}, w_a={cfg.w_a}, w_m={cfg.w_m}, g={cfg.group_width}"
    return imagenet_card(
        key=key,
        name=name,
        family="RegNet",
        year=2020,
        paper=PAPER,
        level="intermediate",
        summary=(
            f"A ResNeXt-style CNN whose widths and depths come from a four-number rule instead of hand design: "
            f"block widths grow linearly and are snapped to a geometric ladder, and blocks of equal width form a "
            f"stage. The rule was found by progressively shrinking a space of random networks to where the good "
            f"ones live. {name} is the ~400 MFLOP member{' with squeeze-and-excitation' if y else ''}."
        ),
        scenarios=(
            "image classification under a fixed FLOP budget",
            "backbone for detection and segmentation (e.g. in Detectron2, torchvision)",
            "studying how design rules transfer across model sizes",
        ),
        strengths=(
            "one simple rule generates good models from 200 MFLOPs to 32 GFLOPs",
            "plain convolutions and few activations: fast on GPUs for its accuracy",
            "regular structure that is easy to scale and to reason about",
        ),
        weaknesses=(
            "grouped convolutions are less efficient on CPUs and mobile chips than their FLOPs suggest",
            "needs the full training recipe to reach its published accuracy",
        ),
        params=Figure(params, f"torchvision reference implementation ({key})"),
        metric=imagenet_top1(top1, weights),
        config_note=(
            f"Quantized linear rule {rule} → stage widths {widths}, depths {depths}; {block_en}, "
            f"stem 32, BatchNorm eps 1e-5, 1000 classes.{note[0]}"
        ),
        tags=("cnn", "imagenet", "design space", "grouped conv", "residual") + (("squeeze-excitation",) if y else ()),
        zh={
            "summary": f"一种 ResNeXt 风格的卷积网络，其宽度和深度不是手工设计的，而是由一条只有四个数的规则生成："
            f"块宽度线性增长后再量化到几何级数的台阶上，宽度相同的块组成一个阶段。这条规则是通过逐步缩小随机网络的"
            f"设计空间、只保留好模型所在区域而得到的。{name} 是其中约 4 亿次浮点运算的成员"
            f"{'，并带有挤压-激励模块' if y else ''}。",
            "scenarios": ["固定计算预算下的图像分类", "检测与分割的骨干网络（如 Detectron2、torchvision）", "研究设计规则如何在不同模型规模间迁移"],
            "strengths": ["一条简单规则即可生成从 2 亿到 320 亿次浮点运算的优秀模型", "普通卷积、激活少：在 GPU 上相对其准确率而言很快", "结构规整，易于缩放和分析"],
            "weaknesses": ["分组卷积在 CPU 和移动芯片上的实际效率低于其计算量所示", "需要完整的训练配方才能达到公布的准确率"],
            "config_note": f"量化线性规则 {rule} → 各阶段宽度 {widths}、深度 {depths}；{block_zh}，stem 32，"
            f"BatchNorm eps 1e-5，1000 类。{note[1]}",
        },
    )


# The last X-400MF stage has 392-wide blocks; torchvision rounds that to a multiple of g = 16 with
# make_divisible (→ 400), the paper's pycls code with round-half-even (→ 384). The count is torchvision's.
_X_NOTE = (
    " Last stage 392 → 400 as in torchvision (the paper's pycls code rounds it to 384).",
    "最后一个阶段的 392 按 torchvision 取整为 400（论文的 pycls 代码取整为 384）。",
)


@register_model(
    card=_card("regnet_x_400mf", "RegNetX-400MF", REGNET_X_400MF, 5_495_976, 72.834, "RegNet_X_400MF_Weights", _X_NOTE),
    example_input=imagenet_image,
)
def regnet_x_400mf(**overrides) -> RegNet:
    return RegNet(replace(REGNET_X_400MF, **overrides))


@register_model(
    card=_card("regnet_y_400mf", "RegNetY-400MF", REGNET_Y_400MF, 4_344_144, 74.046, "RegNet_Y_400MF_Weights"),
    example_input=imagenet_image,
)
def regnet_y_400mf(**overrides) -> RegNet:
    return RegNet(replace(REGNET_Y_400MF, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → torchvision name: stages live in `trunk_output`, named block1 … block4, blocks "block1-0" …
REGNET_TORCHVISION_NAMES = (
    (r"^stages\.(\d+)\.(\d+)\.", lambda m: f"trunk_output.block{int(m.group(1)) + 1}.block{int(m.group(1)) + 1}-{m.group(2)}."),
)
register_layout(
    Layout("torchvision", models=("regnet_x_400mf", "regnet_y_400mf"),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), REGNET_TORCHVISION_NAMES, optional=BATCH_COUNTERS),
           config=num_classes_from("fc.weight"), note="torchvision.models.regnet_* state dicts")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("regnet_x_400mf", "regnet_x_400mf-adf1edd5.pth"))
register_checkpoint(torchvision_checkpoint("regnet_y_400mf", "regnet_y_400mf-c65dace8.pth"))
