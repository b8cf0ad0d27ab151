"""VGG — Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(ICLR 2015).
https://arxiv.org/abs/1409.1556

VGG asked one question: what happens if a CNN gets deeper while every convolution stays 3×3? The
answer (runner-up at ILSVRC-2014) was a very regular network: five stages of 3×3 convolutions, each
stage halving the resolution with a 2×2 max-pool and doubling the channels up to 512, then the
AlexNet-style 4096-4096-1000 classifier. The paper's Table 1 lists configurations A–E; this file
keeps that table (`CONFIGS`) and registers configuration D, VGG-16, with 138,357,544 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_
from .alexnet import mlp_head

M = "M"  # a 2×2/2 max-pool between stages

# Table 1 of the paper: output channels of each 3×3 conv layer, "M" for max-pool.
# (Configuration C's 1×1 convolutions are left out; torchvision ships none of it either.)
CONFIGS: dict[str, tuple[int | str, ...]] = {
    "A": (64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M),  # VGG-11
    "B": (64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M),  # VGG-13
    "D": (64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M),  # VGG-16
    "E": (64, 64, M, 128, 128, M, 256, 256, 256, 256, M, 512, 512, 512, 512, M, 512, 512, 512, 512, M),  # VGG-19
}


@dataclass(frozen=True)
class VGGConfig:
    layers: tuple[int | str, ...] = CONFIGS["D"]
    batch_norm: bool = False  # the paper predates BatchNorm; the "_bn" variants add it after each conv
    in_channels: int = 3
    pool_size: int = 7  # 224 / 2⁵: the map side fed to the first FC layer
    hidden: int = 4096
    dropout: float = 0.5
    num_classes: int = 1000


VGG16 = VGGConfig()


def make_features(cfg: VGGConfig) -> nn.Sequential:
    layers: list[nn.Module] = []
    channels = cfg.in_channels
    for v in cfg.layers:
        if v == M:
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        # Two stacked 3×3 convs see 5×5 and three see 7×7, with fewer weights and more
        # non-linearities than one big kernel (paper §2.3) — the whole idea of VGG.
        layers.append(nn.Conv2d(channels, v, kernel_size=3, padding=1))
        if cfg.batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    def __init__(self, cfg: VGGConfig = VGG16):
        super().__init__()
        self.cfg = cfg
        self.features = make_features(cfg)  # (B, 3, 224, 224) → (B, 512, 7, 7)
        self.avgpool = nn.AdaptiveAvgPool2d(cfg.pool_size)  # no-op at 224×224
        last = [v for v in cfg.layers if v != M][-1]
        self.classifier = mlp_head(last * cfg.pool_size**2, cfg.hidden, cfg.num_classes, cfg.dropout)
        # The paper trained A first and copied its layers into deeper nets (§3.1); the same section
        # notes that a good random init (Glorot there, He here) makes that staging unnecessary.
        init_cnn_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))  # (B, 512, 7, 7)
        x = torch.flatten(x, 1)  # (B, 25088)
        return self.classifier(x)  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="vgg16",
        name="VGG-16",
        family="VGG",
        year=2014,
        paper=Paper(
            "Very Deep Convolutional Networks for Large-Scale Image Recognition",
            "https://arxiv.org/abs/1409.1556",
            authors="K. Simonyan, A. Zisserman",
            venue="ICLR 2015",
        ),
        level="basic",
        summary=(
            "A deep, strikingly regular CNN built only from 3×3 convolutions and 2×2 max-pools: 13 conv "
            "layers in five stages (64 → 512 channels) and three fully connected layers. It showed that "
            "depth with small kernels beats shallow nets with large ones, and its features became a "
            "standard backbone for detection, segmentation and perceptual losses."
        ),
        scenarios=(
            "feature extractor for perceptual / style-transfer losses",
            "backbone for older detection and segmentation models",
            "teaching how depth and small kernels work together",
        ),
        strengths=(
            "uniform design that is easy to understand and modify",
            "rich intermediate features that transfer well",
        ),
        weaknesses=(
            "138M parameters and ~15.5 GFLOPs per image: heavy for its accuracy",
            "no skip connections or normalisation, so very deep variants are hard to train",
        ),
        params=Figure(138_357_544, "torchvision reference implementation (vgg16)"),
        metric=imagenet_top1(71.592, "VGG16_Weights"),
        config_note=(
            "Configuration D of Table 1 without BatchNorm: 13 conv 3×3 layers, 5 max-pools, adaptive "
            "avg-pool to 7×7, FC 25088→4096→4096→1000 with dropout 0.5."
        ),
        tags=("cnn", "imagenet", "classic", "backbone", "3x3 conv"),
        zh={
            "summary": "一个很深且结构极其规整的卷积网络，只使用 3×3 卷积和 2×2 最大池化：五个阶段共 13 个卷积层"
            "（通道数 64 → 512），再接三个全连接层。它证明了“小卷积核 + 更深”胜过“大卷积核 + 较浅”，"
            "其特征成为检测、分割和感知损失的常用骨干。",
            "scenarios": ["感知损失 / 风格迁移中的特征提取器", "早期检测与分割模型的骨干网络", "讲解深度与小卷积核如何配合"],
            "strengths": ["设计统一，易于理解和修改", "中间层特征丰富，迁移效果好"],
            "weaknesses": ["1.38 亿参数、每张图约 155 亿次浮点运算，相对其准确率过于笨重", "没有跳跃连接和归一化，更深的变体难以训练"],
        },
    ),
    example_input=imagenet_image,
)
def vgg16(**overrides) -> VGG:
    return VGG(replace(VGG16, **overrides))
