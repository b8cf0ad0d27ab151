"""Graph classification: which random-graph model drew a graph, told from its structure alone.

There is no set of labelled graphs offline (MUTAG, PROTEINS, IMDB are downloads), so graphs are drawn from four
classic random-graph models, all with a mean degree of about 4, so that counting edges does not give the answer:

| class            | networkx generator                         | what sets it apart                             |
|------------------|--------------------------------------------|------------------------------------------------|
| Erdős–Rényi      | `gnp_random_graph(n, 4 / (n − 1))`         | independent edges: Poisson degrees, few cycles  |
| Barabási–Albert  | `barabasi_albert_graph(n, 2)`              | preferential attachment: hubs, a heavy tail     |
| Watts–Strogatz   | `connected_watts_strogatz_graph(n, 4, 0.1)`| a ring lattice, rewired: triangles everywhere   |
| random regular   | `random_regular_graph(4, n)`               | every degree exactly 4                          |

Each graph has 12–30 nodes. Node features are one-hot degrees (0…9, 10 and above share the last), what the GIN
paper gives nodes of the social-network datasets that have no features (Xu et al. 2019, §7). 800 graphs are
drawn for training and 200 more, from other seeds, are held out.

A batch of graphs is one block-diagonal adjacency matrix and a vector naming each node's graph — GIN's input
(`model(x, a, batch)`); the loss is cross-entropy over the graphs of the batch.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets import DatasetInfo, TrainData, logits_of
from ..plans import TrainPlan, _r

FAMILIES = ("Erdős–Rényi", "Barabási–Albert", "Watts–Strogatz", "random regular")
MEAN_DEGREE = 4
DEGREE_FEATURES = 11  # one-hot degree 0…9, and 10+
SIZES = (12, 30)
TRAIN_GRAPHS, HELD_OUT_GRAPHS = 800, 200
TRAIN_SEED, HELD_OUT_SEED = 0, 1_000_000  # graph i of a split is drawn with seed (split seed + i)

GRAPH_FAMILIES_INFO = DatasetInfo(
    "graph_families", "graph_classification",
    "generated graphs of 12–30 nodes from four random-graph models with mean degree ≈ 4 (Erdős–Rényi, "
    "Barabási–Albert, Watts–Strogatz, random 4-regular); node features are one-hot degrees; 800 for training, "
    "200 others held out", "accuracy", True)


def _draw(family: int, seed: int) -> list[tuple[int, int]] | tuple[int, list[tuple[int, int]]]:
    import networkx as nx

    rng = np.random.default_rng(seed)
    n = int(rng.integers(SIZES[0], SIZES[1] + 1))
    if family == 0:
        g = nx.gnp_random_graph(n, MEAN_DEGREE / (n - 1), seed=seed)
    elif family == 1:
        g = nx.barabasi_albert_graph(n, MEAN_DEGREE // 2, seed=seed)
    elif family == 2:
        g = nx.connected_watts_strogatz_graph(n, MEAN_DEGREE, 0.1, seed=seed)
    else:
        g = nx.random_regular_graph(MEAN_DEGREE, n if n % 2 == 0 else n + 1, seed=seed)  # n·d must be even
    return g.number_of_nodes(), sorted((min(u, v), max(u, v)) for u, v in g.edges())


@functools.lru_cache(maxsize=2)
def _graphs(first_seed: int, count: int) -> tuple[tuple[torch.Tensor, torch.Tensor, int], ...]:
    """`count` graphs, classes in turn: (one-hot degree features (n, 11), edge index (2, E), class)."""
    out = []
    for i in range(count):
        family = i % len(FAMILIES)
        n, edges = _draw(family, first_seed + i)
        edge_index = torch.tensor(edges, dtype=torch.long).T.reshape(2, -1)
        degree = torch.bincount(edge_index.flatten(), minlength=n)
        x = F.one_hot(degree.clamp(max=DEGREE_FEATURES - 1), DEGREE_FEATURES).float()
        out.append((x, edge_index, family))
    return tuple(out)


def collate(graphs) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Graphs → one disjoint union: features (N, F), block-diagonal 0/1 adjacency (N, N), graph of each node
    (N,), and the classes (G,)."""
    sizes = [x.shape[0] for x, _, _ in graphs]
    offsets = np.cumsum([0, *sizes[:-1]])
    n = sum(sizes)
    a = torch.zeros(n, n)
    for (_, e, _), o in zip(graphs, offsets):
        a[e[0] + o, e[1] + o] = 1.0
        a[e[1] + o, e[0] + o] = 1.0
    x = torch.cat([g[0] for g in graphs])
    batch = torch.repeat_interleave(torch.arange(len(graphs)), torch.tensor(sizes))
    y = torch.tensor([g[2] for g in graphs])
    return x, a, batch, y


class GraphClassification(TrainData):
    info = GRAPH_FAMILIES_INFO
    classes = FAMILIES

    def __init__(self):
        self.train = _graphs(TRAIN_SEED, TRAIN_GRAPHS)
        self.held_out = _graphs(HELD_OUT_SEED, HELD_OUT_GRAPHS)

    def __len__(self) -> int:
        return len(self.train)

    def batch(self, indices, device="cpu"):
        return tuple(t.to(device) for t in collate([self.train[i] for i in indices.tolist()]))

    def loss(self, model, batch):
        x, a, nodes, y = batch
        return F.cross_entropy(logits_of(model(x, a, nodes)).float(), y)

    @torch.no_grad()
    def evaluate(self, model, cancel: threading.Event | None = None, batch_size: int = 100):
        model.eval()
        device = next(model.parameters()).device
        correct, total = 0, 0.0
        for i in range(0, len(self.held_out), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            x, a, nodes, y = (t.to(device) for t in collate(self.held_out[i : i + batch_size]))
            scores = logits_of(model(x, a, nodes)).float()
            total += float(F.cross_entropy(scores, y, reduction="sum"))
            correct += int((scores.argmax(1) == y).sum())
        n = len(self.held_out)
        return {"accuracy": correct / n, "loss": total / n}


DATASETS = {"graph_families": (GRAPH_FAMILIES_INFO, GraphClassification)}


def plans(key: str, card, config) -> list[TrainPlan]:
    if key != "gin":
        return []
    cfg = config()
    return [TrainPlan(key, "graph_families", {}, {"in_features": DEGREE_FEATURES, "num_classes": len(FAMILIES)},
                      (_r("features", features=DEGREE_FEATURES), _r("classes", classes=len(FAMILIES))),
                      # the paper's settings: Adam at 0.01, batches of 32 (or 128); 20 epochs instead of 350
                      {"epochs": 20, "batch_size": 32, "optimizer": "adam", "lr": 0.01, "schedule": "cosine"})] \
        if cfg is not None else []
