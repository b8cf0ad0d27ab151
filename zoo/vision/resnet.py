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

Two later networks keep this skeleton and change only the bottleneck's middle, so they live here too:
- ResNeXt (Xie, Girshick, Dollár, Tu & He, "Aggregated Residual Transformations for Deep Neural
  Networks", CVPR 2017, https://arxiv.org/abs/1611.05431) splits the 3×3 conv into C parallel paths
  of d channels each — "cardinality" C as a new dimension beside depth and width. C paths of
  1×1-3×3-1×1 that are summed (paper Figure 3a) equal one block whose 3×3 conv is grouped into C
  groups (Figure 3c), which is how it is built. ResNeXt-50 (32×4d) follows the template of paper
  Table 1: conv2_x's 3×3 conv has 32 × 4 = 128 channels, doubling with each stage.
- Wide ResNet (Zagoruyko & Komodakis, "Wide Residual Networks", BMVC 2016,
  https://arxiv.org/abs/1605.07146) argues that width, not depth, is the cheaper way to accuracy.
  WRN-50-2 doubles the inner 1×1-3×3 widths of every ResNet-50 bottleneck while the block outputs
  (256…2048 channels) stay as they are.
Both are expressed by two config fields, `groups` (C) and `width_per_group` (d): the 3×3 conv of a
stage whose block outputs 4·w channels gets w·d/64·C channels (d = 64, C = 1 is plain ResNet).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, KnownCheckpoint, Layout,
    num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)
from ..pretrained import PretrainedError
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1, init_cnn_


@dataclass(frozen=True)
class ResNetConfig:
    block: str = "bottleneck"  # "basic" (two 3×3 convs) or "bottleneck" (1×1 → 3×3 → 1×1)
    layers: tuple[int, int, int, int] = (3, 4, 6, 3)  # blocks per stage: conv2_x … conv5_x
    widths: tuple[int, int, int, int] = (64, 128, 256, 512)  # stage widths w: blocks output w·expansion
    groups: int = 1  # ResNeXt's cardinality C: the bottleneck's 3×3 conv is split into C groups
    width_per_group: int = 64  # ResNeXt's d in conv2_x (doubles per stage); 64 with C = 1 is plain ResNet
    stem_width: int = 64
    in_channels: int = 3
    num_classes: int = 1000
    zero_init_residual: bool = False  # start each block as the identity (Goyal et al. 2017)


RESNET18 = ResNetConfig(block="basic", layers=(2, 2, 2, 2))
RESNET34 = ResNetConfig(block="basic", layers=(3, 4, 6, 3))
RESNET50 = ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3))
RESNET101 = ResNetConfig(block="bottleneck", layers=(3, 4, 23, 3))
RESNET152 = ResNetConfig(block="bottleneck", layers=(3, 8, 36, 3))
RESNEXT50_32X4D = ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3), groups=32, width_per_group=4)
WIDE_RESNET50_2 = ResNetConfig(block="bottleneck", layers=(3, 4, 6, 3), width_per_group=128)  # 2 × 64


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

    def __init__(self, in_channels: int, width: int, stride: int = 1, groups: int = 1, width_per_group: int = 64):
        super().__init__()
        if groups != 1 or width_per_group != 64:
            raise ValueError("BasicBlock has no bottleneck to group or widen; ResNeXt and WRN-50-2 use 'bottleneck'")
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
    channels, which is what makes 50+ layers affordable. With `groups` = C > 1 it is the ResNeXt
    block (ResNeXt Figure 3c); with `width_per_group` > 64 the wide WRN-50-2 block."""

    expansion = 4

    def __init__(self, in_channels: int, width: int, stride: int = 1, groups: int = 1, width_per_group: int = 64):
        super().__init__()
        out = width * self.expansion
        # Inner width: C groups of d·(w/64) channels — w for plain ResNet, 2w for ResNeXt 32×4d and WRN-50-2.
        inner = width * width_per_group // 64 * groups
        self.conv1 = nn.Conv2d(in_channels, inner, kernel_size=1, bias=False)
        self.bn1 = nn.BatchNorm2d(inner)
        # v1.5: the stride is here, not on conv1, so no input pixel is skipped by a strided 1×1.
        # groups=C: each group of channels is one of ResNeXt's C parallel paths, added up by conv3.
        self.conv2 = nn.Conv2d(inner, inner, kernel_size=3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = nn.Conv2d(inner, out, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = shortcut(in_channels, out, stride)

    def residual(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.bn1(self.conv1(x)))  # (B, inner, H, W)
        x = self.relu(self.bn2(self.conv2(x)))  # (B, inner, H/stride, W/stride)
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
                blocks.append(block(channels, width, stride if j == 0 else 1, cfg.groups, cfg.width_per_group))
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
    level="basic",
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


@register_model(
    card=imagenet_card(
        key="resnext50_32x4d",
        name="ResNeXt-50 (32×4d)",
        family="ResNeXt",
        year=2016,
        paper=Paper(
            "Aggregated Residual Transformations for Deep Neural Networks",
            "https://arxiv.org/abs/1611.05431",
            authors="S. Xie, R. Girshick, P. Dollár, Z. Tu, K. He",
            venue="CVPR 2017",
        ),
        level="intermediate",
        summary=(
            "ResNet-50 with each bottleneck's 3×3 convolution split into 32 parallel paths of 4 channels "
            "(a grouped convolution), whose outputs are aggregated by the residual block's last 1×1 conv. "
            "The paper calls the number of paths cardinality and shows that raising it beats making the "
            "network deeper or wider at the same cost: with about the parameters and FLOPs of ResNet-50 "
            "it gains about 1.5 points of top-1."
        ),
        scenarios=(
            "drop-in replacement for a ResNet-50 backbone when a little more accuracy is wanted",
            "backbone for detection and segmentation (Mask R-CNN, FPN) and for weakly supervised pre-training",
            "teaching grouped convolutions and the split-transform-merge idea behind Inception",
        ),
        strengths=(
            "more accurate than ResNet-50 at about the same parameter count and FLOPs",
            "one hyper-parameter (cardinality) instead of Inception's hand-designed branches",
            "same stages and shapes as ResNet, so it fits wherever ResNet does",
        ),
        weaknesses=(
            "grouped 3×3 convolutions run slower on GPUs and CPUs than their FLOP count suggests",
            "BatchNorm makes very small batches awkward, as in ResNet",
        ),
        params=Figure(25_028_904, "torchvision reference implementation (resnext50_32x4d)"),
        metric=imagenet_top1(77.618, "ResNeXt50_32X4D_Weights"),
        config_note=(
            "ResNeXt Table 1 template: bottleneck blocks [3, 4, 6, 3]; cardinality C = 32 groups of "
            "d = 4 channels in conv2_x's 3×3 conv (128 channels), doubling per stage to 1024; block outputs "
            "256-512-1024-2048; v1.5 strides (on the 3×3 conv); 1000 classes."
        ),
        tags=("cnn", "imagenet", "residual", "grouped convolution", "cardinality", "batchnorm", "backbone"),
        zh={
            "summary": "把 ResNet-50 每个瓶颈块中的 3×3 卷积拆成 32 条各 4 通道的并行路径（即分组卷积），"
            "再由残差块最后的 1×1 卷积把各路输出汇总。论文把路径数称为“基数”（cardinality），并证明在相同"
            "代价下，增大基数比加深或加宽网络更有效：参数量和计算量与 ResNet-50 相当，top-1 准确率高约 1.5 个百分点。",
            "scenarios": [
                "需要比 ResNet-50 稍高准确率时直接替换其骨干网络",
                "检测与分割（Mask R-CNN、FPN）以及弱监督预训练的骨干网络",
                "讲解分组卷积以及 Inception 背后“拆分-变换-合并”的思想",
            ],
            "strengths": [
                "参数量和计算量与 ResNet-50 相当，却更准确",
                "只需一个超参数（基数），而不像 Inception 那样手工设计各分支",
                "阶段划分和特征形状与 ResNet 一致，凡能用 ResNet 的地方都能用",
            ],
            "weaknesses": ["分组 3×3 卷积在 GPU 和 CPU 上的实际速度比其计算量所暗示的要慢", "与 ResNet 一样依赖 BatchNorm，极小批量训练不便"],
            "config_note": "ResNeXt 表 1 模板：瓶颈块 [3, 4, 6, 3]；conv2_x 的 3×3 卷积为基数 C = 32 组、每组 d = 4 通道"
            "（共 128 通道），之后每个阶段翻倍至 1024；块输出 256-512-1024-2048；v1.5 步长（放在 3×3 卷积上）；1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def resnext50_32x4d(**overrides) -> ResNet:
    return ResNet(replace(RESNEXT50_32X4D, **overrides))


@register_model(
    card=imagenet_card(
        key="wide_resnet50_2",
        name="Wide ResNet-50-2",
        family="Wide ResNet",
        year=2016,
        paper=Paper(
            "Wide Residual Networks",
            "https://arxiv.org/abs/1605.07146",
            authors="S. Zagoruyko, N. Komodakis",
            venue="BMVC 2016",
        ),
        level="basic",
        summary=(
            "ResNet-50 with every bottleneck twice as wide inside: the 1×1 and 3×3 convolutions between a "
            "residual block's input and output have double the channels, while the block outputs stay the "
            "same. The Wide ResNet paper argued that very deep, thin residual networks waste computation "
            "and that widening a shallower one trains faster and reaches higher accuracy."
        ),
        scenarios=(
            "a stronger ResNet-50-shaped backbone when compute is not the constraint",
            "anomaly detection and feature extraction (e.g. PatchCore uses its mid-level features)",
            "studying the width-versus-depth trade-off",
        ),
        strengths=(
            "about 2.3 points more top-1 than ResNet-50 with the same depth and stage shapes",
            "wide layers use parallel hardware well: fewer, bigger convolutions than a deeper net",
        ),
        weaknesses=(
            "2.7× the parameters and about 2.8× the FLOPs of ResNet-50",
            "less accurate per FLOP than ResNeXt or later designs (EfficientNet, ConvNeXt)",
        ),
        params=Figure(68_883_240, "torchvision reference implementation (wide_resnet50_2)"),
        metric=imagenet_top1(78.468, "Wide_ResNet50_2_Weights"),
        config_note=(
            "ResNet-50 layout (bottleneck blocks [3, 4, 6, 3]) with the inner 1×1-3×3 widths doubled to "
            "128-256-512-1024; block outputs stay 256-512-1024-2048 (torchvision's WRN-50-2); v1.5 strides; "
            "1000 classes."
        ),
        tags=("cnn", "imagenet", "residual", "wide", "batchnorm", "backbone"),
        zh={
            "summary": "把 ResNet-50 每个瓶颈块的内部加宽一倍：残差块输入与输出之间的 1×1 和 3×3 卷积通道数翻倍，"
            "而块的输出通道保持不变。Wide ResNet 论文认为又深又窄的残差网络浪费计算，"
            "把较浅的网络加宽反而训练更快、准确率更高。",
            "scenarios": ["算力不是瓶颈时，作为形状与 ResNet-50 相同但更强的骨干网络", "异常检测与特征提取（如 PatchCore 使用其中层特征）", "研究宽度与深度之间的取舍"],
            "strengths": ["深度和各阶段形状与 ResNet-50 相同，top-1 高约 2.3 个百分点", "宽层能充分利用并行硬件：卷积更少但更大"],
            "weaknesses": ["参数量是 ResNet-50 的 2.7 倍，计算量约 2.8 倍", "单位计算量的准确率不如 ResNeXt 及更新的设计（EfficientNet、ConvNeXt）"],
            "config_note": "ResNet-50 结构（瓶颈块 [3, 4, 6, 3]），内部 1×1-3×3 宽度翻倍为 128-256-512-1024；"
            "块输出仍为 256-512-1024-2048（torchvision 的 WRN-50-2）；v1.5 步长；1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def wide_resnet50_2(**overrides) -> ResNet:
    return ResNet(replace(WIDE_RESNET50_2, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → torchvision name: the stem is conv1 + bn1 there, and a projection shortcut is "downsample".
# timm's ResNets (resnet50.a1_in1k, …) use exactly torchvision's names, so one table serves both.
RESNET_TORCHVISION_NAMES = ((r"^stem\.0\.", "conv1."), (r"^stem\.1\.", "bn1."), (r"\.shortcut\.", ".downsample."))

_RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2")


def torchvision_resnet_map(model: ResNet) -> KeyMap:
    return KeyMap.by_rules(model.state_dict(), RESNET_TORCHVISION_NAMES, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=_RESNETS, key_map=torchvision_resnet_map, config=num_classes_from("fc.weight"),
           note="torchvision.models.resnet* / resnext* / wide_resnet* state dicts")
)  # fmt: skip
register_layout(
    Layout("timm", models=_RESNETS, key_map=torchvision_resnet_map, config=num_classes_from("fc.weight"),
           model_types=("resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2"),
           note="timm resnet* (same tensor names as torchvision; the ResNet-B / v1.5 variants only)")
)  # fmt: skip
for _key, _file in (
    ("resnet18", "resnet18-f37072fd.pth"), ("resnet34", "resnet34-b627a593.pth"), ("resnet50", "resnet50-0676ba61.pth"),
    ("resnet101", "resnet101-63fe2227.pth"), ("resnet152", "resnet152-394f9c45.pth"),
    ("resnext50_32x4d", "resnext50_32x4d-7cdf4587.pth"), ("wide_resnet50_2", "wide_resnet50_2-95faca4d.pth"),
):  # fmt: skip
    register_checkpoint(torchvision_checkpoint(_key, _file))
register_checkpoint(
    KnownCheckpoint("resnet50", "hf://timm/resnet50.a1_in1k", layout="timm", licence="apache-2.0", dataset="ImageNet-1k (ResNet strikes back, A1 recipe)")
)
register_checkpoint(
    KnownCheckpoint("resnet18", "hf://timm/resnet18.a1_in1k", layout="timm", licence="apache-2.0", dataset="ImageNet-1k (ResNet strikes back, A1 recipe)")
)


# DeepZoo name → Hugging Face `ResNetForImageClassification` name (Microsoft's conversions: v1.5 bottlenecks).
RESNET_HF_NAMES = (
    (r"^stem\.0\.", "resnet.embedder.embedder.convolution."),
    (r"^stem\.1\.", "resnet.embedder.embedder.normalization."),
    (r"^layer(\d)\.(\d+)\.", lambda m: f"resnet.encoder.stages.{int(m.group(1)) - 1}.layers.{m.group(2)}."),
    (r"\.conv(\d)\.", lambda m: f".layer.{int(m.group(1)) - 1}.convolution."),
    (r"\.bn(\d)\.", lambda m: f".layer.{int(m.group(1)) - 1}.normalization."),
    (r"\.shortcut\.0\.", ".shortcut.convolution."),
    (r"\.shortcut\.1\.", ".shortcut.normalization."),
    (r"^fc\.", "classifier.1."),
)


def hf_resnet_config(config, shapes) -> dict:
    out = hf_overrides(config, {"block": "layer_type", "stem_width": "embedding_size", "in_channels": "num_channels"})
    if config.get("downsample_in_bottleneck") or config.get("downsample_in_first_stage"):
        raise PretrainedError("only ResNet v1.5 checkpoints (stride on the 3×3 conv, none in the first stage) fit here")
    expansion = Bottleneck.expansion if out.get("block", "bottleneck") == "bottleneck" else BasicBlock.expansion
    out.update(layers=tuple(config["depths"]), widths=tuple(h // expansion for h in config["hidden_sizes"]))
    if "classifier.1.weight" in shapes:
        out["num_classes"] = shapes["classifier.1.weight"][0]
    return out


register_layout(
    Layout("hf", models=("resnet18", "resnet34", "resnet50", "resnet101", "resnet152"),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), RESNET_HF_NAMES, optional=BATCH_COUNTERS),
           config=hf_resnet_config, model_types=("resnet",), note="ResNetForImageClassification checkpoints (microsoft/resnet-*)")
)  # fmt: skip
for _key, _repo in (("resnet18", "microsoft/resnet-18"), ("resnet50", "microsoft/resnet-50")):
    register_checkpoint(KnownCheckpoint(_key, f"hf://{_repo}", layout="hf", licence="apache-2.0", dataset="ImageNet-1k"))
