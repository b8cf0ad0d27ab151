"""What defines the graph networks added beside GCN and GAT: node-level models are permutation-equivariant,
GIN's graph readout is permutation-invariant and its sum aggregation separates neighbourhoods a mean cannot,
ChebNet's filters are exactly K − 1 hops wide and its recurrence is the Chebyshev polynomial of L̃."""

from __future__ import annotations

import pytest
import torch

import zoo
from zoo.graph._graph_utils import adjacency, example_edges, scaled_laplacian
from zoo.graph.chebnet import ChebConv
from zoo.graph.gin import GINLayer, example_molecules
from zoo.graph.graphsage import SAGEConv

N, F = 12, 5


def _graph() -> torch.Tensor:
    return adjacency(example_edges(N), N)


def _permutation() -> torch.Tensor:
    return torch.randperm(N, generator=torch.Generator().manual_seed(3))


@pytest.mark.parametrize("key", ["graphsage", "chebnet"])
def test_node_models_are_permutation_equivariant(key):
    """Relabelling the nodes relabels the outputs the same way: f(PX, PAPᵀ) = P f(X, A)."""
    torch.manual_seed(0)
    model = zoo.create_model(key, in_features=F, num_classes=3).eval()
    a = _graph()
    operator = scaled_laplacian(a) if key == "chebnet" else a
    x = torch.randn(N, F)
    p = _permutation()
    out = model(x, operator)
    out_perm = model(x[p], operator[p][:, p])
    torch.testing.assert_close(out_perm, out[p], rtol=1e-5, atol=1e-5)


def test_gin_graph_output_is_permutation_invariant_and_batching_keeps_graphs_apart():
    torch.manual_seed(0)
    model = zoo.create_model("gin").eval()
    x, a, batch = example_molecules()
    out = model(x, a, batch)
    p = torch.randperm(len(batch), generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(model(x[p], a[p][:, p], batch[p]), out, rtol=1e-5, atol=1e-5)
    # each graph alone gives the same logits as inside the batch (block-diagonal A: no messages cross graphs)
    first = batch == 0
    alone = model(x[first], a[first][:, first], torch.zeros(int(first.sum()), dtype=torch.long))
    torch.testing.assert_close(alone[0], out[0], rtol=1e-5, atol=1e-5)


def test_gin_sum_separates_neighbourhoods_that_a_mean_cannot():
    """Lemma 5 / Figure 2: neighbours {a, b} and {a, a, b, b} have the same mean but different sums."""
    torch.manual_seed(0)
    # node 0 has neighbours 1 (a), 2 (b); node 3 has neighbours 4, 5 (a), 6, 7 (b)
    a = adjacency([(0, 1), (0, 2), (3, 4), (3, 5), (3, 6), (3, 7)], 8)
    va, vb, centre = [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]
    x = torch.tensor([centre, va, vb, centre, va, va, vb, vb])
    mean = SAGEConv(2, 4)
    torch.testing.assert_close(mean(x, a)[0], mean(x, a)[3])  # the mean aggregator cannot tell them apart
    gin = GINLayer(2, 4, eps=0.0)
    gin.norm.eval()
    gin.mlp[1].eval()
    assert not torch.allclose(gin(x, a)[0], gin(x, a)[3])  # the sum can


def test_chebnet_filter_reaches_exactly_k_minus_1_hops():
    """A K-term Chebyshev filter is a degree-(K−1) polynomial of L̃: a signal at one node reaches nodes up to
    K − 1 hops away and no further (the paper's Lemma on localisation)."""
    a = adjacency([(i, i + 1) for i in range(N - 1)], N)  # a path: hop distance = index difference
    lap = scaled_laplacian(a)
    x = torch.zeros(N, 1)
    x[0] = 1.0
    for K in (1, 2, 3, 4):
        conv = ChebConv(1, 1, K)
        with torch.no_grad():
            for theta in conv.thetas:
                theta.weight.fill_(1.0)
        out = conv(x, lap).squeeze(1)
        reached = (out.abs() > 1e-6).nonzero().flatten().tolist()
        assert reached == list(range(K)), (K, reached)


def test_chebyshev_recurrence_matches_the_closed_form_on_the_spectrum():
    """Σ_k θ_k T_k(L̃) x computed by the recurrence equals U diag(Σ_k θ_k cos(k·arccos λ)) Uᵀ x."""
    torch.manual_seed(0)
    lap = scaled_laplacian(_graph()).double()
    conv = ChebConv(1, 1, 4).double()
    x = torch.randn(N, 1, dtype=torch.float64)
    lam, u = torch.linalg.eigh(lap)
    lam = lam.clamp(-1, 1)
    thetas = [t.weight.item() for t in conv.thetas]
    response = sum(th * torch.cos(k * torch.arccos(lam)) for k, th in enumerate(thetas))  # T_k(λ) = cos(k arccos λ)
    expected = u @ torch.diag(response) @ u.T @ x + conv.bias
    torch.testing.assert_close(conv(x, lap), expected)
