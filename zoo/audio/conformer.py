"""Conformer — Gulati et al., "Conformer: Convolution-augmented Transformer for Speech Recognition" (2020).
https://arxiv.org/abs/2005.08100

Self-attention sees the whole utterance (global context); convolution sees neighbouring frames
(local detail, e.g. formant transitions). A Conformer block uses both, sandwiched between two
half-step feed-forward modules like a Macaron (eq. 1):

    x̃ = x + ½ FFN(x);  x' = x̃ + MHSA(x̃);  x'' = x' + Conv(x');  y = LayerNorm(x'' + ½ FFN(x''))

The attention uses Transformer-XL's relative sinusoidal positions, so it generalises across
utterance lengths; the convolution module is pointwise conv → GLU → depthwise conv → BatchNorm →
Swish → pointwise conv (Fig. 2). Before the blocks, two stride-2 convolutions cut the 10 ms
log-mel frames to 40 ms (Fig. 1).

The paper trains the encoder as a transducer (RNN-T) with a single-LSTM-layer decoder. This file
builds Conformer-S (Table 1: 16 layers, d=144, 4 heads, kernel 32, decoder dim 320) as such a
transducer: encoder, prediction network (embedding + 1-layer LSTM of 320) and joint network
over a 1,024-symbol vocabulary (blank + 1,023 word pieces; the paper does not state it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from .features import log_mel_spectrogram


@dataclass(frozen=True)
class ConformerConfig:
    n_mels: int = 80  # 80-channel filterbanks, 25 ms windows, 10 ms stride (§3.1)
    d_model: int = 144  # encoder dim
    n_layers: int = 16
    n_heads: int = 4
    ff_expansion: int = 4
    conv_kernel: int = 32  # depthwise kernel: 32 frames × 40 ms ≈ 1.3 s of local context
    conv_expansion: int = 2  # the first pointwise conv doubles channels; GLU halves them again
    dropout: float = 0.1
    vocab_size: int = 1024  # output symbols including blank (DeepZoo's choice)
    blank: int = 0
    decoder_dim: int = 320  # the single LSTM layer of the prediction network
    joint_dim: int = 320


# --------------------------------------------------------------------------- encoder


class ConvSubsampling(nn.Module):
    """Two 3×3 stride-2 convolutions over (time, mel): 4× fewer frames, then a linear map to d_model."""

    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        d = cfg.d_model
        self.conv1 = nn.Conv2d(1, d, 3, stride=2)
        self.conv2 = nn.Conv2d(d, d, 3, stride=2)
        freq = ((cfg.n_mels - 1) // 2 - 1) // 2  # 80 → 39 → 19 mel bins left
        self.linear = nn.Linear(d * freq, d)  # the "Linear" box of Fig. 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.conv1(x.unsqueeze(1)))  # (B, d, T/2, 39)
        x = F.relu(self.conv2(x))  # (B, d, T/4, 19)
        b, c, t, f = x.shape
        return self.linear(x.transpose(1, 2).reshape(b, t, c * f))  # (B, T/4, d)


class FeedForwardModule(nn.Module):
    """Fig. 4: pre-norm, expand 4×, Swish, project back; the block applies it with a ½ weight."""

    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        self.norm = nn.LayerNorm(cfg.d_model)
        self.expand = nn.Linear(cfg.d_model, cfg.ff_expansion * cfg.d_model)
        self.project = nn.Linear(cfg.ff_expansion * cfg.d_model, cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.dropout(F.silu(self.expand(self.norm(x))))  # Swish = SiLU
        return self.dropout(self.project(x))


def relative_positions(length: int, dim: int, device: torch.device | None = None) -> torch.Tensor:
    """Sinusoidal encodings of the relative distances length-1, …, 0, …, -(length-1): (2·length-1, dim)."""
    distance = torch.arange(length - 1, -length, -1, device=device, dtype=torch.float32)[:, None]
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    pe = torch.zeros(2 * length - 1, dim, device=device)
    pe[:, 0::2] = torch.sin(distance * freq)
    pe[:, 1::2] = torch.cos(distance * freq)
    return pe


class RelativeMultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with Transformer-XL relative positions (Dai et al. 2019, §3.3).

    score(i, j) = (q_i + u)·k_j + (q_i + v)·W_R r_{i-j}: a content term and a distance term, with
    learned global biases u and v in place of the absolute position of the query.
    """

    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        d, h = cfg.d_model, cfg.n_heads
        self.n_heads, self.d_head = h, d // h
        self.query, self.key, self.value, self.out = (nn.Linear(d, d) for _ in range(4))
        self.pos = nn.Linear(d, d, bias=False)  # W_R: projects the sinusoid r_{i-j}
        self.pos_bias_u = nn.Parameter(torch.zeros(h, self.d_head))
        self.pos_bias_v = nn.Parameter(torch.zeros(h, self.d_head))
        self.dropout = nn.Dropout(cfg.dropout)

    def split_heads(self, y: torch.Tensor) -> torch.Tensor:
        return y.view(y.shape[0], y.shape[1], self.n_heads, self.d_head).transpose(1, 2)  # (B, H, ·, dh)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, d = x.shape
        q, k, v = self.split_heads(self.query(x)), self.split_heads(self.key(x)), self.split_heads(self.value(x))
        r = self.split_heads(self.pos(relative_positions(t, d, x.device))[None])  # (1, H, 2T-1, dh)
        content = (q + self.pos_bias_u[:, None]) @ k.transpose(-2, -1)  # (B, H, T, T)
        position = (q + self.pos_bias_v[:, None]) @ r.transpose(-2, -1)  # (B, H, T, 2T-1), one column per distance
        # keep, for query i and key j, the column of distance i - j (index T-1-(i-j) in r)
        i = torch.arange(t, device=x.device)
        column = (t - 1 - i[:, None] + i[None, :]).expand(b, self.n_heads, t, t)
        position = position.gather(-1, column)  # (B, H, T, T)
        att = self.dropout(F.softmax((content + position) / math.sqrt(self.d_head), dim=-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, d)
        return self.out(y)


class MultiHeadSelfAttentionModule(nn.Module):
    """Fig. 3: LayerNorm → relative-position MHSA → dropout."""

    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        self.norm = nn.LayerNorm(cfg.d_model)
        self.attention = RelativeMultiHeadSelfAttention(cfg)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.attention(self.norm(x)))


class ConvolutionModule(nn.Module):
    """Fig. 2: the local-context half of the block, on (B, channels, T)."""

    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        d = cfg.d_model
        self.norm = nn.LayerNorm(d)
        self.pointwise1 = nn.Conv1d(d, cfg.conv_expansion * d, 1)
        self.depthwise = nn.Conv1d(d, d, cfg.conv_kernel, groups=d)
        k = cfg.conv_kernel
        self.same_padding = ((k - 1) // 2, k // 2)  # keeps T frames; an even kernel (32) gets one more on the right
        self.batch_norm = nn.BatchNorm1d(d)
        self.pointwise2 = nn.Conv1d(d, d, 1)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(x).transpose(1, 2)  # (B, d, T)
        x = F.glu(self.pointwise1(x), dim=1)  # gated linear unit: (B, 2d, T) → (B, d, T)
        x = self.depthwise(F.pad(x, self.same_padding))  # each channel filtered over time on its own
        x = F.silu(self.batch_norm(x))
        return self.dropout(self.pointwise2(x)).transpose(1, 2)  # (B, T, d)


class ConformerBlock(nn.Module):
    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        self.ff1 = FeedForwardModule(cfg)
        self.attention = MultiHeadSelfAttentionModule(cfg)
        self.conv = ConvolutionModule(cfg)
        self.ff2 = FeedForwardModule(cfg)
        self.norm = nn.LayerNorm(cfg.d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # eq. (1): the two feed-forward halves sandwich attention and convolution (Macaron-Net)
        x = x + 0.5 * self.ff1(x)
        x = x + self.attention(x)
        x = x + self.conv(x)
        x = x + 0.5 * self.ff2(x)
        return self.norm(x)


class ConformerEncoder(nn.Module):
    def __init__(self, cfg: ConformerConfig):
        super().__init__()
        self.subsampling = ConvSubsampling(cfg)
        self.dropout = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(ConformerBlock(cfg) for _ in range(cfg.n_layers))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = self.dropout(self.subsampling(features))  # (B, T/4, d)
        for block in self.blocks:
            x = block(x)
        return x


# --------------------------------------------------------------------------- transducer decoder


class Conformer(nn.Module):
    """Conformer encoder + RNN-T decoder (prediction network and joint network)."""

    def __init__(self, cfg: ConformerConfig = ConformerConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = ConformerEncoder(cfg)
        # prediction network: a language model over the symbols emitted so far
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.decoder_dim)
        self.decoder = nn.LSTM(cfg.decoder_dim, cfg.decoder_dim, batch_first=True)
        # joint network: combines one acoustic frame with one label context
        self.joint_encoder = nn.Linear(cfg.d_model, cfg.joint_dim)
        self.joint_decoder = nn.Linear(cfg.decoder_dim, cfg.joint_dim)
        self.output = nn.Linear(cfg.joint_dim, cfg.vocab_size)

    def predict(self, tokens: torch.Tensor, state=None) -> tuple[torch.Tensor, tuple]:
        """(B, U) previous symbols → (B, U, decoder_dim) label contexts and the LSTM state."""
        return self.decoder(self.embedding(tokens), state)

    def joint(self, frames: torch.Tensor, contexts: torch.Tensor) -> torch.Tensor:
        """(B, T, d) and (B, U, decoder_dim) → (B, T, U, vocab) logits, every frame with every context."""
        h = self.joint_encoder(frames)[:, :, None] + self.joint_decoder(contexts)[:, None]
        return self.output(torch.tanh(h))

    def forward(self, features: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """features: (B, T, n_mels) log-mel; tokens: (B, U) target ids (no blanks).

        Returns (B, T/4, U+1, vocab) logits: the lattice an RNN-T loss sums over
        (e.g. torch's own or k2's rnnt_loss). Utterances in a batch are assumed unpadded.
        """
        frames = self.encoder(features)  # (B, T', d)
        start = torch.full_like(tokens[:, :1], self.cfg.blank)  # blank doubles as start-of-sequence
        contexts, _ = self.predict(torch.cat([start, tokens], dim=1))  # (B, U+1, decoder_dim)
        return self.joint(frames, contexts)

    @torch.no_grad()
    def greedy_decode(self, features: torch.Tensor, max_symbols_per_frame: int = 5) -> list[list[int]]:
        """Transducer greedy search: at each frame emit symbols until the joint network says blank."""
        hyps = []
        for frames in self.encoder(features):  # (T', d) per utterance
            hyp: list[int] = []
            context, state = self.predict(torch.full((1, 1), self.cfg.blank, device=frames.device))
            for frame in frames:
                for _ in range(max_symbols_per_frame):
                    symbol = self.joint(frame[None, None], context).argmax().item()
                    if symbol == self.cfg.blank:
                        break
                    hyp.append(symbol)
                    context, state = self.predict(torch.full((1, 1), symbol, device=frames.device), state)
            hyps.append(hyp)
        return hyps


def _example() -> dict[str, torch.Tensor]:
    """Log-mel of a 2 s, 16 kHz chirp (1, 201, 80) and a 12-token transcript."""
    sr = 16000
    t = torch.arange(2 * sr) / sr
    chirp = 0.5 * torch.sin(2 * math.pi * (200 * t + 400 * t**2))  # 200 Hz rising to 1.8 kHz
    return {"features": log_mel_spectrogram(chirp, sr)[None], "tokens": torch.randint(1, 1024, (1, 12))}


@register_model(
    card=ModelCard(
        key="conformer_s",
        name="Conformer-S",
        family="Conformer",
        domain="audio",
        task="speech recognition",
        year=2020,
        paper=Paper(
            "Conformer: Convolution-augmented Transformer for Speech Recognition",
            "https://arxiv.org/abs/2005.08100",
            authors="A. Gulati, J. Qin, C.-C. Chiu, N. Parmar, Y. Zhang, J. Yu, W. Han, S. Wang, Z. Zhang, "
            "Y. Wu, R. Pang",
            venue="Interspeech 2020",
        ),
        level="advanced",
        summary=(
            "A speech-recognition encoder that combines self-attention (global context) with convolution "
            "(local patterns) in every block: two half-step feed-forward layers sandwich relative-position "
            "attention and a depthwise-convolution module. Trained as a transducer, the small 10M-parameter "
            "model matched much larger Transformer and CNN systems on LibriSpeech, and the Conformer became "
            "the default ASR encoder."
        ),
        scenarios=(
            "automatic speech recognition",
            "on-device or streaming-friendly small ASR models",
            "speech encoders for translation, keyword spotting or speaker tasks",
        ),
        strengths=(
            "state-of-the-art word error rates per parameter",
            "relative positions handle utterances of any length",
            "convolution captures local acoustics that attention alone misses",
        ),
        weaknesses=(
            "attention cost grows quadratically with utterance length",
            "BatchNorm in the convolution module is awkward for streaming and small batches",
            "transducer training needs a specialised loss and lots of labelled speech",
        ),
        params=Figure(10.3e6, "Gulati et al. 2020, Table 1", approx=True),
        input="log-mel spectrogram (1, 201, 80) of 2 s at 16 kHz, plus target tokens (1, 12)",
        output="(1, 49, 13, 1024) transducer joint logits: each 40 ms frame × each label prefix × vocabulary",
        metric=Metric(
            "word error rate without LM, test-clean (test-other: 6.3)",
            2.7,
            "WER %",
            "LibriSpeech test-clean",
            "Gulati et al. 2020, Table 2",
        ),
        config_note=(
            "Encoder 8,692,416 params (conv subsampling ×4 to d=144: 582,336; 16 blocks × 506,880 with "
            "relative-position MHSA incl. W_R and u/v biases). Transducer decoder 1,627,264: embedding "
            "1,024×320, 1-layer LSTM 320, joint 144→320 + 320→320, tanh, 320→1,024. Total 10,319,680 "
            "(+0.2% vs 10.3M). The 1,024-symbol vocabulary and joint size are DeepZoo's choices; "
            "the paper gives neither."
        ),
        tags=("transformer", "convolution", "asr", "speech", "transducer", "rnn-t", "librispeech", "attention"),
        i18n={
            "zh": {
                "task": "语音识别",
                "summary": "一种把自注意力（全局上下文）与卷积（局部模式）结合在每个模块里的语音识别编码器："
                "两个半步前馈层夹着相对位置自注意力和深度卷积模块。以 Transducer 方式训练时，"
                "仅 1000 万参数的小模型就在 LibriSpeech 上追平了大得多的 Transformer 和 CNN 系统，Conformer 也由此成为默认的 ASR 编码器。",
                "scenarios": ["自动语音识别", "端侧或适合流式的小型 ASR 模型", "用于语音翻译、关键词识别或说话人任务的语音编码器"],
                "strengths": ["同等参数量下词错误率领先", "相对位置编码可处理任意长度的语音", "卷积捕捉到仅靠注意力容易遗漏的局部声学特征"],
                "weaknesses": [
                    "注意力的计算量随语音长度平方增长",
                    "卷积模块中的 BatchNorm 不利于流式识别和小批量",
                    "Transducer 训练需要专门的损失函数和大量标注语音",
                ],
                "input": "2 秒 16 kHz 音频的对数梅尔谱 (1, 201, 80)，以及目标词元 (1, 12)",
                "output": "(1, 49, 13, 1024) 的 Transducer 联合网络 logits：每个 40 毫秒帧 × 每个标签前缀 × 词表",
            }
        },
    ),
    example_input=_example,
)
def conformer_s(**overrides) -> Conformer:
    return Conformer(replace(ConformerConfig(), **overrides))
