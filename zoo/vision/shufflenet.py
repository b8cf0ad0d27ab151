"""ShuffleNet V2 — Ma, Zhang, Zheng & Sun, "ShuffleNet V2: Practical Guidelines for Efficient CNN
Architecture Design" (ECCV 2018).
https://arxiv.org/abs/1807.11164

FLOPs are not speed. The paper measures what else costs time on real devices and draws four
guidelines (§2): equal input/output widths minimise memory access (G1), group convolutions cost
memory access (G2), fragmented multi-branch blocks hurt parallelism (G3), element-wise ops are not
free (G4). Its unit follows them: a *channel split* sends half the channels straight through and the
other half through 1×1 → 3×3 depthwise → 1×1 convs of equal width with no groups; the halves are
concatenated (no addition) and a *channel shuffle* interleaves them so the next unit's split mixes
information from both (Figure 3c). A stride-2 unit processes both halves and doubles the width
(Figure 3d). The 1.0× network of Table 5 matches torchvision's layout and count (2,278,604).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1


@dataclass(frozen=True)
class ShuffleNetV2Config:
    repeats: tuple[int, int, int] = (4, 8, 4)  # units in Stage2, Stage3, Stage4 (Table 5)
    widths: tuple[int, int, int, int, int] = (24, 116, 232, 464, 1024)  # Conv1, Stage2–4, Conv5 at 1.0×
    in_channels: int = 3
    num_classes: int = 1000


X1_0 = ShuffleNetV2Config()


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """Interleave the channels of `groups` equal groups: (g, c/g) → (c/g, g), the shuffle of ShuffleNet V1 §3.1."""
    b, c, h, w = x.shape
    x = x.view(b, groups, c // groups, h, w)  # (B, g, C/g, H, W)
    x = x.transpose(1, 2).contiguous()  # (B, C/g, g, H, W)
    return x.view(b, c, h, w)  # channel i·g + j now holds group j's i-th channel


def conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels),
    ]


class ShuffleUnit(nn.Module):
    """Figure 3(c) (stride 1) and 3(d) (stride 2, spatial down-sampling)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int):
        super().__init__()
        self.stride = stride
        half = out_channels // 2
        if stride == 1 and in_channels != out_channels:
            raise ValueError("a stride-1 unit keeps its width: half is passed through, half is transformed")
        if stride > 1:
            # Figure 3(d): the left branch also sees the whole input and down-samples it.
            self.branch1 = nn.Sequential(
                # depthwise, with no ReLU after it (ShuffleNet V1 §3.2)
                *conv_bn(in_channels, in_channels, 3, stride, groups=in_channels),
                *conv_bn(in_channels, half, 1),
                nn.ReLU(inplace=True),
            )
        self.branch2 = nn.Sequential(
            *conv_bn(in_channels if stride > 1 else half, half, 1),  # G1: 1×1 convs keep the width equal
            nn.ReLU(inplace=True),
            *conv_bn(half, half, 3, stride, groups=half),
            *conv_bn(half, half, 1),  # G2: plain 1×1 convs, no groups (unlike ShuffleNet V1)
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            # Channel split: the identity half costs nothing (G4: no element-wise add, concat instead).
            x1, x2 = x.chunk(2, dim=1)  # 2 × (B, C/2, H, W)
            out = torch.cat((x1, self.branch2(x2)), dim=1)  # (B, C, H, W)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)  # (B, C_out, H/2, W/2)
        return channel_shuffle(out, 2)  # let the next split see both branches


class ShuffleNetV2(nn.Module):
    def __init__(self, cfg: ShuffleNetV2Config = X1_0):
        super().__init__()
        self.cfg = cfg
        conv1, *stage_widths, conv5 = cfg.widths
        self.conv1 = nn.Sequential(*conv_bn(cfg.in_channels, conv1, 3, 2), nn.ReLU(inplace=True))  # (B, 24, 112, 112)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)  # (B, 24, 56, 56)
        channels = conv1
        stages = []
        for repeats, width in zip(cfg.repeats, stage_widths):
            units = [ShuffleUnit(channels, width, 2)] + [ShuffleUnit(width, width, 1) for _ in range(repeats - 1)]
            stages.append(nn.Sequential(*units))
            channels = width
        self.stage2, self.stage3, self.stage4 = stages  # 28², 14², 7²
        self.conv5 = nn.Sequential(*conv_bn(channels, conv5, 1), nn.ReLU(inplace=True))  # (B, 1024, 7, 7)
        self.fc = nn.Linear(conv5, cfg.num_classes)
        # PyTorch's default init, as the torchvision reference that the count comes from.

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.conv1(x))  # (B, 24, 56, 56)
        x = self.stage2(x)  # (B, 116, 28, 28)
        x = self.stage3(x)  # (B, 232, 14, 14)
        x = self.stage4(x)  # (B, 464, 7, 7)
        x = self.conv5(x).mean((2, 3))  # global pool: (B, 1024)
        return self.fc(x)  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="shufflenet_v2_x1_0",
        name="ShuffleNet V2 1.0×",
        family="ShuffleNet",
        year=2018,
        paper=Paper(
            "ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture Design",
            "https://arxiv.org/abs/1807.11164",
            authors="N. Ma, X. Zhang, H.-T. Zheng, J. Sun",
            venue="ECCV 2018",
        ),
        level="intermediate",
        summary=(
            "A mobile CNN designed for measured speed rather than FLOPs. Each unit splits its channels in two: "
            "one half passes through untouched, the other goes through equal-width 1×1, depthwise 3×3 and 1×1 "
            "convolutions; the halves are concatenated and then shuffled so information flows between them. "
            "The design follows four guidelines from timing real GPUs and ARM chips, e.g. keep layer widths "
            "equal and avoid group convolutions and element-wise additions."
        ),
        scenarios=(
            "fast image classification on phones and ARM boards",
            "lightweight backbone for detection and pose estimation",
            "teaching why FLOPs are a poor proxy for speed",
        ),
        strengths=(
            "fast in practice: few memory-bound operations and little branch fragmentation",
            "2.3M parameters and ~146M FLOPs at 224×224",
            "channel split gives feature reuse (like DenseNet) for free",
        ),
        weaknesses=(
            "lower accuracy than later searched models (MobileNetV3, EfficientNet) at similar cost",
            "channel shuffle is a memory reshuffle that some inference engines handle poorly",
        ),
        params=Figure(2_278_604, "torchvision reference implementation (shufflenet_v2_x1_0)"),
        metric=imagenet_top1(69.362, "ShuffleNet_V2_X1_0_Weights"),
        config_note=(
            "1.0× of Table 5: Conv1 3×3 (24) + max-pool, Stage2–4 with 4/8/4 units of width 116/232/464, "
            "Conv5 1×1 (1024), global pool, 1000 classes; BatchNorm eps 1e-5."
        ),
        tags=("cnn", "imagenet", "mobile", "efficient", "channel shuffle", "depthwise separable"),
        zh={
            "summary": "一种以实测速度而非 FLOPs 为目标设计的移动端卷积网络。每个单元把通道一分为二："
            "一半原样通过，另一半依次经过等宽的 1×1、3×3 深度卷积和 1×1 卷积；两半拼接后再做通道混洗，"
            "让信息在两部分之间流动。其设计遵循在真实 GPU 和 ARM 芯片上测速得到的四条准则，"
            "例如保持各层宽度相等、避免分组卷积和逐元素加法。",
            "scenarios": ["手机和 ARM 开发板上的快速图像分类", "检测与姿态估计的轻量骨干", "讲解为什么 FLOPs 不能代表速度"],
            "strengths": ["实际运行快：受内存带宽限制的操作少，分支碎片化程度低", "230 万参数，224×224 下约 1.46 亿次浮点运算", "通道拆分免费带来特征复用（类似 DenseNet）"],
            "weaknesses": ["相近计算量下准确率低于后来搜索得到的模型（MobileNetV3、EfficientNet）", "通道混洗是一次内存重排，部分推理引擎处理不佳"],
            "config_note": "表 5 的 1.0× 配置：Conv1 3×3（24 通道）+ 最大池化，Stage2–4 分别有 4/8/4 个单元、宽度 116/232/464，"
            "Conv5 1×1（1024 通道），全局池化，1000 类；BatchNorm eps 1e-5。",
        },
    ),
    example_input=imagenet_image,
)
def shufflenet_v2_x1_0(**overrides) -> ShuffleNetV2:
    return ShuffleNetV2(replace(X1_0, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

register_layout(
    Layout("torchvision", models=("shufflenet_v2_x1_0",),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), (), optional=BATCH_COUNTERS),
           config=num_classes_from("fc.weight"), note="torchvision.models.shufflenet_v2_x1_0 (the same names)")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("shufflenet_v2_x1_0", "shufflenetv2_x1-5666bf0f80.pth"))
