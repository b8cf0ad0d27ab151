"""T5 — Raffel, Shazeer, Roberts, Lee, Narang, Matena, Zhou, Li & Liu, "Exploring the Limits of Transfer
Learning with a Unified Text-to-Text Transformer" (JMLR 2020). https://arxiv.org/abs/1910.10683

T5 casts every NLP task — translation, classification, question answering, summarisation — as "text
in, text out": the task is named by a prefix ("translate English to German: …", "cola sentence: …")
and the answer is generated as text, so one encoder-decoder model, one loss and one decoding procedure
serve them all. It is pre-trained on C4 with span corruption: spans of the input are replaced by
sentinel tokens and the decoder writes the missing spans.

The architecture is the original Transformer encoder-decoder (§2.1) with a few simplifications:
- **layer normalisation without bias or mean subtraction** (a scale only, i.e. RMSNorm), applied to the
  *input* of each sub-layer (pre-norm), plus a final norm after each stack;
- **no biases** in any dense layer;
- **relative position biases** instead of position embeddings: attention logits get a learned scalar per
  head that depends on the offset between key and query, bucketed — 16 buckets per direction, exact for
  offsets below 8 and logarithmic up to 128, beyond which all offsets share a bucket. Each stack learns
  one table (buckets × heads) and all its layers share it; the decoder's is causal (one-directional);
- **no 1/√d_k scaling** of attention logits: T5 folds it into the initialisation of the query weights;
- one embedding matrix for encoder input, decoder input and (in T5 v1.0, this file) the output layer;
  because the decoder output then meets a matrix initialised for inputs, it is rescaled by d_model^−½
  before the tied projection.

`t5_small` is the v1.0 "small" model of §3.1/§3.7: 6 + 6 layers, d_model 512, 8 heads of 64, ReLU
feed-forward 2,048, 32,128-token SentencePiece vocabulary: 60,506,624 parameters, as Hugging Face
`transformers` builds it (`T5ForConditionalGeneration`) from the published t5-small config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, PretrainedError, load_mapped, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from .llama import RMSNorm


@dataclass(frozen=True)
class T5Config:
    vocab_size: int = 32_128  # 32,000 SentencePiece pieces + 100 sentinels, padded to a multiple of 128
    d_model: int = 512
    d_kv: int = 64  # per-head size (d_model / n_heads for t5-small, but a free parameter in T5)
    d_ff: int = 2048
    n_layers: int = 6  # per stack: 6 encoder + 6 decoder blocks
    n_heads: int = 8
    num_buckets: int = 32  # relative position buckets (both directions together)
    max_distance: int = 128  # offsets ≥ this share the last bucket
    dropout: float = 0.1
    eps: float = 1e-6


T5_SMALL = T5Config()


def relative_position_bucket(
    relative_position: torch.Tensor, bidirectional: bool, num_buckets: int, max_distance: int
) -> torch.Tensor:
    """Map offsets (key position − query position) to bucket ids (§2.1, "Relative position embeddings").

    Bidirectional (encoder): half the buckets for keys after the query, half for keys before. Causal
    (decoder): only keys at or before the query exist, all buckets for them. Within a direction, the first
    half of the buckets are exact offsets 0 … max_exact − 1; the rest cover max_exact … max_distance on a
    log scale, so nearby words are told apart precisely and far ones only roughly."""
    buckets = torch.zeros_like(relative_position)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (relative_position > 0).long() * num_buckets  # keys to the right: upper half
        distance = relative_position.abs()
    else:
        distance = (-relative_position).clamp(min=0)  # future keys are masked anyway; count them as 0
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    # log-spaced bucket for large offsets: max_exact + log(d / max_exact) / log(max_distance / max_exact) · (rest)
    log_ratio = torch.log(distance.float().clamp(min=1) / max_exact) / math.log(max_distance / max_exact)
    large = max_exact + (log_ratio * (num_buckets - max_exact)).long()
    large = large.clamp(max=num_buckets - 1)
    return buckets + torch.where(is_small, distance, large)


class RelativePositionBias(nn.Module):
    """One learned scalar per (bucket, head), added to every layer's attention logits in a stack."""

    def __init__(self, cfg: T5Config, bidirectional: bool):
        super().__init__()
        self.bidirectional = bidirectional
        self.num_buckets, self.max_distance = cfg.num_buckets, cfg.max_distance
        self.relative_attention_bias = nn.Embedding(cfg.num_buckets, cfg.n_heads)

    def forward(self, q_len: int, k_len: int, device: torch.device) -> torch.Tensor:
        query = torch.arange(q_len, device=device)[:, None]  # (Tq, 1)
        key = torch.arange(k_len, device=device)[None, :]  # (1, Tk)
        offset = key - query  # (Tq, Tk): key position − query position
        bucket = relative_position_bucket(offset, self.bidirectional, self.num_buckets, self.max_distance)
        return self.relative_attention_bias(bucket).permute(2, 0, 1).unsqueeze(0)  # (1, heads, Tq, Tk)


class Attention(nn.Module):
    """Multi-head attention with bias-free projections and no 1/√d_k: softmax(Q Kᵀ + position bias) V."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.n_heads, self.d_kv = cfg.n_heads, cfg.d_kv
        inner = cfg.n_heads * cfg.d_kv
        self.q = nn.Linear(cfg.d_model, inner, bias=False)
        self.k = nn.Linear(cfg.d_model, inner, bias=False)
        self.v = nn.Linear(cfg.d_model, inner, bias=False)
        self.o = nn.Linear(inner, cfg.d_model, bias=False)
        self.dropout = cfg.dropout

    def forward(
        self, x: torch.Tensor, kv: torch.Tensor, bias: torch.Tensor | None, causal: bool = False
    ) -> torch.Tensor:
        B, T, _ = x.shape
        S = kv.shape[1]
        q = self.q(x).view(B, T, self.n_heads, self.d_kv).transpose(1, 2)  # (B, h, T, d_kv)
        k = self.k(kv).view(B, S, self.n_heads, self.d_kv).transpose(1, 2)  # (B, h, S, d_kv)
        v = self.v(kv).view(B, S, self.n_heads, self.d_kv).transpose(1, 2)  # (B, h, S, d_kv)
        mask = torch.zeros(T, S, device=x.device)
        if causal:  # decoder self-attention: position i sees only j ≤ i
            mask = mask.masked_fill(torch.ones(T, S, dtype=torch.bool, device=x.device).triu(1), float("-inf"))
        if bias is not None:
            mask = mask + bias  # (1, h, T, S): learned relative-position logits
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, scale=1.0  # T5: no 1/√d_k
        )  # (B, h, T, d_kv)
        return self.o(y.transpose(1, 2).reshape(B, T, -1))  # (B, T, d_model)


class FeedForward(nn.Module):
    """ReLU FFN without biases: wo · Dropout(ReLU(wi · x)) (T5 v1.0; v1.1 switched to GEGLU)."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.wi = nn.Linear(cfg.d_model, cfg.d_ff, bias=False)
        self.wo = nn.Linear(cfg.d_ff, cfg.d_model, bias=False)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.wo(self.dropout(F.relu(self.wi(x))))  # (B, T, d_ff) → (B, T, d_model)


class EncoderBlock(nn.Module):
    """x + Dropout(SelfAttention(Norm(x))), then x + Dropout(FFN(Norm(x))): pre-norm residuals."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.self_attn_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.self_attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.ffn = FeedForward(cfg)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        h = self.self_attn_norm(x)
        x = x + self.dropout(self.self_attn(h, h, bias))  # (B, T, d_model)
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class DecoderBlock(nn.Module):
    """Causal self-attention, encoder-decoder attention (no position bias), FFN — each pre-norm."""

    def __init__(self, cfg: T5Config):
        super().__init__()
        self.self_attn_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.self_attn = Attention(cfg)
        self.cross_attn_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.cross_attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.ffn = FeedForward(cfg)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, y: torch.Tensor, memory: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        h = self.self_attn_norm(y)
        y = y + self.dropout(self.self_attn(h, h, bias, causal=True))  # (B, T_dec, d_model)
        # queries from the decoder, keys/values from the encoder output; positions are already in `memory`
        y = y + self.dropout(self.cross_attn(self.cross_attn_norm(y), memory, None))
        return y + self.dropout(self.ffn(self.ffn_norm(y)))


class Stack(nn.Module):
    """Embedded tokens → N blocks sharing one relative-bias table → final norm (encoder or decoder)."""

    def __init__(self, cfg: T5Config, decoder: bool):
        super().__init__()
        self.decoder = decoder
        self.relative_bias = RelativePositionBias(cfg, bidirectional=not decoder)
        self.layers = nn.ModuleList((DecoderBlock if decoder else EncoderBlock)(cfg) for _ in range(cfg.n_layers))
        self.final_norm = RMSNorm(cfg.d_model, cfg.eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> torch.Tensor:
        T = x.shape[1]
        bias = self.relative_bias(T, T, x.device)  # (1, h, T, T), computed once per stack
        x = self.dropout(x)
        for layer in self.layers:
            x = layer(x, memory, bias) if self.decoder else layer(x, bias)
        return self.dropout(self.final_norm(x))  # (B, T, d_model)


class T5(nn.Module):
    """(encoder ids (B, S), decoder ids (B, T)) → logits (B, T, vocab) for the next decoder token.

    Decoder ids are the target shifted right behind the start token (id 0, the pad id, in T5)."""

    def __init__(self, cfg: T5Config = T5_SMALL):
        super().__init__()
        self.cfg = cfg
        self.shared = nn.Embedding(cfg.vocab_size, cfg.d_model)  # one vocabulary for input, target and output
        self.encoder = Stack(cfg, decoder=False)
        self.decoder = Stack(cfg, decoder=True)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.shared.weight  # tied (T5 v1.0)
        self._init_weights()

    def _init_weights(self) -> None:
        """Mesh TensorFlow's scheme: N(0, 1) embeddings, N(0, (d_model·d_kv)^−½) for W_Q, which absorbs the
        missing 1/√d_k, N(0, d_model^−½) for K, V, and fan-in scaling elsewhere. Shape-only (meta-safe)."""
        c = self.cfg
        nn.init.normal_(self.shared.weight, std=1.0)
        for m in self.modules():
            if isinstance(m, Attention):
                nn.init.normal_(m.q.weight, std=(c.d_model * c.d_kv) ** -0.5)
                nn.init.normal_(m.k.weight, std=c.d_model**-0.5)
                nn.init.normal_(m.v.weight, std=c.d_model**-0.5)
                nn.init.normal_(m.o.weight, std=(c.n_heads * c.d_kv) ** -0.5)
            elif isinstance(m, FeedForward):
                nn.init.normal_(m.wi.weight, std=c.d_model**-0.5)
                nn.init.normal_(m.wo.weight, std=c.d_ff**-0.5)
            elif isinstance(m, RelativePositionBias):
                nn.init.normal_(m.relative_attention_bias.weight, std=c.d_model**-0.5)

    def forward(self, input_ids: torch.Tensor, decoder_input_ids: torch.Tensor) -> torch.Tensor:
        memory = self.encoder(self.shared(input_ids))  # (B, S, d_model)
        y = self.decoder(self.shared(decoder_input_ids), memory)  # (B, T, d_model)
        # tied output layer: rescale by d_model^−½ so logits are not d_model times too large at init
        return self.lm_head(y * self.cfg.d_model**-0.5)  # (B, T, vocab_size)


# --------------------------------------------------------------------------- Hugging Face checkpoint map

# (Hugging Face T5ForConditionalGeneration name, DeepZoo name); `{i}` is the block index. Hugging Face keeps the
# shared relative-bias table in block 0 of each stack; DeepZoo keeps it on the stack, where it belongs.
HF_KEY_MAP: tuple[tuple[str, str], ...] = (
    ("shared.weight", "shared.weight"),
    ("encoder.embed_tokens.weight", "shared.weight"),  # tied aliases of the one embedding
    ("decoder.embed_tokens.weight", "shared.weight"),
    ("lm_head.weight", "shared.weight"),
    *[
        (f"{stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight",
         f"{stack}.relative_bias.relative_attention_bias.weight")
        for stack in ("encoder", "decoder")
    ],
    *[
        (f"encoder.block.{{i}}.layer.0.SelfAttention.{p}.weight", f"encoder.layers.{{i}}.self_attn.{p}.weight")
        for p in "qkvo"
    ],
    ("encoder.block.{i}.layer.0.layer_norm.weight", "encoder.layers.{i}.self_attn_norm.weight"),
    ("encoder.block.{i}.layer.1.DenseReluDense.wi.weight", "encoder.layers.{i}.ffn.wi.weight"),
    ("encoder.block.{i}.layer.1.DenseReluDense.wo.weight", "encoder.layers.{i}.ffn.wo.weight"),
    ("encoder.block.{i}.layer.1.layer_norm.weight", "encoder.layers.{i}.ffn_norm.weight"),
    ("encoder.final_layer_norm.weight", "encoder.final_norm.weight"),
    *[
        (f"decoder.block.{{i}}.layer.0.SelfAttention.{p}.weight", f"decoder.layers.{{i}}.self_attn.{p}.weight")
        for p in "qkvo"
    ],
    ("decoder.block.{i}.layer.0.layer_norm.weight", "decoder.layers.{i}.self_attn_norm.weight"),
    *[
        (f"decoder.block.{{i}}.layer.1.EncDecAttention.{p}.weight", f"decoder.layers.{{i}}.cross_attn.{p}.weight")
        for p in "qkvo"
    ],
    ("decoder.block.{i}.layer.1.layer_norm.weight", "decoder.layers.{i}.cross_attn_norm.weight"),
    ("decoder.block.{i}.layer.2.DenseReluDense.wi.weight", "decoder.layers.{i}.ffn.wi.weight"),
    ("decoder.block.{i}.layer.2.DenseReluDense.wo.weight", "decoder.layers.{i}.ffn.wo.weight"),
    ("decoder.block.{i}.layer.2.layer_norm.weight", "decoder.layers.{i}.ffn_norm.weight"),
    ("decoder.final_layer_norm.weight", "decoder.final_norm.weight"),
)


def hf_t5_map(model: T5) -> KeyMap:
    return KeyMap.from_patterns(HF_KEY_MAP, model.cfg.n_layers)


def load_hf_t5(model: T5, hf_state: dict[str, torch.Tensor]) -> None:
    """Load a Hugging Face `T5ForConditionalGeneration` (v1.0, tied) state dict."""
    load_mapped(model, hf_state, hf_t5_map(model))


def hf_t5_config(config, shapes) -> dict:
    out = hf_overrides(
        config,
        {"vocab_size": "vocab_size", "d_model": "d_model", "d_kv": "d_kv", "d_ff": "d_ff", "n_layers": "num_layers",
         "n_heads": "num_heads", "num_buckets": "relative_attention_num_buckets",
         "max_distance": "relative_attention_max_distance", "eps": "layer_norm_epsilon"},
    )  # fmt: skip
    # what this file implements: T5 v1.0 (ReLU feed-forward, tied embeddings, as many decoder as encoder blocks)
    if config.get("feed_forward_proj", "relu") != "relu" or not config.get("tie_word_embeddings", True):
        raise PretrainedError("only T5 v1.0 checkpoints (ReLU feed-forward, tied embeddings) fit t5_small; this is T5 v1.1 or later")
    if config.get("num_decoder_layers", out.get("n_layers")) != out.get("n_layers"):
        raise PretrainedError("t5_small needs as many decoder blocks as encoder blocks")
    return out


register_layout(
    Layout(
        "hf",
        models=("t5_small",),
        key_map=hf_t5_map,
        config=hf_t5_config,
        model_types=("t5",),
        note="T5ForConditionalGeneration v1.0 checkpoints (t5-small … t5-11b)",
    )
)
register_checkpoint(
    KnownCheckpoint("t5_small", "hf://google-t5/t5-small", layout="hf", licence="apache-2.0", dataset="C4 + supervised tasks mixture")
)


# --------------------------------------------------------------------------- card

T5_SMALL_CARD = ModelCard(
    key="t5_small",
    name="T5-Small",
    family="T5",
    domain="nlp",
    task="text-to-text generation (translation, summarisation, classification as text)",
    year=2019,
    paper=Paper(
        "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
        "https://arxiv.org/abs/1910.10683",
        authors="C. Raffel, N. Shazeer, A. Roberts, K. Lee, S. Narang, M. Matena, Y. Zhou, W. Li, P. J. Liu",
        venue="JMLR 2020",
    ),
    level="advanced",
    summary=(
        "An encoder-decoder Transformer that treats every task as turning one text into another: a prefix names "
        "the task and the answer, even a class label or a number, is generated as text. It is pre-trained on the "
        "C4 web corpus by filling in masked-out spans. The architecture is the original Transformer simplified: "
        "scale-only layer norm before each sub-layer, no biases, and learned relative-position biases on the "
        "attention logits instead of position embeddings."
    ),
    scenarios=(
        "fine-tuning one model for translation, summarisation and classification at once",
        "sequence-to-sequence baselines and teaching encoder-decoder models",
        "small seq2seq model for CPU inference",
    ),
    strengths=(
        "one model, loss and decoding procedure for every task",
        "relative position biases generalise to lengths other than those seen in training",
        "simple, bias-free blocks that scale from 60M to 11B parameters",
    ),
    weaknesses=(
        "the small model is far behind the larger T5 sizes on every benchmark",
        "encoder-decoder: two stacks to run, less convenient than decoder-only models for open generation",
        "needs task prefixes and fine-tuning; the v1.0 checkpoints were also trained on the downstream tasks",
    ),
    params=Figure(
        60_506_624,
        "Hugging Face transformers T5ForConditionalGeneration with the published t5-small config (paper: ≈60M)",
    ),
    input="SentencePiece encoder ids (B, S) and right-shifted decoder ids (B, T)",
    output="next-token logits for every decoder position, (B, T, 32128)",
    metric=Metric("GLUE average (test)", 77.4, "score", "GLUE", "Raffel et al. 2020, Table 14 (T5-Small)"),
    config_note=(
        "T5 v1.0 small: 6 encoder + 6 decoder blocks, d_model 512, 8 heads of 64, ReLU feed-forward 2,048, 32 relative "
        "position buckets (max distance 128) shared by the layers of each stack, 32,128-token vocabulary tied to the "
        "output layer with the d_model^−½ rescale. Example input: 16 encoder and 16 decoder tokens."
    ),
    tags=("transformer", "encoder-decoder", "seq2seq", "text-to-text", "relative position", "rmsnorm", "t5"),
    i18n={
        "zh": {
            "task": "文本到文本生成（翻译、摘要、以文本形式输出的分类）",
            "summary": "一个编码器-解码器 Transformer，把每个任务都看作把一段文本变成另一段文本：由前缀指明任务，"
            "答案（即便是类别标签或数字）也以文本形式生成。它在 C4 网页语料上通过填补被遮盖的片段进行预训练。"
            "结构是简化后的原始 Transformer：每个子层前使用只有缩放的层归一化、没有偏置、用注意力 logits 上的可学习相对位置偏置代替位置嵌入。",
            "scenarios": ["用同一个模型同时微调翻译、摘要和分类", "序列到序列基线以及讲解编码器-解码器模型", "可在 CPU 上推理的小型 seq2seq 模型"],
            "strengths": ["所有任务共用一个模型、一种损失和一种解码方式", "相对位置偏置能推广到训练中未见过的长度", "模块简单、无偏置，可从 6000 万扩展到 110 亿参数"],
            "weaknesses": [
                "small 版在各项基准上远逊于更大的 T5",
                "编码器-解码器需要运行两个堆栈，做开放式生成不如仅解码器模型方便",
                "需要任务前缀和微调；v1.0 检查点预训练时还混入了下游任务",
            ],
            "input": "SentencePiece 编码器 id (B, S) 与右移一位的解码器 id (B, T)",
            "output": "每个解码器位置的下一个词元 logits，形状 (B, T, 32128)",
            "config_note": "T5 v1.0 small：编码器与解码器各 6 个块，d_model 512，8 个 64 维注意力头，ReLU 前馈 2,048，"
            "32 个相对位置桶（最大距离 128）由同一堆栈各层共享，32,128 词表与输出层共享并乘以 d_model^−½。示例输入为 16 个编码器词元和 16 个解码器词元。",
        }
    },
)


def _example_ids() -> tuple[torch.Tensor, torch.Tensor]:
    encoder_ids = torch.randint(0, T5_SMALL.vocab_size, (1, 16))  # B = 1, S = 16
    decoder_ids = torch.randint(0, T5_SMALL.vocab_size, (1, 16))  # B = 1, T = 16
    return encoder_ids, decoder_ids


@register_model(card=T5_SMALL_CARD, example_input=_example_ids)
def t5_small(**overrides) -> T5:
    return T5(replace(T5_SMALL, **overrides))
