"""Whisper — Radford, Kim, Xu, Brockman, McLeavey & Sutskever, "Robust Speech Recognition via Large-Scale
Weak Supervision" (OpenAI, 2022; ICML 2023). https://arxiv.org/abs/2212.04356

Whisper is a plain encoder-decoder Transformer (paper §2.2, Fig. 1). What made it robust is the data:
680,000 hours of audio paired with transcripts from the web, in English and 96 other languages, with the tasks
(transcribe, translate to English, detect the language, predict timestamps) written as special tokens in
the decoder's prompt, so one model does all of them.

- Input: an 80-channel log-mel spectrogram of a 30 s window (25 ms windows, 10 ms hop → 3,000 frames).
- Encoder: two convolutions of width 3 with GELU, the second of stride 2 (3,000 → 1,500 frames), plus
  fixed sinusoidal positions, then pre-LN Transformer blocks and a final LayerNorm.
- Decoder: token embeddings + *learned* positions (448), pre-LN blocks of causal self-attention,
  cross-attention to the encoder output and an MLP, a final LayerNorm, and logits from the transposed
  token embedding (tied output). In every attention the key projection has no bias (a softmax is
  invariant to adding the same q·b_k to every score).

`whisper_tiny` is the smallest released size: 4 + 4 layers, width 384, 6 heads, 51,865-token
multilingual vocabulary, 37,760,640 parameters (as Hugging Face's `WhisperForConditionalGeneration`
counts them, the fixed 1,500 × 384 sinusoid table included). `HF_KEYS` maps names onto that class.

The encoder accepts windows shorter than 30 s here (its position table is sliced); the released models
were only trained on padded 30 s windows, so real use should pad to 3,000 frames as the reference does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, load_mapped, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from .features import log_mel_spectrogram


@dataclass(frozen=True)
class WhisperConfig:
    n_mels: int = 80
    n_audio_ctx: int = 1500  # encoder positions: 30 s / 20 ms after the stride-2 conv
    n_text_ctx: int = 448  # decoder positions
    d_model: int = 384
    n_heads: int = 6
    n_audio_layers: int = 4
    n_text_layers: int = 4
    vocab_size: int = 51_865  # multilingual byte-level BPE + special tokens


# <|startoftranscript|> <|en|> <|transcribe|> <|notimestamps|>: the prompt that asks for English text
SOT_EN_TRANSCRIBE = (50258, 50259, 50359, 50363)


def sinusoids(length: int, channels: int, max_timescale: float = 10_000.0) -> torch.Tensor:
    """(length, channels): sin of position × geometric frequencies in the first half, cos in the second."""
    increment = math.log(max_timescale) / (channels // 2 - 1)
    inv_timescales = torch.exp(-increment * torch.arange(channels // 2, dtype=torch.float32))
    t = torch.arange(length, dtype=torch.float32)[:, None] * inv_timescales[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class Attention(nn.Module):
    """Multi-head attention; keys have no bias (Whisper's layout). Self-attention when `memory` is None."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(d, d)
        self.key = nn.Linear(d, d, bias=False)
        self.value = nn.Linear(d, d)
        self.out = nn.Linear(d, d)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        kv = x if memory is None else memory
        b, t, d = x.shape

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, y.shape[1], self.heads, -1).transpose(1, 2)  # (B, h, ·, d/h)

        q, k, v = split(self.query(x)), split(self.key(kv)), split(self.value(kv))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)  # (B, h, T, d/h)
        return self.out(y.transpose(1, 2).reshape(b, t, d))


class ResidualBlock(nn.Module):
    """Pre-LN: x + Attn(LN(x)) [+ CrossAttn(LN(x), audio)] + MLP(LN(x)), MLP = 4× width with GELU."""

    def __init__(self, d: int, heads: int, cross: bool):
        super().__init__()
        self.attn_ln = nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.cross_attn_ln = nn.LayerNorm(d) if cross else None
        self.cross_attn = Attention(d, heads) if cross else None
        self.mlp_ln = nn.LayerNorm(d)
        self.mlp_in = nn.Linear(d, 4 * d)
        self.mlp_out = nn.Linear(4 * d, d)

    def forward(self, x: torch.Tensor, audio: torch.Tensor | None = None, causal: bool = False) -> torch.Tensor:
        x = x + self.attn(self.attn_ln(x), causal=causal)
        if self.cross_attn is not None:
            x = x + self.cross_attn(self.cross_attn_ln(x), memory=audio)  # every text position sees all audio
        return x + self.mlp_out(F.gelu(self.mlp_in(self.mlp_ln(x))))


class AudioEncoder(nn.Module):
    def __init__(self, cfg: WhisperConfig):
        super().__init__()
        d = cfg.d_model
        self.conv1 = nn.Conv1d(cfg.n_mels, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)  # halves the frame rate: 10 ms → 20 ms
        # fixed, not trained (requires_grad False), but stored as a parameter as the reference checkpoint does
        self.positional_embedding = nn.Parameter(sinusoids(cfg.n_audio_ctx, d), requires_grad=False)
        self.blocks = nn.ModuleList(ResidualBlock(d, cfg.n_heads, cross=False) for _ in range(cfg.n_audio_layers))
        self.ln_post = nn.LayerNorm(d)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = F.gelu(self.conv1(mel))  # (B, d, 3000)
        x = F.gelu(self.conv2(x)).transpose(1, 2)  # (B, 1500, d)
        assert x.shape[1] <= self.positional_embedding.shape[0], "audio longer than the encoder's 30 s window"
        x = x + self.positional_embedding[: x.shape[1]]
        for block in self.blocks:
            x = block(x)
        return self.ln_post(x)


class TextDecoder(nn.Module):
    def __init__(self, cfg: WhisperConfig):
        super().__init__()
        d = cfg.d_model
        self.token_embedding = nn.Embedding(cfg.vocab_size, d)
        self.positional_embedding = nn.Parameter(torch.empty(cfg.n_text_ctx, d).normal_(0, 0.02))  # learned
        self.blocks = nn.ModuleList(ResidualBlock(d, cfg.n_heads, cross=True) for _ in range(cfg.n_text_layers))
        self.ln = nn.LayerNorm(d)

    def forward(self, tokens: torch.Tensor, audio: torch.Tensor) -> torch.Tensor:
        x = self.token_embedding(tokens) + self.positional_embedding[: tokens.shape[1]]  # (B, U, d)
        for block in self.blocks:
            x = block(x, audio, causal=True)
        return self.ln(x) @ self.token_embedding.weight.T  # tied output projection → (B, U, vocab)


class Whisper(nn.Module):
    def __init__(self, cfg: WhisperConfig = WhisperConfig()):
        super().__init__()
        self.cfg = cfg
        self.encoder = AudioEncoder(cfg)
        self.decoder = TextDecoder(cfg)

    def forward(self, mel: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """mel (B, 80, frames ≤ 3000) log-mel; tokens (B, U) prompt + transcript so far → (B, U, vocab) logits."""
        return self.decoder(tokens, self.encoder(mel))


# Hugging Face `WhisperForConditionalGeneration` names for ours (proj_out is tied to the token embedding).
_BLOCK_KEYS = {
    "attn.query": "self_attn.q_proj",
    "attn.key": "self_attn.k_proj",
    "attn.value": "self_attn.v_proj",
    "attn.out": "self_attn.out_proj",
    "attn_ln": "self_attn_layer_norm",
    "cross_attn.query": "encoder_attn.q_proj",
    "cross_attn.key": "encoder_attn.k_proj",
    "cross_attn.value": "encoder_attn.v_proj",
    "cross_attn.out": "encoder_attn.out_proj",
    "cross_attn_ln": "encoder_attn_layer_norm",
    "mlp_in": "fc1",
    "mlp_out": "fc2",
    "mlp_ln": "final_layer_norm",
}
HF_KEYS = {
    "encoder.conv1": "model.encoder.conv1",
    "encoder.conv2": "model.encoder.conv2",
    "encoder.positional_embedding": "model.encoder.embed_positions.weight",
    "encoder.ln_post": "model.encoder.layer_norm",
    "decoder.token_embedding": "model.decoder.embed_tokens",
    "decoder.positional_embedding": "model.decoder.embed_positions.weight",
    "decoder.ln": "model.decoder.layer_norm",
}


def hf_name(name: str) -> str:
    side, rest = name.split(".", 1)
    if rest.startswith("blocks."):
        _, i, inner = rest.split(".", 2)
        module, leaf = inner.rsplit(".", 1)
        return f"model.{side}.layers.{i}.{_BLOCK_KEYS[module]}.{leaf}"
    for ours, theirs in HF_KEYS.items():
        if name == ours:
            return theirs
        if name.startswith(ours + "."):
            return theirs + name[len(ours) :]
    raise KeyError(name)


def hf_whisper_map(model: Whisper) -> KeyMap:
    return KeyMap(
        {name: hf_name(name) for name in model.state_dict()},
        aliases={"proj_out.weight": "model.decoder.embed_tokens.weight"},  # the output layer is the token embedding
    )


def load_hf_state_dict(model: Whisper, hf_state: dict[str, torch.Tensor]) -> None:
    """Copy a `WhisperForConditionalGeneration` state dict, strictly (names, shapes, nothing left over)."""
    load_mapped(model, hf_state, hf_whisper_map(model))


register_layout(
    Layout(
        "hf",
        models=("whisper_tiny",),
        key_map=hf_whisper_map,
        config=lambda config, shapes: hf_overrides(
            config,
            {"n_mels": "num_mel_bins", "n_audio_ctx": "max_source_positions", "n_text_ctx": "max_target_positions",
             "d_model": "d_model", "n_heads": "encoder_attention_heads", "n_audio_layers": "encoder_layers",
             "n_text_layers": "decoder_layers", "vocab_size": "vocab_size"},
        ),  # fmt: skip
        model_types=("whisper",),
        note="WhisperForConditionalGeneration checkpoints (tiny … large; the output layer is tied to the embedding)",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "whisper_tiny", "hf://openai/whisper-tiny", layout="hf", licence="apache-2.0",
        dataset="680,000 h of weakly supervised web audio",
    )
)  # fmt: skip


def _example() -> dict[str, torch.Tensor]:
    """A 10 s window: log-mel (1, 80, 1000) of a chirp, clamped and scaled as Whisper does (its own filterbank
    is Slaney-style; DeepZoo's HTK one is close enough for a shape demo), and the 4-token prompt
    <|startoftranscript|><|en|><|transcribe|><|notimestamps|>."""
    t = torch.arange(10 * 16000) / 16000
    wave = 0.3 * torch.sin(2 * math.pi * (200 * t + 60 * t**2))
    logmel = log_mel_spectrogram(wave, 16000)[:1000].T / math.log(10)  # (80, 1000), log10 as Whisper
    logmel = (torch.maximum(logmel, logmel.max() - 8.0) + 4.0) / 4.0  # Whisper's dynamic-range clamp and scale
    return {"mel": logmel[None], "tokens": torch.tensor([SOT_EN_TRANSCRIBE])}


@register_model(
    card=ModelCard(
        key="whisper_tiny",
        name="Whisper tiny",
        family="Whisper",
        domain="audio",
        task="speech recognition and translation",
        year=2022,
        paper=Paper(
            "Robust Speech Recognition via Large-Scale Weak Supervision",
            "https://arxiv.org/abs/2212.04356",
            authors="A. Radford, J. W. Kim, T. Xu, G. Brockman, C. McLeavey, I. Sutskever",
            venue="ICML 2023 (OpenAI 2022)",
        ),
        level="advanced",
        summary=(
            "An encoder-decoder Transformer trained on 680,000 hours of web audio with its transcripts. "
            "The encoder reads a 30-second log-mel spectrogram; the decoder writes text token by token, "
            "steered by special tokens that choose the language and the task (transcribe, translate to "
            "English, timestamps). Nothing in it is new — the scale and variety of weakly labelled data make "
            "it robust to accents, noise and domains without fine-tuning."
        ),
        scenarios=(
            "multilingual speech-to-text and subtitles",
            "speech translation into English",
            "language identification and voice-activity-aware transcription",
        ),
        strengths=(
            "works zero-shot across many datasets, accents and noise conditions",
            "one model for English and 96 other languages and several tasks, chosen by prompt tokens",
            "simple, standard architecture that is easy to run and port",
        ),
        weaknesses=(
            "the tiny size makes noticeably more errors than the larger ones, above all outside English",
            "fixed 30 s windows; long audio needs chunking",
            "autoregressive decoding can hallucinate or repeat text on silence or noise",
        ),
        params=Figure(
            37_760_640, "Hugging Face transformers WhisperForConditionalGeneration, openai/whisper-tiny config"
        ),
        input="log-mel (1, 80, 1000): a 10 s window (3,000 frames = 30 s in the paper), plus 4 prompt tokens",
        output="(1, 4, 51865) next-token logits for each decoder position",
        config_note=(
            "tiny: encoder conv 80→384 (k3) and 384→384 (k3, stride 2), 1,500 × 384 fixed sinusoids, 4 pre-LN "
            "blocks (d 384, 6 heads, MLP 1,536), LayerNorm; decoder 51,865 × 384 token embedding, 448 learned "
            "positions, 4 blocks with cross-attention, LayerNorm, output tied to the embedding; key projections "
            "without bias. The example uses 1,000 mel frames (10 s) instead of 3,000 to keep the CPU forward "
            "short; the encoder slices its position table for windows under 30 s."
        ),
        tags=("transformer", "encoder-decoder", "asr", "speech", "translation", "multilingual", "weak supervision"),
        i18n={
            "zh": {
                "task": "语音识别与翻译",
                "summary": "在 68 万小时网络音频及其字幕上训练的编码器-解码器 Transformer。编码器读取 30 秒的对数梅尔谱，"
                "解码器逐个词元写出文本，由特殊词元指定语言和任务（转写、译成英文、时间戳）。结构上没有新东西——"
                "正是弱标注数据的规模和多样性，使它无需微调就能应对各种口音、噪声和领域。",
                "scenarios": ["多语种语音转文字与字幕", "把语音翻译成英文", "语种识别与兼顾静音检测的转写"],
                "strengths": ["在众多数据集、口音和噪声条件下零样本可用", "一个模型覆盖英语及另外 96 种语言和多种任务，用提示词元选择", "结构简单标准，易于运行和移植"],
                "weaknesses": [
                    "tiny 尺寸的错误明显多于更大的版本，英语以外尤甚",
                    "固定 30 秒窗口，长音频需要切块",
                    "自回归解码在静音或噪声上可能产生幻觉或重复文本",
                ],
                "input": "对数梅尔谱 (1, 80, 1000)：10 秒窗口（论文中为 3,000 帧 = 30 秒），以及 4 个提示词元",
                "output": "(1, 4, 51865)：每个解码位置的下一个词元 logits",
                "config_note": "tiny：编码器卷积 80→384（核 3）和 384→384（核 3，步长 2），1,500 × 384 固定正弦位置，"
                "4 个前置 LN 块（d 384，6 头，MLP 1,536），LayerNorm；解码器 51,865 × 384 词嵌入，448 个可学习位置，"
                "4 个带交叉注意力的块，LayerNorm，输出与词嵌入共享权重；键投影无偏置。示例用 1,000 个梅尔帧（10 秒）"
                "而非 3,000 帧，以缩短 CPU 前向时间；窗口短于 30 秒时编码器截取位置表的前段。",
            }
        },
    ),
    example_input=_example,
)
def whisper_tiny(**overrides) -> Whisper:
    return Whisper(replace(WhisperConfig(), **overrides))
