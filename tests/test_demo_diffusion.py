"""The "Diffusion you can watch" demo: the shipped small DDPM (ddpm_digits) samples digits from noise."""

from __future__ import annotations

import json

import numpy as np
import pytest
from apptest_utils import open_page

import zoo
from zoo import weights
from zoo.demos import BadInput, get
from zoo.demos import diffusion as dd
from zoo.train.diffusion import CONFIG, EVAL

N = 64  # a small batch for the quality check (the manifest's figure is over 500)


@pytest.fixture(scope="module")
def batch() -> dd.DiffusionResult:
    return dd.run(seed=7, n_samples=N, steps=EVAL["steps"])


def _manifest() -> dict:
    w = weights.get("ddpm_unet")
    return json.loads(w.path.with_name(w.file + ".json").read_text())


def test_shipped_weights_are_small_registered_and_documented():
    w = weights.get("ddpm_unet")
    assert w.source == "shipped" and w.recipe == "ddpm_digits" and w.path.exists()
    assert w.path.stat().st_size < 2_500_000
    manifest = _manifest()
    assert manifest["model"] == "ddpm_unet" and manifest["config"] == json.loads(json.dumps(CONFIG))
    for name, value in w.metrics.items():  # the card's figures are the recipe's
        assert manifest["metric"][name] == value, name
    net = zoo.create_model("ddpm_unet", weights="default")
    assert not net.training and net.cfg.image_size == 8 and net.cfg.ch_mult == (1, 2, 2)


def test_same_seed_same_samples_and_different_seeds_differ():
    a = dd.run(seed=3, n_samples=4, steps=10)
    b = dd.run(seed=3, n_samples=4, steps=10)
    c = dd.run(seed=4, n_samples=4, steps=10)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.frames, b.frames)
    assert not np.allclose(a.images, c.images)


def test_frames_go_from_noise_to_the_samples(batch):
    assert batch.images.shape == (N, 8, 8) and 0 <= batch.images.min() and batch.images.max() <= 1
    assert batch.frames.shape == (dd.FRAMES + 1, N, 8, 8)
    assert batch.frame_steps[0] == 0 and batch.frame_steps[-1] == EVAL["steps"]
    assert batch.timesteps[0] == 999 and batch.timesteps[-1] == -1
    assert batch.frame_steps == sorted(batch.frame_steps)
    assert np.array_equal(batch.frames[-1], batch.images)
    assert batch.predictions.shape == (dd.FRAMES, N, 8, 8)
    assert np.allclose(batch.predictions[-1], batch.images, atol=1e-6)  # the last step lands on its prediction
    # Each frame is nearer the final digit than the one before: noise turning into the sample.
    dist = [np.abs(f - batch.images).mean() for f in batch.frames]
    assert all(a > b for a, b in zip(dist, dist[1:])), dist


def test_quality_of_a_fresh_batch_agrees_with_the_manifest(batch):
    m = _manifest()["metric"]
    q = dd.quality(batch.images)
    # 64 samples against 500: the share LeNet-5 is sure about varies by a few points; ±15 is ~3 standard errors.
    assert abs(q["confident %"] - m["LeNet-5 confident (≥ 0.9) %"]) <= 15
    assert q["confident %"] > m["LeNet-5 confident on noise %"] + 20  # digits, not noise
    assert sum(q["histogram"]) == N and q["classes covered"] >= 8  # many digits, no collapse onto a few
    assert abs(q["knn confidence %"] - m["judge confidence %"]) <= 10


def test_bad_requests_are_explained():
    with pytest.raises(BadInput, match="Seed"):
        dd.run(seed=-1)
    with pytest.raises(BadInput, match="Seed"):
        dd.run(seed="abc")
    with pytest.raises(BadInput, match="from 1 to 64"):
        dd.run(n_samples=1000)
    with pytest.raises(BadInput, match="from 1 to 64"):
        dd.run(n_samples=2.5)
    with pytest.raises(BadInput, match=f"from {dd.MIN_STEPS} to {dd.MAX_STEPS}"):
        dd.run(steps=1)


def test_demo_is_registered():
    demo = get("diffusion")
    assert demo.models == ("ddpm_unet",) and demo.run is dd.run


def test_try_it_tab_denoises_and_shows_the_samples_and_the_strip():
    at = open_page("pages/model.py", model="ddpm_unet", tab="try")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Denoise" in i.value for i in at.info)
    at.slider(key="diffusion_count").set_value(8).run()
    at.slider(key="diffusion_steps").set_value(20).run()
    at.button(key="diffusion_sample").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("image")) >= 3  # the sample grid, the denoising strip and the predictions
    assert any("8 digits" in c.value and "20 DDIM steps" in c.value for c in at.caption)
