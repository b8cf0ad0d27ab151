"""Digit generation: a VAE trained live on scikit-learn's digits, and the shipped DCGAN generator.

The VAE (784 → 500 → latent) trains in seconds; then its latent space can be explored — decode any
point, walk a slider along its most-used dimensions, or interpolate between the codes of two real
digits. The DCGAN generator (16×16, trained by the `dcgan_digits` recipe) samples new digits from noise.
All images are returned as float arrays in [0, 1] (0 = background, 1 = ink).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from . import BadInput, Demo, register_demo
from .inputs import check_seed

MODELS = ("vae", "dcgan_generator")
MAX_SAMPLES = 64
MAX_STEPS = 16  # interpolation images
MAX_EPOCHS = 50
LATENT_DIMS = (2, 20)  # 2: the whole latent plane can be drawn; 20: the zoo VAE's default


@dataclass
class Samples:
    model: str
    seed: int
    images: np.ndarray  # (n, H, W) in [0, 1]


def _check_range(key: str, value: int, low: int, high: int) -> int:
    """`value` as an int in low…high, or BadInput `key` (e.g. "steps_range") saying so."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadInput(key, low=low, high=high, value=repr(value)) from None
    if not low <= number <= high:
        raise BadInput(key, low=low, high=high, value=number)
    return number


def _images(x: torch.Tensor) -> np.ndarray:
    return x.detach().reshape(len(x), *x.shape[-2:]).clamp(0, 1).numpy()


# ----------------------------------------------------------------------------- VAE
def train(epochs: int = 10, latent_dim: int = 20, seed: int = 0, progress=None):
    """Train a VAE on the digits live; returns `zoo.train.generative.VAERun` (model, losses, held-out ELBO)."""
    from ..train.generative import train_vae

    epochs = _check_range("epochs_range", epochs, 1, MAX_EPOCHS)
    seed = check_seed(seed)
    if latent_dim not in LATENT_DIMS:
        raise BadInput("latent_dims", choices=" or ".join(map(str, LATENT_DIMS)), value=latent_dim)
    return train_vae(epochs=epochs, latent_dim=int(latent_dim), seed=int(seed), progress=progress)


@functools.lru_cache(maxsize=1)
def default_vae() -> torch.nn.Module:
    """The VAE `generate` uses when it is not handed one (trained once per process, a few seconds)."""
    return train().model


@torch.no_grad()
def decode(vae: torch.nn.Module, z: np.ndarray | torch.Tensor) -> np.ndarray:
    """Images (n, 28, 28) decoded from latent points z (n, latent): the decoder's pixel probabilities."""
    z = torch.as_tensor(np.asarray(z, dtype=np.float32)).reshape(-1, vae.cfg.latent)
    return _images(torch.sigmoid(vae.eval().decode(z)))


@torch.no_grad()
def active_dims(vae: torch.nn.Module, k: int = 4) -> list[int]:
    """The k latent dimensions the encoder uses most (largest mean KL from the prior on held-out digits);
    the KL term switches the others off, so moving along them changes nothing."""
    from ..train.generative import vae_digits

    mu, logvar = vae.eval().encode(vae_digits("test")[0])
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(0)
    return kl.argsort(descending=True)[:k].tolist()


def manifold(vae: torch.nn.Module, n: int = 10) -> np.ndarray:
    """The learned 2-D latent plane (Kingma & Welling, Fig. 4): decode an n×n grid of points placed at
    evenly spaced quantiles of the N(0, 1) prior. Returns (n·n, 28, 28), row by row (top row: high z₂)."""
    if vae.cfg.latent != 2:
        raise BadInput("latent_plane")
    n = _check_range("grid_range", n, 2, 20)
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, n))
    z1, z2 = torch.meshgrid(q, q.flip(0), indexing="xy")
    return decode(vae, torch.stack([z1.flatten(), z2.flatten()], dim=1))


@torch.no_grad()
def interpolate(vae: torch.nn.Module, start: int = 3, end: int = 8, steps: int = 8, which: int = 0) -> np.ndarray:
    """Encode a real held-out `start` digit and `end` digit, decode `steps` points on the straight line
    between their means (both ends included). Returns (steps, 28, 28)."""
    from ..train.generative import vae_digits

    start, end = (_check_range("digit_range", d, 0, 9) for d in (start, end))
    steps = _check_range("steps_range", steps, 2, MAX_STEPS)
    x, y = vae_digits("test")
    pair = torch.stack([x[y == d][which % int((y == d).sum())] for d in (start, end)])
    mu, _ = vae.eval().encode(pair)
    t = torch.linspace(0, 1, steps)[:, None]
    return decode(vae, (1 - t) * mu[0] + t * mu[1])


# ----------------------------------------------------------------------------- DCGAN
@functools.lru_cache(maxsize=1)
def dcgan() -> torch.nn.Module:
    from ..registry import create_model

    return create_model("dcgan_generator", weights="default")


@torch.no_grad()
def sample_dcgan(seed: int = 0, n: int = 16) -> np.ndarray:
    """n new digits (n, 16, 16) from the shipped generator, z ~ N(0, I) drawn from `seed`."""
    g = dcgan()
    z = torch.randn(n, g.cfg.nz, generator=torch.Generator().manual_seed(seed))
    return _images((g(z) + 1) / 2)  # tanh [-1, 1] → [0, 1]


def generate(model: str = "dcgan_generator", seed: int = 0, n: int = 16, vae: torch.nn.Module | None = None) -> Samples:
    """n new digits from `model`: the shipped DCGAN, or a VAE decoding z ~ N(0, I) (the one given, else
    a default one trained on first use)."""
    if model not in MODELS:
        raise BadInput("unknown_model", value=repr(model), choices=" or ".join(MODELS))
    seed = check_seed(seed)
    n = _check_range("images_range", n, 1, MAX_SAMPLES)
    if model == "dcgan_generator":
        return Samples(model, seed, sample_dcgan(seed, n))
    vae = vae if vae is not None else default_vae()
    z = torch.randn(n, vae.cfg.latent, generator=torch.Generator().manual_seed(seed))
    return Samples(model, seed, decode(vae, z))


def tile(images: np.ndarray, cols: int, scale: int = 1, gap: int = 1) -> np.ndarray:
    """Lay images (n, H, W) out in a grid with `cols` columns (one 2-D array), each pixel repeated
    `scale` times so small digits stay sharp when shown large; `gap` pixels of background between."""
    n, h, w = images.shape
    rows = -(-n // cols)
    big = images.repeat(scale, axis=1).repeat(scale, axis=2)
    h, w = h * scale, w * scale
    out = np.zeros((rows * (h + gap) - gap, cols * (w + gap) - gap), dtype=np.float32)
    for i, img in enumerate(big):
        r, c = divmod(i, cols)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = img
    return out


register_demo(
    Demo(
        name="digit_generation",
        title="Generate handwritten digits",
        models=MODELS,
        input_kind="latent",
        description=(
            "Train a VAE on 1,500 small handwritten digits in seconds, then explore what it learned: move along "
            "its latent space, or morph one real digit into another. Or sample new digits from a DCGAN "
            "generator DeepZoo trained on the same digits."
        ),
        run=generate,
        i18n={
            "zh": {
                "title": "生成手写数字",
                "description": "用几秒钟在 1500 张小尺寸手写数字上训练一个 VAE，然后探索它学到了什么：在隐空间中移动，"
                "或把一个真实数字渐变成另一个。也可以用 DeepZoo 在同一批数字上训练的 DCGAN 生成器采样新数字。",
            }
        },
    )
)
