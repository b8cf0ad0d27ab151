"""Sparsely-gated mixture of experts in a Mixtral-style Transformer language model.

- Shazeer, Mirhoseini, Maziarz, Davis, Le, Hinton & Dean, "Outrageously Large Neural Networks: The
  Sparsely-Gated Mixture-of-Experts Layer" (ICLR 2017). https://arxiv.org/abs/1701.06538
- Fedus, Zoph & Shazeer, "Switch Transformers: Scaling to Trillion Parameter Models with Simple and
  Efficient Sparsity" (JMLR 2022). https://arxiv.org/abs/2101.03961
- Jiang et al., "Mixtral of Experts" (Mistral AI, 2024). https://arxiv.org/abs/2401.04088

A mixture-of-experts (MoE) layer holds E feed-forward networks ("experts") and a small linear router. For
each token the router scores all experts, only the k best are run, and their outputs are mixed with the
router's weights (Shazeer et al. eq. 1): y = Σ_{i ∈ top-k} g_i(x) · E_i(x). Parameters grow with E, but
the compute per token only with k — capacity without cost. Mixtral's form, used here:
    p = softmax(W_r x) over the E experts; keep the top k; renormalise their weights to sum to 1;
    each expert is a SwiGLU MLP, E_i(x) = W2 (SiLU(W1 x) ⊙ W3 x).
Left alone, a router collapses onto a few experts that then get all the training signal. The Switch
Transformer's auxiliary loss (eq. 4) pushes towards balance: with N tokens, f_i the fraction of routing
slots sent to expert i and P_i the mean router probability of expert i,
    loss = E · Σ_i f_i · P_i,
which is 1 when routing is perfectly uniform and grows as load concentrates (P is differentiable, f is
not). With top-k routing, f_i here counts the N·k slots, so "uniform" still gives exactly 1 (Hugging
Face's `load_balancing_loss_func` counts per slot row and gives k). No capacity factor: every token is
processed by its k experts (as in Mixtral; Switch dropped tokens over an expert's capacity).

The rest of the block is Mixtral's (Mistral's) decoder: pre-RMSNorm, causal self-attention with rotary
position embeddings (RoPE, θ = 10⁶) and grouped-query attention (several query heads share a key/value
head), no biases, an untied output projection. The registered `moe` is a small model in that layout —
4 layers, d_model 256, 8 query / 4 key-value heads, 8 SwiGLU experts of width 512, top-2, a 32,000-token
vocabulary like Mistral's — and `HF_KEYS` maps it onto `MixtralForCausalLM`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..pretrained import KeyMap, Layout, Source, load_mapped, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model


@dataclass(frozen=True)
class MoEConfig:
    vocab_size: int = 32_000
    d_model: int = 256
    n_layers: int = 4
    n_heads: int = 8
    n_kv_heads: int = 4  # grouped-query attention: 2 query heads per key/value head
    d_expert: int = 512  # hidden width of each SwiGLU expert
    n_experts: int = 8  # E
    top_k: int = 2  # k
    rope_theta: float = 1e6
    norm_eps: float = 1e-5


class MoEOutput(NamedTuple):
    logits: torch.Tensor  # (B, T, vocab)
    balance_loss: torch.Tensor  # () Switch eq. 4, averaged over layers; add α · this to the LM loss (α ≈ 0.01)


def rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([-x2, x1], dim=-1)


def rope(x: torch.Tensor, theta: float) -> torch.Tensor:
    """Rotary position embedding (Su et al. 2021): rotate each pair of channels (i, i + d/2) of every head by
    position × θ^(−2i/d), so q·k depends on the positions only through their difference. x: (B, h, T, d)."""
    d, t = x.shape[-1], x.shape[-2]
    inv_freq = 1.0 / theta ** (torch.arange(0, d, 2, device=x.device, dtype=torch.float32) / d)  # (d/2,)
    angles = torch.arange(t, device=x.device, dtype=torch.float32)[:, None] * inv_freq  # (T, d/2)
    angles = torch.cat([angles, angles], dim=-1)  # (T, d): the same angle for both halves of a pair
    return x * angles.cos().to(x.dtype) + rotate_half(x) * angles.sin().to(x.dtype)


class Attention(nn.Module):
    """Causal grouped-query self-attention with RoPE; no biases (Mistral layout)."""

    def __init__(self, cfg: MoEConfig):
        super().__init__()
        self.n_heads, self.n_kv = cfg.n_heads, cfg.n_kv_heads
        self.d_head = cfg.d_model // cfg.n_heads
        self.theta = cfg.rope_theta
        self.q = nn.Linear(cfg.d_model, cfg.n_heads * self.d_head, bias=False)
        self.k = nn.Linear(cfg.d_model, cfg.n_kv_heads * self.d_head, bias=False)
        self.v = nn.Linear(cfg.d_model, cfg.n_kv_heads * self.d_head, bias=False)
        self.o = nn.Linear(cfg.n_heads * self.d_head, cfg.d_model, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        q = self.q(x).view(b, t, self.n_heads, self.d_head).transpose(1, 2)  # (B, h, T, dh)
        k = self.k(x).view(b, t, self.n_kv, self.d_head).transpose(1, 2)  # (B, h_kv, T, dh)
        v = self.v(x).view(b, t, self.n_kv, self.d_head).transpose(1, 2)
        q, k = rope(q, self.theta), rope(k, self.theta)
        group = self.n_heads // self.n_kv  # each key/value head serves `group` consecutive query heads
        k, v = k.repeat_interleave(group, dim=1), v.repeat_interleave(group, dim=1)  # (B, h, T, dh)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.o(y.transpose(1, 2).reshape(b, t, -1))


class Expert(nn.Module):
    """SwiGLU feed-forward network: W2 (SiLU(W1 x) ⊙ W3 x) (Shazeer 2020, as in Mixtral)."""

    def __init__(self, d_model: int, d_hidden: int):
        super().__init__()
        self.w1 = nn.Linear(d_model, d_hidden, bias=False)  # gate
        self.w3 = nn.Linear(d_model, d_hidden, bias=False)  # up
        self.w2 = nn.Linear(d_hidden, d_model, bias=False)  # down

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class Routing(NamedTuple):
    probs: torch.Tensor  # (N, E) router softmax over all experts
    experts: torch.Tensor  # (N, k) indices of the chosen experts, best first
    weights: torch.Tensor  # (N, k) their gate weights, renormalised to sum to 1


class SparseMoE(nn.Module):
    """Top-k routed mixture of SwiGLU experts; returns the mixed output and the Switch balance loss."""

    def __init__(self, cfg: MoEConfig):
        super().__init__()
        self.top_k, self.n_experts = cfg.top_k, cfg.n_experts
        self.router = nn.Linear(cfg.d_model, cfg.n_experts, bias=False)  # W_r
        self.experts = nn.ModuleList(Expert(cfg.d_model, cfg.d_expert) for _ in range(cfg.n_experts))

    def route(self, x: torch.Tensor) -> Routing:
        """x: (N, d) tokens → which k experts each token goes to, and with what weight."""
        probs = F.softmax(self.router(x).float(), dim=-1)  # (N, E); float32 for a stable softmax
        top_p, top_i = probs.topk(self.top_k, dim=-1)  # (N, k)
        return Routing(probs, top_i, top_p / top_p.sum(-1, keepdim=True))

    def balance_loss(self, r: Routing) -> torch.Tensor:
        """Switch Transformer eq. 4: E · Σ_i f_i · P_i, with f_i over the N·k routing slots (1 = uniform)."""
        slots = F.one_hot(r.experts, self.n_experts).float()  # (N, k, E)
        f = slots.sum((0, 1)) / slots.shape[0] / self.top_k  # (E,) fraction of slots per expert (not differentiable)
        p = r.probs.mean(0)  # (E,) mean router probability per expert (carries the gradient)
        return self.n_experts * (f * p).sum()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b, t, d = x.shape
        x = x.reshape(b * t, d)  # (N, d): routing is per token, batch and time alike
        r = self.route(x)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            token, slot = torch.where(r.experts == e)  # the tokens that chose expert e, and in which rank
            # only those tokens run through expert e: compute ∝ k, not E (an empty selection costs nothing)
            out.index_add_(0, token, expert(x[token]) * r.weights[token, slot, None].to(x.dtype))
        return out.view(b, t, d), self.balance_loss(r)


class Block(nn.Module):
    def __init__(self, cfg: MoEConfig):
        super().__init__()
        self.attn_norm = nn.RMSNorm(cfg.d_model, eps=cfg.norm_eps)
        self.attn = Attention(cfg)
        self.moe_norm = nn.RMSNorm(cfg.d_model, eps=cfg.norm_eps)
        self.moe = SparseMoE(cfg)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = x + self.attn(self.attn_norm(x))
        y, balance = self.moe(self.moe_norm(x))  # the MoE layer takes the place of the dense FFN
        return x + y, balance


class MoETransformer(nn.Module):
    def __init__(self, cfg: MoEConfig = MoEConfig()):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.d_model, eps=cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)  # untied, as in Mixtral
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)

    def forward(self, idx: torch.Tensor) -> MoEOutput:
        """(B, T) token ids → next-token logits (B, T, vocab) and the mean balance loss of the layers."""
        x = self.embed(idx)  # (B, T, d); RoPE inside attention supplies positions
        losses = []
        for block in self.blocks:
            x, balance = block(x)
            losses.append(balance)
        return MoEOutput(self.lm_head(self.norm(x)), torch.stack(losses).mean())

    def active_params(self) -> int:
        """Parameters that touch one token: everything but the E − k experts each layer leaves idle."""
        expert = sum(p.numel() for p in self.blocks[0].moe.experts[0].parameters())
        idle = (self.cfg.n_experts - self.cfg.top_k) * expert * self.cfg.n_layers
        return sum(p.numel() for p in self.parameters()) - idle


# Our names → `MixtralForCausalLM` names. In memory, transformers 5 stores experts as fused 3-D tensors:
# gate_up_proj[e] = [W1_e; W3_e] (2·ff, d) and down_proj[e] = W2_e (d, ff); files keep one matrix per expert.
HF_KEYS = {
    "embed.weight": "model.embed_tokens.weight",
    "norm.weight": "model.norm.weight",
    "lm_head.weight": "lm_head.weight",
}
_BLOCK_KEYS = {
    "attn_norm.weight": "input_layernorm.weight",
    "moe_norm.weight": "post_attention_layernorm.weight",
    "attn.q.weight": "self_attn.q_proj.weight",
    "attn.k.weight": "self_attn.k_proj.weight",
    "attn.v.weight": "self_attn.v_proj.weight",
    "attn.o.weight": "self_attn.o_proj.weight",
    "moe.router.weight": "mlp.gate.weight",
}


def _expert(e: int, part: int | None = None):
    """transformers stores each layer's experts stacked, gate and up projections fused: (E, 2·d_expert, d_model).
    This takes expert `e` (and half `part` of the fused matrix: 0 = gate w1, 1 = up w3)."""

    def take(t: torch.Tensor) -> torch.Tensor:
        return t[e] if part is None else t[e].chunk(2, dim=0)[part]

    return take


def hf_mixtral_map(model: MoETransformer, fused: bool = False) -> KeyMap:
    """Mixtral as published (and as `save_pretrained` writes it): one w1/w2/w3 per expert under
    `block_sparse_moe`. `fused=True`: the state dict of a transformers 5 model in memory, which stacks the experts
    and fuses gate and up projections (`mlp.experts.gate_up_proj`)."""
    m: dict[str, Source] = dict(HF_KEYS)
    for i in range(model.cfg.n_layers):
        theirs, ours = f"model.layers.{i}.", f"blocks.{i}."
        m.update({ours + mine: theirs + name for mine, name in _BLOCK_KEYS.items()})
        if not fused:
            m[ours + "moe.router.weight"] = theirs + "block_sparse_moe.gate.weight"
        for e in range(model.cfg.n_experts):
            for w in ("w1", "w2", "w3"):
                m[ours + f"moe.experts.{e}.{w}.weight"] = theirs + f"block_sparse_moe.experts.{e}.{w}.weight"
            if fused:
                m[ours + f"moe.experts.{e}.w1.weight"] = (theirs + "mlp.experts.gate_up_proj", _expert(e, 0))
                m[ours + f"moe.experts.{e}.w3.weight"] = (theirs + "mlp.experts.gate_up_proj", _expert(e, 1))
                m[ours + f"moe.experts.{e}.w2.weight"] = (theirs + "mlp.experts.down_proj", _expert(e))
    return KeyMap(m)


def load_hf_state_dict(model: MoETransformer, hf: dict[str, torch.Tensor]) -> None:
    """Copy the state dict of a transformers 5 `MixtralForCausalLM` in memory into `model`, strictly."""
    load_mapped(model, hf, hf_mixtral_map(model, fused=True))


register_layout(
    Layout(
        "hf",
        models=("moe",),
        key_map=hf_mixtral_map,
        config=lambda config, shapes: hf_overrides(
            config,
            {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
             "n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads", "d_expert": "intermediate_size",
             "n_experts": "num_local_experts", "top_k": "num_experts_per_tok", "rope_theta": "rope_theta",
             "norm_eps": "rms_norm_eps"},
        ),  # fmt: skip
        model_types=("mixtral",),
        note="MixtralForCausalLM checkpoints (one w1/w2/w3 per expert, as published and as save_pretrained writes)",
    )
)


def _example() -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 32_000, (1, 32), generator=g)  # (1, 32) token ids


@register_model(
    card=ModelCard(
        key="moe",
        name="Sparse Mixture-of-Experts Transformer (Mixtral-style)",
        family="Mixture of Experts",
        domain="nlp",
        task="language modelling",
        year=2017,
        paper=Paper(
            "Outrageously Large Neural Networks: The Sparsely-Gated Mixture-of-Experts Layer",
            "https://arxiv.org/abs/1701.06538",
            authors="N. Shazeer, A. Mirhoseini, K. Maziarz, A. Davis, Q. Le, G. Hinton, J. Dean",
            venue="ICLR 2017",
        ),
        level="advanced",
        summary=(
            "A decoder-only language model whose feed-forward layers are mixtures of experts: a router sends "
            "each token to the 2 best of 8 expert MLPs and mixes their outputs with renormalised gate weights, "
            "so the model holds many more parameters than any one token uses. An auxiliary loss from the Switch "
            "Transformer keeps the load spread across experts. This is the layout of Mixtral 8x7B (Mistral AI "
            "2024): 8 experts, top-2, about 46.7B parameters in total but about 12.9B active per token, which "
            "matched or beat the dense Llama 2 70B on the benchmarks its authors report."
        ),
        scenarios=(
            "scaling language models' capacity without scaling compute per token",
            "learning how sparse routing, load balancing and expert parallelism work",
            "studying which experts specialise on which tokens",
        ),
        strengths=(
            "compute per token grows with k, parameters with the number of experts",
            "drop-in replacement for the dense feed-forward block",
            "strong quality per FLOP at large scale (Switch, Mixtral, DeepSeek-MoE)",
        ),
        weaknesses=(
            "all experts must sit in memory even though few run per token",
            "routing can collapse or become unbalanced without the auxiliary loss",
            "irregular, data-dependent compute is harder to batch and parallelise than dense layers",
        ),
        params=Figure(29_763_840, "DeepZoo count of the stated configuration (equal to MixtralForCausalLM's)"),
        input="token ids (1, 32) from a 32,000-token vocabulary",
        output="MoEOutput: next-token logits (1, 32, 32000) and the scalar load-balancing loss",
        config_note=(
            "4 layers, d_model 256, 8 query / 4 key-value heads (head 32), RoPE θ = 10⁶, RMSNorm, 8 SwiGLU "
            "experts of width 512 per layer, top-2 routing with renormalised weights, Switch balance loss, no "
            "capacity limit, 32,000-token vocabulary, untied LM head. Per layer: attention 196,608 + router "
            "2,048 + experts 3,145,728 + norms 512; embeddings 2 × 8,192,000. About 20.3M of the 29.8M "
            "parameters are active per token (the two 8.2M embedding tables dominate at this size). "
            "Mixtral 8x7B: 32 layers, d 4,096, 32/8 heads, experts of 14,336, ≈46.7B total / ≈12.9B active "
            "(Mistral AI 2024)."
        ),
        tags=("transformer", "mixture of experts", "moe", "sparse", "routing", "mixtral", "llm", "decoder"),
        i18n={
            "zh": {
                "task": "语言建模",
                "summary": "一个仅解码器的语言模型，前馈层换成了专家混合：路由器把每个词元送往 8 个专家 MLP 中得分最高的 2 个，"
                "并用重新归一化的门控权重混合它们的输出，因此模型拥有的参数远多于单个词元实际用到的参数。"
                "Switch Transformer 的辅助损失让负载在专家之间保持均衡。这正是 Mixtral 8x7B（Mistral AI，2024）的结构："
                "8 个专家、top-2，总参数约 467 亿，每个词元激活约 129 亿，在其作者报告的基准上达到或超过了 700 亿参数的稠密模型 Llama 2 70B。",
                "scenarios": ["在不增加每词元计算量的情况下扩大语言模型容量", "学习稀疏路由、负载均衡和专家并行的原理", "研究哪些专家专门处理哪些词元"],
                "strengths": ["每词元计算量随 k 增长，参数量随专家数增长", "可直接替换稠密前馈块", "大规模下单位计算量的效果很强（Switch、Mixtral、DeepSeek-MoE）"],
                "weaknesses": ["即使每个词元只用少数专家，所有专家都必须放在内存里", "没有辅助损失时路由可能塌缩或失衡", "计算不规则且依赖数据，比稠密层更难批处理和并行"],
                "input": "来自 32,000 词表的词元 id (1, 32)",
                "output": "MoEOutput：下一个词元的 logits (1, 32, 32000) 以及标量负载均衡损失",
                "config_note": "4 层，d_model 256，8 个查询头 / 4 个键值头（每头 32），RoPE θ = 10⁶，RMSNorm，每层 8 个宽度 512 的 "
                "SwiGLU 专家，top-2 路由并重新归一化权重，Switch 均衡损失，无容量上限，32,000 词表，输出层不共享权重。"
                "每层：注意力 196,608 + 路由器 2,048 + 专家 3,145,728 + 归一化 512；嵌入 2 × 8,192,000。"
                "2,980 万参数中每个词元约激活 2,030 万（在这个规模下两张 819 万参数的嵌入表占了大头）。Mixtral 8x7B：32 层，d 4,096，32/8 头，专家宽 14,336，"
                "总计约 467 亿 / 激活约 129 亿（Mistral AI 2024）。",
            }
        },
    ),
    example_input=_example,
)
def moe(**overrides) -> MoETransformer:
    return MoETransformer(replace(MoEConfig(), **overrides))
