"""Recipe `kan_formula`: a [2, 5, 1] KAN fits the KAN paper's toy formula f(x, y) = exp(sin(πx) + y²).

The data are formula values at random points of [−1, 1]² (the KAN's grid range), drawn from a generator of
the recipe's own; a second, independent draw of points is held out and gives the RMSE in the manifest. The
fit is full-batch Adam on the mean squared error. The live demo (`zoo.demos.kan`) calls the same `fit` with
fewer points and steps, for any formula of `FORMULAS`.

    python -m zoo.train kan_formula     # ~10 s on one core
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import torch

from ..rng import build, torch_generator
from ..runtime import single_threaded
from . import recipe

FILE = "kan_formula.safetensors"
SEED = 0


@dataclass(frozen=True)
class Formula:
    text: str  # how the UI writes it
    f: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x, y) → f(x, y), elementwise


# A fixed menu: the demo never evaluates text a user typed. Each formula is a sum (or a function of a sum) of
# univariate pieces, so a [2, 5, 1] KAN can represent it and its learned curves show those pieces.
FORMULAS: dict[str, Formula] = {
    "exp_sin": Formula("exp(sin(πx) + y²)", lambda x, y: torch.exp(torch.sin(math.pi * x) + y**2)),
    "product": Formula("x · y", lambda x, y: x * y),  # = ((x + y)² − (x − y)²) / 4: squares of sums
    "sin_cos": Formula("sin(πx) + cos(πy)", lambda x, y: torch.sin(math.pi * x) + torch.cos(math.pi * y)),
    "squares": Formula("x² + y²", lambda x, y: x**2 + y**2),
}


def sample(formula: str, n: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`n` points uniform in [−1, 1]², (n, 2), and the formula's values there, (n, 1)."""
    points = torch.rand(n, 2, generator=g) * 2 - 1
    return points, FORMULAS[formula].f(points[:, 0], points[:, 1])[:, None]


@torch.no_grad()
def rmse(model: torch.nn.Module, points: torch.Tensor, target: torch.Tensor) -> float:
    return float(((model(points) - target) ** 2).mean().sqrt())


@dataclass
class KANFit:
    model: torch.nn.Module  # eval mode
    formula: str
    losses: list[float]  # training MSE per step
    train_rmse: float
    held_out_rmse: float  # on `held_out` fresh points of the same formula
    target_std: float  # of the held-out values: an RMSE far below it means the formula was learned
    seconds: float


def fit(
    formula: str = "exp_sin",
    points: int = 1000,
    steps: int = 800,
    lr: float = 0.02,
    seed: int = SEED,
    held_out: int = 1000,
    progress: Callable[[int, float], None] | None = None,
    every: int = 25,
) -> KANFit:
    """Train a fresh `kan` (initial weights and both point sets from `seed`) on `formula` with full-batch
    Adam. `progress(step, mse)` is called every `every` steps: a UI draws its progress there (and Streamlit
    gets its chance to stop a run whose visitor left)."""
    start = time.perf_counter()
    g = torch_generator(seed)
    model = build("kan", g)
    x, y = sample(formula, points, g)
    x_test, y_test = sample(formula, held_out, g)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    with single_threaded():  # 150 parameters: extra threads would only spin-wait
        for step in range(1, steps + 1):
            loss = ((model(x) - y) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            if progress is not None and (step % every == 0 or step == steps):
                progress(step, losses[-1])
        model.eval()
        train, test = rmse(model, x, y), rmse(model, x_test, y_test)
    return KANFit(model, formula, losses, train, test, float(y_test.std()), time.perf_counter() - start)


def held_out_points(seed: int = SEED, points: int = 1000, held_out: int = 1000, formula: str = "exp_sin"):
    """The recipe's held-out set, drawn again: the same generator calls as `fit` makes (the model's initial
    weights first, then the training points), so a test can re-measure the shipped weights."""
    g = torch_generator(seed)
    build("kan", g)
    sample(formula, points, g)
    return sample(formula, held_out, g)


@recipe("kan_formula")
def kan_formula() -> dict:
    """KAN [2, 5, 1] on exp(sin(πx) + y²): 1,000 random points of [−1, 1]², 800 full-batch Adam steps."""
    from zoo.weights import save_shipped

    config = {"formula": "exp_sin", "points": 1000, "steps": 800, "lr": 0.02, "seed": SEED, "held_out": 1000}
    run = fit(**config)
    entry = {
        "model": "kan",
        "recipe": "kan_formula",
        "dataset": f"f(x, y) = {FORMULAS['exp_sin'].text} at uniform random points of [−1, 1]² (seeded)",
        "metric": {
            "held-out RMSE": round(run.held_out_rmse, 5),
            "train RMSE": round(run.train_rmse, 5),
            "held-out target std": round(run.target_std, 4),
        },
        "seconds": round(run.seconds, 1),
        "config": {},  # the default [2, 5, 1] KAN, grid 5, cubic splines
        "training": {**config, "optimizer": "Adam, full batch, MSE"},
    }
    save_shipped(run.model, FILE, entry)
    return entry
