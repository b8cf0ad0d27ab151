"""DeepLabV3 — Chen, Papandreou, Schroff & Adam, "Rethinking Atrous Convolution for Semantic Image
Segmentation" (2017). https://arxiv.org/abs/1706.05587

Objects appear at every scale, and a segmenter has to decide what a pixel is from context of the
right size. DeepLabV3 gathers that context at several scales at once with Atrous Spatial Pyramid
Pooling (ASPP, §3.3, Figure 5): on the output-stride-8 features of a dilated ResNet (see
`_dilated_resnet.py`), five branches run in parallel — a 1×1 conv, three 3×3 convs with dilation
12, 24 and 36 (rates for output stride 8; 6/12/18 at stride 16), and image pooling: the global
average of the map through a 1×1 conv, broadcast back to every position. The image-pooling branch
is the paper's fix for a flaw it found: at very large rates a 3×3 filter's outer taps fall mostly
in the zero padding, so it degenerates into a 1×1 filter and sees no more of the image. Each branch
has 256 channels and BatchNorm (§3.3 credits BN inside ASPP as important); they are concatenated,
projected by a 1×1 conv to 256 channels and scored per class.

This is torchvision's `deeplabv3_resnet50`: DeepLabHead (ASPP → 3×3 conv 256 → 1×1 conv to 21
classes), an auxiliary FCN head on layer3 for training, and bilinear upsampling of both score maps
to the input size. No multi-grid and no CRF.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..pretrained import Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._dilated_resnet import DilatedResNet
from .fcn import (
    torchvision_segmentation_map,
    EXAMPLE_SIDE,
    SEGMENTATION_TEXT,
    SEGMENTATION_TEXT_ZH,
    VOC_CLASSES,
    FCNHead,
    SegmentationModel,
    voc_image,
    voc_metric,
)
from .resnet import RESNET50, ResNetConfig


@dataclass(frozen=True)
class DeepLabV3Config:
    backbone: ResNetConfig = RESNET50
    num_classes: int = VOC_CLASSES
    atrous_rates: tuple[int, ...] = (12, 24, 36)  # for output stride 8 (§3.3: twice the rates used at 16)
    aspp_channels: int = 256
    aux_loss: bool = True
    replace_stride_with_dilation: tuple[bool, bool, bool] = (False, True, True)


DEEPLABV3_RESNET50 = DeepLabV3Config()


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int = 1, dilation: int = 1) -> list[nn.Module]:
    pad = dilation * (kernel_size // 2)  # keeps the map's size for any dilation
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    ]


class ASPPPooling(nn.Sequential):
    """Image-level features (§3.3): global average pool → 1×1 conv → BN → ReLU, then broadcast back
    to the map's size by bilinear upsampling (of a 1×1 map: every position gets the same vector)."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(nn.AdaptiveAvgPool2d(1), *conv_bn_relu(in_channels, out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        size = x.shape[-2:]
        for module in self:
            x = module(x)  # (B, out, 1, 1)
        return F.interpolate(x, size=size, mode="bilinear", align_corners=False)  # (B, out, H, W)


class ASPP(nn.Module):
    """Atrous Spatial Pyramid Pooling (Figure 5 (a) + (b)): 1×1 conv, one dilated 3×3 conv per rate,
    image pooling; concatenated and fused by a 1×1 projection (dropout 0.5, as torchvision)."""

    def __init__(self, in_channels: int, rates: tuple[int, ...], out_channels: int = 256):
        super().__init__()
        branches = [nn.Sequential(*conv_bn_relu(in_channels, out_channels))]
        branches += [nn.Sequential(*conv_bn_relu(in_channels, out_channels, 3, rate)) for rate in rates]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.branches = nn.ModuleList(branches)
        self.project = nn.Sequential(*conv_bn_relu(len(branches) * out_channels, out_channels), nn.Dropout(0.5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([branch(x) for branch in self.branches], dim=1)  # (B, 5·256, H/8, W/8)
        return self.project(x)  # (B, 256, H/8, W/8)


class DeepLabHead(nn.Sequential):
    """ASPP, one more 3×3 conv + BN + ReLU, then the 1×1 class scores."""

    def __init__(self, in_channels: int, num_classes: int, rates: tuple[int, ...], channels: int = 256):
        super().__init__(
            ASPP(in_channels, rates, channels),
            *conv_bn_relu(channels, channels, 3),
            nn.Conv2d(channels, num_classes, kernel_size=1),
        )


class DeepLabV3(SegmentationModel):
    def __init__(self, cfg: DeepLabV3Config = DEEPLABV3_RESNET50):
        backbone = DilatedResNet(cfg.backbone, cfg.replace_stride_with_dilation)
        low, high = backbone.channels  # (1024, 2048)
        head = DeepLabHead(high, cfg.num_classes, cfg.atrous_rates, cfg.aspp_channels)
        super().__init__(backbone, head, FCNHead(low, cfg.num_classes) if cfg.aux_loss else None)
        self.cfg = cfg


@register_model(
    card=ModelCard(
        key="deeplabv3_resnet50",
        name="DeepLabV3 (ResNet-50)",
        family="DeepLab",
        year=2017,
        paper=Paper(
            "Rethinking Atrous Convolution for Semantic Image Segmentation",
            "https://arxiv.org/abs/1706.05587",
            authors="L.-C. Chen, G. Papandreou, F. Schroff, H. Adam",
            venue="arXiv 2017",
        ),
        level="advanced",
        summary=(
            "A segmentation network that looks at each pixel's surroundings at several scales at once. On the "
            "features of a ResNet whose last stages use dilated (atrous) convolutions instead of strides, an "
            "Atrous Spatial Pyramid Pooling module runs parallel convolutions whose taps are 12, 24 and 36 "
            "pixels apart, a 1×1 convolution and a global average of the whole image, then fuses them. Objects "
            "of very different sizes get the context they need, without losing resolution."
        ),
        scenarios=(
            "semantic segmentation of scenes: street views, indoor scenes, the 21 PASCAL VOC classes",
            "a strong, widely available baseline for segmentation benchmarks and fine-tuning",
            "teaching atrous convolution and multi-scale context",
        ),
        strengths=(
            "multi-scale context from one feature map, with no image pyramid",
            "image-level pooling adds global context that plain dilated convs lose at large rates",
            "about six points of mean IoU more than FCN with the same backbone (torchvision weights)",
        ),
        weaknesses=(
            "heavy: the ASPP and the dilated stages run at 1/8 resolution",
            "boundaries still come from a bilinearly upsampled 1/8 map (DeepLabV3+ adds a decoder)",
            "the image-pooling branch's BatchNorm sees one value per channel: training needs batches larger than one",
        ),
        params=Figure(42_004_074, "torchvision reference implementation (deeplabv3_resnet50, with the auxiliary classifier)"),
        metric=voc_metric(66.4, "DeepLabV3_ResNet50_Weights"),
        config_note=(
            "torchvision's deeplabv3_resnet50: ResNet-50 trunk with layer3/layer4 dilated (output stride 8); "
            "ASPP with a 1×1 branch, 3×3 branches at rates 12/24/36 and image pooling, 256 channels each, "
            "1×1 projection with dropout 0.5; then 3×3 conv 256 and 1×1 conv to 21 classes; auxiliary FCN head "
            f"on layer3 (1024→256→21). No multi-grid, no CRF. Example input 1×3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE} "
            "(torchvision evaluates at 520 px; on the 20×20 map of so small an input the rate-24 and rate-36 branches "
            "see mostly padding — the degeneration §3.3 describes)."
        ),
        tags=("cnn", "segmentation", "atrous convolution", "aspp", "dilated convolution", "resnet", "pascal voc"),
        i18n={
            "zh": {
                **SEGMENTATION_TEXT_ZH,
                "summary": "一种同时在多个尺度上观察每个像素周围环境的分割网络。ResNet 的最后几个阶段用空洞卷积代替步长，"
                "在其特征上，空洞空间金字塔池化（ASPP）模块并行运行采样间隔为 12、24、36 像素的卷积、一个 1×1 卷积"
                "以及对整幅图像的全局平均，再把它们融合。大小差异很大的物体都能得到所需的上下文，同时不损失分辨率。",
                "scenarios": ["场景语义分割：街景、室内场景、21 个 PASCAL VOC 类别", "分割基准测试和微调中强大且易得的基线", "讲解空洞卷积与多尺度上下文"],
                "strengths": [
                    "从一张特征图获得多尺度上下文，无需图像金字塔",
                    "图像级池化补充了大空洞率卷积丢失的全局上下文",
                    "同样的骨干网络下，平均 IoU 比 FCN 高约 6 个百分点（torchvision 权重）",
                ],
                "weaknesses": [
                    "计算量大：ASPP 和空洞阶段都在 1/8 分辨率上运行",
                    "边界仍来自双线性上采样的 1/8 特征图（DeepLabV3+ 加了解码器）",
                    "图像池化分支的 BatchNorm 每个通道只看到一个值：训练时批量必须大于 1",
                ],
                "config_note": "torchvision 的 deeplabv3_resnet50：ResNet-50 骨干，layer3/layer4 为空洞卷积（输出步长 8）；"
                "ASPP 含 1×1 分支、空洞率 12/24/36 的 3×3 分支和图像池化分支，各 256 通道，1×1 投影后接 dropout 0.5；"
                "再接 3×3 卷积（256）和到 21 类的 1×1 卷积；layer3 上有辅助 FCN 头（1024→256→21）。无 multi-grid，无 CRF。"
                f"示例输入为 1×3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE}（torchvision 在 520 像素上评测；输入这么小时特征图只有 20×20，"
                "空洞率 24 和 36 的分支大多只看到填充——正是论文 §3.3 描述的退化）。",
            }
        },
        **SEGMENTATION_TEXT,
    ),
    example_input=voc_image,
)
def deeplabv3_resnet50(**overrides) -> DeepLabV3:
    return DeepLabV3(replace(DEEPLABV3_RESNET50, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

register_layout(
    Layout("torchvision", models=("deeplabv3_resnet50",), key_map=torchvision_segmentation_map,
           config=num_classes_from("classifier.4.weight"),
           note="torchvision.models.segmentation.deeplabv3_resnet50 (with aux head)")
)  # fmt: skip
register_checkpoint(
    torchvision_checkpoint("deeplabv3_resnet50", "deeplabv3_resnet50_coco-cd0a2569.pth", dataset="COCO train2017, the 20 VOC categories")
)
