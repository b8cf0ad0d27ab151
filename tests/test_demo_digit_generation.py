"""Digit generation demo: the VAE trained live on scikit-learn's digits, and the shipped DCGAN generator."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from apptest_utils import open_page

import zoo
from zoo.demos import BadInput, get
from zoo.demos import digit_generation as dg
from zoo.train.generative import DCGAN_CONFIG, dcgan_quality


@functools.cache
def _short_vae(latent: int = 20):
    return dg.train(epochs=3, latent_dim=latent, seed=0)


def test_vae_trains_live_and_its_elbo_improves_markedly():
    run = _short_vae()
    # held-out negative ELBO in nats per digit: random init ≈ 550; three epochs already under 200
    assert run.heldout_after < 200 < 0.5 * run.heldout_before
    assert run.losses == sorted(run.losses, reverse=True) and len(run.losses) == 3
    assert not run.model.training


def test_vae_samples_interpolation_and_latent_plane():
    vae = _short_vae().model
    s = dg.generate("vae", seed=3, n=12, vae=vae)
    assert s.images.shape == (12, 28, 28) and 0 <= s.images.min() and s.images.max() <= 1
    assert np.array_equal(s.images, dg.generate("vae", seed=3, n=12, vae=vae).images)  # seeded
    strip = dg.interpolate(vae, start=3, end=8, steps=7)
    assert strip.shape == (7, 28, 28) and 0 <= strip.min() and strip.max() <= 1
    assert not np.allclose(strip[0], strip[-1])  # the ends are two different digits
    dims = dg.active_dims(vae, k=4)
    assert len(set(dims)) == 4 and all(0 <= d < 20 for d in dims)
    plane = dg.manifold(_short_vae(2).model, n=5)
    assert plane.shape == (25, 28, 28)
    grid = dg.tile(strip, cols=4, scale=2, gap=1)
    assert grid.shape == (2 * 56 + 1, 4 * 56 + 3)


def test_vae_bad_requests_are_explained():
    vae = _short_vae().model
    with pytest.raises(BadInput, match="from 2 to 16"):
        dg.interpolate(vae, 3, 8, steps=100)
    with pytest.raises(BadInput, match="from 0 to 9"):
        dg.interpolate(vae, 3, 12)
    with pytest.raises(BadInput, match="2-dimensional"):
        dg.manifold(vae)
    with pytest.raises(BadInput, match="2 or 20"):
        dg.train(latent_dim=7)
    with pytest.raises(BadInput, match="from 1 to 50"):
        dg.train(epochs=0)


def test_shipped_dcgan_generates_all_ten_digits_in_range():
    w = zoo.weights.get("dcgan_generator")
    assert w.source == "shipped" and w.path.exists() and w.path.stat().st_size < 1_000_000
    g = zoo.create_model("dcgan_generator", weights="default")
    assert not g.training and g.cfg.image_size == DCGAN_CONFIG["image_size"] and g.cfg.channels == 1
    s = dg.generate("dcgan_generator", seed=0, n=64)
    assert s.images.shape == (64, 16, 16) and 0 <= s.images.min() and s.images.max() <= 1
    assert not np.array_equal(s.images, dg.generate("dcgan_generator", seed=1, n=64).images)
    q = dcgan_quality(g, n=1000)
    assert q["classes covered of 10"] == 10  # no mode collapse onto a few digits
    assert q["rarest class share %"] >= 1
    # the judge sees digits, not noise: much closer to real digits than noise is, more confidently read
    assert q["nearest real digit distance"] < 0.5 * q["nearest real digit distance, noise"]
    assert q["judge confidence %"] > q["judge confidence on noise %"] + 5


def test_generate_bad_requests_are_explained():
    with pytest.raises(BadInput, match="vae or dcgan_generator"):
        dg.generate("gpt2")
    with pytest.raises(BadInput, match="from 1 to 64"):
        dg.generate("dcgan_generator", n=1000)
    with pytest.raises(BadInput, match="Seed"):
        dg.generate("dcgan_generator", seed=-1)


def test_demo_is_registered_for_both_models():
    demo = get("digit_generation")
    assert demo.models == ("vae", "dcgan_generator") and demo.run is dg.generate


def test_try_it_tab_trains_the_vae_and_shows_digits():
    at = open_page("pages/model.py", model="vae", tab="try")
    assert not at.exception, at.exception
    assert any("Train the VAE" in i.value for i in at.info)
    at.slider(key="digit_generation_epochs").set_value(2).run()
    at.button(key="digit_generation_train_vae").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    labels = [m.label for m in at.metric]
    assert "Held-out ELBO (trained)" in labels
    assert len(at.get("image")) >= 3  # samples, the slider's digit, the interpolation strip
    at.selectbox(key="digit_generation_to").set_value(1).run()
    assert not at.exception and not at.error


def test_try_it_tab_samples_the_dcgan():
    at = open_page("pages/model.py", model="dcgan_generator", tab="try")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.get("image")
    at.button(key="digit_generation_sample").click().run()
    assert not at.exception and not at.error
    assert at.number_input(key="digit_generation_seed").value == 1  # a new draw
    assert any("noise seed 1" in c.value for c in at.caption)
