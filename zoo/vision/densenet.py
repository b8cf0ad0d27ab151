"""DenseNet — Huang, Liu, van der Maaten & Weinberger, "Densely Connected Convolutional Networks"
(CVPR 2017).
https://arxiv.org/abs/1608.06993

ResNet adds a block's output to its input; DenseNet concatenates. Inside a dense block, layer ℓ sees
the feature maps of *all* earlier layers, x_ℓ = H_ℓ([x_0, x_1, …, x_ℓ−1]) (paper Eq. 2), and adds only
k new channels of its own — the "growth rate", 32 here. Because every layer can reuse everything
before it, layers can be very narrow, and the network needs far fewer parameters than a ResNet of
similar accuracy (paper Figure 3: DenseNet-201 with 20M parameters matches ResNet-101 with 44.5M).

The ImageNet models are "DenseNet-BC" (§3): H_ℓ is BN-ReLU-Conv1×1 producing 4k channels (the
Bottleneck, "B") then BN-ReLU-Conv3×3 producing k; between blocks a transition layer
BN-ReLU-Conv1×1-AvgPool2×2 halves both the resolution and, with compression θ = 0.5 ("C"), the
channels. Four dense blocks follow a ResNet-like stem (paper Table 1); DenseNet-121 has
6-12-24-16 layers per block, DenseNet-169 6-12-32-32. The tensors, their shapes and their order are
torchvision's, so the parameter counts match it exactly.
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_


@dataclass(frozen=True)
class DenseNetConfig:
    block_layers: tuple[int, ...] = (6, 12, 24, 16)  # layers per dense block (Table 1)
    growth_rate: int = 32  # k: channels each layer adds to the block's running concatenation
    bn_size: int = 4  # the 1×1 bottleneck produces bn_size·k channels (§3, "DenseNet-B")
    compression: float = 0.5  # θ: a transition keeps ⌊θ·m⌋ of its m channels (§3, "DenseNet-C")
    stem_width: int = 64  # 2k channels out of the 7×7 stem conv
    drop_rate: float = 0.0  # dropout after each layer (the paper's ImageNet models use none)
    in_channels: int = 3
    num_classes: int = 1000


DENSENET121 = DenseNetConfig(block_layers=(6, 12, 24, 16))
DENSENET169 = DenseNetConfig(block_layers=(6, 12, 32, 32))


class DenseLayer(nn.Module):
    """H_ℓ of Eq. 2 in the bottleneck form: BN-ReLU-Conv1×1 (4k) → BN-ReLU-Conv3×3 (k).

    Pre-activation order (BN and ReLU before each conv, as in He et al.'s identity-mapping ResNets):
    the concatenated input mixes maps from many earlier layers with different statistics, and each
    layer normalises them its own way before using them."""

    def __init__(self, in_channels: int, growth_rate: int, bn_size: int, drop_rate: float):
        super().__init__()
        width = bn_size * growth_rate
        self.norm1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU(inplace=True)
        # The 1×1 "bottleneck" caps the 3×3 conv's input at 4k channels however long the concatenation grows.
        self.conv1 = nn.Conv2d(in_channels, width, kernel_size=1, bias=False)
        self.norm2 = nn.BatchNorm2d(width)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(width, growth_rate, kernel_size=3, padding=1, bias=False)
        self.dropout = nn.Dropout(drop_rate)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # x is [x_0, …, x_ℓ−1] concatenated: (B, c_0 + (ℓ−1)·k, H, W)
        x = self.conv1(self.relu1(self.norm1(x)))  # (B, 4k, H, W)
        x = self.conv2(self.relu2(self.norm2(x)))  # (B, k, H, W)
        return self.dropout(x)


class DenseBlock(nn.Module):
    """L dense layers; each sees the block input and every earlier layer's output (paper Figure 1)."""

    def __init__(self, num_layers: int, in_channels: int, growth_rate: int, bn_size: int, drop_rate: float):
        super().__init__()
        self.layers = nn.ModuleList(
            DenseLayer(in_channels + i * growth_rate, growth_rate, bn_size, drop_rate) for i in range(num_layers)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = [x]  # x_0: (B, c_0, H, W)
        for layer in self.layers:
            features.append(layer(torch.cat(features, dim=1)))  # x_ℓ = H_ℓ([x_0, …, x_ℓ−1]): (B, k, H, W)
        return torch.cat(features, dim=1)  # (B, c_0 + L·k, H, W)


class Transition(nn.Sequential):
    """BN-ReLU-Conv1×1-AvgPool2×2 between dense blocks (§3, "Pooling layers"): concatenation needs equal
    map sizes, so downsampling happens only here; the 1×1 conv applies the compression θ."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(in_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1, bias=False)  # (B, ⌊θm⌋, H, W)
        self.pool = nn.AvgPool2d(kernel_size=2, stride=2)  # (B, ⌊θm⌋, H/2, W/2)


class DenseNet(nn.Module):
    def __init__(self, cfg: DenseNetConfig = DENSENET121):
        super().__init__()
        self.cfg = cfg
        k = cfg.growth_rate
        # Table 1's stem: 7×7/2 conv and 3×3/2 max-pool, as in ResNet: 4× smaller maps before the first block.
        self.stem = nn.Sequential(
            nn.Conv2d(cfg.in_channels, cfg.stem_width, kernel_size=7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(cfg.stem_width),
            nn.ReLU(inplace=True),  # (B, 64, 112, 112)
            nn.MaxPool2d(kernel_size=3, stride=2, padding=1),  # (B, 64, 56, 56)
        )
        stages: OrderedDict[str, nn.Module] = OrderedDict()
        channels = cfg.stem_width
        for i, num_layers in enumerate(cfg.block_layers, start=1):
            stages[f"denseblock{i}"] = DenseBlock(num_layers, channels, k, cfg.bn_size, cfg.drop_rate)
            channels += num_layers * k
            if i < len(cfg.block_layers):
                out = math.floor(cfg.compression * channels)
                stages[f"transition{i}"] = Transition(channels, out)
                channels = out
        # DenseNet-121 at 224×224: 56² → 28² → 14² → 7², channels 256 →128, 512 →256, 1024 →512, 1024.
        self.stages = nn.Sequential(stages)
        # Layers normalise their own inputs (pre-activation), so the last block's output still needs a BN-ReLU.
        self.norm = nn.BatchNorm2d(channels)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, cfg.num_classes)
        init_cnn_(self, linear_std=None)  # He init for the convs (the paper follows He et al. 2015)
        nn.init.zeros_(self.classifier.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, 64, 56, 56)
        x = self.stages(x)  # (B, 1024, 7, 7) for DenseNet-121, (B, 1664, 7, 7) for DenseNet-169
        x = self.relu(self.norm(x))
        x = torch.flatten(self.avgpool(x), 1)  # (B, channels)
        return self.classifier(x)  # (B, num_classes) logits


FAMILY_CARD = imagenet_card(
    key="densenet",  # placeholder: every variant below replaces key, name, params, metric, config_note
    name="DenseNet",
    family="DenseNet",
    year=2016,
    paper=Paper(
        "Densely Connected Convolutional Networks",
        "https://arxiv.org/abs/1608.06993",
        authors="G. Huang, Z. Liu, L. van der Maaten, K. Q. Weinberger",
        venue="CVPR 2017",
    ),
    level="basic",
    summary=(
        "A CNN whose layers are densely connected: inside each of four dense blocks, every layer takes "
        "the concatenated feature maps of all the layers before it and adds 32 new channels of its own. "
        "Features are reused rather than recomputed, so DenseNet reaches ResNet-level accuracy with a "
        "fraction of the parameters; 1×1 bottlenecks and compressing transition layers keep it compact."
    ),
    scenarios=(
        "image classification where parameters or model size matter more than speed",
        "medical imaging (CheXNet's chest X-ray model is a DenseNet-121) and other small-data transfer learning",
        "backbone for segmentation and detection with multi-scale features",
    ),
    strengths=(
        "very parameter-efficient: in the paper, DenseNet-201 (20M weights) matches ResNet-101 (44.5M)",
        "short paths from every layer to the loss give strong gradient flow and implicit deep supervision",
        "reused features regularise the model, which helps on small datasets",
    ),
    weaknesses=(
        "the growing concatenations use much activation memory in training "
        "(a memory-efficient variant trades compute for it)",
        "many thin layers and concatenations run slower on GPUs than a ResNet with the same FLOPs",
    ),
    params=Figure(0, "set per variant"),
    tags=("cnn", "imagenet", "dense connections", "feature reuse", "concatenation", "batchnorm", "backbone"),
    zh={
        "summary": "一种层与层稠密连接的卷积网络：在四个稠密块内部，每一层都以前面所有层特征图的拼接为输入，"
        "并只新增 32 个通道。特征被重复利用而不是重新计算，因此 DenseNet 用远少于 ResNet 的参数就能达到相近的"
        "准确率；1×1 瓶颈层和带压缩的过渡层让模型保持紧凑。",
        "scenarios": [
            "参数量或模型体积比速度更重要的图像分类",
            "医学影像（CheXNet 胸片模型就是 DenseNet-121）及其他小数据迁移学习",
            "需要多尺度特征的分割与检测骨干网络",
        ],
        "strengths": [
            "参数效率很高：论文中 DenseNet-201（2000 万参数）与 ResNet-101（4450 万参数）准确率相当",
            "每一层到损失函数都有短路径，梯度流动顺畅，相当于隐式的深度监督",
            "特征复用起到正则化作用，有助于小数据集",
        ],
        "weaknesses": [
            "训练时不断增长的拼接占用大量激活内存（内存高效版本以额外计算换取内存）",
            "层多而窄且频繁拼接，在 GPU 上比同等计算量的 ResNet 更慢",
        ],
    },
)


def _card(cfg: DenseNetConfig, params: int, top1: float) -> ModelCard:
    depth = 2 * sum(cfg.block_layers) + len(cfg.block_layers) + 1  # 2 convs per layer, 3 transitions, stem, FC
    blocks = "-".join(map(str, cfg.block_layers))
    return replace(
        FAMILY_CARD,
        key=f"densenet{depth}",
        name=f"DenseNet-{depth}",
        params=Figure(params, f"torchvision reference implementation (densenet{depth})"),
        metric=imagenet_top1(top1, f"DenseNet{depth}_Weights"),
        config_note=(
            f"DenseNet-BC of Table 1: dense blocks of {blocks} layers, growth rate k = {cfg.growth_rate}, "
            f"bottleneck {cfg.bn_size}k, compression θ = {cfg.compression}, {cfg.stem_width}-channel 7×7 stem; "
            "1000 classes."
        ),
        i18n={
            "zh": {
                **FAMILY_CARD.i18n["zh"],
                "config_note": f"表 1 的 DenseNet-BC：稠密块层数 {blocks}，增长率 k = {cfg.growth_rate}，"
                f"瓶颈宽度 {cfg.bn_size}k，压缩率 θ = {cfg.compression}，{cfg.stem_width} 通道 7×7 起始卷积；1000 类。",
            }
        },
    )


@register_model(card=_card(DENSENET121, 7_978_856, 74.434), example_input=imagenet_image)
def densenet121(**overrides) -> DenseNet:
    return DenseNet(replace(DENSENET121, **overrides))


@register_model(card=_card(DENSENET169, 14_149_480, 75.600), example_input=imagenet_image)
def densenet169(**overrides) -> DenseNet:
    return DenseNet(replace(DENSENET169, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → torchvision name: everything but the classifier sits in one `features` Sequential there, and
# dense layers are numbered from 1.
DENSENET_TORCHVISION_NAMES = (
    (r"^stem\.0\.", "features.conv0."),
    (r"^stem\.1\.", "features.norm0."),
    (r"^stages\.(denseblock\d)\.layers\.(\d+)\.", lambda m: f"features.{m.group(1)}.denselayer{int(m.group(2)) + 1}."),
    (r"^stages\.", "features."),
    (r"^norm\.", "features.norm5."),
)


def legacy_densenet_names(name: str) -> str:
    """torchvision's published DenseNet files predate its current names: "norm.1" for "norm1" (and so on)."""
    return re.sub(r"(denselayer\d+\.(?:norm|relu|conv))\.([12])\.", r"\1\2.", name)


register_layout(
    Layout("torchvision", models=("densenet121", "densenet169"),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), DENSENET_TORCHVISION_NAMES, optional=BATCH_COUNTERS),
           config=num_classes_from("classifier.weight"), rename=legacy_densenet_names,
           note="torchvision.models.densenet* (old-style norm.1 / conv.1 names are read too)")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("densenet121", "densenet121-a639ec97.pth"))
register_checkpoint(torchvision_checkpoint("densenet169", "densenet169-b2777c0a.pth"))
