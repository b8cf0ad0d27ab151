"""AlexNet — Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks" (NeurIPS 2012).
https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html

The network that won ILSVRC-2012 by a wide margin and started the deep-learning era in vision:
five convolutional layers, three of them followed by max-pooling, then three fully connected
layers with dropout. The 2012 model was split across two GPUs (48 + 48 filters in conv1, and so
on); the variant here is the single-tower one from Krizhevsky's follow-up "One weird trick for
parallelizing convolutional neural networks" (https://arxiv.org/abs/1404.5997), with
64-192-384-256-256 filters, no local response normalisation, and an adaptive average pool to 6×6
so any input of at least 63×63 works. It has 61,100,840 parameters with 1000 classes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Paper
from ..pretrained import KeyMap, Layout, num_classes_from, register_checkpoint, register_layout, torchvision_checkpoint
from ..registry import register_model
from ._imagenet import imagenet_card, imagenet_image, imagenet_top1


@dataclass(frozen=True)
class AlexNetConfig:
    in_channels: int = 3
    conv_channels: tuple[int, int, int, int, int] = (64, 192, 384, 256, 256)  # conv1 … conv5
    pool_size: int = 6  # side of the map fed to fc6 (paper: 6×6×256)
    hidden: int = 4096  # units in fc6 and fc7
    dropout: float = 0.5  # paper §4.2, on fc6 and fc7
    num_classes: int = 1000


CONFIG = AlexNetConfig()


def mlp_head(in_features: int, hidden: int, num_classes: int, dropout: float) -> nn.Sequential:
    """fc6 → fc7 → fc8. Dropout sits before fc6 and fc7: it is what kept these 58M weights from
    overfitting ImageNet (paper §4.2). VGG reuses this head unchanged."""
    return nn.Sequential(
        nn.Dropout(dropout),
        nn.Linear(in_features, hidden),  # fc6
        nn.ReLU(inplace=True),
        nn.Dropout(dropout),
        nn.Linear(hidden, hidden),  # fc7
        nn.ReLU(inplace=True),
        nn.Linear(hidden, num_classes),  # fc8: logits
    )


class AlexNet(nn.Module):
    def __init__(self, cfg: AlexNetConfig = CONFIG):
        super().__init__()
        self.cfg = cfg
        c1, c2, c3, c4, c5 = cfg.conv_channels
        # ReLU instead of tanh made training ~6× faster (paper §3.1, Figure 1); overlapping 3×3/2
        # pooling (§3.4) slightly reduced overfitting compared with the usual 2×2/2.
        self.features = nn.Sequential(
            nn.Conv2d(cfg.in_channels, c1, kernel_size=11, stride=4, padding=2),  # conv1: (B, 64, 55, 55)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (B, 64, 27, 27)
            nn.Conv2d(c1, c2, kernel_size=5, padding=2),  # conv2: (B, 192, 27, 27)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (B, 192, 13, 13)
            nn.Conv2d(c2, c3, kernel_size=3, padding=1),  # conv3: (B, 384, 13, 13)
            nn.ReLU(inplace=True),
            nn.Conv2d(c3, c4, kernel_size=3, padding=1),  # conv4: (B, 256, 13, 13)
            nn.ReLU(inplace=True),
            nn.Conv2d(c4, c5, kernel_size=3, padding=1),  # conv5: (B, 256, 13, 13)
            nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),  # (B, 256, 6, 6)
        )
        # A no-op at 224×224; lets other input sizes still reach fc6 with the paper's 6×6 maps.
        self.avgpool = nn.AdaptiveAvgPool2d(cfg.pool_size)
        self.classifier = mlp_head(c5 * cfg.pool_size**2, cfg.hidden, cfg.num_classes, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.avgpool(self.features(x))  # (B, 256, 6, 6)
        x = torch.flatten(x, 1)  # (B, 9216)
        return self.classifier(x)  # (B, num_classes) logits


@register_model(
    card=imagenet_card(
        key="alexnet",
        name="AlexNet",
        family="AlexNet",
        year=2012,
        paper=Paper(
            "ImageNet Classification with Deep Convolutional Neural Networks",
            "https://papers.nips.cc/paper/2012/hash/c399862d3b9d6b76c8436e924a68c45b-Abstract.html",
            authors="A. Krizhevsky, I. Sutskever, G. E. Hinton",
            venue="NeurIPS 2012",
        ),
        level="basic",
        summary=(
            "The CNN that won ImageNet 2012 and launched deep learning in vision: five convolutions with "
            "large early kernels and overlapping max-pooling, then three huge fully connected layers. "
            "ReLU activations, dropout and GPU training were the ingredients that made a network this "
            "size trainable; most of its 61M parameters sit in the first fully connected layer."
        ),
        scenarios=(
            "teaching the history of deep CNNs",
            "baseline for image classification experiments",
            "visualising first-layer filters (edges, colour blobs)",
        ),
        strengths=(
            "simple, sequential architecture that is easy to read",
            "fast convolutions thanks to the stride-4 first layer",
        ),
        weaknesses=(
            "far less accurate than modern networks of the same size",
            "parameters concentrated in the fully connected layers (large file, overfits small data sets)",
        ),
        params=Figure(61_100_840, "torchvision reference implementation (alexnet)"),
        metric=imagenet_top1(56.522, "AlexNet_Weights"),
        config_note=(
            "Single-tower variant ('One weird trick', 2014) as in torchvision: conv 64-192-384-256-256, "
            "no LRN, adaptive avg-pool to 6×6, FC 9216→4096→4096→1000 with dropout 0.5."
        ),
        tags=("cnn", "imagenet", "classic", "dropout", "relu"),
        zh={
            "summary": "赢得 2012 年 ImageNet 竞赛、开启视觉深度学习时代的卷积网络：五个卷积层（前几层卷积核较大）"
            "配合重叠最大池化，后接三个巨大的全连接层。ReLU 激活、Dropout 和 GPU 训练让这种规模的网络得以训练；"
            "其 6100 万参数大多集中在第一个全连接层。",
            "scenarios": ["讲解深度卷积网络的发展历史", "图像分类实验的基线模型", "可视化第一层卷积核（边缘、色块）"],
            "strengths": ["结构简单、逐层顺序排列，易于阅读", "第一层步长为 4，卷积计算很快"],
            "weaknesses": ["准确率远低于同等规模的现代网络", "参数集中在全连接层（模型文件大，小数据集上易过拟合）"],
        },
    ),
    example_input=imagenet_image,
)
def alexnet(**overrides) -> AlexNet:
    return AlexNet(replace(CONFIG, **overrides))


# --------------------------------------------------------------------------- published checkpoint layouts

register_layout(
    Layout("torchvision", models=("alexnet",), key_map=lambda model: KeyMap.by_rules(model.state_dict(), ()),
           config=num_classes_from("classifier.6.weight"), note="torchvision.models.alexnet (the same names)")
)  # fmt: skip
register_checkpoint(torchvision_checkpoint("alexnet", "alexnet-owt-7be5be79.pth"))
