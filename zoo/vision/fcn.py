"""FCN — Long, Shelhamer & Darrell, "Fully Convolutional Networks for Semantic Segmentation"
(CVPR 2015). https://arxiv.org/abs/1411.4038

The paper's observation: a classification CNN is a function of a fixed-size crop only because of its
fully connected layers, and a fully connected layer is a convolution whose kernel covers its whole
input (§3.1). Written as convolutions, the same network slides over an image of any size and
returns a coarse map of class scores instead of one vector; upsampling that map back to the input
size (the paper learns a bilinear-initialised deconvolution, §3.3) gives a class for every pixel,
and the whole thing trains end to end with a per-pixel loss. The paper's FCN-32s/16s/8s put this on
VGG16 and add skips from finer layers to sharpen the 1/32 map.

This is torchvision's `fcn_resnet50`, the variant the reference weights (and most people today)
use: a ResNet-50 whose last two stages are dilated instead of strided (output stride 8, see
`_dilated_resnet.py`) replaces the skips, and an FCN head — 3×3 conv 2048→512, BatchNorm, ReLU,
dropout, 1×1 conv to the 21 PASCAL VOC classes — scores each position of the 1/8 map, which is
then upsampled bilinearly to the input size. An auxiliary FCN head on layer3 (1024→256→21) adds
a second loss during training (deep supervision, as in PSPNet); it is part of the model and of its
parameter count, and inference simply ignores its output.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..pretrained import (
    BATCH_COUNTERS, KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint,
)
from ..registry import register_model
from ._dilated_resnet import DilatedResNet
from .resnet import RESNET50, ResNetConfig

VOC_CLASSES = 21  # PASCAL VOC: 20 object classes + background
EXAMPLE_SIDE = 160  # torchvision evaluates at 520 px; a forward at 160×160 is ~29 GFLOPs (224×224: 57)


@dataclass(frozen=True)
class FCNConfig:
    backbone: ResNetConfig = RESNET50
    num_classes: int = VOC_CLASSES
    aux_loss: bool = True  # the auxiliary head on layer3 (torchvision builds it for its reference weights)
    replace_stride_with_dilation: tuple[bool, bool, bool] = (False, True, True)  # output stride 8


FCN_RESNET50 = FCNConfig()


def voc_image() -> torch.Tensor:
    return torch.randn(1, 3, EXAMPLE_SIDE, EXAMPLE_SIDE)  # (B, 3, H, W), ImageNet-normalised RGB


def voc_metric(value: float, weights: str) -> Metric:
    """torchvision's mean IoU on the 20 VOC categories of COCO val2017 (how its reference weights are scored)."""
    return Metric("mean IoU", value, "%", "COCO val2017, 20 PASCAL VOC categories + background",
                  f"torchvision reference weights {weights}.COCO_WITH_VOC_LABELS_V1")


class FCNHead(nn.Sequential):
    """3×3 conv to a quarter of the channels, BN, ReLU, dropout, then the 1×1 "fully connected"
    layer of §3.1 that scores every position for every class."""

    def __init__(self, in_channels: int, num_classes: int):
        inner = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inner, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(inner),
            nn.ReLU(inplace=True),
            nn.Dropout(0.1),
            nn.Conv2d(inner, num_classes, kernel_size=1),
        )


class SegmentationModel(nn.Module):
    """Dilated trunk → head on layer4 (and optionally an auxiliary head on layer3) → bilinear
    upsampling to the input size. Returns {"out": (B, classes, H, W)} and, with an auxiliary head,
    "aux" of the same shape — in eval mode as in training, like torchvision."""

    def __init__(self, backbone: DilatedResNet, classifier: nn.Module, aux_classifier: nn.Module | None):
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier
        self.aux_classifier = aux_classifier

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        size = x.shape[-2:]
        features = self.backbone(x)  # {"aux": (B, 1024, H/8, W/8), "out": (B, 2048, H/8, W/8)}
        # Scores at 1/8 resolution, then bilinear upsampling: the paper's fixed-bilinear "deconvolution".
        out = self.classifier(features["out"])  # (B, classes, H/8, W/8)
        result = {"out": F.interpolate(out, size=size, mode="bilinear", align_corners=False)}
        if self.aux_classifier is not None:
            aux = self.aux_classifier(features["aux"])  # (B, classes, H/8, W/8)
            result["aux"] = F.interpolate(aux, size=size, mode="bilinear", align_corners=False)
        return result  # {"out": (B, classes, H, W), "aux": (B, classes, H, W)} logits


class FCN(SegmentationModel):
    def __init__(self, cfg: FCNConfig = FCN_RESNET50):
        backbone = DilatedResNet(cfg.backbone, cfg.replace_stride_with_dilation)
        low, high = backbone.channels  # (1024, 2048)
        aux = FCNHead(low, cfg.num_classes) if cfg.aux_loss else None
        super().__init__(backbone, FCNHead(high, cfg.num_classes), aux)
        self.cfg = cfg


SEGMENTATION_TEXT = dict(
    domain="vision",
    task="semantic segmentation",
    input=f"RGB image, 3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE} here (any size works; torchvision evaluates at 520 px), ImageNet-normalised",
    output="dict: 'out' and 'aux' — 21 PASCAL VOC class logits per pixel, each (B, 21, H, W)",
)
SEGMENTATION_TEXT_ZH = {
    "task": "语义分割",
    "input": f"RGB 图像，此处为 3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE}（任意尺寸均可；torchvision 在 520 像素上评测），按 ImageNet 归一化",
    "output": "字典：'out' 与 'aux' —— 每个像素 21 个 PASCAL VOC 类别的 logits，形状均为 (B, 21, H, W)",
}


@register_model(
    card=ModelCard(
        key="fcn_resnet50",
        name="FCN (ResNet-50)",
        family="FCN",
        year=2014,
        paper=Paper(
            "Fully Convolutional Networks for Semantic Segmentation",
            "https://arxiv.org/abs/1411.4038",
            authors="J. Long, E. Shelhamer, T. Darrell",
            venue="CVPR 2015",
        ),
        level="basic",
        summary=(
            "The first network trained end to end to label every pixel of an image. FCN rewrites a "
            "classifier's fully connected layers as convolutions, so it slides over a whole image and returns "
            "a coarse map of class scores, which is upsampled to the input size. This version, torchvision's, "
            "uses a ResNet-50 whose last two stages are dilated rather than strided, so the score map is 1/8 of "
            "the input instead of 1/32, and an auxiliary head on the third stage that helps training."
        ),
        scenarios=(
            "semantic segmentation of everyday scenes (the 21 PASCAL VOC classes)",
            "baseline for segmentation research and for teaching dense prediction",
            "starting point for fine-tuning on a custom per-pixel labelling task",
        ),
        strengths=(
            "simple: a classification backbone plus a small convolutional head",
            "works on images of any size and labels all pixels in one forward pass",
            "reuses ImageNet-pretrained backbones directly",
        ),
        weaknesses=(
            "coarse boundaries: scores come from a 1/8 map upsampled without any refinement",
            "no explicit multi-scale context, so large or small objects are often mislabelled (DeepLabV3 adds it)",
            "dilated stages at 1/8 resolution make it several times slower than the plain classifier",
        ),
        params=Figure(35_322_218, "torchvision reference implementation (fcn_resnet50, with the auxiliary classifier)"),
        metric=voc_metric(60.5, "FCN_ResNet50_Weights"),
        config_note=(
            "torchvision's fcn_resnet50: ResNet-50 trunk (BatchNorm, v1.5) with layer3/layer4 dilated "
            "(dilation 2/4, output stride 8), FCN head 2048→512→21, auxiliary FCN head on layer3 1024→256→21, "
            f"bilinear upsampling to the input. Example input 1×3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE} (torchvision "
            "evaluates at 520 px) to keep the CPU forward short."
        ),
        tags=("cnn", "segmentation", "fully convolutional", "dilated convolution", "resnet", "pascal voc", "dense prediction"),
        i18n={
            "zh": {
                **SEGMENTATION_TEXT_ZH,
                "summary": "第一个端到端训练、为图像每个像素打标签的网络。FCN 把分类网络的全连接层改写为卷积，"
                "于是网络可以在整幅图像上滑动，输出一张粗糙的类别得分图，再上采样回输入尺寸。这里是 torchvision 的版本："
                "ResNet-50 的最后两个阶段用空洞卷积代替步长，得分图为输入的 1/8 而非 1/32，并在第三阶段加了一个辅助头帮助训练。",
                "scenarios": ["日常场景的语义分割（21 个 PASCAL VOC 类别）", "分割研究的基线，以及讲解密集预测的教学", "在自定义逐像素标注任务上微调的起点"],
                "strengths": ["简单：分类骨干网络加一个小的卷积头", "可处理任意尺寸的图像，一次前向即可标注所有像素", "可直接复用 ImageNet 预训练的骨干网络"],
                "weaknesses": [
                    "边界粗糙：得分来自 1/8 分辨率的特征图，上采样时没有任何细化",
                    "没有显式的多尺度上下文，大物体或小物体常被误标（DeepLabV3 加入了这一点）",
                    "1/8 分辨率下的空洞卷积阶段使它比原分类网络慢好几倍",
                ],
                "config_note": "torchvision 的 fcn_resnet50：ResNet-50 骨干（BatchNorm，v1.5），layer3/layer4 改为空洞卷积"
                "（空洞率 2/4，输出步长 8），FCN 头 2048→512→21，layer3 上的辅助 FCN 头 1024→256→21，双线性上采样回输入尺寸。"
                f"示例输入为 1×3×{EXAMPLE_SIDE}×{EXAMPLE_SIDE}（torchvision 在 520 像素上评测），以缩短 CPU 前向时间。",
            }
        },
        **SEGMENTATION_TEXT,
    ),
    example_input=voc_image,
)
def fcn_resnet50(**overrides) -> FCN:
    return FCN(replace(FCN_RESNET50, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

# The backbone is torchvision's ResNet without its classifier (conv1/bn1, "downsample"); the heads match.
SEGMENTATION_TORCHVISION_NAMES = (
    (r"^backbone\.stem\.0\.", "backbone.conv1."),
    (r"^backbone\.stem\.1\.", "backbone.bn1."),
    (r"\.shortcut\.", ".downsample."),
    (r"^classifier\.0\.branches\.", "classifier.0.convs."),  # DeepLabV3's ASPP branches
)


def torchvision_segmentation_map(model: nn.Module) -> KeyMap:
    return KeyMap.by_rules(model.state_dict(), SEGMENTATION_TORCHVISION_NAMES, optional=BATCH_COUNTERS)


register_layout(
    Layout("torchvision", models=("fcn_resnet50",), key_map=torchvision_segmentation_map,
           config=num_classes_from("classifier.4.weight"), note="torchvision.models.segmentation.fcn_resnet50 (with aux head)")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("fcn_resnet50", "fcn_resnet50_coco-1167a1af.pth", dataset="COCO train2017, the 20 VOC categories"))
