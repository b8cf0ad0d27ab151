"""Tacotron 2 — Shen, Pang, Weiss, Schuster, Jaitly, Yang, Chen, Zhang, Wang, Skerry-Ryan, Saurous,
Agiomyrgiannakis & Wu, "Natural TTS Synthesis by Conditioning WaveNet on Mel Spectrogram Predictions"
(ICASSP 2018). https://arxiv.org/abs/1712.05884

Tacotron 2 turns characters into a mel spectrogram with an attention-based sequence-to-sequence network;
a vocoder (WaveNet in the paper) then turns the spectrogram into a waveform. The spectrogram predictor
(paper §2.2, Fig. 1):
- **Encoder**: 512-d character embeddings → 3 convolutions (512 filters of 5 characters, BatchNorm,
  ReLU; each sees a little context, like an n-gram) → one bidirectional LSTM of 256 units per direction:
  one 512-d annotation per character.
- **Location-sensitive attention** (Chorowski et al. 2015): the energy of character j at decoder step i
  is e_ij = vᵀ tanh(W s_i + V h_j + U f_ij + b), where f_ij are 32 convolution filters of length 31 over
  the previous and cumulative attention weights. Knowing where it attended before nudges the attention
  to move forward monotonically instead of skipping or repeating words.
- **Autoregressive decoder**: the previous mel frame goes through a "pre-net" (2 × 256 ReLU layers with
  dropout 0.5, kept on at inference too — the paper's trick for output variation), is concatenated with
  the attention context and passes 2 LSTM layers of 1,024 units; [LSTM output; context] is projected
  linearly to the next 80-band mel frame and to a "stop token" probability that ends generation.
- **Post-net**: 5 convolutions (512 filters of 5 frames, BatchNorm, tanh except the last) predict a
  residual that refines the whole spectrogram at once.

As in NVIDIA's reference implementation, the first decoder LSTM ("attention RNN") produces the query of
the attention and the second ("decoder RNN") reads its output and the new context; the symbol table has
148 entries (padding, punctuation, 52 letters and 84 ARPAbet phonemes). That gives 28,193,153 parameters;
the paper gives no count. Training is teacher-forced: the decoder's input at step t is the ground-truth
frame t − 1, which is what `forward` does. Utterances are assumed unpadded (batch of equal lengths).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model

# The character part of the 148-symbol table (indices 0–63); indices 64–147 are ARPAbet phonemes.
CHARACTERS = "_-!'(),.:;? " + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def text_to_ids(text: str) -> torch.Tensor:
    """Characters → (1, len) symbol ids; characters outside the table are dropped."""
    return torch.tensor([[CHARACTERS.index(c) for c in text if c in CHARACTERS]])


@dataclass(frozen=True)
class Tacotron2Config:
    n_symbols: int = 148
    embedding_dim: int = 512
    encoder_convs: int = 3
    encoder_kernel: int = 5
    n_mels: int = 80
    prenet_dim: int = 256
    prenet_dropout: float = 0.5
    prenet_dropout_at_inference: bool = True  # §2.2: the pre-net keeps its dropout at inference time
    attention_rnn_dim: int = 1024
    decoder_rnn_dim: int = 1024
    attention_dim: int = 128
    location_filters: int = 32
    location_kernel: int = 31
    rnn_dropout: float = 0.1  # zoneout 0.1 in the paper; dropout on the LSTM outputs here, as NVIDIA's
    postnet_dim: int = 512
    postnet_convs: int = 5
    postnet_kernel: int = 5


class Tacotron2Output(NamedTuple):
    mel_postnet: torch.Tensor  # (B, 80, T) final prediction: decoder output + post-net residual
    mel: torch.Tensor  # (B, 80, T) decoder output before the post-net (also trained against the target)
    stop_logits: torch.Tensor  # (B, T) stop-token logits; sigmoid > 0.5 ends inference
    alignments: torch.Tensor  # (B, T, N) attention weights of each decoder step over the N characters


class ConvBN(nn.Sequential):
    """Conv1d ('same' padding) → BatchNorm; the activation is applied by the caller."""

    def __init__(self, cin: int, cout: int, kernel: int):
        super().__init__(nn.Conv1d(cin, cout, kernel, padding=kernel // 2), nn.BatchNorm1d(cout))


class Encoder(nn.Module):
    def __init__(self, cfg: Tacotron2Config):
        super().__init__()
        d = cfg.embedding_dim
        self.convs = nn.ModuleList(ConvBN(d, d, cfg.encoder_kernel) for _ in range(cfg.encoder_convs))
        self.lstm = nn.LSTM(d, d // 2, batch_first=True, bidirectional=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.transpose(1, 2)  # (B, 512, N)
        for conv in self.convs:
            x = F.dropout(F.relu(conv(x)), 0.5, self.training)
        out, _ = self.lstm(x.transpose(1, 2))  # (B, N, 2 × 256): forward and backward states concatenated
        return out


class LocationSensitiveAttention(nn.Module):
    """e_ij = vᵀ tanh(W s_i + V h_j + U f_ij), f_i = conv([α_{i−1}; Σ_{k<i} α_k]); α_i = softmax_j(e_ij)."""

    def __init__(self, cfg: Tacotron2Config):
        super().__init__()
        d = cfg.attention_dim
        self.query = nn.Linear(cfg.attention_rnn_dim, d, bias=False)  # W
        self.memory = nn.Linear(cfg.embedding_dim, d, bias=False)  # V, applied once per utterance
        self.location_conv = nn.Conv1d(
            2, cfg.location_filters, cfg.location_kernel, padding=cfg.location_kernel // 2, bias=False
        )
        self.location_dense = nn.Linear(cfg.location_filters, d, bias=False)  # U
        self.v = nn.Linear(d, 1, bias=False)

    def forward(
        self, query: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor, previous: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, 1024); memory (B, N, 512); keys = V memory (B, N, 128); previous (B, 2, N) =
        [last weights; cumulative weights] → context (B, 512), weights (B, N) summing to 1."""
        location = self.location_dense(self.location_conv(previous).transpose(1, 2))  # (B, N, 128)
        energies = self.v(torch.tanh(self.query(query)[:, None] + keys + location))[..., 0]  # (B, N)
        weights = F.softmax(energies, dim=-1)
        return torch.bmm(weights[:, None], memory)[:, 0], weights


class Decoder(nn.Module):
    def __init__(self, cfg: Tacotron2Config):
        super().__init__()
        self.cfg = cfg
        self.prenet = nn.ModuleList(
            [nn.Linear(cfg.n_mels, cfg.prenet_dim, bias=False), nn.Linear(cfg.prenet_dim, cfg.prenet_dim, bias=False)]
        )
        self.attention_rnn = nn.LSTMCell(cfg.prenet_dim + cfg.embedding_dim, cfg.attention_rnn_dim)
        self.attention = LocationSensitiveAttention(cfg)
        self.decoder_rnn = nn.LSTMCell(cfg.attention_rnn_dim + cfg.embedding_dim, cfg.decoder_rnn_dim)
        self.mel_projection = nn.Linear(cfg.decoder_rnn_dim + cfg.embedding_dim, cfg.n_mels)
        self.stop_projection = nn.Linear(cfg.decoder_rnn_dim + cfg.embedding_dim, 1)

    def run_prenet(self, frames: torch.Tensor) -> torch.Tensor:
        keep_dropout = self.training or self.cfg.prenet_dropout_at_inference
        for layer in self.prenet:
            frames = F.dropout(F.relu(layer(frames)), self.cfg.prenet_dropout, keep_dropout)
        return frames

    def initial_state(self, memory: torch.Tensor) -> dict[str, torch.Tensor]:
        b, n, d = memory.shape
        z = memory.new_zeros
        return {
            "att_h": z(b, self.cfg.attention_rnn_dim), "att_c": z(b, self.cfg.attention_rnn_dim),
            "dec_h": z(b, self.cfg.decoder_rnn_dim), "dec_c": z(b, self.cfg.decoder_rnn_dim),
            "weights": z(b, n), "cumulative": z(b, n), "context": z(b, d),
        }  # fmt: skip

    def step(self, prenet_out: torch.Tensor, memory: torch.Tensor, keys: torch.Tensor, s: dict) -> tuple:
        """One decoder step: previous frame (through the pre-net) → next frame, stop logit, attention weights."""
        p = self.cfg.rnn_dropout
        s["att_h"], s["att_c"] = self.attention_rnn(torch.cat([prenet_out, s["context"]], -1), (s["att_h"], s["att_c"]))
        s["att_h"] = F.dropout(s["att_h"], p, self.training)
        previous = torch.stack([s["weights"], s["cumulative"]], dim=1)  # (B, 2, N)
        s["context"], s["weights"] = self.attention(s["att_h"], memory, keys, previous)
        s["cumulative"] = s["cumulative"] + s["weights"]
        s["dec_h"], s["dec_c"] = self.decoder_rnn(torch.cat([s["att_h"], s["context"]], -1), (s["dec_h"], s["dec_c"]))
        s["dec_h"] = F.dropout(s["dec_h"], p, self.training)
        out = torch.cat([s["dec_h"], s["context"]], -1)  # (B, 1024 + 512)
        return self.mel_projection(out), self.stop_projection(out)[:, 0], s["weights"]

    def forward(self, memory: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Teacher forcing: step t reads ground-truth frame t − 1 (an all-zero "go" frame at t = 0)."""
        go = targets.new_zeros(targets.shape[0], targets.shape[1], 1)
        inputs = self.run_prenet(torch.cat([go, targets[:, :, :-1]], dim=2).transpose(1, 2))  # (B, T, 256)
        keys = self.attention.memory(memory)  # (B, N, 128), computed once for all steps
        state = self.initial_state(memory)
        mels, stops, aligns = [], [], []
        for t in range(inputs.shape[1]):
            mel, stop, weights = self.step(inputs[:, t], memory, keys, state)
            mels.append(mel)
            stops.append(stop)
            aligns.append(weights)
        return torch.stack(mels, 2), torch.stack(stops, 1), torch.stack(aligns, 1)  # (B,80,T), (B,T), (B,T,N)


class Postnet(nn.Module):
    def __init__(self, cfg: Tacotron2Config):
        super().__init__()
        dims = [cfg.n_mels] + [cfg.postnet_dim] * (cfg.postnet_convs - 1) + [cfg.n_mels]
        self.convs = nn.ModuleList(ConvBN(dims[i], dims[i + 1], cfg.postnet_kernel) for i in range(cfg.postnet_convs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, conv in enumerate(self.convs):
            x = conv(x)
            if i < len(self.convs) - 1:
                x = torch.tanh(x)
            x = F.dropout(x, 0.5, self.training)
        return x  # (B, 80, T) residual


class Tacotron2(nn.Module):
    def __init__(self, cfg: Tacotron2Config = Tacotron2Config()):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.n_symbols, cfg.embedding_dim)
        nn.init.uniform_(self.embedding.weight, -math.sqrt(3.0), math.sqrt(3.0))  # unit-variance characters
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)
        self.postnet = Postnet(cfg)

    def forward(self, text: torch.Tensor, mels: torch.Tensor) -> Tacotron2Output:
        """text (B, N) symbol ids; mels (B, 80, T) target log-mel frames (teacher forcing)."""
        memory = self.encoder(self.embedding(text))  # (B, N, 512)
        mel, stop, align = self.decoder(memory, mels)
        return Tacotron2Output(mel + self.postnet(mel), mel, stop, align)

    @torch.no_grad()
    def infer(self, text: torch.Tensor, max_frames: int = 1000, threshold: float = 0.5) -> Tacotron2Output:
        """Free-running synthesis: each step feeds its own prediction back, until the stop token fires."""
        memory = self.encoder(self.embedding(text))
        keys = self.decoder.attention.memory(memory)
        state = self.decoder.initial_state(memory)
        frame = memory.new_zeros(text.shape[0], self.cfg.n_mels)
        mels, stops, aligns = [], [], []
        for _ in range(max_frames):
            frame, stop, weights = self.decoder.step(self.decoder.run_prenet(frame), memory, keys, state)
            mels.append(frame)
            stops.append(stop)
            aligns.append(weights)
            if bool((torch.sigmoid(stop) > threshold).all()):
                break
        mel = torch.stack(mels, 2)
        return Tacotron2Output(mel + self.postnet(mel), mel, torch.stack(stops, 1), torch.stack(aligns, 1))


def _example() -> dict[str, torch.Tensor]:
    """The text 'Hello, world.' as 13 symbol ids and 6 target mel frames (a smooth made-up log-mel ramp)."""
    t = torch.arange(6, dtype=torch.float32)[None, :]
    bands = torch.linspace(0, 1, 80)[:, None]
    mels = (-4.0 + 3.0 * torch.exp(-((bands - 0.2 - 0.05 * t) ** 2) / 0.02))[None]  # (1, 80, 6)
    return {"text": text_to_ids("Hello, world."), "mels": mels}


@register_model(
    card=ModelCard(
        key="tacotron2",
        name="Tacotron 2",
        family="Tacotron",
        domain="audio",
        task="text-to-speech (mel spectrogram prediction)",
        year=2018,
        paper=Paper(
            "Natural TTS Synthesis by Conditioning WaveNet on Mel Spectrogram Predictions",
            "https://arxiv.org/abs/1712.05884",
            authors="J. Shen, R. Pang, R. J. Weiss, M. Schuster, N. Jaitly, Z. Yang, Z. Chen, Y. Zhang, Y. Wang, "
            "R. J. Skerry-Ryan, R. A. Saurous, Y. Agiomyrgiannakis, Y. Wu",
            venue="ICASSP 2018",
        ),
        level="advanced",
        summary=(
            "A sequence-to-sequence network that reads characters and writes a mel spectrogram one frame at a "
            "time: a convolutional + bidirectional-LSTM encoder, location-sensitive attention that walks along "
            "the text, an LSTM decoder fed with its previous frame, a stop token that decides when to end, and "
            "a convolutional post-net that polishes the result. With a WaveNet vocoder on top, its speech was "
            "rated almost as natural as human recordings."
        ),
        scenarios=(
            "text-to-speech: the acoustic model in front of a neural vocoder (WaveNet, WaveGlow, HiFi-GAN)",
            "voice cloning and expressive TTS research built on its encoder-attention-decoder layout",
            "teaching attention-based sequence-to-sequence generation",
        ),
        strengths=(
            "very natural prosody: MOS 4.53 against 4.58 for professional recordings",
            "learns directly from (text, audio) pairs, no hand-built linguistic features",
            "location-sensitive attention keeps the alignment moving forward through the text",
        ),
        weaknesses=(
            "autoregressive: one frame at a time, slow to synthesise long utterances",
            "attention can still skip, repeat or stall on unusual inputs",
            "needs a separate vocoder to produce audio",
        ),
        params=Figure(
            28_193_153,
            "DeepZoo count of the paper's configuration in NVIDIA's reference layout (148 symbols); "
            "the paper gives none",
        ),
        input="'Hello, world.' as symbol ids (1, 13) and 6 target mel frames (1, 80, 6) for teacher forcing",
        output="mel after post-net (1, 80, 6), mel before it, stop-token logits (1, 6), attention weights (1, 6, 13)",
        metric=Metric(
            "mean opinion score with a WaveNet vocoder (ground truth 4.58)",
            4.53,
            "MOS (1–5)",
            "internal US English single-speaker test set",
            "Shen et al. 2018, Table 1",
        ),
        config_note=(
            "148 × 512 symbol embedding; encoder 3 × conv 512 (k5) + BatchNorm + ReLU, BiLSTM 256 per direction; "
            "location-sensitive attention 128-d with 32 location filters of length 31; pre-net 80→256→256 "
            "(dropout 0.5, also at inference); attention LSTM 1,024 and decoder LSTM 1,024; linear to 80 mels and "
            "1 stop logit from [LSTM output; context]; post-net 5 × conv 512 (k5) + BatchNorm, tanh. Encoder "
            "5,589,504 + decoder 18,255,505 + post-net 4,348,144 = 28,193,153. Dropout on LSTM outputs stands in "
            "for the paper's zoneout (no parameters either way); reduction factor 1 (one frame per step)."
        ),
        tags=("tts", "speech synthesis", "seq2seq", "attention", "lstm", "autoregressive", "mel spectrogram"),
        i18n={
            "zh": {
                "task": "文本转语音（梅尔谱预测）",
                "summary": "一个序列到序列网络，读入字符，逐帧写出梅尔谱：卷积 + 双向 LSTM 编码器，沿文本前进的位置敏感注意力，"
                "以上一帧为输入的 LSTM 解码器，决定何时结束的停止标记，以及润色结果的卷积后处理网络。"
                "配上 WaveNet 声码器后，其语音的自然度评分几乎与真人录音相当。",
                "scenarios": [
                    "文本转语音：位于神经声码器（WaveNet、WaveGlow、HiFi-GAN）之前的声学模型",
                    "基于其编码器-注意力-解码器结构的声音克隆与表现力 TTS 研究",
                    "讲解基于注意力的序列到序列生成",
                ],
                "strengths": [
                    "韵律非常自然：MOS 4.53，专业录音为 4.58",
                    "直接从（文本，音频）对学习，无需手工语言学特征",
                    "位置敏感注意力让对齐沿文本稳步向前",
                ],
                "weaknesses": ["自回归：一次一帧，合成长句较慢", "遇到不寻常的输入时注意力仍可能跳读、重复或卡住", "需要单独的声码器才能得到音频"],
                "input": "“Hello, world.” 的符号 id (1, 13) 以及用于教师强制的 6 帧目标梅尔谱 (1, 80, 6)",
                "output": "后处理后的梅尔谱 (1, 80, 6)、后处理前的梅尔谱、停止标记 logits (1, 6)、注意力权重 (1, 6, 13)",
                "config_note": "148 × 512 符号嵌入；编码器 3 × 卷积 512（核 5）+ BatchNorm + ReLU，双向 LSTM 每方向 256；"
                "位置敏感注意力 128 维，32 个长度 31 的位置滤波器；预处理网络 80→256→256（dropout 0.5，推理时也开启）；"
                "注意力 LSTM 1,024 与解码器 LSTM 1,024；由 [LSTM 输出；上下文] 线性映射到 80 个梅尔频带和 1 个停止 logit；"
                "后处理网络 5 × 卷积 512（核 5）+ BatchNorm、tanh。编码器 5,589,504 + 解码器 18,255,505 + 后处理网络 "
                "4,348,144 = 28,193,153。LSTM 输出上的 dropout 代替论文的 zoneout（两者都没有参数）；每步一帧。",
            }
        },
    ),
    example_input=_example,
)
def tacotron2(**overrides) -> Tacotron2:
    return Tacotron2(replace(Tacotron2Config(), **overrides))
