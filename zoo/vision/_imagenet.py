"""What every ImageNet-1k classifier in zoo/vision shares: card text (English and Chinese), the
example input, the published-metric helper and the torchvision-style weight init.

Files starting with "_" are not scanned by the registry: this module registers nothing.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..card import Metric, ModelCard


def imagenet_image() -> torch.Tensor:
    return torch.randn(1, 3, 224, 224)  # (B, 3, H, W): the 224×224 crop every ImageNet paper since uses


def imagenet_top1(value: float, weights: str) -> Metric:
    """Top-1 accuracy on the ImageNet-1k validation set of torchvision's `weights` (IMAGENET1K_V1)."""
    return Metric("top-1 accuracy", value, "%", "ImageNet-1k val", f"torchvision reference weights {weights}.IMAGENET1K_V1")


def imagenet_card(*, zh: dict[str, object], **fields) -> ModelCard:
    """A vision ModelCard with the task, input and output text (English and Chinese) that every
    1000-class ImageNet classifier shares filled in; `fields` and `zh` give the rest."""
    shared = dict(
        domain="vision",
        task="image classification",
        input="RGB image, 3×224×224 (ImageNet-normalised)",
        output="1000 ImageNet class logits",
    )
    shared_zh = {"task": "图像分类", "input": "RGB 图像，3×224×224（按 ImageNet 归一化）", "output": "1000 个 ImageNet 类别的 logits"}
    return ModelCard(**{**shared, **fields}, i18n={"zh": {**shared_zh, **zh}})


def init_cnn_(model: nn.Module, linear_std: float | None = 0.01) -> None:
    """He init (fan-out) for convs, BatchNorm as the identity, small Gaussian for linear layers
    (`linear_std=None` keeps PyTorch's default) — the torchvision recipe the reference weights used."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear) and linear_std is not None:
            nn.init.normal_(m.weight, 0, linear_std)
            nn.init.zeros_(m.bias)
