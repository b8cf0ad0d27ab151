"""Feature Pyramid Network on a ResNet-50 body — the backbone of Faster/Mask R-CNN and RetinaNet here.

FPN: Lin, Dollár, Girshick, He, Hariharan & Belongie, "Feature Pyramid Networks for Object Detection"
(CVPR 2017), https://arxiv.org/abs/1612.03144. A CNN's deep maps are semantically strong but coarse,
its shallow maps fine but weak. FPN adds a top-down path (paper Figure 3): the coarsest map is
upsampled ×2 (nearest) and added to a 1×1 "lateral" projection of the next finer backbone map, and so
on down; a 3×3 conv then smooths each sum. Every level P2–P5 gets 256 channels and the semantics of
the top, so one detector head can be shared across scales.

Extra levels on top of P5: a stride-2 max-pool "P6" for the RPN of Faster R-CNN (FPN §4.1), or two
stride-2 3×3 convs P6, P7 for RetinaNet (RetinaNet §4; torchvision's v1 builds them from P5).

The ResNet-50 body is `zoo.vision.resnet.ResNet` without its classifier, with every BatchNorm replaced
by `FrozenBatchNorm2d`: detectors train with 1–2 images per GPU, too few for batch statistics, so the
ImageNet statistics and affine terms are frozen as buffers (torchvision does the same, which is why its
detector parameter counts leave out the BatchNorm affine terms).

Files starting with "_" are not scanned by the registry: this module registers nothing.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .resnet import RESNET50, ResNet


class FrozenBatchNorm2d(nn.Module):
    """BatchNorm with fixed statistics and affine terms, all buffers: y = (x − μ)/√(σ² + ε)·γ + β folded
    into one scale and shift. Nothing here is trained or counted as a parameter."""

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.register_buffer("weight", torch.ones(num_features))
        self.register_buffer("bias", torch.zeros(num_features))
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1) + shift.view(1, -1, 1, 1)


def freeze_batchnorm_(module: nn.Module) -> nn.Module:
    """Replace every nn.BatchNorm2d inside `module` by a FrozenBatchNorm2d holding its current statistics."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            frozen = FrozenBatchNorm2d(child.num_features, child.eps)
            with torch.no_grad():
                frozen.weight.copy_(child.weight)
                frozen.bias.copy_(child.bias)
                frozen.running_mean.copy_(child.running_mean)
                frozen.running_var.copy_(child.running_var)
            setattr(module, name, frozen)
        else:
            freeze_batchnorm_(child)
    return module


class ResNetBody(nn.Module):
    """ResNet-50 stem + conv2_x … conv5_x with frozen BatchNorm; returns C2–C5 (strides 4, 8, 16, 32).

    `trainable_layers` (0–5) counts stages from the top that keep gradients, as torchvision's
    `trainable_backbone_layers`: 3 (its COCO recipe) trains conv3_x–conv5_x; the stem and conv2_x keep
    their (ImageNet) weights."""

    STAGES = ("layer4", "layer3", "layer2", "layer1", "stem")

    def __init__(self, trainable_layers: int = 3):
        super().__init__()
        net = freeze_batchnorm_(ResNet(RESNET50))
        self.stem, self.layer1, self.layer2 = net.stem, net.layer1, net.layer2
        self.layer3, self.layer4 = net.layer3, net.layer4
        self.out_channels = (256, 512, 1024, 2048)
        for name in self.STAGES[trainable_layers:]:
            getattr(self, name).requires_grad_(False)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = self.stem(x)  # (B, 64, H/4, W/4)
        c2 = self.layer1(x)  # (B, 256, H/4, W/4)
        c3 = self.layer2(c2)  # (B, 512, H/8, W/8)
        c4 = self.layer3(c3)  # (B, 1024, H/16, W/16)
        c5 = self.layer4(c4)  # (B, 2048, H/32, W/32)
        return [c2, c3, c4, c5]


class LastLevelMaxPool(nn.Module):
    """P6 = 1×1 max-pool with stride 2 of P5: a coarser level for the RPN's largest anchors (FPN §4.1)."""

    def forward(self, p: list[torch.Tensor], c: list[torch.Tensor]) -> list[torch.Tensor]:
        return p + [F.max_pool2d(p[-1], kernel_size=1, stride=2)]


class LastLevelP6P7(nn.Module):
    """RetinaNet's P6 = 3×3/2 conv, P7 = 3×3/2 conv after a ReLU (RetinaNet §4, "RetinaNet Detector"),
    computed from P5 when it has the same width (torchvision's v1) and from C5 otherwise."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, 2, 1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, 2, 1)
        for conv in (self.p6, self.p7):
            nn.init.kaiming_uniform_(conv.weight, a=1)
            nn.init.zeros_(conv.bias)
        self.use_p5 = in_channels == out_channels

    def forward(self, p: list[torch.Tensor], c: list[torch.Tensor]) -> list[torch.Tensor]:
        p6 = self.p6(p[-1] if self.use_p5 else c[-1])  # (B, 256, H/64, W/64)
        p7 = self.p7(F.relu(p6))  # (B, 256, H/128, W/128)
        return p + [p6, p7]


class FPN(nn.Module):
    """Top-down pathway with lateral connections (FPN §3, Figure 3) over the given backbone maps."""

    def __init__(self, in_channels: tuple[int, ...], out_channels: int = 256, extra: nn.Module | None = None):
        super().__init__()
        self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)  # 1×1: C_k → d
        # 3×3 convs on each merged map "to reduce the aliasing effect of upsampling" (§3)
        self.smooth = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels)
        for m in list(self.lateral) + list(self.smooth):
            nn.init.kaiming_uniform_(m.weight, a=1)
            nn.init.zeros_(m.bias)
        self.extra = extra
        self.out_channels = out_channels

    def forward(self, c: list[torch.Tensor]) -> list[torch.Tensor]:
        top = self.lateral[-1](c[-1])  # (B, 256, H/32, W/32)
        p = [self.smooth[-1](top)]
        for i in range(len(c) - 2, -1, -1):
            # upsample the coarser map to this level's size (nearest) and add the lateral projection
            top = self.lateral[i](c[i]) + F.interpolate(top, size=c[i].shape[-2:], mode="nearest")
            p.insert(0, self.smooth[i](top))  # (B, 256, H/2^(i+2), W/2^(i+2))
        return self.extra(p, c) if self.extra is not None else p


class ResNetFPN(nn.Module):
    """ResNet-50 body → FPN: P2–P6 (max-pool P6) for the R-CNNs, or P3–P7 for RetinaNet."""

    def __init__(self, returned: tuple[int, ...] = (1, 2, 3, 4), extra: str = "pool", trainable_layers: int = 3):
        super().__init__()
        self.body = ResNetBody(trainable_layers)
        self.returned = returned  # which of conv2_x..conv5_x (1..4) feed the pyramid
        in_channels = tuple(self.body.out_channels[i - 1] for i in returned)
        extra_block = LastLevelMaxPool() if extra == "pool" else LastLevelP6P7(256, 256)
        self.fpn = FPN(in_channels, 256, extra_block)
        self.out_channels = 256

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        c = self.body(x)
        return self.fpn([c[i - 1] for i in self.returned])


# torchvision ≥ 0.13 wraps the FPN's, the RPN head's, RetinaNet's head and the mask head's convolutions in
# Conv2dNormActivation (one more ".0." in each name) and numbers the mask head's; its loader upgrades the names of
# the published v1 COCO files as it reads them. This is the reverse: a state dict saved by a current torchvision
# (e.g. after fine-tuning) gets the v1 names the detectors' key maps read.
_CURRENT_TO_V1 = (
    (r"^backbone\.fpn\.(inner|layer)_blocks\.(\d)\.0\.", r"backbone.fpn.\1_blocks.\2."),
    (r"^rpn\.head\.conv\.0\.0\.", "rpn.head.conv."),
    (r"^roi_heads\.mask_head\.(\d)\.0\.", lambda m: f"roi_heads.mask_head.mask_fcn{int(m[1]) + 1}."),
    (r"^head\.(classification|regression)_head\.conv\.(\d)\.0\.", lambda m: f"head.{m[1]}_head.conv.{2 * int(m[2])}."),
)


def torchvision_v1_name(name: str) -> str:
    """A detector tensor's name as torchvision's v1 COCO files spell it (unchanged if it already is)."""
    import re

    for pattern, replacement in _CURRENT_TO_V1:
        name = re.sub(pattern, replacement, name)
    return name
