"""Recipe `lenet5_digits`: LeNet-5 on scikit-learn's bundled handwritten digits.

`sklearn.datasets.load_digits` ships 1,797 digits (UCI "optdigits", 43 writers). Each is an 8×8
grid of counts 0–16: the writer's 32×32 binary bitmap, size-normalised, with every 4×4 block's
"on" pixels counted. LeNet-5 takes 32×32, so the grid is upsampled ×4 back to that scale
(bilinear) and divided by 16 to [0, 1]. A fixed stratified 20 % of the digits is held out.

    python -m zoo.train lenet5_digits     # seconds on a CPU; also writes the demo's samples
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

FILE = "lenet5_digits.safetensors"
DATASET = "scikit-learn load_digits (UCI optdigits, 8×8 → 32×32)"
HELD_OUT = 0.2  # fraction of each class held out for evaluation
SEED = 0


def to_input(grids: np.ndarray | torch.Tensor) -> torch.Tensor:
    """(N, 8, 8) or (8, 8) counts 0–16 → (N, 1, 32, 32) in [0, 1], bilinearly upsampled ×4."""
    x = torch.as_tensor(np.asarray(grids, dtype=np.float32)).reshape(-1, 1, 8, 8) / 16.0
    return F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)


def split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The fixed split: train grids, held-out grids, train labels, held-out labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    return train_test_split(d.images, d.target, test_size=HELD_OUT, stratify=d.target, random_state=SEED)


def jitter(x: torch.Tensor, g: torch.Generator) -> torch.Tensor:
    """Small random affine warps (±10°, scale 0.9–1.1, shift ±2 px): people do not write like the 43
    optdigits writers, and the demo's drawings are never centred exactly as the dataset's are."""
    n = x.shape[0]
    angle = (torch.rand(n, generator=g) - 0.5) * math.radians(20)
    scale = 0.9 + 0.2 * torch.rand(n, generator=g)
    shift = (torch.rand(n, 2, generator=g) - 0.5) * (4 / 16)  # ±2 px in affine_grid's [-1, 1] units
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, shift[:, 0]], 1), torch.stack([sin, cos, shift[:, 1]], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


@torch.no_grad()
def accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    return float((model(x).argmax(1) == y).float().mean())


def train(
    epochs: int = 12,
    lr: float = 3e-3,
    batch_size: int = 64,
    seed: int = SEED,
    progress: Callable[[int, float], None] | None = None,
) -> tuple[torch.nn.Module, float]:
    """Train LeNet-5 with Adam; returns the model (eval mode) and its held-out accuracy in [0, 1].
    `progress(epoch, held_out_accuracy)` is called after every epoch."""
    with single_threaded():  # a 62K-parameter net: more threads only add synchronisation (10× slower on a busy CPU)
        return _train(build("lenet5", torch_generator(seed)), epochs, lr, batch_size, seed, progress)


def _train(model, epochs, lr, batch_size, seed, progress) -> tuple[torch.nn.Module, float]:
    g = torch.Generator().manual_seed(seed)
    x_train, x_test, y_train, y_test = split()
    x_train, x_test = to_input(x_train), to_input(x_test)
    y_train, y_test = torch.as_tensor(y_train), torch.as_tensor(y_test)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * math.ceil(len(y_train) / batch_size))
    acc = 0.0
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(y_train), generator=g)
        for i in range(0, len(order), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(jitter(x_train[idx], g)), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc = accuracy(model, x_test, y_test)
        if progress:
            progress(epoch + 1, acc)
    return model.eval(), acc


def save_samples(side: int = 64, margin: int = 16) -> list[Path]:
    """The demo's sample pictures, `<digit>.png`: held-out digits upscaled (bilinear, like the
    model's input) and drawn dark on light like ink on paper. For each class, the first held-out
    digit that the demo's whole photo pipeline reads right with ≥ 90 % confidence (a few optdigits
    digits sit off-centre or are barely legible: a poor first example)."""
    from PIL import Image

    from zoo.demos.digits import SAMPLES, model, run

    model.cache_clear()  # judge with the weights just saved
    _, x_test, _, y_test = split()
    SAMPLES.mkdir(parents=True, exist_ok=True)
    paths = []
    for digit in range(10):
        for grid in x_test[y_test == digit]:
            ink = F.interpolate(to_input(grid), size=(side, side), mode="bilinear", align_corners=False)[0, 0]
            img = Image.fromarray(np.pad((255 * (1 - ink)).round().byte().numpy(), margin, constant_values=255))
            result = run(img)
            if result.digit == digit and result.probs[digit] >= 0.9:
                break
        paths.append(SAMPLES / f"{digit}.png")
        img.save(paths[-1], optimize=True)
    return paths


@recipe("lenet5_digits")
def lenet5_digits() -> dict:
    """LeNet-5 on scikit-learn's 8×8 digits upsampled to 32×32; Adam, ~12 epochs."""
    from zoo.weights import save_shipped

    config = {"epochs": 12, "lr": 3e-3, "batch_size": 64, "seed": SEED}
    t0 = time.time()
    model, acc = train(**config)
    seconds = round(time.time() - t0, 1)
    entry = {
        "model": "lenet5",
        "recipe": "lenet5_digits",
        "dataset": DATASET,
        "metric": {"held-out accuracy %": round(100 * acc, 2)},
        "seconds": seconds,
        "config": {},  # the default LeNet-5 architecture; `config` above are the training settings
        "training": {**config, "optimizer": "Adam + one-cycle", "held_out": HELD_OUT, "augment": "affine ±10°, ×0.9–1.1, ±2 px"},
    }
    save_shipped(model, FILE, entry)
    save_samples()
    return entry
