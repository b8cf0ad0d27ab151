"""MaxViT — Tu, Talebi, Zhang, Yang, Milanfar, Bovik & Li, "MaxViT: Multi-Axis Vision Transformer"
(ECCV 2022). https://arxiv.org/abs/2204.01697

Full self-attention over an image costs O((HW)²); window attention (Swin) is linear but only local.
MaxViT's "multi-axis" attention gets both local and global interaction at linear cost by attending
along two sparse axes in turn ("Max-SA"):
- **block attention**: split the map into non-overlapping P×P windows and attend inside each one
  (local, like Swin without shifting);
- **grid attention**: lay a fixed G×G grid over the whole map and attend among the G² tokens that
  share the same position inside their cell — tokens H/G pixels apart, so every group spans the
  whole image (global, dilated).
Each MaxViT block is MBConv (an inverted-bottleneck depthwise conv with squeeze-excitation, which
also supplies position information) → block attention + MLP → grid attention + MLP,
every attention with a relative position bias. A conv stem and four stages of such blocks
(resolution halved by the first, strided MBConv of each stage) make a hierarchical backbone.

Layout and parameter counts match torchvision's `maxvit_t` (P = G = 7, head size 32). Two torchvision
details are kept so its weights would give its outputs: attention scales Q·Kᵀ by 1/√C (all the
heads' channels) rather than 1/√d_head, and BatchNorm uses eps 1e-3 with momentum 0.99 — TensorFlow's
decay value copied literally (PyTorch's `momentum` is the weight of the *new* batch).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..nlp.transformer import FeedForward
from ..pretrained import KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1
from .convnext import StochasticDepth
from .swin import WindowAttention


@dataclass(frozen=True)
class MaxViTConfig:
    stem_channels: int = 64
    channels: tuple[int, ...] = (64, 128, 256, 512)  # per stage (MaxViT-T)
    depths: tuple[int, ...] = (2, 2, 5, 2)  # MaxViT blocks per stage
    head_dim: int = 32  # channels per attention head
    partition_size: int = 7  # P for block attention and G for grid attention
    expansion_ratio: float = 4.0  # MBConv hidden width = 4 × output channels
    squeeze_ratio: float = 0.25  # SE bottleneck = 0.25 × output channels
    mlp_ratio: int = 4
    stochastic_depth: float = 0.2  # drop probability of the last block, linear from 0 (training only)
    head_dim_scale: bool = False  # False: torchvision's 1/√C scaling; True: the usual 1/√d_head
    bn_eps: float = 1e-3
    bn_momentum: float = 0.99  # as torchvision (see the module docstring)
    in_channels: int = 3
    num_classes: int = 1000


MAXVIT_T = MaxViTConfig()


def conv_bn_gelu(cin: int, cout: int, stride: int, groups: int, kernel_size: int, cfg: MaxViTConfig) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=kernel_size // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout, eps=cfg.bn_eps, momentum=cfg.bn_momentum),
        nn.GELU(),
    )


class SqueezeExcitation(nn.Module):
    """Hu et al. 2018: a channel gate in [0, 1] computed from the globally pooled features."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.reduce = nn.Conv2d(channels, squeeze, 1)
        self.act = nn.SiLU()
        self.expand = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # (B, C, 1, 1)
        return x * torch.sigmoid(self.expand(self.act(self.reduce(s))))


class MBConv(nn.Module):
    """Pre-norm inverted bottleneck (MobileNetV2/EfficientNet): BN → 1×1 expand → 3×3 depthwise (strided in a stage's
    first block) → SE → 1×1 project, plus a shortcut (avg-pool + 1×1 conv where the shape changes).
    The depthwise conv doubles as a conditional position encoding for the attention that follows."""

    def __init__(self, cin: int, cout: int, stride: int, drop: float, cfg: MaxViTConfig):
        super().__init__()
        if stride != 1 or cin != cout:
            proj: list[nn.Module] = [nn.AvgPool2d(3, stride=stride, padding=1)] if stride == 2 else []
            self.shortcut: nn.Module = nn.Sequential(*proj, nn.Conv2d(cin, cout, 1))
        else:
            self.shortcut = nn.Identity()
        mid = int(cout * cfg.expansion_ratio)
        self.pre_norm = nn.BatchNorm2d(cin, eps=cfg.bn_eps, momentum=cfg.bn_momentum)
        self.expand = conv_bn_gelu(cin, mid, 1, 1, 1, cfg)
        self.depthwise = conv_bn_gelu(mid, mid, stride, mid, 3, cfg)
        self.se = SqueezeExcitation(mid, int(cout * cfg.squeeze_ratio))
        self.project = nn.Conv2d(mid, cout, 1)
        self.drop_path = StochasticDepth(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(self.pre_norm(x))  # (B, 4·cout, H, W)
        y = self.se(self.depthwise(y))  # (B, 4·cout, H/s, W/s)
        y = self.project(y)  # (B, cout, H/s, W/s)
        return self.shortcut(x) + self.drop_path(y)


def block_partition(x: torch.Tensor, P: int) -> torch.Tensor:
    """(B, C, H, W) → (B, HW/P², P², C): the P×P windows, each a sequence of neighbouring pixels."""
    B, C, H, W = x.shape
    x = x.view(B, C, H // P, P, W // P, P).permute(0, 2, 4, 3, 5, 1)  # (B, H/P, W/P, P, P, C)
    return x.reshape(B, -1, P * P, C)


def block_merge(t: torch.Tensor, P: int, H: int, W: int) -> torch.Tensor:
    B, _, _, C = t.shape
    x = t.view(B, H // P, W // P, P, P, C).permute(0, 5, 1, 3, 2, 4)  # (B, C, H/P, P, W/P, P)
    return x.reshape(B, C, H, W)


def grid_partition(x: torch.Tensor, G: int) -> torch.Tensor:
    """(B, C, H, W) → (B, HW/G², G², C): row i = a·(H/G) + r; group (r, c) holds the G×G pixels
    (a, b) that share the offset (r, c) inside their cell, i.e. a dilated grid over the whole map."""
    B, C, H, W = x.shape
    x = x.view(B, C, G, H // G, G, W // G).permute(0, 3, 5, 2, 4, 1)  # (B, H/G, W/G, G, G, C)
    return x.reshape(B, -1, G * G, C)


def grid_merge(t: torch.Tensor, G: int, H: int, W: int) -> torch.Tensor:
    B, _, _, C = t.shape
    x = t.view(B, H // G, W // G, G, G, C).permute(0, 5, 3, 1, 4, 2)  # (B, C, G, H/G, G, W/G)
    return x.reshape(B, C, H, W)


class PartitionAttention(nn.Module):
    """Block-SA or Grid-SA followed by an MLP, both pre-norm and residual, on the partitioned map.
    The partitioning is the only difference between the two."""

    def __init__(self, dim: int, kind: str, drop: float, cfg: MaxViTConfig):
        super().__init__()
        assert kind in ("block", "grid")
        self.kind, self.size = kind, cfg.partition_size
        heads = dim // cfg.head_dim
        scale = None if cfg.head_dim_scale else dim**-0.5
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, heads, cfg.partition_size, scale=scale)  # with relative position bias
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = FeedForward(dim, cfg.mlp_ratio * dim, nn.GELU())
        self.drop_path = StochasticDepth(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, C, H, W = x.shape
        assert H % self.size == 0 and W % self.size == 0, f"{self.kind} attention needs sides divisible by {self.size}"
        partition, merge = (block_partition, block_merge) if self.kind == "block" else (grid_partition, grid_merge)
        t = partition(x, self.size)  # (B, groups, 49, C): attention runs within each group of 49 tokens
        t = t + self.drop_path(self.attn(self.attn_norm(t).flatten(0, 1)).view_as(t))
        t = t + self.drop_path(self.mlp(self.mlp_norm(t)))
        return merge(t, self.size, H, W)  # (B, C, H, W)


class MaxViTBlock(nn.Module):
    """MBConv → block attention (local) → grid attention (global): the unit every stage repeats."""

    def __init__(self, cin: int, cout: int, stride: int, drop: float, cfg: MaxViTConfig):
        super().__init__()
        self.mbconv = MBConv(cin, cout, stride, drop, cfg)
        self.block_attention = PartitionAttention(cout, "block", drop, cfg)
        self.grid_attention = PartitionAttention(cout, "grid", drop, cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.grid_attention(self.block_attention(self.mbconv(x)))


class MaxViT(nn.Module):
    def __init__(self, cfg: MaxViTConfig = MAXVIT_T):
        super().__init__()
        self.cfg = cfg
        s = cfg.stem_channels
        # S0: two 3×3 convs, the first strided: (B, 3, 224, 224) → (B, 64, 112, 112)
        self.stem = nn.Sequential(conv_bn_gelu(cfg.in_channels, s, 2, 1, 3, cfg), nn.Conv2d(s, s, 3, padding=1))
        total, done = sum(cfg.depths), 0
        stages: OrderedDict[str, nn.Module] = OrderedDict()
        cin = s
        for i, (depth, cout) in enumerate(zip(cfg.depths, cfg.channels)):
            blocks = []
            for j in range(depth):
                # the first MBConv of each stage halves the resolution; drop rate rises linearly with depth
                drop = cfg.stochastic_depth * done / max(total - 1, 1)
                blocks.append(MaxViTBlock(cin, cout, 2 if j == 0 else 1, drop, cfg))
                cin = cout
                done += 1
            stages[f"stage{i + 1}"] = nn.Sequential(*blocks)
        self.stages = nn.Sequential(stages)
        c = cfg.channels[-1]
        # head: pool → LayerNorm → Linear + tanh (a "pre-logits" layer, as the reference model) → logits
        self.norm = nn.LayerNorm(c)
        self.pre_logits = nn.Sequential(nn.Linear(c, c), nn.Tanh())
        self.head = nn.Linear(c, cfg.num_classes, bias=False)
        for m in self.modules():  # N(0, 0.02) for convs and linears, BN as the identity
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, 64, 112, 112)
        x = self.stages(x)  # (B, 64, 56, 56) → (B, 128, 28, 28) → (B, 256, 14, 14) → (B, 512, 7, 7)
        x = self.norm(x.mean((2, 3)))  # (B, 512)
        return self.head(self.pre_logits(x))  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="maxvit_t",
        name="MaxViT-T",
        family="MaxViT",
        year=2022,
        paper=Paper(
            "MaxViT: Multi-Axis Vision Transformer",
            "https://arxiv.org/abs/2204.01697",
            authors="Z. Tu, H. Talebi, H. Zhang, F. Yang, P. Milanfar, A. Bovik, Y. Li",
            venue="ECCV 2022",
        ),
        level="advanced",
        summary=(
            "A hybrid CNN-Transformer whose blocks combine an MBConv convolution with two kinds of sparse "
            "attention: block attention inside local 7×7 windows and grid attention among tokens spread "
            "evenly over the whole image. Every block therefore sees both local detail and global context, "
            "at a cost linear in the image size."
        ),
        scenarios=(
            "high-accuracy image classification",
            "backbone for detection, segmentation and image restoration at high resolution",
            "studying how local and global attention complement each other",
        ),
        strengths=(
            "global interaction in every block at linear cost (grid attention)",
            "convolutions and attention together: good accuracy per parameter and per FLOP",
            "hierarchical multi-scale features like a CNN",
        ),
        weaknesses=(
            "many reshapes and partitions: slower in practice than its FLOP count suggests",
            "input sides must be multiples of 224, so that every stage's map splits into 7×7 windows and a 7×7 grid",
            "complex block with many hyper-parameters (MBConv, SE, two attentions, two MLPs)",
        ),
        params=Figure(30_919_624, "torchvision reference implementation (maxvit_t)"),
        metric=imagenet_top1(83.700, "MaxVit_T_Weights"),
        config_note=(
            "MaxViT-T: stem 64, channels 64-128-256-512, blocks 2-2-5-2, block and grid size 7, head size 32, "
            "MBConv expansion 4 with SE 0.25, MLP ratio 4, stochastic depth 0.2 (training only), "
            "tanh pre-logits layer, 1000 classes."
        ),
        tags=("transformer", "attention", "hybrid", "mbconv", "grid attention", "relative position bias", "imagenet"),
        zh={
            "summary": "卷积与 Transformer 的混合模型：每个块把 MBConv 卷积与两种稀疏注意力结合——"
            "在局部 7×7 窗口内做块注意力，在均匀分布于整幅图像的 token 之间做网格注意力。"
            "因此每个块都能同时看到局部细节和全局上下文，而计算量随图像尺寸线性增长。",
            "scenarios": ["高准确率图像分类", "高分辨率下检测、分割与图像复原的骨干网络", "研究局部与全局注意力如何互补"],
            "strengths": ["每个块都以线性代价实现全局交互（网格注意力）", "卷积与注意力结合：单位参数和单位计算量的准确率都很好", "像 CNN 一样提供层次化的多尺度特征"],
            "weaknesses": [
                "大量的重排与划分操作：实际速度比其计算量所示更慢",
                "输入边长必须是 224 的倍数，使每个阶段的特征图都能划分成 7×7 窗口和 7×7 网格",
                "块结构复杂、超参数多（MBConv、SE、两种注意力、两个 MLP）",
            ],
            "config_note": "MaxViT-T：主干 64，各阶段通道 64-128-256-512，块数 2-2-5-2，块与网格大小 7，每头 32 维，"
            "MBConv 扩展比 4、SE 比例 0.25，MLP 扩展比 4，随机深度 0.2（仅训练时），tanh 预 logits 层，1000 类。",
        },
    ),
    example_input=imagenet_image,
)
def maxvit_t(**overrides) -> MaxViT:
    return MaxViT(replace(MAXVIT_T, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# DeepZoo name → torchvision's. torchvision nests each block's three parts under `layers` (MBconv, window_attention,
# grid_attention) and each attention's parts in Sequentials (norm 0, attention 1; MLP norm 0, linears 1 and 3).
MAXVIT_TORCHVISION_NAMES = (
    (r"^stem\.1\.", "stem.1.0."),
    (r"^stages\.stage(\d+)\.(\d+)\.", lambda m: f"blocks.{int(m.group(1)) - 1}.layers.{m.group(2)}.layers."),
    (r"\.mbconv\.shortcut\.", ".MBconv.proj."),
    (r"\.mbconv\.pre_norm\.", ".MBconv.layers.pre_norm."),
    (r"\.mbconv\.expand\.", ".MBconv.layers.conv_a."),
    (r"\.mbconv\.depthwise\.", ".MBconv.layers.conv_b."),
    (r"\.mbconv\.se\.reduce\.", ".MBconv.layers.squeeze_excitation.fc1."),
    (r"\.mbconv\.se\.expand\.", ".MBconv.layers.squeeze_excitation.fc2."),
    (r"\.mbconv\.project\.", ".MBconv.layers.conv_c."),
    (r"\.block_attention\.", ".window_attention."),
    (r"\.attn_norm\.", ".attn_layer.0."),
    (r"\.attn\.qkv\.", ".attn_layer.1.to_qkv."),
    (r"\.attn\.proj\.", ".attn_layer.1.merge."),
    (r"\.attn\.relative_position_bias_table$", ".attn_layer.1.relative_position_bias_table"),
    (r"\.mlp_norm\.", ".mlp_layer.0."),
    (r"\.mlp\.w1\.", ".mlp_layer.1."),
    (r"\.mlp\.w2\.", ".mlp_layer.3."),
    (r"^norm\.", "classifier.2."),
    (r"^pre_logits\.0\.", "classifier.3."),
    (r"^head\.", "classifier.5."),
)  # fmt: skip

register_layout(
    Layout("torchvision", models=("maxvit_t",),
           # torchvision saves each attention's relative position index, a constant table the zoo model recomputes
           key_map=lambda model: KeyMap.by_rules(model.state_dict(), MAXVIT_TORCHVISION_NAMES,
                                                 ignore=("*.attn_layer.1.relative_position_index",)),
           config=num_classes_from("classifier.5.weight"), note="torchvision.models.maxvit_t state dicts")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("maxvit_t", "maxvit_t-bc5ab103.pth"))
