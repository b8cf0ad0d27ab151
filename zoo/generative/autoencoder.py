"""Deep autoencoder — Hinton & Salakhutdinov, "Reducing the Dimensionality of Data with Neural Networks"
(Science 313, 2006). https://www.cs.toronto.edu/~hinton/absps/science.pdf

An autoencoder is a network trained to copy its input through a narrow middle layer, the code: the
encoder must squeeze out everything but what the decoder needs to rebuild the input. Deep autoencoders had
been known for decades but would not train from random weights — gradient descent found only the poor
solution of averaging. The paper's contribution was to *pretrain* the stack one layer at a time as
restricted Boltzmann machines, then "unroll" it (decoder = the transposed encoder weights) and fine-tune
the whole thing with backpropagation. The 30-number codes it learned on MNIST reconstruct digits far better
than 30 principal components (Fig. 2).

The MNIST network (Fig. 1): 784 → 1000 → 500 → 250 → 30 and its mirror 30 → 250 → 500 → 1000 → 784.
Logistic units everywhere except the code layer, which is linear (the paper: "the 30 units in the code
layer were linear and all other units were logistic"); logistic outputs give pixel intensities in [0, 1].
After unrolling, fine-tuning updates encoder and decoder separately, so the decoder's weights are its own
(untied) and every layer has a bias: 2,837,314 parameters. RBM pretraining is not reproduced here: this is
the architecture, trained end to end (Adam or similar makes that work today, as later work showed).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class AutoencoderConfig:
    widths: tuple[int, ...] = (784, 1000, 500, 250, 30)  # input → code (Fig. 1, MNIST)
    image_shape: tuple[int, ...] = (1, 28, 28)


class Autoencoder(nn.Module):
    def __init__(self, cfg: AutoencoderConfig = AutoencoderConfig()):
        super().__init__()
        self.cfg = cfg
        w = cfg.widths
        # Encoder: logistic hidden layers, then a *linear* code layer (so codes are not squashed into (0, 1)).
        enc = []
        for c_in, c_out in itertools.pairwise(w[:-1]):
            enc += [nn.Linear(c_in, c_out), nn.Sigmoid()]
        self.encoder = nn.Sequential(*enc, nn.Linear(w[-2], w[-1]))  # ... 250 → 30, linear
        # Decoder: the mirror image, logistic throughout, output pixel intensities in [0, 1].
        dec = []
        for c_in, c_out in itertools.pairwise(w[::-1]):
            dec += [nn.Linear(c_in, c_out), nn.Sigmoid()]
        self.decoder = nn.Sequential(*dec)  # 30 → 250 → 500 → 1000 → 784

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))  # (B, 784) → (B, 30)

    def decode(self, code: torch.Tensor) -> torch.Tensor:
        return self.decoder(code).view(-1, *self.cfg.image_shape)  # (B, 30) → (B, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction of x, same shape, values in [0, 1]. Train with cross-entropy (the paper, for
        MNIST) or squared error against x."""
        return self.decode(self.encode(x))


@register_model(
    card=ModelCard(
        key="autoencoder",
        name="Deep autoencoder (784-1000-500-250-30)",
        family="Autoencoder",
        domain="generative",
        task="dimensionality reduction (reconstruction)",
        year=2006,
        paper=Paper(
            "Reducing the Dimensionality of Data with Neural Networks",
            "https://www.cs.toronto.edu/~hinton/absps/science.pdf",
            authors="G. E. Hinton, R. R. Salakhutdinov",
            venue="Science",
        ),
        level="basic",
        summary=(
            "Squeezes a 28×28 digit through a bottleneck of 30 numbers and rebuilds it from them. To copy its "
            "input through so narrow a middle, the network must learn what matters about digits; the 30-number "
            "codes are a non-linear, much better alternative to PCA. The 2006 paper showed how to train such "
            "deep networks at all — by pretraining them layer by layer — and helped start the deep-learning era."
        ),
        scenarios=(
            "compressing images or other vectors into short codes",
            "visualising data in 2 or 3 dimensions (a 2-unit code)",
            "anomaly detection by reconstruction error",
            "teaching encoders, decoders and bottlenecks",
        ),
        strengths=(
            "non-linear codes that reconstruct far better than PCA with the same number of dimensions",
            "simple: fully connected layers and one reconstruction loss",
            "fast to run; the codes support nearest-neighbour search and visualisation",
        ),
        weaknesses=(
            "not a generative model of new data: random codes decode to nonsense (the VAE fixes that)",
            "fully connected: ignores image structure, suits only small images",
            "as published, needs greedy RBM pretraining to train well (not reproduced here)",
        ),
        params=Figure(
            2_837_314,
            "Hinton & Salakhutdinov 2006, Fig. 1 (784-1000-500-250-30 and its mirror, biases in every layer, "
            "untied decoder after fine-tuning)",
        ),
        input="images (B, 1, 28, 28) with pixel values in [0, 1] (or flattened (B, 784))",
        output="reconstructions (B, 1, 28, 28) in [0, 1]; `encode` gives the 30-number codes",
        config_note=(
            "The paper's MNIST network: 784 → 1000 → 500 → 250 → 30 (linear code) → 250 → 500 → 1000 → 784, "
            "logistic units elsewhere. Decoder weights are separate parameters (as after fine-tuning). No RBM "
            "pretraining. Overrides: widths (e.g. (784, 1000, 500, 250, 2) for a 2-D map), image_shape."
        ),
        tags=("autoencoder", "dimensionality reduction", "bottleneck", "mnist", "mlp", "rbm"),
        i18n={
            "zh": {
                "task": "降维（重建）",
                "summary": "把一张 28×28 的数字图像挤过只有 30 个数的瓶颈，再从这 30 个数重建它。要让输入通过这么窄的中间层，"
                "网络必须学到数字的要点；这 30 个数的编码是一种非线性的、比 PCA 好得多的降维方式。2006 年的这篇论文"
                "展示了如何训练这样的深层网络——逐层预训练——并帮助开启了深度学习时代。",
                "scenarios": [
                    "把图像或其他向量压缩成短编码",
                    "把数据可视化到 2 维或 3 维（2 个单元的编码）",
                    "利用重建误差做异常检测",
                    "讲解编码器、解码器和瓶颈",
                ],
                "strengths": [
                    "非线性编码：相同维数下重建效果远好于 PCA",
                    "简单：全连接层加一个重建损失",
                    "运行快；编码可用于最近邻检索和可视化",
                ],
                "weaknesses": [
                    "不是新数据的生成模型：随机编码解码出来毫无意义（VAE 解决了这一点）",
                    "全连接：忽略图像结构，只适合小图像",
                    "按论文做法需要逐层的 RBM 预训练才能训好（此处未复现）",
                ],
                "input": "图像 (B, 1, 28, 28)，像素值在 [0, 1]（或展平为 (B, 784)）",
                "output": "重建图像 (B, 1, 28, 28)，取值在 [0, 1]；`encode` 给出 30 个数的编码",
                "config_note": "论文的 MNIST 网络：784 → 1000 → 500 → 250 → 30（线性编码层）→ 250 → 500 → 1000 → 784，"
                "其余为 logistic 单元。解码器权重是独立参数（如微调之后）。不做 RBM 预训练。",
            }
        },
    ),
    example_input=lambda: torch.rand(2, 1, 28, 28),
)
def autoencoder(**overrides) -> Autoencoder:
    return Autoencoder(replace(AutoencoderConfig(), **overrides))
