"""GoogLeNet (Inception v1) and Inception-v3 — Google's multi-branch CNNs.

GoogLeNet — Szegedy et al., "Going Deeper with Convolutions" (CVPR 2015).
https://arxiv.org/abs/1409.4842
An Inception module looks at the same input through 1×1, 3×3 and 5×5 convolutions and a 3×3
max-pool side by side and concatenates the four results along channels, so the next layer can pick
the scale it needs (§4, Figure 2b). 1×1 "reduce" convolutions in front of the big kernels keep this
affordable. Nine modules (Table 1) make a 22-layer network with 12× fewer parameters than AlexNet;
two auxiliary classifiers on intermediate layers add gradient signal during training only (§5).

Inception-v3 — Szegedy, Vanhoucke, Ioffe, Shlens & Wojna, "Rethinking the Inception Architecture for
Computer Vision" (CVPR 2016). https://arxiv.org/abs/1512.00567
Large kernels are factorized: a 5×5 becomes two 3×3 (Figure 5), an n×n becomes 1×n then n×1
(Figure 6), and grids shrink with parallel strided conv and pool branches instead of a pooling
bottleneck (Figure 10). Batch-normalized, 299×299 input, one auxiliary classifier (Figure 8).

Both follow torchvision's layouts (ported from TensorFlow's BatchNorm versions): every conv is
followed by BatchNorm (eps 1e-3) and ReLU. torchvision's GoogLeNet has a 3×3 conv where the paper's
5×5 branch is (a known quirk of the port, kept for the count); `branch3_kernel=5` restores the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1

# GoogLeNet Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj of each Inception module.
INCEPTION_V1_MODULES: dict[str, tuple[int, int, int, int, int, int]] = {
    "3a": (64, 96, 128, 16, 32, 32),
    "3b": (128, 128, 192, 32, 96, 64),
    "4a": (192, 96, 208, 16, 48, 64),
    "4b": (160, 112, 224, 24, 64, 64),
    "4c": (128, 128, 256, 24, 64, 64),
    "4d": (112, 144, 288, 32, 64, 64),
    "4e": (256, 160, 320, 32, 128, 128),
    "5a": (256, 160, 320, 32, 128, 128),
    "5b": (384, 192, 384, 48, 128, 128),
}


@dataclass(frozen=True)
class GoogLeNetConfig:
    aux_logits: bool = False  # the two auxiliary classifiers on 4a and 4d (§5): +6,379,984 parameters
    branch3_kernel: int = 3  # torchvision's port uses 3×3 in the "5×5" branch; the paper has 5
    transform_input: bool = False  # map ImageNet-normalised input to the [-1, 1] range the TF-ported weights expect
    dropout: float = 0.4  # the paper's 40% before the classifier (torchvision: 0.2)
    dropout_aux: float = 0.7  # 70% in the auxiliary heads (§5)
    in_channels: int = 3
    num_classes: int = 1000


GOOGLENET = GoogLeNetConfig()


@dataclass(frozen=True)
class InceptionV3Config:
    aux_logits: bool = True  # the auxiliary classifier on the 17×17 grid (Figure 8), trained as a regulariser (§7)
    transform_input: bool = False
    dropout: float = 0.5
    in_channels: int = 3
    num_classes: int = 1000


INCEPTION_V3 = InceptionV3Config()


class ConvBN(nn.Module):
    """conv (no bias: BatchNorm has one) → BatchNorm → ReLU: every conv of both networks."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(out_channels, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


def imagenet_to_tf_range(x: torch.Tensor) -> torch.Tensor:
    """Undo ImageNet mean/std normalisation and rescale to [-1, 1], as TensorFlow's Inception weights were trained."""
    mean = x.new_tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = x.new_tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x * std + mean - 0.5) / 0.5


def truncated_normal_(w: torch.Tensor, std: float) -> None:
    """N(0, std²) truncated at ±2σ by inverse-CDF sampling: one pass, where torch's rejection loop redraws whole
    tensors (seconds for Inception-v3's 27M weights)."""
    if w.is_meta:
        return
    edge = math.erf(2 / math.sqrt(2))  # Φ(2) − Φ(−2), mapped to (−1, 1)
    with torch.no_grad():
        w.uniform_(-edge, edge).erfinv_().mul_(std * math.sqrt(2))  # x = √2·σ·erf⁻¹(u) for u ~ U(2Φ(−2)−1, 2Φ(2)−1)


def init_truncated_normal_(model: nn.Module, std: float) -> None:
    """TensorFlow's initializer: Gaussian truncated at ±2σ; a module's own `init_std` overrides `std`."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            truncated_normal_(m.weight, getattr(m, "init_std", std))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


# --------------------------------------------------------------------------- GoogLeNet


class InceptionV1(nn.Module):
    """Figure 2(b): four parallel branches, concatenated. Output channels = #1×1 + #3×3 + #5×5 + pool proj."""

    def __init__(
        self, in_channels: int, ch1x1: int, ch3x3red: int, ch3x3: int, ch5x5red: int, ch5x5: int, pool_proj: int,
        branch3_kernel: int = 3,
    ):
        super().__init__()
        self.branch1 = ConvBN(in_channels, ch1x1, 1)
        # 1×1 reductions before the expensive kernels (§4): the reason the module is affordable.
        self.branch2 = nn.Sequential(ConvBN(in_channels, ch3x3red, 1), ConvBN(ch3x3red, ch3x3, 3, padding=1))
        k = branch3_kernel
        self.branch3 = nn.Sequential(ConvBN(in_channels, ch5x5red, 1), ConvBN(ch5x5red, ch5x5, k, padding=k // 2))
        pool = nn.MaxPool2d(3, stride=1, padding=1, ceil_mode=True)
        self.branch4 = nn.Sequential(pool, ConvBN(in_channels, pool_proj, 1))
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        branches = (self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x))  # same H, W each
        return torch.cat(branches, dim=1)  # (B, out_channels, H, W)


class AuxClassifierV1(nn.Module):
    """§5: 5×5/3 average pool → 1×1 conv (128) → FC 1024 + ReLU → 70% dropout → linear classifier."""

    def __init__(self, in_channels: int, num_classes: int, dropout: float):
        super().__init__()
        self.conv = ConvBN(in_channels, 128, 1)
        self.fc1 = nn.Linear(128 * 4 * 4, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(x, 4)  # (B, C, 4, 4): what the 5×5/3 pool gives on a 14×14 grid
        x = torch.flatten(self.conv(x), 1)  # (B, 2048)
        x = self.dropout(F.relu(self.fc1(x), inplace=True))  # (B, 1024)
        return self.fc2(x)  # (B, num_classes)


class GoogLeNetOutputs(NamedTuple):
    logits: torch.Tensor
    aux1: torch.Tensor  # from inception (4a)
    aux2: torch.Tensor  # from inception (4d)


class GoogLeNet(nn.Module):
    def __init__(self, cfg: GoogLeNetConfig = GOOGLENET):
        super().__init__()
        self.cfg = cfg
        # Table 1's stem: a traditional conv/pool stack; Inception modules only pay off higher up (§4).
        self.conv1 = ConvBN(cfg.in_channels, 64, 7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = ConvBN(64, 64, 1)
        self.conv3 = ConvBN(64, 192, 3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        channels = 192
        for name, row in INCEPTION_V1_MODULES.items():
            module = InceptionV1(channels, *row, branch3_kernel=cfg.branch3_kernel)
            setattr(self, f"inception{name}", module)
            channels = module.out_channels
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        if cfg.aux_logits:
            self.aux1 = AuxClassifierV1(self.inception4a.out_channels, cfg.num_classes, cfg.dropout_aux)  # 512
            self.aux2 = AuxClassifierV1(self.inception4d.out_channels, cfg.num_classes, cfg.dropout_aux)  # 528
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(channels, cfg.num_classes)
        init_truncated_normal_(self, std=0.01)

    def forward(self, x: torch.Tensor) -> torch.Tensor | GoogLeNetOutputs:
        if self.cfg.transform_input:
            x = imagenet_to_tf_range(x)
        x = self.maxpool1(self.conv1(x))  # (B, 64, 56, 56)
        x = self.maxpool2(self.conv3(self.conv2(x)))  # (B, 192, 28, 28)
        x = self.inception3b(self.inception3a(x))  # (B, 480, 28, 28)
        x = self.inception4a(self.maxpool3(x))  # (B, 512, 14, 14)
        aux = self.training and self.cfg.aux_logits  # the auxiliary heads are discarded at inference (§5)
        aux1 = self.aux1(x) if aux else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))  # (B, 528, 14, 14)
        aux2 = self.aux2(x) if aux else None
        x = self.maxpool4(self.inception4e(x))  # (B, 832, 7, 7)
        x = self.inception5b(self.inception5a(x))  # (B, 1024, 7, 7)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # (B, 1024)
        logits = self.fc(self.dropout(x))  # (B, num_classes)
        return GoogLeNetOutputs(logits, aux1, aux2) if aux else logits


# --------------------------------------------------------------------------- Inception-v3


class InceptionA(nn.Module):
    """Figure 5 (35×35 grid): the 5×5 of v1 factorized into two 3×3s, plus a 5×5 branch kept as in the TF model."""

    def __init__(self, in_channels: int, pool_features: int):
        super().__init__()
        self.branch1x1 = ConvBN(in_channels, 64, 1)
        self.branch5x5 = nn.Sequential(ConvBN(in_channels, 48, 1), ConvBN(48, 64, 5, padding=2))
        self.branch3x3dbl = nn.Sequential(
            ConvBN(in_channels, 64, 1), ConvBN(64, 96, 3, padding=1), ConvBN(96, 96, 3, padding=1)
        )
        self.branch_pool = ConvBN(in_channels, pool_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1))
        branches = (self.branch1x1(x), self.branch5x5(x), self.branch3x3dbl(x), pool)
        return torch.cat(branches, dim=1)  # (B, 224 + pool_features, 35, 35)


class InceptionB(nn.Module):
    """Figure 10: 35×35 → 17×17 with a strided conv branch beside a strided pool, so the grid shrinks
    while the filter bank grows and no representational bottleneck is created (§2, principle 1)."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3 = ConvBN(in_channels, 384, 3, stride=2)
        self.branch3x3dbl = nn.Sequential(
            ConvBN(in_channels, 64, 1), ConvBN(64, 96, 3, padding=1), ConvBN(96, 96, 3, stride=2)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.max_pool2d(x, 3, stride=2)
        return torch.cat((self.branch3x3(x), self.branch3x3dbl(x), pool), dim=1)  # (B, 480 + C_in, 17, 17)


class InceptionC(nn.Module):
    """Figure 6 (17×17 grid, n = 7): each 7×7 factorized into 1×7 then 7×1 — 2·7 instead of 49 weights per pair."""

    def __init__(self, in_channels: int, channels_7x7: int):
        super().__init__()
        c7 = channels_7x7
        self.branch1x1 = ConvBN(in_channels, 192, 1)
        self.branch7x7 = nn.Sequential(
            ConvBN(in_channels, c7, 1), ConvBN(c7, c7, (1, 7), padding=(0, 3)), ConvBN(c7, 192, (7, 1), padding=(3, 0))
        )
        self.branch7x7dbl = nn.Sequential(
            ConvBN(in_channels, c7, 1),
            ConvBN(c7, c7, (7, 1), padding=(3, 0)),
            ConvBN(c7, c7, (1, 7), padding=(0, 3)),
            ConvBN(c7, c7, (7, 1), padding=(3, 0)),
            ConvBN(c7, 192, (1, 7), padding=(0, 3)),
        )
        self.branch_pool = ConvBN(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1))
        return torch.cat((self.branch1x1(x), self.branch7x7(x), self.branch7x7dbl(x), pool), dim=1)  # (B, 768, 17, 17)


class InceptionD(nn.Module):
    """Grid reduction 17×17 → 8×8 (the second Figure 10-style module)."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch3x3 = nn.Sequential(ConvBN(in_channels, 192, 1), ConvBN(192, 320, 3, stride=2))
        self.branch7x7x3 = nn.Sequential(
            ConvBN(in_channels, 192, 1),
            ConvBN(192, 192, (1, 7), padding=(0, 3)),
            ConvBN(192, 192, (7, 1), padding=(3, 0)),
            ConvBN(192, 192, 3, stride=2),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.max_pool2d(x, 3, stride=2)
        return torch.cat((self.branch3x3(x), self.branch7x7x3(x), pool), dim=1)  # (B, 512 + C_in, 8, 8)


class InceptionE(nn.Module):
    """Figure 7 (8×8 grid): the 1×3 and 3×1 halves run side by side and are concatenated, widening the
    output to promote high-dimensional representations on the coarsest grid (§2, principle 2)."""

    def __init__(self, in_channels: int):
        super().__init__()
        self.branch1x1 = ConvBN(in_channels, 320, 1)
        self.branch3x3_reduce = ConvBN(in_channels, 384, 1)
        self.branch3x3_a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_reduce = nn.Sequential(ConvBN(in_channels, 448, 1), ConvBN(448, 384, 3, padding=1))
        self.branch3x3dbl_a = ConvBN(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_b = ConvBN(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = ConvBN(in_channels, 192, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.branch3x3_reduce(x)
        b3 = torch.cat((self.branch3x3_a(y), self.branch3x3_b(y)), dim=1)  # (B, 768, 8, 8)
        y = self.branch3x3dbl_reduce(x)
        b3dbl = torch.cat((self.branch3x3dbl_a(y), self.branch3x3dbl_b(y)), dim=1)  # (B, 768, 8, 8)
        pool = self.branch_pool(F.avg_pool2d(x, 3, stride=1, padding=1))
        return torch.cat((self.branch1x1(x), b3, b3dbl, pool), dim=1)  # (B, 2048, 8, 8)


class AuxClassifierV3(nn.Module):
    """Figure 8: on the 17×17 grid, 5×5/3 average pool → 1×1 conv (128) → 5×5 conv (768) → linear.
    With BatchNorm in this head it acts as a regulariser (§7), +3.3M parameters of the count."""

    def __init__(self, in_channels: int, num_classes: int):
        super().__init__()
        self.conv0 = ConvBN(in_channels, 128, 1)
        self.conv1 = ConvBN(128, 768, 5)
        self.conv1.conv.init_std = 0.01
        self.fc = nn.Linear(768, num_classes)
        self.fc.init_std = 0.001

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.avg_pool2d(x, 5, stride=3)  # (B, 768, 5, 5)
        x = self.conv1(self.conv0(x))  # (B, 768, 1, 1)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # (B, 768)
        return self.fc(x)  # (B, num_classes)


class InceptionV3Outputs(NamedTuple):
    logits: torch.Tensor
    aux: torch.Tensor


class InceptionV3(nn.Module):
    def __init__(self, cfg: InceptionV3Config = INCEPTION_V3):
        super().__init__()
        self.cfg = cfg
        # Table 1's stem: plain 3×3 convs (the 7×7 of v1 factorized), unpadded, as in the TF model.
        self.Conv2d_1a_3x3 = ConvBN(cfg.in_channels, 32, 3, stride=2)  # (B, 32, 149, 149)
        self.Conv2d_2a_3x3 = ConvBN(32, 32, 3)  # (B, 32, 147, 147)
        self.Conv2d_2b_3x3 = ConvBN(32, 64, 3, padding=1)  # (B, 64, 147, 147)
        self.maxpool1 = nn.MaxPool2d(3, stride=2)  # (B, 64, 73, 73)
        self.Conv2d_3b_1x1 = ConvBN(64, 80, 1)  # (B, 80, 73, 73)
        self.Conv2d_4a_3x3 = ConvBN(80, 192, 3)  # (B, 192, 71, 71)
        self.maxpool2 = nn.MaxPool2d(3, stride=2)  # (B, 192, 35, 35)
        self.Mixed_5b = InceptionA(192, pool_features=32)  # (B, 256, 35, 35)
        self.Mixed_5c = InceptionA(256, pool_features=64)  # (B, 288, 35, 35)
        self.Mixed_5d = InceptionA(288, pool_features=64)  # (B, 288, 35, 35)
        self.Mixed_6a = InceptionB(288)  # (B, 768, 17, 17)
        self.Mixed_6b = InceptionC(768, channels_7x7=128)
        self.Mixed_6c = InceptionC(768, channels_7x7=160)
        self.Mixed_6d = InceptionC(768, channels_7x7=160)
        self.Mixed_6e = InceptionC(768, channels_7x7=192)  # (B, 768, 17, 17)
        if cfg.aux_logits:
            self.AuxLogits = AuxClassifierV3(768, cfg.num_classes)
        self.Mixed_7a = InceptionD(768)  # (B, 1280, 8, 8)
        self.Mixed_7b = InceptionE(1280)  # (B, 2048, 8, 8)
        self.Mixed_7c = InceptionE(2048)  # (B, 2048, 8, 8)
        self.dropout = nn.Dropout(cfg.dropout)
        self.fc = nn.Linear(2048, cfg.num_classes)
        init_truncated_normal_(self, std=0.1)

    def forward(self, x: torch.Tensor) -> torch.Tensor | InceptionV3Outputs:
        if self.cfg.transform_input:
            x = imagenet_to_tf_range(x)
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))  # (B, 64, 147, 147)
        x = self.maxpool1(x)  # (B, 64, 73, 73)
        x = self.maxpool2(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)))  # (B, 192, 35, 35)
        x = self.Mixed_5d(self.Mixed_5c(self.Mixed_5b(x)))  # (B, 288, 35, 35)
        x = self.Mixed_6a(x)  # (B, 768, 17, 17)
        x = self.Mixed_6e(self.Mixed_6d(self.Mixed_6c(self.Mixed_6b(x))))  # (B, 768, 17, 17)
        aux = self.AuxLogits(x) if self.training and self.cfg.aux_logits else None  # training only
        x = self.Mixed_7c(self.Mixed_7b(self.Mixed_7a(x)))  # (B, 2048, 8, 8)
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)  # (B, 2048)
        logits = self.fc(self.dropout(x))  # (B, num_classes)
        return InceptionV3Outputs(logits, aux) if aux is not None else logits


# --------------------------------------------------------------------------- cards and factories


@register_model(
    card=imagenet_card(
        key="googlenet",
        name="GoogLeNet (Inception v1)",
        family="Inception",
        year=2014,
        paper=Paper(
            "Going Deeper with Convolutions",
            "https://arxiv.org/abs/1409.4842",
            authors=(
                "C. Szegedy, W. Liu, Y. Jia, P. Sermanet, S. Reed, D. Anguelov, D. Erhan, V. Vanhoucke, "
                "A. Rabinovich"
            ),
            venue="CVPR 2015",
        ),
        level="basic",
        summary=(
            "The ILSVRC-2014 winner. Its Inception module runs 1×1, 3×3 and 5×5 convolutions and a max-pool in "
            "parallel on the same input and concatenates the results, letting the network mix scales at every "
            "level; cheap 1×1 convolutions shrink the channels first. Nine modules give a 22-layer network with "
            "about 12× fewer parameters than AlexNet, and global average pooling replaces the large "
            "fully connected layers."
        ),
        scenarios=(
            "image classification and transfer learning",
            "teaching multi-branch modules and 1×1 bottleneck convolutions",
            "feature extraction (e.g. for perceptual metrics and DeepDream)",
        ),
        strengths=(
            "6.6M parameters, against 138M for VGG-16, its ILSVRC-2014 rival",
            "1×1 reductions keep computation at ~1.5 GMACs per image",
            "global average pooling: small classifier and flexible input size",
        ),
        weaknesses=(
            "hand-tuned module widths are hard to adapt to new budgets",
            "many parallel branches run less efficiently than their FLOPs suggest",
            "superseded by Inception-v3, ResNet and later designs",
        ),
        params=Figure(
            6_624_904,
            "torchvision reference implementation (googlenet, BatchNorm, without the two auxiliary classifiers)",
        ),
        metric=imagenet_top1(69.778, "GoogLeNet_Weights"),
        config_note=(
            "torchvision layout: Table 1 with BatchNorm (eps 1e-3) after every conv and a 3×3 conv in the "
            "'5×5' branch (branch3_kernel=5 gives the paper's); the count excludes the two auxiliary "
            "classifiers, which aux_logits=True adds (13,004,888 parameters in all) and which return outputs "
            "only in training mode; dropout 0.4, 1000 classes."
        ),
        tags=("cnn", "imagenet", "inception", "multi-branch", "1x1 conv", "batchnorm"),
        zh={
            "summary": "ILSVRC-2014 冠军。其 Inception 模块在同一输入上并行运行 1×1、3×3、5×5 卷积和最大池化，"
            "再把结果按通道拼接，使网络在每一层都能融合多种尺度；廉价的 1×1 卷积先压缩通道。九个模块构成 22 层网络，"
            "参数量约为 AlexNet 的十二分之一，并用全局平均池化取代了庞大的全连接层。",
            "scenarios": ["图像分类与迁移学习", "讲解多分支模块和 1×1 瓶颈卷积", "特征提取（如感知度量和 DeepDream）"],
            "strengths": ["仅 660 万参数，而同届 ILSVRC-2014 对手 VGG-16 需要 1.38 亿", "1×1 降维使每张图的计算量约 15 亿次乘加", "全局平均池化：分类器小，输入尺寸灵活"],
            "weaknesses": ["手工调整的模块宽度难以适配新的计算预算", "众多并行分支的实际运行效率低于其计算量所示", "已被 Inception-v3、ResNet 及后续设计超越"],
            "config_note": "torchvision 布局：表 1 结构，每个卷积后接 BatchNorm（eps 1e-3），“5×5”分支实际为 3×3 卷积"
            "（branch3_kernel=5 恢复论文设置）；参数量不含两个辅助分类器，aux_logits=True 可加入它们"
            "（合计 13,004,888 个参数），且仅在训练模式下输出；dropout 0.4，1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def googlenet(**overrides) -> GoogLeNet:
    return GoogLeNet(replace(GOOGLENET, **overrides))


def inception_image() -> torch.Tensor:
    # (B, 3, H, W) at the native 299×299, the smallest size at which the auxiliary head can run: its 5×5 conv
    # needs the 17×17 grid. Two images, because that head's BatchNorm sees a 1×1 map: in training mode it needs
    # more than one value per channel, i.e. a batch of at least two.
    return torch.randn(2, 3, 299, 299)


@register_model(
    card=imagenet_card(
        key="inception_v3",
        name="Inception-v3",
        family="Inception",
        year=2015,
        paper=Paper(
            "Rethinking the Inception Architecture for Computer Vision",
            "https://arxiv.org/abs/1512.00567",
            authors="C. Szegedy, V. Vanhoucke, S. Ioffe, J. Shlens, Z. Wojna",
            venue="CVPR 2016",
        ),
        level="intermediate",
        summary=(
            "GoogLeNet's successor, redesigned around factorization: 5×5 convolutions become two 3×3s, n×n "
            "convolutions become 1×n followed by n×1, and the grid shrinks through parallel strided convolution "
            "and pooling branches. With BatchNorm throughout, 299×299 inputs, label smoothing and an auxiliary "
            "classifier it reached 21.2% top-1 error on ImageNet with a single crop."
        ),
        scenarios=(
            "image classification and transfer learning",
            "feature extractor for image-quality metrics (Inception Score, FID)",
            "teaching convolution factorization",
        ),
        strengths=(
            "strong accuracy for ~5.7 GMACs per 299×299 image",
            "factorized convolutions cut parameters and computation",
            "the standard network behind FID and Inception Score",
        ),
        weaknesses=(
            "intricate hand-designed modules that are hard to modify",
            "needs 299×299 input to train the auxiliary head; less accurate per FLOP than later designs",
        ),
        params=Figure(27_161_264, "torchvision reference implementation (inception_v3, including the AuxLogits head)"),
        metric=imagenet_top1(77.294, "Inception_V3_Weights"),
        input="RGB image, 3×299×299 (ImageNet-normalised)",
        config_note=(
            "torchvision layout (Mixed_5b … Mixed_7c), BatchNorm eps 1e-3, dropout 0.5, 1000 classes; the count "
            "includes the auxiliary classifier (AuxLogits, 3,326,696 parameters), which returns (logits, aux) in "
            "training mode only — in eval mode the model returns the main logits. Example input 2×3×299×299: "
            "native size, and two images because the auxiliary head's BatchNorm sees a 1×1 map, so training needs "
            "a batch of at least two; inference works from 75×75 upward and with one image."
        ),
        tags=("cnn", "imagenet", "inception", "factorized convolutions", "multi-branch", "batchnorm"),
        zh={
            "summary": "GoogLeNet 的后继者，围绕“分解”重新设计：5×5 卷积改为两个 3×3，n×n 卷积改为 1×n 接 n×1，"
            "并通过并行的带步长卷积和池化分支缩小特征图。配合全程 BatchNorm、299×299 输入、标签平滑和一个辅助分类器，"
            "它在 ImageNet 单裁剪评估下取得 21.2% 的 top-1 错误率。",
            "scenarios": ["图像分类与迁移学习", "图像质量指标（Inception Score、FID）的特征提取器", "讲解卷积分解"],
            "strengths": ["每张 299×299 图像约 57 亿次乘加，准确率高", "卷积分解减少了参数和计算量", "FID 和 Inception Score 背后的标准网络"],
            "weaknesses": ["手工设计的模块复杂，难以修改", "训练辅助分类器需要 299×299 输入；单位计算量的准确率不如后来的设计"],
            "input": "RGB 图像，3×299×299（按 ImageNet 归一化）",
            "config_note": "torchvision 布局（Mixed_5b … Mixed_7c），BatchNorm eps 1e-3，dropout 0.5，1000 类；参数量包含辅助分类器"
            "（AuxLogits，3,326,696 个参数），它仅在训练模式下输出 (logits, aux)，评估模式下模型只返回主 logits。"
            "示例输入 2×3×299×299：原生分辨率，且取两张图像，因为辅助分类器的 BatchNorm 只看到 1×1 的特征图，"
            "训练时批量至少为 2；推理时单张图像、最小 75×75 即可。",
        },
    ),
    example_input=inception_image,
)
def inception_v3(**overrides) -> InceptionV3:
    return InceptionV3(replace(INCEPTION_V3, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

register_layout(
    Layout("torchvision", models=("googlenet",),
           # the published file keeps the two auxiliary training classifiers; torchvision drops them after loading
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), (), ignore=("aux1.*", "aux2.*"), optional=BATCH_COUNTERS),
           config=num_classes_from("fc.weight"), note="torchvision.models.googlenet (auxiliary classifiers not loaded)")
)  # fmt: skip
# torchvision numbers the convolutions of a branch (branch5x5_1, branch5x5_2) where this file keeps a branch's
# chain as one Sequential (branch5x5.0, branch5x5.1); the split branches of Figure 7 are its "_2a/_2b", "_3a/_3b"
INCEPTION_V3_TORCHVISION = (
    (r"\.branch3x3dbl_reduce\.(\d)\.", lambda m: f".branch3x3dbl_{int(m[1]) + 1}."),
    (r"\.branch3x3dbl_([ab])\.", r".branch3x3dbl_3\1."),
    (r"\.branch3x3_reduce\.", ".branch3x3_1."),
    (r"\.branch3x3_([ab])\.", r".branch3x3_2\1."),
    (r"\.(branch(?:3x3|3x3dbl|5x5|7x7|7x7dbl|7x7x3))\.(\d)\.", lambda m: f".{m[1]}_{int(m[2]) + 1}."),
)
register_layout(
    Layout("torchvision", models=("inception_v3",),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), INCEPTION_V3_TORCHVISION, optional=BATCH_COUNTERS),
           config=num_classes_from("fc.weight"), note="torchvision.models.inception_v3 (with its AuxLogits head)")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("googlenet", "googlenet-1378be20.pth"))
register_checkpoint(torchvision_checkpoint("inception_v3", "inception_v3_google-0cc3c7bd.pth"))
