"""VGG — Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition"
(ICLR 2015).
https://arxiv.org/abs/1409.1556

VGG asked one question: what happens if a CNN gets deeper while every convolution stays 3×3? The
answer (runner-up at ILSVRC-2014) was a very regular network: five stages of 3×3 convolutions, each
stage halving the resolution with a 2×2 max-pool and doubling the channels up to 512, then the
AlexNet-style 4096-4096-1000 classifier. The paper's Table 1 lists configurations A–E; this file
keeps that table (`CONFIGS`) and registers A (VGG-11), D (VGG-16) and E (VGG-19), each also in the
"_bn" form that puts BatchNorm (Ioffe & Szegedy 2015, a year after VGG) after every convolution, as
torchvision does. "VGG-n" counts weight layers: n − 3 convolutions plus the three FC layers.
Parameter counts match torchvision's exactly (VGG-11 132,863,336 … VGG-19-BN 143,678,248).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)
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


VGG11 = VGGConfig(layers=CONFIGS["A"])
VGG11_BN = VGGConfig(layers=CONFIGS["A"], batch_norm=True)
VGG16 = VGGConfig(layers=CONFIGS["D"])
VGG16_BN = VGGConfig(layers=CONFIGS["D"], batch_norm=True)
VGG19 = VGGConfig(layers=CONFIGS["E"])
VGG19_BN = VGGConfig(layers=CONFIGS["E"], batch_norm=True)


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


FAMILY_CARD = imagenet_card(
    key="vgg",  # placeholder: every variant below replaces key, name, params, metric, config_note
    name="VGG",
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
        "A deep, strikingly regular CNN built only from 3×3 convolutions and 2×2 max-pools: 8 to 16 conv "
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
        "133–144M parameters (about three quarters in the first FC layer) and 7.6–19.6 G multiply-adds "
        "per image: heavy for its accuracy",
        "no skip connections: without BatchNorm the deeper variants are hard to train from scratch",
    ),
    params=Figure(0, "set per variant"),
    tags=("cnn", "imagenet", "classic", "backbone", "3x3 conv"),
    zh={
        "summary": "一个很深且结构极其规整的卷积网络，只使用 3×3 卷积和 2×2 最大池化：五个阶段共 8 到 16 个卷积层"
        "（通道数 64 → 512），再接三个全连接层。它证明了“小卷积核 + 更深”胜过“大卷积核 + 较浅”，"
        "其特征成为检测、分割和感知损失的常用骨干。",
        "scenarios": ["感知损失 / 风格迁移中的特征提取器", "早期检测与分割模型的骨干网络", "讲解深度与小卷积核如何配合"],
        "strengths": ["设计统一，易于理解和修改", "中间层特征丰富，迁移效果好"],
        "weaknesses": [
            "1.33–1.44 亿参数（约四分之三在第一个全连接层），每张图 76–196 亿次乘加：相对其准确率过于笨重",
            "没有跳跃连接：不加 BatchNorm 时，较深的变体难以从头训练",
        ],
    },
)

def _card(cfg: VGGConfig, params: int, top1: float) -> ModelCard:
    table = next(name for name, layers in CONFIGS.items() if layers == cfg.layers)  # column of Table 1
    convs = sum(v != M for v in cfg.layers)
    depth = convs + 3  # weight layers: convs + fc6, fc7, fc8
    bn = "_bn" if cfg.batch_norm else ""
    weights = f"VGG{depth}{bn.upper()}_Weights"
    with_bn = ", BatchNorm after each" if cfg.batch_norm else " without BatchNorm"
    zh_bn = "，每层后接 BatchNorm" if cfg.batch_norm else "，不含 BatchNorm"
    zh = {
        **FAMILY_CARD.i18n["zh"],
        "config_note": f"表 1 的配置 {table}：{convs} 个 3×3 卷积层{zh_bn}，5 个最大池化，"
        "自适应平均池化到 7×7，全连接 25088→4096→4096→1000，dropout 0.5。",
    }
    return replace(
        FAMILY_CARD,
        key=f"vgg{depth}{bn}",
        name=f"VGG-{depth}" + ("-BN" if cfg.batch_norm else ""),
        params=Figure(params, f"torchvision reference implementation (vgg{depth}{bn})"),
        metric=imagenet_top1(top1, weights),
        config_note=(
            f"Configuration {table} of Table 1: {convs} conv 3×3 layers{with_bn}, 5 max-pools, "
            "adaptive avg-pool to 7×7, FC 25088→4096→4096→1000 with dropout 0.5."
        ),
        tags=FAMILY_CARD.tags + (("batchnorm",) if cfg.batch_norm else ()),
        i18n={"zh": zh},
    )


@register_model(card=_card(VGG11, 132_863_336, 69.020), example_input=imagenet_image)
def vgg11(**overrides) -> VGG:
    return VGG(replace(VGG11, **overrides))


@register_model(card=_card(VGG11_BN, 132_868_840, 70.370), example_input=imagenet_image)
def vgg11_bn(**overrides) -> VGG:
    return VGG(replace(VGG11_BN, **overrides))


@register_model(card=_card(VGG16, 138_357_544, 71.592), example_input=imagenet_image)
def vgg16(**overrides) -> VGG:
    return VGG(replace(VGG16, **overrides))


@register_model(card=_card(VGG16_BN, 138_365_992, 73.360), example_input=imagenet_image)
def vgg16_bn(**overrides) -> VGG:
    return VGG(replace(VGG16_BN, **overrides))


@register_model(card=_card(VGG19, 143_667_240, 72.376), example_input=imagenet_image)
def vgg19(**overrides) -> VGG:
    return VGG(replace(VGG19, **overrides))


@register_model(card=_card(VGG19_BN, 143_678_248, 74.218), example_input=imagenet_image)
def vgg19_bn(**overrides) -> VGG:
    return VGG(replace(VGG19_BN, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

def torchvision_vgg_map(model: VGG) -> KeyMap:
    """The features keep torchvision's indices; its classifier is Linear (0), ReLU, Dropout, Linear (3), ReLU,
    Dropout, Linear (6), where DeepZoo's shared MLP head puts the first two Linears at 1 and 4."""
    rules = ((r"^classifier\.1\.", "classifier.0."), (r"^classifier\.4\.", "classifier.3."))
    return KeyMap.by_rules(model.state_dict(), rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=("vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"),
           key_map=torchvision_vgg_map, config=num_classes_from("classifier.6.weight"),
           note="torchvision.models.vgg* state dicts")
)  # fmt: skip
for _key, _file in (
    ("vgg11", "vgg11-8a719046.pth"), ("vgg11_bn", "vgg11_bn-6002323d.pth"), ("vgg16", "vgg16-397923af.pth"),
    ("vgg16_bn", "vgg16_bn-6c64b313.pth"), ("vgg19", "vgg19-dcbb9e9d.pth"), ("vgg19_bn", "vgg19_bn-c79401a0.pth"),
):  # fmt: skip
    register_checkpoint(torchvision_checkpoint(_key, _file))
