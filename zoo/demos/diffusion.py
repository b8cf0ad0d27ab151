"""Diffusion you can watch: the shipped small DDPM turns Gaussian noise into handwritten digits.

The weights (`ddpm_digits`, trained by `zoo/train/diffusion.py`) are the zoo's DDPM U-Net at 8×8, the
digits' native grid. Sampling uses DDIM (η = 0) on `steps` of the 1000 training timesteps — 50 by
default, a second or so for a batch — and records x_t along the way (and the clean digit the model predicts
at that step), so the view can show noise turning into a digit. Every random number (the starting noise x_T) comes from a generator seeded by `seed`.
Images are float arrays in [0, 1] (0 = background, 1 = ink).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import torch_generator
from ..runtime import single_threaded
from . import BadInput, Demo, register_demo
from .inputs import check_seed

MODELS = ("ddpm_unet",)
MAX_SAMPLES = 64
MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = 5, 250, 50
FRAMES = 10  # intermediate images kept for the denoising strip (plus the starting noise)

Progress = Callable[[int, int], None]  # (step done, steps) → None


@dataclass
class DiffusionResult:
    seed: int
    steps: int
    images: np.ndarray  # (n, 8, 8) the final samples, in [0, 1]
    frames: np.ndarray  # (FRAMES + 1, n, 8, 8): x_T, then x_t at evenly spaced steps, the last = images
    predictions: np.ndarray  # (FRAMES, n, 8, 8): the clean digit x̂_0 the model predicted at the step making frames[1:]
    frame_steps: list[int]  # how many denoising steps each frame had taken (0 = the starting noise)
    timesteps: list[int]  # the DDPM timestep t of each frame (999 … 0; -1 for the clean result)


@functools.lru_cache(maxsize=1)
def model() -> torch.nn.Module:
    from ..registry import create_model

    return create_model("ddpm_unet", weights="default")


def _check_range(key: str, value: int, low: int, high: int) -> int:
    """`value` as an int in low…high, or BadInput `key` (an existing message: "images_range", "steps_range")."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadInput(key, low=low, high=high, value=repr(value)) from None
    if (isinstance(value, float) and value != number) or not low <= number <= high:  # 2.5 samples: refuse
        raise BadInput(key, low=low, high=high, value=value)
    return number


def _ink(x: torch.Tensor) -> np.ndarray:
    """Model space [-1, 1] → ink in [0, 1], (n, H, W). Intermediate x_t are noisier than [-1, 1]: clipped."""
    return ((x[:, 0] + 1) / 2).clamp(0, 1).numpy()


def run(
    seed: int = 0, n_samples: int = 16, steps: int = DEFAULT_STEPS, progress: Progress | None = None
) -> DiffusionResult:
    """Sample `n_samples` digits in `steps` DDIM steps from noise seeded by `seed`."""
    from ..generative.ddpm import GaussianDiffusion

    seed = check_seed(seed)
    n = _check_range("images_range", n_samples, 1, MAX_SAMPLES)
    steps = _check_range("steps_range", steps, MIN_STEPS, MAX_STEPS)
    net = model()
    size = net.cfg.image_size
    diffusion = GaussianDiffusion(1000)
    keep = set(np.linspace(0, steps - 1, FRAMES).round().astype(int).tolist())
    x_T = torch.randn(n, 1, size, size, generator=torch_generator(seed))
    frames, predictions, frame_steps, timesteps = [_ink(x_T)], [], [0], [diffusion.T - 1]
    ts = torch.linspace(diffusion.T - 1, 0, steps).round().long().tolist()  # the sampler's timesteps

    def record(i: int, x: torch.Tensor, x0: torch.Tensor) -> None:
        if i in keep:
            frames.append(_ink(x))
            predictions.append(_ink(x0))
            frame_steps.append(i + 1)
            timesteps.append(ts[i + 1] if i + 1 < steps else -1)
        if progress:
            progress(i + 1, steps)

    with single_threaded():  # an 8×8 U-Net: one thread per request, others keep theirs
        x = diffusion.ddim(net, x_T.shape, steps=steps, eta=0.0, frames=record, x_T=x_T)
    return DiffusionResult(seed, steps, _ink(x), np.stack(frames), np.stack(predictions), frame_steps, timesteps)


def enlarge(images: np.ndarray, size: int = 32) -> np.ndarray:
    """(n, 8, 8) → (n, size, size), bilinear — how LeNet-5 sees a digit grid, and easier on the eye."""
    x = torch.as_tensor(images, dtype=torch.float32)[:, None]
    return F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)[:, 0].clamp(0, 1).numpy()


def quality(images: np.ndarray) -> dict:
    """The manifest's quality figures (`zoo.train.diffusion.digit_quality`) for samples (n, 8, 8) in [0, 1]:
    the share LeNet-5 reads with ≥ 90 % confidence, its histogram of digits, the kNN judge's figures."""
    from ..train.diffusion import digit_quality

    return digit_quality(torch.as_tensor(images, dtype=torch.float32)[:, None])


register_demo(
    Demo(
        name="diffusion",
        title="Diffusion you can watch",
        models=MODELS,
        input_kind="latent",
        description=(
            "A small denoising diffusion model, trained by DeepZoo on 1,500 tiny handwritten digits, starts from "
            "pure noise and removes a little of it at every step until digits appear. Pick a seed and watch."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "看得见的扩散",
                "description": "一个小型去噪扩散模型（DeepZoo 在 1500 张小尺寸手写数字上训练）从纯噪声出发，每一步去掉一点噪声，"
                "直到数字浮现。选一个种子，看它一步步生成。",
            }
        },
    )
)
