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
- `gpt2_medium`: 24 layers, d_model 1024, 16 heads: 354,823,168 parameters (Table 2 says 345M).
  Above 150M parameters, so DeepZoo inspects it on the `meta` device.
- `gpt3`: GPT-3 175B, 96 layers, d_model 12,288, 96 heads, 2,048 context: 174.6B parameters.
  Only ever built on the `meta` device, so its card can be inspected without 700 GB of memory.

GPT-4 (OpenAI, 2023) is not here: its technical report (arXiv 2303.08774) withholds the architecture,
model size, hardware, training compute and data. Reports of a ~1.8T-parameter mixture of experts are
unconfirmed; the GPT cards say what is known and what is rumour, and do not build a guessed model.

`generate` samples text one token at a time and yields each token as it comes (for streaming).
`hf_gpt2_key_map` says where each parameter sits in a Hugging Face GPT-2 checkpoint (fused, transposed
Conv1D projections), for `zoo.pretrained.load_mapped`.
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
from ..weights import Weights, register_weights
from ..pretrained import KeyMap, KnownCheckpoint, Layout, Source, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
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
GPT2_MEDIUM = GPTConfig(n_layer=24, n_head=16, d_model=1024)  # Radford et al. Table 2, second row
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

# GPT-4 is searched for often and its architecture is not public; every GPT card says so instead of guessing.
GPT4_NOTE = (
    "About GPT-4: it is not in DeepZoo because its architecture is unpublished. OpenAI's GPT-4 Technical Report "
    "(arXiv 2303.08774, 2023) says only that it is a Transformer-style model pre-trained to predict the next token, "
    "then fine-tuned with reinforcement learning from human feedback, and that it accepts image and text inputs; it "
    "states that it gives no further details of the architecture (including model size), hardware, training compute, "
    "dataset construction or training method. Reports that GPT-4 is a mixture of experts with about 1.8 trillion "
    "parameters (e.g. SemiAnalysis, July 2023) are unconfirmed rumours; OpenAI has not confirmed them."
)
GPT4_NOTE_ZH = (
    "关于 GPT-4：DeepZoo 没有收录它，因为它的结构从未公开。OpenAI 的《GPT-4 技术报告》（arXiv 2303.08774，2023）只说明它是"
    "预训练来预测下一个词元的 Transformer 式模型，之后用人类反馈强化学习（RLHF）微调，并可接受图像和文本输入；报告明确表示"
    "不再提供结构（包括模型规模）、硬件、训练算力、数据集构建和训练方法等细节。所谓 GPT-4 是约 1.8 万亿参数的混合专家（MoE）"
    "模型的说法（如 SemiAnalysis 2023 年 7 月的文章）属于未经证实的传闻，OpenAI 并未确认。"
)

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
        "learned positions, 50,257-token vocabulary, LM head tied to the token embedding (counted once). "
        + GPT4_NOTE
    ),
    tags=("transformer", "decoder", "gpt", "llm", "language model", "generation", "autoregressive", "GPT-4"),
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
            "config_note": "12 层，d_model 768，12 个注意力头，前馈层 3072，tanh 近似 GELU，前置 LayerNorm 并在最后再加一层，"
            "1,024 个可学习位置，50,257 词表，输出层与词元嵌入共享权重（只计一次）。" + GPT4_NOTE_ZH,
        }
    },
)

GPT2_MEDIUM_CARD = replace(
    GPT2_CARD,
    key="gpt2_medium",
    name="GPT-2 medium",
    level="intermediate",
    summary=(
        "The second of GPT-2's four sizes: the same pre-LN decoder, twice as deep (24 blocks) and wider (1024). On "
        "every benchmark of the paper's Table 3 it beats GPT-2 small zero-shot, e.g. LAMBADA accuracy rises from 46.0% "
        "to 55.5%: one step of the scaling trend that led to GPT-3. DeepZoo shows its structure and cost on the meta "
        "device."
    ),
    scenarios=(
        "text generation with better coherence than GPT-2 small",
        "studying how loss and zero-shot skills change with model size",
        "fine-tuning when GPT-2 small is too weak",
    ),
    strengths=(
        "better than GPT-2 small on every zero-shot benchmark of the paper's Table 3 (perplexity, bits, accuracy)",
        "identical code, tokenizer and context to GPT-2 small",
    ),
    weaknesses=(
        "355M parameters: about 1.4 GB of float32 weights and about 3× GPT-2 small's compute per token",
        "still makes up facts and loses the thread over long passages",
        "context limited to 1,024 tokens",
    ),
    params=Figure(
        354_823_168,
        "transformers 5.24 GPT2LMHeadModel built from the released gpt2-medium config (n_layer 24, n_embd 1024, "
        "n_head 16), LM head tied and counted once; Radford et al. 2019, Table 2 lists 345M",
    ),
    input="byte-level BPE token ids (B, T ≤ 1024)",
    output="next-token logits over the 50,257-token vocabulary, (B, T, 50257)",
    metric=Metric("LAMBADA accuracy (zero-shot)", 55.48, "%", "LAMBADA", "Radford et al. 2019, Table 3 (345M row)"),
    config_note=(
        "24 layers, d_model 1024, 16 heads of 64, feed-forward 4096, tanh-GELU, pre-LN with a final LayerNorm, 1,024 "
        "learned positions, 50,257-token vocabulary, LM head tied to the token embedding (counted once). Built on the "
        "meta device for inspection. " + GPT4_NOTE
    ),
    tags=GPT2_CARD.tags + ("345M", "medium"),
    i18n={
        "zh": {
            **GPT2_CARD.i18n["zh"],
            "summary": "GPT-2 四种规模中的第二种：同样的前置 LayerNorm 解码器，深度加倍（24 块），宽度增至 1024。在论文表 3 的"
            "所有基准上，它的零样本成绩都超过 GPT-2 small，例如 LAMBADA 准确率从 46.0% 升到 55.5%，是通向 GPT-3 的规模化趋势中的一步。"
            "DeepZoo 在 meta 设备上展示它的结构与计算量。",
            "scenarios": ["比 GPT-2 small 更连贯的文本生成", "研究损失与零样本能力如何随模型规模变化", "GPT-2 small 不够用时用于微调"],
            "strengths": ["在论文表 3 的全部零样本基准（困惑度、每字符比特数、准确率）上都优于 GPT-2 small", "代码、分词器与上下文长度都与 GPT-2 small 相同"],
            "weaknesses": [
                "3.55 亿参数：float32 权重约 1.4 GB，每个词元的计算量约为 GPT-2 small 的 3 倍",
                "仍会编造事实，长段落中容易跑题",
                "上下文最长 1,024 个词元",
            ],
            "config_note": "24 层，d_model 1024，16 个 64 维注意力头，前馈层 4096，tanh 近似 GELU，前置 LayerNorm 并在最后再加一层，"
            "1,024 个可学习位置，50,257 词表，输出层与词元嵌入共享权重（只计一次）。仅在 meta 设备上构建以供查看。" + GPT4_NOTE_ZH,
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
        "layers add no parameters. Built on the meta device only. " + GPT4_NOTE
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
            "config_note": "96 层，d_model 12,288，96 个 128 维注意力头，前馈层 49,152，上下文 2,048，词表与块结构同 GPT-2"
            "（共 1746 亿参数）。所有层都用稠密注意力；论文中交替出现的局部带状稀疏注意力层不增加参数。仅在 meta 设备上构建。"
            + GPT4_NOTE_ZH,
        }
    },
)


def _example_ids(length: int = 32) -> torch.Tensor:
    return torch.randint(0, GPT2_SMALL.vocab_size, (1, length))


@register_model(card=GPT2_CARD, example_input=_example_ids)
def gpt2(**overrides) -> GPT:
    return GPT(replace(GPT2_SMALL, **overrides))


@register_model(card=GPT2_MEDIUM_CARD, example_input=lambda: _example_ids(16))
def gpt2_medium(**overrides) -> GPT:
    return GPT(replace(GPT2_MEDIUM, **overrides))


@register_model(card=GPT3_CARD, example_input=_example_ids)
def gpt3(**overrides) -> GPT:
    return GPT(replace(GPT3_175B, **overrides))


# --------------------------------------------------------------------------- checkpoint map (Hugging Face names)

# Causal-mask tables older GPT-2 exports save beside the weights; they hold nothing learned. `lm_head.weight`
# is the token embedding again (tied), so it is read once, as `wte`.
# Constant causal-mask buffers older exports save, and the LM head, which is the token embedding (tied here too).
HF_GPT2_IGNORED = ("*.attn.bias", "*.attn.masked_bias", "lm_head.weight")


def _conv1d(part: int = 0, parts: int = 1):
    """OpenAI's GPT-2 stores projections as Conv1D, y = x W + b with W of shape (in, out), and fuses q, k, v
    into one (d, 3d) matrix. This returns the function that takes column block `part` of `parts` and
    transposes a weight to nn.Linear's (out, in); biases are only sliced."""

    def take(t: torch.Tensor) -> torch.Tensor:
        block = t.shape[-1] // parts
        t = t[..., part * block : (part + 1) * block]  # (in, out) or (out,)
        return t.T.contiguous() if t.ndim == 2 else t.contiguous()

    return take


def hf_gpt2_key_map(cfg: GPTConfig, prefix: str = "transformer.") -> dict[str, Source]:
    """DeepZoo key → Hugging Face GPT-2 key (with the reshaping Conv1D needs), one entry per tensor.

    The default prefix reads `GPT2LMHeadModel` state dicts; `prefix=""` reads `GPT2Model` ones such as the
    `model.safetensors` OpenAI's checkpoints are published as."""
    m: dict[str, Source] = {
        "wte.weight": prefix + "wte.weight",
        "wpe.weight": prefix + "wpe.weight",
        "ln_f.weight": prefix + "ln_f.weight",
        "ln_f.bias": prefix + "ln_f.bias",
    }
    for i in range(cfg.n_layer):
        ours, theirs = f"blocks.{i}.", f"{prefix}h.{i}."
        for kind in ("weight", "bias"):
            m[ours + f"attn_norm.{kind}"] = theirs + f"ln_1.{kind}"
            m[ours + f"ffn_norm.{kind}"] = theirs + f"ln_2.{kind}"
            for part, name in enumerate(("w_q", "w_k", "w_v")):  # c_attn = [q | k | v] along its columns
                m[ours + f"attn.{name}.{kind}"] = (theirs + f"attn.c_attn.{kind}", _conv1d(part, 3))
            m[ours + f"attn.w_o.{kind}"] = (theirs + f"attn.c_proj.{kind}", _conv1d())
            m[ours + f"ffn.w1.{kind}"] = (theirs + f"mlp.c_fc.{kind}", _conv1d())
            m[ours + f"ffn.w2.{kind}"] = (theirs + f"mlp.c_proj.{kind}", _conv1d())
    return m


register_layout(
    Layout(
        "hf",
        models=("gpt2", "gpt2_medium"),
        key_map=lambda model: KeyMap(hf_gpt2_key_map(model.cfg, prefix=""), ignore=HF_GPT2_IGNORED),
        config=lambda config, shapes: hf_overrides(
            config,
            {"vocab_size": "vocab_size", "block_size": "n_positions", "n_layer": "n_layer", "n_head": "n_head",
             "d_model": "n_embd", "layer_norm_eps": "layer_norm_epsilon"},
        ),  # fmt: skip
        model_types=("gpt2",),
        prefixes=("", "transformer."),  # GPT2Model (OpenAI's published files), or GPT2LMHeadModel
        note="GPT2Model and GPT2LMHeadModel checkpoints (fused Conv1D projections split and transposed)",
    )
)
register_checkpoint(
    KnownCheckpoint(
        "gpt2", "hf://openai-community/gpt2", layout="hf", licence="mit", dataset="WebText",
        metric="LAMBADA accuracy 45.99% zero-shot (Radford et al. 2019, Table 3)",
    )
)  # fmt: skip
register_checkpoint(
    KnownCheckpoint(
        "gpt2_medium", "hf://openai-community/gpt2-medium", layout="hf", licence="mit", dataset="WebText",
        metric="LAMBADA accuracy 55.48% zero-shot (Radford et al. 2019, Table 3)",
    )
)  # fmt: skip


# --------------------------------------------------------------------------- shipped weights: a small byte-level GPT

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
