"""ResNet — He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition" (CVPR 2016).
https://arxiv.org/abs/1512.03385

Residual networks learn a correction F(x) to an identity shortcut, y = F(x) + x (paper Eq. 1), so
extra layers can always fall back to doing nothing; that made 152-layer networks trainable and won
ILSVRC-2015. The architecture is a stem (7×7 conv + max-pool) and four stages of residual blocks
whose channels double while the resolution halves (paper Table 1). ResNet-18/34 use the two-conv
"basic" block, ResNet-50/101/152 the 1×1-3×3-1×1 "bottleneck" block (Figure 5).

This is the "v1.5" variant everyone compares to (torchvision's): in a downsampling bottleneck the
stride sits on the 3×3 conv rather than the first 1×1, which costs a little compute and gains
about half a point of top-1. Parameter counts match torchvision exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_


@dataclass(frozen=True)
class ResNetConfig:
    block: str = "bottleneck"  # "basic" (two 3×3 convs) or "bottleneck" (1×1 → 3×3 → 1×1)
    layers: tuple[int, int, int, int] = (3, 4, 6, 3)  # blocks per stage: conv2_x … conv5_x
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)  # 3×3 conv channels per stage
    stem_width: int = 64
    in_channels: int = 3
    num_classes: int = 1000
    zero_init_residual: bool = False  # start each block as the identity (Goyal et al. 2017)


RESNET18 = ResNetConfig(block="basic", layers=(2, 2, 2, 2))
RESNET34 = ResNetConfig(block="basic", layers=(3, 4, 6, 3))
RESNET50 = ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3))
RESNET101 = ResNetConfig(block="bottleneck", layers=(3, 4, 23, 3))
RESNET152 = ResNetConfig(block="bottleneck", layers=(3, 8, 36, 3))


def shortcut(in_channels: int, out_channels: int, stride: int) -> nn.Module:
    """The identity, or option (B) of §3.3 — a strided 1×1 projection — where shapes change."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class BasicBlock(nn.Module):
    """Two 3×3 convs (Figure 5, left). Convs have no bias: the following BatchNorm has one."""

    expansion = 1

    def __init__(self, in_channels: int, width: int, stride: int = 1):
        super().__init__()
        out = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, out, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = shortcut(in_channels, out, stride)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))  # (B, width, H/stride, W/stride)
        return self.bn2(self.conv2(x))  # (B, width, H/stride, W/stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # y = F(x) + x (Eq. 1), with the ReLU after the addition as in Figure 2.
        return self.relu(self.residual(x) + self.shortcut(x))


class Bottleneck(nn.Module):
    """1×1 reduce → 3×3 → 1×1 expand ×4 (Figure 5, right): the 3×3 conv works on a quarter of the
    channels, which is what makes 50+ layers affordable."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1):
        super().__init__()
        out = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        # v1.5: the stride is here, not on conv1, so no input pixel is skipped by a strided 1×1.
        self.conv2 = nn.Conv2d(width, width, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = shortcut(in_channels, out, stride)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))  # (B, width, H, W)
        x = self.relu(self.bn2(self.conv2(x)))  # (B, width, H/stride, W/stride)
        return self.bn3(self.conv3(x))  # (B, 4·width, H/stride, W/stride)

    forward = BasicBlock.forward  # same y = ReLU(F(x) + x)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResNet(nn.Module):
    def __init__(self, cfg: ResNetConfig = RESNET50):
        super().__init__()
        self.cfg = cfg
        block = BLOCKS[cfg.block]
        # conv1 + pool of Table 1: a cheap 4× downsampling before any residual block.
        self.stem = nn.Sequential(
            nn.Conv2d(cfg.in_channels, cfg.stem_width, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(cfg.stem_width),
            nn.ReLU(inplace=True),  # (B, 64, 112, 112)
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),  # (B, 64, 56, 56)
        )
        stages: list[nn.Module] = []
        channels = cfg.stem_width
        for i, (depth, width) in enumerate(zip(cfg.layers, cfg.widths)):
            stride = 1 if i == 0 else 2  # conv3_1, conv4_1, conv5_1 halve the resolution
            blocks = []
            for j in range(depth):
                blocks.append(block(channels, width, stride if j == 0 else 1))
                channels = width * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages  # conv2_x … conv5_x of Table 1
        self.avgpool = nn.AdaptiveAvgPool2d(1)  # global average pool: no big FC layers as in VGG
        self.fc = nn.Linear(channels, cfg.num_classes)
        init_cnn_(self, linear_std=None)  # He et al. 2015 for convs, as the paper does (§3.4)
        if cfg.zero_init_residual:
            # γ = 0 on each block's last BN: F(x) starts at 0, so every block starts as the identity.
            for m in self.modules():
                if isinstance(m, (BasicBlock, Bottleneck)):
                    nn.init.zeros_(m.bn3.weight if isinstance(m, Bottleneck) else m.bn2.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, 64, 56, 56)
        x = self.layer1(x)  # (B, 64·e, 56, 56), e = block expansion (1 or 4)
        x = self.layer2(x)  # (B, 128·e, 28, 28)
        x = self.layer3(x)  # (B, 256·e, 14, 14)
        x = self.layer4(x)  # (B, 512·e, 7, 7)
        x = torch.flatten(self.avgpool(x), 1)  # (B, 512·e)
        return self.fc(x)  # (B, num_classes) logits


FAMILY_CARD = imagenet_card(
    key="resnet",  # placeholder: every variant below replaces key, name, params, metric, config_note
    name="ResNet",
    family="ResNet",
    year=2015,
    paper=Paper(
        "Deep Residual Learning for Image Recognition",
        "https://arxiv.org/abs/1512.03385",
        authors="K. He, X. Zhang, S. Ren, J. Sun",
        venue="CVPR 2016",
    ),
    level="intermediate",
    summary=(
        "A CNN built from residual blocks: each block learns a correction that is added to its input "
        "through a shortcut, so signals and gradients pass straight through the network. This let "
        "networks go from about 20 to over 150 layers while getting more accurate, and made ResNet the "
        "default backbone of computer vision for years."
    ),
    scenarios=(
        "general image classification and transfer learning",
        "backbone for detection, segmentation and pose estimation",
        "baseline when comparing new architectures or training recipes",
    ),
    strengths=(
        "deep yet easy to optimise thanks to identity shortcuts",
        "well understood, with a range of depths to trade speed for accuracy",
        "global average pooling keeps the classifier small and input size flexible",
    ),
    weaknesses=(
        "less accurate per FLOP than later designs (EfficientNet, ConvNeXt)",
        "BatchNorm makes very small batches and some deployments awkward",
    ),
    params=Figure(0, "set per variant"),
    tags=("cnn", "imagenet", "residual", "skip connections", "batchnorm", "backbone"),
    zh={
        "summary": "由残差块构成的卷积网络：每个块学习一个“修正量”，通过捷径连接加回到输入上，"
        "使信号和梯度可以直接穿过整个网络。它让网络深度从约 20 层提升到 150 层以上且准确率持续提高，"
        "多年来一直是计算机视觉的默认骨干网络。",
        "scenarios": ["通用图像分类与迁移学习", "目标检测、分割和姿态估计的骨干网络", "比较新架构或训练方法时的基线"],
        "strengths": ["得益于恒等捷径，网络虽深却易于优化", "研究充分，多种深度可在速度与准确率之间取舍", "全局平均池化使分类器很小，输入尺寸灵活"],
        "weaknesses": ["单位计算量的准确率不如后来的设计（EfficientNet、ConvNeXt）", "依赖 BatchNorm，极小批量训练和部分部署场景不便"],
    },
)


def _card(cfg: ResNetConfig, depth: int, params: int, top1: float) -> ModelCard:
    block = "BasicBlock (3×3, 3×3)" if cfg.block == "basic" else "Bottleneck v1.5 (1×1, 3×3 strided, 1×1 ×4)"
    return replace(
        FAMILY_CARD,
        key=f"resnet{depth}",
        name=f"ResNet-{depth}",
        params=Figure(params, f"torchvision reference implementation (resnet{depth})"),
        metric=imagenet_top1(top1, f"ResNet{depth}_Weights"),
        config_note=f"{block} blocks {list(cfg.layers)} per stage, widths 64-128-256-512, 1000 classes.",
    )


@register_model(card=_card(RESNET18, 18, 11_689_512, 69.758), example_input=imagenet_image)
def resnet18(**overrides) -> ResNet:
    return ResNet(replace(RESNET18, **overrides))


@register_model(card=_card(RESNET34, 34, 21_797_672, 73.314), example_input=imagenet_image)
def resnet34(**overrides) -> ResNet:
    return ResNet(replace(RESNET34, **overrides))


@register_model(card=_card(RESNET50, 50, 25_557_032, 76.130), example_input=imagenet_image)
def resnet50(**overrides) -> ResNet:
    return ResNet(replace(RESNET50, **overrides))


@register_model(card=_card(RESNET101, 101, 44_549_160, 77.374), example_input=imagenet_image)
def resnet101(**overrides) -> ResNet:
    return ResNet(replace(RESNET101, **overrides))


@register_model(card=_card(RESNET152, 152, 60_192_808, 78.312), example_input=imagenet_image)
def resnet152(**overrides) -> ResNet:
    return ResNet(replace(RESNET152, **overrides))
