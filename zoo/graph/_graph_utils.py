"""Graph plumbing shared by the graph models (not a model family: the registry skips "_" files).

Input convention for every graph model in DeepZoo: `model(x, adj)` with
  x   — node features, (N, F) float
  adj — the dense normalised adjacency Â = D^-½ (A + I) D^-½ of Kipf & Welling, (N, N) float.

Dense because it keeps the layers one matrix product each, exactly as the papers write them, and
the citation graphs (Cora: 2,708 nodes → a 29 MB matrix) fit easily. Â is computed once per graph
with `normalized_adjacency`. GCN multiplies by it; GAT only needs to know which pairs are neighbours,
and Â is non-zero exactly on the edges plus self-loops, so the same tensor serves both.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

# Cora (Sen et al. 2008) as used by both papers: 2,708 papers, 1,433-word bag-of-words features, 7 topics.
CORA_FEATURES = 1433
CORA_CLASSES = 7
CORA_SPLIT = "Cora (semi-supervised split: 20 labels per class)"

# Card text for the shared input convention, in English and Simplified Chinese.
CARD_IO = {
    "input": "node features (N, 1433) and normalised adjacency Â (N, N)",
    "output": "class logits for every node, (N, 7)",
}
CARD_IO_ZH = {"input": "节点特征 (N, 1433) 与归一化邻接矩阵 Â (N, N)", "output": "每个节点的类别 logits，(N, 7)"}


def normalized_adjacency(edges: torch.Tensor | Sequence[tuple[int, int]], num_nodes: int) -> torch.Tensor:
    """Â = D̃^-½ Ã D̃^-½ with Ã = A + I (Kipf & Welling's renormalisation trick, Sec. 2.2), dense (N, N).

    `edges` is an edge list: a (2, E) integer tensor (PyG's edge_index layout) or a sequence of (u, v)
    pairs. Edges are treated as undirected and duplicates collapse, so citation links may be given once.
    """
    a = adjacency(edges, num_nodes)
    a = a + torch.eye(num_nodes, device=a.device)  # self-loops: a node keeps its own features (Ã = A + I)
    d_inv_sqrt = a.sum(dim=1).rsqrt()  # D̃^-½; every degree ≥ 1 thanks to the self-loop
    return d_inv_sqrt[:, None] * a * d_inv_sqrt[None, :]


def example_graph(num_nodes: int = 20, num_features: int = CORA_FEATURES) -> tuple[torch.Tensor, torch.Tensor]:
    """A small Cora-shaped graph for quick forward passes: (x (N, F), Â (N, N)).

    The edges are deterministic (a ring plus chords to the node three ahead); the features are random.
    """
    adj = normalized_adjacency(example_edges(num_nodes), num_nodes)
    return torch.rand(num_nodes, num_features), adj


def adjacency(edges: torch.Tensor | Sequence[tuple[int, int]], num_nodes: int) -> torch.Tensor:
    """The plain symmetric 0/1 adjacency A (N, N), no self-loops: what sum and mean aggregators
    (GraphSAGE, GIN) and the graph Laplacian (ChebNet) start from, and GCN's Â adds self-loops to.
    `edges`: a (2, E) integer tensor (PyG's edge_index layout) or a sequence of (u, v) pairs."""
    if isinstance(edges, torch.Tensor):
        edge_index = edges.long()
    else:
        edge_index = torch.as_tensor(list(edges), dtype=torch.long).reshape(-1, 2).T
    if edge_index.ndim != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edges must be a (2, E) tensor or (u, v) pairs, got shape {tuple(edge_index.shape)}")
    a = torch.zeros(num_nodes, num_nodes, device=edge_index.device)
    a[edge_index[0], edge_index[1]] = 1.0
    a[edge_index[1], edge_index[0]] = 1.0  # undirected; duplicates collapse
    a.fill_diagonal_(0.0)
    return a


def scaled_laplacian(a: torch.Tensor, lambda_max: float = 2.0) -> torch.Tensor:
    """L̃ = 2L/λ_max − I for the normalised Laplacian L = I − D^-½ A D^-½ (Defferrard et al. 2016, §2.2):
    its eigenvalues lie in [−1, 1], where Chebyshev polynomials are bounded. λ_max = 2 is the usual bound
    (Kipf & Welling's approximation); then L̃ = −D^-½ A D^-½. Isolated nodes get a zero row."""
    deg = a.sum(dim=1)
    d_inv_sqrt = torch.where(deg > 0, deg.clamp(min=1e-12).rsqrt(), torch.zeros_like(deg))
    lap = torch.eye(a.shape[0], device=a.device) - d_inv_sqrt[:, None] * a * d_inv_sqrt[None, :]
    return 2.0 * lap / lambda_max - torch.eye(a.shape[0], device=a.device)


def example_edges(num_nodes: int = 20) -> torch.Tensor:
    """The edges of `example_graph`: a ring plus chords to the node three ahead, (2, 2N)."""
    nodes = torch.arange(num_nodes)
    return torch.cat([torch.stack([nodes, (nodes + 1) % num_nodes]), torch.stack([nodes, (nodes + 3) % num_nodes])], dim=1)
