"""ChebNet — Defferrard, Bresson & Vandergheynst, "Convolutional Neural Networks on Graphs with Fast
Localized Spectral Filtering" (NeurIPS 2016). https://arxiv.org/abs/1606.09375

A convolution on a graph can be defined in its spectral domain — multiply the graph Fourier transform of the
signal (eigenvectors of the Laplacian L) by a filter — but eigenvectors cost O(N³) and the filters are not
local. ChebNet makes the filter a polynomial of degree K − 1 in the Laplacian, written in the Chebyshev basis
(Eq. 4–5):

    g_θ(L) x = Σ_{k<K} θ_k T_k(L̃) x,   T_0 = x, T_1 = L̃x, T_k = 2 L̃ T_{k−1} − T_{k−2}

with L̃ = 2L/λ_max − I scaled into [−1, 1]. A polynomial of degree K − 1 only mixes nodes at most K − 1 hops
apart (so the filter is localised), and the recurrence needs K − 1 multiplications by the sparse L̃ — no
eigenvectors. GCN is this with K = 2, λ_max ≈ 2 and θ_0 = −θ_1 tied. With several input and output channels
each θ_k is a matrix. Cora, K = 3, hidden 16: 3 × (1433 × 16) + 16 + 3 × (16 × 7) + 7 = 69,143 parameters.

Inputs: `model(x, lap)` with node features x (N, F) and the scaled Laplacian L̃ (N, N)
(`zoo.graph._graph_utils.scaled_laplacian(adjacency(edges, N))`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ._graph_utils import CARD_IO_ZH, CORA_CLASSES, CORA_FEATURES, adjacency, example_edges, scaled_laplacian


@dataclass(frozen=True)
class ChebNetConfig:
    in_features: int = CORA_FEATURES
    hidden: int = 16
    num_classes: int = CORA_CLASSES
    K: int = 3  # polynomial order: T_0 … T_{K−1}, i.e. up to K − 1 hops
    dropout: float = 0.5


class ChebConv(nn.Module):
    """Σ_k T_k(L̃) X Θ_k + b: one weight matrix per Chebyshev order, one bias."""

    def __init__(self, in_features: int, out_features: int, K: int):
        super().__init__()
        if K < 1:
            raise ValueError("K must be at least 1")
        self.thetas = nn.ModuleList(nn.Linear(in_features, out_features, bias=False) for _ in range(K))
        self.bias = nn.Parameter(torch.zeros(out_features))

    def forward(self, x: torch.Tensor, lap: torch.Tensor) -> torch.Tensor:
        tx = [x]  # T_0(L̃) x = x
        if len(self.thetas) > 1:
            tx.append(lap @ x)  # T_1(L̃) x = L̃ x
        while len(tx) < len(self.thetas):
            tx.append(2 * (lap @ tx[-1]) - tx[-2])  # Chebyshev recurrence (Eq. 5): one sparse product per order
        return sum(theta(t) for theta, t in zip(self.thetas, tx)) + self.bias  # (N, F_out)


class ChebNet(nn.Module):
    def __init__(self, cfg: ChebNetConfig = ChebNetConfig()):
        super().__init__()
        self.cfg = cfg
        self.conv1 = ChebConv(cfg.in_features, cfg.hidden, cfg.K)
        self.conv2 = ChebConv(cfg.hidden, cfg.num_classes, cfg.K)

    def forward(self, x: torch.Tensor, lap: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.cfg.dropout, self.training)  # (N, 1433)
        h = F.relu(self.conv1(x, lap))  # (N, 16): each node sees up to K − 1 = 2 hops
        h = F.dropout(h, self.cfg.dropout, self.training)
        return self.conv2(h, lap)  # (N, 7) logits


def _example() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.rand(20, CORA_FEATURES), scaled_laplacian(adjacency(example_edges(20), 20))


@register_model(
    card=ModelCard(
        key="chebnet",
        name="ChebNet (K = 3)",
        family="ChebNet",
        domain="graph",
        task="node classification",
        year=2016,
        paper=Paper(
            "Convolutional Neural Networks on Graphs with Fast Localized Spectral Filtering",
            "https://arxiv.org/abs/1606.09375",
            authors="M. Defferrard, X. Bresson, P. Vandergheynst",
            venue="NeurIPS 2016",
        ),
        level="advanced",
        summary=(
            "A graph convolution defined through the graph's spectrum but computed without it: each filter is a "
            "short polynomial of the graph Laplacian, evaluated with the Chebyshev recurrence, so it only mixes "
            "nodes a few hops apart and costs a few sparse matrix products. It bridged spectral graph theory and "
            "practical graph networks; GCN is its first-order simplification."
        ),
        scenarios=(
            "node classification on citation, social or sensor graphs",
            "signals on meshes and sensor networks where spectral filtering is natural",
            "teaching spectral graph convolutions and how GCN derives from them",
        ),
        strengths=(
            "K-hop localised filters with K free weights, more expressive than GCN's single weight",
            "no eigendecomposition: cost linear in the number of edges",
            "a principled link to classical signal processing on graphs",
        ),
        weaknesses=(
            "more parameters than GCN (K weight matrices per layer) and easier to overfit on small graphs",
            "filters depend on the Laplacian of one graph; transfer to other graphs is limited",
            "this dense implementation needs N×N memory; use a sparse Laplacian for large graphs",
        ),
        params=Figure(69_143, "computed from the architecture at Cora sizes (K = 3, 1433 → 16 → 7)"),
        input="node features (N, 1433) and the scaled Laplacian L̃ = 2L/λ_max − I (N, N)",
        output="class logits for every node, (N, 7)",
        config_note=(
            "Two Chebyshev layers 1433 → 16 → 7 with K = 3 (T_0, T_1, T_2: up to 2 hops), one weight matrix per "
            "order and one bias per layer, λ_max = 2, ReLU, dropout 0.5. Example input: a 20-node ring graph with chords."
        ),
        tags=("gnn", "spectral", "chebyshev", "graph convolution", "laplacian", "cora"),
        i18n={
            "zh": {
                "task": "节点分类",
                "summary": "一种通过图谱定义、却无需计算图谱的图卷积：每个滤波器是图拉普拉斯矩阵的一个低阶多项式，用切比雪夫递推计算，"
                "因此只混合几跳以内的节点，代价只是几次稀疏矩阵乘法。它把谱图理论和实用的图网络连接起来；GCN 正是它的一阶简化。",
                "scenarios": ["引用网络、社交网络或传感器图上的节点分类", "网格和传感器网络上的信号处理，谱滤波在此很自然", "讲解谱图卷积以及 GCN 如何由它推导而来"],
                "strengths": ["K 跳局部化滤波器有 K 个自由权重，比 GCN 的单一权重更有表达力", "无需特征分解：代价与边数成线性", "与经典图信号处理有严谨的联系"],
                "weaknesses": ["参数比 GCN 多（每层 K 个权重矩阵），小图上更易过拟合", "滤波器依赖于某一张图的拉普拉斯矩阵，迁移到其他图受限", "这里的稠密实现需要 N×N 内存，大图请用稀疏拉普拉斯矩阵"],
                "input": "节点特征 (N, 1433) 与缩放后的拉普拉斯矩阵 L̃ = 2L/λ_max − I (N, N)",
                "output": CARD_IO_ZH["output"],
                "config_note": "两层切比雪夫卷积 1433 → 16 → 7，K = 3（T_0、T_1、T_2：最多 2 跳），每阶一个权重矩阵、每层一个偏置，"
                "λ_max = 2，ReLU，dropout 0.5。示例输入：带弦的 20 节点环图。",
            }
        },
    ),
    example_input=_example,
)
def chebnet(**overrides) -> ChebNet:
    return ChebNet(replace(ChebNetConfig(), **overrides))
