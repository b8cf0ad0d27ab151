"""Vision Transformer — Dosovitskiy et al., "An Image is Worth 16x16 Words: Transformers for Image
Recognition at Scale" (ICLR 2021). https://arxiv.org/abs/2010.11929
DeiT — Touvron et al., "Training data-efficient image transformers & distillation through attention"
(ICML 2021). https://arxiv.org/abs/2012.12877

ViT feeds an image to an unmodified Transformer encoder: cut it into 16×16 patches, flatten and
linearly project each patch to a D-dimensional token (a 16×16 stride-16 conv does exactly that),
prepend a learned [class] token, add learned position embeddings (paper Eq. 1), and run L pre-norm
encoder layers: z' = MSA(LN(z)) + z, z = MLP(LN(z')) + z' (Eqs. 2–3). The class token's final state,
after one more LayerNorm, is classified by a linear head (Eq. 4). With no convolutional priors it
needs a lot of data: trained on ImageNet alone it trails ResNets; pre-trained on 14M–300M images it
beats them.

DeiT showed that the same architecture trains well on ImageNet-1k alone with a strong recipe (heavy
augmentation, regularisation, 300 epochs). DeiT-Tiny is ViT at width 192 with 3 heads and 12 layers;
registered here without the distillation token, i.e. the plain DeiT-Ti of the paper's Table 1.

Layout and parameter counts match torchvision's VisionTransformer, whose attention keeps Q, K and V
in one fused projection; `SelfAttention` below is that module (shared with Swin and MaxViT).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, Paper
from ..nlp.transformer import FeedForward
from ..pretrained import KeyMap, KnownCheckpoint, Layout, Source, register_checkpoint, register_layout, torchvision_checkpoint
from ..pretrained.hf import hf_overrides
from ..pretrained.layouts import Shapes
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1


@dataclass(frozen=True)
class ViTConfig:
    image_size: int = 224
    patch_size: int = 16  # P: the "16x16 words" of the title
    width: int = 768  # D, the token size (Table 1)
    depth: int = 12  # L encoder layers
    heads: int = 12  # D / heads = 64 per head
    mlp_dim: int = 3072  # hidden size of each layer's MLP (4·D)
    dropout: float = 0.0  # on embeddings and residual branches (0.1 in the paper's from-scratch runs)
    attn_dropout: float = 0.0
    norm_eps: float = 1e-6
    zero_head: bool = True  # head starts at zero, as torchvision's (and the paper's fine-tuning heads, §3.2)
    in_channels: int = 3
    num_classes: int = 1000


VIT_B_16 = ViTConfig()  # ViT-Base/16, Table 1
# DeiT-Ti: width 192, 3 heads (DeiT Table 1); its head starts N(0, 0.02) (timm's DeiT init), not at zero
DEIT_TINY = ViTConfig(width=192, heads=3, mlp_dim=768, zero_head=False)


class SelfAttention(nn.Module):
    """Multi-head self-attention with Q, K and V from one fused projection (torchvision, timm and
    Swin lay the weights out this way): softmax(Q Kᵀ · scale + bias) V per head, heads concatenated
    and projected back (Vaswani et al. §3.2.2).

    `bias` is an additive float tensor broadcastable to (B, heads, N, N): Swin's and MaxViT's relative
    position bias (and Swin's −∞ shifted-window mask). `scale` defaults to 1/√d_head.
    """

    def __init__(self, dim: int, heads: int, scale: float | None = None, dropout: float = 0.0):
        super().__init__()
        assert dim % heads == 0, "dim must divide into heads"
        self.heads = heads
        self.scale = scale
        self.dropout = dropout  # on the attention weights
        self.qkv = nn.Linear(dim, 3 * dim)  # rows: [W_Q; W_K; W_V], each split into `heads` blocks
        self.proj = nn.Linear(dim, dim)  # W_O

    def forward(self, x: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
        B, N, C = x.shape
        qkv = self.qkv(x).view(B, N, 3, self.heads, C // self.heads)  # (B, N, 3, h, d)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # 3 × (B, h, N, d)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, dropout_p=self.dropout if self.training else 0.0, scale=self.scale
        )  # (B, h, N, d)
        return self.proj(y.transpose(1, 2).reshape(B, N, C))  # concat heads → (B, N, C)


class EncoderBlock(nn.Module):
    """One pre-norm Transformer layer (Eqs. 2–3): LN → MSA → +, LN → MLP(GELU) → +."""

    def __init__(self, cfg: ViTConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.width, eps=cfg.norm_eps)
        self.attn = SelfAttention(cfg.width, cfg.heads, dropout=cfg.attn_dropout)
        self.ln_2 = nn.LayerNorm(cfg.width, eps=cfg.norm_eps)
        self.mlp = FeedForward(cfg.width, cfg.mlp_dim, nn.GELU())
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        # Norm *before* each sub-layer (unlike the original Transformer): the residual stream stays
        # un-normalised, which trains deep stacks without warm-up tricks.
        z = z + self.dropout(self.attn(self.ln_1(z)))  # (B, N+1, D)
        return z + self.dropout(self.mlp(self.ln_2(z)))


class Encoder(nn.Module):
    """Position embeddings, L encoder layers, final LayerNorm."""

    def __init__(self, cfg: ViTConfig, seq_len: int):
        super().__init__()
        # E_pos: one learned vector per position (1-D; 2-D-aware variants were no better, Appendix D.4)
        self.pos_embedding = nn.Parameter(torch.empty(1, seq_len, cfg.width).normal_(std=0.02))
        self.dropout = nn.Dropout(cfg.dropout)
        self.layers = nn.Sequential(*(EncoderBlock(cfg) for _ in range(cfg.depth)))
        self.norm = nn.LayerNorm(cfg.width, eps=cfg.norm_eps)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = self.dropout(z + self.pos_embedding)  # z_0 of Eq. 1: (B, N+1, D)
        return self.norm(self.layers(z))  # (B, N+1, D)


class VisionTransformer(nn.Module):
    def __init__(self, cfg: ViTConfig = VIT_B_16):
        super().__init__()
        self.cfg = cfg
        assert cfg.image_size % cfg.patch_size == 0, "image size must be a multiple of the patch size"
        n_patches = (cfg.image_size // cfg.patch_size) ** 2  # N = HW/P² = 196 at 224/16
        # x_class: a learned token whose final state summarises the image (BERT's [CLS])
        self.class_token = nn.Parameter(torch.zeros(1, 1, cfg.width))
        # E: the linear projection of flattened P×P patches, written as a P×P stride-P conv
        self.patch_embedding = nn.Conv2d(cfg.in_channels, cfg.width, kernel_size=cfg.patch_size, stride=cfg.patch_size)
        self.encoder = Encoder(cfg, n_patches + 1)
        self.head = nn.Linear(cfg.width, cfg.num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        fan_in = self.patch_embedding.weight[0].numel()  # C·P·P: like a Linear on flattened patches
        nn.init.trunc_normal_(self.patch_embedding.weight, std=math.sqrt(1 / fan_in))
        nn.init.zeros_(self.patch_embedding.bias)
        for block in self.encoder.layers:
            nn.init.xavier_uniform_(block.attn.qkv.weight)
            nn.init.zeros_(block.attn.qkv.bias)
            nn.init.zeros_(block.attn.proj.bias)
            for fc in (block.mlp.w1, block.mlp.w2):
                nn.init.xavier_uniform_(fc.weight)
                nn.init.normal_(fc.bias, std=1e-6)
        if self.cfg.zero_head:  # every class starts at logit 0
            nn.init.zeros_(self.head.weight)
        else:
            nn.init.trunc_normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B = x.shape[0]
        x = self.patch_embedding(x)  # (B, D, H/P, W/P) = (B, 768, 14, 14)
        x = x.flatten(2).transpose(1, 2)  # (B, N, D): one token per patch, row by row
        x = torch.cat([self.class_token.expand(B, -1, -1), x], dim=1)  # (B, N+1, D) = (B, 197, 768)
        x = self.encoder(x)  # (B, N+1, D)
        return self.head(x[:, 0])  # y = head(LN(z_L^0)), Eq. 4: (B, num_classes) logits


# --------------------------------------------------------------------------- published checkpoint layouts

# One encoder layer: DeepZoo name → torchvision name / timm name (each with .weight and .bias).
_TORCHVISION_LAYER = {
    "ln_1": "ln_1", "attn.qkv": None, "attn.proj": "self_attention.out_proj", "ln_2": "ln_2",
    "mlp.w1": "mlp.0", "mlp.w2": "mlp.3",
}  # fmt: skip
_TIMM_LAYER = {"ln_1": "norm1", "attn.qkv": "attn.qkv", "attn.proj": "attn.proj", "ln_2": "norm2", "mlp.w1": "mlp.fc1", "mlp.w2": "mlp.fc2"}
_HF_LAYER = {
    "ln_1": "layernorm_before", "attn.proj": "attention.output.dense", "ln_2": "layernorm_after",
    "mlp.w1": "intermediate.dense", "mlp.w2": "output.dense",
}  # fmt: skip


def torchvision_vit_map(model: VisionTransformer) -> KeyMap:
    """torchvision's `VisionTransformer` (nn.MultiheadAttention keeps q, k, v fused as in_proj, like ours)."""
    m = {"class_token": "class_token", "encoder.pos_embedding": "encoder.pos_embedding",
         "encoder.norm.weight": "encoder.ln.weight", "encoder.norm.bias": "encoder.ln.bias"}  # fmt: skip
    for kind in ("weight", "bias"):
        m[f"patch_embedding.{kind}"] = f"conv_proj.{kind}"
        m[f"head.{kind}"] = f"heads.head.{kind}"
        for i in range(model.cfg.depth):
            theirs = f"encoder.layers.encoder_layer_{i}."
            for ours, name in _TORCHVISION_LAYER.items():
                m[f"encoder.layers.{i}.{ours}.{kind}"] = theirs + (
                    f"self_attention.in_proj_{kind}" if name is None else f"{name}.{kind}"
                )
    return KeyMap(m)


def timm_vit_map(model: VisionTransformer) -> KeyMap:
    """timm's `VisionTransformer` (vit_*, deit_*): the same fused qkv, other names."""
    m = {"class_token": "cls_token", "encoder.pos_embedding": "pos_embed"}
    for kind in ("weight", "bias"):
        m[f"patch_embedding.{kind}"] = f"patch_embed.proj.{kind}"
        m[f"encoder.norm.{kind}"] = f"norm.{kind}"
        m[f"head.{kind}"] = f"head.{kind}"
        for i in range(model.cfg.depth):
            for ours, theirs in _TIMM_LAYER.items():
                m[f"encoder.layers.{i}.{ours}.{kind}"] = f"blocks.{i}.{theirs}.{kind}"
    return KeyMap(m)


def _fuse_qkv(parts: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat(parts, dim=0)  # [W_Q; W_K; W_V]: (3D, D), or the biases (3D,)


def hf_vit_map(model: VisionTransformer) -> KeyMap:
    """Hugging Face `ViTForImageClassification`: separate query/key/value, joined into our fused qkv."""
    m: dict[str, Source] = {
        "class_token": "vit.embeddings.cls_token",
        "encoder.pos_embedding": "vit.embeddings.position_embeddings",
    }
    for kind in ("weight", "bias"):
        m[f"patch_embedding.{kind}"] = f"vit.embeddings.patch_embeddings.projection.{kind}"
        m[f"encoder.norm.{kind}"] = f"vit.layernorm.{kind}"
        m[f"head.{kind}"] = f"classifier.{kind}"
        for i in range(model.cfg.depth):
            theirs = f"vit.encoder.layer.{i}."
            for ours, name in _HF_LAYER.items():
                m[f"encoder.layers.{i}.{ours}.{kind}"] = f"{theirs}{name}.{kind}"
            qkv = tuple(f"{theirs}attention.attention.{p}.{kind}" for p in ("query", "key", "value"))
            m[f"encoder.layers.{i}.attn.qkv.{kind}"] = (qkv, _fuse_qkv)
    return KeyMap(m)


def _vit_shapes(cls: str, pos: str, patch: str, head: str, layer: str, fc1: str):
    """ViTConfig fields read from tensor shapes: width, depth, MLP size, patch and image size, classes.
    The head count is not in any shape: it stays the registered variant's."""

    def config(config, shapes: Shapes) -> dict:
        if patch not in shapes or head not in shapes:
            return {}  # not this layout; the loader reports the missing names
        patch_size = shapes[patch][-1]
        grid = math.isqrt(shapes[pos][1] - 1)
        depth = 1 + max(int(n[len(layer) :].split(".")[0]) for n in shapes if n.startswith(layer))
        return {
            "width": shapes[cls][-1], "depth": depth, "mlp_dim": shapes[fc1.format(i=0)][0], "patch_size": patch_size,
            "image_size": grid * patch_size, "num_classes": shapes[head][0], "in_channels": shapes[patch][1],
        }  # fmt: skip

    return config


def hf_vit_config(config, shapes: Shapes) -> dict:
    out = hf_overrides(
        config,
        {"width": "hidden_size", "depth": "num_hidden_layers", "heads": "num_attention_heads",
         "mlp_dim": "intermediate_size", "image_size": "image_size", "patch_size": "patch_size",
         "in_channels": "num_channels", "norm_eps": "layer_norm_eps"},
    )  # fmt: skip
    if "classifier.weight" in shapes:
        out["num_classes"] = shapes["classifier.weight"][0]
    return out


register_layout(
    Layout(
        "torchvision", models=("vit_b_16", "deit_tiny"), key_map=torchvision_vit_map,
        config=_vit_shapes("class_token", "encoder.pos_embedding", "conv_proj.weight", "heads.head.weight",
                           "encoder.layers.encoder_layer_", "encoder.layers.encoder_layer_{i}.mlp.0.weight"),
        note="torchvision.models.vit_b_16 state dicts",
    )
)  # fmt: skip
register_layout(
    Layout(
        "timm", models=("vit_b_16", "deit_tiny"), key_map=timm_vit_map,
        config=_vit_shapes("cls_token", "pos_embed", "patch_embed.proj.weight", "head.weight", "blocks.", "blocks.{i}.mlp.fc1.weight"),
        model_types=("vit_base_patch16_224", "vit_base_patch16_384", "deit_tiny_patch16_224"),
        note="timm vit_* / deit_* (class token, no distillation token, no pre-logits layer)",
    )
)  # fmt: skip
register_layout(
    Layout(
        "hf", models=("vit_b_16",), key_map=hf_vit_map, config=hf_vit_config, model_types=("vit",),
        note="ViTForImageClassification checkpoints (q, k, v joined into the fused projection)",
    )
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("vit_b_16", "vit_b_16-c867db91.pth"))
register_checkpoint(
    KnownCheckpoint(
        "vit_b_16", "hf://timm/vit_base_patch16_224.augreg_in21k_ft_in1k", layout="timm", licence="apache-2.0",
        dataset="ImageNet-21k, fine-tuned on ImageNet-1k (AugReg)",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "vit_b_16", "hf://google/vit-base-patch16-224", layout="hf", licence="apache-2.0",
        dataset="ImageNet-21k, fine-tuned on ImageNet-1k",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "deit_tiny", "hf://timm/deit_tiny_patch16_224.fb_in1k", layout="timm", licence="apache-2.0", dataset="ImageNet-1k",
        metric="ImageNet top-1 72.2% (Touvron et al. 2021, Table 1)",
    )
)  # fmt: skip


VIT_PAPER = Paper(
    "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
    "https://arxiv.org/abs/2010.11929",
    authors="A. Dosovitskiy, L. Beyer, A. Kolesnikov, D. Weissenborn, X. Zhai, T. Unterthiner, M. Dehghani, "
    "M. Minderer, G. Heigold, S. Gelly, J. Uszkoreit, N. Houlsby",
    venue="ICLR 2021",
)


@register_model(
    card=imagenet_card(
        key="vit_b_16",
        name="ViT-B/16",
        family="Vision Transformer",
        year=2020,
        paper=VIT_PAPER,
        level="intermediate",
        summary=(
            "A standard Transformer encoder applied to images: the picture is cut into 16×16 patches, each "
            "patch becomes a token, a learned class token and position embeddings are added, and 12 "
            "self-attention layers let every patch look at every other one. With enough pre-training data "
            "it matches or beats the best CNNs, and it made Transformers the default in vision research."
        ),
        scenarios=(
            "image classification and fine-tuning from large pre-trained checkpoints",
            "backbone for multimodal models (CLIP-style image encoders) and dense prediction heads",
            "learning how attention works on images",
        ),
        strengths=(
            "global receptive field from the first layer: any two patches interact directly",
            "the same architecture as language Transformers, so tools and scaling laws carry over",
            "scales very well with data and model size",
        ),
        weaknesses=(
            "few image priors: trained on ImageNet-1k alone it needs heavy augmentation to beat ResNets",
            "attention cost grows with the square of the number of patches (high resolutions are expensive)",
            "fixed input size unless the position embeddings are interpolated",
        ),
        params=Figure(86_567_656, "torchvision reference implementation (vit_b_16)"),
        metric=imagenet_top1(81.072, "ViT_B_16_Weights"),
        config_note=(
            "ViT-Base, patch 16, 224×224 input (196 patches + class token = 197 tokens), width 768, 12 layers, "
            "12 heads, MLP 3072, pre-norm LayerNorm eps 1e-6, learned 1-D position embeddings, 1000 classes."
        ),
        tags=("transformer", "attention", "imagenet", "patch embedding", "class token", "backbone"),
        zh={
            "summary": "把标准 Transformer 编码器直接用于图像：将图片切成 16×16 的图块，每个图块成为一个 token，"
            "加上可学习的类别 token 和位置嵌入，再经过 12 层自注意力，使每个图块都能关注所有其他图块。"
            "在足够多的预训练数据下，它能达到甚至超过最好的 CNN，并使 Transformer 成为视觉研究的主流。",
            "scenarios": [
                "图像分类，以及基于大规模预训练权重的微调",
                "多模态模型（如 CLIP 式图像编码器）和密集预测任务的骨干网络",
                "学习注意力机制在图像上的工作方式",
            ],
            "strengths": [
                "从第一层起就拥有全局感受野：任意两个图块直接交互",
                "与语言 Transformer 结构相同，工具与扩展规律可以直接沿用",
                "随数据量和模型规模扩展效果很好",
            ],
            "weaknesses": [
                "图像先验少：只用 ImageNet-1k 训练时需要强数据增强才能超过 ResNet",
                "注意力开销随图块数量平方增长（高分辨率代价高）",
                "输入尺寸固定，除非对位置嵌入做插值",
            ],
            "config_note": "ViT-Base，图块 16，输入 224×224（196 个图块 + 1 个类别 token = 197 个 token），宽度 768，"
            "12 层，12 个注意力头，MLP 3072，前置 LayerNorm（eps 1e-6），可学习的一维位置嵌入，1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def vit_b_16(**overrides) -> VisionTransformer:
    return VisionTransformer(replace(VIT_B_16, **overrides))


@register_model(
    card=imagenet_card(
        key="deit_tiny",
        name="DeiT-Tiny",
        family="Vision Transformer",
        year=2020,
        paper=Paper(
            "Training data-efficient image transformers & distillation through attention",
            "https://arxiv.org/abs/2012.12877",
            authors="H. Touvron, M. Cord, M. Douze, F. Massa, A. Sablayrolles, H. Jégou",
            venue="ICML 2021",
        ),
        level="intermediate",
        summary=(
            "A small Vision Transformer (width 192, 3 heads, 12 layers) trained on ImageNet-1k alone. DeiT's "
            "contribution is the recipe — strong augmentation, regularisation and a long schedule — which "
            "showed that ViTs do not need hundreds of millions of extra images. This entry is the plain "
            "DeiT-Ti, without the distillation token."
        ),
        scenarios=(
            "a Transformer image classifier small enough for a laptop CPU",
            "teaching and experimenting with ViT training recipes",
            "lightweight backbone where attention's global context helps",
        ),
        strengths=(
            "5.7M parameters and about 1.3 GFLOPs per 224×224 image",
            "trains from scratch on ImageNet-1k, no extra data",
            "the same architecture as ViT, so ViT tooling and weight layouts apply unchanged",
        ),
        weaknesses=(
            "needs about four times the compute of MobileNetV2 for similar accuracy (72.2% vs 71.9% top-1)",
            "its accuracy depends on a long, heavily augmented training recipe",
            "fixed input size unless the position embeddings are interpolated",
        ),
        params=Figure(5_717_416, "timm deit_tiny_patch16_224 (the DeiT paper's Table 1 rounds it to 5M)"),
        metric=Metric(
            "top-1 accuracy",
            72.2,
            "%",
            "ImageNet-1k val",
            "DeiT paper (Touvron et al. 2021), DeiT-Ti, 224×224, no distillation",
        ),
        config_note=(
            "DeiT-Ti: ViT with width 192, 3 heads, 12 layers, MLP 768, patch 16, 224×224 input (197 tokens), "
            "class token only (no distillation token), 1000 classes."
        ),
        tags=("transformer", "attention", "imagenet", "patch embedding", "class token", "small"),
        zh={
            "summary": "一个小型视觉 Transformer（宽度 192、3 个注意力头、12 层），只用 ImageNet-1k 训练。"
            "DeiT 的贡献在于训练方法——强数据增强、正则化和较长的训练周期——证明 ViT 并不需要数亿张额外图片。"
            "此条目是不带蒸馏 token 的普通 DeiT-Ti。",
            "scenarios": ["足够小、可在笔记本 CPU 上运行的 Transformer 图像分类器", "教学与试验 ViT 的训练方法", "需要全局上下文的轻量骨干网络"],
            "strengths": ["570 万参数，每张 224×224 图像约 1.3 GFLOPs", "只用 ImageNet-1k 从零训练，无需额外数据", "与 ViT 结构完全相同，ViT 的工具和权重布局可直接沿用"],
            "weaknesses": [
                "与 MobileNetV2 准确率相近（top-1 72.2% 对 71.9%），计算量却约为其四倍",
                "准确率依赖长时间、强数据增强的训练方案",
                "输入尺寸固定，除非对位置嵌入做插值",
            ],
            "config_note": "DeiT-Ti：宽度 192、3 个注意力头、12 层、MLP 768 的 ViT，图块 16，输入 224×224（197 个 token），"
            "只有类别 token（无蒸馏 token），1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def deit_tiny(**overrides) -> VisionTransformer:
    return VisionTransformer(replace(DEIT_TINY, **overrides))
