"""S4 — Gu, Goel & Ré, "Efficiently Modeling Long Sequences with Structured State Spaces" (ICLR 2022).
https://arxiv.org/abs/2111.00396

A state space model (SSM) maps a 1-D input u(t) to an output y(t) through an N-dimensional state x(t):
    x'(t) = A x(t) + B u(t),    y(t) = C x(t) + D u(t)                                    (paper eq. 1)
Discretised with step Δ by the bilinear transform (eq. 3),
    Ā = (I − Δ/2·A)⁻¹ (I + Δ/2·A),   B̄ = (I − Δ/2·A)⁻¹ Δ B,   x_k = Ā x_{k−1} + B̄ u_k,   y_k = C x_k,
it is a linear RNN — cheap to step through at inference. Unrolled, the same map is a convolution
y = K ∗ u with the kernel K = (C B̄, C Ā B̄, …, C Ā^{L−1} B̄) (eq. 4–5) — parallel over time for training.
With A from HiPPO-LegS (eq. 2), the state holds an optimal polynomial summary of the whole past, which
is what lets S4 remember across thousands of steps (Path-X: 16,384 steps).

Computing K naively needs L powers of an N × N matrix. S4's contribution (§3, Algorithm 1): write A as
normal plus low rank, A = Λ − P P* (NPLR, diagonalisable by a unitary change of basis, Theorem 1), and
evaluate K's generating function at the L roots of unity instead of K itself:
    K̂(ω) = Σ_k K_k ω^k = 2 C̃ [ (2/Δ)(1 − ω) I − (1 + ω) A ]⁻¹ B,    C̃ = C (I − Ā^L),
where the inverse of "diagonal + rank 1" comes from the Woodbury identity, leaving four Cauchy sums
Σ_n a_n / ((2/Δ)(1 − ω) − (1 + ω) λ_n), and an inverse FFT gives K. Evaluated directly, as here, the sums
cost O(N·L) per channel with no matrix powers; fast Cauchy algorithms bring that to Õ(N + L).
(The paper divides by 1 + ω; it is multiplied through here so ω = −1 needs no special case.)

This file implements S4 with that NPLR kernel (not the later diagonal S4D): each of the H channels has
its own (Λ, P, B, C̃, Δ) — N complex modes, initialised from HiPPO-LegS, with Re(Λ) kept negative — and
the output is the real part. `S4Kernel.recurrent` recovers (Ā, B̄, C) for the RNN view; the tests check
that both views give the same outputs. The registered `s4` is a small sequence classifier similar to the
authors' standalone example: a linear encoder, 4 residual S4 blocks (S4 → GELU → linear 2H + GLU,
post-LayerNorm), mean pooling over time and a linear decoder, for sequential CIFAR-10 (1,024 pixels × RGB).
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
class S4Config:
    d_input: int = 3  # RGB pixel values, one pixel per step
    d_model: int = 128  # H: independent SSM channels per layer
    d_state: int = 64  # N: complex modes of each SSM
    n_layers: int = 4
    num_classes: int = 10
    dropout: float = 0.1
    dt_min: float = 1e-3  # log Δ is drawn uniformly in [log dt_min, log dt_max]: each channel its own time scale
    dt_max: float = 1e-1


def hippo_legs_nplr(n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """HiPPO-LegS (eq. 2) in normal-plus-low-rank form, diagonalised: returns Λ (N,), P̃ (N,), B̃ (N,) complex
    with V* A V = diag(Λ) − P̃ P̃*, computed in float64.

    A_nk = −√(2n+1)√(2k+1) (n > k), −(n+1) (n = k), 0 (n < k);  B_n = √(2n+1);  P_n = √(n + ½).
    A + P Pᵀ = −½ I + (skew-symmetric), a normal matrix whose eigenvectors V are unitary."""
    k = torch.arange(n, dtype=torch.float64)
    p = torch.sqrt(2 * k + 1)
    A = -(torch.tril(p[:, None] * p[None, :]) - torch.diag(k))
    P = torch.sqrt(k + 0.5)
    S = A + P[:, None] * P[None, :]  # normal part
    skew = S - torch.diag(torch.diagonal(S))  # diag(S) is −½ everywhere
    mu, V = torch.linalg.eigh(-1j * skew.to(torch.complex128))  # −i·skew is Hermitian: skew = V (iμ) V*
    lam = -0.5 + 1j * mu
    Vh = V.conj().T
    return lam, Vh @ P.to(torch.complex128), Vh @ p.to(torch.complex128)


class S4Kernel(nn.Module):
    """H independent NPLR state space models; `forward(L)` returns their convolution kernels K (H, L)."""

    def __init__(self, d_model: int, d_state: int, dt_min: float = 1e-3, dt_max: float = 1e-1):
        super().__init__()
        h, n = d_model, d_state
        lam, p, b = hippo_legs_nplr(n)

        def per_channel(z: torch.Tensor) -> nn.Parameter:  # complex (N,) → real (H, N, 2), one copy per channel
            return nn.Parameter(torch.view_as_real(z.to(torch.complex64)).repeat(h, 1, 1))

        self.log_neg_re = nn.Parameter(torch.log(-lam.real).float().repeat(h, 1))  # Re Λ = −exp(·) < 0: stable
        self.lam_im = nn.Parameter(lam.imag.float().repeat(h, 1))
        self.P = per_channel(p)
        self.B = per_channel(b)
        self.C_tilde = nn.Parameter(torch.randn(h, n, 2) * 0.5**0.5)  # C̃ = C (I − Ā^L) is learned directly
        self.log_dt = nn.Parameter(torch.rand(h) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min))

    def params(self) -> tuple[torch.Tensor, ...]:
        lam = torch.complex(-torch.exp(self.log_neg_re), self.lam_im)  # (H, N)
        c = torch.view_as_complex
        return lam, c(self.P), c(self.B), c(self.C_tilde), torch.exp(self.log_dt)

    def forward(self, L: int) -> torch.Tensor:
        lam, p, b, ct, dt = self.params()
        j = torch.arange(L, device=lam.device, dtype=dt.dtype)
        omega = torch.polar(torch.ones_like(j), -2 * math.pi * j / L)[None, :, None]  # (1, L, 1) roots of unity
        # R = diag(1 / ((2/Δ)(1 − ω) − (1 + ω) λ_n)): finite for every ω since Re λ < 0
        R = 1.0 / ((2.0 / dt)[:, None, None] * (1 - omega) - (1 + omega) * lam[:, None, :])  # (H, L, N)
        k00 = torch.einsum("hn,hln->hl", ct * b, R)  # C̃ R B
        k01 = torch.einsum("hn,hln->hl", ct * p, R)  # C̃ R P
        k10 = torch.einsum("hn,hln->hl", p.conj() * b, R)  # P* R B
        k11 = torch.einsum("hn,hln->hl", p.conj() * p, R)  # P* R P
        w = (1 + omega[..., 0])  # (1, L)
        # Woodbury: C̃ (R⁻¹ + (1+ω) P P*)⁻¹ B = k00 − (1+ω) k01 k10 / (1 + (1+ω) k11)
        k_hat = 2 * (k00 - w * k01 * k10 / (1 + w * k11))  # (H, L) generating function at the roots of unity
        return torch.fft.ifft(k_hat, n=L).real  # (H, L): K_k = Re(C Ā^k B̄)

    @torch.no_grad()
    def recurrent(self, L: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The RNN view for sequences of length L: Ā (H, N, N), B̄ (H, N), C (H, N) with y_k = Re(C x_k)."""
        lam, p, b, ct, dt = self.params()
        n = lam.shape[-1]
        eye = torch.eye(n, dtype=lam.dtype, device=lam.device)
        A = torch.diag_embed(lam) - p[:, :, None] * p.conj()[:, None, :]  # (H, N, N): Λ − P P*
        half = (dt / 2)[:, None, None]
        back = eye - half * A  # I − Δ/2·A
        A_bar = torch.linalg.solve(back, eye + half * A)
        B_bar = torch.linalg.solve(back, (dt[:, None] * b)[..., None])[..., 0]
        # C̃ = C (I − Ā^L)  ⇒  (I − Ā^L)ᵀ Cᵀ = C̃ᵀ
        C = torch.linalg.solve((eye - torch.linalg.matrix_power(A_bar, L)).transpose(-1, -2), ct[..., None])[..., 0]
        return A_bar, B_bar, C


class S4Layer(nn.Module):
    """Per channel: y = K ∗ u + D u, computed with FFTs of length 2L (no wrap-around: a causal convolution)."""

    def __init__(self, cfg: S4Config):
        super().__init__()
        self.kernel = S4Kernel(cfg.d_model, cfg.d_state, cfg.dt_min, cfg.dt_max)
        self.D = nn.Parameter(torch.randn(cfg.d_model))  # skip connection term D u of eq. 1

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """u: (B, H, L) → (B, H, L)."""
        L = u.shape[-1]
        k = self.kernel(L)  # (H, L)
        y = torch.fft.irfft(torch.fft.rfft(u, n=2 * L) * torch.fft.rfft(k, n=2 * L), n=2 * L)[..., :L]
        return y + self.D[:, None] * u

    @torch.no_grad()
    def step_through(self, u: torch.Tensor) -> torch.Tensor:
        """The same map run as an RNN, one step at a time: u (B, H, L) → (B, H, L)."""
        L = u.shape[-1]
        A_bar, B_bar, C = self.kernel.recurrent(L)
        x = torch.zeros(u.shape[0], *B_bar.shape, dtype=A_bar.dtype, device=u.device)  # (B, H, N)
        ys = []
        for k in range(L):
            x = torch.einsum("hnm,bhm->bhn", A_bar, x) + B_bar * u[:, :, k, None]  # x_k = Ā x_{k−1} + B̄ u_k
            ys.append((x * C).sum(-1).real + self.D * u[:, :, k])  # y_k = Re(C x_k) + D u_k
        return torch.stack(ys, dim=-1)


class S4Block(nn.Module):
    """x ← LayerNorm(x + Dropout(GLU(W · Dropout(GELU(S4(x)))))): the S4 layer mixes along time within each
    channel; the position-wise linear layer with a gated linear unit mixes the channels."""

    def __init__(self, cfg: S4Config):
        super().__init__()
        self.s4 = S4Layer(cfg)
        self.output_linear = nn.Linear(cfg.d_model, 2 * cfg.d_model)
        self.norm = nn.LayerNorm(cfg.d_model)
        self.dropout = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.dropout(F.gelu(self.s4(x.transpose(1, 2)).transpose(1, 2)))  # (B, L, H)
        y = self.dropout(F.glu(self.output_linear(y), dim=-1))  # (B, L, 2H) → (B, L, H)
        return self.norm(x + y)


class S4Classifier(nn.Module):
    def __init__(self, cfg: S4Config = S4Config()):
        super().__init__()
        self.cfg = cfg
        self.encoder = nn.Linear(cfg.d_input, cfg.d_model)
        self.blocks = nn.ModuleList(S4Block(cfg) for _ in range(cfg.n_layers))
        self.decoder = nn.Linear(cfg.d_model, cfg.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, d_input) sequence → (B, num_classes) logits."""
        x = self.encoder(x)  # (B, L, H)
        for block in self.blocks:
            x = block(x)
        return self.decoder(x.mean(dim=1))  # average over time, then classify


def _example() -> torch.Tensor:
    """A 16 × 16 RGB image flattened row by row: (1, 256, 3) pixel values in [0, 1]. Sequential CIFAR uses
    32 × 32 = 1,024 steps; a quarter of that keeps the CPU forward short (the kernel costs H·L·N)."""
    yy, xx = torch.meshgrid(torch.linspace(0, 1, 16), torch.linspace(0, 1, 16), indexing="ij")
    img = torch.stack([xx, yy, 0.5 + 0.5 * torch.sin(6 * math.pi * xx * yy)], dim=-1)  # (16, 16, 3)
    return img.reshape(1, 256, 3)


@register_model(
    card=ModelCard(
        key="s4",
        name="S4 (structured state space sequence model)",
        family="State space models",
        domain="nlp",
        task="long-sequence classification",
        year=2021,
        paper=Paper(
            "Efficiently Modeling Long Sequences with Structured State Spaces",
            "https://arxiv.org/abs/2111.00396",
            authors="A. Gu, K. Goel, C. Ré",
            venue="ICLR 2022",
        ),
        level="advanced",
        summary=(
            "A sequence layer built on a linear state space model x' = Ax + Bu, y = Cx + Du. Discretised, it "
            "is both a recurrent network (cheap step-by-step inference) and a long convolution (parallel "
            "training). The HiPPO matrix A lets the state remember the distant past, and S4's normal-plus-low-"
            "rank trick computes the convolution kernel through a Cauchy kernel and an FFT. S4 was the first "
            "model to solve the Long Range Arena's Path-X (16k steps) and started the line that led to Mamba."
        ),
        scenarios=(
            "classification of very long sequences (pixels, audio samples, long documents)",
            "time series and signals where dependencies span thousands of steps",
            "learning the ideas behind Mamba and other state space models",
        ),
        strengths=(
            "training cost grows as L log L, not L² as in attention",
            "the same layer runs as an RNN with constant memory per step at inference",
            "handles dependencies over tens of thousands of steps (Path-X)",
        ),
        weaknesses=(
            "the dynamics are linear and time-invariant: no content-based selection like attention or Mamba",
            "the NPLR kernel needs complex arithmetic and careful parametrisation for stability",
            "weaker than Transformers on language modelling at the same size",
        ),
        params=Figure(398_090, "DeepZoo count of the stated configuration"),
        input=(
            "an RGB image as a pixel sequence: (1, 256, 3), a 16 × 16 image "
            "(sequential CIFAR has 1,024 steps; any length works)"
        ),
        output="(1, 10) class logits (sequential CIFAR-10)",
        metric=Metric(
            "test accuracy of the paper's (larger) S4 model",
            91.13,
            "%",
            "sequential CIFAR-10",
            "Gu, Goel & Ré 2022, pixel-level 1-D image classification results (sCIFAR)",
        ),
        config_note=(
            "Linear encoder 3→128; 4 blocks of S4 (H = 128 channels, each with its own N = 64 complex-mode NPLR "
            "SSM from HiPPO-LegS: Λ, P, B, C̃ as 2 × 64 reals each, log Δ and D: 514 per channel, 65,792 per "
            "layer) → GELU → linear 128→256 + GLU (33,024) → residual + LayerNorm (256); mean over time; "
            "linear 128→10. Total 398,090. The S4 kernel is the paper's NPLR algorithm (not diagonal S4D); "
            "outputs are the real part of the complex SSM."
        ),
        tags=("state space model", "ssm", "s4", "hippo", "long range", "convolution", "recurrent", "fft"),
        i18n={
            "zh": {
                "task": "长序列分类",
                "summary": "建立在线性状态空间模型 x' = Ax + Bu、y = Cx + Du 之上的序列层。离散化后，它既是循环网络"
                "（推理时可逐步廉价计算），又是一个长卷积（训练时可沿时间并行）。HiPPO 矩阵 A 使状态能记住久远的过去，"
                "S4 的“正规加低秩”技巧借助 Cauchy 核与 FFT 计算卷积核。S4 是第一个解决 Long Range Arena 中 Path-X"
                "（16k 步）的模型，开启了通向 Mamba 的研究路线。",
                "scenarios": ["超长序列分类（像素、音频采样点、长文档）", "依赖跨越数千步的时间序列和信号", "学习 Mamba 等状态空间模型背后的思想"],
                "strengths": ["训练代价按 L log L 增长，而非注意力的 L²", "同一层推理时可作为 RNN 运行，每步内存恒定", "能处理跨越数万步的依赖（Path-X）"],
                "weaknesses": [
                    "动力学是线性时不变的：不能像注意力或 Mamba 那样按内容选择",
                    "NPLR 卷积核需要复数运算，并需仔细参数化以保证稳定",
                    "同等规模下语言建模不如 Transformer",
                ],
                "input": "把 RGB 图像看作像素序列：(1, 256, 3)，即 16 × 16 的图像（序列化 CIFAR 为 1,024 步；任意长度均可）",
                "output": "(1, 10) 的类别 logits（序列化 CIFAR-10）",
                "config_note": "线性编码器 3→128；4 个块，每块为 S4（H = 128 个通道，每个通道有自己的 N = 64 个复模态的 NPLR 状态空间模型，"
                "由 HiPPO-LegS 初始化：Λ、P、B、C̃ 各 2 × 64 个实数，外加 log Δ 与 D：每通道 514，每层 65,792）→ GELU → "
                "线性 128→256 + GLU（33,024）→ 残差 + LayerNorm（256）；沿时间求平均；线性 128→10。合计 398,090。"
                "S4 卷积核采用论文的 NPLR 算法（不是对角化的 S4D）；输出取复数状态空间模型的实部。",
            }
        },
    ),
    example_input=_example,
)
def s4(**overrides) -> S4Classifier:
    return S4Classifier(replace(S4Config(), **overrides))
