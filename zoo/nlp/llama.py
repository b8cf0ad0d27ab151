"""LLaMA and TinyLlama — decoder-only language models built from the post-GPT-3 recipe.

- Touvron et al., "LLaMA: Open and Efficient Foundation Language Models" (2023).
  https://arxiv.org/abs/2302.13971
- Zhang, Zeng, Wang & Lu, "TinyLlama: An Open-Source Small Language Model" (2024).
  https://arxiv.org/abs/2401.02385

LLaMA is GPT's decoder with three changes the paper lists in §2.2, each taken from an earlier model:
- pre-normalisation with **RMSNorm** (Zhang & Sennrich 2019) instead of LayerNorm: rescale each token
  vector by its root mean square, x / √(mean(x²) + ε) · g — no mean subtraction and no bias;
- the **SwiGLU** feed-forward (Shazeer 2020; PaLM): FFN(x) = W2 (SiLU(W1 x) ⊙ W3 x), with a hidden
  size of 2/3 · 4d (rounded up to a multiple of 256: 11,008 for d = 4,096) so it costs what a 4d
  GELU FFN costs;
- **rotary position embeddings** (RoPE, Su et al. 2021) instead of learned absolute positions: the
  query and key of position m are rotated, pair of channels by pair, by angles m·θ_i. A dot product of
  two rotated vectors depends only on the offset m − n, so attention sees relative positions while
  nothing is added to the token embeddings.
There are no biases anywhere, and the output projection is not tied to the embedding.

TinyLlama keeps LLaMA 2's architecture at 1.1B parameters (22 layers, d 2,048, SwiGLU 5,632) and
uses **grouped-query attention** (Ainslie et al. 2023): 32 query heads share 4 key/value heads, so
each K/V head serves a group of 8 query heads and the K/V cache is 8× smaller. It was trained on about
3 trillion tokens — far past the "compute-optimal" amount for its size.

Both counts equal what Hugging Face `transformers` builds from the published configs
(`LlamaForCausalLM`): LLaMA-7B 6,738,415,616 and TinyLlama-1.1B 1,100,048,384 parameters. Both are
inspected on the `meta` device only.

RoPE convention: this file rotates the pair (x_i, x_{i+d/2}) ("rotate half", as Hugging Face does),
while Meta's original code rotates adjacent pairs (x_{2i}, x_{2i+1}). The two are the same model up to
a fixed permutation of the query/key output rows, which Hugging Face applies when it converts Meta's
checkpoints; `HF_KEY_MAP` below therefore copies Hugging Face weights without any reshuffling.

`RMSNorm` is reused by the T5 and Mamba files. Checkpoints load through `zoo.pretrained`'s one strict loader.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, load_mapped, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from .transformer import normal_init


@dataclass(frozen=True)
class LlamaConfig:
    vocab_size: int = 32_000  # SentencePiece BPE (digits split, byte fallback), LLaMA §2.1
    dim: int = 4096  # d_model
    n_layers: int = 32
    n_heads: int = 32  # query heads; head_dim = dim / n_heads = 128
    n_kv_heads: int = 32  # key/value heads: = n_heads is multi-head attention, fewer is GQA
    ffn_dim: int = 11_008  # SwiGLU hidden size, 2/3 · 4d rounded up to a multiple of 256
    norm_eps: float = 1e-6
    rope_theta: float = 10_000.0  # base of the rotation frequencies θ_i = base^(−2i/d_head)
    max_seq_len: int = 2048  # the training context; RoPE itself has no table to outgrow


LLAMA_7B = LlamaConfig()  # Touvron et al. 2023, Table 2
TINYLLAMA_1_1B = LlamaConfig(dim=2048, n_layers=22, n_heads=32, n_kv_heads=4, ffn_dim=5632, norm_eps=1e-5)


class RMSNorm(nn.Module):
    """RMSNorm(x) = x / √(mean(x²) + ε) ⊙ g (Zhang & Sennrich 2019, Eq. 4). LayerNorm without the mean
    subtraction and the bias: cheaper, and the re-centring turned out not to matter. T5's "LayerNorm" is the
    same operation. Computed in float32 whatever the input dtype, since squares overflow half precision."""

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))  # g, the learned per-channel gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)  # (…, dim), unit RMS
        return self.weight * x32.to(x.dtype)


def rope_angles(positions: torch.Tensor, head_dim: int, theta: float = 10_000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """cos and sin of m·θ_i for positions m (T,) → two (T, head_dim) tensors.

    θ_i = theta^(−2i/d) for i < d/2 (RoFormer Eq. 15): a geometric range of wavelengths, like the
    Transformer's sinusoids. Each angle is repeated for both halves because channel i is rotated together
    with channel i + d/2."""
    inv_freq = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32, device=positions.device) / head_dim)
    angles = positions.float()[:, None] * inv_freq[None, :]  # (T, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # (T, d)
    return angles.cos(), angles.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate each pair (x_i, x_{i+d/2}) by its angle: [x1, x2] → [x1 cos − x2 sin, x2 cos + x1 sin]
    (RoFormer Eq. 34, with pairs taken half a head apart). x: (B, h, T, d); cos, sin: (T, d)."""
    x1, x2 = x.chunk(2, dim=-1)  # (B, h, T, d/2) each
    rotated_half = torch.cat([-x2, x1], dim=-1)  # the 90°-rotated partner of every channel
    return x * cos + rotated_half * sin


class Attention(nn.Module):
    """Causal self-attention with RoPE on queries and keys and optional grouped-query K/V heads."""

    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        assert cfg.dim % cfg.n_heads == 0 and cfg.n_heads % cfg.n_kv_heads == 0
        self.n_heads, self.n_kv_heads = cfg.n_heads, cfg.n_kv_heads
        self.head_dim = cfg.dim // cfg.n_heads
        self.theta = cfg.rope_theta
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * self.head_dim, bias=False)
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * self.head_dim, bias=False)  # GQA: fewer K heads…
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * self.head_dim, bias=False)  # …and V heads
        self.wo = nn.Linear(cfg.n_heads * self.head_dim, cfg.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        B, T, _ = x.shape
        q = self.wq(x).view(B, T, self.n_heads, self.head_dim).transpose(1, 2)  # (B, h, T, d_head)
        k = self.wk(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)  # (B, h_kv, T, d_head)
        v = self.wv(x).view(B, T, self.n_kv_heads, self.head_dim).transpose(1, 2)  # (B, h_kv, T, d_head)
        cos, sin = rope_angles(torch.arange(T, device=x.device), self.head_dim, self.theta)  # (T, d_head)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)  # positions enter here, and only here
        group = self.n_heads // self.n_kv_heads
        # GQA: query heads g·j … g·j + g − 1 all read K/V head j (group = 1 is ordinary multi-head attention)
        k = k.repeat_interleave(group, dim=1)  # (B, h, T, d_head)
        v = v.repeat_interleave(group, dim=1)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # softmax(QKᵀ/√d + causal mask) V
        return self.wo(y.transpose(1, 2).reshape(B, T, -1))  # (B, T, dim)


class FeedForward(nn.Module):
    """SwiGLU: W2 (SiLU(W1 x) ⊙ W3 x) (Shazeer 2020, Eq. 6; LLaMA §2.2). W1 x is the gate, W3 x the value."""

    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.w1 = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)  # gate
        self.w2 = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)  # down
        self.w3 = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)  # up

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))  # (B, T, ffn_dim) → (B, T, dim)


class TransformerBlock(nn.Module):
    """h = x + Attention(RMSNorm(x)); out = h + FFN(RMSNorm(h)) — pre-normalisation (LLaMA §2.2)."""

    def __init__(self, cfg: LlamaConfig):
        super().__init__()
        self.attention_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attention = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.feed_forward = FeedForward(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x + self.attention(self.attention_norm(x))  # (B, T, dim)
        return h + self.feed_forward(self.ffn_norm(h))


class Llama(nn.Module):
    """Token ids (B, T) → next-token logits (B, T, vocab). Module names follow Meta's reference code."""

    def __init__(self, cfg: LlamaConfig = LLAMA_7B):
        super().__init__()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)  # no position embedding: RoPE does that
        self.layers = nn.ModuleList(TransformerBlock(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.output = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)  # untied from tok_embeddings
        self.apply(normal_init)  # N(0, 0.02), shape-only: runs on the meta device too

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        x = self.tok_embeddings(tokens)  # (B, T, dim)
        for layer in self.layers:
            x = layer(x)
        return self.output(self.norm(x))  # (B, T, vocab_size)


# --------------------------------------------------------------------------- Hugging Face checkpoint map


# (Hugging Face LlamaForCausalLM name, DeepZoo / Meta name); `{i}` is the layer index
HF_KEY_MAP: tuple[tuple[str, str], ...] = (
    ("model.embed_tokens.weight", "tok_embeddings.weight"),
    ("model.layers.{i}.input_layernorm.weight", "layers.{i}.attention_norm.weight"),
    ("model.layers.{i}.self_attn.q_proj.weight", "layers.{i}.attention.wq.weight"),
    ("model.layers.{i}.self_attn.k_proj.weight", "layers.{i}.attention.wk.weight"),
    ("model.layers.{i}.self_attn.v_proj.weight", "layers.{i}.attention.wv.weight"),
    ("model.layers.{i}.self_attn.o_proj.weight", "layers.{i}.attention.wo.weight"),
    ("model.layers.{i}.post_attention_layernorm.weight", "layers.{i}.ffn_norm.weight"),
    ("model.layers.{i}.mlp.gate_proj.weight", "layers.{i}.feed_forward.w1.weight"),
    ("model.layers.{i}.mlp.down_proj.weight", "layers.{i}.feed_forward.w2.weight"),
    ("model.layers.{i}.mlp.up_proj.weight", "layers.{i}.feed_forward.w3.weight"),
    ("model.norm.weight", "norm.weight"),
    ("lm_head.weight", "output.weight"),
)


def hf_llama_map(model: Llama) -> KeyMap:
    # older exports save each layer's rotary frequencies, a constant recomputed from rope_theta
    return KeyMap.from_patterns(HF_KEY_MAP, model.cfg.n_layers, ignore=("model.layers.*.self_attn.rotary_emb.inv_freq",))


def load_hf_llama(model: Llama, hf_state: Mapping[str, torch.Tensor]) -> None:
    """Load a Hugging Face `LlamaForCausalLM` state dict."""
    load_mapped(model, hf_state, hf_llama_map(model))


def hf_llama_config(config: Mapping[str, Any] | None, shapes) -> dict[str, Any]:
    out = hf_overrides(
        config,
        {"vocab_size": "vocab_size", "dim": "hidden_size", "n_layers": "num_hidden_layers",
         "n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads", "ffn_dim": "intermediate_size",
         "norm_eps": "rms_norm_eps", "rope_theta": "rope_theta", "max_seq_len": "max_position_embeddings"},
    )  # fmt: skip
    theta = (config.get("rope_parameters") or {}).get("rope_theta")  # where transformers 5 writes it
    return {**out, **({"rope_theta": float(theta)} if theta is not None else {})}


register_layout(
    Layout(
        "hf",
        models=("llama_7b", "tinyllama_1_1b"),
        key_map=hf_llama_map,
        config=hf_llama_config,
        model_types=("llama",),
        note="LlamaForCausalLM checkpoints with an untied LM head (Meta's LLaMA converted by transformers, TinyLlama)",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "tinyllama_1_1b", "hf://TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", layout="hf",
        licence="apache-2.0", dataset="SlimPajama + StarCoder data, 3T tokens",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "llama_7b", "hf://huggyllama/llama-7b", layout="hf", licence="LLaMA licence (non-commercial research)",
        dataset="1T tokens of public data (Touvron et al. 2023)",
    )
)  # fmt: skip


# --------------------------------------------------------------------------- cards

LLAMA_7B_CARD = ModelCard(
    key="llama_7b",
    name="LLaMA-7B",
    family="LLaMA",
    domain="nlp",
    task="language modelling",
    year=2023,
    paper=Paper(
        "LLaMA: Open and Efficient Foundation Language Models",
        "https://arxiv.org/abs/2302.13971",
        authors="H. Touvron, T. Lavril, G. Izacard, X. Martinet, M.-A. Lachaux, T. Lacroix, et al.",
        venue="arXiv 2023",
    ),
    level="advanced",
    summary=(
        "A 6.7-billion-parameter decoder-only Transformer trained on 1 trillion tokens of public data only. "
        "It keeps GPT's structure but uses the refinements that had proven themselves since: RMSNorm before "
        "each sub-layer, a SwiGLU feed-forward network and rotary position embeddings, with no biases. The family "
        "was trained far longer than scaling laws suggested (the 13B model beat the 175B GPT-3 on most benchmarks), "
        "and its released weights started the wave of open LLMs (Alpaca, Vicuna, LLaMA 2 and 3)."
    ),
    scenarios=(
        "base model for instruction tuning and chat fine-tuning (LoRA, QLoRA)",
        "local text generation and code completion after quantisation",
        "studying the architecture most open LLMs share today",
    ),
    strengths=(
        "rotary embeddings encode relative positions without a position table",
        "RMSNorm and SwiGLU: cheap normalisation and a better feed-forward at equal cost",
        "strong for its size because it was trained on many more tokens than earlier models",
    ),
    weaknesses=(
        "13.5 GB of weights in 16-bit precision; needs a GPU or heavy quantisation to run",
        "2,048-token context",
        "a base model: not instruction-tuned, may produce false, biased or toxic text",
    ),
    params=Figure(
        6_738_415_616,
        "Hugging Face transformers LlamaForCausalLM with the published LLaMA-7B config (paper Table 2: 6.7B)",
    ),
    input="SentencePiece token ids (B, T ≤ 2048)",
    output="next-token logits over the 32,000-token vocabulary, (B, T, 32000)",
    metric=Metric("MMLU accuracy (5-shot)", 35.1, "%", "MMLU", "Touvron et al. 2023, Table 9"),
    config_note=(
        "32 layers, d_model 4,096, 32 heads of 128, SwiGLU hidden 11,008, RMSNorm ε 1e-6, RoPE θ 10,000, 32,000-token "
        "vocabulary, untied output projection, no biases. Built on the meta device only; the example input is 16 "
        "tokens."
    ),
    tags=("transformer", "decoder", "llm", "language model", "rope", "rmsnorm", "swiglu", "open weights"),
    i18n={
        "zh": {
            "task": "语言建模",
            "summary": "一个 67 亿参数的仅解码器 Transformer，只用公开数据训练了 1 万亿词元。它保留 GPT 的结构，"
            "但采用了此前已被验证有效的改进：每个子层前用 RMSNorm、SwiGLU 前馈网络、旋转位置编码，且不用偏置。"
            "该系列的训练量远超缩放定律的建议（13B 模型在多数基准上超过 1750 亿参数的 GPT-3）；其公开的权重开启了开源大模型浪潮（Alpaca、Vicuna、LLaMA 2 和 3）。",
            "scenarios": ["指令微调与对话微调（LoRA、QLoRA）的基座模型", "量化后在本地做文本生成与代码补全", "学习当今多数开源大模型共同采用的结构"],
            "strengths": ["旋转位置编码无需位置表即可表达相对位置", "RMSNorm 与 SwiGLU：归一化更便宜，同等代价下前馈网络更好", "训练词元数远多于早期模型，同规模下能力强"],
            "weaknesses": ["16 位精度下权重即达 13.5 GB，需要 GPU 或大幅量化才能运行", "上下文仅 2,048 个词元", "基座模型未经指令微调，可能生成错误、带偏见或有害的文本"],
            "input": "SentencePiece 词元 id (B, T ≤ 2048)",
            "output": "在 32,000 词表上的下一个词元 logits，形状 (B, T, 32000)",
            "config_note": "32 层，d_model 4,096，32 个 128 维注意力头，SwiGLU 隐藏层 11,008，RMSNorm ε 1e-6，RoPE θ 10,000，"
            "32,000 词表，输出投影不与词嵌入共享，无偏置。仅在 meta 设备上构建；示例输入为 16 个词元。",
        }
    },
)

TINYLLAMA_CARD = replace(
    LLAMA_7B_CARD,
    key="tinyllama_1_1b",
    name="TinyLlama-1.1B",
    family="LLaMA",
    year=2024,
    paper=Paper(
        "TinyLlama: An Open-Source Small Language Model",
        "https://arxiv.org/abs/2401.02385",
        authors="P. Zhang, G. Zeng, T. Wang, W. Lu",
        venue="arXiv 2024",
    ),
    summary=(
        "LLaMA 2's architecture shrunk to 1.1 billion parameters and trained on about 3 trillion tokens — "
        "many times what scaling laws call compute-optimal for this size — to find out how far a small model "
        "gets with lots of data. It uses grouped-query attention: 32 query heads share 4 key/value heads, "
        "which makes the key/value cache 8× smaller and generation faster."
    ),
    scenarios=(
        "small on-device or CPU language model, draft model for speculative decoding",
        "cheap base for fine-tuning experiments",
        "learning grouped-query attention in a model that is still small",
    ),
    strengths=(
        "drop-in compatible with LLaMA tooling (same tokenizer and block)",
        "grouped-query attention: 8× smaller K/V cache than full multi-head attention",
        "fully open: data mixture, code and intermediate checkpoints released",
    ),
    weaknesses=(
        "far weaker at knowledge and reasoning than 7B+ models",
        "2,048-token context",
        "a base model: not instruction-tuned unless fine-tuned",
    ),
    params=Figure(1_100_048_384, "Hugging Face transformers LlamaForCausalLM with the published TinyLlama-1.1B config"),
    metric=Metric(
        "commonsense reasoning average (zero-shot, 7 tasks)", 52.99, "%",
        "HellaSwag, OBQA, WinoGrande, ARC-e, ARC-c, BoolQ, PIQA",
        "Zhang et al. 2024, Table 2",
    ),
    config_note=(
        "22 layers, d_model 2,048, 32 query heads of 64 sharing 4 key/value heads (GQA, groups of 8), SwiGLU hidden "
        "5,632, RMSNorm ε 1e-5, RoPE θ 10,000, 32,000-token LLaMA vocabulary, untied output projection. Built on the "
        "meta device only; the example input is 16 tokens."
    ),
    tags=LLAMA_7B_CARD.tags + ("gqa", "grouped-query attention", "small language model"),
    i18n={
        "zh": {
            **LLAMA_7B_CARD.i18n["zh"],
            "summary": "把 LLaMA 2 的结构缩小到 11 亿参数，并用约 3 万亿词元训练——是缩放定律认为该规模最优数据量的许多倍——"
            "以考察小模型在大量数据下能走多远。它使用分组查询注意力：32 个查询头共享 4 个键/值头，使键值缓存缩小 8 倍、生成更快。",
            "scenarios": ["可在设备端或 CPU 上运行的小语言模型，也可作推测解码的草稿模型", "低成本的微调实验基座", "在小模型中学习分组查询注意力"],
            "strengths": ["与 LLaMA 工具链兼容（相同的分词器和模块）", "分组查询注意力：键值缓存比完整多头注意力小 8 倍", "完全开放：数据配比、代码和中间检查点均已公开"],
            "weaknesses": ["知识与推理能力远弱于 7B 以上的模型", "上下文仅 2,048 个词元", "基座模型，未经微调不能遵循指令"],
            "config_note": "22 层，d_model 2,048，32 个 64 维查询头共享 4 个键/值头（GQA，每组 8 个），SwiGLU 隐藏层 5,632，"
            "RMSNorm ε 1e-5，RoPE θ 10,000，LLaMA 的 32,000 词表，输出投影不共享。仅在 meta 设备上构建；示例输入为 16 个词元。",
        }
    },
)


def _example_tokens() -> torch.Tensor:
    return torch.randint(0, LLAMA_7B.vocab_size, (1, 16))  # B = 1, T = 16


@register_model(card=LLAMA_7B_CARD, example_input=_example_tokens)
def llama_7b(**overrides) -> Llama:
    return Llama(replace(LLAMA_7B, **overrides))


@register_model(card=TINYLLAMA_CARD, example_input=_example_tokens)
def tinyllama_1_1b(**overrides) -> Llama:
    return Llama(replace(TINYLLAMA_1_1B, **overrides))
