"""GraphSAGE — Hamilton, Ying & Leskovec, "Inductive Representation Learning on Large Graphs" (NeurIPS 2017).
https://arxiv.org/abs/1706.02216

GCN learns on one fixed graph. GraphSAGE ("SAmple and aggreGatE") learns *functions* that build a node's
embedding from its neighbourhood, so they apply to nodes and graphs never seen in training — new users, new
papers, a new protein network. Each layer (Algorithm 1, lines 4–5) aggregates the neighbours' vectors and
combines the result with the node's own vector:

    h_N(v) = mean{ h_u : u ∈ N(v) }            (the mean aggregator, Section 3.3)
    h_v'   = σ( W · [h_v ‖ h_N(v)] )

W applied to the concatenation is the same as two maps, W_self h_v + W_neigh h_N(v), which is how it is
written here (and in PyTorch Geometric's SAGEConv). The paper samples a fixed number of neighbours per node to
bound the cost on huge graphs; with Cora-sized graphs this implementation uses every neighbour, and leaves out
the optional L2 normalisation of each layer's output. Cora sizes (1433 → 16 → 7): 46,103 parameters.

Inputs: `model(x, a)` with node features x (N, F) and the 0/1 adjacency A (N, N) without self-loops
(`zoo.graph._graph_utils.adjacency`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..card import Figure, ModelCard, Paper
from ..registry import register_model
from ._graph_utils import CARD_IO_ZH, CORA_CLASSES, CORA_FEATURES, adjacency, example_edges


@dataclass(frozen=True)
class GraphSAGEConfig:
    in_features: int = CORA_FEATURES
    hidden: int = 16
    num_classes: int = CORA_CLASSES
    dropout: float = 0.5


class SAGEConv(nn.Module):
    """h_v' = W_self h_v + W_neigh · mean_{u ∈ N(v)} h_u + b."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.neigh = nn.Linear(in_features, out_features)  # W_neigh, with the layer's bias
        self.self_ = nn.Linear(in_features, out_features, bias=False)  # W_self

    def forward(self, h: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        deg = a.sum(dim=1, keepdim=True).clamp(min=1)  # (N, 1); an isolated node aggregates zeros
        h_neigh = (a @ h) / deg  # (N, F): the mean of the neighbours' vectors
        return self.self_(h) + self.neigh(h_neigh)  # (N, F_out)


class GraphSAGE(nn.Module):
    def __init__(self, cfg: GraphSAGEConfig = GraphSAGEConfig()):
        super().__init__()
        self.cfg = cfg
        self.conv1 = SAGEConv(cfg.in_features, cfg.hidden)
        self.conv2 = SAGEConv(cfg.hidden, cfg.num_classes)

    def forward(self, x: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.cfg.dropout, self.training)  # (N, 1433)
        h = F.relu(self.conv1(x, a))  # (N, 16): K = 1 hop
        h = F.dropout(h, self.cfg.dropout, self.training)
        return self.conv2(h, a)  # (N, 7) logits: K = 2 hops, the paper's depth


def _example() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.rand(20, CORA_FEATURES), adjacency(example_edges(20), 20)


@register_model(
    card=ModelCard(
        key="graphsage",
        name="GraphSAGE (mean)",
        family="GraphSAGE",
        domain="graph",
        task="node classification",
        year=2017,
        paper=Paper(
            "Inductive Representation Learning on Large Graphs",
            "https://arxiv.org/abs/1706.02216",
            authors="W. L. Hamilton, R. Ying, J. Leskovec",
            venue="NeurIPS 2017",
        ),
        level="basic",
        summary=(
            "Learns how to build a node's representation from the average of its neighbours' representations "
            "plus its own, rather than one embedding per node of a fixed graph. Because it learns a function of "
            "the neighbourhood, it works on nodes and whole graphs it never saw in training — the step that took "
            "graph networks to web-scale recommendation systems such as Pinterest's."
        ),
        scenarios=(
            "node classification on graphs that grow (new users, posts, papers)",
            "recommendation and link prediction on very large graphs with neighbour sampling",
            "teaching inductive versus transductive learning on graphs",
        ),
        strengths=(
            "inductive: embeds unseen nodes and graphs without retraining",
            "neighbour sampling bounds memory and time per node on huge graphs",
            "keeps a node's own features apart from its neighbours' (two weight matrices)",
        ),
        weaknesses=(
            "the mean aggregator cannot tell some different neighbourhoods apart (GIN's sum can)",
            "sampling adds variance; deep stacks still over-smooth",
            "this dense implementation needs N×N memory; use sparse adjacency and sampling for big graphs",
        ),
        params=Figure(46_103, "computed from the architecture at Cora sizes (1433 → 16 → 7, mean aggregator, one bias per layer)"),
        input="node features (N, 1433) and the 0/1 adjacency A (N, N), no self-loops",
        output="class logits for every node, (N, 7)",
        config_note=(
            "Two mean-aggregator layers 1433 → 16 → 7 (W_self without bias + W_neigh with bias), ReLU, dropout 0.5; "
            "every neighbour used (no sampling), no L2 normalisation. Example input: a 20-node ring graph with chords."
        ),
        tags=("gnn", "inductive", "message passing", "neighbour sampling", "mean aggregator", "cora"),
        i18n={
            "zh": {
                "task": "节点分类",
                "summary": "学习如何用邻居表示的平均值加上节点自身的表示来构建节点表示，而不是为固定图中的每个节点学习一个嵌入。"
                "由于学到的是邻域的函数，它能用于训练时从未见过的节点乃至整张图——正是这一步把图网络带到了 Pinterest 等网络规模的推荐系统。",
                "scenarios": ["在不断增长的图上做节点分类（新用户、新帖子、新论文）", "借助邻居采样在超大图上做推荐与链接预测", "讲解图上的归纳式与直推式学习"],
                "strengths": ["归纳式：无需重新训练即可嵌入新节点和新图", "邻居采样限制了超大图上每个节点的内存和时间", "用两个权重矩阵把节点自身特征与邻居特征分开"],
                "weaknesses": ["均值聚合器无法区分某些不同的邻域（GIN 的求和可以）", "采样带来方差；堆叠过深仍会过度平滑", "这里的稠密实现需要 N×N 内存，大图请用稀疏邻接和采样"],
                "input": "节点特征 (N, 1433) 与 0/1 邻接矩阵 A (N, N)，无自环",
                "output": CARD_IO_ZH["output"],
                "config_note": "两层均值聚合 1433 → 16 → 7（W_self 无偏置 + W_neigh 带偏置），ReLU，dropout 0.5；使用全部邻居（不采样），"
                "不做 L2 归一化。示例输入：带弦的 20 节点环图。",
            }
        },
    ),
    example_input=_example,
)
def graphsage(**overrides) -> GraphSAGE:
    return GraphSAGE(replace(GraphSAGEConfig(), **overrides))
