"""zoo.learn.tasks.generative: VAE, autoencoder, DDPM, PixelCNN and RealNVP on scikit-learn's digits. Each
objective trains for a few steps and beats the untrained model on its held-out metric; the same seed gives the
same losses; samples are pictures; evaluation stops when cancelled; the plans say what is reduced."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
import torch

from zoo import learn
from zoo.learn.tasks import generative
from zoo.runtime import single_threaded

KEYS = ("vae", "autoencoder", "ddpm_unet", "pixelcnn", "realnvp")
# (steps, batch size, lr, what the held-out metric must reach below the untrained model's)
SHORT = {
    "vae": (30, 100, 1e-3, 10.0),  # nats per image; untrained ≈ 185 (decoder started at the mean digit)
    "autoencoder": (20, 64, 1e-3, 50.0),  # squared error per image; untrained ≈ 156
    "ddpm_unet": (15, 32, 2e-3, 0.3),  # L_simple; untrained = 1.0 (zero-initialised output)
    "pixelcnn": (20, 32, 2e-3, 0.5),  # bits per pixel; untrained ≈ log2(17) ≈ 4.09
    "realnvp": (20, 32, 1e-3, 0.5),  # bits per pixel; untrained ≈ 5.4
}


def _setup(key: str):
    plan = learn.plans_for(key)[0]
    return plan, learn.load_dataset(plan.dataset, **plan.data_options)


def _fit(key: str, steps: int, batch_size: int, lr: float, seed: int = 0, before: bool = True):
    plan, data = _setup(key)
    config = learn.FitConfig(**{**plan.defaults, "max_steps": steps, "batch_size": batch_size, "lr": lr,
                                "warmup_steps": 0, "seed": seed})
    with single_threaded():
        model = learn.build(plan, seed)
        before = data.evaluate(model)[data.metric] if before else None
        result = learn.fit(model, data, config)
    return data, before, result


@pytest.mark.parametrize("key", KEYS)
def test_short_training_beats_the_untrained_model(key):
    steps, batch_size, lr, margin = SHORT[key]
    data, before, result = _fit(key, steps, batch_size, lr)
    after = result.final_metrics[data.metric]
    assert math.isfinite(before) and after < before - margin, (key, before, after)
    assert not data.higher_is_better
    with single_threaded():
        picture = data.samples(result.model)
    assert picture.dtype == np.uint8 and picture.ndim == 3 and picture.shape[2] == 3 and min(picture.shape[:2]) >= 64
    assert 0 < picture.std()  # something is drawn: not a blank page


@pytest.mark.parametrize("key", KEYS)
def test_same_seed_same_run(key):
    """The noise of each objective (ε, t, dequantisation) comes from the run's generator: seeds decide it."""
    runs = [_fit(key, 3, 8, 1e-3, seed=seed, before=False)[2] for seed in (5, 5, 6)]
    assert runs[0].losses == runs[1].losses
    assert runs[0].losses != runs[2].losses
    assert runs[0].final_metrics == runs[1].final_metrics


@pytest.mark.parametrize("key", KEYS)
def test_evaluation_is_fixed_and_stops_when_cancelled(key):
    plan, data = _setup(key)
    with single_threaded():
        model = learn.build(plan, 0)
        assert data.evaluate(model) == data.evaluate(model)  # fixed held-out noise and timesteps
        cancel = threading.Event()
        cancel.set()
        assert data.evaluate(model, cancel=cancel) is None


def test_plans_say_what_is_reduced():
    notes = {key: learn.plans_for(key)[0].note() for key in KEYS}
    assert notes["vae"] == "as published"
    assert notes["autoencoder"] == ("trained end to end from Glorot-initialised weights (published: layer-wise RBM "
                                    "pretraining, then fine-tuning)")
    assert notes["ddpm_unet"].startswith("input 8×8 (published 32×32), 1 input channel(s), U-Net of ch 32 (published 128)")
    assert notes["pixelcnn"] == "input 8×8 (published 28×28), 17 grey levels per pixel, softmax (published: binary pixels)"
    assert "s and t networks of 2 residual blocks × 32 maps (published 8 × 64)" in notes["realnvp"]
    plans = {key: learn.plans_for(key)[0] for key in KEYS}
    assert plans["vae"].builder == "zoo.learn.tasks.generative:vae_from_mean"
    assert plans["autoencoder"].builder == "zoo.learn.tasks.generative:autoencoder_glorot"
    assert {p.dataset for p in plans.values()} == set(generative.DATASETS)
    for plan in plans.values():
        d = plan.defaults
        assert d["max_steps"] % 50 == 0 and 50 <= d["max_steps"] <= 2000 and d["epochs"] == 10_000
    assert generative.plans("lenet5", None, lambda: None) == []


def test_data_forms():
    """MNIST layout in [0, 1] for VAE and autoencoder; 8×8 ink in [-1, 1] for DDPM; 17 integer levels for
    PixelCNN and RealNVP; the same 1,500 / 297 split for all."""
    elbo, recon, denoise, pixels, flow = (learn.load_dataset(n) for n in generative.DATASETS)
    assert elbo.x_train.shape == (1500, 1, 28, 28) and elbo.x_val.shape == (297, 1, 28, 28)
    assert torch.equal(elbo.x_val, recon.x_val) and 0 <= float(elbo.x_train.min()) and float(elbo.x_train.max()) <= 1
    assert denoise.x_train.shape == (1500, 1, 8, 8) and float(denoise.x_train.min()) == -1
    assert torch.equal(pixels.x_val, flow.x_val) and torch.equal(pixels.x_train, pixels.x_train.round())
    assert float(pixels.x_train.max()) == 16 and torch.allclose((denoise.x_val + 1) / 2 * 16, pixels.x_val, atol=1e-5)


def test_flow_bits_are_exact_for_a_uniform_density():
    """A density uniform over the pixel range costs log2(17) bits per pixel: check the dequantisation's
    bookkeeping (the 256/17 rescaling of `logit_transform`, the Jacobian of the logit) against it."""

    class UniformInLogitSpace(torch.nn.Module):
        """log p(y) of y = logit(α + (1 − 2α) u) with u uniform on [0, 1]^D: minus the logit's log-Jacobian."""

        def log_prob(self, y):
            p = torch.sigmoid(y)
            return -(math.log(1 - 2 * generative.ALPHA) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)

    x = learn.load_dataset("digits_flow").x_val[:8]
    bits = generative._flow_bits(UniformInLogitSpace(), x, torch.rand(x.shape, generator=torch.Generator().manual_seed(0)))
    assert torch.allclose(bits, torch.full_like(bits, math.log2(17)), atol=1e-4)
