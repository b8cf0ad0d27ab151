"""Semi-supervised node classification on Zachary's karate club, trained live (well under a second).

Zachary (1977) watched a university karate club of 34 members split in two after a dispute between the
instructor, Mr. Hi (node 0), and the club's officer (node 33). `networkx.karate_club_graph()` ships the
78 friendships and, as the node attribute "club", which faction each member joined. As in Kipf &
Welling's karate-club example (2017, Appendix A) the nodes have no features of their own: each node's
feature is its one-hot identity (X = I), so with one labelled node per faction the graph structure
alone has to spread the labels.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, drawing_from, torch_generator

# Tiny matrices: torch's extra threads only wait for each other, and on a busy CPU that makes training
# 10–50× slower (GCN here: 0.4 s on one thread, 11–27 s on two). Shared with the other live trainings.
from ..runtime import single_threaded

FACTIONS = ("Mr. Hi", "Officer")

# Training settings per model (Adam, weight decay 5e-4 and lr 0.01 as in the GCN paper). GAT's Cora dropout
# of 0.6 is too strong with one label per faction (20 seeds: 92% mean, 78% worst); 0.4 gives 95% mean.
TRAIN = {
    "gcn": {"lr": 0.01, "weight_decay": 5e-4, "overrides": {}},
    "gat": {"lr": 0.01, "weight_decay": 5e-4, "overrides": {"dropout": 0.4}},
}


@dataclass(frozen=True)
class Graph:
    x: torch.Tensor  # (N, N) one-hot identity features
    adj: torch.Tensor  # (N, N) normalised adjacency Â
    y: torch.Tensor  # (N,) faction index into FACTIONS
    edges: tuple[tuple[int, int], ...]


@functools.lru_cache(maxsize=1)
def karate_club() -> Graph:
    import networkx as nx

    from ..graph._graph_utils import normalized_adjacency

    g = nx.karate_club_graph()
    n = g.number_of_nodes()
    edges = tuple(sorted((min(u, v), max(u, v)) for u, v in g.edges()))
    y = torch.tensor([FACTIONS.index(g.nodes[i]["club"]) for i in range(n)])
    return Graph(torch.eye(n), normalized_adjacency(edges, n), y, edges)


@dataclass
class NodeRun:
    model: str
    labelled: list[int]
    predictions: np.ndarray  # (N,) predicted faction index of every node
    probabilities: np.ndarray  # (N, 2) softmax over the factions
    accuracy: float  # on the nodes whose label the model did not see, in [0, 1]
    losses: list[float]  # cross-entropy on the labelled nodes, one per epoch
    seconds: float


def train_node_classifier(key: str, labelled_nodes: Sequence[int], epochs: int = 200, seed: int = 0) -> NodeRun:
    """Train GCN or GAT on the karate club seeing only the factions of `labelled_nodes` (the loss is the
    cross-entropy on those nodes alone); predict every node's faction."""
    start = time.perf_counter()
    graph = karate_club()
    settings = TRAIN[key]
    g = torch_generator(seed)  # the initial weights, then every dropout mask
    model = build(key, g, in_features=graph.x.shape[1], num_classes=len(FACTIONS), **settings["overrides"])
    opt = torch.optim.Adam(model.parameters(), lr=settings["lr"], weight_decay=settings["weight_decay"])
    idx = torch.tensor(sorted(set(labelled_nodes)), dtype=torch.long)
    losses = []
    with single_threaded():
        for _ in range(epochs):
            model.train()
            with drawing_from(g):  # F.dropout inside the layers takes no generator
                logits = model(graph.x, graph.adj)
            loss = F.cross_entropy(logits[idx], graph.y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            probs = torch.softmax(model(graph.x, graph.adj), dim=1)
    pred = probs.argmax(1)
    unseen = torch.ones(len(pred), dtype=torch.bool)
    unseen[idx] = False
    accuracy = (pred[unseen] == graph.y[unseen]).float().mean().item()
    return NodeRun(key, idx.tolist(), pred.numpy(), probs.numpy(), accuracy, losses, time.perf_counter() - start)
