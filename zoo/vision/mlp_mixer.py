"""MLP-Mixer — Tolstikhin, Houlsby, Kolesnikov, Beyer, Zhai, Unterthiner, Yung, Steiner, Keysers,
Uszkoreit, Lucic & Dosovitskiy, "MLP-Mixer: An all-MLP Architecture for Vision" (NeurIPS 2021).
https://arxiv.org/abs/2105.01601

Mixer keeps ViT's patch tokens but drops attention and convolution entirely. The image becomes an
S × C table X (S = 196 patches of 16×16, C = 768 channels), and each layer alternates two MLPs
(paper Eq. 1, Figure 1):
- token mixing, U = X + W₂ σ(W₁ LN(X)ᵀ)ᵀ: an MLP across the S patches, applied to every channel
  column with the *same* weights — spatial mixing, like a depthwise conv with one shared,
  image-sized kernel;
- channel mixing, Y = U + W₄ σ(W₃ LN(U)): an MLP across the C channels of each patch — a 1×1 conv.
Sharing the token MLP across channels keeps the parameter count independent of C, and because the
token MLP sees patches in a fixed order, no position embeddings are needed. With large-scale
pre-training Mixer comes close to ViT and CNNs; trained on ImageNet alone it overfits (76.4% top-1).

Layout follows the reference (JAX) model and timm's `mixer_b16_224`: per-patch linear stem, 12
Mixer layers, LayerNorm, global average pooling over patches, linear head.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, Paper
from ..nlp.transformer import FeedForward
from ..pretrained import KeyMap, KnownCheckpoint, Layout, num_classes_from, register_checkpoint, register_layout
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image


@dataclass(frozen=True)
class MixerConfig:
    image_size: int = 224
    patch_size: int = 16  # P; S = (224/16)² = 196 tokens
    hidden: int = 768  # C, channels per patch (Table 1, Mixer-B)
    depth: int = 12
    tokens_mlp_dim: int = 384  # D_S, hidden width of the token-mixing MLP
    channels_mlp_dim: int = 3072  # D_C, hidden width of the channel-mixing MLP
    norm_eps: float = 1e-6
    in_channels: int = 3
    num_classes: int = 1000


MIXER_B16 = MixerConfig()


class TokenMixing(FeedForward):
    """MLP₁ of Eq. 1: acts on each column of X (one channel across all S patches), same weights for
    every channel."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.transpose(1, 2)).transpose(1, 2)  # (B, S, C) → (B, C, S) → MLP → (B, S, C)


class MixerBlock(nn.Module):
    def __init__(self, cfg: MixerConfig, tokens: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.token_mixing = TokenMixing(tokens, cfg.tokens_mlp_dim, nn.GELU())  # S → D_S → S
        self.norm2 = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.channel_mixing = FeedForward(cfg.hidden, cfg.channels_mlp_dim, nn.GELU())  # C → D_C → C, per patch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.token_mixing(self.norm1(x))  # U: patches exchange information, (B, S, C)
        return x + self.channel_mixing(self.norm2(x))  # Y: each patch's channels mix, (B, S, C)


class MlpMixer(nn.Module):
    def __init__(self, cfg: MixerConfig = MIXER_B16):
        super().__init__()
        self.cfg = cfg
        assert cfg.image_size % cfg.patch_size == 0, "image size must be a multiple of the patch size"
        tokens = (cfg.image_size // cfg.patch_size) ** 2  # S
        # "per-patch fully-connected" layer: a P×P stride-P conv projects every patch to C channels
        self.stem = nn.Conv2d(cfg.in_channels, cfg.hidden, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        self.blocks = nn.Sequential(*(MixerBlock(cfg, tokens) for _ in range(cfg.depth)))
        self.norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.head = nn.Linear(cfg.hidden, cfg.num_classes)
        for name, m in self.named_modules():  # timm's init: Xavier weights, tiny biases in the MLPs
            if isinstance(m, nn.Linear) and name != "head":
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=1e-6)
        nn.init.zeros_(self.head.weight)  # zero head, as in the reference (JAX) implementation
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, C, 14, 14)
        x = x.flatten(2).transpose(1, 2)  # X: (B, S, C) = (B, 196, 768)
        x = self.norm(self.blocks(x))  # (B, S, C)
        return self.head(x.mean(1))  # global average pool over patches → (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="mlp_mixer_b16",
        name="MLP-Mixer-B/16",
        family="MLP-Mixer",
        year=2021,
        paper=Paper(
            "MLP-Mixer: An all-MLP Architecture for Vision",
            "https://arxiv.org/abs/2105.01601",
            authors="I. Tolstikhin, N. Houlsby, A. Kolesnikov, L. Beyer, X. Zhai, T. Unterthiner, J. Yung, "
            "A. Steiner, D. Keysers, J. Uszkoreit, M. Lucic, A. Dosovitskiy",
            venue="NeurIPS 2021",
        ),
        level="intermediate",
        summary=(
            "An image classifier made only of MLPs. The image is cut into 16×16 patches; each layer first "
            "mixes information across patches (one small MLP shared by every channel) and then across the "
            "channels of each patch. No convolutions and no attention, yet with large-scale pre-training it "
            "comes close to Vision Transformers — evidence that the patch-token recipe matters more than attention."
        ),
        scenarios=(
            "studying which parts of ViT-style models really matter",
            "image classification with large pre-training data",
            "teaching: the simplest 'modern' vision architecture (just matrix multiplications)",
        ),
        strengths=(
            "extremely simple: matrix multiplications, LayerNorm and GELU only",
            "no quadratic attention: cost is linear in the number of patches",
            "high throughput on accelerators",
        ),
        weaknesses=(
            "overfits when trained on ImageNet-1k alone (76.4% top-1 for 59.9M parameters)",
            "the token-mixing MLP is tied to one input resolution (a fixed number of patches)",
            "weak spatial inductive bias: needs very large datasets to shine",
        ),
        params=Figure(59_880_472, "timm mixer_b16_224 (the paper's Table 1 rounds it to 59M)"),
        metric=Metric(
            "top-1 accuracy",
            76.4,
            "%",
            "ImageNet-1k val",
            "MLP-Mixer paper (Tolstikhin et al. 2021): Mixer-B/16 trained from scratch on ImageNet-1k, 224×224",
        ),
        config_note=(
            "Mixer-B/16: patch 16, 224×224 input (196 patches), hidden C = 768, 12 layers, token-MLP width 384, "
            "channel-MLP width 3072, GELU, LayerNorm eps 1e-6, 1000 classes."
        ),
        tags=("mlp", "imagenet", "token mixing", "patch embedding", "attention-free"),
        zh={
            "summary": "一个只由 MLP 构成的图像分类器。图像被切成 16×16 的图块；每一层先在图块之间混合信息"
            "（所有通道共享同一个小 MLP），再在每个图块的通道之间混合。它既没有卷积也没有注意力，但在大规模"
            "预训练下接近视觉 Transformer 的水平——说明图块 token 的整体方案比注意力本身更重要。",
            "scenarios": ["研究 ViT 类模型中真正起作用的部分", "有大规模预训练数据时的图像分类", "教学：最简单的“现代”视觉架构（只有矩阵乘法）"],
            "strengths": ["极其简单：只有矩阵乘法、LayerNorm 和 GELU", "没有平方复杂度的注意力：计算量与图块数成线性关系", "在加速器上吞吐量很高"],
            "weaknesses": [
                "只用 ImageNet-1k 训练时容易过拟合（5990 万参数，top-1 76.4%）",
                "token 混合 MLP 绑定单一输入分辨率（图块数固定）",
                "空间归纳偏置弱：需要非常大的数据集才能发挥优势",
            ],
            "config_note": "Mixer-B/16：图块 16，输入 224×224（196 个图块），隐藏维度 C = 768，12 层，token MLP 宽度 384，"
            "通道 MLP 宽度 3072，GELU，LayerNorm eps 1e-6，1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def mlp_mixer_b16(**overrides) -> MlpMixer:
    return MlpMixer(replace(MIXER_B16, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → timm `mixer_b16_224` name: the paper's token- and channel-mixing MLPs are timm's mlp_tokens and
# mlp_channels, and the patch projection sits inside timm's PatchEmbed
TIMM_MIXER_NAMES = (
    (r"^stem\.", "stem.proj."),
    (r"\.token_mixing\.w(\d)\.", r".mlp_tokens.fc\1."),
    (r"\.channel_mixing\.w(\d)\.", r".mlp_channels.fc\1."),
)

register_layout(
    Layout("timm", models=("mlp_mixer_b16",), key_map=lambda model: KeyMap.by_rules(model.state_dict(), TIMM_MIXER_NAMES),
           config=num_classes_from("head.weight"), model_types=("mixer_b16_224",), note="timm mixer_b16_224")
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint("mlp_mixer_b16", "hf://timm/mixer_b16_224.goog_in21k_ft_in1k", layout="timm", licence="apache-2.0",
                    dataset="ImageNet-21k, fine-tuned on ImageNet-1k (Google's release)")
)
