"""A ResNet trunk with output stride 8, shared by the segmentation heads (FCN, DeepLabV3).

A classifier may throw away resolution — ResNet-50 ends at 1/32 of the input (7×7 for 224×224).
A segmenter needs it back. Chen et al. (DeepLab, https://arxiv.org/abs/1606.00915, and
"Rethinking Atrous Convolution", https://arxiv.org/abs/1706.05587, §3.1) remove the stride of the
last two stages and dilate their 3×3 convolutions instead ("atrous" convolution: taps spread
`dilation` pixels apart). Each 3×3 conv then sees the same field of view it saw at the coarser
resolution, so the ImageNet filters keep their meaning, while the maps stay at 1/8 (28×28 for
224×224). Dilation changes where a filter reads, not how many weights it has: the trunk keeps
every parameter of ResNet-50 (minus the classifier it no longer needs).

The conversion follows torchvision's `replace_stride_with_dilation=[False, True, True]`, which the
reference FCN and DeepLabV3 weights were trained with: in a stage that is dilated instead of strided,
the first block keeps the dilation the network had so far and the later blocks use the doubled one
(layer3: 1, then 2; layer4: 2, then 4); the strided 1×1 projection of its first block becomes stride 1.

The trunk is built from `zoo.vision.resnet.ResNet` and converted in place; nothing there changes.
Files starting with "_" are not scanned by the registry: this module registers nothing.
"""

from __future__ import annotations

from dataclasses import replace

import torch
import torch.nn as nn

from .resnet import RESNET50, Bottleneck, ResNet, ResNetConfig


def dilate_stage(stage: nn.Sequential, dilation: int) -> int:
    """Turn a stage that halves the resolution into one that keeps it, dilating its 3×3 convs.
    `dilation` is what the network used so far; returns the stage's new dilation (twice as much)."""
    new = dilation * 2
    for i, block in enumerate(stage):
        if not isinstance(block, Bottleneck):
            raise ValueError("dilation is defined for bottleneck ResNets (50 layers and more), as in torchvision")
        d = dilation if i == 0 else new  # the first block bridges from the old dilation to the new one
        conv = block.conv2  # the block's only 3×3 conv
        conv.stride, conv.dilation, conv.padding = (1, 1), (d, d), (d, d)  # padding = dilation keeps the size
        if isinstance(block.shortcut, nn.Sequential):
            block.shortcut[0].stride = (1, 1)  # the 1×1 projection must not subsample either
    return new


class DilatedResNet(nn.Module):
    """ResNet stem + layer1…layer4 (no pooling, no classifier), layer3/layer4 dilated by default.
    forward returns {"aux": layer3 features, "out": layer4 features} — the two maps the heads read."""

    def __init__(
        self, cfg: ResNetConfig = RESNET50, replace_stride_with_dilation: tuple[bool, bool, bool] = (False, True, True)
    ):
        super().__init__()
        net = ResNet(replace(cfg, num_classes=1))  # its pool and fc are dropped below: a trunk has no classifier
        self.stem, self.layer1, self.layer2 = net.stem, net.layer1, net.layer2
        self.layer3, self.layer4 = net.layer3, net.layer4
        self.channels = (cfg.widths[2] * Bottleneck.expansion, cfg.widths[3] * Bottleneck.expansion)  # (1024, 2048)
        dilation = 1
        self.output_stride = 4  # after the stem
        for stage, dilate in zip((self.layer2, self.layer3, self.layer4), replace_stride_with_dilation):
            if dilate:
                dilation = dilate_stage(stage, dilation)
            else:
                self.output_stride *= 2

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        x = self.stem(x)  # (B, 64, H/4, W/4)
        x = self.layer1(x)  # (B, 256, H/4, W/4)
        x = self.layer2(x)  # (B, 512, H/8, W/8)
        aux = self.layer3(x)  # (B, 1024, H/8, W/8): dilation 2 instead of stride 2
        out = self.layer4(aux)  # (B, 2048, H/8, W/8): dilation 4 instead of stride 2
        return {"aux": aux, "out": out}
