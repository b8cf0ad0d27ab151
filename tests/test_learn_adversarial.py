"""zoo.learn.tasks.adversarial: the GAN games on the digits. Short real trainings beat the untrained players,
each player's gradient reaches only its own weights, a seed gives the same run, pictures and cancellation."""

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from zoo import learn
from zoo.learn.tasks import adversarial
from zoo.rng import drawing_from, torch_generator
from zoo.runtime import single_threaded

KEYS = {  # key → (dataset, game option)
    "dcgan_generator": ("gan_digits", "dcgan"),
    "dcgan_discriminator": ("gan_digits", "dcgan"),
    "wgan_critic": ("gan_digits", "wgan"),
    "pix2pix_generator": ("occluded_digits", None),
    "patchgan_discriminator": ("occluded_digits", None),
    "cyclegan_generator": ("digit_styles", None),
}


def _setup(key: str, seed: int = 0):
    plan = learn.plans_for(key)[0]
    return plan, learn.load_dataset(plan.dataset, **plan.data_options), learn.build(plan, seed)


def _fit(key: str, steps: int, batch_size: int, seed: int = 0, **config):
    plan, data, model = _setup(key, seed)
    with single_threaded():
        before = data.evaluate(model)
        cfg = learn.FitConfig(**{**plan.defaults, "max_steps": steps, "batch_size": batch_size, "seed": seed, **config})
        result = learn.fit(model, data, cfg)
    return data, before, result


@pytest.mark.parametrize("key", sorted(KEYS))
def test_plans(key):
    dataset, game = KEYS[key]
    plan = learn.plans_for(key)[0]
    codes = [r.code for r in plan.reductions]
    assert plan.dataset == dataset and plan.builder and plan.builder.startswith("zoo.learn.tasks.adversarial:")
    assert "adversarial_one_optimizer" in codes and "input_size" in codes
    assert ("adversarial_n_critic" in codes) == (key == "wgan_critic")
    if game is not None:
        assert plan.data_options["game"] == game
    assert plan.defaults["max_steps"] % 50 == 0 and plan.defaults["epochs"] == 10_000
    model = learn.build(plan, 0)
    keys = model.state_dict().keys()
    assert len({k.split(".")[0] for k in keys}) == (4 if key == "cyclegan_generator" else 2)  # every player saved


def test_critic_is_the_wgan_critic_and_is_clipped():
    from zoo.generative.wgan import CLIP, Critic

    plan, data, model = _setup("wgan_critic")
    assert isinstance(model.discriminator, Critic)
    assert max(float(p.detach().abs().max()) for p in model.discriminator.parameters()) > CLIP  # DCGAN's N(0, 0.02) init
    data.loss(model.train(), data.batch(torch.arange(4)))
    assert max(float(p.detach().abs().max()) for p in model.discriminator.parameters()) <= CLIP


def test_each_player_gets_only_its_own_gradient():
    """The summed DCGAN objective gives D exactly the gradient of D's loss, and G exactly that of G's."""
    from zoo.generative.dcgan import gan_losses

    plan, data, model = _setup("dcgan_generator")
    model.train()
    real = data.batch(torch.arange(8))
    with drawing_from(torch_generator(5)):
        model(real).backward()
    summed = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    with drawing_from(torch_generator(5)):  # the same noise
        fake = model.generator(torch.randn(8, model.nz))
    d_loss, _ = gan_losses(model.discriminator(real), model.discriminator(fake.detach()))
    d_loss.backward()
    for name, p in model.discriminator.named_parameters():
        torch.testing.assert_close(summed[f"discriminator.{name}"], p.grad)
    model.zero_grad()
    _, g_loss = gan_losses(torch.zeros(8), model.discriminator(fake))
    g_loss.backward()
    for name, p in model.generator.named_parameters():
        torch.testing.assert_close(summed[f"generator.{name}"], p.grad)


@pytest.mark.parametrize("key", ["dcgan_generator", "wgan_critic"])
def test_gan_samples_move_towards_real_digits(key):
    """A few hundred steps: the samples come much nearer real digits (pixel distance to the nearest training
    digit); the full judge score needs the default run's 1,000+ steps."""
    data, before, result = _fit(key, 200, 32)
    after = result.final_metrics
    assert after["nearest real distance"] < before["nearest real distance"] - 0.5, (before, after)
    assert after["judge_score"] >= before["judge_score"]


def test_pix2pix_restores_hidden_squares():
    data, before, result = _fit("pix2pix_generator", 80, 16)
    after = result.final_metrics
    assert after["translation_l1"] < 0.5 * before["translation_l1"], (before, after)
    assert np.mean(result.losses[-10:]) < 0.5 * np.mean(result.losses[:10])


def test_cyclegan_translates_between_styles():
    data, before, result = _fit("cyclegan_generator", 120, 8)
    after = result.final_metrics
    assert after["translation_l1"] < 0.7 * before["translation_l1"], (before, after)
    assert after["translation_l1"] < 0.5 * after["input l1"]


@pytest.mark.parametrize("key", ["wgan_critic", "pix2pix_generator", "cyclegan_generator"])
def test_same_seed_same_run(key):
    runs = [_fit(key, 4, 4, eval_every=None)[2].losses for _ in range(2)]
    assert runs[0] == runs[1]
    assert _fit(key, 4, 4, seed=1)[2].losses != runs[0]


@pytest.mark.parametrize("key", ["dcgan_generator", "pix2pix_generator", "cyclegan_generator"])
def test_samples_and_cancel(key):
    plan, data, model = _setup(key)
    picture = data.samples(model)
    assert picture.ndim == 3 and picture.shape[2] == 3 and picture.dtype == np.uint8 and picture.shape[0] >= 64
    cancel = threading.Event()
    cancel.set()
    assert data.evaluate(model, cancel=cancel) is None


def test_judge_score_scale():
    """The unconditional metric's two ends: real held-out digits score high, noise low."""
    from zoo.train.generative import digits

    real = adversarial.judge_score(digits(16, split="test")[0])["judge_score"]
    noise = adversarial.judge_score(torch.rand(300, 1, 16, 16, generator=torch_generator(0)))["judge_score"]
    assert real > 0.85 and noise < 0.1
