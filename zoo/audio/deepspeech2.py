"""Deep Speech 2 — Amodei et al., "Deep Speech 2: End-to-End Speech Recognition in English and Mandarin"
(ICML 2016). https://arxiv.org/abs/1512.02595

Deep Speech 2 replaced the pipeline of a classic recogniser (acoustic model, pronunciation lexicon,
HMM alignment) with one network trained end to end with CTC (Graves et al. 2006): a spectrogram goes
in, a distribution over characters comes out for every frame, and CTC sums over all the ways the
transcript can be spread across frames, with a "blank" symbol for frames that emit nothing (§3.1).
The paper's recipe: a few 2-D convolutions over time × frequency (invariant to small shifts in pitch
and timing, §3.5), a stack of bidirectional recurrent layers, BatchNorm applied "sequence-wise" to the
recurrent layers' input projections (§3.2), clipped-ReLU activations min(max(x, 0), 20), and a
character softmax.

This file builds the configuration of the widely used reimplementation deepspeech.pytorch
(SeanNaren), whose count is 86,618,400 parameters:
- 161 spectrogram bins (20 ms Hann windows at 16 kHz, n_fft 320, 10 ms hop, log(1 + |STFT|));
- conv 1 → 32, kernel 41 × 11 (frequency × time), stride 2 × 2; conv 32 → 32, kernel 21 × 11,
  stride 2 × 1; each with BatchNorm and hardtanh(0, 20) (the clipped ReLU of §3.1);
  161 bins → 81 → 41, so each frame reaching the RNN holds 32 × 41 = 1,312 features;
- 5 bidirectional LSTM layers of 1,024 units whose two directions are SUMMED (not concatenated),
  each but the first preceded by sequence-wise BatchNorm;
- BatchNorm + a bias-free linear layer to 29 symbols: CTC blank, apostrophe, A–Z, space.
The paper's largest English systems used 3 convolutions and 7 GRU/RNN layers of up to 2,560 units;
the LSTM variant here is the reimplementation's default, not one of the paper's rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model

LABELS = "_'ABCDEFGHIJKLMNOPQRSTUVWXYZ "  # index 0 "_" is the CTC blank


@dataclass(frozen=True)
class DeepSpeech2Config:
    n_freq: int = 161  # n_fft 320 → 161 bins
    conv_channels: int = 32
    conv1_kernel: tuple[int, int] = (41, 11)  # (frequency, time)
    conv1_stride: tuple[int, int] = (2, 2)
    conv2_kernel: tuple[int, int] = (21, 11)
    conv2_stride: tuple[int, int] = (2, 1)
    rnn_layers: int = 5
    rnn_hidden: int = 1024
    num_classes: int = len(LABELS)  # 29


def conv_out(length: int | torch.Tensor, kernel: int, stride: int, padding: int):
    """Output length of a convolution (dilation 1): ⌊(L + 2p − k) / s⌋ + 1."""
    return (length + 2 * padding - kernel) // stride + 1


class SequenceWiseBatchNorm(nn.Module):
    """BatchNorm1d over every (time, batch) position at once: the statistics are taken over all frames of
    the minibatch, as the paper's sequence-wise normalisation does (§3.2)."""

    def __init__(self, features: int):
        super().__init__()
        self.bn = nn.BatchNorm1d(features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t, b, f = x.shape
        return self.bn(x.reshape(t * b, f)).view(t, b, f)


class BatchRNN(nn.Module):
    """[sequence-wise BN →] bidirectional LSTM, with the forward and backward outputs added."""

    def __init__(self, input_size: int, hidden: int, batch_norm: bool):
        super().__init__()
        self.norm = SequenceWiseBatchNorm(input_size) if batch_norm else nn.Identity()
        self.rnn = nn.LSTM(input_size, hidden, bidirectional=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x, _ = self.rnn(self.norm(x))  # (T, B, 2·hidden)
        t, b, _ = x.shape
        return x.view(t, b, 2, -1).sum(2)  # (T, B, hidden): summing keeps the next layer's input at 1,024


class DeepSpeech2(nn.Module):
    def __init__(self, cfg: DeepSpeech2Config = DeepSpeech2Config()):
        super().__init__()
        self.cfg = cfg
        c = cfg.conv_channels
        (k1f, k1t), (s1f, s1t) = cfg.conv1_kernel, cfg.conv1_stride
        (k2f, k2t), (s2f, s2t) = cfg.conv2_kernel, cfg.conv2_stride
        self.paddings = ((k1f // 2, k1t // 2), (k2f // 2, k2t // 2))  # (20, 5), (10, 5)
        self.conv = nn.Sequential(
            nn.Conv2d(1, c, cfg.conv1_kernel, stride=cfg.conv1_stride, padding=self.paddings[0]),
            nn.BatchNorm2d(c),
            nn.Hardtanh(0, 20, inplace=True),  # clipped ReLU: min(max(x, 0), 20)
            nn.Conv2d(c, c, cfg.conv2_kernel, stride=cfg.conv2_stride, padding=self.paddings[1]),
            nn.BatchNorm2d(c),
            nn.Hardtanh(0, 20, inplace=True),
        )
        freq = conv_out(conv_out(cfg.n_freq, k1f, s1f, k1f // 2), k2f, s2f, k2f // 2)  # 161 → 81 → 41
        self.rnns = nn.ModuleList(
            BatchRNN(c * freq if i == 0 else cfg.rnn_hidden, cfg.rnn_hidden, batch_norm=i > 0)
            for i in range(cfg.rnn_layers)
        )
        self.fc = nn.Sequential(
            SequenceWiseBatchNorm(cfg.rnn_hidden),
            nn.Linear(cfg.rnn_hidden, cfg.num_classes, bias=False),  # the BN before it supplies the shift
        )

    def output_lengths(self, lengths: torch.Tensor) -> torch.Tensor:
        """Frames the CTC loss sees for inputs of `lengths` frames: only the time strides shrink them."""
        (_, k1t), (_, s1t) = self.cfg.conv1_kernel, self.cfg.conv1_stride
        (_, k2t), (_, s2t) = self.cfg.conv2_kernel, self.cfg.conv2_stride
        return conv_out(conv_out(lengths, k1t, s1t, k1t // 2), k2t, s2t, k2t // 2)

    def forward(self, spect: torch.Tensor) -> torch.Tensor:
        """(B, 1, 161, T) log spectrogram → (B, T', 29) per-frame character logits, T' = ⌊(T − 1)/2⌋ + 1.

        Utterances in a batch are assumed to share one length (no packing)."""
        x = self.conv(spect)  # (B, 32, 41, T')
        b, c, f, t = x.shape
        x = x.view(b, c * f, t).permute(2, 0, 1)  # (T', B, 1312): one feature vector per frame
        for rnn in self.rnns:
            x = rnn(x)  # (T', B, 1024)
        return self.fc(x).transpose(0, 1)  # (B, T', 29); softmax / log-softmax is the caller's (CTC) business


def greedy_ctc_decode(logits: torch.Tensor, labels: str = LABELS, blank: int = 0) -> list[str]:
    """Best-path CTC decoding: the most likely symbol per frame, repeats merged, then blanks removed
    (Graves et al. 2006). (B, T, C) → B strings."""
    out = []
    for best in logits.argmax(-1).tolist():
        keep = [s for i, s in enumerate(best) if s != blank and (i == 0 or s != best[i - 1])]
        out.append("".join(labels[s] for s in keep))
    return out


def spectrogram(
    wave: torch.Tensor, sample_rate: int = 16000, window_s: float = 0.02, hop_s: float = 0.01
) -> torch.Tensor:
    """(samples,) waveform → (1, 1, 161, frames): log(1 + |STFT|) per utterance, mean/std normalised,
    as deepspeech.pytorch prepares its input."""
    n_fft = int(sample_rate * window_s)  # 320 at 16 kHz
    spec = torch.stft(
        wave.float(), n_fft, hop_length=int(sample_rate * hop_s), window=torch.hann_window(n_fft), return_complex=True
    )
    spec = torch.log1p(spec.abs())  # (161, frames)
    spec = (spec - spec.mean()) / (spec.std() + 1e-5)
    return spec[None, None]


def _example() -> torch.Tensor:
    """0.25 s of a 16 kHz chirp → (1, 1, 161, 26) spectrogram (13 output frames). Short on purpose: at batch
    size 1 each LSTM step reads 16 MB of weights per direction, so time steps, not FLOPs, set the CPU cost."""
    t = torch.arange(4000) / 16000
    return spectrogram(0.5 * torch.sin(2 * math.pi * (300 * t + 800 * t**2)))


@register_model(
    card=ModelCard(
        key="deepspeech2",
        name="Deep Speech 2",
        family="Deep Speech",
        domain="audio",
        task="speech recognition",
        year=2016,
        paper=Paper(
            "Deep Speech 2: End-to-End Speech Recognition in English and Mandarin",
            "https://arxiv.org/abs/1512.02595",
            authors="D. Amodei, R. Anubhai, E. Battenberg, C. Case, J. Casper, B. Catanzaro, et al. (Baidu Research)",
            venue="ICML 2016",
        ),
        level="intermediate",
        summary=(
            "An end-to-end speech recogniser: 2-D convolutions over the spectrogram, a deep stack of "
            "bidirectional recurrent layers with sequence-wise BatchNorm, and a per-frame character "
            "classifier trained with CTC, which needs no frame-level alignment. It showed that one network, "
            "lots of data and fast training can replace the hand-built pipeline of classic recognisers, in "
            "English and in Mandarin."
        ),
        scenarios=(
            "speech-to-text with a character vocabulary",
            "teaching CTC training and decoding",
            "baseline for end-to-end ASR experiments",
        ),
        strengths=(
            "no lexicon, phonemes or alignments: trained from (audio, transcript) pairs",
            "CTC output can be decoded greedily or with a beam search and language model",
            "convolutions make the features robust to small shifts in pitch and timing",
        ),
        weaknesses=(
            "bidirectional LSTMs need the whole utterance, so it cannot stream as is",
            "CTC assumes frames are independent given the audio; an external language model helps a lot",
            "recurrent layers are slow to run and train compared with Transformers and Conformers",
        ),
        params=Figure(86_618_400, "deepspeech.pytorch (SeanNaren) default model, the common DS2 reimplementation"),
        input=(
            "log spectrogram (1, 1, 161, 26): 0.25 s at 16 kHz, 20 ms windows every 10 ms "
            "(short to keep the CPU demo fast)"
        ),
        output="(1, 13, 29) per-frame logits over CTC blank, apostrophe, A–Z and space",
        metric=Metric(
            "WER of the paper's full English system (larger than this configuration), test-other 13.25",
            5.33,
            "WER %",
            "LibriSpeech test-clean",
            "Amodei et al. 2016, Table 13",
        ),
        config_note=(
            "deepspeech.pytorch layout: conv 1→32 (41×11, stride 2×2) and 32→32 (21×11, stride 2×1), each with "
            "BatchNorm and hardtanh(0, 20); 161 bins → 41, so 1,312 features per frame; 5 bidirectional LSTM "
            "layers of 1,024 with directions summed and sequence-wise BatchNorm before layers 2–5; BatchNorm + "
            "linear 1,024→29 without bias. Conv 251,168 + LSTMs 86,327,296 + BNs 8,192 + head 31,744 = 86,618,400."
        ),
        tags=("rnn", "lstm", "bidirectional", "ctc", "asr", "speech", "batchnorm", "convolution"),
        i18n={
            "zh": {
                "task": "语音识别",
                "summary": "端到端的语音识别器：在频谱图上做二维卷积，接一叠带序列级 BatchNorm 的双向循环层，"
                "再用逐帧的字符分类器，以 CTC 训练，无需帧级对齐。它证明了一个网络、大量数据和快速训练就能取代"
                "传统识别器手工搭建的流水线，在英语和普通话上都成立。",
                "scenarios": ["以字符为词表的语音转文字", "讲解 CTC 的训练与解码", "端到端 ASR 实验的基线"],
                "strengths": [
                    "无需词典、音素或对齐：只用（音频，文本）对训练",
                    "CTC 输出可贪心解码，也可配合语言模型做束搜索",
                    "卷积让特征对音高和时间上的小幅偏移更稳健",
                ],
                "weaknesses": [
                    "双向 LSTM 需要完整语句，原样无法流式识别",
                    "CTC 假设给定音频时各帧独立，外部语言模型帮助很大",
                    "与 Transformer、Conformer 相比，循环层运行和训练都慢",
                ],
                "input": "对数频谱图 (1, 1, 161, 26)：16 kHz 下 0.25 秒，20 毫秒窗、10 毫秒帧移（取短以便在 CPU 上快速演示）",
                "output": "(1, 13, 29) 的逐帧 logits，类别为 CTC 空白、撇号、A–Z 和空格",
                "config_note": "deepspeech.pytorch 结构：卷积 1→32（41×11，步长 2×2）和 32→32（21×11，步长 2×1），"
                "各带 BatchNorm 与 hardtanh(0, 20)；161 个频点降到 41，每帧 1,312 维特征；5 层 1,024 单元双向 LSTM，"
                "两个方向相加，第 2–5 层前有序列级 BatchNorm；BatchNorm + 无偏置线性层 1,024→29。"
                "卷积 251,168 + LSTM 86,327,296 + BN 8,192 + 输出头 31,744 = 86,618,400。",
            }
        },
    ),
    example_input=_example,
)
def deepspeech2(**overrides) -> DeepSpeech2:
    return DeepSpeech2(replace(DeepSpeech2Config(), **overrides))
