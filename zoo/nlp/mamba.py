"""Mamba — Gu & Dao, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" (2023).
https://arxiv.org/abs/2312.00752

Mamba replaces attention with a *selective* state-space model (SSM). A linear SSM maps a 1-D input
sequence x_t to y_t through an N-dimensional hidden state h_t (paper Eq. 1–2, discretised with a step Δ):

    h_t = Ā_t h_{t−1} + B̄_t x_t,        y_t = C_t h_t          with Ā = exp(Δ A), B̄ = Δ B

Earlier SSMs (S4) keep Δ, B and C fixed, so the whole map is one long convolution — fast, but unable to
decide *per token* what to remember. Mamba makes Δ, B and C functions of the current input (§3.2,
Algorithm 2): a large Δ_t resets the state and focuses on x_t, a small one keeps the past. That breaks the
convolution trick, so the paper computes the recurrence with a hardware-aware parallel scan in CUDA.
Here the scan is plain PyTorch (`selective_scan`): the recurrence is a chain of affine maps, composed
pairwise in log₂ T rounds of tensor operations; `selective_scan_sequential` is the per-step loop it must
equal, and the tests check that it does.

Each Mamba block (Figure 3) projects the d_model stream up to 2·d_model, splits it into x and a gate z,
runs x through a short causal depthwise convolution, SiLU and the selective SSM (one independent SSM per
channel, all sharing the input-dependent B_t and C_t), multiplies by SiLU(z) and projects back down. Blocks
are pre-norm residual (RMSNorm), there is no attention and no MLP, and the state is fixed-size: memory and
time per generated token do not grow with the context.

`mamba_130m` is the smallest model of the paper's scaling study (Table 3; the state-spaces/mamba-130m
checkpoint): 24 blocks, d_model 768, state size N = 16, expansion 2, convolution width 4, Δ rank
⌈768/16⌉ = 48, GPT-NeoX vocabulary padded to 50,280 and tied to the output layer: 129,135,360 parameters,
equal to Hugging Face `transformers`' `MambaForCausalLM` with the published config.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..pretrained import KeyMap, KnownCheckpoint, Layout, load_mapped, register_checkpoint, register_layout
from ..pretrained.hf import hf_overrides
from ..registry import register_model
from .llama import RMSNorm


@dataclass(frozen=True)
class MambaConfig:
    vocab_size: int = 50_280  # GPT-NeoX BPE (50,277) padded to a multiple of 8
    d_model: int = 768
    n_layers: int = 24
    d_state: int = 16  # N, the SSM state size per channel
    expand: int = 2  # E: the inner width is E · d_model
    d_conv: int = 4  # width of the causal depthwise convolution
    dt_rank: int = 48  # R, rank of the Δ projection: ⌈d_model / 16⌉
    dt_min: float = 0.001  # Δ is initialised log-uniformly in [dt_min, dt_max] (§3.6)
    dt_max: float = 0.1
    norm_eps: float = 1e-5

    @property
    def d_inner(self) -> int:
        return self.expand * self.d_model


MAMBA_130M = MambaConfig()


def selective_scan_sequential(
    u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, D: torch.Tensor
) -> torch.Tensor:
    """The selective SSM as written (Algorithm 2, Eq. 2a–2b), one time step at a time — the reference.

    u, delta: (Bt, D, T) input and step size per channel; A: (D, N); B, C: (Bt, T, N) shared by the channels;
    D: (D,) skip connection. Returns y: (Bt, D, T)."""
    Bt, Dc, T = u.shape
    h = u.new_zeros(Bt, Dc, A.shape[1])  # (Bt, D, N): the state starts empty
    ys = []
    for t in range(T):
        dA = torch.exp(delta[:, :, t, None] * A)  # Ā_t = exp(Δ_t A), zero-order hold
        dBu = delta[:, :, t, None] * B[:, None, t, :] * u[:, :, t, None]  # B̄_t x_t with B̄_t = Δ_t B_t
        h = dA * h + dBu  # h_t = Ā_t h_{t−1} + B̄_t x_t
        ys.append((h * C[:, None, t, :]).sum(-1))  # y_t = C_t h_t  → (Bt, D)
    return torch.stack(ys, dim=-1) + u * D[None, :, None]  # (Bt, D, T)


def selective_scan(
    u: torch.Tensor, delta: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, D: torch.Tensor
) -> torch.Tensor:
    """The same recurrence as a parallel scan: log₂ T rounds over the whole sequence instead of T steps.

    Each step is an affine map of the state, h ↦ a·h + b with a = Ā_t, b = B̄_t x_t. Doing map 1 then map 2
    is again affine, (a₂a₁, a₂b₁ + b₂), and this composition is associative, so all prefixes h_1 … h_T can be
    formed by doubling (Hillis & Steele 1986): after round k, position t holds the composition of the 2^k maps
    ending at t. This is the scan the paper runs in SRAM (§3.3.2); here it materialises every state, which is
    simple and fast for the sequence lengths DeepZoo runs. Same shapes and result as `selective_scan_sequential`."""
    T = u.shape[-1]
    a = torch.exp(delta[..., None] * A[None, :, None, :])  # (Bt, D, T, N): Ā_t = exp(Δ_t A)
    b = delta[..., None] * B[:, None] * u[..., None]  # (Bt, D, T, N): B̄_t x_t
    step = 1
    while step < T:
        # the maps ending `step` positions earlier; before the sequence starts: the identity (a = 1, b = 0)
        a_before = F.pad(a[:, :, :-step], (0, 0, step, 0), value=1.0)
        b_before = F.pad(b[:, :, :-step], (0, 0, step, 0), value=0.0)
        b = a * b_before + b  # apply the earlier block, then this one
        a = a * a_before
        step *= 2
    h = b  # (Bt, D, T, N): every state h_t, starting from h_0 = 0
    y = (h * C[:, None]).sum(-1)  # y_t = C_t h_t, (Bt, D, T)
    return y + u * D[None, :, None]


class MambaMixer(nn.Module):
    """The Mamba block of Figure 3: in_proj → (x: conv → SiLU → selective SSM) ⊙ SiLU(z) → out_proj."""

    def __init__(self, cfg: MambaConfig):
        super().__init__()
        self.cfg = cfg
        E, N, R = cfg.d_inner, cfg.d_state, cfg.dt_rank
        self.in_proj = nn.Linear(cfg.d_model, 2 * E, bias=False)  # x and the gate z
        # depthwise (one filter per channel), padded on both sides and cut on the right: causal
        self.conv1d = nn.Conv1d(E, E, kernel_size=cfg.d_conv, groups=E, padding=cfg.d_conv - 1)
        self.x_proj = nn.Linear(E, R + 2 * N, bias=False)  # s_Δ (rank R), s_B, s_C of Algorithm 2
        self.dt_proj = nn.Linear(R, E, bias=True)  # Broadcast_D: Δ back to one value per channel
        # A = −exp(A_log): diagonal, negative real (a decaying state), S4D-Real init A_n = −(n + 1) (§3.6)
        A = torch.arange(1, N + 1, dtype=torch.float32).repeat(E, 1)  # (E, N)
        self.A_log = nn.Parameter(torch.log(A))
        self.D = nn.Parameter(torch.ones(E))  # skip connection y += D · x
        self.out_proj = nn.Linear(E, cfg.d_model, bias=False)
        self._init_dt()

    def _init_dt(self) -> None:
        """Δ = softplus(dt_proj(·) + bias) starts log-uniform in [dt_min, dt_max]: set the bias to softplus⁻¹(Δ)."""
        c = self.cfg
        nn.init.uniform_(self.dt_proj.weight, -(c.dt_rank**-0.5), c.dt_rank**-0.5)
        dt = torch.exp(torch.rand(c.d_inner) * (math.log(c.dt_max) - math.log(c.dt_min)) + math.log(c.dt_min))
        dt = dt.clamp(min=1e-4)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus⁻¹(dt) = dt + log(1 − e^−dt)

    def ssm_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """The selection mechanism (§3.2): Δ, B, C computed from the input itself. x: (Bt, T, E)."""
        N, R = self.cfg.d_state, self.cfg.dt_rank
        dt_low, B, C = self.x_proj(x).split([R, N, N], dim=-1)  # (Bt, T, R), (Bt, T, N), (Bt, T, N)
        delta = F.softplus(self.dt_proj(dt_low))  # τ_Δ = softplus, (Bt, T, E), always > 0
        A = -torch.exp(self.A_log.float())  # (E, N)
        return delta.transpose(1, 2), A, B, C

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        T = hidden.shape[1]
        x, z = self.in_proj(hidden).chunk(2, dim=-1)  # (Bt, T, E) each
        x = self.conv1d(x.transpose(1, 2))[..., :T]  # (Bt, E, T): keep outputs that see only the past
        x = F.silu(x)
        delta, A, B, C = self.ssm_inputs(x.transpose(1, 2))
        y = selective_scan(x, delta, A, B, C, self.D.float())  # (Bt, E, T)
        y = y.transpose(1, 2) * F.silu(z)  # gate, as in gated MLPs / H3 (Figure 3)
        return self.out_proj(y)  # (Bt, T, d_model)


class MambaBlock(nn.Module):
    """x + Mixer(RMSNorm(x)): the mixer is the whole layer — no separate MLP."""

    def __init__(self, cfg: MambaConfig):
        super().__init__()
        self.norm = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.mixer = MambaMixer(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.mixer(self.norm(x))  # (Bt, T, d_model)


class Mamba(nn.Module):
    """Token ids (B, T) → next-token logits (B, T, vocab)."""

    def __init__(self, cfg: MambaConfig = MAMBA_130M):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.layers = nn.ModuleList(MambaBlock(cfg) for _ in range(cfg.n_layers))
        self.norm_f = RMSNorm(cfg.d_model, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        self.lm_head.weight = self.embedding.weight  # tied
        # the reference initialisation: N(0, 0.02) embeddings, PyTorch's default for the projections, and (as in
        # GPT-2) each residual branch's output layer shrunk by 1/√n_layers so the stream's variance stays put
        nn.init.normal_(self.embedding.weight, std=0.02)
        with torch.no_grad():
            for layer in self.layers:
                layer.mixer.out_proj.weight /= math.sqrt(cfg.n_layers)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding(input_ids)  # (B, T, d_model); no positions: the recurrence is ordered by itself
        for layer in self.layers:
            x = layer(x)
        return self.lm_head(self.norm_f(x))  # (B, T, vocab_size)


# --------------------------------------------------------------------------- Hugging Face checkpoint map

# (Hugging Face MambaForCausalLM name, DeepZoo name — also the state-spaces checkpoint's, minus "backbone.")
HF_KEY_MAP: tuple[tuple[str, str], ...] = (
    ("backbone.embeddings.weight", "embedding.weight"),
    ("lm_head.weight", "embedding.weight"),  # tied alias
    ("backbone.layers.{i}.norm.weight", "layers.{i}.norm.weight"),
    *[
        (f"backbone.layers.{{i}}.mixer.{p}", f"layers.{{i}}.mixer.{p}")
        for p in (
            "in_proj.weight", "conv1d.weight", "conv1d.bias", "x_proj.weight", "dt_proj.weight", "dt_proj.bias",
            "A_log", "D", "out_proj.weight",
        )
    ],
    ("backbone.norm_f.weight", "norm_f.weight"),
)


def hf_mamba_map(model: Mamba) -> KeyMap:
    return KeyMap.from_patterns(HF_KEY_MAP, model.cfg.n_layers)


def load_hf_mamba(model: Mamba, hf_state: dict[str, torch.Tensor]) -> None:
    """Load a Hugging Face `MambaForCausalLM` state dict."""
    load_mapped(model, hf_state, hf_mamba_map(model))


def hf_mamba_config(config, shapes) -> dict:
    out = hf_overrides(
        config,
        {"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
         "d_state": "state_size", "expand": "expand", "d_conv": "conv_kernel", "dt_rank": "time_step_rank",
         "norm_eps": "layer_norm_epsilon"},
    )  # fmt: skip
    if out.get("dt_rank") == "auto":  # transformers' shorthand for ⌈d_model / 16⌉
        out["dt_rank"] = math.ceil(out.get("d_model", MambaConfig.d_model) / 16)
    return out


register_layout(
    Layout(
        "hf",
        models=("mamba_130m",),
        key_map=hf_mamba_map,
        config=hf_mamba_config,
        model_types=("mamba",),
        note="MambaForCausalLM checkpoints (the state-spaces/mamba-*-hf conversions)",
    )
)
register_checkpoint(
    KnownCheckpoint("mamba_130m", "hf://state-spaces/mamba-130m-hf", layout="hf", licence="", dataset="The Pile (300B tokens)")
)


# --------------------------------------------------------------------------- card

MAMBA_130M_CARD = ModelCard(
    key="mamba_130m",
    name="Mamba-130M",
    family="Mamba",
    domain="nlp",
    task="language modelling",
    year=2023,
    paper=Paper(
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
        "https://arxiv.org/abs/2312.00752",
        authors="A. Gu, T. Dao",
        venue="arXiv 2023 (COLM 2024)",
    ),
    level="advanced",
    summary=(
        "A language model with no attention: each layer runs a state-space recurrence whose step size and "
        "read/write vectors depend on the current token, so the model chooses what to keep in a fixed-size state "
        "and what to forget. Training is parallel like a Transformer's; generation costs the same per token "
        "however long the context is. In the paper, Mamba-3B matched Transformers twice its size."
    ),
    scenarios=(
        "language modelling with long contexts at constant memory per generated token",
        "long sequences beyond text: DNA, audio, time series",
        "learning state-space models and the selection mechanism",
    ),
    strengths=(
        "linear time in sequence length in training, constant time and memory per token in generation",
        "input-dependent (selective) dynamics: can ignore filler tokens and reset its state on demand",
        "simple homogeneous stack of one block type",
    ),
    weaknesses=(
        "fast training needs a custom parallel-scan kernel; the PyTorch scan here is slow for long inputs",
        "a fixed-size state must compress the past: weaker than attention at exact copying and recall",
        "fewer tools, fine-tuning recipes and released models than for Transformers",
    ),
    params=Figure(
        129_135_360, "Hugging Face transformers MambaForCausalLM with the published mamba-130m config (paper: 130M)"
    ),
    input="GPT-NeoX BPE token ids (B, T)",
    output="next-token logits over the 50,280-token (padded) vocabulary, (B, T, 50280)",
    metric=Metric("Pile perplexity", 10.56, "ppl", "The Pile (validation)", "Gu & Dao 2023, Table 3 (Mamba-130M)"),
    config_note=(
        "24 Mamba blocks, d_model 768, inner width 1,536 (expand 2), state size 16, depthwise causal conv of width 4, "
        "Δ rank 48, RMSNorm ε 1e-5, GPT-NeoX vocabulary padded to 50,280 and tied to the output layer. The selective "
        "scan is a log-depth parallel scan in plain PyTorch. Example input: 16 tokens."
    ),
    tags=("ssm", "state space model", "selective scan", "recurrent", "linear time", "language model", "mamba"),
    i18n={
        "zh": {
            "task": "语言建模",
            "summary": "一个不用注意力的语言模型：每层运行一个状态空间递推，其步长和读写向量都取决于当前词元，"
            "因此模型可以决定在固定大小的状态中保留什么、遗忘什么。训练时像 Transformer 一样可并行；生成时无论上下文多长，"
            "每个词元的代价都相同。论文中，Mamba-3B 与两倍大小的 Transformer 相当。",
            "scenarios": ["长上下文语言建模，生成每个词元的内存恒定", "文本以外的长序列：DNA、音频、时间序列", "学习状态空间模型与选择机制"],
            "strengths": ["训练时间随序列长度线性增长，生成时每个词元的时间和内存恒定", "依赖输入的（选择性）动态：可忽略无关词元并按需重置状态", "只由一种块构成的简单同构堆栈"],
            "weaknesses": [
                "快速训练需要定制的并行扫描内核；这里的 PyTorch 扫描在长输入上较慢",
                "固定大小的状态必须压缩全部历史：精确复制与回忆不如注意力",
                "工具、微调方案和公开模型都比 Transformer 少",
            ],
            "input": "GPT-NeoX BPE 词元 id (B, T)",
            "output": "在 50,280（补齐后）词表上的下一个词元 logits，形状 (B, T, 50280)",
            "config_note": "24 个 Mamba 块，d_model 768，内部宽度 1,536（扩展 2 倍），状态维度 16，宽度为 4 的因果逐通道卷积，"
            "Δ 秩 48，RMSNorm ε 1e-5，GPT-NeoX 词表补齐到 50,280 并与输出层共享。选择性扫描用纯 PyTorch 的对数深度并行扫描实现。示例输入为 16 个词元。",
        }
    },
)


def _example_ids() -> torch.Tensor:
    return torch.randint(0, MAMBA_130M.vocab_size, (1, 16))  # B = 1, T = 16


@register_model(card=MAMBA_130M_CARD, example_input=_example_ids)
def mamba_130m(**overrides) -> Mamba:
    return Mamba(replace(MAMBA_130M, **overrides))
