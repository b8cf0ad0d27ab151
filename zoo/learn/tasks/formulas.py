"""Function fitting: a KAN learns a formula of two variables from its values at random points.

The data is the KAN paper's first example (Liu et al. 2024, Fig. 2.3), f(x, y) = exp(sin(πx) + y²), at 1,000
uniform random points of [−1, 1]² (the KAN grid's range); 1,000 other points are held out. Both sets are fixed
(drawn from seeds of their own), so a run's seed changes only the initial weights. Every step sees all the
training points (full batch, as in the paper), and the loss is the mean squared error; the held-out metric is
the RMSE. The same recipe, with its shipped weights, is `zoo.train.kan`; its live demo offers other formulas.
"""

from __future__ import annotations

import functools
import threading

import numpy as np
import torch

from ...train.kan import FORMULAS, sample
from ..datasets import DatasetInfo, TrainData
from ..plans import TrainPlan

FORMULA = "exp_sin"
POINTS = 1000
TRAIN_SEED, HELD_OUT_SEED = 0, 1

FORMULA_INFO = DatasetInfo(
    "formula_points", "function_fitting",
    "f(x, y) = exp(sin(πx) + y²), the KAN paper's first example, at 1,000 random points of [−1, 1]²; 1,000 other "
    "points held out", "rmse", False, batched=False)


@functools.lru_cache(maxsize=1)
def _points() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from ...rng import torch_generator

    x, y = sample(FORMULA, POINTS, torch_generator(TRAIN_SEED))
    x_val, y_val = sample(FORMULA, POINTS, torch_generator(HELD_OUT_SEED))
    return x, y, x_val, y_val


class FormulaPoints(TrainData):
    """Full batch: `len()` is 1 and every step fits every training point."""

    info = FORMULA_INFO

    def __init__(self):
        self.x, self.y, self.x_val, self.y_val = _points()

    def __len__(self) -> int:
        return 1

    def batch(self, indices, device="cpu"):
        return self.x.to(device), self.y.to(device)

    def loss(self, model, batch):
        x, y = batch
        return ((model(x).float() - y) ** 2).mean()

    @torch.no_grad()
    def evaluate(self, model, cancel: threading.Event | None = None):
        if cancel is not None and cancel.is_set():
            return None
        model.eval()
        device = next(model.parameters()).device
        mse = float(((model(self.x_val.to(device)).float().cpu() - self.y_val) ** 2).mean())
        return {"rmse": mse**0.5, "loss": mse}

    @torch.no_grad()
    def samples(self, model) -> np.ndarray:
        """The formula and the model's fit over [−1, 1]², side by side, on one colour scale."""
        side = 96
        axis = torch.linspace(-1, 1, side)
        gx, gy = torch.meshgrid(axis, axis, indexing="xy")
        truth = FORMULAS[FORMULA].f(gx, -gy)  # y grows upwards in the picture
        fitted = model.eval()(torch.stack([gx.flatten(), -gy.flatten()], 1)).reshape(side, side)
        lo, hi = float(truth.min()), float(truth.max())
        gap = np.full((side, 8, 3), 255, np.uint8)
        return np.concatenate([_colour(truth, lo, hi), gap, _colour(fitted, lo, hi)], axis=1).repeat(2, 0).repeat(2, 1)


def _colour(values: torch.Tensor, lo: float, hi: float) -> np.ndarray:
    """Blue (low) → white → red (high), clipped to [lo, hi]: (H, W) → (H, W, 3) uint8."""
    t = ((values.numpy() - lo) / max(hi - lo, 1e-9)).clip(0, 1)[..., None]
    blue, white, red = np.array([49, 54, 149]), np.array([247, 247, 247]), np.array([165, 0, 38])
    rgb = np.where(t < 0.5, blue + (white - blue) * (t * 2), white + (red - white) * (t * 2 - 1))
    return rgb.astype(np.uint8)


DATASETS = {"formula_points": (FORMULA_INFO, FormulaPoints)}


def plans(key: str, card, config) -> list[TrainPlan]:
    if key != "kan":
        return []
    # the shipped recipe's settings: full-batch Adam at 0.02 for 800 steps
    return [TrainPlan(key, "formula_points", {}, {}, (),
                      {"epochs": 10_000, "max_steps": 800, "batch_size": 1, "optimizer": "adam", "lr": 0.02,
                       "eval_every": 50})]
