"""SqueezeNet — Iandola, Han, Moskewicz, Ashraf, Dally & Keutzer, "SqueezeNet: AlexNet-level accuracy
with 50x fewer parameters and <0.5MB model size" (2016).
https://arxiv.org/abs/1602.07360

SqueezeNet asks how few parameters an ImageNet CNN needs for AlexNet's accuracy. Three strategies
(paper §3.1): use mostly 1×1 filters (9× fewer weights than 3×3), feed the remaining 3×3 filters few
input channels, and downsample late so that the layers work on large activation maps. The Fire
module (§3.2, Figure 1) puts the first two together: a 1×1 "squeeze" conv narrows the tensor to s1x1
channels, then parallel 1×1 and 3×3 "expand" convs (e1x1 + e3x3 channels) are concatenated. With
squeeze ratio s1x1 / (e1x1 + e3x3) = 0.125 and half of the expand filters 3×3, eight Fire modules
(fire2 … fire9) replace AlexNet's convolutions, and a 1×1 conv10 with global average pooling replaces
its 58M-parameter fully connected layers.

SqueezeNet 1.1 (the authors' repository, https://github.com/forresti/SqueezeNet, SqueezeNet_v1.1)
keeps the Fire modules but starts with a 3×3 conv of 64 filters and pools earlier: 2.4× less
computation, slightly fewer parameters, the same accuracy. The tensors, their shapes and their order
are torchvision's (1,248,424 and 1,235,496 parameters).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..pretrained import KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1

M = "M"  # a 3×3/2 max-pool

# Paper Table 1, from maxpool1 on: (s1x1, e1x1, e3x3) for fire2 … fire9, "M" for max-pools.
SQUEEZENET1_0_LAYERS: tuple[tuple[int, int, int] | str, ...] = (
    M, (16, 64, 64), (16, 64, 64), (32, 128, 128),
    M, (32, 128, 128), (48, 192, 192), (48, 192, 192), (64, 256, 256),
    M, (64, 256, 256),
)  # fmt: skip
# v1.1 moves the 2nd and 3rd pools earlier (after fire3 and fire5): most Fire modules see 4× smaller maps.
SQUEEZENET1_1_LAYERS: tuple[tuple[int, int, int] | str, ...] = (
    M, (16, 64, 64), (16, 64, 64),
    M, (32, 128, 128), (32, 128, 128),
    M, (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256),
)  # fmt: skip


@dataclass(frozen=True)
class SqueezeNetConfig:
    conv1_channels: int = 96
    conv1_kernel: int = 7  # stride 2, no padding
    layers: tuple[tuple[int, int, int] | str, ...] = SQUEEZENET1_0_LAYERS
    dropout: float = 0.5  # after fire9, as in the paper
    in_channels: int = 3
    num_classes: int = 1000


SQUEEZENET1_0 = SqueezeNetConfig()
SQUEEZENET1_1 = SqueezeNetConfig(conv1_channels=64, conv1_kernel=3, layers=SQUEEZENET1_1_LAYERS)


class Fire(nn.Module):
    """squeeze 1×1 → ReLU → [expand 1×1 ‖ expand 3×3] → ReLU (paper Figure 1)."""

    def __init__(self, in_channels: int, s1x1: int, e1x1: int, e3x3: int):
        super().__init__()
        # Strategy 2: the 3×3 filters see only s1x1 input channels, so they cost 9·s1x1·e3x3 weights.
        self.squeeze = nn.Conv2d(in_channels, s1x1, kernel_size=1)
        self.expand1x1 = nn.Conv2d(s1x1, e1x1, kernel_size=1)  # strategy 1: cheap 1×1 filters
        self.expand3x3 = nn.Conv2d(s1x1, e3x3, kernel_size=3, padding=1)  # padding keeps both maps the same size
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.squeeze(x))  # (B, s1x1, H, W)
        e1 = self.relu(self.expand1x1(x))  # (B, e1x1, H, W)
        e3 = self.relu(self.expand3x3(x))  # (B, e3x3, H, W)
        return torch.cat([e1, e3], dim=1)  # (B, e1x1 + e3x3, H, W)


class SqueezeNet(nn.Module):
    def __init__(self, cfg: SqueezeNetConfig = SQUEEZENET1_0):
        super().__init__()
        self.cfg = cfg
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        layers["conv1"] = nn.Conv2d(cfg.in_channels, cfg.conv1_channels, kernel_size=cfg.conv1_kernel, stride=2)
        layers["relu1"] = nn.ReLU(inplace=True)
        channels, last = cfg.conv1_channels, 1  # `last`: number of the layer before, as in Table 1's names
        for v in cfg.layers:
            if v == M:
                # ceil_mode: Caffe, where SqueezeNet was trained, rounds pooled map sizes up.
                layers[f"maxpool{last}"] = nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)
                continue
            last += 1
            s1x1, e1x1, e3x3 = v
            layers[f"fire{last}"] = Fire(channels, s1x1, e1x1, e3x3)
            channels = e1x1 + e3x3
        self.features = nn.Sequential(layers)  # (B, 512, 13, 13) at 224×224, both versions
        # No FC layers (strategy 3 and NiN): a 1×1 conv gives one map per class, averaged over space.
        self.classifier = nn.Sequential(
            nn.Dropout(cfg.dropout),
            nn.Conv2d(channels, cfg.num_classes, kernel_size=1),  # conv10: (B, num_classes, 13, 13)
            nn.ReLU(inplace=True),  # as in the released model: every logit is ≥ 0
            nn.AdaptiveAvgPool2d(1),  # avgpool10: (B, num_classes, 1, 1)
        )
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight)
                nn.init.zeros_(m.bias)
        # conv10 starts from N(0, 0.01), as in torchvision's reference: initial logits near zero.
        nn.init.normal_(self.classifier[1].weight, 0.0, 0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 512, 13, 13) at 224×224
        return torch.flatten(self.classifier(x), 1)  # (B, num_classes) logits


FAMILY_CARD = imagenet_card(
    key="squeezenet",  # placeholder: every variant below replaces key, name, params, metric, config_note
    name="SqueezeNet",
    family="SqueezeNet",
    year=2016,
    paper=Paper(
        "SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and <0.5MB model size",
        "https://arxiv.org/abs/1602.07360",
        authors="F. N. Iandola, S. Han, M. W. Moskewicz, K. Ashraf, W. J. Dally, K. Keutzer",
        venue="arXiv 2016",
    ),
    level="basic",
    summary=(
        "A tiny CNN that matches AlexNet's ImageNet accuracy with about 50× fewer parameters (1.2M). "
        "It is built from Fire modules: a 1×1 'squeeze' convolution narrows the channels, then 1×1 and "
        "3×3 'expand' convolutions run side by side and are concatenated. Downsampling comes late, and "
        "a 1×1 convolution with global average pooling replaces the fully connected layers."
    ),
    scenarios=(
        "classification on embedded devices, FPGAs and browsers where model size is the constraint",
        "teaching how 1×1 convolutions and channel design cut parameters",
        "a small baseline for model compression (the paper compresses it further to under 0.5 MB)",
    ),
    strengths=(
        "about 1.2M parameters: under 5 MB in 32-bit floats, well under 1 MB after compression",
        "no fully connected layers, so any input from about 21×21 pixels up works",
        "simple, uniform building block",
    ),
    weaknesses=(
        "only AlexNet-level accuracy (about 58% top-1), far below later mobile designs",
        "few parameters but not few FLOPs: v1.0 needs about 0.8 G multiply-adds, more than MobileNetV2",
    ),
    params=Figure(0, "set per variant"),
    tags=("cnn", "imagenet", "compact", "fire module", "1x1 conv", "mobile", "classic"),
    zh={
        "summary": "一个极小的卷积网络，以约少 50 倍的参数（120 万）达到 AlexNet 在 ImageNet 上的准确率。"
        "它由 Fire 模块构成：先用 1×1 的“压缩”（squeeze）卷积减少通道，再让 1×1 和 3×3 的“扩展”（expand）"
        "卷积并行计算并拼接。下采样放在网络后部，并用 1×1 卷积加全局平均池化代替全连接层。",
        "scenarios": [
            "模型体积受限的嵌入式设备、FPGA 和浏览器中的图像分类",
            "讲解 1×1 卷积和通道设计如何减少参数",
            "模型压缩的小型基线（论文进一步把它压缩到 0.5 MB 以下）",
        ],
        "strengths": [
            "约 120 万参数：32 位浮点不到 5 MB，压缩后远小于 1 MB",
            "没有全连接层，约 21×21 像素以上的任意输入都能使用",
            "构件简单统一",
        ],
        "weaknesses": [
            "准确率只有 AlexNet 水平（top-1 约 58%），远低于后来的移动端设计",
            "参数少但计算量并不少：v1.0 约需 8 亿次乘加，比 MobileNetV2 还多",
        ],
    },
)


@register_model(
    card=replace(
        FAMILY_CARD,
        key="squeezenet1_0",
        name="SqueezeNet 1.0",
        params=Figure(1_248_424, "torchvision reference implementation (squeezenet1_0)"),
        metric=imagenet_top1(58.092, "SqueezeNet1_0_Weights"),
        config_note=(
            "Paper Table 1: conv1 96×7×7/2, fire2–fire9 with squeeze ratio 0.125 and half the expand filters "
            "3×3, max-pools after conv1, fire4 and fire8, dropout 0.5, conv10 1×1 → 1000, global average pool."
        ),
        i18n={
            "zh": {
                **FAMILY_CARD.i18n["zh"],
                "config_note": "论文表 1：conv1 为 96 个 7×7/2 卷积，fire2–fire9 的压缩比为 0.125、扩展滤波器一半为 3×3，"
                "在 conv1、fire4、fire8 之后最大池化，dropout 0.5，conv10 为 1×1 → 1000，全局平均池化。",
            }
        },
    ),
    example_input=imagenet_image,
)
def squeezenet1_0(**overrides) -> SqueezeNet:
    return SqueezeNet(replace(SQUEEZENET1_0, **overrides))


@register_model(
    card=replace(
        FAMILY_CARD,
        key="squeezenet1_1",
        name="SqueezeNet 1.1",
        params=Figure(1_235_496, "torchvision reference implementation (squeezenet1_1)"),
        metric=imagenet_top1(58.178, "SqueezeNet1_1_Weights"),
        config_note=(
            "SqueezeNet v1.1 from the authors' repository: conv1 64×3×3/2, the same eight Fire modules, "
            "max-pools after conv1, fire3 and fire5 (2.4× less computation than v1.0), dropout 0.5, "
            "conv10 1×1 → 1000, global average pool."
        ),
        i18n={
            "zh": {
                **FAMILY_CARD.i18n["zh"],
                "config_note": "作者代码库中的 SqueezeNet v1.1：conv1 为 64 个 3×3/2 卷积，同样的八个 Fire 模块，"
                "在 conv1、fire3、fire5 之后最大池化（计算量比 v1.0 少 2.4 倍），dropout 0.5，conv10 为 1×1 → 1000，全局平均池化。",
            }
        },
    ),
    example_input=imagenet_image,
)
def squeezenet1_1(**overrides) -> SqueezeNet:
    return SqueezeNet(replace(SQUEEZENET1_1, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# torchvision keeps `features` as one Sequential: the index of conv1 and of each Fire module (pools and ReLUs
# take the other indices). Version 1.1 pools earlier, so its Fire modules sit at other places.
_TORCHVISION_FEATURE_INDEX = {
    "squeezenet1_0": {"conv1": 0, "fire2": 3, "fire3": 4, "fire4": 5, "fire5": 7, "fire6": 8, "fire7": 9, "fire8": 10, "fire9": 12},
    "squeezenet1_1": {"conv1": 0, "fire2": 3, "fire3": 4, "fire4": 6, "fire5": 7, "fire6": 9, "fire7": 10, "fire8": 11, "fire9": 12},
}  # fmt: skip


def _torchvision_squeezenet_map(key: str):
    index = _TORCHVISION_FEATURE_INDEX[key]
    return lambda model: KeyMap.by_rules(
        model.state_dict(), ((r"^features\.(conv1|fire\d)\.", lambda m: f"features.{index[m.group(1)]}."),)
    )


for _key, _file in (("squeezenet1_0", "squeezenet1_0-b66bff10.pth"), ("squeezenet1_1", "squeezenet1_1-b8a52dc0.pth")):
    register_layout(
        Layout("torchvision", models=(_key,), key_map=_torchvision_squeezenet_map(_key),
               config=num_classes_from("classifier.1.weight"), note="torchvision.models.squeezenet1_*")
    )  # fmt: skip
    register_checkpoint(torchvision_checkpoint(_key, _file))
