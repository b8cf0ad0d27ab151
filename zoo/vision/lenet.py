"""LeNet-5 — LeCun et al., "Gradient-Based Learning Applied to Document Recognition" (1998).
https://ieeexplore.ieee.org/document/726791

The first convolutional network that worked at scale (cheque reading). The variant here is the
one taught in every tutorial: two conv + max-pool stages (the paper's C1/S2/C3/S4, with ReLU and
max-pooling instead of scaled tanh and trainable subsampling), then three fully connected layers
(C5/F6/output). It has 61,706 parameters on a 1×32×32 input.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class LeNetConfig:
    in_channels: int = 1
    image_size: int = 32  # the paper pads 28×28 MNIST digits to 32×32
    c1: int = 6  # feature maps in C1
    c3: int = 16  # feature maps in C3
    f5: int = 120  # units in C5 (a conv layer in the paper; a linear layer on 5×5 maps here)
    f6: int = 84
    num_classes: int = 10


class LeNet5(nn.Module):
    def __init__(self, cfg: LeNetConfig = LeNetConfig()):
        super().__init__()
        self.cfg = cfg
        self.c1 = nn.Conv2d(cfg.in_channels, cfg.c1, kernel_size=5)
        self.c3 = nn.Conv2d(cfg.c1, cfg.c3, kernel_size=5)
        side = ((cfg.image_size - 4) // 2 - 4) // 2  # two (conv5 → pool2) stages: 32 → 28 → 14 → 10 → 5
        self.f5 = nn.Linear(cfg.c3 * side * side, cfg.f5)
        self.f6 = nn.Linear(cfg.f5, cfg.f6)
        self.output = nn.Linear(cfg.f6, cfg.num_classes)

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Feature maps after C1 and C3 (what the digits demo visualises)."""
        c1 = F.relu(self.c1(x))  # (B, 6, 28, 28)
        c3 = F.relu(self.c3(F.max_pool2d(c1, 2)))  # S2 → (B, 6, 14, 14); C3 → (B, 16, 10, 10)
        return [c1, c3]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.c1(x)), 2)  # C1 + S2: (B, 6, 14, 14)
        x = F.max_pool2d(F.relu(self.c3(x)), 2)  # C3 + S4: (B, 16, 5, 5)
        x = torch.flatten(x, 1)  # (B, 400)
        x = F.relu(self.f5(x))  # (B, 120)
        x = F.relu(self.f6(x))  # (B, 84)
        return self.output(x)  # (B, num_classes) logits


@register_model(
    card=ModelCard(
        key="lenet5",
        name="LeNet-5",
        family="LeNet",
        domain="vision",
        task="image classification",
        year=1998,
        paper=Paper(
            "Gradient-Based Learning Applied to Document Recognition",
            "https://ieeexplore.ieee.org/document/726791",
            authors="Y. LeCun, L. Bottou, Y. Bengio, P. Haffner",
            venue="Proceedings of the IEEE",
        ),
        level="basic",
        summary=(
            "The classic small CNN: two convolution + pooling stages extract strokes and shapes, three "
            "fully connected layers classify them. It introduced the conv → pool → fc pattern that every "
            "later vision network builds on, and trains to high accuracy on digits in about a second on a CPU."
        ),
        scenarios=("handwritten digit recognition", "teaching CNN basics", "tiny embedded classifiers"),
        strengths=("tiny (62K parameters) and fast on any CPU", "easy to read and to visualise layer by layer"),
        weaknesses=("too shallow for natural photos", "fixed small input size (32×32)"),
        params=Figure(61_706, "PyTorch 'Neural Networks' tutorial LeNet (ReLU + max-pool variant)"),
        input="grayscale image, 1×32×32",
        output="10 class logits",
        config_note="C1 6@5×5, C3 16@5×5, ReLU, 2×2 max-pool, FC 400→120→84→10.",
        tags=("cnn", "mnist", "digits", "classic"),
        i18n={
            "zh": {
                "task": "图像分类",
                "summary": "经典的小型卷积网络：两级“卷积 + 池化”提取笔画与形状，三层全连接完成分类。"
                "它确立了此后所有视觉网络沿用的 卷积 → 池化 → 全连接 结构，在 CPU 上约一秒即可在手写数字上训练到高准确率。",
                "scenarios": ["手写数字识别", "卷积网络入门教学", "微型嵌入式分类器"],
                "strengths": ["极小（6.2 万参数），任何 CPU 都很快", "结构简单，便于逐层可视化"],
                "weaknesses": ["层数太浅，无法处理自然照片", "输入尺寸固定且很小（32×32）"],
                "input": "灰度图像，1×32×32",
                "output": "10 个类别的 logits",
            }
        },
    ),
    example_input=lambda: torch.randn(1, 1, 32, 32),
)
def lenet5(**overrides) -> LeNet5:
    return LeNet5(replace(LeNetConfig(), **overrides))


# ----------------------------------------------------------------------------- trained weights
from ..weights import Weights, register_weights  # noqa: E402 — appended with the shipped weights

register_weights(
    Weights(
        model="lenet5",
        name="digits",
        description="LeNet-5 trained in seconds on scikit-learn's bundled handwritten digits (optdigits)",
        dataset="scikit-learn load_digits (1,797 digits of 43 writers; 20 % held out, stratified, seed 0)",
        source="shipped",
        file="lenet5_digits.safetensors",
        recipe="lenet5_digits",
        metrics={"held-out accuracy %": 97.78},
        preprocessing=(
            "8×8 grid of 0–16 (load_digits' form) → ÷16, bilinear ×4 to 1×32×32 in [0, 1], light digit on dark; "
            "photos and drawings are first brought to that form by zoo.demos.digits.to_grid"
        ),
        labels=tuple(str(d) for d in range(10)),
    )
)
