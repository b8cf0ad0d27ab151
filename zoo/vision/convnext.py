"""ConvNeXt — Liu, Mao, Wu, Feichtenhofer, Darrell & Xie, "A ConvNet for the 2020s" (CVPR 2022).
https://arxiv.org/abs/2201.03545

ConvNeXt asks how much of the Vision Transformers' lead comes from attention and how much from
their design and training recipe. Starting from ResNet-50 and changing one thing at a time (paper
Figure 2) it "modernises" the CNN step by step: a 4×4 stride-4 "patchify" stem like ViT's, stage
depths 3-3-9-3 as in Swin-T, depthwise convolutions with a large 7×7 kernel (the counterpart of
windowed attention: mixing over space, one channel at a time), an inverted bottleneck (1×1 widen ×4,
1×1 narrow: the Transformer's MLP), fewer activations and norms (one GELU, one LayerNorm per block),
and separate 2×2 stride-2 downsampling layers between stages. The pure ConvNet matches Swin at the
same size (82.1% vs 81.3% top-1 for the tiny models) with no attention at all.

Training uses layer scale (each block's output multiplied by a learned per-channel γ that starts at
1e-6, so blocks start close to the identity; Touvron et al. 2021) and stochastic depth (Huang et al.
2016: during training a whole residual branch is skipped for a random subset of samples, more often
in deeper blocks). Both are in the config. Parameter counts and tensor layout match torchvision.

`StochasticDepth` is shared with the Swin and MaxViT files.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, register_checkpoint, register_layout
from ..pretrained import num_classes_from, torchvision_checkpoint
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1


@dataclass(frozen=True)
class ConvNeXtConfig:
    depths: tuple[int, ...] = (3, 3, 9, 3)  # blocks per stage: Swin-T's 1:1:3:1 ratio (§2.2)
    widths: tuple[int, ...] = (96, 192, 384, 768)  # channels per stage, doubling as the map halves
    patch_size: int = 4  # "patchify" stem: non-overlapping 4×4 patches (§2.2)
    kernel_size: int = 7  # depthwise kernel; 7×7 was where gains saturated (§2.5)
    mlp_ratio: int = 4  # inverted bottleneck: the 1×1 layers widen to 4× the block width (§2.4)
    layer_scale: float = 1e-6  # initial γ
    stochastic_depth: float = 0.1  # drop probability of the last block, linear from 0 (training only)
    norm_eps: float = 1e-6
    in_channels: int = 3
    num_classes: int = 1000


CONVNEXT_TINY = ConvNeXtConfig()


class StochasticDepth(nn.Module):
    """Skip a residual branch for a random subset of the batch while training (Huang et al. 2016), and
    scale the survivors by 1/(1 − p) so the expected output is unchanged; the identity at inference."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(1 - self.p)  # (B, 1, …, 1)
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of a (B, C, H, W) map: each pixel normalised on its own, as
    Transformers normalise each token (§2.6 replaces BatchNorm with it)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)  # (B, H, W, C)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)  # (B, C, H, W)


class ConvNeXtBlock(nn.Module):
    """d7×7 depthwise conv → LayerNorm → 1×1 (C→4C) → GELU → 1×1 (4C→C), times γ, plus the input
    (Figure 4, right). The 1×1 convs are Linear layers on channels-last tensors: the same maths."""

    def __init__(self, dim: int, cfg: ConvNeXtConfig, drop: float):
        super().__init__()
        # γ: per-channel layer scale; (C, 1, 1) broadcasts over the (B, C, H, W) branch output
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), cfg.layer_scale))
        k = cfg.kernel_size
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=k, padding=k // 2, groups=dim)  # spatial mixing only
        self.norm = nn.LayerNorm(dim, eps=cfg.norm_eps)  # one norm per block, before the MLP (§2.6)
        self.pwconv1 = nn.Linear(dim, cfg.mlp_ratio * dim)
        self.act = nn.GELU()  # a single activation per block, as in a Transformer MLP (§2.6)
        self.pwconv2 = nn.Linear(cfg.mlp_ratio * dim, dim)
        self.drop_path = StochasticDepth(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dwconv(x).permute(0, 2, 3, 1)  # (B, H, W, C): channels last for LayerNorm and Linear
        y = self.pwconv2(self.act(self.pwconv1(self.norm(y))))  # (B, H, W, 4C) → (B, H, W, C)
        y = self.layer_scale * y.permute(0, 3, 1, 2)  # (B, C, H, W)
        return x + self.drop_path(y)


class ConvNeXt(nn.Module):
    def __init__(self, cfg: ConvNeXtConfig = CONVNEXT_TINY):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        # Stem: 4×4 stride-4 conv, then LayerNorm — like ViT's patch embedding (§2.2).
        layers["stem"] = nn.Sequential(
            nn.Conv2d(cfg.in_channels, w[0], kernel_size=cfg.patch_size, stride=cfg.patch_size),
            LayerNorm2d(w[0], eps=cfg.norm_eps),
        )
        total, done = sum(cfg.depths), 0
        for i, (depth, width) in enumerate(zip(cfg.depths, w)):
            if i > 0:
                # A separate downsampling layer between stages, like Swin's patch merging; the norm
                # before it keeps training stable (§2.6).
                layers[f"downsample{i + 1}"] = nn.Sequential(
                    LayerNorm2d(w[i - 1], eps=cfg.norm_eps),
                    nn.Conv2d(w[i - 1], width, kernel_size=2, stride=2),
                )
            blocks = []
            for _ in range(depth):
                # deeper blocks are dropped more often: probability rises linearly to `stochastic_depth`
                blocks.append(ConvNeXtBlock(width, cfg, cfg.stochastic_depth * done / max(total - 1, 1)))
                done += 1
            layers[f"stage{i + 1}"] = nn.Sequential(*blocks)
        self.features = nn.Sequential(layers)
        self.norm = nn.LayerNorm(w[-1], eps=cfg.norm_eps)  # on the pooled features
        self.head = nn.Linear(w[-1], cfg.num_classes)
        for m in self.modules():  # truncated normal, std 0.02, as the reference implementation
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.trunc_normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 96, 56, 56) after the stem … (B, 768, 7, 7) after stage 4
        x = x.mean((2, 3))  # global average pool: (B, 768)
        return self.head(self.norm(x))  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="convnext_tiny",
        name="ConvNeXt-T",
        family="ConvNeXt",
        year=2022,
        paper=Paper(
            "A ConvNet for the 2020s",
            "https://arxiv.org/abs/2201.03545",
            authors="Z. Liu, H. Mao, C.-Y. Wu, C. Feichtenhofer, T. Darrell, S. Xie",
            venue="CVPR 2022",
        ),
        level="intermediate",
        summary=(
            "A plain convolutional network redesigned with the lessons of Vision Transformers: a patchify "
            "stem, large 7×7 depthwise convolutions, an inverted-bottleneck MLP, LayerNorm, GELU and fewer "
            "activations. Without any attention it matches or beats the Swin Transformer of the same size, "
            "showing that much of the Transformers' lead came from design and training choices."
        ),
        scenarios=(
            "general image classification and transfer learning",
            "backbone for detection and segmentation where a pure CNN is easier to deploy than attention",
            "studying which design choices matter (the paper's step-by-step roadmap from ResNet-50)",
        ),
        strengths=(
            "Transformer-level accuracy with only convolutions: simple, fast and friendly to any hardware",
            "works at any input size; no attention cost that grows with the square of the image area",
            "scales cleanly from tiny to extra-large variants",
        ),
        weaknesses=(
            "needs the long modern training recipe (heavy augmentation, 300 epochs) to reach its accuracy",
            "7×7 depthwise convolutions are memory-bound and slower on GPUs than their FLOPs suggest",
        ),
        params=Figure(28_589_128, "torchvision reference implementation (convnext_tiny)"),
        metric=imagenet_top1(82.520, "ConvNeXt_Tiny_Weights"),
        config_note=(
            "ConvNeXt-T: depths 3-3-9-3, widths 96-192-384-768, 4×4 patchify stem, 7×7 depthwise conv, "
            "MLP ratio 4, LayerNorm eps 1e-6, layer scale 1e-6, stochastic depth 0.1 (training only), 1000 classes."
        ),
        tags=("cnn", "imagenet", "depthwise", "layernorm", "layer scale", "stochastic depth", "backbone"),
        zh={
            "summary": "借鉴视觉 Transformer 经验重新设计的纯卷积网络：patchify 主干、大尺寸 7×7 深度卷积、"
            "倒瓶颈 MLP、LayerNorm、GELU 以及更少的激活层。它不含任何注意力，却能达到甚至超过同等规模的 "
            "Swin Transformer，说明 Transformer 的优势很大程度上来自设计与训练方法。",
            "scenarios": [
                "通用图像分类与迁移学习",
                "检测与分割的骨干网络（纯 CNN 比注意力模型更易部署）",
                "研究哪些设计选择真正重要（论文中从 ResNet-50 逐步演进的路线）",
            ],
            "strengths": [
                "只用卷积即可达到 Transformer 级别的准确率：结构简单、速度快、对各类硬件友好",
                "支持任意输入尺寸，没有随图像面积平方增长的注意力开销",
                "从 tiny 到 xlarge 各规模都能平滑扩展",
            ],
            "weaknesses": [
                "需要现代的长训练方案（强数据增强、300 个 epoch）才能达到其准确率",
                "7×7 深度卷积受内存带宽限制，在 GPU 上比其计算量所示更慢",
            ],
            "config_note": "ConvNeXt-T：各阶段深度 3-3-9-3，宽度 96-192-384-768，4×4 patchify 主干，7×7 深度卷积，"
            "MLP 扩展比 4，LayerNorm eps 1e-6，layer scale 初值 1e-6，随机深度 0.1（仅训练时），1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def convnext_tiny(**overrides) -> ConvNeXt:
    return ConvNeXt(replace(CONVNEXT_TINY, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → torchvision name. torchvision numbers `features` 0 (stem), 1 (stage 1), 2 (downsampling), 3 …,
# and a block is one Sequential: dwconv 0, Permute, LayerNorm 2, Linear 3, GELU, Linear 5.
CONVNEXT_TORCHVISION_NAMES = (
    (r"^features\.stem\.", "features.0."),
    (r"^features\.stage(\d)\.", lambda m: f"features.{2 * int(m.group(1)) - 1}."),
    (r"^features\.downsample(\d)\.", lambda m: f"features.{2 * int(m.group(1)) - 2}."),
    (r"\.dwconv\.", ".block.0."),
    (r"\.norm\.", ".block.2."),
    (r"\.pwconv1\.", ".block.3."),
    (r"\.pwconv2\.", ".block.5."),
    (r"^norm\.", "classifier.0."),
    (r"^head\.", "classifier.2."),
)
# DeepZoo name → Hugging Face `ConvNextForImageClassification` name (layer scale stored flat there: (C,))
CONVNEXT_HF_NAMES = (
    (r"^features\.stem\.0\.", "convnext.embeddings.patch_embeddings."),
    (r"^features\.stem\.1\.", "convnext.embeddings.layernorm."),
    (r"^features\.stage(\d)\.(\d+)\.", lambda m: f"convnext.encoder.stages.{int(m.group(1)) - 1}.layers.{m.group(2)}."),
    (r"^features\.downsample(\d)\.", lambda m: f"convnext.encoder.stages.{int(m.group(1)) - 1}.downsampling_layer."),
    (r"\.norm\.", ".layernorm."),
    (r"\.layer_scale$", ".layer_scale_parameter"),
    (r"^norm\.", "convnext.layernorm."),
    (r"^head\.", "classifier."),
)


def hf_convnext_map(model: ConvNeXt) -> KeyMap:
    plain = KeyMap.by_rules(model.state_dict(), CONVNEXT_HF_NAMES)
    tensors = {
        ours: (theirs, lambda t: t[:, None, None]) if ours.endswith("layer_scale") else theirs  # (C,) → (C, 1, 1)
        for ours, theirs in plain.tensors.items()
    }
    return KeyMap(tensors)


def hf_convnext_config(config, shapes) -> dict:
    out = hf_overrides(config, {"patch_size": "patch_size", "in_channels": "num_channels"})
    out.update(depths=tuple(config["depths"]), widths=tuple(config["hidden_sizes"]))
    if "classifier.weight" in shapes:
        out["num_classes"] = shapes["classifier.weight"][0]
    return out


register_layout(
    Layout("torchvision", models=("convnext_tiny",), key_map=lambda model: KeyMap.by_rules(model.state_dict(), CONVNEXT_TORCHVISION_NAMES),
           config=num_classes_from("classifier.2.weight"), note="torchvision.models.convnext_* state dicts")
)  # fmt: skip
register_layout(
    Layout("hf", models=("convnext_tiny",), key_map=hf_convnext_map, config=hf_convnext_config, model_types=("convnext",),
           note="ConvNextForImageClassification checkpoints")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("convnext_tiny", "convnext_tiny-983f1562.pth"))
register_checkpoint(
    KnownCheckpoint("convnext_tiny", "hf://facebook/convnext-tiny-224", layout="hf", licence="apache-2.0", dataset="ImageNet-1k")
)
