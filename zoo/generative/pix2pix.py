"""pix2pix — Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with Conditional Adversarial Networks"
(CVPR 2017). https://arxiv.org/abs/1611.07004

One recipe for every paired translation task (labels → photo, edges → shoes, day → night, map ↔ aerial):
a conditional GAN whose generator G maps the input image x to an output, and whose discriminator D sees
the input together with an output (real y or G(x)) and says whether the pair is real. The objective is
the conditional GAN loss plus an L1 term that keeps G(x) close to y (Eq. 4, λ = 100):

    G* = arg min_G max_D  L_cGAN(G, D) + λ E‖y − G(x)‖₁

L1 already gets the low frequencies right, so D only needs to judge local texture: the *PatchGAN*
discriminator classifies each 70×70 patch as real or fake, convolutionally across the image (Sec. 3.2.2).

Generator (Appendix 6.1.1, "U-Net-256"): an encoder C64-C128-C256-C512-C512-C512-C512-C512 of 4×4 stride-2
convs (256 → 1 pixel in 8 halvings; BatchNorm on all but the first, LeakyReLU 0.2) and a mirrored decoder of
transposed convs (ReLU, BatchNorm, dropout 0.5 in the first three — the only noise source, kept on at test
time in the paper), with skip connections concatenating encoder layer i to decoder layer n − i: details of
the input pass straight through. Tanh output. 54,413,955 parameters (bias-free convs before BatchNorm).

Discriminator (Appendix 6.1.2, 70×70): C64-C128-C256-C512 then a 1-channel conv, 4×4 kernels, strides
2, 2, 2, 1, 1: each output score sees a 70×70 input patch. Input: the condition and the image stacked,
6 channels. 2,768,705 parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class Pix2PixConfig:
    in_channels: int = 3  # the condition x
    out_channels: int = 3  # the image y
    ngf: int = 64
    ndf: int = 64
    num_downs: int = 8  # U-Net-256: 2^8 = 256; 7 gives U-Net-128
    n_layers: int = 3  # PatchGAN depth: 3 → 70×70 patches (1 → 16×16, 5 → 286×286)
    dropout: float = 0.5


# ----------------------------------------------------------------------------- generator
class UNetBlock(nn.Module):
    """One level of the U-Net, built inside-out: down(x) → inner levels → up, and the input x concatenated
    to the result (the skip). The outermost level has no skip (its output is the image)."""

    def __init__(self, outer: int, inner: int, sub: nn.Module | None = None, c_in: int | None = None,
                 outermost: bool = False, dropout: float = 0.0):
        super().__init__()
        c_in = c_in if c_in is not None else outer
        self.outermost = outermost
        down = nn.Conv2d(c_in, inner, 4, stride=2, padding=1, bias=False)  # halves H, W
        if outermost:  # C64 (no norm) … and the last decoder layer: transposed conv + tanh, with bias
            self.down = nn.Sequential(down)
            self.up = nn.Sequential(nn.ReLU(), nn.ConvTranspose2d(2 * inner, outer, 4, stride=2, padding=1), nn.Tanh())
        elif sub is None:  # innermost, at 1×1: no norm after the down conv (BatchNorm of one value per image)
            self.down = nn.Sequential(nn.LeakyReLU(0.2), down)
            self.up = nn.Sequential(
                nn.ReLU(), nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)
            )
        else:
            self.down = nn.Sequential(nn.LeakyReLU(0.2), down, nn.BatchNorm2d(inner))
            up = [nn.ReLU(), nn.ConvTranspose2d(2 * inner, outer, 4, 2, 1, bias=False), nn.BatchNorm2d(outer)]
            self.up = nn.Sequential(*up, *([nn.Dropout(dropout)] if dropout else []))
        self.sub = sub if sub is not None else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.up(self.sub(self.down(x)))
        return h if self.outermost else torch.cat([x, h], dim=1)  # skip: (B, outer + outer, H, W)


class UNetGenerator(nn.Module):
    def __init__(self, cfg: Pix2PixConfig = Pix2PixConfig()):
        super().__init__()
        self.cfg = cfg
        f = cfg.ngf
        # Innermost first: the 1×1 bottleneck (C512 ↔ C512), then num_downs − 5 more 512-wide levels whose
        # decoder side carries dropout (three for U-Net-256), then the levels that widen 64 → 128 → 256 → 512.
        block = UNetBlock(8 * f, 8 * f)
        for _ in range(cfg.num_downs - 5):
            block = UNetBlock(8 * f, 8 * f, block, dropout=cfg.dropout)
        block = UNetBlock(4 * f, 8 * f, block)
        block = UNetBlock(2 * f, 4 * f, block)
        block = UNetBlock(f, 2 * f, block)
        self.unet = UNetBlock(cfg.out_channels, f, block, c_in=cfg.in_channels, outermost=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.unet(x)  # (B, 3, 256, 256) → (B, 3, 256, 256) in [-1, 1]


# ----------------------------------------------------------------------------- discriminator
def patchgan_layers(n_layers: int = 3) -> list[tuple[int, int]]:
    """(kernel, stride) of each conv of an n-layer PatchGAN: n stride-2 convs, then two stride-1 convs."""
    return [(4, 2)] * n_layers + [(4, 1), (4, 1)]


def receptive_field(layers: list[tuple[int, int]]) -> int:
    """Side of the input patch one output unit sees: walking back from the output, each layer widens
    the field to (r − 1)·stride + kernel. For the 70×70 PatchGAN: 1 → 4 → 7 → 16 → 34 → 70."""
    r = 1
    for kernel, stride in reversed(layers):
        r = (r - 1) * stride + kernel
    return r


class PatchGAN(nn.Module):
    def __init__(self, cfg: Pix2PixConfig = Pix2PixConfig()):
        super().__init__()
        self.cfg = cfg
        f, c = cfg.ndf, cfg.in_channels + cfg.out_channels
        layers: list[nn.Module] = [nn.Conv2d(c, f, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]  # C64: no norm
        width = f
        for i, (k, s) in enumerate(patchgan_layers(cfg.n_layers)[1:-1], start=1):  # C128, C256 (s 2), C512 (s 1)
            nxt = f * min(2**i, 8)
            conv = nn.Conv2d(width, nxt, k, stride=s, padding=1, bias=False)  # no bias: BatchNorm follows
            layers += [conv, nn.BatchNorm2d(nxt), nn.LeakyReLU(0.2)]
            width = nxt
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))  # one real/fake logit per patch
        self.net = nn.Sequential(*layers)

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        """Logits (B, 1, H/8 − 2, W/8 − 2): is the patch of `image` around each position a real output for
        `condition`? (30×30 for 256×256 inputs.)"""
        return self.net(torch.cat([condition, image], dim=1))  # (B, 6, H, W) → (B, 1, 30, 30)


# ----------------------------------------------------------------------------- cards
_PAPER = Paper(
    "Image-to-Image Translation with Conditional Adversarial Networks",
    "https://arxiv.org/abs/1611.07004",
    authors="P. Isola, J.-Y. Zhu, T. Zhou, A. A. Efros",
    venue="CVPR",
)
_SHARED = {"family": "pix2pix", "domain": "generative", "year": 2017, "paper": _PAPER, "level": "advanced"}
_OVERRIDES = "Overrides: in_channels, out_channels, ngf, ndf, num_downs (7 for U-Net-128), n_layers, dropout."
_FCN = Metric(
    "FCN-score per-pixel accuracy (per-class 0.23, class IoU 0.17)",
    0.66,
    "",
    "Cityscapes labels → photo (L1 + cGAN, U-Net, 70×70 PatchGAN)",
    "Isola et al. 2017, Table 1",
)


@register_model(
    card=ModelCard(
        key="pix2pix_generator",
        name="pix2pix generator (U-Net-256)",
        task="paired image-to-image translation",
        summary=(
            "Translates one kind of image into another when training pairs exist: a label map into a street "
            "photo, a sketch into a shoe, a day scene into night. An encoder squeezes the 256×256 input down to a "
            "single pixel of 512 features, a decoder builds the output back up, and skip connections hand each "
            "decoder layer the encoder's details at the same scale, so edges line up exactly with the input."
        ),
        scenarios=(
            "semantic labels → photos, maps ↔ aerial photos",
            "edges or sketches → objects, colourising black-and-white images",
            "any task with aligned input/output image pairs",
            "teaching conditional GANs and U-Nets",
        ),
        strengths=(
            "one architecture and loss for many tasks, with no task-specific engineering",
            "skip connections keep the output aligned with the input's structure",
            "sharp outputs (GAN loss) that stay faithful (L1 loss)",
        ),
        weaknesses=(
            "needs paired training data (CycleGAN removes that need)",
            "little diversity: the dropout noise barely changes the output",
            "fixed 256×256 input for the 8-level U-Net; 54M parameters",
        ),
        params=Figure(
            54_413_955,
            "Isola et al. 2017, Appendix 6.1.1 U-Net (8 levels, ngf 64, bias-free convs before BatchNorm), as in the "
            "authors' reference code",
        ),
        input="condition images (B, 3, 256, 256) in [-1, 1] (8 halvings: exactly 256×256)",
        output="generated images (B, 3, 256, 256) in [-1, 1] (tanh)",
        metric=_FCN,
        config_note=(
            "U-Net-256: encoder C64-C128-C256-C512-C512-C512-C512-C512 (4×4 stride-2 convs, LeakyReLU 0.2, BatchNorm "
            "except on the first and the 1×1 bottleneck), decoder mirror with ReLU, BatchNorm and dropout 0.5 in "
            "its three 512-wide layers after the bottleneck, skips by concatenation, tanh output. Trained with "
            "L_cGAN + 100·L1 against `patchgan_discriminator`. " + _OVERRIDES
        ),
        tags=("gan", "pix2pix", "conditional gan", "u-net", "image-to-image", "skip connections"),
        i18n={
            "zh": {
                "task": "配对图像到图像翻译",
                "summary": "在有成对训练数据时，把一种图像翻译成另一种：把标签图变成街景照片、把草图变成鞋子、把白天变成夜晚。"
                "编码器把 256×256 的输入压缩到只有一个像素、512 个特征，解码器再一层层构建输出，跳连把编码器同尺度的细节"
                "交给对应的解码层，因此输出的边缘与输入严格对齐。",
                "scenarios": [
                    "语义标签 → 照片，地图 ↔ 航拍照片",
                    "边缘或草图 → 物体，给黑白照片上色",
                    "任何有对齐的输入/输出图像对的任务",
                    "讲解条件 GAN 与 U-Net",
                ],
                "strengths": [
                    "一套架构和损失适用于多种任务，无需针对任务做设计",
                    "跳连使输出与输入结构保持对齐",
                    "输出清晰（GAN 损失）且忠实（L1 损失）",
                ],
                "weaknesses": [
                    "需要成对的训练数据（CycleGAN 去掉了这一要求）",
                    "多样性很低：dropout 噪声几乎不改变输出",
                    "8 层 U-Net 固定 256×256 输入；5400 万参数",
                ],
                "input": "条件图像 (B, 3, 256, 256)，取值在 [-1, 1]（8 次减半：必须是 256×256）",
                "output": "生成图像 (B, 3, 256, 256)，取值在 [-1, 1]（tanh）",
                "config_note": "U-Net-256：编码器 C64-C128-C256-C512-C512-C512-C512-C512（4×4 步长 2 卷积，LeakyReLU 0.2，"
                "除第一层和 1×1 瓶颈外都有 BatchNorm），解码器镜像，使用 ReLU、BatchNorm，瓶颈之后的三个 512 宽层带 dropout 0.5，"
                "跳连为拼接，tanh 输出。与 `patchgan_discriminator` 一起用 L_cGAN + 100·L1 训练。",
            }
        },
        **_SHARED,
    ),
    example_input=lambda: torch.rand(1, 3, 256, 256) * 2 - 1,
)
def pix2pix_generator(**overrides) -> UNetGenerator:
    return UNetGenerator(replace(Pix2PixConfig(), **overrides))


@register_model(
    card=ModelCard(
        key="patchgan_discriminator",
        name="PatchGAN discriminator (70×70)",
        task="real/fake classification of image patches",
        summary=(
            "The judge of pix2pix. Instead of one verdict per image it slides over the picture and gives a "
            "real-or-fake score for every 70×70 patch, looking at the input condition and the candidate output "
            "side by side. Judging local texture only is enough, because the L1 loss already takes care of the "
            "overall layout — and it makes the network small and applicable to any image size."
        ),
        scenarios=(
            "the adversary for pix2pix, CycleGAN and many later image translation models",
            "texture or style realism losses",
            "teaching receptive fields and fully convolutional discriminators",
        ),
        strengths=(
            "few parameters (2.8M) and fast, whatever the image size",
            "penalises blur and texture artefacts that L1 and L2 losses let through",
            "its patch size sets the scale of structure it enforces",
        ),
        weaknesses=(
            "cannot see structure larger than its 70×70 patch",
            "patches too small (1×1, 16×16) give artefacts; too large (286×286) are harder to train",
            "scores are not a calibrated measure of quality",
        ),
        params=Figure(
            2_768_705,
            "Isola et al. 2017, Appendix 6.1.2 70×70 discriminator (C64-C128-C256-C512, 6 input channels), as in the "
            "authors' reference code",
        ),
        input="(condition (B, 3, H, W), image (B, 3, H, W)) in [-1, 1], stacked to 6 channels (example: 128×128)",
        output="a grid of patch logits (B, 1, H/8 − 2, W/8 − 2): 30×30 for 256×256 inputs",
        metric=_FCN,
        config_note=(
            "70×70 PatchGAN: 4×4 convs C64 (stride 2, no norm) → C128 → C256 (stride 2) → C512 (stride 1), BatchNorm "
            "and LeakyReLU 0.2, then a stride-1 conv to 1 channel; receptive field 70×70 (`receptive_field`). "
            "The example uses 128×128 images (14×14 patches) to stay cheap. " + _OVERRIDES
        ),
        tags=("gan", "pix2pix", "patchgan", "discriminator", "receptive field", "conditional gan"),
        i18n={
            "zh": {
                "task": "图像块的真假分类",
                "summary": "pix2pix 的判别器。它不是对整张图给出一个结论，而是在图像上滑动，对每个 70×70 的图块给出真/假分数，"
                "同时看着输入条件和候选输出。只判断局部纹理就够了，因为整体布局已由 L1 损失负责——这也使网络很小，"
                "并适用于任意尺寸的图像。",
                "scenarios": [
                    "pix2pix、CycleGAN 及许多后续图像翻译模型的对手",
                    "纹理或风格真实性损失",
                    "讲解感受野与全卷积判别器",
                ],
                "strengths": [
                    "参数少（280 万），无论图像多大都很快",
                    "能惩罚 L1、L2 损失放过的模糊和纹理瑕疵",
                    "图块大小决定了它约束的结构尺度",
                ],
                "weaknesses": [
                    "看不到比 70×70 图块更大的结构",
                    "图块太小（1×1、16×16）会产生伪影；太大（286×286）更难训练",
                    "分数不是校准过的质量指标",
                ],
                "input": "（条件 (B, 3, H, W)，图像 (B, 3, H, W)），取值在 [-1, 1]，叠成 6 个通道（示例用 128×128）",
                "output": "图块 logit 网格 (B, 1, H/8 − 2, W/8 − 2)：256×256 输入时为 30×30",
                "config_note": "70×70 PatchGAN：4×4 卷积 C64（步长 2，无归一化）→ C128 → C256（步长 2）→ C512（步长 1），"
                "BatchNorm 与 LeakyReLU 0.2，再用步长 1 的卷积输出 1 个通道；感受野 70×70（`receptive_field`）。"
                "示例使用 128×128 图像（14×14 个图块）以节省计算。",
            }
        },
        **_SHARED,
    ),
    example_input=lambda: (torch.rand(1, 3, 128, 128) * 2 - 1, torch.rand(1, 3, 128, 128) * 2 - 1),
)
def patchgan_discriminator(**overrides) -> PatchGAN:
    return PatchGAN(replace(Pix2PixConfig(), **overrides))
