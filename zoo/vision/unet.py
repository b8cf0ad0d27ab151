"""U-Net — Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
Segmentation" (MICCAI 2015). https://arxiv.org/abs/1505.04597

A segmentation network shaped like a U (paper Figure 1). The contracting path on the left is a
plain CNN: at each of 4 levels two unpadded 3×3 convs + ReLU, then a 2×2 max-pool that halves the
resolution while the next level doubles the channels (64 → 128 → 256 → 512 → 1024). The expansive
path on the right climbs back up: a 2×2 "up-convolution" doubles the resolution and halves the
channels, the feature map of the same level on the left is *copied and cropped* and concatenated
to it, and two 3×3 convs mix the two. The skip connections are the idea: the coarse, semantic
features from below say *what* is there, the fine features copied across say exactly *where*, so a
network trained on a few dozen images draws precise boundaries. A final 1×1 conv maps the 64
channels to class scores per pixel.

The paper's convs are unpadded, so every 3×3 conv trims one pixel off each border: a 572×572 tile
gives a 388×388 map, and the network only predicts pixels whose whole context it has seen. Large
images are segmented by the overlap-tile strategy (paper Figure 2): tiles whose outputs abut
seamlessly, the missing context at the image border filled by mirroring. The crop in the copy step
is what makes the shapes line up: the left map is larger than the upsampled one by the pixels the
right side's convs have trimmed meanwhile.

Only valid input sizes keep every max-pool on an even size: with 4 levels, s = 16k + 124
(188, 204, …, 252, …, 572), and the output is s − 184. `padding=True` gives the common padded
variant instead (output size = input size, any multiple of 16); `base_width` scales every level
(64 is the paper's; the segmentation demo uses a narrow padded U-Net trained in minutes).

Bias on every conv, no BatchNorm (2015: the paper predates its spread to segmentation), no dropout
(the paper adds drop-out at the end of the contracting path as augmentation; it has no parameters).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ..weights import Weights, register_weights


@dataclass(frozen=True)
class UNetConfig:
    in_channels: int = 1  # the paper's microscopy images are grayscale
    num_classes: int = 2  # cell vs background
    base_width: int = 64  # channels of the first level; level l has base_width·2^l (64 … 1024)
    depth: int = 4  # max-pools on the contracting path (4 in the paper: 5 levels)
    padding: bool = False  # False: the paper's unpadded ("valid") 3×3 convs, output smaller than input


UNET = UNetConfig()


def valid_input_size(size: int, depth: int = 4) -> bool:
    """Whether an unpadded U-Net keeps every max-pool on an even size (no pixel silently dropped) and
    leaves an output of at least one pixel: 16k + 124 for 4 poolings, from 188 (→ 4×4) on."""
    side = size
    for _ in range(depth):
        side -= 4  # two unpadded 3×3 convs
        if side <= 0 or side % 2:
            return False
        side //= 2
    return output_size(size, depth) > 0


def output_size(size: int, depth: int = 4, padding: bool = False) -> int:
    """Side of the segmentation map for a square input of side `size` (572 → 388 for the paper's U-Net)."""
    if padding:
        return size
    for _ in range(depth):
        size = (size - 4) // 2  # two convs trim 2 px each side … then the pool halves
    size -= 4  # the bottom level's two convs
    for _ in range(depth):
        size = size * 2 - 4  # up-conv doubles, two convs trim
    return size


class DoubleConv(nn.Sequential):
    """Two 3×3 convs, each followed by a ReLU (one level's pair of blue arrows in Figure 1)."""

    def __init__(self, in_channels: int, out_channels: int, padding: bool):
        pad = 1 if padding else 0
        super().__init__(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=pad),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=pad),
            nn.ReLU(inplace=True),
        )


def center_crop(x: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The middle height×width of a feature map: the "copy and crop" of Figure 1 (grey arrows)."""
    top, left = (x.shape[-2] - height) // 2, (x.shape[-1] - width) // 2
    return x[..., top : top + height, left : left + width]


class Up(nn.Module):
    """One step of the expansive path: 2×2 up-conv (×2 resolution, ½ channels), concatenate the
    cropped skip from the contracting path, two 3×3 convs."""

    def __init__(self, in_channels: int, out_channels: int, padding: bool):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, out_channels, kernel_size=2, stride=2)
        self.conv = DoubleConv(2 * out_channels, out_channels, padding)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = self.up(x)  # (B, C/2, 2H, 2W)
        skip = center_crop(skip, x.shape[-2], x.shape[-1])  # unpadded: the left map is larger
        return self.conv(torch.cat([skip, x], dim=1))  # (B, C/2, 2H − 4, 2W − 4) unpadded


class UNet(nn.Module):
    def __init__(self, cfg: UNetConfig = UNET):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.base_width * 2**level for level in range(cfg.depth + 1)]  # 64, 128, 256, 512, 1024
        self.down = nn.ModuleList()
        channels = cfg.in_channels
        for w in widths[:-1]:
            self.down.append(DoubleConv(channels, w, cfg.padding))
            channels = w
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2)
        self.bottom = DoubleConv(widths[-2], widths[-1], cfg.padding)  # the U's lowest level (1024 channels)
        self.up = nn.ModuleList(Up(widths[i + 1], widths[i], cfg.padding) for i in reversed(range(cfg.depth)))
        self.head = nn.Conv2d(widths[0], cfg.num_classes, kernel_size=1)  # per-pixel class scores
        for m in self.modules():
            # The paper draws initial weights from N(0, √(2/N)), N = inputs of one neuron (§3): He init.
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for block in self.down:  # contracting path; shapes for the paper's 1×572×572 tile
            x = block(x)  # (B, 64, 568, 568), (B, 128, 280, 280), (B, 256, 136, 136), (B, 512, 64, 64)
            skips.append(x)
            x = self.pool(x)  # (B, 64, 284, 284), …, (B, 512, 32, 32)
        x = self.bottom(x)  # (B, 1024, 28, 28)
        for up, skip in zip(self.up, reversed(skips)):
            x = up(x, skip)  # (B, 512, 52, 52), (B, 256, 100, 100), (B, 128, 196, 196), (B, 64, 388, 388)
        return self.head(x)  # (B, num_classes, 388, 388) logits, one softmax per pixel


# U-Net's example input: a valid tile (s = 16k + 124) smaller than the paper's 572×572. Unpadded
# convs leave no smaller useful choice (188 is the minimum and gives 4×4): 252×252 → 68×68 costs
# 30 GFLOPs, a tenth of the paper's tile (301), with the same layers and the same cropping.
EXAMPLE_SIDE = 252


def example_tile() -> torch.Tensor:
    return torch.randn(1, 1, EXAMPLE_SIDE, EXAMPLE_SIDE)  # (B, 1, H, W) grayscale microscopy tile


CARD = ModelCard(
    key="unet",
    name="U-Net",
    family="U-Net",
    domain="vision",
    task="semantic segmentation",
    year=2015,
    paper=Paper(
        "U-Net: Convolutional Networks for Biomedical Image Segmentation",
        "https://arxiv.org/abs/1505.04597",
        authors="O. Ronneberger, P. Fischer, T. Brox",
        venue="MICCAI 2015",
    ),
    level="basic",
    summary=(
        "An encoder-decoder for per-pixel classification, drawn as a U: a contracting path of convolutions "
        "and max-pools gathers context, an expansive path of up-convolutions restores the resolution, and "
        "at every level the encoder's feature map is copied across and concatenated to the decoder's, so "
        "fine detail is not lost on the way down. Designed for microscopy, where only a few dozen "
        "annotated images exist, it won the ISBI 2015 cell tracking challenge and became the default "
        "segmentation architecture in medicine and beyond (diffusion models use it as their denoiser)."
    ),
    scenarios=(
        "biomedical image segmentation: cells, organs, tumours in microscopy, CT and MRI",
        "any dense prediction with few labelled images: satellite maps, defects, document layouts",
        "the denoising network of diffusion models (with attention and time embeddings added)",
    ),
    strengths=(
        "precise boundaries thanks to the skip connections at every resolution",
        "trains from very few images with strong augmentation (elastic deformations in the paper)",
        "simple and symmetric: easy to read, resize (width, depth) and adapt to 3-D",
    ),
    weaknesses=(
        "unpadded convs make the output smaller than the input: large images need overlapping tiles",
        "no pretrained backbone in the original design, and 31M parameters for a plain encoder",
        "a fixed receptive field; global context needs deeper variants or attention",
    ),
    params=Figure(
        31_030_658,
        "counted from the paper's Figure 1 (widths 64–1024, 1 input channel, 2 classes, conv biases, "
        "no BatchNorm); the paper gives no parameter count",
    ),
    input=f"grayscale image tile, 1×{EXAMPLE_SIDE}×{EXAMPLE_SIDE} (a valid size 16k + 124; the paper uses 572×572)",
    output=f"2 class logits per pixel, 2×{output_size(EXAMPLE_SIDE)}×{output_size(EXAMPLE_SIDE)} (unpadded convs: input − 184)",
    metric=Metric(
        "IoU",
        92.03,
        "%",
        "ISBI 2015 cell tracking challenge, PhC-U373",
        "Ronneberger et al. 2015, Table 2 (DIC-HeLa: 77.56 %)",
    ),
    config_note=(
        "The paper's Figure 1: 4 poolings, widths 64-128-256-512-1024, unpadded 3×3 convs with bias and "
        "ReLU, 2×2 transposed-conv up-sampling, 1 input channel, 2 classes, no BatchNorm or dropout. The "
        f"example input is a {EXAMPLE_SIDE}×{EXAMPLE_SIDE} tile (→ {output_size(EXAMPLE_SIDE)}×"
        f"{output_size(EXAMPLE_SIDE)}) instead of the paper's 572×572 (→ 388×388), to keep the CPU forward short."
    ),
    tags=("cnn", "segmentation", "encoder-decoder", "skip connections", "biomedical", "dense prediction"),
    i18n={
        "zh": {
            "task": "语义分割",
            "input": f"灰度图像块，1×{EXAMPLE_SIDE}×{EXAMPLE_SIDE}（合法尺寸为 16k + 124；论文用 572×572）",
            "output": f"每个像素 2 个类别的 logits，2×{output_size(EXAMPLE_SIDE)}×{output_size(EXAMPLE_SIDE)}（无填充卷积：输入边长 − 184）",
            "summary": "一种逐像素分类的编码器-解码器，结构画出来像字母 U：收缩路径由卷积和最大池化组成，负责汇集上下文；"
            "扩展路径用上卷积恢复分辨率；每一层都把编码器的特征图复制过来、与解码器的特征图拼接，"
            "使细节不会在下采样中丢失。它为只有几十张标注图像的显微图像而设计，赢得了 ISBI 2015 细胞追踪挑战赛，"
            "此后成为医学乃至其他领域的默认分割架构（扩散模型也用它作为去噪网络）。",
            "scenarios": [
                "生物医学图像分割：显微、CT 和 MRI 图像中的细胞、器官、肿瘤",
                "标注图像很少的各种密集预测：卫星地图、缺陷检测、文档版面",
                "扩散模型的去噪网络（再加上注意力和时间嵌入）",
            ],
            "strengths": [
                "每个分辨率上都有跳跃连接，边界精确",
                "配合强数据增强（论文用弹性形变），极少的图像就能训练",
                "结构简单对称：易读，易调整宽度和深度，也易推广到 3-D",
            ],
            "weaknesses": [
                "无填充卷积使输出小于输入：大图需要重叠分块",
                "原始设计没有预训练骨干，一个朴素编码器就有 3100 万参数",
                "感受野固定；要获得全局上下文需要更深的变体或注意力",
            ],
            "config_note": "论文图 1 的结构：4 次池化，宽度 64-128-256-512-1024，带偏置和 ReLU 的无填充 3×3 卷积，"
            "2×2 转置卷积上采样，1 个输入通道，2 类，无 BatchNorm、无 dropout。示例输入为 "
            f"{EXAMPLE_SIDE}×{EXAMPLE_SIDE} 的图像块（→ {output_size(EXAMPLE_SIDE)}×{output_size(EXAMPLE_SIDE)}），"
            "而不是论文的 572×572（→ 388×388），以缩短 CPU 上的前向时间。",
        }
    },
)


@register_model(card=CARD, example_input=example_tile)
def unet(**overrides) -> UNet:
    return UNet(replace(UNET, **overrides))


# The "Segment it" demo's weights (recipe `unet_shapes` in zoo/train/segmentation.py): a narrow,
# padded U-Net on RGB scenes of shapes and digits, foreground vs background.
SHAPES_CONFIG = {"in_channels": 3, "num_classes": 2, "base_width": 8, "depth": 4, "padding": True}

register_weights(
    Weights(
        model="unet",
        name="shapes",
        description="Narrow padded U-Net (base width 8, 4 poolings, 3 input channels, 485,826 parameters) that "
        "separates objects — filled shapes, outlines, scribbles, digits — from noisy gradient backgrounds",
        dataset="generated scenes (zoo.train.segmentation): shapes, scikit-learn digits and scribbles on gradients",
        source="shipped",
        file="unet_shapes.safetensors",
        recipe="unet_shapes",
        config=SHAPES_CONFIG,
        metrics={"held-out mean IoU %": 85.73, "held-out object IoU %": 77.14},  # 256 unseen scenes (manifest)
        preprocessing="RGB in [0, 1], longest side scaled to 96 px (the demo), padded to a multiple of 16",
        labels=("background", "object"),
    )
)
