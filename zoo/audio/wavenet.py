"""WaveNet — van den Oord et al., "WaveNet: A Generative Model for Raw Audio" (2016).
https://arxiv.org/abs/1609.03499

An autoregressive model of the waveform itself, one sample at a time: p(x) = Π p(x_t | x_<t).
Three ideas make it work. Causal convolutions keep every output from seeing the future; dilating
them (1, 2, 4, …, 512, then again) grows the receptive field exponentially with depth, so 20 thin
layers see 2,048 samples. Each layer gates its features like a PixelCNN, tanh(W_f ∗ x) ⊙ σ(W_g ∗ x),
and feeds both a residual path (to the next layer) and a skip path (to the output). Samples are
μ-law companded to 256 levels and predicted with a softmax, which models arbitrary (multi-modal)
distributions better than a mixture of Gaussians would.

The paper gives no layer sizes. DeepZoo's configuration: 2 stacks × 10 layers with dilations
1…512, 64 residual / 64 dilation / 256 skip channels, kernel 2, 256 μ-law levels, a kernel-2
causal convolution on the one-hot input, and no conditioning (`cond_channels=0`; set it to add the
paper's local conditioning, eq. 6). That is 906,496 parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


# --------------------------------------------------------------------------- μ-law (paper §2.2)


def mu_law_encode(wave: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """Waveform in [-1, 1] → integer levels 0…mu. Eq. (2): f(x) = sign(x)·ln(1 + μ|x|)/ln(1 + μ)."""
    x = wave.clamp(-1.0, 1.0)
    y = torch.sign(x) * torch.log1p(mu * x.abs()) / math.log1p(mu)
    return ((y + 1) / 2 * mu + 0.5).long()  # round [-1, 1] onto mu + 1 levels


def mu_law_decode(ids: torch.Tensor, mu: int = 255) -> torch.Tensor:
    """Integer levels 0…mu → waveform in [-1, 1] (the inverse of eq. 2, up to quantisation)."""
    y = 2 * ids.float() / mu - 1
    return torch.sign(y) * ((1 + mu) ** y.abs() - 1) / mu


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class WaveNetConfig:
    quantization_channels: int = 256  # μ-law levels: the one-hot input width and the softmax size
    residual_channels: int = 64
    dilation_channels: int = 64  # width of the gated activation z
    skip_channels: int = 256
    stacks: int = 2  # dilations restart at 1 in each stack (§2.1: "1, 2, 4, …, 512, 1, 2, 4, …")
    layers_per_stack: int = 10
    kernel_size: int = 2
    cond_channels: int = 0  # local conditioning features h_t at the audio rate (eq. 6); 0 = none


class CausalConv1d(nn.Conv1d):
    """A Conv1d padded only on the left, so output t sees inputs ≤ t (Fig. 2/3)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1):
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation)
        self.left_pad = (kernel_size - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, (self.left_pad, 0)))


class ResidualLayer(nn.Module):
    """One dilated layer of Fig. 4: gated activation, then a residual and a skip 1×1 convolution."""

    def __init__(self, cfg: WaveNetConfig, dilation: int, last: bool):
        super().__init__()
        # W_f and W_g of eq. (3) as one convolution with twice the output channels
        self.dilated = CausalConv1d(cfg.residual_channels, 2 * cfg.dilation_channels, cfg.kernel_size, dilation)
        # V_f and V_g of eq. (6), present only when the net is conditioned
        self.cond = nn.Conv1d(cfg.cond_channels, 2 * cfg.dilation_channels, 1) if cfg.cond_channels else None
        self.skip = nn.Conv1d(cfg.dilation_channels, cfg.skip_channels, 1)
        # the last layer's residual output would feed nothing, so it has no residual convolution
        self.residual = None if last else nn.Conv1d(cfg.dilation_channels, cfg.residual_channels, 1)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        a = self.dilated(x)  # (B, 2·dilation, T)
        if self.cond is not None:
            a = a + self.cond(h)  # eq. (6): the same features h shift every layer's gates
        filt, gate = a.chunk(2, dim=1)
        z = torch.tanh(filt) * torch.sigmoid(gate)  # eq. (3), (B, dilation, T)
        out = x + self.residual(z) if self.residual is not None else x  # residual path (§2.4)
        return out, self.skip(z)  # skip path: (B, skip, T)


class WaveNet(nn.Module):
    def __init__(self, cfg: WaveNetConfig = WaveNetConfig()):
        super().__init__()
        self.cfg = cfg
        self.causal = CausalConv1d(cfg.quantization_channels, cfg.residual_channels, cfg.kernel_size)
        self.dilations = [2**i for _ in range(cfg.stacks) for i in range(cfg.layers_per_stack)]
        n = len(self.dilations)
        self.layers = nn.ModuleList(ResidualLayer(cfg, d, last=(i == n - 1)) for i, d in enumerate(self.dilations))
        # Fig. 4's output head on the summed skips: ReLU → 1×1 → ReLU → 1×1 → softmax
        self.post1 = nn.Conv1d(cfg.skip_channels, cfg.skip_channels, 1)
        self.post2 = nn.Conv1d(cfg.skip_channels, cfg.quantization_channels, 1)

    @property
    def receptive_field(self) -> int:
        """Samples that one output depends on: the input convolution plus every dilated layer."""
        return (self.cfg.kernel_size - 1) * (1 + sum(self.dilations)) + 1

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x: one-hot μ-law (B, Q, T) floats, or level ids (B, T). h: (B, cond_channels, T) if conditioned.

        Returns (B, Q, T) logits; position t is the distribution of sample t + 1, so train with
        cross_entropy(logits[..., :-1], ids[:, 1:]).
        """
        if not x.is_floating_point():
            x = F.one_hot(x, self.cfg.quantization_channels).transpose(1, 2).float()
        x = self.causal(x)  # (B, residual, T)
        skips = []
        for layer in self.layers:
            x, s = layer(x, h)
            skips.append(s)
        out = F.relu(torch.stack(skips).sum(0))  # (B, skip, T)
        return self.post2(F.relu(self.post1(out)))  # (B, Q, T)

    @torch.no_grad()
    def generate(
        self,
        n_samples: int,
        prime: torch.Tensor | None = None,
        temperature: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Sample n_samples μ-law ids (1, n) one at a time, unconditionally, drawing from `generator` (None:
        torch's process-wide one). Naive: each step reruns the net on the last receptive field (the paper's
        fast generation caches activations)."""
        device = self.post2.weight.device
        ids = prime if prime is not None else torch.full((1, 1), self.cfg.quantization_channels // 2, device=device)
        start = ids.shape[1]
        for _ in range(n_samples):
            logits = self(ids[:, -self.receptive_field :])[:, :, -1] / temperature  # (1, Q)
            ids = torch.cat([ids, torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)], dim=1)
        return ids[:, start:]


def _example_one_hot(seconds: float = 0.064, sample_rate: int = 16000) -> torch.Tensor:
    """(1, 256, 1024) one-hot μ-law encoding of a 440 Hz tone at 16 kHz."""
    t = torch.arange(int(seconds * sample_rate)) / sample_rate
    ids = mu_law_encode(0.5 * torch.sin(2 * math.pi * 440.0 * t))[None]  # (1, T)
    return F.one_hot(ids, 256).transpose(1, 2).float()


@register_model(
    card=ModelCard(
        key="wavenet",
        name="WaveNet",
        family="WaveNet",
        domain="audio",
        task="audio generation",
        year=2016,
        paper=Paper(
            "WaveNet: A Generative Model for Raw Audio",
            "https://arxiv.org/abs/1609.03499",
            authors="A. van den Oord, S. Dieleman, H. Zen, K. Simonyan, O. Vinyals, A. Graves, N. Kalchbrenner, "
            "A. Senior, K. Kavukcuoglu",
            venue="arXiv preprint (DeepMind)",
        ),
        level="intermediate",
        summary=(
            "An autoregressive generator of raw audio that predicts each sample from all previous ones. "
            "Stacks of dilated causal convolutions double their reach every layer, gated tanh·sigmoid units "
            "with residual and skip connections keep the deep stack trainable, and a 256-way softmax over "
            "μ-law levels gives the next-sample distribution. It set a new bar for natural-sounding speech "
            "synthesis and became the standard neural vocoder."
        ),
        scenarios=(
            "neural vocoder for text-to-speech",
            "unconditional speech or music generation",
            "teaching autoregressive models and dilated convolutions",
        ),
        strengths=(
            "very natural audio: far above earlier parametric and concatenative TTS in listening tests",
            "training is parallel over time (teacher forcing), unlike an RNN",
            "receptive field grows exponentially with depth at little cost",
        ),
        weaknesses=(
            "generation is sequential, one sample at a time: naive sampling is far slower than real time",
            "needs conditioning (linguistic or mel features) to say anything specific",
            "8-bit μ-law output adds audible quantisation noise",
        ),
        params=Figure(906_496, "DeepZoo's stated configuration (paper gives none)"),
        input="one-hot μ-law audio (1, 256, 1024) floats (or ids (1, 1024)); example: a 64 ms 440 Hz tone at 16 kHz",
        output="(1, 256, 1024) logits; position t is the distribution over the μ-law level of sample t+1",
        metric=Metric(
            "MOS naturalness, TTS conditioned on linguistic features + log F0 (a conditioned model, not this config)",
            4.21,
            "MOS (1–5)",
            "Google North American English TTS (24.6 h, single speaker)",
            "van den Oord et al. 2016, Table 1",
        ),
        config_note=(
            "2 stacks × 10 layers, dilations 1…512 (receptive field 2,048 samples = 128 ms at 16 kHz), "
            "64 residual / 64 dilation / 256 skip channels, kernel 2, 256 μ-law levels, kernel-2 causal "
            "input convolution, no residual 1×1 on the last layer, unconditioned (cond_channels=0)."
        ),
        tags=("autoregressive", "dilated convolution", "causal convolution", "vocoder", "tts", "mu-law", "generative"),
        i18n={
            "zh": {
                "task": "音频生成",
                "summary": "直接对原始音频逐样本自回归建模的生成网络：每个样本都由之前所有样本预测。"
                "膨胀因果卷积每层把感受野翻倍，tanh·sigmoid 门控单元配合残差与跳跃连接让深层网络易于训练，"
                "输出层对 μ 律量化后的 256 个电平做 softmax。它大幅提升了语音合成的自然度，并成为神经声码器的标准做法。",
                "scenarios": ["文本转语音中的神经声码器", "无条件的语音或音乐生成", "讲解自回归模型与膨胀卷积"],
                "strengths": [
                    "音频非常自然：听感测试中远超此前的参数合成与拼接合成",
                    "训练时可在时间维度上并行（教师强制），不像 RNN 那样串行",
                    "感受野随深度指数增长，代价很小",
                ],
                "weaknesses": [
                    "生成必须逐样本串行进行，朴素采样远慢于实时",
                    "需要条件输入（语言学特征或梅尔谱）才能说出指定内容",
                    "8 位 μ 律输出会带来可闻的量化噪声",
                ],
                "input": "one-hot 编码的 μ 律音频 (1, 256, 1024) 浮点张量（或电平编号 (1, 1024)）；示例为 16 kHz 下 64 毫秒的 440 Hz 正弦音",
                "output": "(1, 256, 1024) logits；位置 t 给出第 t+1 个样本的 μ 律电平分布",
            }
        },
    ),
    example_input=_example_one_hot,
)
def wavenet(**overrides) -> WaveNet:
    return WaveNet(replace(WaveNetConfig(), **overrides))
