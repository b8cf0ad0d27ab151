"""KAN — Liu, Wang, Vaidya, Ruehle, Halverson, Soljačić, Hou & Tegmark, "KAN: Kolmogorov-Arnold Networks"
(2024; ICLR 2025). https://arxiv.org/abs/2404.19756

An MLP puts fixed activation functions on its nodes and learns the weights on its edges. A KAN does the
opposite: every edge carries its own learnable one-dimensional function φ(x), and a node only adds what
arrives (paper Eq. 2.5). The Kolmogorov-Arnold representation theorem says that any continuous function of n
variables is a sum of sums of such univariate functions; KANs make that a trainable, stackable layer:

    x_{l+1, j} = Σ_i φ_{l, j, i}(x_{l, i})

Each φ is a residual of a fixed basis function and a learnable B-spline (Eq. 2.10):

    φ(x) = w_b · silu(x) + w_s · Σ_k c_k B_k(x)

with B-splines of order 3 on a grid of G intervals (extended by the order on both sides). The learned curves
can be plotted — and often read off as formulas — which is the paper's main selling point. The layout of the
parameters follows the widely used `efficient-kan` implementation: per edge one base weight w_b, G + order
spline coefficients c_k and one spline scale w_s, i.e. (G + order + 2) numbers per edge; the grid is a
buffer. A [2, 5, 1] KAN with G = 5, order 3 has 2·5·10 + 5·1·10 = 150 parameters: the paper's toy
example f(x, y) = exp(sin(πx) + y²).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ..weights import Weights, register_weights


@dataclass(frozen=True)
class KANConfig:
    widths: tuple[int, ...] = (2, 5, 1)  # the paper's [2, 5, 1] example
    grid_size: int = 5  # G intervals on grid_range
    spline_order: int = 3  # cubic B-splines
    grid_range: tuple[float, float] = (-1.0, 1.0)


def b_spline_bases(x: torch.Tensor, grid: torch.Tensor, order: int) -> torch.Tensor:
    """B-spline basis values by the Cox–de Boor recursion: x (B, in), grid (in, G + 2·order + 1) knots →
    (B, in, G + order). Order 0 bases are the knot intervals' indicator functions; each step blends two
    neighbouring bases of the order below with linear weights."""
    x = x.unsqueeze(-1)  # (B, in, 1)
    bases = ((x >= grid[:, :-1]) & (x < grid[:, 1:])).to(x.dtype)  # (B, in, G + 2·order)
    for k in range(1, order + 1):
        left = (x - grid[:, : -(k + 1)]) / (grid[:, k:-1] - grid[:, : -(k + 1)]) * bases[..., :-1]
        right = (grid[:, k + 1 :] - x) / (grid[:, k + 1 :] - grid[:, 1:-k]) * bases[..., 1:]
        bases = left + right
    return bases


class KANLayer(nn.Module):
    """`in_features × out_features` learnable univariate functions φ_{j,i}, summed at each output node."""

    def __init__(self, in_features: int, out_features: int, cfg: KANConfig):
        super().__init__()
        self.order = cfg.spline_order
        lo, hi = cfg.grid_range
        h = (hi - lo) / cfg.grid_size
        knots = torch.arange(-cfg.spline_order, cfg.grid_size + cfg.spline_order + 1) * h + lo  # extended grid
        self.register_buffer("grid", knots.expand(in_features, -1).contiguous())  # (in, G + 2·order + 1)
        self.base_weight = nn.Parameter(torch.empty(out_features, in_features))  # w_b of each edge
        self.spline_weight = nn.Parameter(torch.empty(out_features, in_features, cfg.grid_size + cfg.spline_order))  # c_k
        self.spline_scaler = nn.Parameter(torch.empty(out_features, in_features))  # w_s of each edge
        nn.init.kaiming_uniform_(self.base_weight, a=5**0.5)
        nn.init.normal_(self.spline_weight, std=0.1 / cfg.grid_size)  # start near a silu-only network
        nn.init.ones_(self.spline_scaler)

    def phi(self, x: torch.Tensor) -> torch.Tensor:
        """Every edge's φ_{j,i}(x_i), (B, out, in): what a plot of the learned curves shows."""
        splines = torch.einsum("bik,oik->boi", b_spline_bases(x, self.grid, self.order), self.spline_weight)
        return self.base_weight * F.silu(x)[:, None, :] + self.spline_scaler * splines

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Σ_i φ_{j,i}(x_i) (Eq. 2.5), as two matrix products instead of building every φ
        base = F.linear(F.silu(x), self.base_weight)  # (B, out)
        coefficients = self.spline_weight * self.spline_scaler[..., None]  # (out, in, G + order)
        spline = F.linear(b_spline_bases(x, self.grid, self.order).flatten(1), coefficients.flatten(1))
        return base + spline  # (B, out)


class KAN(nn.Module):
    def __init__(self, cfg: KANConfig = KANConfig()):
        super().__init__()
        self.cfg = cfg
        self.layers = nn.ModuleList(KANLayer(i, o, cfg) for i, o in zip(cfg.widths[:-1], cfg.widths[1:]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x)  # (B, width_l) → (B, width_{l+1})
        return x


@register_model(
    card=ModelCard(
        key="kan",
        name="KAN [2, 5, 1]",
        family="KAN",
        domain="other",
        task="function fitting",
        year=2024,
        paper=Paper(
            "KAN: Kolmogorov-Arnold Networks",
            "https://arxiv.org/abs/2404.19756",
            authors="Z. Liu, Y. Wang, S. Vaidya, F. Ruehle, J. Halverson, M. Soljačić, T. Y. Hou, M. Tegmark",
            venue="ICLR 2025",
        ),
        level="intermediate",
        summary=(
            "A network whose edges, not nodes, carry the non-linearity: every connection is its own learnable "
            "curve (a B-spline plus a smooth base function), and nodes just add what comes in. Inspired by the "
            "Kolmogorov-Arnold theorem, small KANs fit scientific formulas with few parameters, and each learned "
            "curve can be plotted and often recognised as sin, exp or x²."
        ),
        scenarios=(
            "fitting smooth functions and physical laws from data (symbolic regression)",
            "interpretable small models where each input's effect must be visible",
            "teaching the Kolmogorov-Arnold theorem and splines as learnable activations",
        ),
        strengths=(
            "every learned univariate function can be plotted and inspected",
            "few parameters for smooth, compositional targets (150 here for exp(sin(πx) + y²))",
            "grids can be refined after training to add accuracy",
        ),
        weaknesses=(
            "slower per parameter than an MLP: each edge evaluates spline bases",
            "no clear advantage yet on large, noisy tasks such as images or text",
            "inputs must lie in the grid's range (here [−1, 1]) or be rescaled",
        ),
        params=Figure(150, "computed from the efficient-kan layout: [2, 5, 1], grid 5, order 3, (G + order + 2) per edge"),
        input="points (B, 2) in [−1, 1]²",
        output="one value per point, (B, 1)",
        config_note=(
            "Widths [2, 5, 1]; cubic B-splines on a grid of 5 intervals over [−1, 1] (extended by 3 knots each "
            "side); per edge φ(x) = w_b·silu(x) + w_s·Σ c_k B_k(x), as in efficient-kan (grid stored as a buffer)."
        ),
        tags=("kolmogorov-arnold", "splines", "interpretable", "symbolic regression", "science", "mlp alternative"),
        i18n={
            "zh": {
                "task": "函数拟合",
                "summary": "非线性放在边上而不是节点上的网络：每条连接都是一条可学习的曲线（B 样条加一个平滑基函数），节点只负责求和。"
                "受 Kolmogorov-Arnold 定理启发，小型 KAN 能用很少的参数拟合科学公式，而且每条学到的曲线都可以画出来，常能认出是 sin、exp 或 x²。",
                "scenarios": ["从数据拟合光滑函数与物理规律（符号回归）", "需要看清每个输入作用的可解释小模型", "讲解 Kolmogorov-Arnold 定理以及把样条当作可学习激活函数"],
                "strengths": ["每个学到的一元函数都可绘制和检查", "对光滑、可组合的目标参数很少（拟合 exp(sin(πx) + y²) 只需 150 个）", "训练后可细化网格以提高精度"],
                "weaknesses": ["按参数计比 MLP 慢：每条边都要计算样条基", "在图像、文本等大规模噪声任务上尚无明显优势", "输入须落在网格范围内（此处为 [−1, 1]），否则需缩放"],
                "input": "点 (B, 2)，取值在 [−1, 1]²",
                "output": "每个点一个值，(B, 1)",
                "config_note": "宽度 [2, 5, 1]；[−1, 1] 上 5 个区间的三次 B 样条（两侧各扩展 3 个节点）；每条边 φ(x) = w_b·silu(x) + w_s·Σ c_k B_k(x)，"
                "与 efficient-kan 相同（网格存为 buffer）。",
            }
        },
    ),
    example_input=lambda: torch.rand(8, 2) * 2 - 1,
)
def kan(**overrides) -> KAN:
    return KAN(replace(KANConfig(), **overrides))


# ----------------------------------------------------------------------------- trained weights
register_weights(
    Weights(
        model="kan",
        name="formula",
        description="KAN [2, 5, 1] fitted to the paper's toy formula exp(sin(πx) + y²) (zoo.train.kan)",
        dataset="f(x, y) = exp(sin(πx) + y²) at 1,000 uniform random points of [−1, 1]² (seed 0)",
        source="shipped",
        file="kan_formula.safetensors",
        recipe="kan_formula",
        metrics={"held-out RMSE": 0.00832},
        preprocessing="points (x, y) in [−1, 1]², the spline grid's range; no scaling",
    )
)
