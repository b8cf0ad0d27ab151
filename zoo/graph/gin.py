"""GIN — Xu, Hu, Leskovec & Jegelka, "How Powerful are Graph Neural Networks?" (ICLR 2019).
https://arxiv.org/abs/1810.00826

A message-passing network can tell two graphs apart at most as well as the Weisfeiler-Lehman (WL) graph
isomorphism test, and only if its neighbourhood aggregation is *injective* on multisets of neighbour vectors
(Theorem 3). Mean and max aggregators are not: a node with neighbours {a, b} and one with {a, a, b, b} look
the same to a mean. A sum followed by an MLP is (Corollary 6), which gives the Graph Isomorphism Network layer
(Eq. 4.1):

    h_v^(k) = MLP^(k)( (1 + ε^(k)) · h_v^(k−1) + Σ_{u ∈ N(v)} h_u^(k−1) )

For a graph-level answer, every layer's node vectors are summed over the graph (sum, again, because it counts)
and the readouts of all depths — including the input features — are used together (Eq. 4.2); here, as in the
authors' code, each depth has its own linear classifier and the scores are added.

Configuration of the paper's graph-classification experiments: 5 GIN layers, 2-layer MLPs of 64 units with
batch normalisation, ε = 0 ("GIN-0"), per-layer readouts; 7 input features (MUTAG's atom types), 2 classes:
39,898 parameters. Inputs: `model(x, a, batch)` — node features x (N, 7), 0/1 adjacency A (N, N) of all graphs
in the batch as one block-diagonal matrix, and `batch` (N,), the graph index of each node.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ._graph_utils import adjacency


@dataclass(frozen=True)
class GINConfig:
    in_features: int = 7  # MUTAG: one-hot atom type (C, N, O, F, I, Cl, Br)
    hidden: int = 64
    num_layers: int = 5  # GIN layers; the readout also uses the input features (depth 0)
    num_classes: int = 2  # MUTAG: mutagenic or not
    eps: float = 0.0  # GIN-0; the paper found a learnable ε no better
    dropout: float = 0.5  # on the readouts' scores


class GINLayer(nn.Module):
    """MLP((1 + ε) h_v + Σ_u h_u), then batch norm and ReLU, as in the authors' implementation."""

    def __init__(self, in_features: int, hidden: int, eps: float):
        super().__init__()
        self.eps = eps
        self.mlp = nn.Sequential(
            nn.Linear(in_features, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, hidden)
        )
        self.norm = nn.BatchNorm1d(hidden)

    def forward(self, h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        aggregated = (1 + self.eps) * h + a @ h  # (N, F): sum over neighbours — injective on multisets (Lemma 5)
        return F.relu(self.norm(self.mlp(aggregated)))  # (N, hidden)


def sum_pool(h: torch.Tensor, batch: torch.Tensor, num_graphs: int) -> torch.Tensor:
    """Σ of node vectors per graph: (N, F) → (G, F)."""
    return torch.zeros(num_graphs, h.shape[1], dtype=h.dtype, device=h.device).index_add_(0, batch, h)


class GIN(nn.Module):
    def __init__(self, cfg: GINConfig = GINConfig()):
        super().__init__()
        self.cfg = cfg
        widths = [cfg.in_features] + [cfg.hidden] * cfg.num_layers
        self.layers = nn.ModuleList(GINLayer(w, cfg.hidden, cfg.eps) for w in widths[:-1])
        self.readouts = nn.ModuleList(nn.Linear(w, cfg.num_classes) for w in widths)  # one per depth 0…K

    def forward(self, x: torch.Tensor, a: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
        num_graphs = int(batch.max()) + 1 if batch.numel() and batch.device.type != "meta" else 1
        hs = [x]  # h^(0) … h^(K)
        for layer in self.layers:
            hs.append(layer(hs[-1], a))  # (N, 64)
        # Eq. 4.2: the graph is read out at every depth, so shallow (local) and deep (global) patterns both count
        scores = [F.dropout(readout(sum_pool(h, batch, num_graphs)), self.cfg.dropout, self.training)
                  for readout, h in zip(self.readouts, hs)]
        return torch.stack(scores).sum(0)  # (G, num_classes) logits


def example_molecules() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Two small molecule-like graphs in one batch: a 6-ring with a 2-atom tail (8 nodes) and a 5-ring (5 nodes),
    one-hot atom types; (x (13, 7), block-diagonal A (13, 13), batch (13,))."""
    ring6 = [(i, (i + 1) % 6) for i in range(6)] + [(0, 6), (6, 7)]
    ring5 = [(8 + i, 8 + (i + 1) % 5) for i in range(5)]
    a = adjacency(ring6 + ring5, 13)
    atoms = torch.tensor([0, 0, 0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 0])  # C, N, O indices
    return F.one_hot(atoms, 7).float(), a, torch.tensor([0] * 8 + [1] * 5)


@register_model(
    card=ModelCard(
        key="gin",
        name="GIN-0",
        family="GIN",
        domain="graph",
        task="graph classification",
        year=2019,
        paper=Paper(
            "How Powerful are Graph Neural Networks?",
            "https://arxiv.org/abs/1810.00826",
            authors="K. Xu, W. Hu, J. Leskovec, S. Jegelka",
            venue="ICLR 2019",
        ),
        level="intermediate",
        summary=(
            "A graph network built to be as discriminative as message passing can be: each layer sums (rather "
            "than averages) the neighbours' vectors and passes the result through a small MLP, which the paper "
            "proves can distinguish any two graphs the Weisfeiler-Lehman test can. Whole graphs — molecules, "
            "social networks — are classified from the sums of node vectors at every layer."
        ),
        scenarios=(
            "classifying molecules (toxicity, mutagenicity) and proteins",
            "classifying social or code graphs by their structure",
            "teaching the expressive power of GNNs and the Weisfeiler-Lehman test",
        ),
        strengths=(
            "provably as powerful as the 1-WL test among message-passing networks",
            "simple: a sum and an MLP per layer; strong results on graph-classification benchmarks",
            "per-layer readouts use both local and global structure",
        ),
        weaknesses=(
            "cannot separate graphs that 1-WL cannot (e.g. some regular graphs)",
            "sum aggregation is sensitive to node degree; batch norm helps but graphs of very different sizes are harder",
            "benchmark datasets are small, so results vary a lot between folds",
        ),
        params=Figure(39_898, "computed from the paper's configuration (5 GIN layers, MLP 64 with BN, per-layer readouts, 7 features, 2 classes)"),
        input="node features (N, 7), block-diagonal 0/1 adjacency (N, N) of the batch, graph index per node (N,)",
        output="class logits per graph, (G, 2)",
        metric=Metric("10-fold cross-validation accuracy", 89.4, "%", "MUTAG", "Xu et al. 2019, Table 1 (GIN-0)"),
        config_note=(
            "GIN-0 (ε = 0): 5 layers, each Linear → BN → ReLU → Linear then BN → ReLU, 64 units; sum readout of "
            "the input and of every layer, one linear classifier per depth, scores added, dropout 0.5. Example "
            "input: two small molecule-like graphs."
        ),
        tags=("gnn", "graph classification", "weisfeiler-lehman", "molecules", "sum aggregation", "expressive power"),
        i18n={
            "zh": {
                "task": "图分类",
                "summary": "为达到消息传递所能达到的最强区分能力而设计的图网络：每层对邻居向量求和（而非求平均），再经过一个小 MLP；"
                "论文证明它能区分 Weisfeiler-Lehman 检验所能区分的任意两张图。整张图（分子、社交网络）的分类依据每一层节点向量之和。",
                "scenarios": ["分子（毒性、致突变性）与蛋白质分类", "根据结构对社交图或代码图分类", "讲解图神经网络的表达能力与 Weisfeiler-Lehman 检验"],
                "strengths": ["在消息传递网络中可证明与 1-WL 检验一样强", "简单：每层一次求和加一个 MLP；图分类基准上效果强", "逐层读出同时利用局部与全局结构"],
                "weaknesses": ["无法区分 1-WL 检验也无法区分的图（如某些正则图）", "求和聚合对节点度数敏感；BN 有帮助，但规模差异很大的图仍较难", "基准数据集很小，不同折之间结果波动大"],
                "input": "节点特征 (N, 7)、批内各图拼成的分块对角 0/1 邻接矩阵 (N, N)、每个节点所属图的编号 (N,)",
                "output": "每张图的类别 logits，(G, 2)",
                "config_note": "GIN-0（ε = 0）：5 层，每层 Linear → BN → ReLU → Linear 后接 BN → ReLU，64 个单元；对输入及每一层做求和读出，"
                "每个深度一个线性分类器，分数相加，dropout 0.5。示例输入：两个类似小分子的图。",
            }
        },
    ),
    example_input=example_molecules,
)
def gin(**overrides) -> GIN:
    return GIN(replace(GINConfig(), **overrides))
