"""PixelCNN — van den Oord, Kalchbrenner & Kavukcuoglu, "Pixel Recurrent Neural Networks" (ICML 2016).
https://arxiv.org/abs/1601.06759

An autoregressive image model: the probability of an image is the product of each pixel's probability
given all the pixels before it in raster order (row by row, left to right; Eq. 1)

    p(x) = Π_i p(x_i | x_1, …, x_{i−1}),

so the log-likelihood is exact and training is plain classification of every pixel. The paper's RNNs
(Row LSTM, Diagonal BiLSTM) compute those conditionals sequentially; its PixelCNN computes all of them at
once with convolutions whose kernels are *masked* so that no output can see the pixel it predicts or any
later one (Sec. 3.4, Fig. 2): mask A (first layer) zeroes the kernel's centre and everything after it,
mask B (later layers) keeps the centre, which by then holds only features of earlier pixels. Training is
fully parallel; sampling still takes one forward pass per pixel.

Architecture (Table 1 and Fig. 5): a 7×7 mask-A conv to 2h channels, residual blocks of
1×1 (2h → h) → masked 3×3 (h → h) → 1×1 (h → 2h), each preceded by ReLU, then two ReLU + 1×1 output
layers, and a sigmoid (binarised MNIST) or a 256-way softmax per pixel (natural images).

DeepZoo's stated configuration (the paper does not give the PixelCNN's MNIST depth and width): binarised
MNIST, 1×28×28, h = 32 (2h = 64 channels), 7 residual blocks (the depth of the paper's 7-layer MNIST RNNs),
Bernoulli output: 101,505 parameters (masked-out kernel taps included: they stay in the weight tensors).
`levels=256` gives the 256-way softmax head. Grey-scale only: colour images need masks that also order
the R, G, B channels within a pixel (Sec. 3.4), not implemented here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class PixelCNNConfig:
    image_size: int = 28
    h: int = 32  # the residual blocks carry 2h channels and bottleneck to h
    n_blocks: int = 7
    levels: int = 1  # 1: binary pixels (Bernoulli logit); 256: 8-bit pixels (softmax over 256 values)


class MaskedConv2d(nn.Conv2d):
    """A convolution that only looks at pixels before the centre in raster order (mask "A"), or at those
    and the centre (mask "B"). The mask multiplies the weights at every call, so the zeroed taps stay
    zero whatever the optimiser does."""

    def __init__(self, mask_type: str, c_in: int, c_out: int, k: int):
        super().__init__(c_in, c_out, k, padding=k // 2)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        c = k // 2
        mask = torch.ones(1, 1, k, k)
        mask[:, :, c, c + (mask_type == "B") :] = 0  # the centre row: centre (A only) and right of it
        mask[:, :, c + 1 :, :] = 0  # all rows below
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class ResidualBlock(nn.Module):
    """Fig. 5: ReLU → 1×1 (2h → h) → ReLU → masked 3×3 (h → h) → ReLU → 1×1 (h → 2h), plus the input.
    1×1 convs mix channels at one position only, so they cannot break the raster order."""

    def __init__(self, h: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.ReLU(), nn.Conv2d(2 * h, h, 1),
            nn.ReLU(), MaskedConv2d("B", h, h, 3),
            nn.ReLU(), nn.Conv2d(h, 2 * h, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class PixelCNN(nn.Module):
    def __init__(self, cfg: PixelCNNConfig = PixelCNNConfig()):
        super().__init__()
        self.cfg = cfg
        h = cfg.h
        self.stem = MaskedConv2d("A", 1, 2 * h, 7)  # sees only pixels strictly before each position
        self.blocks = nn.Sequential(*[ResidualBlock(h) for _ in range(cfg.n_blocks)])
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(2 * h, 2 * h, 1), nn.ReLU(), nn.Conv2d(2 * h, cfg.levels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every pixel's conditional distribution given the pixels before it:
        (B, 1, H, W) → (B, 1, H, W) Bernoulli logits, or (B, 256, H, W) for `levels=256`."""
        if self.cfg.levels > 1:
            x = x / (self.cfg.levels - 1) * 2 - 1  # integer levels 0 … 255 → [-1, 1] as input features
        return self.head(self.blocks(self.stem(x)))  # (B, 64, 28, 28) in between

    def nll(self, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood −log p(x) in nats per image, (B,): the sum of the per-pixel
        cross-entropies (x binary {0, 1} for levels = 1, integers 0 … levels−1 otherwise)."""
        logits = self(x.float())
        if self.cfg.levels == 1:
            return F.binary_cross_entropy_with_logits(logits, x.float(), reduction="none").flatten(1).sum(1)
        return F.cross_entropy(logits, x[:, 0].long(), reduction="none").flatten(1).sum(1)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images drawn pixel by pixel in raster order: H·W forward passes (B, 1, H, W)."""
        s = self.cfg.image_size
        x = torch.zeros(n, 1, s, s)
        for i in range(s):
            for j in range(s):
                logits = self(x)[:, :, i, j]  # (n, levels): depends only on pixels already drawn
                if self.cfg.levels == 1:
                    x[:, 0, i, j] = torch.bernoulli(torch.sigmoid(logits[:, 0]), generator=generator)
                else:
                    x[:, 0, i, j] = torch.multinomial(torch.softmax(logits, 1), 1, generator=generator)[:, 0].float()
        return x


@register_model(
    card=ModelCard(
        key="pixelcnn",
        name="PixelCNN (binarised MNIST)",
        family="PixelCNN",
        domain="generative",
        task="image density estimation and generation (autoregressive)",
        year=2016,
        paper=Paper(
            "Pixel Recurrent Neural Networks",
            "https://arxiv.org/abs/1601.06759",
            authors="A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu",
            venue="ICML",
        ),
        level="intermediate",
        summary=(
            "Models an image as a sequence of pixels: it predicts each pixel from the ones above it and to its "
            "left, like a language model predicts the next word. Masked convolutions hide every pixel's own value "
            "and everything after it, so one forward pass gives all the predictions at once for training. The "
            "result is an exact likelihood for any image and a generator that paints new images pixel by pixel."
        ),
        scenarios=(
            "density estimation: how likely is this image under the data (compression, anomaly detection)",
            "generating small images pixel by pixel",
            "the prior over discrete codes in VQ-VAE, and the basis of WaveNet's dilated masked convolutions",
            "teaching autoregressive models and masked convolutions",
        ),
        strengths=(
            "exact log-likelihood, trained as simple per-pixel classification",
            "training is parallel over all pixels (unlike the PixelRNN)",
            "small and stable to train; no adversary, no approximate posterior",
        ),
        weaknesses=(
            "sampling is sequential: one forward pass per pixel (784 for MNIST)",
            "stacked 3×3 masks leave a blind spot above-right of each pixel (Gated PixelCNN fixes it)",
            "samples lack global coherence compared with GANs and diffusion models",
        ),
        params=Figure(
            101_505,
            "DeepZoo's stated configuration of the paper's architecture (7×7 mask A, 7 residual blocks with h = 32, "
            "two 1×1 output layers, Bernoulli output)",
        ),
        input="binary images (B, 1, 28, 28) with values in {0, 1}",
        output="Bernoulli logits (B, 1, 28, 28): pixel i's probability of being on given pixels 1 … i−1",
        metric=Metric(
            "negative log-likelihood", 81.30, "nats", "binarised MNIST (test)", "van den Oord et al. 2016, Table 4"
        ),
        config_note=(
            "Binarised MNIST, 1×28×28: 7×7 mask-A conv to 2h = 64 channels, 7 residual blocks (ReLU, 1×1 64 → 32, "
            "ReLU, masked 3×3 B 32 → 32, ReLU, 1×1 32 → 64), ReLU + 1×1 (64) twice, the last to 1 logit per pixel. "
            "The paper does not state this PixelCNN's depth and width; the published NLL is its own model's. "
            "Overrides: image_size, h, n_blocks, levels (256: 256-way softmax per pixel). Grey-scale only."
        ),
        tags=("pixelcnn", "autoregressive", "masked convolution", "density estimation", "likelihood", "mnist"),
        i18n={
            "zh": {
                "task": "图像密度估计与生成（自回归）",
                "summary": "把图像看成像素序列：根据上方和左侧的像素预测每个像素，就像语言模型预测下一个词。掩码卷积遮住每个像素"
                "自身及其之后的所有像素，因此训练时一次前向就能得到全部预测。结果是任意图像的精确似然，以及一个逐像素"
                "绘出新图像的生成器。",
                "scenarios": [
                    "密度估计：这张图在数据分布下有多大概率（压缩、异常检测）",
                    "逐像素生成小图像",
                    "VQ-VAE 中离散编码的先验；WaveNet 膨胀掩码卷积的基础",
                    "讲解自回归模型与掩码卷积",
                ],
                "strengths": [
                    "精确的对数似然，训练就是简单的逐像素分类",
                    "训练可在所有像素上并行（与 PixelRNN 不同）",
                    "小巧、训练稳定；没有对抗网络，也没有近似后验",
                ],
                "weaknesses": [
                    "采样是顺序的：每个像素一次前向（MNIST 需 784 次）",
                    "堆叠的 3×3 掩码在每个像素右上方留下盲区（Gated PixelCNN 解决了这一问题）",
                    "与 GAN 和扩散模型相比，样本缺乏全局一致性",
                ],
                "input": "二值图像 (B, 1, 28, 28)，取值为 {0, 1}",
                "output": "伯努利 logits (B, 1, 28, 28)：给定像素 1 … i−1 时像素 i 为亮的概率",
                "config_note": "二值化 MNIST，1×28×28：7×7 掩码 A 卷积到 2h = 64 个通道，7 个残差块（ReLU，1×1 64 → 32，ReLU，"
                "掩码 3×3 B 32 → 32，ReLU，1×1 32 → 64），两次 ReLU + 1×1（64），最后一层输出每个像素 1 个 logit。"
                "论文没有给出此 PixelCNN 的深度和宽度；所列 NLL 是论文自己模型的结果。仅支持灰度图。",
            }
        },
    ),
    example_input=lambda: torch.randint(0, 2, (2, 1, 28, 28)).float(),
)
def pixelcnn(**overrides) -> PixelCNN:
    return PixelCNN(replace(PixelCNNConfig(), **overrides))
