"""SegNet — Badrinarayanan, Kendall & Cipolla, "SegNet: A Deep Convolutional Encoder-Decoder
Architecture for Image Segmentation" (IEEE TPAMI 2017). https://arxiv.org/abs/1511.00561

An encoder-decoder built for road scenes, where memory and speed at inference matter. The encoder
is VGG16's 13 convolutional layers (each 3×3 conv + BatchNorm + ReLU) in 5 stages, each ending in
a 2×2 max-pool; its fully connected layers are dropped, which is most of VGG16's weight. The
decoder mirrors it stage by stage, and the paper's one idea is how it upsamples (§3, Figure 3):
each encoder max-pool remembers *which* of the 4 positions of every window held the maximum (its
pooling indices, 2 bits per window), and the matching decoder stage puts each value back at exactly
that position, zeros elsewhere. That sparse map is densified by trainable 3×3 convs. Nothing is
learned to upsample (unlike FCN's deconvolutions), no encoder feature map has to be kept for a
skip (unlike U-Net), yet boundaries come back where the encoder saw them.

Configured as the paper's CamVid model: decoder convs mirror the encoder's (conv + BN + ReLU; the
last conv of a decoder stage halves the channels to the next stage's width), and a final 3×3 conv
maps 64 channels to the 11 CamVid classes (the 12th label, void, is ignored by the loss), followed
by the per-pixel softmax (here the logits; the loss applies it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class SegNetConfig:
    # VGG16's 13 convs in 5 stages (configuration D of the VGG paper)
    stages: tuple[tuple[int, ...], ...] = ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512))
    in_channels: int = 3
    num_classes: int = 11  # CamVid's 11 classes (void, the 12th label, is ignored)


SEGNET = SegNetConfig()
EXAMPLE_SIZE = (120, 160)  # a third of CamVid's 360×480 frames in each direction, to keep the CPU forward short


def conv_bn_relu(in_channels: int, out_channels: int) -> list[nn.Module]:
    conv = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1)
    return [conv, nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True)]


class EncoderStage(nn.Module):
    """VGG16 convs of one stage, then a 2×2 max-pool that also returns where each maximum was."""

    def __init__(self, in_channels: int, widths: tuple[int, ...]):
        super().__init__()
        layers, c = [], in_channels
        for w in widths:
            layers += conv_bn_relu(c, w)
            c = w
        self.convs = nn.Sequential(*layers)
        self.pool = nn.MaxPool2d(kernel_size=2, stride=2, return_indices=True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Size]:
        x = self.convs(x)  # (B, C, H, W)
        size = x.shape[-2:]  # the decoder unpools back to exactly this size (H, W may be odd)
        x, indices = self.pool(x)  # (B, C, H/2, W/2) and the flat position of each max within its H×W map
        return x, indices, size


class DecoderStage(nn.Module):
    """Max-unpooling with the matching encoder stage's indices (Figure 3), then mirrored convs."""

    def __init__(self, widths: tuple[int, ...], out_channels: int):
        super().__init__()
        self.unpool = nn.MaxUnpool2d(kernel_size=2, stride=2)
        layers = []
        for i, w in enumerate(widths):
            layers += conv_bn_relu(w, out_channels if i == len(widths) - 1 else w)
        self.convs = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, indices: torch.Tensor, size: torch.Size) -> torch.Tensor:
        x = self.unpool(x, indices, output_size=size)  # (B, C, H, W): sparse, each value back at its argmax
        return self.convs(x)  # dense again


class SegNet(nn.Module):
    def __init__(self, cfg: SegNetConfig = SEGNET):
        super().__init__()
        self.cfg = cfg
        self.encoder = nn.ModuleList()
        c = cfg.in_channels
        for widths in cfg.stages:
            self.encoder.append(EncoderStage(c, widths))
            c = widths[-1]
        # Decoder stage i mirrors encoder stage i, conv for conv, and its last conv narrows to the width
        # of the stage above (512 → 256, …, 128 → 64). In the top stage that last conv is the classifier
        # itself (64 → classes, no BN or ReLU: it feeds the softmax), so the decoder has 13 convs too.
        outs = [s[0] for s in cfg.stages]  # each stage's first width: 64, 128, 256, 512, 512
        self.decoder = nn.ModuleList(
            DecoderStage(widths[:-1], outs[0]) if i == 0 else DecoderStage(widths, outs[i - 1])
            for i, widths in enumerate(cfg.stages)
        )
        self.classifier = nn.Conv2d(cfg.stages[0][-1], cfg.num_classes, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pooled = []
        for stage in self.encoder:  # shapes for a 3×120×160 input
            x, indices, size = stage(x)  # (B, 64, 60, 80), (B, 128, 30, 40), (B, 256, 15, 20), (B, 512, 7, 10), (B, 512, 3, 5)
            pooled.append((indices, size))
        for stage, (indices, size) in zip(reversed(self.decoder), reversed(pooled)):
            x = stage(x, indices, size)  # (B, 512, 7, 10), (B, 256, 15, 20), (B, 128, 30, 40), (B, 64, 60, 80), (B, 64, 120, 160)
        return self.classifier(x)  # (B, num_classes, H, W) logits: the last decoder conv


def camvid_frame() -> torch.Tensor:
    return torch.randn(1, 3, *EXAMPLE_SIZE)  # (B, 3, H, W) road-scene RGB, normalised


@register_model(
    card=ModelCard(
        key="segnet",
        name="SegNet",
        family="SegNet",
        domain="vision",
        task="semantic segmentation",
        year=2015,
        paper=Paper(
            "SegNet: A Deep Convolutional Encoder-Decoder Architecture for Image Segmentation",
            "https://arxiv.org/abs/1511.00561",
            authors="V. Badrinarayanan, A. Kendall, R. Cipolla",
            venue="IEEE TPAMI 2017",
        ),
        level="basic",
        summary=(
            "An encoder-decoder for labelling every pixel of road scenes. The encoder is VGG16's 13 convolution "
            "layers; the decoder mirrors it, and upsamples by putting each value back where the encoder's "
            "max-pooling found its maximum (the pooling indices it remembered), then fills in the gaps with "
            "convolutions. Upsampling needs no learned weights and no stored feature maps, which keeps SegNet "
            "small in memory at inference while boundaries stay sharp."
        ),
        scenarios=(
            "road-scene understanding for driver assistance and robots (CamVid, Cityscapes-style classes)",
            "indoor scene segmentation (the paper also benchmarks SUN RGB-D)",
            "teaching encoder-decoders and the difference between unpooling, deconvolution and skip connections",
        ),
        strengths=(
            "memory-light decoder: only 2-bit pooling indices per window are kept, not whole feature maps",
            "no parameters spent on upsampling; boundaries follow where the encoder saw maxima",
            "reuses VGG16's ImageNet weights for the encoder",
        ),
        weaknesses=(
            "less accurate than later models with multi-scale context (DeepLab, PSPNet)",
            "VGG16 encoder and full-resolution decoder convs make it slow for its accuracy",
            "unpooled maps are sparse; fine detail lost by the encoder is not recovered",
        ),
        params=Figure(
            29_449_355,
            "counted from the paper's CamVid configuration (VGG16-BN encoder, mirrored decoder, 3×3 classifier to "
            "11 classes); the paper's Table 6 rounds it to 29.5M",
        ),
        input=f"RGB road-scene image, 3×{EXAMPLE_SIZE[0]}×{EXAMPLE_SIZE[1]} here (CamVid frames are 360×480)",
        output="11 CamVid class logits per pixel, (B, 11, H, W)",
        metric=Metric(
            "mean IoU",
            60.1,
            "%",
            "CamVid test (11 classes)",
            "Badrinarayanan et al. 2017, Table 2 (SegNet trained to convergence; class average 71.2 %, global accuracy 90.4 %)",
        ),
        config_note=(
            "The paper's CamVid model: VGG16 encoder (13 convs, each with bias, BatchNorm and ReLU; 2×2 max-pools "
            "that keep their indices), mirrored decoder (13 convs with BatchNorm and ReLU, max-unpooling with the "
            "indices), final 3×3 conv to 11 classes. 29,449,355 parameters. Example input 1×3×"
            f"{EXAMPLE_SIZE[0]}×{EXAMPLE_SIZE[1]} (a third of a 360×480 CamVid frame per side) to keep the CPU "
            "forward short; any size works (odd sizes unpool back to the exact pre-pool size)."
        ),
        tags=("cnn", "segmentation", "encoder-decoder", "unpooling", "pooling indices", "vgg", "camvid", "road scenes"),
        i18n={
            "zh": {
                "task": "语义分割",
                "input": f"RGB 道路场景图像，此处为 3×{EXAMPLE_SIZE[0]}×{EXAMPLE_SIZE[1]}（CamVid 帧为 360×480）",
                "output": "每个像素 11 个 CamVid 类别的 logits，(B, 11, H, W)",
                "summary": "一种为道路场景逐像素标注的编码器-解码器。编码器是 VGG16 的 13 个卷积层；解码器与之镜像对称，"
                "上采样时把每个值放回编码器最大池化时最大值所在的位置（即它记住的池化索引），再用卷积填补空缺。"
                "上采样不需要学习任何权重，也不需要保存特征图，因此 SegNet 推理时内存占用小，边界依然清晰。",
                "scenarios": [
                    "驾驶辅助和机器人中的道路场景理解（CamVid、Cityscapes 类的类别）",
                    "室内场景分割（论文也在 SUN RGB-D 上做了基准测试）",
                    "讲解编码器-解码器，以及反池化、反卷积与跳跃连接之间的区别",
                ],
                "strengths": [
                    "解码器省内存：每个池化窗口只保存 2 比特索引，而不是整张特征图",
                    "上采样不花任何参数；边界落在编码器看到最大值的地方",
                    "编码器可复用 VGG16 的 ImageNet 权重",
                ],
                "weaknesses": [
                    "准确率不如后来带多尺度上下文的模型（DeepLab、PSPNet）",
                    "VGG16 编码器和全分辨率的解码器卷积使它相对于其准确率而言偏慢",
                    "反池化后的特征图是稀疏的；编码器丢失的细节无法找回",
                ],
                "config_note": "论文的 CamVid 模型：VGG16 编码器（13 个卷积，各带偏置、BatchNorm 和 ReLU；2×2 最大池化并保留索引），"
                "镜像解码器（13 个带 BatchNorm 和 ReLU 的卷积，用索引做最大反池化），最后一个 3×3 卷积输出 11 类。共 29,449,355 个参数。"
                f"示例输入为 1×3×{EXAMPLE_SIZE[0]}×{EXAMPLE_SIZE[1]}（每边为 360×480 CamVid 帧的三分之一），以缩短 CPU 前向时间；"
                "任意尺寸均可（奇数尺寸会反池化回池化前的准确尺寸）。",
            }
        },
    ),
    example_input=camvid_frame,
)
def segnet(**overrides) -> SegNet:
    return SegNet(replace(SEGNET, **overrides))
