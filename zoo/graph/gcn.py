"""Graph Convolutional Network — Kipf & Welling, "Semi-Supervised Classification with Graph
Convolutional Networks" (ICLR 2017). https://arxiv.org/abs/1609.02907

A graph convolution is a first-order approximation of a spectral filter on the graph: every node
averages its neighbours' (and its own) features, weighted by the symmetric normalisation
Â = D̃^-½ (A + I) D̃^-½, then applies a shared linear map. The layer-wise rule (Eq. 2) is

    H^(l+1) = σ( Â H^(l) W^(l) )

and the paper's node classifier stacks two of them (Eq. 9): Z = softmax( Â ReLU(Â X W⁽⁰⁾) W⁽¹⁾ ).
On Cora — 1,433 bag-of-words features, 16 hidden units, 7 classes, dropout 0.5 — it has 23,063
parameters with a bias per layer (the authors' TensorFlow code leaves them off: 23,040).

Inputs follow zoo/graph/_graph_utils.py: `model(x, adj)` with node features x (N, F) and the dense
normalised adjacency Â (N, N) from `normalized_adjacency(edges, N)`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, Metric, ModelCard, Paper
from ..registry import register_model
from ._graph_utils import (
    CARD_IO,
    CARD_IO_ZH,
    CORA_CLASSES,
    CORA_FEATURES,
    CORA_SPLIT,
    example_graph,
    normalized_adjacency,
)

__all__ = ["GCN", "GCNConfig", "GraphConvolution", "gcn", "normalized_adjacency"]


@dataclass(frozen=True)
class GCNConfig:
    in_features: int = CORA_FEATURES
    hidden: int = 16
    num_classes: int = CORA_CLASSES
    dropout: float = 0.5


class GraphConvolution(nn.Module):
    """One propagation step Â H W + b: mix each node with its neighbours, then transform."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))  # W^(l), Glorot-initialised
        self.bias = nn.Parameter(torch.zeros(out_features))
        nn.init.xavier_uniform_(self.weight)

    def forward(self, h: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        # Transform before propagating: (Â H) W = Â (H W), and H W is the narrower matrix.
        support = h @ self.weight  # (N, F_out)
        return adj @ support + self.bias  # (N, F_out)


class GCN(nn.Module):
    def __init__(self, cfg: GCNConfig = GCNConfig()):
        super().__init__()
        self.cfg = cfg
        self.gc1 = GraphConvolution(cfg.in_features, cfg.hidden)
        self.gc2 = GraphConvolution(cfg.hidden, cfg.num_classes)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.cfg.dropout, self.training)  # (N, 1433)
        h = F.relu(self.gc1(x, adj))  # (N, 16): each node now sees its 1-hop neighbourhood
        h = F.dropout(h, self.cfg.dropout, self.training)
        return self.gc2(h, adj)  # (N, 7) logits; 2 hops — softmax + cross-entropy on labelled nodes only


@register_model(
    card=ModelCard(
        key="gcn",
        name="GCN",
        family="GCN",
        domain="graph",
        task="node classification",
        year=2017,
        paper=Paper(
            "Semi-Supervised Classification with Graph Convolutional Networks",
            "https://arxiv.org/abs/1609.02907",
            authors="T. N. Kipf, M. Welling",
            venue="ICLR",
        ),
        level="basic",
        summary=(
            "Each layer lets every node average the features of its neighbours and itself (weighted by "
            "their degrees) and then applies a shared linear map. Two such layers classify every node of "
            "a graph — e.g. the topic of every paper in a citation network — from features plus links, "
            "with labels for only a few nodes."
        ),
        scenarios=(
            "classifying papers, users or proteins in a graph from a few labels",
            "a baseline for any node-level graph task",
            "teaching message passing on graphs",
        ),
        strengths=(
            "tiny (23K parameters on Cora) and fast: two sparse-times-dense matrix products",
            "uses both node features and graph structure; works with very few labels",
            "simple, well-understood baseline that later graph networks are compared to",
        ),
        weaknesses=(
            "transductive as written: the whole graph (and its adjacency) is needed at training time",
            "every neighbour gets a fixed weight from the degrees; deep stacks over-smooth features",
            "this dense implementation needs N×N memory; use a sparse adjacency for large graphs",
        ),
        params=Figure(23_063, "computed from the paper's Cora configuration (1433 → 16 → 7, a bias per layer)"),
        **CARD_IO,
        metric=Metric("test accuracy", 81.5, "%", CORA_SPLIT, "Kipf & Welling 2017, Table 2"),
        config_note=(
            "Cora: 1433 features → GCN 16 + ReLU → GCN 7, dropout 0.5, Glorot init, biases on (the authors' "
            "TensorFlow code defaults to none, 23,040 parameters). Example input: a 20-node ring graph with random "
            "features."
        ),
        tags=("gnn", "graph convolution", "message passing", "cora", "semi-supervised", "citation network"),
        i18n={
            "zh": {
                "task": "节点分类",
                "summary": "每一层让每个节点对自身和邻居的特征做（按度数加权的）平均，再施加共享的线性变换。"
                "两层这样的网络即可结合节点特征与连接关系，对图中每个节点分类——例如判断引用网络中每篇论文的主题——"
                "而只需少数节点带标签。",
                "scenarios": [
                    "利用少量标签对图中的论文、用户或蛋白质分类",
                    "各类节点级图任务的基线",
                    "讲解图上的消息传递",
                ],
                "strengths": [
                    "极小（Cora 上 2.3 万参数）且快：只需两次稀疏 × 稠密矩阵乘法",
                    "同时利用节点特征和图结构，标签极少也能工作",
                    "简单、被充分理解的基线，后来的图网络都与之比较",
                ],
                "weaknesses": [
                    "原始形式是直推式的：训练时需要整张图（及其邻接矩阵）",
                    "邻居权重由度数固定；层数一深特征就会过度平滑",
                    "这里的稠密实现需要 N×N 内存，大图应改用稀疏邻接矩阵",
                ],
                **CARD_IO_ZH,
            }
        },
    ),
    example_input=lambda: example_graph(num_nodes=20),
)
def gcn(**overrides) -> GCN:
    return GCN(replace(GCNConfig(), **overrides))
