"""EfficientNetV2 — Tan & Le, "EfficientNetV2: Smaller Models and Faster Training" (ICML 2021).
https://arxiv.org/abs/2104.00298

EfficientNet (V1) is accurate per FLOP but slow to *train*: large images eat memory, and depthwise
convolutions in the early, high-resolution layers cannot use modern accelerators well (§3.2).
V2's search therefore optimises accuracy, training step time and size together, and adds one
building block: *Fused-MBConv* (Figure 2), which replaces MBConv's 1×1 expansion + depthwise 3×3 by a
single regular 3×3 convolution. The search puts Fused-MBConv in the early stages and MBConv with
squeeze-and-excitation in the late ones (Table 4). Training uses *progressive learning*: image
size and regularisation grow together during training (§4).

This file builds EfficientNetV2-S with torchvision's layout (native 384×384, 21,458,488 parameters,
BatchNorm eps 1e-3 with PyTorch's momentum 0.1). Its MBConv blocks are EfficientNet's (efficientnet.py),
which read `activation`, `se_ratio`, `bn_eps`, `bn_momentum` and `tf_same_padding` from the config
they are given; `EfficientNetV2Config` provides those fields.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..pretrained import Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_top1
from .efficientnet import ConvBNAct, EfficientNet, MBConv, drop_path, make_divisible, torchvision_efficientnet_map


@dataclass(frozen=True)
class V2Stage:
    """One row of Table 4: `layers` blocks of one kind, the first one strided."""

    block: str  # "fused" (Fused-MBConv) or "mbconv" (MBConv with SE)
    expand_ratio: int
    kernel: int
    stride: int
    channels: int
    layers: int


# Table 4 (EfficientNetV2-S), stages 1–6; stage 0 is the 3×3 stem conv (24), stage 7 the 1×1 head (1280).
V2_S_STAGES = (
    V2Stage("fused", 1, 3, 1, 24, 2),  # 192² at 384 input
    V2Stage("fused", 4, 3, 2, 48, 4),  # → 96²
    V2Stage("fused", 4, 3, 2, 64, 4),  # → 48²
    V2Stage("mbconv", 4, 3, 2, 128, 6),  # → 24²
    V2Stage("mbconv", 6, 3, 1, 160, 9),
    V2Stage("mbconv", 6, 3, 2, 256, 15),  # → 12²
)


@dataclass(frozen=True)
class EfficientNetV2Config:
    stages: tuple[V2Stage, ...] = V2_S_STAGES
    stem_channels: int = 24
    head_channels: int = 1280
    se_ratio: float = 0.25  # MBConv stages only: squeeze to ¼ of the block's input channels
    activation: str = "silu"
    bn_eps: float = 1e-3  # torchvision's V2 weights: TensorFlow's eps with PyTorch's momentum
    bn_momentum: float = 0.1
    tf_same_padding: bool = False
    dropout: float = 0.2
    stochastic_depth: float = 0.2  # drop probability of the last block, linear from 0 (training only)
    in_channels: int = 3
    num_classes: int = 1000


V2_S = EfficientNetV2Config()


class FusedMBConv(nn.Module):
    """Figure 2 (right): one regular k×k conv does MBConv's expansion and spatial filtering at once, then a
    linear 1×1 projects back. With expansion 1 the k×k conv maps straight to the output (no projection).
    Regular convs use accelerators far better than depthwise ones in the large early feature maps."""

    def __init__(self, cin: int, cout: int, stage: V2Stage, stride: int, drop: float, cfg: EfficientNetV2Config):
        super().__init__()
        hidden = make_divisible(cin * stage.expand_ratio)
        self.drop = drop
        self.residual = stride == 1 and cin == cout
        if hidden == cin:  # expansion 1
            self.expand = ConvBNAct(cin, cout, stage.kernel, stride, cfg)
            self.project = nn.Identity()
        else:
            self.expand = ConvBNAct(cin, hidden, stage.kernel, stride, cfg)  # (B, e·cin, H/s, W/s)
            self.project = ConvBNAct(hidden, cout, 1, 1, cfg, act=False)  # (B, cout, H/s, W/s)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.expand(x))
        return x + drop_path(y, self.drop, self.training) if self.residual else y


BLOCKS = {"fused": FusedMBConv, "mbconv": MBConv}


class EfficientNetV2(nn.Module):
    def __init__(self, cfg: EfficientNetV2Config = V2_S):
        super().__init__()
        self.cfg = cfg
        self.stem = ConvBNAct(cfg.in_channels, cfg.stem_channels, 3, 2, cfg)  # (B, 24, H/2, W/2)
        total = sum(s.layers for s in cfg.stages)
        cin, done, stages = cfg.stem_channels, 0, []
        for stage in cfg.stages:
            blocks = []
            for i in range(stage.layers):
                drop = cfg.stochastic_depth * done / total  # deeper blocks are dropped more often
                blocks.append(BLOCKS[stage.block](cin, stage.channels, stage, stage.stride if i == 0 else 1, drop, cfg))
                cin, done = stage.channels, done + 1
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)  # (B, 256, H/32, W/32)
        self.head = ConvBNAct(cin, cfg.head_channels, 1, 1, cfg)  # (B, 1280, H/32, W/32)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(cfg.head_channels, cfg.num_classes)
        EfficientNet._init_weights(self)  # V1's initialisation (the reference implementation's)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))  # (B, 1280, H/32, W/32)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean((2, 3))  # global average pool: (B, 1280)
        return self.fc(self.dropout(x))  # (B, num_classes) logits


EXAMPLE_SIDE = 224  # below the native 384 to keep the example cheap on a CPU; the network is size-agnostic


@register_model(
    card=imagenet_card(
        key="efficientnet_v2_s",
        name="EfficientNetV2-S",
        family="EfficientNet",
        year=2021,
        paper=Paper(
            "EfficientNetV2: Smaller Models and Faster Training",
            "https://arxiv.org/abs/2104.00298",
            authors="M. Tan, Q. V. Le",
            venue="ICML 2021",
        ),
        level="advanced",
        summary=(
            "EfficientNet redesigned for training speed. A search that scores accuracy, training step time and "
            "size puts Fused-MBConv blocks — one regular 3×3 convolution instead of a 1×1 expansion plus a "
            "depthwise 3×3 — in the early high-resolution stages, and MBConv blocks with squeeze-and-excitation "
            "later. Trained with progressive learning (image size and regularisation grow during training), "
            "V2 trains much faster than V1 at similar accuracy (the paper's V2-M matches B7 while training 11× faster)."
        ),
        scenarios=(
            "high-accuracy image classification",
            "transfer learning and fine-tuning on new datasets",
            "backbone for detection and segmentation",
        ),
        strengths=(
            "84.2% top-1 (torchvision weights) with 21.5M parameters",
            "fast to train: regular convolutions where feature maps are large",
            "works at any input size thanks to global pooling",
        ),
        weaknesses=(
            "~8.4 G multiply-adds at its native 384×384: heavy for CPUs and phones",
            "squeeze-and-excitation and depthwise convolutions in late stages are memory-bound",
            "its accuracy depends on the long progressive-learning recipe",
        ),
        params=Figure(21_458_488, "torchvision reference implementation (efficientnet_v2_s)"),
        metric=imagenet_top1(84.228, "EfficientNet_V2_S_Weights"),
        input="RGB image, 3×384×384 native (any size works; ImageNet-normalised)",
        config_note=(
            "Table 4 (V2-S): 3×3 stem (24); Fused-MBConv stages 2×24 (e1), 4×48 (e4), 4×64 (e4); MBConv+SE stages "
            "6×128 (e4), 9×160 (e6), 15×256 (e6); 1×1 head 1280; SiLU, SE ¼, BatchNorm eps 1e-3 and momentum 0.1 "
            f"(torchvision's), dropout 0.2, stochastic depth 0.2; example input 1×3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE}, "
            "native 384×384."
        ),
        tags=("cnn", "imagenet", "efficient", "nas", "fused-mbconv", "mbconv", "squeeze-excitation"),
        zh={
            "summary": "为训练速度重新设计的 EfficientNet。搜索同时考虑准确率、训练步时间和模型大小，"
            "在前期高分辨率阶段使用 Fused-MBConv 块（用一个普通 3×3 卷积代替 1×1 扩张加 3×3 深度卷积），"
            "后期使用带挤压-激励的 MBConv 块。配合渐进式学习（训练中逐步增大图像尺寸和正则化强度），"
            "在相近准确率下比 V1 训练得快得多（论文中 V2-M 与 B7 准确率相当，训练快 11 倍）。",
            "scenarios": ["高准确率图像分类", "在新数据集上迁移学习与微调", "检测与分割的骨干网络"],
            "strengths": ["2150 万参数达到 84.2% top-1（torchvision 权重）", "训练快：特征图大的阶段使用普通卷积", "得益于全局池化，可接受任意输入尺寸"],
            "weaknesses": ["原生 384×384 下约 84 亿次乘加：对 CPU 和手机而言负担重", "后期阶段的挤压-激励和深度卷积受内存带宽限制", "准确率依赖较长的渐进式学习训练方案"],
            "input": "RGB 图像，原生 3×384×384（任意尺寸均可；按 ImageNet 归一化）",
            "config_note": "表 4（V2-S）：3×3 stem（24）；Fused-MBConv 阶段 2×24（e1）、4×48（e4）、4×64（e4）；"
            "MBConv+SE 阶段 6×128（e4）、9×160（e6）、15×256（e6）；1×1 head 1280；SiLU，SE ¼，BatchNorm eps 1e-3、"
            f"momentum 0.1（torchvision 的设置），dropout 0.2，随机深度 0.2；示例输入 1×3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE}，"
            "原生 384×384。",
        },
    ),
    example_input=lambda: torch.randn(1, 3, EXAMPLE_SIDE, EXAMPLE_SIDE),
)
def efficientnet_v2_s(**overrides) -> EfficientNetV2:
    return EfficientNetV2(replace(V2_S, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# V1's map reads V2 as it is: torchvision numbers each block's parts in one Sequential `block` the same way (a
# Fused-MBConv has "expand" and, unless its expansion is 1, "project"), and the head follows the last stage.
register_layout(
    Layout("torchvision", models=("efficientnet_v2_s",), key_map=torchvision_efficientnet_map,
           config=num_classes_from("classifier.1.weight"), note="torchvision.models.efficientnet_v2_s state dicts")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("efficientnet_v2_s", "efficientnet_v2_s-dd5fe13b.pth"))
