"""DCGAN — Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
Generative Adversarial Networks" (ICLR 2016). https://arxiv.org/abs/1511.06434

A GAN trains two networks against each other: a generator G turns noise z into images, a
discriminator D tells real images from G's. DCGAN's contribution is the set of architecture rules
that made convolutional GANs train stably (Sec. 3):
  * no pooling — strided convolutions in D, fractionally-strided (transposed) ones in G;
  * batch normalisation everywhere except G's output layer and D's input layer;
  * no fully connected hidden layers — z is "projected and reshaped" to a 4×4 map;
  * ReLU in G (tanh on the output), LeakyReLU(0.2) in D.
Weights are drawn from N(0, 0.02) (Sec. 4). Convolutions carry no bias: batch norm follows them.

Widths here are those of the standard 64×64 reference implementation (ngf = ndf = 64; the paper's
Fig. 1 draws G one step wider, 1024 channels at 4×4): G 100 → 512@4×4 → 256@8 → 128@16 → 64@32 → 3@64
(3,576,704 parameters) and its mirror D (2,765,568). `image_size` may be any 4·2^k ≥ 8 — e.g. 32 or 16
for small digit demos — which removes or adds one stage per factor of two.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class DCGANConfig:
    image_size: int = 64  # any 4·2^k ≥ 8
    channels: int = 3  # RGB; 1 for digits
    nz: int = 100  # length of the noise vector z ~ U(-1, 1) in the paper (N(0, I) works as well)
    ngf: int = 64  # generator width: channels of its last hidden map
    ndf: int = 64  # discriminator width: channels of its first hidden map


def _num_stages(image_size: int) -> int:
    """k: how many factor-2 resolution changes separate the 4×4 map from the image (64 → 4)."""
    k = math.log2(image_size / 4)
    if image_size < 8 or k != int(k):
        raise ValueError(f"image_size must be 4·2^k ≥ 8 (8, 16, 32, 64, 128, ...), got {image_size}")
    return int(k)


def _stage(conv: nn.Module, channels: int, act: nn.Module) -> nn.Sequential:
    """conv → BatchNorm → activation: the repeated unit of both networks."""
    return nn.Sequential(conv, nn.BatchNorm2d(channels), act)


def _init_weights(module: nn.Module) -> None:
    """Sec. 4: all weights from a zero-centred normal with std 0.02 (BN scales centred on 1)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class Generator(nn.Module):
    def __init__(self, cfg: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.cfg = cfg
        k = _num_stages(cfg.image_size)
        widths = [cfg.ngf * 2**i for i in reversed(range(k))]  # 64×64: [512, 256, 128, 64]
        # "Project and reshape": a 4×4 transposed conv on a 1×1 map is exactly a dense layer to 4×4×C.
        self.project = _stage(nn.ConvTranspose2d(cfg.nz, widths[0], 4, 1, 0, bias=False), widths[0], nn.ReLU())
        self.blocks = nn.Sequential(
            *[
                _stage(nn.ConvTranspose2d(c_in, c_out, 4, 2, 1, bias=False), c_out, nn.ReLU())  # doubles H, W
                for c_in, c_out in itertools.pairwise(widths)
            ]
        )
        self.to_image = nn.ConvTranspose2d(widths[-1], cfg.channels, 4, 2, 1, bias=False)  # no BN on the output
        _init_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z.view(z.shape[0], self.cfg.nz, 1, 1))  # (B, 100) → (B, 512, 4, 4)
        x = self.blocks(x)  # → (B, 256, 8, 8) → (B, 128, 16, 16) → (B, 64, 32, 32)
        return torch.tanh(self.to_image(x))  # (B, 3, 64, 64) in [-1, 1], the range of the scaled training images


class Discriminator(nn.Module):
    def __init__(self, cfg: DCGANConfig = DCGANConfig()):
        super().__init__()
        self.cfg = cfg
        k = _num_stages(cfg.image_size)
        widths = [cfg.ndf * 2**i for i in range(k)]  # 64×64: [64, 128, 256, 512]
        # No BN on the input layer: the paper found BN on every layer caused sample oscillation.
        self.from_image = nn.Sequential(nn.Conv2d(cfg.channels, widths[0], 4, 2, 1, bias=False), nn.LeakyReLU(0.2))
        self.blocks = nn.Sequential(
            *[
                _stage(nn.Conv2d(c_in, c_out, 4, 2, 1, bias=False), c_out, nn.LeakyReLU(0.2))  # halves H, W
                for c_in, c_out in itertools.pairwise(widths)
            ]
        )
        self.classify = nn.Conv2d(widths[-1], 1, 4, 1, 0, bias=False)  # 4×4 map → one score
        _init_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.from_image(x)  # (B, 3, 64, 64) → (B, 64, 32, 32)
        h = self.blocks(h)  # → (B, 128, 16, 16) → (B, 256, 8, 8) → (B, 512, 4, 4)
        # Logits, not probabilities: sigmoid(D(x)) is the paper's "real" probability, and
        # BCE-with-logits on the raw score is the numerically stable form of the GAN loss.
        return self.classify(h).flatten()  # (B,)


def gan_losses(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(discriminator loss, generator loss) from D's logits on a real and a generated batch.

    D minimises −log D(x) − log(1 − D(G(z))); G uses the non-saturating −log D(G(z)) (Goodfellow et al.
    2014), which gives strong gradients early, when D easily rejects G's samples. For the D loss, pass
    fake logits computed on G(z).detach(); for the G loss, on G(z) itself.
    """
    ones, zeros = torch.ones_like(real_logits), torch.zeros_like(fake_logits)
    d_loss = F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(
        fake_logits, zeros
    )
    g_loss = F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))
    return d_loss, g_loss


_PAPER = Paper(
    "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks",
    "https://arxiv.org/abs/1511.06434",
    authors="A. Radford, L. Metz, S. Chintala",
    venue="ICLR",
)
_SHARED = {"family": "DCGAN", "domain": "generative", "year": 2016, "paper": _PAPER, "level": "intermediate"}
_SOURCE = "standard 64×64 DCGAN reference configuration (ngf = ndf = 64, z = 100, bias-free convolutions)"
_OVERRIDES = "Overrides: image_size (4·2^k, e.g. 32 or 16), channels, nz, ngf, ndf."


@register_model(
    card=ModelCard(
        key="dcgan_generator",
        name="DCGAN generator",
        task="image generation",
        summary=(
            "Turns a vector of 100 random numbers into a 64×64 colour image with a stack of transposed "
            "convolutions that double the resolution at each step. Trained against the DCGAN discriminator, "
            "it learns to produce images that look like the training set, and directions in its noise space "
            "carry meaning (the famous 'smiling woman − woman + man' arithmetic)."
        ),
        scenarios=(
            "generating faces, bedrooms or digits similar to a training set",
            "exploring and interpolating a learned latent space",
            "teaching GANs and transposed convolutions",
        ),
        strengths=(
            "the architecture rules that first made convolutional GANs train reliably",
            "fast, one-pass sampling; smooth latent space with meaningful directions",
            "small enough (3.6M parameters) to train at low resolution on a CPU",
        ),
        weaknesses=(
            "GAN training can still collapse to a few modes or oscillate",
            "no encoder and no likelihood: hard to evaluate or to invert an image",
            "64×64 at most in practice; later GANs and diffusion models give far better images",
        ),
        params=Figure(3_576_704, _SOURCE),
        input="noise vectors z, (B, 100) (or (B, 100, 1, 1))",
        output="images (B, 3, 64, 64) in [-1, 1] (tanh)",
        config_note=(
            "z 100 → ConvT 512@4×4 → 256@8×8 → 128@16×16 → 64@32×32 → 3@64×64, BN + ReLU, tanh output, no biases. "
            + _OVERRIDES
        ),
        tags=("gan", "dcgan", "generator", "transposed convolution", "image synthesis", "unsupervised"),
        i18n={
            "zh": {
                "task": "图像生成",
                "summary": "把 100 个随机数组成的向量变成一张 64×64 的彩色图像：一串转置卷积每一步把分辨率翻倍。"
                "与 DCGAN 判别器对抗训练后，它能生成与训练集相似的图像，而且噪声空间中的方向带有语义"
                "（著名的“微笑的女人 − 女人 + 男人”向量运算）。",
                "scenarios": [
                    "生成与训练集相似的人脸、卧室或数字图像",
                    "探索学到的隐空间并在其中插值",
                    "讲解 GAN 与转置卷积",
                ],
                "strengths": [
                    "首次让卷积 GAN 稳定训练的一套架构规则",
                    "一次前向即可采样；隐空间平滑且方向有意义",
                    "足够小（360 万参数），低分辨率下可在 CPU 上训练",
                ],
                "weaknesses": [
                    "GAN 训练仍可能坍缩到少数模式或来回振荡",
                    "没有编码器也没有似然：难以评估，也难以反推一张图像的编码",
                    "实际最多 64×64；后来的 GAN 和扩散模型效果好得多",
                ],
                "input": "噪声向量 z，(B, 100)（或 (B, 100, 1, 1)）",
                "output": "图像 (B, 3, 64, 64)，取值在 [-1, 1]（tanh）",
            }
        },
        **_SHARED,
    ),
    example_input=lambda: torch.randn(2, 100),
)
def dcgan_generator(**overrides) -> Generator:
    return Generator(replace(DCGANConfig(), **overrides))


@register_model(
    card=ModelCard(
        key="dcgan_discriminator",
        name="DCGAN discriminator",
        task="real/fake image classification",
        summary=(
            "A convolutional classifier that halves the resolution at each strided convolution and ends in "
            "one score: how likely a 64×64 image is real rather than produced by the DCGAN generator. Its "
            "features, learned without labels, also transfer to ordinary image classification."
        ),
        scenarios=(
            "the adversary when training a DCGAN generator",
            "unsupervised feature learning for small labelled data sets",
            "teaching GANs and strided convolutions",
        ),
        strengths=(
            "all-convolutional, no pooling or fully connected layers",
            "features learned without labels are competitive for classification (82.8% on CIFAR-10)",
            "small (2.8M parameters)",
        ),
        weaknesses=(
            "only useful paired with a generator; its score is not a calibrated quality measure",
            "batch-norm statistics couple the examples in a batch (real and fake batches kept separate)",
            "can overpower the generator and stop its learning if trained too well",
        ),
        params=Figure(2_765_568, _SOURCE),
        input="images (B, 3, 64, 64) scaled to [-1, 1]",
        output="one real-vs-fake logit per image, (B,); sigmoid gives the paper's probability",
        metric=Metric(
            "accuracy of an L2-SVM on discriminator features",
            82.8,
            "%",
            "CIFAR-10 (discriminator trained on ImageNet-1k)",
            "Radford et al. 2016, Table 1",
        ),
        config_note=(
            "3@64×64 → conv 64 (no BN) → 128 → 256 → 512@4×4 (BN + LeakyReLU 0.2) → conv 4×4 → 1 logit, no biases; "
            "returns logits (use BCE-with-logits, e.g. `gan_losses`) instead of the paper's final sigmoid. "
            + _OVERRIDES
        ),
        tags=("gan", "dcgan", "discriminator", "strided convolution", "unsupervised features"),
        i18n={
            "zh": {
                "task": "真假图像分类",
                "summary": "一个卷积分类器：每个步长卷积把分辨率减半，最后输出一个分数——一张 64×64 图像是真实图像"
                "而非 DCGAN 生成器所造的可能性。它在无标签情况下学到的特征也能迁移到普通的图像分类。",
                "scenarios": [
                    "训练 DCGAN 生成器时的对手",
                    "为小规模标注数据做无监督特征学习",
                    "讲解 GAN 与步长卷积",
                ],
                "strengths": [
                    "全卷积，没有池化层和全连接层",
                    "无标签学到的特征用于分类颇具竞争力（CIFAR-10 上 82.8%）",
                    "小巧（280 万参数）",
                ],
                "weaknesses": [
                    "只能与生成器配合使用；其分数不是校准过的质量指标",
                    "批归一化统计量使同一批次的样本相互耦合（真假批次需分开）",
                    "训练得过强时会压制生成器，使其停止学习",
                ],
                "input": "图像 (B, 3, 64, 64)，缩放到 [-1, 1]",
                "output": "每张图像一个真/假 logit，(B,)；经 sigmoid 即为论文中的概率",
            }
        },
        **_SHARED,
    ),
    example_input=lambda: torch.rand(2, 3, 64, 64) * 2 - 1,
)
def dcgan_discriminator(**overrides) -> Discriminator:
    return Discriminator(replace(DCGANConfig(), **overrides))


# ----------------------------------------------------------------------------- trained weights
from ..weights import Weights, register_weights  # appended section: the trained weights

register_weights(
    Weights(
        model="dcgan_generator",
        name="digits",
        description="A small DCGAN generator (16×16 grey digits, z of 32) trained in about a minute on scikit-learn's digits",
        dataset="scikit-learn load_digits (UCI optdigits): 1,500 of the 1,797 8×8 digits, upsampled to 16×16",
        source="shipped",
        file="dcgan_digits.safetensors",
        recipe="dcgan_digits",
        config={"image_size": 16, "channels": 1, "nz": 32, "ngf": 32},
        # A sample-quality proxy (GANs have no likelihood): a 10-nearest-neighbour classifier of real digits
        # reads 1,000 samples. Real held-out digits score 96.3 % agreement and 1.46 distance; noise 67.0 % and 6.87.
        metrics={
            "judge confidence %": 78.6,
            "classes covered of 10": 10,
            "rarest class share %": 6.5,
            "nearest real digit distance": 2.16,
            "judge confidence on real held-out digits %": 96.3,
            "judge confidence on noise %": 67.0,
        },
        preprocessing="z ~ N(0, I) of length 32 → image (1, 16, 16) in [-1, 1] (tanh); (x + 1) / 2 gives ink in [0, 1]",
        labels=(),
    )
)
