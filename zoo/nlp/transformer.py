"""Transformer — Vaswani et al., "Attention Is All You Need" (NeurIPS 2017).
https://arxiv.org/abs/1706.03762

The encoder-decoder that replaced recurrence with attention. The encoder turns the source
sentence into one vector per token with N layers of (self-attention, feed-forward); the decoder
does the same for the (right-shifted) target, with a causal mask so the prediction at position i
depends only on earlier target tokens, and a third sub-layer that attends to the encoder's output. Each sub-layer is wrapped as
LayerNorm(x + Dropout(Sublayer(x))) — "post-LN", as in the paper (§3.1, §5.4).

The "base" model of Table 3: d_model 512, N = 6 + 6 layers, h = 8 heads, d_ff 2048, dropout 0.1,
one 37,000-token BPE vocabulary shared by source, target and the pre-softmax projection (§3.4),
sinusoidal positional encodings (§3.5). It has 63,045,632 parameters (Table 3 lists 65M).

The building blocks `MultiHeadAttention`, `FeedForward` and `EncoderLayer` (and the `normal_init`
helper) are reused by the BERT and GPT files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model


@dataclass(frozen=True)
class TransformerConfig:
    vocab_size: int = 37_000  # shared source/target byte-pair vocabulary (WMT 2014 En-De)
    d_model: int = 512
    n_layers: int = 6  # N, for the encoder and again for the decoder
    n_heads: int = 8  # h; d_k = d_v = d_model / h = 64
    d_ff: int = 2048  # inner size of the position-wise feed-forward network
    dropout: float = 0.1  # P_drop, on every sub-layer output and on the embedding sums
    max_len: int = 1024  # longest sequence the sinusoid table covers
    attn_bias: bool = False  # eq. on p.5 has bare projection matrices W^Q, W^K, W^V, W^O
    norm_eps: float = 1e-5


# --------------------------------------------------------------------------- building blocks


class MultiHeadAttention(nn.Module):
    """MultiHead(Q, K, V) = Concat(head_1..head_h) W^O, head_i = Attention(Q W_i^Q, K W_i^K, V W_i^V) (§3.2.2).

    The h per-head projections are stored as one d_model × d_model matrix each and split by reshaping.
    Self-attention when `memory` is None, else encoder-decoder attention with keys/values from `memory`.
    """

    def __init__(self, d_model: int, n_heads: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        assert d_model % n_heads == 0, "d_model must divide into heads"
        self.n_heads = n_heads
        self.dropout = dropout  # on the attention weights (BERT, GPT-2; the Transformer uses 0)
        self.w_q = nn.Linear(d_model, d_model, bias=bias)
        self.w_k = nn.Linear(d_model, d_model, bias=bias)
        self.w_v = nn.Linear(d_model, d_model, bias=bias)
        self.w_o = nn.Linear(d_model, d_model, bias=bias)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        B, T, C = x.shape
        return x.view(B, T, self.n_heads, C // self.n_heads).transpose(1, 2)  # (B, h, T, d_k)

    def forward(
        self,
        x: torch.Tensor,  # (B, T, d_model) queries
        memory: torch.Tensor | None = None,  # (B, S, d_model) keys/values; None → x
        mask: torch.Tensor | None = None,  # bool, broadcastable to (B, h, T, S); True = may attend
        causal: bool = False,  # decoder self-attention: position i sees only j ≤ i
    ) -> torch.Tensor:
        kv = x if memory is None else memory
        q, k, v = self._heads(self.w_q(x)), self._heads(self.w_k(kv)), self._heads(self.w_v(kv))
        # softmax(Q Kᵀ / √d_k) V (eq. 1), fused; SDPA also lets the flop counter see the matmuls
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0, is_causal=causal
        )  # (B, h, T, d_k)
        B, _, T, _ = y.shape
        return self.w_o(y.transpose(1, 2).reshape(B, T, -1))  # concat heads → (B, T, d_model)


class FeedForward(nn.Module):
    """FFN(x) = act(x W_1 + b_1) W_2 + b_2, applied to each position separately (eq. 2)."""

    def __init__(self, d_model: int, d_ff: int, activation: nn.Module):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_ff)
        self.act = activation  # ReLU in the paper; BERT and GPT use GELU
        self.w2 = nn.Linear(d_ff, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(self.act(self.w1(x)))  # (B, T, d_ff) → (B, T, d_model)


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each as LayerNorm(x + Dropout(Sublayer(x))) (§3.1)."""

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        d_ff: int,
        dropout: float,
        activation: nn.Module,
        attn_bias: bool = True,
        attn_dropout: float = 0.0,
        eps: float = 1e-5,
    ):
        super().__init__()
        self.self_attn = MultiHeadAttention(d_model, n_heads, bias=attn_bias, dropout=attn_dropout)
        self.attn_norm = nn.LayerNorm(d_model, eps=eps)
        self.ffn = FeedForward(d_model, d_ff, activation)
        self.ffn_norm = nn.LayerNorm(d_model, eps=eps)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = self.attn_norm(x + self.dropout(self.self_attn(x, mask=mask)))  # (B, T, d_model)
        return self.ffn_norm(x + self.dropout(self.ffn(x)))


class DecoderLayer(nn.Module):
    """Masked self-attention, encoder-decoder attention, feed-forward; post-LN residuals (§3.1)."""

    def __init__(self, cfg: TransformerConfig):
        super().__init__()
        d = cfg.d_model
        self.self_attn = MultiHeadAttention(d, cfg.n_heads, bias=cfg.attn_bias)
        self.attn_norm = nn.LayerNorm(d, eps=cfg.norm_eps)
        self.cross_attn = MultiHeadAttention(d, cfg.n_heads, bias=cfg.attn_bias)
        self.cross_norm = nn.LayerNorm(d, eps=cfg.norm_eps)
        self.ffn = FeedForward(d, cfg.d_ff, nn.ReLU())
        self.ffn_norm = nn.LayerNorm(d, eps=cfg.norm_eps)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, y: torch.Tensor, memory: torch.Tensor, memory_mask: torch.Tensor | None = None) -> torch.Tensor:
        # the causal mask keeps generation auto-regressive: predictions for i depend only on outputs < i
        y = self.attn_norm(y + self.dropout(self.self_attn(y, causal=True)))  # (B, T, d_model)
        # encoder-decoder attention: queries from the target, keys and values from the source (§3.2.3)
        y = self.cross_norm(y + self.dropout(self.cross_attn(y, memory, mask=memory_mask)))
        return self.ffn_norm(y + self.dropout(self.ffn(y)))


def sinusoidal_positions(max_len: int, d_model: int) -> torch.Tensor:
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...) (§3.5) → (max_len, d_model).

    Wavelengths form a geometric progression, so PE(pos + k) is a linear function of PE(pos):
    relative offsets are easy for attention to pick up."""
    pos = torch.arange(max_len, dtype=torch.float32)[:, None]  # (L, 1)
    inv_freq = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))  # (d/2,)
    pe = torch.zeros(max_len, d_model)
    pe[:, 0::2] = torch.sin(pos * inv_freq)
    pe[:, 1::2] = torch.cos(pos * inv_freq)
    return pe


def normal_init(m: nn.Module, std: float = 0.02) -> None:
    """N(0, 0.02) weights and zero biases for every Linear/Embedding: the initialisation BERT and GPT
    share (`model.apply(normal_init)`). Shape-only, so it also runs on the meta device."""
    if isinstance(m, (nn.Linear, nn.Embedding)):
        nn.init.normal_(m.weight, std=std)
    if isinstance(m, nn.Linear) and m.bias is not None:
        nn.init.zeros_(m.bias)


# --------------------------------------------------------------------------- the model


class Transformer(nn.Module):
    def __init__(self, cfg: TransformerConfig = TransformerConfig()):
        super().__init__()
        self.cfg = cfg
        # one table for source tokens, target tokens and the output projection (§3.4)
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.register_buffer("pe", sinusoidal_positions(cfg.max_len, cfg.d_model), persistent=False)
        self.dropout = nn.Dropout(cfg.dropout)
        self.encoder = nn.ModuleList(
            EncoderLayer(cfg.d_model, cfg.n_heads, cfg.d_ff, cfg.dropout, nn.ReLU(), cfg.attn_bias, eps=cfg.norm_eps)
            for _ in range(cfg.n_layers)
        )
        self.decoder = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.n_layers))
        self.generator = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.generator.weight = self.embed.weight  # tied: counted once
        nn.init.normal_(self.embed.weight, std=cfg.d_model**-0.5)  # so √d_model · embedding starts at unit scale

    def _embed(self, ids: torch.Tensor) -> torch.Tensor:
        # embeddings are scaled by √d_model (§3.4) so they are not drowned by the ±1 sinusoids
        x = self.embed(ids) * math.sqrt(self.cfg.d_model) + self.pe[: ids.shape[1]]  # (B, T, d_model)
        return self.dropout(x)

    def encode(self, src_ids: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, S) source ids → (B, S, d_model) memory. `src_mask` (B, S) is True on real tokens."""
        mask = None if src_mask is None else src_mask[:, None, None, :].bool()  # (B, 1, 1, S)
        x = self._embed(src_ids)
        for layer in self.encoder:
            x = layer(x, mask)
        return x

    def decode(self, tgt_ids: torch.Tensor, memory: torch.Tensor, src_mask: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T) target prefix + memory → (B, T, vocab) next-token logits."""
        mask = None if src_mask is None else src_mask[:, None, None, :].bool()
        y = self._embed(tgt_ids)
        for layer in self.decoder:
            y = layer(y, memory, mask)
        return self.generator(y)

    def forward(
        self, src_ids: torch.Tensor, tgt_ids: torch.Tensor, src_mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Teacher-forced training pass: (B, S) source, (B, T) shifted target → (B, T, vocab) logits."""
        return self.decode(tgt_ids, self.encode(src_ids, src_mask), src_mask)


@register_model(
    card=ModelCard(
        key="transformer_base",
        name="Transformer (base)",
        family="Transformer",
        domain="nlp",
        task="machine translation",
        year=2017,
        paper=Paper(
            "Attention Is All You Need",
            "https://arxiv.org/abs/1706.03762",
            authors="A. Vaswani, N. Shazeer, N. Parmar, J. Uszkoreit, L. Jones, A. N. Gomez, Ł. Kaiser, I. Polosukhin",
            venue="NeurIPS 2017",
        ),
        level="intermediate",
        summary=(
            "An encoder-decoder built only from attention and small per-token MLPs. Every token looks at every "
            "other token in one step instead of passing information along a recurrent chain, so training "
            "parallelises across the sequence. It set a new state of the art in translation and became the "
            "template for BERT, GPT and almost every later language, vision and speech model."
        ),
        scenarios=(
            "machine translation",
            "summarisation and other sequence-to-sequence tasks",
            "learning how attention works",
        ),
        strengths=(
            "whole sequence processed in parallel during training",
            "any two positions are one attention step apart, so long-range dependencies are easy to learn",
        ),
        weaknesses=(
            "attention cost grows with the square of the sequence length",
            "post-LN stacks need learning-rate warm-up to train stably",
            "decoding is still one token at a time",
        ),
        params=Figure(65e6, "Vaswani et al. 2017, Table 3", approx=True),
        input="source token ids (B, S) and shifted target token ids (B, T), from a shared 37K BPE vocabulary",
        output="next-token logits over the 37,000-token vocabulary, (B, T, 37000)",
        metric=Metric("BLEU", 27.3, "BLEU", "WMT 2014 English-German newstest2014", "Vaswani et al. 2017, Table 2"),
        config_note=(
            "Base model: d_model 512, 6 encoder + 6 decoder layers, 8 heads, d_ff 2048, ReLU, post-LN, dropout 0.1, "
            "sinusoidal positions, one embedding shared by source, target and output (63.0M parameters; Table 3 "
            "lists 65M). Attention projections have no bias, as in the paper's equations."
        ),
        tags=("transformer", "attention", "encoder-decoder", "seq2seq", "translation", "classic"),
        i18n={
            "zh": {
                "task": "机器翻译",
                "summary": "只由注意力和逐词小型 MLP 构成的编码器-解码器。每个词一步就能看到所有其他词，不再沿循环链逐步传递信息，"
                "因此训练可在整个序列上并行。它刷新了翻译任务的最好成绩，并成为 BERT、GPT 以及此后几乎所有语言、视觉和语音模型的模板。",
                "scenarios": ["机器翻译", "摘要等序列到序列任务", "学习注意力机制的原理"],
                "strengths": ["训练时整段序列并行处理", "任意两个位置之间只隔一步注意力，易于学习长距离依赖"],
                "weaknesses": ["注意力的计算量随序列长度平方增长", "后置 LayerNorm 结构需要学习率预热才能稳定训练", "解码仍需逐词进行"],
                "input": "源语言词元 id (B, S) 与右移一位的目标语言词元 id (B, T)，共用 3.7 万词的 BPE 词表",
                "output": "在 37,000 词表上的下一个词 logits，形状 (B, T, 37000)",
            }
        },
    ),
    example_input=lambda: (torch.randint(1, 37_000, (1, 16)), torch.randint(1, 37_000, (1, 16))),
)
def transformer_base(**overrides) -> Transformer:
    return Transformer(replace(TransformerConfig(), **overrides))
