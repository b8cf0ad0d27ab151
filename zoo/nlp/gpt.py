"""GPT-2 and GPT-3 — decoder-only Transformer language models.

- Radford et al., "Language Models are Unsupervised Multitask Learners" (OpenAI, 2019).
  https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf
- Brown et al., "Language Models are Few-Shot Learners" (NeurIPS 2020). https://arxiv.org/abs/2005.14165

A GPT is the Transformer's decoder without the encoder-decoder attention: token + learned position
embeddings, N blocks of causal self-attention and a GELU feed-forward network, a final LayerNorm,
and a projection back onto the vocabulary that shares its matrix with the token embedding. It is
trained only to predict the next token. GPT-2 moved LayerNorm to the *input* of each sub-layer
("pre-LN", x + Sublayer(LN(x))) and added one after the last block (§2.3), which makes deep stacks
train without warm-up tricks. GPT-3 is the same design scaled ~1,400× (its alternating dense /
locally banded sparse attention changes no parameter and is not reproduced here).

- `gpt2`: GPT-2 small, 12 layers, d_model 768, 12 heads, 1,024 context, 50,257-token byte-level BPE:
  124,439,808 parameters (the paper's Table 2 says 117M).
- `gpt3`: GPT-3 175B, 96 layers, d_model 12,288, 96 heads, 2,048 context: 174.6B parameters.
  Only ever built on the `meta` device, so its card can be inspected without 700 GB of memory.

`generate` samples text one token at a time and yields each token as it comes (for streaming).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from .transformer import FeedForward, MultiHeadAttention, normal_init


@dataclass(frozen=True)
class GPTConfig:
    vocab_size: int = 50_257  # byte-level BPE: 256 bytes + 50,000 merges + <|endoftext|>
    block_size: int = 1024  # context length n_ctx
    n_layer: int = 12
    n_head: int = 12
    d_model: int = 768
    dropout: float = 0.1  # on embeddings, attention weights and residual branches
    layer_norm_eps: float = 1e-5


GPT2_SMALL = GPTConfig()
GPT3_175B = GPTConfig(block_size=2048, n_layer=96, n_head=96, d_model=12_288)  # Brown et al. Table 2.1


class Block(nn.Module):
    """x + Attn(LN(x)), then x + FFN(LN(x)): pre-LN keeps an identity path from input to output."""

    def __init__(self, cfg: GPTConfig):
        super().__init__()
        self.attn_norm = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.attn = MultiHeadAttention(cfg.d_model, cfg.n_head, bias=True, dropout=cfg.dropout)
        self.ffn_norm = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)
        self.ffn = FeedForward(cfg.d_model, 4 * cfg.d_model, nn.GELU(approximate="tanh"))  # GPT-2's tanh GELU
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attn(self.attn_norm(x), causal=True))  # (B, T, d_model)
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig = GPT2_SMALL):
        super().__init__()
        self.cfg = cfg
        self.wte = nn.Embedding(cfg.vocab_size, cfg.d_model)  # token embedding
        self.wpe = nn.Embedding(cfg.block_size, cfg.d_model)  # learned absolute positions
        self.dropout = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.layer_norm_eps)  # extra final LayerNorm (GPT-2 §2.3)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied: reading and writing tokens share one matrix
        self.apply(normal_init)  # N(0, 0.02); shape-only, so gpt3 initialises on the meta device for free
        # GPT-2 §2.3: scale residual-branch output layers by 1/√N, N = residual additions (2 per block),
        # so the variance of the residual stream does not grow with depth
        for block in self.blocks:
            for proj in (block.attn.w_o, block.ffn.w2):
                nn.init.normal_(proj.weight, std=0.02 / math.sqrt(2 * cfg.n_layer))

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """(B, T) token ids, T ≤ block_size → (B, T, vocab_size) next-token logits."""
        T = idx.shape[1]
        assert T <= self.cfg.block_size, f"sequence of {T} tokens exceeds the {self.cfg.block_size}-token context"
        pos = torch.arange(T, device=idx.device)  # (T,)
        x = self.dropout(self.wte(idx) + self.wpe(pos))  # (B, T, d_model)
        for block in self.blocks:
            x = block(x)
        return self.lm_head(self.ln_f(x))  # (B, T, vocab_size)


@torch.no_grad()
def generate(
    model: GPT,
    idx: torch.Tensor,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    generator: torch.Generator | None = None,
) -> Iterator[torch.Tensor]:
    """Sample `max_new_tokens` continuations of `idx` (B, T), yielding each new token (B, 1) as it is drawn.

    temperature < 1 sharpens the distribution (0 → greedy), > 1 flattens it; top_k keeps only the k most
    likely tokens. `generator` makes the draws reproducible whatever other threads draw meanwhile (None: torch's
    process-wide generator). Put the model in eval mode first. There is no KV cache: every step re-reads the (cropped)
    context, which is simple and fast enough for GPT-2 small on a CPU.
    """
    for _ in range(max_new_tokens):
        context = idx[:, -model.cfg.block_size :]  # the model only knows block_size positions
        logits = model(context)[:, -1, :]  # (B, vocab) for the next position only
        if temperature <= 0:
            nxt = logits.argmax(dim=-1, keepdim=True)
        else:
            logits = logits / temperature
            if top_k is not None:
                kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, [-1]]  # (B, 1)
                logits = logits.masked_fill(logits < kth, float("-inf"))
            nxt = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, generator=generator)  # (B, 1)
        idx = torch.cat([idx, nxt], dim=1)
        yield nxt


# --------------------------------------------------------------------------- cards

GPT2_CARD = ModelCard(
    key="gpt2",
    name="GPT-2 (small)",
    family="GPT",
    domain="nlp",
    task="language modelling",
    year=2019,
    paper=Paper(
        "Language Models are Unsupervised Multitask Learners",
        "https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf",
        authors="A. Radford, J. Wu, R. Child, D. Luan, D. Amodei, I. Sutskever",
        venue="OpenAI technical report",
    ),
    level="intermediate",
    summary=(
        "A stack of causal self-attention blocks trained on 40 GB of web text to predict the next token. "
        "Sampling from it one token at a time writes fluent text, and with the right prompt it answers "
        "questions, summarises or translates without any task-specific training. Its pre-LN decoder-only "
        "design is the direct ancestor of today's large language models."
    ),
    scenarios=(
        "text generation and autocomplete",
        "zero-shot tasks by prompting",
        "learning how LLMs work",
        "fine-tuning on a domain's text",
    ),
    strengths=(
        "one simple repeated block; the same code scales from 124M to 175B parameters",
        "byte-level BPE can encode any string without unknown tokens",
    ),
    weaknesses=(
        "sees only the past (left) context",
        "small model: often incoherent over long passages and makes up facts",
        "context limited to 1,024 tokens",
    ),
    params=Figure(124_439_808, "OpenAI's released GPT-2 small checkpoint (the paper's Table 2 lists it as 117M)"),
    input="byte-level BPE token ids (B, T ≤ 1024)",
    output="next-token logits over the 50,257-token vocabulary, (B, T, 50257)",
    metric=Metric("LAMBADA accuracy (zero-shot)", 45.99, "%", "LAMBADA", "Radford et al. 2019, Table 3 (117M row)"),
    config_note=(
        "12 layers, d_model 768, 12 heads, feed-forward 3072, tanh-GELU, pre-LN with a final LayerNorm, 1,024 "
        "learned positions, 50,257-token vocabulary, LM head tied to the token embedding (counted once)."
    ),
    tags=("transformer", "decoder", "gpt", "llm", "language model", "generation", "autoregressive"),
    i18n={
        "zh": {
            "task": "语言建模",
            "summary": "由因果自注意力块堆叠而成，在 40 GB 网页文本上训练预测下一个词元。逐个词元采样即可写出流畅的文本；"
            "给出合适的提示，它无需针对任务训练就能回答问题、摘要或翻译。它的前置 LayerNorm、仅解码器结构正是当今大语言模型的直接前身。",
            "scenarios": ["文本生成与自动补全", "通过提示完成零样本任务", "学习大语言模型的原理", "在特定领域文本上微调"],
            "strengths": ["只有一个简单的重复块，同一份代码可从 1.24 亿扩展到 1750 亿参数", "字节级 BPE 能编码任意字符串，不会出现未知词"],
            "weaknesses": ["只能看到前文（左侧）上下文", "模型较小：长段落常不连贯，并会编造事实", "上下文最长 1,024 个词元"],
            "input": "字节级 BPE 词元 id (B, T ≤ 1024)",
            "output": "在 50,257 词表上的下一个词元 logits，形状 (B, T, 50257)",
        }
    },
)

GPT3_CARD = replace(
    GPT2_CARD,
    key="gpt3",
    name="GPT-3 (175B)",
    year=2020,
    paper=Paper(
        "Language Models are Few-Shot Learners",
        "https://arxiv.org/abs/2005.14165",
        authors="T. B. Brown, B. Mann, N. Ryder, M. Subbiah, J. Kaplan, P. Dhariwal, et al.",
        venue="NeurIPS 2020",
    ),
    level="advanced",
    summary=(
        "GPT-2's architecture scaled to 175 billion parameters and trained on 300 billion tokens. At this size a "
        "few examples written into the prompt are enough to perform a new task — translation, arithmetic, "
        "question answering — with no gradient updates: in-context learning. DeepZoo shows its structure and "
        "cost on the meta device; it is far too large to run here."
    ),
    scenarios=(
        "studying how scale changes model behaviour",
        "estimating memory and compute of large LLMs",
        "few-shot prompting (via an API)",
    ),
    strengths=(
        "strong few-shot and zero-shot performance across many tasks",
        "the same simple block as GPT-2, only wider and deeper",
    ),
    weaknesses=(
        "needs hundreds of GB of memory for weights alone; weights were never released",
        "training cost thousands of GPU-days",
        "can produce confident but false or biased text",
    ),
    params=Figure(175e9, "Brown et al. 2020, Table 2.1", approx=True),
    input="byte-level BPE token ids (B, T ≤ 2048)",
    metric=Metric("LAMBADA accuracy (few-shot)", 86.4, "%", "LAMBADA", "Brown et al. 2020, Table 3.2"),
    config_note=(
        "96 layers, d_model 12,288, 96 heads of 128, feed-forward 49,152, 2,048 context, GPT-2 vocabulary and block "
        "(174.6B parameters). All layers use dense attention; the paper's alternating locally banded sparse "
        "layers add no parameters. Built on the meta device only."
    ),
    tags=GPT2_CARD.tags + ("175B", "few-shot", "in-context learning"),
    i18n={
        "zh": {
            **GPT2_CARD.i18n["zh"],
            "summary": "把 GPT-2 的结构扩展到 1750 亿参数，并在 3000 亿词元上训练。在这个规模下，只要在提示里写几个示例，"
            "模型无需更新梯度就能完成新任务（翻译、算术、问答）——即上下文学习。DeepZoo 在 meta 设备上展示它的结构与计算量，它太大，无法在这里运行。",
            "scenarios": ["研究规模如何改变模型行为", "估算大语言模型的内存与算力", "通过 API 进行少样本提示"],
            "strengths": ["在许多任务上少样本、零样本表现强", "与 GPT-2 相同的简单块，只是更宽更深"],
            "weaknesses": ["仅权重就需数百 GB 内存；权重从未公开", "训练耗费数千 GPU 天", "会自信地生成错误或带偏见的文本"],
            "input": "字节级 BPE 词元 id (B, T ≤ 2048)",
        }
    },
)


def _example_ids() -> torch.Tensor:
    return torch.randint(0, GPT2_SMALL.vocab_size, (1, 32))


@register_model(card=GPT2_CARD, example_input=_example_ids)
def gpt2(**overrides) -> GPT:
    return GPT(replace(GPT2_SMALL, **overrides))


@register_model(card=GPT3_CARD, example_input=_example_ids)
def gpt3(**overrides) -> GPT:
    return GPT(replace(GPT3_175B, **overrides))


# --------------------------------------------------------------------------- shipped weights: a small byte-level GPT

from ..weights import Weights, register_weights  # noqa: E402 — appended section, weights only

register_weights(
    Weights(
        model="gpt2",
        name="pydoc-bytes",
        description=(
            "Not OpenAI's GPT-2 weights: a small GPT-2-style model (4 layers, d_model 128, 4 heads, 128-byte "
            "context, 0.84M parameters) trained by DeepZoo for 3 minutes on the help texts bundled with Python"
        ),
        dataset="pydoc_data.topics (Python's bundled help texts), last 10% held out",
        source="shipped",
        file="gpt2_bytes.safetensors",
        recipe="gpt_bytes",
        # raw UTF-8 bytes instead of BPE: any input works and no tokenizer has to be downloaded
        config={"vocab_size": 256, "block_size": 128, "n_layer": 4, "n_head": 4, "d_model": 128, "dropout": 0.0},
        metrics={"held-out bits/byte": 2.016, "held-out bits/byte with 128 bytes of context": 2.145},  # uniform: 8
        preprocessing="UTF-8 bytes of the text, one id (0–255) per byte; the last 128 bytes are the context",
    )
)
