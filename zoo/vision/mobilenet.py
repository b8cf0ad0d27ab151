"""MobileNet V1, V2 and V3 — Google's CNNs for phones, three papers that each keep the last one's idea.

V1 — Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision
Applications" (2017). https://arxiv.org/abs/1704.04861
A standard k×k conv filters and mixes channels at once. V1 *factorizes* it into a 3×3 depthwise
conv (one filter per channel) and a 1×1 pointwise conv (mixes channels), which costs 1/N + 1/k² of
the multiply-adds (§3.1, Eq. 5): 8–9× fewer for 3×3 kernels. Thirteen such pairs after a plain stem make the
network of Table 1: 4,231,976 parameters at width multiplier 1.0 (Table 8 rounds to 4.2M).

V2 — Sandler, Howard, Zhu, Zhmoginov & Chen, "MobileNetV2: Inverted Residuals and Linear
Bottlenecks" (CVPR 2018). https://arxiv.org/abs/1801.04381
Its building block turns the ResNet bottleneck inside out: a cheap 1×1 conv *expands* a thin
tensor t-fold, a 3×3 depthwise conv filters each channel on its own, and a 1×1 conv *projects*
back to a thin tensor with no activation (a "linear bottleneck"). Shortcuts join the thin ends.
The layout is the paper's Table 2; with width multiplier 1.0 and a 1280-channel head it has
3,504,872 parameters (the paper rounds to 3.4M) and ~300M multiply-adds.

V3 — Howard et al., "Searching for MobileNetV3" (ICCV 2019). https://arxiv.org/abs/1905.02244
V2's block, found again by platform-aware architecture search plus NetAdapt, with two additions:
squeeze-and-excitation in some blocks (gated by a hard sigmoid) and the h-swish nonlinearity
x·ReLU6(x + 3)/6, a piecewise-linear swish that is cheap on phones (§5.2). Large and Small are
the paper's Tables 1 and 2; layer layout and parameter counts match torchvision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, KnownCheckpoint, Layout, num_classes_from, register_checkpoint, register_layout,
    torchvision_checkpoint,
)
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_
from .efficientnet import SameConv2d

# V1, Table 1: (output channels, stride) of the 13 depthwise-separable layers. The table prints
# "s2" on the last depthwise conv, but its output stays 7×7: every implementation uses stride 1.
DEPTHWISE_SEPARABLE_SETTING: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


@dataclass(frozen=True)
class MobileNetV1Config:
    width_mult: float = 1.0  # the paper's α (§3.3): thins every layer uniformly
    min_channels: int = 8  # no layer thinner than this (TensorFlow reference)
    stem_channels: int = 32
    setting: tuple[tuple[int, int], ...] = DEPTHWISE_SEPARABLE_SETTING
    activation: str = "relu"  # the paper's ReLU; the TensorFlow release (and its weights) use "relu6"
    bn_eps: float = 1e-3  # TensorFlow's BatchNorm epsilon
    tf_padding: bool = False  # TensorFlow "SAME" padding, needed by weights converted from TensorFlow
    dropout: float = 0.0  # small models overfit little, so the paper uses little regularization (§4)
    in_channels: int = 3
    num_classes: int = 1000


V1_CONFIG = MobileNetV1Config()

# V2, Table 2: (t expansion factor, c output channels, n repeats, s stride of the first repeat).
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

# V3, Tables 1 (Large) and 2 (Small): one row per "bneck" block —
# (kernel, expansion size, output channels, squeeze-excite, nonlinearity RE/HS, stride).
V3Row = tuple[int, int, int, bool, str, int]
V3_LARGE_SETTING: tuple[V3Row, ...] = (
    (3, 16, 16, False, "RE", 1),
    (3, 64, 24, False, "RE", 2),
    (3, 72, 24, False, "RE", 1),
    (5, 72, 40, True, "RE", 2),
    (5, 120, 40, True, "RE", 1),
    (5, 120, 40, True, "RE", 1),
    (3, 240, 80, False, "HS", 2),
    (3, 200, 80, False, "HS", 1),
    (3, 184, 80, False, "HS", 1),
    (3, 184, 80, False, "HS", 1),
    (3, 480, 112, True, "HS", 1),
    (3, 672, 112, True, "HS", 1),
    (5, 672, 160, True, "HS", 2),
    (5, 960, 160, True, "HS", 1),
    (5, 960, 160, True, "HS", 1),
)
V3_SMALL_SETTING: tuple[V3Row, ...] = (
    (3, 16, 16, True, "RE", 2),
    (3, 72, 24, False, "RE", 2),
    (3, 88, 24, False, "RE", 1),
    (5, 96, 40, True, "HS", 2),
    (5, 240, 40, True, "HS", 1),
    (5, 240, 40, True, "HS", 1),
    (5, 120, 48, True, "HS", 1),
    (5, 144, 48, True, "HS", 1),
    (5, 288, 96, True, "HS", 2),
    (5, 576, 96, True, "HS", 1),
    (5, 576, 96, True, "HS", 1),
)


@dataclass(frozen=True)
class MobileNetV3Config:
    setting: tuple[V3Row, ...] = V3_LARGE_SETTING
    stem_channels: int = 16
    head_expansion: int = 6  # last 1×1 conv: 6 × the last block's channels (960 Large, 576 Small)
    last_channel: int = 1280  # the pooled features' hidden layer: 1280 Large, 1024 Small
    width_mult: float = 1.0
    round_nearest: int = 8
    bn_eps: float = 1e-3  # torchvision's V3 weights were trained with TensorFlow-like BatchNorm
    bn_momentum: float = 0.01
    dropout: float = 0.2
    in_channels: int = 3
    num_classes: int = 1000


V3_LARGE = MobileNetV3Config()
V3_SMALL = MobileNetV3Config(setting=V3_SMALL_SETTING, last_channel=1024)


def make_divisible(v: float, divisor: int) -> int:
    """Round `v` to the nearest multiple of `divisor`, but never down by more than 10%."""
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def conv_bn_act_v1(
    in_channels: int, out_channels: int, kernel_size: int, stride: int, cfg: MobileNetV1Config, groups: int = 1
) -> nn.Sequential:
    if cfg.tf_padding:
        conv = SameConv2d(in_channels, out_channels, kernel_size, stride, groups=groups, bias=False)
    else:
        conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False)
    act = {"relu": nn.ReLU, "relu6": nn.ReLU6}[cfg.activation]
    return nn.Sequential(conv, nn.BatchNorm2d(out_channels, eps=cfg.bn_eps), act(inplace=True))


class DepthwiseSeparable(nn.Module):
    """V1 Figure 3 (right): a 3×3 depthwise conv filters each channel, a 1×1 pointwise conv mixes them,
    each followed by BatchNorm and the nonlinearity. Multiply-adds drop ~8–9× against one 3×3 conv (Eq. 5)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, cfg: MobileNetV1Config):
        super().__init__()
        # (B, C_in, H/s, W/s): one 3×3 filter per channel
        self.depthwise = conv_bn_act_v1(in_channels, in_channels, 3, stride, cfg, groups=in_channels)
        self.pointwise = conv_bn_act_v1(in_channels, out_channels, 1, 1, cfg)  # (B, C_out, H/s, W/s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise(self.depthwise(x))


class MobileNetV1(nn.Module):
    def __init__(self, cfg: MobileNetV1Config = V1_CONFIG):
        super().__init__()
        self.cfg = cfg

        def width(c: int) -> int:  # α·c, floored, never below min_channels
            return max(int(c * cfg.width_mult), cfg.min_channels)

        channels = width(cfg.stem_channels)
        self.stem = conv_bn_act_v1(cfg.in_channels, channels, 3, 2, cfg)  # the one full conv: (B, 32, 112, 112)
        blocks = []
        for out, stride in cfg.setting:
            blocks.append(DepthwiseSeparable(channels, width(out), stride, cfg))
            channels = width(out)
        self.features = nn.Sequential(*blocks)  # (B, 1024, 7, 7)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(channels, cfg.num_classes)
        init_cnn_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(self.stem(x))  # (B, 1024α, 7, 7)
        x = x.mean((2, 3))  # global average pool: (B, 1024α)
        return self.fc(self.dropout(x))  # (B, num_classes) logits


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


def conv_bn_act_v3(
    in_channels: int, out_channels: int, kernel_size: int, stride: int, cfg: MobileNetV3Config,
    act: type[nn.Module] | None, groups: int = 1,
) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(out_channels, eps=cfg.bn_eps, momentum=cfg.bn_momentum),
    ]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class HardSqueezeExcitation(nn.Module):
    """V3 §5.3: squeeze-and-excitation whose gate is the hard sigmoid ReLU6(x + 3)/6 — values in [0, 1]
    like a sigmoid, but piecewise linear and cheap. Squeezes to ¼ of the expansion width."""

    def __init__(self, channels: int, round_nearest: int):
        super().__init__()
        squeeze = make_divisible(channels // 4, round_nearest)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1): squeeze
        return nn.functional.hardsigmoid(self.fc2(torch.relu(self.fc1(s))))  # (B, C, 1, 1) in [0, 1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)  # excite: rescale each channel


class V3Bottleneck(nn.Module):
    """A "bneck" row of Tables 1–2 (Figure 4): V2's inverted residual with optional SE and a per-row nonlinearity."""

    def __init__(self, in_channels: int, row: V3Row, cfg: MobileNetV3Config):
        super().__init__()
        kernel, expanded, out, use_se, nl, stride = row
        expanded = make_divisible(expanded * cfg.width_mult, cfg.round_nearest)
        out = make_divisible(out * cfg.width_mult, cfg.round_nearest)
        act = nn.Hardswish if nl == "HS" else nn.ReLU  # h-swish only where it pays off: the deeper layers (§5.2)
        self.use_shortcut = stride == 1 and in_channels == out
        # No 1×1 expansion when the "exp size" equals the input width (the first Large block).
        expand = expanded != in_channels
        self.expand = conv_bn_act_v3(in_channels, expanded, 1, 1, cfg, act) if expand else nn.Identity()
        self.depthwise = conv_bn_act_v3(expanded, expanded, kernel, stride, cfg, act, groups=expanded)
        self.se = HardSqueezeExcitation(expanded, cfg.round_nearest) if use_se else nn.Identity()
        self.project = conv_bn_act_v3(expanded, out, 1, 1, cfg, None)  # linear bottleneck, as in V2
        self.out_channels = out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x)  # (B, exp, H, W)
        y = self.se(self.depthwise(y))  # (B, exp, H/s, W/s)
        y = self.project(y)  # (B, out, H/s, W/s)
        return x + y if self.use_shortcut else y


class MobileNetV3(nn.Module):
    def __init__(self, cfg: MobileNetV3Config = V3_LARGE):
        super().__init__()
        self.cfg = cfg
        channels = make_divisible(cfg.stem_channels * cfg.width_mult, cfg.round_nearest)
        stem = conv_bn_act_v3(cfg.in_channels, channels, 3, 2, cfg, nn.Hardswish)  # (B, 16, 112, 112)
        layers: list[nn.Module] = [stem]
        for row in cfg.setting:
            block = V3Bottleneck(channels, row, cfg)
            layers.append(block)
            channels = block.out_channels
        head = cfg.head_expansion * channels
        layers.append(conv_bn_act_v3(channels, head, 1, 1, cfg, nn.Hardswish))  # (B, 960 | 576, 7, 7)
        self.features = nn.Sequential(*layers)
        last = make_divisible(cfg.last_channel * cfg.width_mult, cfg.round_nearest)
        # Efficient last stage (§5.1, Figure 5): pool first, so the wide 1280-unit layer runs on 1×1, not 7×7.
        # The paper writes it as a 1×1 conv without BatchNorm, i.e. a linear layer.
        self.classifier = nn.Sequential(
            nn.Linear(head, last),
            nn.Hardswish(inplace=True),
            nn.Dropout(cfg.dropout),
            nn.Linear(last, cfg.num_classes),
        )
        init_cnn_(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 960 | 576, 7, 7)
        x = x.mean((2, 3))  # global average pool
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
        level="basic",
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


V1_PAPER = Paper(
    "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications",
    "https://arxiv.org/abs/1704.04861",
    authors="A. G. Howard, M. Zhu, B. Chen, D. Kalenichenko, W. Wang, T. Weyand, M. Andreetto, H. Adam",
    venue="arXiv 2017",
)


@register_model(
    card=imagenet_card(
        key="mobilenet_v1",
        name="MobileNet V1",
        family="MobileNet",
        year=2017,
        paper=V1_PAPER,
        level="basic",
        summary=(
            "The first MobileNet: a plain 28-layer stack in which every standard convolution after the stem is "
            "split into a depthwise 3×3 convolution (one filter per channel) and a pointwise 1×1 convolution "
            "(mixing channels). That cuts computation 8–9× for a small loss in accuracy: it comes within a "
            "point of VGG-16 on ImageNet with 32× fewer parameters. Two knobs — a width multiplier and the input "
            "resolution — shrink it further."
        ),
        scenarios=(
            "on-device image classification",
            "lightweight backbone for detection (SSD-MobileNet) and face attributes",
            "teaching depthwise separable convolutions",
        ),
        strengths=(
            "simple to read: one repeated layer pair, no branches or shortcuts",
            "4.2M parameters and ~570M multiply-adds at 224×224",
            "width multiplier and resolution trade accuracy for speed smoothly",
        ),
        weaknesses=(
            "no residual connections, so it does not scale to much deeper networks",
            "surpassed by MobileNetV2/V3 at the same cost",
            "depthwise convolutions run less efficiently on GPUs than their FLOP count suggests",
        ),
        params=Figure(4_231_976, "computed from the paper's Table 1 (BatchNorm, 1000 classes); Table 8 rounds to 4.2M"),
        metric=Metric(
            "top-1 accuracy", 70.6, "%", "ImageNet-1k val", "Howard et al. 2017, Table 8 (1.0 MobileNet-224)"
        ),
        config_note=(
            "Width multiplier 1.0 at 224×224: 3×3 stem conv (32) and 13 depthwise-separable pairs from Table 1 "
            "(64 → 1024 channels), BatchNorm eps 1e-3, ReLU (the TensorFlow release uses ReLU6: activation='relu6', "
            "tf_padding=True), global average pool, 1024 → 1000 linear."
        ),
        tags=("cnn", "imagenet", "mobile", "efficient", "depthwise separable"),
        zh={
            "summary": "第一代 MobileNet：一个朴素的 28 层堆叠网络，除第一层外的每个标准卷积都被拆成逐通道的 3×3 深度卷积"
            "（每个通道一个滤波器）和混合通道的 1×1 逐点卷积。这样计算量降到约八九分之一而准确率损失很小，"
            "在 ImageNet 上与 VGG-16 的准确率相差不到一个百分点，参数却少 32 倍。宽度乘子和输入分辨率两个旋钮还能进一步缩小模型。",
            "scenarios": ["端侧图像分类", "检测（SSD-MobileNet）和人脸属性任务的轻量骨干", "讲解深度可分离卷积"],
            "strengths": ["结构易读：只有一种重复的层对，没有分支和捷径", "420 万参数，224×224 下约 5.7 亿次乘加", "宽度乘子和分辨率可平滑地在准确率与速度间取舍"],
            "weaknesses": ["没有残差连接，难以扩展到更深的网络", "同等计算量下已被 MobileNetV2/V3 超越", "深度卷积在 GPU 上的实际效率低于其计算量所暗示的水平"],
            "config_note": "宽度乘子 1.0、输入 224×224：3×3 stem 卷积（32 通道）加表 1 的 13 个深度可分离层对（64 → 1024 通道），"
            "BatchNorm eps 1e-3，ReLU（TensorFlow 发布版使用 ReLU6：activation='relu6'、tf_padding=True），全局平均池化，1024 → 1000 线性层。",
        },
    ),
    example_input=imagenet_image,
)
def mobilenet_v1(**overrides) -> MobileNetV1:
    return MobileNetV1(replace(V1_CONFIG, **overrides))


V3_PAPER = Paper(
    "Searching for MobileNetV3",
    "https://arxiv.org/abs/1905.02244",
    authors=(
        "A. Howard, M. Sandler, G. Chu, L.-C. Chen, B. Chen, M. Tan, W. Wang, Y. Zhu, R. Pang, V. Vasudevan, "
        "Q. V. Le, H. Adam"
    ),
    venue="ICCV 2019",
)


def _v3_card(size: str, cfg: MobileNetV3Config, params: int, top1: float):
    large = size == "Large"
    n_se = sum(row[3] for row in cfg.setting)
    head = cfg.head_expansion * cfg.setting[-1][2]
    return imagenet_card(
        key=f"mobilenet_v3_{size.lower()}",
        name=f"MobileNetV3-{size}",
        family="MobileNet",
        year=2019,
        paper=V3_PAPER,
        level="advanced",
        summary=(
            "MobileNetV2's inverted residual block, rearranged by platform-aware neural architecture search and "
            "NetAdapt for real phone latency, plus squeeze-and-excitation in some blocks and the cheap h-swish "
            "nonlinearity x·ReLU6(x+3)/6. A redesigned last stage pools before its widest layer. "
            + (
                "Large targets high-resource phones: 3.2 points more top-1 than MobileNetV2 at lower latency."
                if large
                else "Small targets low-resource devices: 2.5M parameters and ~56M multiply-adds."
            )
        ),
        scenarios=(
            "real-time classification on phones and microcontroller-class boards",
            "backbone for mobile detection (SSDLite) and segmentation (LR-ASPP)",
            "studying hardware-aware architecture search",
        ),
        strengths=(
            "better accuracy per millisecond on phone CPUs than V1/V2",
            "hard sigmoid and h-swish quantize well and need no exp()",
            "Large and Small variants cover a wide latency range",
        ),
        weaknesses=(
            "found by search: the layer table is irregular and hard to reason about",
            "squeeze-and-excitation and depthwise convolutions are memory-bound on GPUs",
            "sensitive to the training recipe (long schedules, RMSProp or tuned SGD, EMA)",
        ),
        params=Figure(params, f"torchvision reference implementation (mobilenet_v3_{size.lower()})"),
        metric=imagenet_top1(top1, f"MobileNet_V3_{size}_Weights"),
        config_note=(
            f"Paper Table {1 if large else 2}: 3×3 stem (16, h-swish), {len(cfg.setting)} bneck blocks "
            f"({n_se} with squeeze-and-excitation), 1×1 conv to {head}, pool, {head} → {cfg.last_channel} "
            f"(h-swish) → 1000; BatchNorm eps 1e-3, momentum 0.01; dropout 0.2; width 1.0."
        ),
        tags=("cnn", "imagenet", "mobile", "efficient", "nas", "squeeze-excitation", "h-swish", "inverted residual"),
        zh={
            "summary": "MobileNetV2 的倒残差块，经面向平台的神经架构搜索和 NetAdapt 按真实手机延迟重新编排，"
            "并在部分块中加入挤压-激励模块，采用计算廉价的 h-swish 激活 x·ReLU6(x+3)/6；重新设计的最后阶段先池化再接最宽的层。"
            + (
                "Large 面向高性能手机：比 MobileNetV2 的 top-1 高 3.2 个百分点且延迟更低。"
                if large
                else "Small 面向低资源设备：250 万参数，约 5600 万次乘加。"
            ),
            "scenarios": ["手机和微控制器级开发板上的实时分类", "移动端检测（SSDLite）与分割（LR-ASPP）的骨干", "研究硬件感知的架构搜索"],
            "strengths": ["在手机 CPU 上每毫秒的准确率优于 V1/V2", "硬 sigmoid 和 h-swish 量化友好，无需指数运算", "Large 与 Small 覆盖很宽的延迟范围"],
            "weaknesses": ["由搜索得到：层配置不规则，难以直观理解", "挤压-激励和深度卷积在 GPU 上受内存带宽限制", "对训练配方敏感（长训练周期、RMSProp 或精调的 SGD、EMA）"],
            "config_note": f"论文表 {1 if large else 2}：3×3 stem（16 通道，h-swish），{len(cfg.setting)} 个 bneck 块"
            f"（其中 {n_se} 个带挤压-激励），1×1 卷积到 {head}，池化，{head} → {cfg.last_channel}（h-swish）→ 1000；"
            f"BatchNorm eps 1e-3、momentum 0.01；dropout 0.2；宽度 1.0。",
        },
    )


@register_model(card=_v3_card("Large", V3_LARGE, 5_483_032, 74.042), example_input=imagenet_image)
def mobilenet_v3_large(**overrides) -> MobileNetV3:
    return MobileNetV3(replace(V3_LARGE, **overrides))


@register_model(card=_v3_card("Small", V3_SMALL, 2_542_856, 67.668), example_input=imagenet_image)
def mobilenet_v3_small(**overrides) -> MobileNetV3:
    return MobileNetV3(replace(V3_SMALL, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

register_layout(
    Layout("torchvision", models=("mobilenet_v2",),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), (), optional=BATCH_COUNTERS),
           config=num_classes_from("classifier.1.weight"), note="torchvision.models.mobilenet_v2 (the same names)")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("mobilenet_v2", "mobilenet_v2-b0353104.pth"))


def _inverted_residual_indices(names, parts: tuple[str, ...]) -> dict[tuple[str, str], int]:
    """torchvision builds each inverted-residual block as one Sequential of the parts it has, in order: the
    index of (block, part) in it (a block without an expansion starts with its depthwise conv)."""
    present: dict[str, list[str]] = {}
    for name in names:
        m = re.match(r"^(.*?\.\d+)\.(" + "|".join(parts) + r")\.", name)
        if m and m.group(2) not in present.setdefault(m.group(1), []):
            present[m.group(1)].append(m.group(2))
    return {(block, part): [p for p in parts if p in got].index(part) for block, got in present.items() for part in got}


def torchvision_mobilenet_v3_map(model: MobileNetV3) -> KeyMap:
    names = list(model.state_dict())
    index = _inverted_residual_indices(names, ("expand", "depthwise", "se", "project"))
    rules = ((r"^(features\.\d+)\.(expand|depthwise|se|project)\.", lambda m: f"{m.group(1)}.block.{index[m.group(1), m.group(2)]}."),)
    return KeyMap.by_rules(names, rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=("mobilenet_v3_large", "mobilenet_v3_small"), key_map=torchvision_mobilenet_v3_map,
           config=num_classes_from("classifier.3.weight"), note="torchvision.models.mobilenet_v3_* state dicts")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("mobilenet_v3_large", "mobilenet_v3_large-8738ca79.pth"))
register_checkpoint(torchvision_checkpoint("mobilenet_v3_small", "mobilenet_v3_small-047dcff4.pth"))


def timm_mobilenet_v1_map(model: MobileNetV1) -> KeyMap:
    """timm's `mobilenetv1_100` groups the 13 depthwise-separable blocks into stages that each start where the
    resolution halves (1, 2, 2, 6, 2 blocks): features.N → blocks.<stage>.<index in stage>."""
    where: dict[int, tuple[int, int]] = {}
    stage, i = -1, 0
    for n, block in enumerate(model.features):
        if n == 0 or block.depthwise[0].stride != (1, 1):
            stage, i = stage + 1, 0
        where[n] = (stage, i)
        i += 1
    parts = {"depthwise.0": "conv_dw", "depthwise.1": "bn1", "pointwise.0": "conv_pw", "pointwise.1": "bn2"}
    rules = (
        (r"^stem\.0\.", "conv_stem."),
        (r"^stem\.1\.", "bn1."),
        (r"^features\.(\d+)\.(depthwise|pointwise)\.(\d)\.",
         lambda m: "blocks.{}.{}.{}.".format(*where[int(m[1])], parts[f"{m[2]}.{m[3]}"])),
        (r"^fc\.", "classifier."),
    )
    return KeyMap.by_rules(model.state_dict(), rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("timm", models=("mobilenet_v1",), key_map=timm_mobilenet_v1_map, config=num_classes_from("classifier.weight"),
           model_types=("mobilenetv1_100",), note="timm mobilenetv1_100 (width 1.0, 224×224)")
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint("mobilenet_v1", "hf://timm/mobilenetv1_100.ra4_e3600_r224_in1k", layout="timm", licence="apache-2.0",
                    dataset="ImageNet-1k (timm ResNet-strikes-back style recipe)")
)
