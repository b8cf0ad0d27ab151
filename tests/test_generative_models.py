"""Properties that define the generative families of issue 13 (part G), each checked at a small config.

Autoencoder, WGAN critic, CycleGAN and pix2pix generators, the 70×70 PatchGAN, PixelCNN, the DDPM
(U-Net and the diffusion process) and RealNVP. Parameter counts and forward passes of the registered
configurations are covered by tests/test_models.py.
"""

from __future__ import annotations

import math

import pytest
import torch

from zoo.generative import autoencoder as ae
from zoo.generative import cyclegan, ddpm, pix2pix, pixelcnn, realnvp, wgan
from zoo.runtime import single_threaded


@pytest.fixture(autouse=True)
def _one_thread():
    """Small tensors: a second OpenMP thread only spins (much slower on a busy CPU)."""
    with single_threaded():
        yield


# ----------------------------------------------------------------------------- autoencoder
def test_autoencoder_is_the_mirrored_784_1000_500_250_30_stack_and_learns_to_reconstruct():
    torch.manual_seed(0)
    model = ae.autoencoder()
    enc = [m.weight.shape for m in model.encoder if isinstance(m, torch.nn.Linear)]
    dec = [m.weight.shape for m in model.decoder if isinstance(m, torch.nn.Linear)]
    assert [s[1] for s in enc] + [enc[-1][0]] == [784, 1000, 500, 250, 30]
    assert dec == [s[::-1] for s in reversed(enc)]  # the mirror, with its own (untied) weights
    assert isinstance(model.encoder[-1], torch.nn.Linear)  # linear code layer: codes are not squashed
    assert model.encode(torch.rand(2, 1, 28, 28)).shape == (2, 30)
    # Learning to reconstruct, at a narrow width of the same design (the full one costs ~1 GFLOP a step).
    from zoo.train.generative import vae_digits

    model = ae.autoencoder(widths=(784, 64, 32, 16, 8))
    x = vae_digits("train")[0][:64]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    errors = []
    for _ in range(60):
        loss = torch.nn.functional.binary_cross_entropy(model(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        errors.append(loss.item())
    assert errors[-1] < 0.6 * errors[0]


# ----------------------------------------------------------------------------- WGAN
def test_wgan_weight_clipping_bounds_every_weight_and_the_score_is_unbounded():
    torch.manual_seed(0)
    critic = wgan.wgan_critic(image_size=16, channels=1, ndf=8).eval()
    for p in critic.parameters():  # push weights far outside [-c, c] (BN scales start at 1 anyway)
        p.data.mul_(50)
    wgan.clip_weights(critic, c=0.01)
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())
    assert any((p.abs() == 0.01).any() for p in critic.parameters())  # it clipped, not rescaled
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    score = critic(x)
    k = 10 / score.abs().max().item()
    with torch.no_grad():
        critic.classify.weight.mul_(k)  # no sigmoid: the score scales with the last layer, past any [0, 1]
    assert torch.allclose(critic(x), k * score, rtol=1e-4)
    assert critic(x).abs().max() > 9
    real, fake = torch.tensor([2.0, 4.0]), torch.tensor([1.0, -1.0])
    assert wgan.critic_loss(real, fake) == -3.0 and wgan.generator_loss(fake) == 0.0


# ----------------------------------------------------------------------------- CycleGAN
def test_cyclegan_generator_keeps_the_size_and_its_instance_norm_has_no_parameters():
    torch.manual_seed(0)
    g = cyclegan.cyclegan_generator(ngf=8, n_blocks=2).eval()
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    y = g(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    norms = [m for m in g.modules() if isinstance(m, torch.nn.InstanceNorm2d)]
    assert norms and all(not m.affine and sum(p.numel() for p in m.parameters()) == 0 for m in norms)
    assert sum(isinstance(m, torch.nn.ReflectionPad2d) for m in g.modules()) == 2 + 2 * 2  # stem, head, 2 per block
    # Each image is normalised on its own: an image's output does not depend on its batch mates.
    assert torch.allclose(g(x[:1]), y[:1], atol=1e-5)
    assert cyclegan.cycle_loss(x, x, y, y) == 0


# ----------------------------------------------------------------------------- pix2pix
def test_patchgan_receptive_field_is_70_by_layers_and_by_gradient():
    assert pix2pix.receptive_field(pix2pix.patchgan_layers(3)) == 70
    assert pix2pix.receptive_field(pix2pix.patchgan_layers(1)) == 16  # the paper's 16×16 PatchGAN
    assert pix2pix.receptive_field(pix2pix.patchgan_layers(5)) == 286  # and its 286×286 "ImageGAN"
    torch.manual_seed(0)
    d = pix2pix.patchgan_discriminator(ndf=8).eval()
    cond = torch.randn(1, 3, 96, 96, requires_grad=True)
    image = torch.randn(1, 3, 96, 96, requires_grad=True)
    out = d(cond, image)
    assert out.shape == (1, 1, 10, 10)  # 96/8 − 2
    out[0, 0, 5, 5].backward()
    for grad in (cond.grad, image.grad):  # both halves of the 6-channel input reach the score
        rows, cols = grad.abs().sum((0, 1)).nonzero(as_tuple=True)
        assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (70, 70)
        assert (rows.min(), cols.min()) == (17, 17)  # 5·8 − 23: inside the image, not cut by the border


def test_pix2pix_unet_skips_and_dropout():
    torch.manual_seed(0)
    g = pix2pix.pix2pix_generator(ngf=4, num_downs=6)  # U-Net-64: 64 → 1 in six halvings
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    g.eval()
    y = g(x)
    assert y.shape == x.shape and y.abs().max() <= 1
    assert torch.equal(g(x), y)  # eval: dropout off, deterministic
    assert sum(isinstance(m, torch.nn.Dropout) for m in g.modules()) == 1  # num_downs − 5 levels carry dropout
    g.train()
    assert not torch.equal(g(x), g(x))  # the paper's noise source: dropout in the decoder
    # Skip connections: the outermost decoder conv sees 2·ngf channels (its own ngf + the encoder's ngf).
    assert g.unet.up[1].in_channels == 2 * 4


# ----------------------------------------------------------------------------- PixelCNN
def test_pixelcnn_output_never_depends_on_its_own_or_later_pixels():
    torch.manual_seed(0)
    model = pixelcnn.pixelcnn(image_size=6, h=4, n_blocks=2).eval()
    side = 6
    for i in range(side):
        for j in range(side):
            x = torch.rand(1, 1, side, side, requires_grad=True)
            model(x)[0, 0, i, j].backward()
            grad = x.grad[0, 0].abs()
            order = torch.arange(side * side).view(side, side)
            assert grad[order >= i * side + j].sum() == 0, (i, j)  # itself and everything after: unseen
            if j > 0:
                assert grad[i, j - 1] > 0  # the pixel to its left is seen
            if i > 0:
                assert grad[i - 1, j] > 0  # and the one above
    assert model.stem.mask[0, 0, 3, 3] == 0 and model.blocks[0].body[3].mask[0, 0, 1, 1] == 1  # mask A vs B


def test_pixelcnn_nll_is_the_sum_of_pixel_cross_entropies():
    torch.manual_seed(0)
    model = pixelcnn.pixelcnn(image_size=6, h=4, n_blocks=1).eval()
    with torch.no_grad():
        model.head[-1].bias.fill_(-50.0)  # every pixel "certainly off"
        model.head[-1].weight.zero_()
    blank, one = torch.zeros(1, 1, 6, 6), torch.zeros(1, 1, 6, 6)
    one[0, 0, 2, 3] = 1
    assert model.nll(blank).item() < 1e-10
    assert model.nll(one).item() == pytest.approx(50.0, rel=1e-4)  # one "impossible" pixel costs −log σ(−50)
    assert pixelcnn.pixelcnn(image_size=6, h=4, n_blocks=1, levels=256)(torch.zeros(1, 1, 6, 6)).shape == (1, 256, 6, 6)


# ----------------------------------------------------------------------------- DDPM
def test_ddpm_schedule_is_the_papers():
    d = ddpm.GaussianDiffusion()
    assert d.T == 1000 and d.betas[0] == 1e-4 and abs(d.betas[-1].item() - 0.02) < 1e-12
    assert d.alpha_bar[-1] < 1e-4  # x_T is (almost) pure noise


def test_q_sample_closed_form_matches_iterating_the_forward_process():
    d = ddpm.GaussianDiffusion()
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.0, -0.5, 0.0, 0.8], dtype=torch.float64).expand(20_000, 4)
    x = x0.clone()
    for t in range(300):  # x_t = √(1 − β_t) x_{t−1} + √β_t ε_t, step by step
        x = d.q_step(x, t, torch.randn(x.shape, generator=g, dtype=torch.float64))
    t = torch.full((len(x0),), 299)
    jump = d.q_sample(x0, t, torch.randn(x0.shape, generator=g, dtype=torch.float64))
    ab = d.alpha_bar[299].item()
    for samples in (x, jump):  # both are N(√ᾱ_t x_0, (1 − ᾱ_t) I)
        assert torch.allclose(samples.mean(0), math.sqrt(ab) * x0[0], atol=0.02)
        assert torch.allclose(samples.var(0), torch.full((4,), 1 - ab, dtype=torch.float64), rtol=0.04)
    # And with fixed noise the algebra is exact: one step from x_0 is q_sample at t = 0.
    eps = torch.randn(4, generator=g, dtype=torch.float64)
    assert torch.allclose(d.q_step(x0[0], 0, eps), d.q_sample(x0[:1], torch.tensor([0]), eps[None])[0])


def test_samplers_with_a_perfect_noise_predictor_recover_a_known_image():
    d = ddpm.GaussianDiffusion()
    g = torch.Generator().manual_seed(1)
    x0 = torch.rand(2, 1, 4, 4, generator=g) * 2 - 1

    def perfect(x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:  # the ε that turns x_0 into x_t
        ab = d.alpha_bar[t].float().view(-1, 1, 1, 1)
        return (x_t - ab.sqrt() * x0) / (1 - ab).sqrt()

    # One ancestral step already implies the right x_0, from any noise level.
    x_t = d.q_sample(x0, torch.tensor([700, 700]), torch.randn(x0.shape, generator=g))
    _, implied = d.p_step(perfect, x_t, 700, g)
    assert torch.allclose(implied, x0, atol=1e-4)
    # The full chains end on x_0: ancestral (Algorithm 2, 1000 steps) and DDIM (50 steps).
    assert torch.allclose(d.sample(perfect, x0.shape, generator=g), x0, atol=1e-4)
    assert torch.allclose(d.ddim(perfect, x0.shape, steps=50, generator=g), x0, atol=1e-4)


def test_ddpm_unet_small_config_depends_on_the_timestep_and_trains_on_l_simple():
    torch.manual_seed(0)
    cfg = dict(image_size=8, in_channels=1, ch=16, ch_mult=(1, 2), num_res_blocks=1, attn_resolutions=(4,), groups=4)
    net = ddpm.ddpm_unet(**cfg).eval()
    x = torch.randn(2, 1, 8, 8)
    assert torch.equal(net(x, torch.tensor([3, 3])), torch.zeros_like(x))  # zero-initialised output conv
    for m in net.modules():  # residual branches start as the identity too: wake every zero-initialised conv
        if isinstance(m, torch.nn.Conv2d) and not m.weight.any():
            torch.nn.init.normal_(m.weight, std=0.1)
    assert not torch.allclose(net(x, torch.tensor([10])), net(x, torch.tensor([900])))
    emb = ddpm.timestep_embedding(torch.tensor([0, 5]), 16)
    assert emb.shape == (2, 16) and torch.equal(emb[0], torch.cat([torch.zeros(8), torch.ones(8)]))
    diffusion = ddpm.GaussianDiffusion()
    net.train()
    loss = diffusion.loss(net, torch.rand(4, 1, 8, 8) * 2 - 1, generator=torch.Generator().manual_seed(0))
    loss.backward()
    assert loss.item() > 0 and net.conv_in.weight.grad.abs().sum() > 0


# ----------------------------------------------------------------------------- RealNVP
def _randomised(model: torch.nn.Module) -> torch.nn.Module:
    """Couplings start near the identity (tiny last conv); give s and t something to do."""
    torch.manual_seed(0)
    for m in model.modules():
        if isinstance(m, realnvp.STNet):
            torch.nn.init.normal_(m.net[-1].weight, std=0.05)
            torch.nn.init.normal_(m.net[-1].bias, std=0.05)
    return model.eval()


def test_realnvp_is_exactly_invertible():
    model = _randomised(realnvp.realnvp(in_channels=3, image_size=8, num_scales=2, n_blocks=1, features=16))
    x = torch.randn(3, 3, 8, 8)
    with torch.no_grad():
        z, logdet = model(x)
        assert z.shape == (3, 3 * 8 * 8)
        assert (model.inverse(z) - x).abs().max() < 1e-5
        assert logdet.abs().min() > 0.1  # the couplings really scale
        assert torch.allclose(realnvp.unsqueeze(realnvp.squeeze(x)), x)


def test_realnvp_log_determinant_equals_the_autograd_jacobian():
    model = _randomised(realnvp.realnvp(in_channels=1, image_size=4, num_scales=2, n_blocks=1, features=8)).double()
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: model(v.view(1, 1, 4, 4))[0][0], x.flatten())  # (16, 16)
    _, logdet = model(x)
    assert torch.linalg.slogdet(jac).logabsdet.item() == pytest.approx(logdet.item(), abs=1e-9)
    # log p(x) = log N(z; 0, I) + log |det|
    z = model(x)[0]
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum() + logdet
    assert model.log_prob(x).item() == pytest.approx(expected.item(), abs=1e-9)


def test_logit_transform_log_determinant():
    x = torch.tensor([[0.0, 17.0, 128.0, 255.0]], dtype=torch.float64)
    noise = torch.tensor([[0.5, 0.2, 0.9, 0.1]], dtype=torch.float64)
    y, logdet = realnvp.logit_transform(x, noise)
    u = (x + noise) / 256
    jac = torch.autograd.functional.jacobian(lambda v: realnvp.logit_transform(v * 256 - noise, noise)[0][0], u[0])
    assert logdet.item() == pytest.approx(torch.linalg.slogdet(jac).logabsdet.item(), abs=1e-9)
    assert torch.isfinite(y).all()
