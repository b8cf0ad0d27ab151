"""Swin Transformer — Liu, Lin, Cao, Hu, Wei, Zhang, Lin & Guo, "Swin Transformer: Hierarchical Vision
Transformer using Shifted Windows" (ICCV 2021). https://arxiv.org/abs/2103.14030

ViT attends globally over one coarse 16×16-patch grid; its cost grows with the square of the image
area and it gives no multi-scale feature maps. Swin brings back the CNN's hierarchy: 4×4 patches,
then four stages whose "patch merging" layers halve the resolution and double the width (Figure 3),
like a ResNet. Inside a stage, self-attention is computed only within non-overlapping M×M windows
(M = 7), so the cost is linear in the image area (Eq. 2). Every second block shifts the window grid
by ⌊M/2⌋ (Figure 2), so information flows between neighbouring windows; the shift is done as a
cyclic roll of the feature map plus a mask that stops tokens from attending to the pieces that
wrapped around (Figure 4). Attention adds a learned relative position bias B (Eq. 4) instead of
absolute position embeddings.

Layout and parameter counts match torchvision's `swin_t`. `WindowAttention` (self-attention with a
relative position bias) is shared with MaxViT.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Paper
from ..nlp.transformer import FeedForward
from ..pretrained import KeyMap, KnownCheckpoint, Layout, Source, register_checkpoint, register_layout
from ..pretrained import num_classes_from, torchvision_checkpoint
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1
from .convnext import StochasticDepth
from .vit import SelfAttention


@dataclass(frozen=True)
class SwinConfig:
    patch_size: int = 4  # patch partition: 4×4 pixels → one token (48 values for RGB)
    embed_dim: int = 96  # C, the stage-1 width; doubles at every patch merging
    depths: tuple[int, ...] = (2, 2, 6, 2)  # blocks per stage (Swin-T, §3.3)
    heads: tuple[int, ...] = (3, 6, 12, 24)  # 32 channels per head in every stage
    window: int = 7  # M: attention within M×M windows
    mlp_ratio: float = 4.0
    stochastic_depth: float = 0.2  # drop probability of the last block, linear from 0 (training only)
    dropout: float = 0.0
    attn_dropout: float = 0.0
    norm_eps: float = 1e-5
    in_channels: int = 3
    num_classes: int = 1000


SWIN_T = SwinConfig()


def relative_position_index(window: int) -> torch.Tensor:
    """(M², M²) index into the ((2M−1)², heads) bias table: entry [i, j] encodes the offset from token j
    to token i of an M×M window, (Δrow, Δcol) each in [−M+1, M−1], as one integer (§3.2, Eq. 4)."""
    ij = torch.meshgrid(torch.arange(window), torch.arange(window), indexing="ij")
    coords = torch.stack(ij).flatten(1)  # (2, M²): (row, col) of each token
    delta = coords[:, :, None] - coords[:, None, :] + (window - 1)  # (2, M², M²), shifted to [0, 2M−2]
    return delta[0] * (2 * window - 1) + delta[1]  # row-major position in the (2M−1)×(2M−1) table


class WindowAttention(SelfAttention):
    """Self-attention over the M² tokens of each window with a learned relative position bias:
    softmax(Q Kᵀ/√d + B) V (Eq. 4). B has one value per head for each of the (2M−1)² possible offsets,
    so it is shared by every window and translation-invariant inside it."""

    def __init__(self, dim: int, heads: int, window: int, scale: float | None = None, dropout: float = 0.0):
        super().__init__(dim, heads, scale=scale, dropout=dropout)
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))  # B̂
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        # derived, not learned: kept out of the state dict
        self.register_buffer("relative_position_index", relative_position_index(window), persistent=False)

    def relative_position_bias(self) -> torch.Tensor:
        bias = self.relative_position_bias_table[self.relative_position_index]  # (M², M², heads)
        return bias.permute(2, 0, 1).unsqueeze(0)  # (1, heads, M², M²)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B·nW, M², C) windows; mask: (nW, M², M²) additive, 0 or −∞, the same for every image."""
        bias = self.relative_position_bias()  # (1, h, M², M²)
        if mask is not None:
            nW = mask.shape[0]
            bias = bias + mask.unsqueeze(1)  # (nW, h, M², M²)
            bias = bias.expand(x.shape[0] // nW, -1, -1, -1, -1).flatten(0, 1)  # (B·nW, h, M², M²)
        return super().forward(x, bias)


def window_partition(x: torch.Tensor, M: int) -> torch.Tensor:
    """(B, H, W, C) → (B·nW, M², C): the M×M windows, row by row, as sequences of tokens."""
    B, H, W, C = x.shape
    x = x.view(B, H // M, M, W // M, M, C).permute(0, 1, 3, 2, 4, 5)  # (B, H/M, W/M, M, M, C)
    return x.reshape(-1, M * M, C)


def window_merge(windows: torch.Tensor, M: int, B: int, H: int, W: int) -> torch.Tensor:
    """Inverse of `window_partition`: (B·nW, M², C) → (B, H, W, C)."""
    C = windows.shape[-1]
    x = windows.view(B, H // M, W // M, M, M, C).permute(0, 1, 3, 2, 4, 5)  # (B, H/M, M, W/M, M, C)
    return x.reshape(B, H, W, C)


def shifted_window_mask(H: int, W: int, M: int, shift: tuple[int, int], device: torch.device) -> torch.Tensor:
    """(nW, M², M²) additive mask for attention after rolling the map by −shift (Figure 4).

    After the roll, the windows on the bottom and right edges hold pieces of the map that are not
    neighbours in the image (they wrapped around). Label each of the up-to-3×3 regions the edges cut
    the rolled map into; two tokens may attend to each other only if their labels match."""

    def regions(n: int, s: int) -> torch.Tensor:  # (n,) region id along one axis: 0, 1 or 2
        i = torch.arange(n, device=device)
        return (i >= n - M).long() + (i >= n - s).long() if s > 0 else torch.zeros(n, dtype=torch.long, device=device)

    label = regions(H, shift[0])[:, None] * 3 + regions(W, shift[1])[None, :]  # (H, W)
    label = window_partition(label[None, :, :, None], M).squeeze(-1)  # (nW, M²)
    different = label[:, :, None] != label[:, None, :]  # (nW, M², M²)
    return torch.zeros(different.shape, device=device).masked_fill(different, float("-inf"))


class SwinBlock(nn.Module):
    """W-MSA (shift 0) or SW-MSA (shift ⌊M/2⌋) then an MLP, each pre-norm and residual (Eq. 3)."""

    def __init__(self, dim: int, heads: int, shift: int, drop: float, cfg: SwinConfig):
        super().__init__()
        self.window, self.shift = cfg.window, shift
        self.norm1 = nn.LayerNorm(dim, eps=cfg.norm_eps)
        self.attn = WindowAttention(dim, heads, cfg.window, dropout=cfg.attn_dropout)
        self.norm2 = nn.LayerNorm(dim, eps=cfg.norm_eps)
        self.mlp = FeedForward(dim, int(dim * cfg.mlp_ratio), nn.GELU())
        self.dropout = nn.Dropout(cfg.dropout)
        self.drop_path = StochasticDepth(drop)

    def shifted_window_attention(self, x: torch.Tensor) -> torch.Tensor:
        B, H, W, C = x.shape
        M = self.window
        if H % M or W % M:
            x = F.pad(x, (0, 0, 0, -W % M, 0, -H % M))  # pad right and bottom to whole windows
        Hp, Wp = x.shape[1:3]
        # a window that already covers the whole map has nothing to shift towards
        shift = (self.shift if Hp > M else 0, self.shift if Wp > M else 0)
        mask = None
        if any(shift):
            x = torch.roll(x, shifts=(-shift[0], -shift[1]), dims=(1, 2))  # cyclic shift (Figure 4)
            mask = shifted_window_mask(Hp, Wp, M, shift, x.device)  # (nW, M², M²)
        y = self.attn(window_partition(x, M), mask)  # (B·nW, M², C)
        y = window_merge(y, M, B, Hp, Wp)  # (B, Hp, Wp, C)
        if any(shift):
            y = torch.roll(y, shifts=shift, dims=(1, 2))  # undo the shift
        return self.dropout(y[:, :H, :W])  # (B, H, W, C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.shifted_window_attention(self.norm1(x)))  # (B, H, W, C)
        return x + self.drop_path(self.dropout(self.mlp(self.norm2(x))))


class PatchMerging(nn.Module):
    """Concatenate each 2×2 group of neighbouring tokens (4C) and project to 2C: half the resolution,
    twice the width, like a stride-2 conv stage in a CNN (§3.1)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        H, W = x.shape[1:3]
        if H % 2 or W % 2:
            x = F.pad(x, (0, 0, 0, W % 2, 0, H % 2))  # odd sizes: pad to even
        # top-left, bottom-left, top-right, bottom-right of each 2×2 group (the reference order)
        x = torch.cat([x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]], dim=-1)
        # (B, H/2, W/2, 4C)
        return self.reduction(self.norm(x))  # (B, H/2, W/2, 2C)


class PatchEmbedding(nn.Module):
    """Patch partition + linear embedding (Figure 3): a 4×4 stride-4 conv, then LayerNorm."""

    def __init__(self, cfg: SwinConfig):
        super().__init__()
        self.proj = nn.Conv2d(cfg.in_channels, cfg.embed_dim, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        self.norm = nn.LayerNorm(cfg.embed_dim, eps=cfg.norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.proj(x).permute(0, 2, 3, 1))  # (B, H/4, W/4, C): channels last from here on


class SwinTransformer(nn.Module):
    def __init__(self, cfg: SwinConfig = SWIN_T):
        super().__init__()
        self.cfg = cfg
        layers: OrderedDict[str, nn.Module] = OrderedDict(patch_embed=PatchEmbedding(cfg))
        total, done = sum(cfg.depths), 0
        dim = cfg.embed_dim
        for i, (depth, heads) in enumerate(zip(cfg.depths, cfg.heads)):
            if i > 0:
                layers[f"merge{i + 1}"] = PatchMerging(dim, cfg.norm_eps)  # opens stages 2–4
                dim *= 2
            blocks = []
            for j in range(depth):
                shift = 0 if j % 2 == 0 else cfg.window // 2  # W-MSA and SW-MSA alternate (Figure 3b)
                blocks.append(SwinBlock(dim, heads, shift, cfg.stochastic_depth * done / max(total - 1, 1), cfg))
                done += 1
            layers[f"stage{i + 1}"] = nn.Sequential(*blocks)
        self.features = nn.Sequential(layers)
        self.norm = nn.LayerNorm(dim, eps=cfg.norm_eps)
        self.head = nn.Linear(dim, cfg.num_classes)
        for m in self.modules():  # truncated normal, std 0.02, for every Linear (the reference init)
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x)  # (B, 56, 56, 96) after patch embedding … (B, 7, 7, 768) after stage 4
        x = self.norm(x).mean((1, 2))  # global average pool: (B, 768)
        return self.head(x)  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="swin_t",
        name="Swin-T",
        family="Swin Transformer",
        year=2021,
        paper=Paper(
            "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows",
            "https://arxiv.org/abs/2103.14030",
            authors="Z. Liu, Y. Lin, Y. Cao, H. Hu, Y. Wei, Z. Zhang, S. Lin, B. Guo",
            venue="ICCV 2021",
        ),
        level="advanced",
        summary=(
            "A hierarchical Vision Transformer: attention is computed inside small 7×7 windows, and every "
            "other block shifts the windows by half their size so neighbouring windows exchange information. "
            "Patch-merging layers halve the resolution between stages, giving CNN-like multi-scale feature "
            "maps at a cost linear in the image area. It became a standard backbone for detection and segmentation."
        ),
        scenarios=(
            "image classification and transfer learning",
            "backbone for object detection, instance and semantic segmentation (multi-scale features)",
            "high-resolution inputs where global attention would be too expensive",
        ),
        strengths=(
            "cost grows linearly with image area, not quadratically as in ViT",
            "multi-scale feature maps plug into CNN-era detection and segmentation heads",
            "relative position bias instead of absolute embeddings",
        ),
        weaknesses=(
            "shifted windows, masks and padding make the implementation intricate",
            "window partitioning is memory-bound and less efficient than plain convolutions on some hardware",
            "input sides should be multiples of 32 (and of the window size at each stage) to avoid padding",
        ),
        params=Figure(28_288_354, "torchvision reference implementation (swin_t)"),
        metric=imagenet_top1(81.474, "Swin_T_Weights"),
        config_note=(
            "Swin-T: patch 4, C = 96, depths 2-2-6-2, heads 3-6-12-24, window 7 (shift 3 on every second block; "
            "none in stage 4, whose 7×7 map is one window), MLP ratio 4, stochastic depth 0.2 (training only), "
            "1000 classes."
        ),
        tags=("transformer", "attention", "imagenet", "shifted windows", "relative position bias", "hierarchical"),
        zh={
            "summary": "层次化的视觉 Transformer：注意力只在 7×7 的小窗口内计算，每隔一个块把窗口平移半个窗口，"
            "使相邻窗口之间交换信息。阶段之间的图块合并层把分辨率减半，得到类似 CNN 的多尺度特征图，"
            "计算量与图像面积成线性关系。它已成为检测与分割的标准骨干网络。",
            "scenarios": ["图像分类与迁移学习", "目标检测、实例分割与语义分割的骨干网络（多尺度特征）", "全局注意力代价过高的高分辨率输入"],
            "strengths": ["计算量随图像面积线性增长，而不像 ViT 那样平方增长", "多尺度特征图可直接接入 CNN 时代的检测与分割头", "使用相对位置偏置而非绝对位置嵌入"],
            "weaknesses": [
                "平移窗口、掩码和填充使实现较为复杂",
                "窗口划分受内存带宽限制，在部分硬件上效率不如普通卷积",
                "输入边长最好是 32 的倍数（且在每个阶段是窗口大小的倍数），以免填充",
            ],
            "config_note": "Swin-T：图块 4，C = 96，各阶段深度 2-2-6-2，注意力头 3-6-12-24，窗口 7（每隔一个块平移 3；"
            "第 4 阶段的 7×7 特征图只有一个窗口，不平移），MLP 扩展比 4，随机深度 0.2（仅训练时），1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def swin_t(**overrides) -> SwinTransformer:
    return SwinTransformer(replace(SWIN_T, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → Hugging Face `SwinForImageClassification` name; q, k and v are separate there (joined below).
SWIN_HF_NAMES = (
    (r"^features\.patch_embed\.proj\.", "swin.embeddings.patch_embeddings.projection."),
    (r"^features\.patch_embed\.norm\.", "swin.embeddings.norm."),
    (r"^features\.stage(\d)\.(\d+)\.", lambda m: f"swin.encoder.layers.{int(m.group(1)) - 1}.blocks.{m.group(2)}."),
    (r"^features\.merge(\d)\.", lambda m: f"swin.encoder.layers.{int(m.group(1)) - 2}.downsample."),
    (r"\.norm1\.", ".layernorm_before."),
    (r"\.norm2\.", ".layernorm_after."),
    (r"\.attn\.relative_position_bias_table$", ".attention.self.relative_position_bias_table"),
    (r"\.attn\.proj\.", ".attention.output.dense."),
    (r"\.mlp\.w1\.", ".intermediate.dense."),
    (r"\.mlp\.w2\.", ".output.dense."),
    (r"^norm\.", "swin.layernorm."),
    (r"^head\.", "classifier."),
)


def hf_swin_map(model: SwinTransformer) -> KeyMap:
    tensors: dict[str, Source] = {}
    for ours, theirs in KeyMap.by_rules(model.state_dict(), SWIN_HF_NAMES).tensors.items():
        if ".attn.qkv." in theirs:  # [W_Q; W_K; W_V] from attention.self.query / key / value
            block, kind = theirs.split(".attn.qkv.")
            parts = tuple(f"{block}.attention.self.{p}.{kind}" for p in ("query", "key", "value"))
            tensors[ours] = (parts, lambda ts: torch.cat(ts, dim=0))
        else:
            tensors[ours] = theirs
    # the relative-position index is a constant table some exports save; DeepZoo recomputes it
    return KeyMap(tensors, ignore=("*relative_position_index",))


def hf_swin_config(config, shapes) -> dict:
    out = hf_overrides(
        config,
        {"patch_size": "patch_size", "embed_dim": "embed_dim", "window": "window_size", "mlp_ratio": "mlp_ratio",
         "norm_eps": "layer_norm_eps", "in_channels": "num_channels"},
    )  # fmt: skip
    out.update(depths=tuple(config["depths"]), heads=tuple(config["num_heads"]))
    if "classifier.weight" in shapes:
        out["num_classes"] = shapes["classifier.weight"][0]
    return out


register_layout(
    Layout("hf", models=("swin_t",), key_map=hf_swin_map, config=hf_swin_config, model_types=("swin",),
           note="SwinForImageClassification checkpoints (q, k, v joined into the fused projection)")
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint("swin_t", "hf://microsoft/swin-tiny-patch4-window7-224", layout="hf", licence="apache-2.0", dataset="ImageNet-1k")
)

# DeepZoo name → torchvision name: `features` 0 (patch embedding: conv 0, Permute, LayerNorm 2), 1 (stage 1),
# 2 (patch merging), 3 …; the MLP is Linear 0, GELU, Dropout, Linear 3.
SWIN_TORCHVISION_NAMES = (
    (r"^features\.patch_embed\.proj\.", "features.0.0."),
    (r"^features\.patch_embed\.norm\.", "features.0.2."),
    (r"^features\.stage(\d)\.", lambda m: f"features.{2 * int(m.group(1)) - 1}."),
    (r"^features\.merge(\d)\.", lambda m: f"features.{2 * int(m.group(1)) - 2}."),
    (r"\.mlp\.w1\.", ".mlp.0."),
    (r"\.mlp\.w2\.", ".mlp.3."),
)
register_layout(
    Layout("torchvision", models=("swin_t",),
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), SWIN_TORCHVISION_NAMES, ignore=("*relative_position_index",)),
           config=num_classes_from("head.weight"), note="torchvision.models.swin_t (v1) state dicts")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("swin_t", "swin_t-704ceda3.pth"))
