"""The properties that define CapsNet, the Siamese network, the ODE-Net and KAN (issue 13, "other ideas").

None of them is in transformers, so each is checked against what its paper says it does: capsule squashing
and routing by agreement, the symmetric weighted-L1 head with shared twins, a 4th-order solver whose flow can
be run backwards, and B-spline edges that add up to the layer.
"""

from __future__ import annotations

import math

import pytest
import torch

import zoo
from zoo.other.kan import KAN, KANConfig, b_spline_bases
from zoo.other.neural_ode import ODEBlock, ODEFunc, rk4
from zoo.vision.capsnet import capsnet_loss, margin_loss, route, squash

# ----------------------------------------------------------------------------- CapsNet


def test_squash_keeps_direction_and_maps_length_below_one():
    s = torch.randn(50, 16, dtype=torch.float64) * torch.logspace(-2, 2, 50, dtype=torch.float64)[:, None]
    v = squash(s)
    n = s.norm(dim=-1)
    torch.testing.assert_close(v.norm(dim=-1), n**2 / (1 + n**2))  # Eq. 1's length map
    torch.testing.assert_close(torch.nn.functional.cosine_similarity(v, s, dim=-1), torch.ones(50, dtype=torch.float64))
    assert (v.norm(dim=-1) < 1).all()
    assert squash(torch.zeros(3, 8)).abs().max() == 0  # no 0/0


def test_routing_couplings_sum_to_one_over_digit_capsules():
    u_hat = torch.randn(2, 30, 10, 16)
    v, c = route(u_hat, iterations=3)
    assert v.shape == (2, 10, 16) and c.shape == (2, 30, 10)
    torch.testing.assert_close(c.sum(2), torch.ones(2, 30))
    assert (c >= 0).all()


def test_routing_by_agreement_raises_the_coupling_to_the_capsule_that_agrees():
    # 20 lower capsules: for upper capsule 0 they all predict the same vector (they agree); for upper
    # capsule 1 their predictions point every which way and cancel out.
    g = torch.Generator().manual_seed(0)
    agree = torch.randn(16, generator=g)
    u_hat = torch.zeros(1, 20, 2, 16)
    u_hat[0, :, 0] = 0.3 * agree
    u_hat[0, :, 1] = 0.3 * torch.randn(20, 16, generator=g) * agree.norm() / 4
    _, c1 = route(u_hat, iterations=1)  # no agreement step yet: uniform couplings
    torch.testing.assert_close(c1, torch.full_like(c1, 0.5))
    _, c3 = route(u_hat, iterations=3)
    assert (c3[0, :, 0] > 0.5).all(), c3[0, :, 0]  # every lower capsule now sends more to the agreeing capsule
    assert (c3[0, :, 0] > route(u_hat, iterations=2)[1][0, :, 0]).all()  # ... and more with each round


@pytest.fixture(scope="module")
def capsnet():
    return zoo.create_model("capsnet").eval()


def test_capsnet_lengths_are_probabilities_and_decoder_follows_the_mask(capsnet):
    x = torch.rand(2, 1, 28, 28)
    with torch.no_grad():
        lengths, recon = capsnet(x)
        _, recon_3 = capsnet(x, torch.tensor([3, 3]))
        v, c = capsnet.capsules(x)
    assert lengths.shape == (2, 10) and ((lengths >= 0) & (lengths < 1)).all()
    torch.testing.assert_close(lengths, v.norm(dim=-1))
    torch.testing.assert_close(c.sum(2), torch.ones(2, 1152))
    assert recon.shape == x.shape and ((recon >= 0) & (recon <= 1)).all()
    # the decoder sees only the chosen capsule: the longest one, or the label's
    for chosen, out in ((lengths.argmax(1), recon), (torch.tensor([3, 3]), recon_3)):
        masked = torch.zeros_like(v)
        masked[torch.arange(2), chosen] = v[torch.arange(2), chosen]
        with torch.no_grad():
            torch.testing.assert_close(out, capsnet.decoder(masked.flatten(1)).view_as(x))


def test_capsnet_loss_is_margin_plus_scaled_reconstruction():
    lengths = torch.tensor([[0.95, 0.05, 0.5]])
    # present class 0 over m⁺ (no loss); class 1 under m⁻ (no loss); class 2 absent at 0.5: 0.5 × 0.4²
    assert margin_loss(lengths, torch.tensor([0])).item() == pytest.approx(0.5 * 0.4**2)
    assert margin_loss(lengths, torch.tensor([2])).item() == pytest.approx(0.4**2 + 0.5 * 0.85**2)
    model = zoo.create_model("capsnet", decoder_widths=(8, 8))  # small decoder: only the loss is checked
    x, y = torch.rand(2, 1, 28, 28), torch.tensor([1, 7])
    lengths, recon = model(x, y)
    expected = margin_loss(lengths, y) + 0.0005 * ((recon - x) ** 2).sum() / 2
    torch.testing.assert_close(capsnet_loss(model, x, y), expected)


# ----------------------------------------------------------------------------- Siamese network


@pytest.fixture(scope="module")
def siamese():
    return zoo.create_model("siamese").eval()


def test_siamese_is_symmetric_and_identical_pairs_give_sigmoid_of_bias(siamese):
    x1, x2 = torch.rand(2, 1, 105, 105), torch.rand(2, 1, 105, 105)
    with torch.no_grad():
        torch.testing.assert_close(siamese(x1, x2), siamese(x2, x1), rtol=0, atol=0)
        same = siamese(x1, x1)
    torch.testing.assert_close(same, torch.sigmoid(siamese.head.bias).expand(2, 1))  # distance 0 → σ(b)


def test_siamese_twins_share_every_weight(siamese):
    calls = []
    handle = siamese.twin.register_forward_hook(lambda m, i, o: calls.append(i[0].data_ptr()))
    x1, x2 = torch.rand(1, 1, 105, 105), torch.rand(1, 1, 105, 105)
    with torch.no_grad():
        siamese(x1, x2)
    handle.remove()
    assert calls == [x1.data_ptr(), x2.data_ptr()]  # one module runs both images
    twin = sum(p.numel() for p in siamese.twin.parameters())
    assert twin + 4096 + 1 == sum(p.numel() for p in siamese.parameters()) == zoo.card("siamese").params.value


# ----------------------------------------------------------------------------- Neural ODE


def _rk4_error(f, exact, steps):
    y = rk4(f, torch.tensor([1.0], dtype=torch.float64), 0.0, 1.0, steps)
    return (y - exact).abs().item()


def test_rk4_solves_simple_equations():
    decay = lambda t, y: -y  # noqa: E731 — y(1) = e⁻¹
    assert _rk4_error(decay, math.exp(-1), 64) < 1e-9
    ramp = lambda t, y: t * torch.ones_like(y)  # noqa: E731 — y(1) = 1 + 1/2, exact for a polynomial in t
    assert _rk4_error(ramp, 1.5, 1) < 1e-12
    assert _rk4_error(lambda t, y: t**3 * torch.ones_like(y), 1.25, 4) < 1e-12  # Simpson's rule: exact to t³
    back = rk4(decay, torch.tensor([math.exp(-1)], dtype=torch.float64), 1.0, 0.0, 64)  # t1 < t0
    assert abs(back.item() - 1.0) < 1e-6


def test_rk4_converges_at_fourth_order():
    errors = [_rk4_error(lambda t, y: -y, math.exp(-1), n) for n in (4, 8, 16)]
    ratios = [errors[i] / errors[i + 1] for i in range(2)]
    assert all(14 < r < 18 for r in ratios), ratios  # error ∝ h⁴: halving h divides it by 2⁴


def test_ode_block_is_inverted_by_integrating_backwards():
    torch.manual_seed(0)
    block = ODEBlock(ODEFunc(8), steps=16).double().eval()
    h0 = torch.randn(2, 8, 6, 6, dtype=torch.float64)
    with torch.no_grad():
        h1 = block(h0)
        back = block.inverse(h1)
    assert (h1 - h0).abs().max() > 0.1  # the flow did move the state
    torch.testing.assert_close(back, h0, atol=1e-5, rtol=1e-5)


def test_ode_net_backpropagates_through_the_solver():
    model = zoo.create_model("neural_ode", steps=2)
    model(torch.randn(2, 1, 28, 28)).sum().backward()
    assert model.ode.func.conv1.conv.weight.grad.abs().sum() > 0


# ----------------------------------------------------------------------------- KAN


def test_b_splines_form_a_partition_of_unity_with_local_support():
    cfg = KANConfig()
    layer = KAN(cfg).layers[0]
    x = torch.linspace(-1, 1, 201, dtype=torch.float64)[:, None].expand(-1, 2)
    bases = b_spline_bases(x, layer.grid.double(), cfg.spline_order)  # (201, 2, G + order)
    assert bases.shape == (201, 2, cfg.grid_size + cfg.spline_order)
    torch.testing.assert_close(bases.sum(-1), torch.ones(201, 2, dtype=torch.float64))
    assert (bases >= 0).all()
    # local support: each point lies under at most order + 1 bases, and basis k vanishes outside its knots
    assert ((bases[:, 0] > 1e-12).sum(-1) <= cfg.spline_order + 1).all()
    knots = layer.grid[0].double()
    for k in range(bases.shape[-1]):
        outside = (x[:, 0] < knots[k]) | (x[:, 0] >= knots[k + cfg.spline_order + 1])
        assert (bases[outside, 0, k] == 0).all()


def test_kan_layer_is_the_sum_of_its_edge_functions():
    model = zoo.create_model("kan")
    with torch.no_grad():
        for p in model.parameters():  # away from the near-silu initial state: the splines must count too
            p.add_(0.3 * torch.randn_like(p))
    x = torch.rand(64, 2) * 2 - 1
    h = x
    for layer in model.layers:
        torch.testing.assert_close(layer.phi(h).sum(-1), layer(h), atol=1e-5, rtol=1e-5)  # Eq. 2.5
        h = layer(h)
    torch.testing.assert_close(h, model(x))
