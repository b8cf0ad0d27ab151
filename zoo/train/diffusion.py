"""Recipe `ddpm_digits`: a small DDPM on scikit-learn's 8×8 handwritten digits.

The DDPM U-Net of `zoo.generative.ddpm` at a size a shared 2-core CPU trains in minutes: the digits' own
8×8 resolution (no upsampling — LeNet-5, the judge below, reads exactly such grids), ch 32, three
resolutions 8 → 4 → 2 (one fewer than CIFAR-10's four), one residual block per resolution, attention at
4×4, GroupNorm with 8 groups, no dropout. The diffusion is the paper's: T = 1000, β linear 1e-4 … 0.02,
ε-prediction with L_simple. Adam with a short warm-up and cosine decay, gradient clipping at 1 (as Ho et
al.), and an exponential moving average of the weights (Ho et al. use 0.9999 over 800k steps; 0.995 suits
a run of ~1.5k steps) — the shipped weights are the average.

Sample quality (no likelihood is reported: the bound needs all 1000 steps) is judged two ways:
- the shipped LeNet-5 digit classifier (97.8 % held-out accuracy) reads each sample as it reads a real
  8×8 digit: the share it is ≥ 90 % confident about, and the histogram of the digits it sees;
- `zoo.train.generative.sample_quality`, the DCGAN's judge (a 10-nearest-neighbour classifier of real
  digits), so the two generators of the zoo can be compared on one scale.
Both are given for real held-out digits and for noise as well, the two ends of each scale.

    python -m zoo.train ddpm_digits
"""

from __future__ import annotations

import copy
import functools
import math
import time
from collections.abc import Callable

import numpy as np
import torch

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

FILE = "ddpm_digits.safetensors"
SIZE = 8  # the digits' native 8×8 grid
CONFIG = {
    "image_size": SIZE,
    "in_channels": 1,
    "ch": 32,
    "ch_mult": (1, 2, 2),
    "num_res_blocks": 1,
    "attn_resolutions": (4,),
    "dropout": 0.0,
    "groups": 8,
}
TRAINING = {
    "steps": 1500,
    "batch_size": 128,
    "lr": 2e-3,
    "warmup": 50,
    "ema": 0.995,
    "grad_clip": 1.0,
    "seed": 0,
    "timesteps": 1000,
    "beta": "linear 1e-4 … 0.02",
}
CONFIDENT = 0.9  # LeNet-5 probability above which a sample counts as a clear digit
EVAL = {"n": 500, "sampler": "DDIM, η = 0", "steps": 50, "seed": 1234}

Progress = Callable[[int, int, float], None]  # (step done, steps, loss) → None


def train_images() -> torch.Tensor:
    """The 1,500 training digits of `zoo.train.generative` at 8×8, ink scaled to [-1, 1] (DDPM's data range)."""
    from .generative import digits

    return digits(SIZE, split="train")[0] * 2 - 1


def train_ddpm(
    steps: int = TRAINING["steps"],
    batch_size: int = TRAINING["batch_size"],
    lr: float = TRAINING["lr"],
    seed: int = TRAINING["seed"],
    progress: Progress | None = None,
) -> tuple[torch.nn.Module, list[float]]:
    """Train the small U-Net with L_simple; returns (the EMA model in eval mode, loss per step)."""
    from ..generative.ddpm import GaussianDiffusion

    x = train_images()
    diffusion = GaussianDiffusion(TRAINING["timesteps"])
    model = build("ddpm_unet", torch_generator(seed), **CONFIG)
    ema = copy.deepcopy(model).eval()
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    warmup = TRAINING["warmup"]
    # Linear warm-up, then cosine decay to zero.
    def lr_factor(s: int) -> float:
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (s - warmup) / (steps - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor)
    g = torch_generator(seed + 1)  # batches, timesteps and noise
    losses: list[float] = []
    order = torch.randperm(len(x), generator=g)
    pos = 0
    with single_threaded():  # a 1M-parameter net on 8×8 images: extra threads only spin
        for step in range(steps):
            if pos + batch_size > len(order):
                order, pos = torch.randperm(len(x), generator=g), 0
            xb = x[order[pos : pos + batch_size]]
            pos += batch_size
            model.train()
            loss = diffusion.loss(model, xb, generator=g)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), TRAINING["grad_clip"])
            opt.step()
            sched.step()
            with torch.no_grad():
                for pe, pm in zip(ema.parameters(), model.parameters()):
                    pe.lerp_(pm, 1 - TRAINING["ema"])
            losses.append(loss.item())
            if progress:
                progress(step + 1, steps, losses[-1])
    return ema, losses


# ----------------------------------------------------------------------------- the quality figure
@functools.lru_cache(maxsize=1)
def _lenet() -> torch.nn.Module:
    from ..registry import create_model

    return create_model("lenet5", weights="default")


@torch.no_grad()
def lenet_probs(images: torch.Tensor) -> torch.Tensor:
    """LeNet-5's class probabilities (N, 10) for 8×8 ink images (N, 1, 8, 8) in [0, 1]: upsampled to 32×32
    exactly as its training digits were (`zoo.train.digits.to_input`)."""
    from .digits import to_input

    with single_threaded():
        return torch.softmax(_lenet()(to_input(images.reshape(-1, SIZE, SIZE) * 16)), dim=1)


def digit_quality(images: torch.Tensor) -> dict[str, float | list[int]]:
    """How LeNet-5 and the kNN judge read `images` (N, 1, 8, 8) in [0, 1]: the share of images LeNet-5 is
    ≥ 90 % sure about, its histogram of predicted digits, and `sample_quality`'s kNN figures."""
    from .generative import sample_quality

    probs = lenet_probs(images)
    counts = np.bincount(probs.argmax(1).numpy(), minlength=10)
    knn = sample_quality(images)
    return {
        "confident %": 100 * float((probs.max(1).values >= CONFIDENT).float().mean()),
        "histogram": counts.tolist(),
        "classes covered": int((counts > 0).sum()),
        "knn confidence %": 100 * knn["confidence"],
        "nearest real distance": knn["nearest real distance"],
    }


@torch.no_grad()
def sample_digits(model: torch.nn.Module, n: int, steps: int, seed: int, batch: int = 250) -> torch.Tensor:
    """n samples (n, 1, 8, 8) in [0, 1] by DDIM (η = 0) in `steps` steps, noise from `seed`."""
    from ..generative.ddpm import GaussianDiffusion

    diffusion, g, out = GaussianDiffusion(TRAINING["timesteps"]), torch_generator(seed), []
    with single_threaded():
        for i in range(0, n, batch):
            x = diffusion.ddim(model.eval(), (min(batch, n - i), 1, SIZE, SIZE), steps=steps, generator=g)
            out.append(((x + 1) / 2).clamp(0, 1))
    return torch.cat(out)


def quality_report(model: torch.nn.Module) -> dict:
    """The manifest's metric: `digit_quality` of EVAL["n"] DDIM samples, beside real held-out digits
    (LeNet-5's own held-out split) and uniform noise."""
    from .digits import split

    fake = digit_quality(sample_digits(model, EVAL["n"], EVAL["steps"], EVAL["seed"]))
    real = digit_quality(torch.as_tensor(split()[1], dtype=torch.float32)[:, None] / 16)
    noise = digit_quality(torch.rand(EVAL["n"], 1, SIZE, SIZE, generator=torch_generator(EVAL["seed"])))
    return {
        "LeNet-5 confident (≥ 0.9) %": round(fake["confident %"], 1),
        "LeNet-5 confident on real held-out digits %": round(real["confident %"], 1),
        "LeNet-5 confident on noise %": round(noise["confident %"], 1),
        "LeNet-5 class histogram": fake["histogram"],
        "classes covered of 10": fake["classes covered"],
        "judge confidence %": round(fake["knn confidence %"], 1),
        "judge confidence on real held-out digits %": round(real["knn confidence %"], 1),
        "judge confidence on noise %": round(noise["knn confidence %"], 1),
        "nearest real digit distance": round(fake["nearest real distance"], 2),
    }


@recipe("ddpm_digits")
def ddpm_digits() -> dict:
    """DDPM U-Net (ch 32, 8×8) on scikit-learn's digits; judged by LeNet-5 and a kNN classifier."""
    from ..weights import save_shipped

    start = time.perf_counter()
    model, losses = train_ddpm(progress=_print_progress)
    seconds = round(time.perf_counter() - start, 1)
    # Shipped in float16 (half the bytes); the figures are measured on the weights as shipped.
    model = model.half().float()
    entry = {
        "model": "ddpm_unet",
        "recipe": "ddpm_digits",
        "dataset": "scikit-learn digits (1,797), native 8×8; the first 1,500 of zoo.train.generative's fixed shuffle",
        "metric": quality_report(model),
        "evaluation": EVAL,
        "seconds": seconds,
        "final loss (mean of last 100 steps)": round(sum(losses[-100:]) / 100, 4),
        "config": CONFIG,
        "training": TRAINING,
    }
    save_shipped(model.half(), FILE, entry)
    return entry


def _print_progress(step: int, steps: int, loss: float) -> None:
    if step % 50 == 0 or step == steps:
        print(f"step {step}/{steps} loss {loss:.4f}", flush=True)
