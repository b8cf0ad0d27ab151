"""RealNVP — Dinh, Sohl-Dickstein & Bengio, "Density Estimation using Real NVP" (ICLR 2017).
https://arxiv.org/abs/1605.08803

A normalising flow: an invertible network f maps an image x to a latent z of the same size with a simple
density p_Z = N(0, I), and the change-of-variables formula gives the image's exact log-likelihood (Eq. 3)

    log p_X(x) = log p_Z(f(x)) + log |det ∂f(x)/∂x|.

Both terms must be cheap, so f is built from *affine coupling layers* (Eq. 4–6): split the input by a
binary mask b into a part that passes unchanged and a part that is scaled and shifted by functions of the
first,

    y = b ⊙ x + (1 − b) ⊙ (x ⊙ exp(s(b ⊙ x)) + t(b ⊙ x)).

The Jacobian is triangular, so log |det| = Σ (1 − b) ⊙ s, and the inverse is as cheap as the forward
pass (x = (y − t) ⊙ exp(−s) on the changed part), however complex the networks s and t are — here small
ResNets. Masks alternate so that every variable gets transformed: spatial *checkerboard* masks, and
*channel-wise* masks after a squeeze (each 2×2×C block becomes 1×1×4C).

Multi-scale architecture (Sec. 3.6): at each scale, 3 checkerboard couplings, squeeze, 3 channel-wise
couplings, then half of the channels are "factored out" straight into z and the rest go on to the next
scale; the last scale has 4 checkerboard couplings. DeepZoo's stated configuration is the paper's CIFAR-10
model (Sec. 4.1): 3×32×32, "8 residual blocks, 64 feature maps, and downscale only once" (two scales),
s bounded by a learned scale × tanh: 6,014,041 parameters. Batch normalisation sits inside s and t only
(the paper also normalises the coupling outputs; that layer and its log-det term are left out here, so the
flow is the same function in training and evaluation). Inputs are the paper's logit-space pixels
(`logit_transform`), not raw [0, 1] values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class RealNVPConfig:
    in_channels: int = 3
    image_size: int = 32
    num_scales: int = 2  # CIFAR-10: "downscale only once"
    n_blocks: int = 8  # residual blocks in each s/t network
    features: int = 64  # their width


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c), nn.ReLU(), nn.Conv2d(c, c, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class STNet(nn.Module):
    """s and t of one coupling from one ResNet: (B, c_in, H, W) → scale and shift (B, c_out, H, W) each."""

    def __init__(self, c_in: int, c_out: int, cfg: RealNVPConfig):
        super().__init__()
        f = cfg.features
        self.net = nn.Sequential(
            nn.Conv2d(c_in, f, 3, padding=1),
            *[ResBlock(f) for _ in range(cfg.n_blocks)],
            nn.BatchNorm2d(f), nn.ReLU(), nn.Conv2d(f, 2 * c_out, 3, padding=1),
        )
        # Every coupling starts close to the identity (s ≈ 0, t ≈ 0), so the deep flow starts well-conditioned;
        # not exactly zero, or no gradient would reach the layers below at the first step.
        nn.init.normal_(self.net[-1].weight, std=1e-3)
        nn.init.zeros_(self.net[-1].bias)
        self.scale = nn.Parameter(torch.ones(1, c_out, 1, 1))  # s = scale · tanh(·): bounded, learnably wide

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(x).chunk(2, dim=1)
        return self.scale * torch.tanh(s), t


def checkerboard(h: int, w: int, parity: int, like: torch.Tensor) -> torch.Tensor:
    """b: (1, 1, H, W) with 1 where (i + j + parity) is even — the variables passed through unchanged."""
    i = torch.arange(h, device=like.device)[:, None]
    j = torch.arange(w, device=like.device)[None, :]
    return ((i + j + parity) % 2 == 0).to(like.dtype)[None, None]


class Coupling(nn.Module):
    """One affine coupling layer (Eq. 4–6) with a checkerboard or a channel-wise mask."""

    def __init__(self, kind: str, channels: int, parity: int, cfg: RealNVPConfig):
        super().__init__()
        self.kind, self.parity = kind, parity
        if kind == "checkerboard":  # s, t see the whole masked image, change the other half of the pixels
            self.st = STNet(channels, channels, cfg)
        else:  # "channel": s, t see half of the channels, change the other half
            self.st = STNet(channels // 2, channels - channels // 2, cfg)

    def _split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = x.chunk(2, dim=1)
        return (b, a) if self.parity else (a, b)  # (unchanged, changed)

    def _join(self, keep: torch.Tensor, changed: torch.Tensor) -> torch.Tensor:
        return torch.cat((changed, keep) if self.parity else (keep, changed), dim=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(y, log |det ∂y/∂x| per image (B,))."""
        if self.kind == "checkerboard":
            b = checkerboard(x.shape[2], x.shape[3], self.parity, x)
            s, t = self.st(b * x)
            s, t = (1 - b) * s, (1 - b) * t  # only the masked-out half changes
            return b * x + (1 - b) * (x * torch.exp(s) + t), s.flatten(1).sum(1)
        keep, change = self._split(x)
        s, t = self.st(keep)
        return self._join(keep, change * torch.exp(s) + t), s.flatten(1).sum(1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        """x from y: the unchanged half gives the same s and t, which are then undone (Eq. 8–9)."""
        if self.kind == "checkerboard":
            b = checkerboard(y.shape[2], y.shape[3], self.parity, y)
            s, t = self.st(b * y)
            return b * y + (1 - b) * ((y - t) * torch.exp(-s))
        keep, change = self._split(y)
        s, t = self.st(keep)
        return self._join(keep, (change - t) * torch.exp(-s))


def squeeze(x: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) → (B, 4C, H/2, W/2): each 2×2 block of a channel becomes 4 channels (Fig. 3)."""
    b, c, h, w = x.shape
    x = x.view(b, c, h // 2, 2, w // 2, 2)
    return x.permute(0, 1, 3, 5, 2, 4).reshape(b, 4 * c, h // 2, w // 2)


def unsqueeze(x: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    x = x.view(b, c // 4, 2, 2, h, w)
    return x.permute(0, 1, 4, 2, 5, 3).reshape(b, c // 4, 2 * h, 2 * w)


class Scale(nn.Module):
    """3 checkerboard couplings, squeeze, 3 channel-wise couplings (a non-final scale), or 4 checkerboard
    couplings (the final scale)."""

    def __init__(self, channels: int, final: bool, cfg: RealNVPConfig):
        super().__init__()
        self.final = final
        n_check = 4 if final else 3
        self.checker = nn.ModuleList(Coupling("checkerboard", channels, i % 2, cfg) for i in range(n_check))
        self.channel = nn.ModuleList(
            [] if final else [Coupling("channel", 4 * channels, i % 2, cfg) for i in range(3)]
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        for layer in self.checker:
            x, ld = layer(x)
            logdet = logdet + ld
        if not self.final:
            x = squeeze(x)
            for layer in self.channel:
                x, ld = layer(x)
                logdet = logdet + ld
        return x, logdet

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        if not self.final:
            for layer in reversed(self.channel):
                y = layer.inverse(y)
            y = unsqueeze(y)
        for layer in reversed(self.checker):
            y = layer.inverse(y)
        return y


class RealNVP(nn.Module):
    def __init__(self, cfg: RealNVPConfig = RealNVPConfig()):
        super().__init__()
        self.cfg = cfg
        c, scales = cfg.in_channels, []
        for i in range(cfg.num_scales):
            final = i == cfg.num_scales - 1
            scales.append(Scale(c, final, cfg))
            c = 2 * c  # after squeezing to 4c, half (2c) is factored out and 2c go on
        self.scales = nn.ModuleList(scales)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, H, W) → (z (B, C·H·W), log |det ∂z/∂x| (B,)). z lists the factored-out variables scale by
        scale, then the last scale's output."""
        zs, logdet = [], torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        h = x
        for scale in self.scales:
            h, ld = scale(h)
            logdet = logdet + ld
            if not scale.final:
                out, h = h.chunk(2, dim=1)  # factor out half: (B, 2C, H/2, W/2) each
                zs.append(out.flatten(1))
        zs.append(h.flatten(1))
        return torch.cat(zs, dim=1), logdet

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        """f⁻¹: latent (B, C·H·W) → image (B, C, H, W)."""
        c, s = self.cfg.in_channels, self.cfg.image_size
        shapes = []  # (channels, side) of each factored-out part and of the last scale's output
        for scale in self.scales:
            if not scale.final:
                c, s = 2 * c, s // 2
                shapes.append((c, s))
        shapes.append((c, s))
        parts = list(z.split([ch * side * side for ch, side in shapes], dim=1))
        ch, side = shapes[-1]
        h = parts.pop().view(-1, ch, side, side)
        for scale in reversed(self.scales):
            if not scale.final:
                ch, side = shapes[len(parts) - 1]
                h = torch.cat([parts.pop().view(-1, ch, side, side), h], dim=1)  # put the factored half back
            h = scale.inverse(h)
        return h

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) (B,) by Eq. 3 with the standard normal prior."""
        z, logdet = self(x)
        return -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1) + logdet

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        d = self.cfg.in_channels * self.cfg.image_size**2
        return self.inverse(torch.randn(n, d, generator=generator))


def logit_transform(x: torch.Tensor, noise: torch.Tensor, alpha: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    """Sec. 4.1 preprocessing: dequantise 8-bit pixels x ∈ {0 … 255} with uniform noise ∈ [0, 1), squeeze into
    [α, 1 − α] and take the logit. Returns (y, log |det ∂y/∂u| per image) where u = (x + noise) / 256, so that
    bits/dim = −(log p(y) + that log-det − D log 256) / (D log 2)."""
    u = (x + noise) / 256
    p = alpha + (1 - 2 * alpha) * u
    y = torch.log(p) - torch.log1p(-p)
    logdet = (math.log(1 - 2 * alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)
    return y, logdet


@register_model(
    card=ModelCard(
        key="realnvp",
        name="RealNVP (CIFAR-10)",
        family="RealNVP",
        domain="generative",
        task="image density estimation and generation (normalising flow)",
        year=2017,
        paper=Paper(
            "Density Estimation using Real NVP",
            "https://arxiv.org/abs/1605.08803",
            authors="L. Dinh, J. Sohl-Dickstein, S. Bengio",
            venue="ICLR",
        ),
        level="advanced",
        summary=(
            "An invertible network that turns an image into a same-sized vector of Gaussian noise and back. Each "
            "layer leaves half of the pixels untouched and uses them to scale and shift the other half, which "
            "makes the layer trivially invertible and its volume change easy to compute. So the model gives the "
            "exact likelihood of any image, turns noise into new images in one pass, and maps images to latents."
        ),
        scenarios=(
            "exact density estimation (compression, anomaly detection)",
            "one-pass sampling and exact image ↔ latent encoding",
            "a building block of later flows (Glow) and of flow-based speech synthesis (WaveGlow)",
            "teaching change of variables and invertible networks",
        ),
        strengths=(
            "exact log-likelihood and exact inversion, no approximation",
            "fast sampling and fast inference: one pass either way",
            "the coupling layer's networks can be arbitrary (here ResNets)",
        ),
        weaknesses=(
            "latent as large as the image: memory-hungry",
            "samples are less sharp than GANs' or diffusion models'",
            "needs many layers to be expressive, since each coupling changes half the variables",
        ),
        params=Figure(
            6_014_041,
            "DeepZoo's stated configuration: the paper's CIFAR-10 setting (Sec. 4.1: 2 scales, s/t ResNets of 8 "
            "residual blocks with 64 feature maps)",
        ),
        input="images (B, 3, 32, 32) in logit space (see `logit_transform`); the example is 16×16 to stay cheap",
        output="(z (B, 3072) ~ N(0, I) for data, log |det ∂z/∂x| (B,)); `inverse(z)` maps back",
        metric=Metric("negative log-likelihood", 3.49, "bits/dim", "CIFAR-10 (test)", "Dinh et al. 2017, Table 1"),
        config_note=(
            "3×32×32, 2 scales: [3 checkerboard couplings, squeeze, 3 channel-wise couplings, factor out half] then "
            "4 checkerboard couplings at 16×16 with 6 channels. s and t: one ResNet per coupling (conv 3×3 → 8 "
            "pre-activation residual blocks of 64 maps with BatchNorm → conv 3×3), s = learned scale · tanh. "
            "Differences: no batch normalisation of the coupling outputs, no weight normalisation. Overrides: "
            "in_channels, image_size, num_scales, n_blocks, features."
        ),
        tags=("normalizing flow", "realnvp", "affine coupling", "invertible", "density estimation", "likelihood"),
        i18n={
            "zh": {
                "task": "图像密度估计与生成（归一化流）",
                "summary": "一个可逆网络：把图像变成同样大小的高斯噪声向量，也能反过来。每一层保持一半像素不变，并用它们去缩放和"
                "平移另一半，这使得每层都很容易求逆，体积变化也容易计算。因此模型能给出任意图像的精确似然，一次前向"
                "就能把噪声变成新图像，也能把图像映射到隐变量。",
                "scenarios": [
                    "精确密度估计（压缩、异常检测）",
                    "一次前向采样，以及图像 ↔ 隐变量的精确编码",
                    "后续流模型（Glow）和基于流的语音合成（WaveGlow）的基本模块",
                    "讲解变量替换公式与可逆网络",
                ],
                "strengths": [
                    "精确的对数似然和精确的逆变换，没有近似",
                    "采样和推断都快：各一次前向",
                    "耦合层内部的网络可以任意复杂（这里是 ResNet）",
                ],
                "weaknesses": [
                    "隐变量和图像一样大：占用内存多",
                    "样本不如 GAN 或扩散模型清晰",
                    "每个耦合层只改变一半变量，需要很多层才有足够表达力",
                ],
                "input": "图像 (B, 3, 32, 32)，位于 logit 空间（见 `logit_transform`）；示例为 16×16 以节省计算",
                "output": "（z (B, 3072)，数据对应的 z 服从 N(0, I)；log |det ∂z/∂x| (B,)）；`inverse(z)` 映射回图像",
                "config_note": "3×32×32，2 个尺度：[3 个棋盘格耦合层，挤压，3 个通道耦合层，分出一半变量]，然后在 16×16、6 通道上"
                "做 4 个棋盘格耦合层。s 与 t：每个耦合层一个 ResNet（3×3 卷积 → 8 个 64 通道、带 BatchNorm 的预激活残差块"
                " → 3×3 卷积），s = 可学习尺度 · tanh。与论文的差别：耦合层输出不做批归一化，不用权重归一化。",
            }
        },
    ),
    example_input=lambda: torch.randn(1, 3, 16, 16),  # fully convolutional: any even size works
)
def realnvp(**overrides) -> RealNVP:
    return RealNVP(replace(RealNVPConfig(), **overrides))
