"""KAN: fit a formula of two variables and look at the curve learned on every edge.

A [2, 5, 1] KAN is trained live (a few seconds on one core) on one formula from a fixed menu
(`zoo.train.kan.FORMULAS`; user text is never evaluated), or the shipped fit of exp(sin(πx) + y²) is loaded.
The result carries the held-out RMSE, the formula and the model on a grid of [−1, 1]², and every edge's
learned univariate function φ_{l,j,i} sampled over the values its input takes — the KAN paper's point is that
these curves can be read: for exp(sin(πx) + y²) the first layer shows sine- and parabola-shaped curves and the
last an exponential-looking one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from ..runtime import single_threaded
from . import BadInput, Demo, register_demo
from .inputs import check_seed

MODELS = ("kan",)
SHIPPED_FORMULA = "exp_sin"  # the formula the shipped weights fit (recipe kan_formula)
LIVE_POINTS = 300  # default live budget: well under the recipe's 1,000 points × 800 steps ...
LIVE_STEPS = 400  # ... and about 2–3 s on one busy core
MAX_POINTS = 2000
MAX_STEPS = 2000
GRID = 41  # heat-map resolution per axis
CURVE_POINTS = 101  # samples per learned curve


@dataclass
class Curve:
    layer: int  # l: 0 = inputs → hidden, 1 = hidden → output
    source: str  # the edge's input node ("x", "y", "h1" …)
    target: str  # the edge's output node ("h1" …, "f")
    x: list[float]  # input values, over the range the input takes on the grid
    phi: list[float]  # φ_{l,j,i}(x)
    spread: float  # standard deviation of φ over the grid's inputs: how much this edge contributes


@dataclass
class KANResult:
    formula: str
    formula_text: str
    source: str  # "shipped" or "trained"
    rmse: float  # on held-out random points of [−1, 1]²
    target_std: float  # of the formula on those points, for scale
    axis: list[float]  # the grid's coordinates, the same for x and y
    truth: np.ndarray  # (GRID, GRID): formula at (x = axis[col], y = axis[row])
    predicted: np.ndarray  # (GRID, GRID): the KAN's output there
    curves: list[Curve]  # every edge, layer by layer
    losses: list[float]  # training MSE per step (empty for the shipped weights)
    points: int
    steps: int
    seconds: float  # training time (for the shipped weights: the recipe's)


def _whole(key: str, value: object, low: int, high: int) -> int:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise BadInput(key, low=low, high=high, value=repr(value)) from None
    if not (number.is_integer() and low <= number <= high):
        raise BadInput(key, low=low, high=high, value=repr(value))
    return int(number)


def check_formula(formula: object) -> str:
    from ..train.kan import FORMULAS

    if not isinstance(formula, str) or formula not in FORMULAS:
        raise BadInput("kan_unknown_formula", value=repr(formula)[:40], choices=", ".join(FORMULAS))
    return formula


@functools.lru_cache(maxsize=1)
def shipped():
    """The shipped fit of exp(sin(πx) + y²), its held-out RMSE re-measured on the recipe's held-out points, and
    the recipe's manifest entry (training budget and time)."""
    from ..registry import create_model
    from ..train.kan import held_out_points, rmse
    from ..weights import manifest

    model = create_model("kan", weights="default")
    entry = manifest()["kan_formula.safetensors"]
    with single_threaded():
        x, y = held_out_points(**{k: entry["training"][k] for k in ("seed", "points", "held_out", "formula")})
        return model, rmse(model, x, y), float(y.std()), entry


@torch.no_grad()
def describe(model: torch.nn.Module, formula: str) -> tuple[list[float], np.ndarray, np.ndarray, list[Curve]]:
    """The formula and the model on a GRID × GRID grid of [−1, 1]², and every edge's φ over its input's range."""
    from ..train.kan import FORMULAS

    axis = torch.linspace(-1, 1, GRID)
    yy, xx = torch.meshgrid(axis, axis, indexing="ij")  # row = y, column = x
    points = torch.stack([xx.flatten(), yy.flatten()], 1)  # (GRID², 2)
    truth = FORMULAS[formula].f(points[:, 0], points[:, 1]).view(GRID, GRID)
    curves = []
    h = points
    widths = model.cfg.widths
    for l, layer in enumerate(model.layers):
        sources = ["x", "y"] if l == 0 else [f"h{i + 1}" for i in range(widths[l])]
        targets = ["f"] if l == len(model.layers) - 1 else [f"h{j + 1}" for j in range(widths[l + 1])]
        spread = layer.phi(h).std(0)  # (out, in) over the inputs the grid produces
        lo, hi = h.min(0).values, h.max(0).values  # each input's range on the grid
        t = torch.linspace(0, 1, CURVE_POINTS)[:, None]
        xs = lo + (hi - lo) * t  # (CURVE_POINTS, in)
        phi = layer.phi(xs)  # (CURVE_POINTS, out, in)
        for j, target in enumerate(targets):
            for i, src in enumerate(sources):
                curves.append(Curve(l, src, target, xs[:, i].tolist(), phi[:, j, i].tolist(), float(spread[j, i])))
        h = layer(h)
    return axis.tolist(), truth.numpy(), h.view(GRID, GRID).numpy(), curves


def run(
    formula: str = SHIPPED_FORMULA,
    train: bool = False,
    points: int = LIVE_POINTS,
    steps: int = LIVE_STEPS,
    seed: int = 0,
    progress: Callable[[int, float], None] | None = None,
) -> KANResult:
    """Show the shipped KAN (`train=False`, exp(sin(πx) + y²) only) or train a fresh one on `formula` with
    `points` random points and `steps` Adam steps; `progress(step, mse)` is called during training."""
    from ..train.kan import FORMULAS, fit

    formula = check_formula(formula)
    if not train:
        if formula != SHIPPED_FORMULA:
            raise BadInput("kan_shipped_only", shipped=FORMULAS[SHIPPED_FORMULA].text, formula=FORMULAS[formula].text)
        model, error, std, entry = shipped()
        losses, n_points, n_steps = [], entry["training"]["points"], entry["training"]["steps"]
        seconds = entry["seconds"]  # how long the recipe trained
    else:
        n_points = _whole("kan_points_range", points, 10, MAX_POINTS)
        n_steps = _whole("steps_range", steps, 1, MAX_STEPS)
        run_ = fit(formula, points=n_points, steps=n_steps, seed=check_seed(seed), held_out=1000, progress=progress)
        model, error, std, losses, seconds = run_.model, run_.held_out_rmse, run_.target_std, run_.losses, run_.seconds
    with single_threaded():  # tiny tensors: extra threads would only spin-wait on a busy server
        axis, truth, predicted, curves = describe(model, formula)
    return KANResult(
        formula=formula,
        formula_text=FORMULAS[formula].text,
        source="trained" if train else "shipped",
        rmse=error,
        target_std=std,
        axis=axis,
        truth=truth,
        predicted=predicted,
        curves=curves,
        losses=losses,
        points=n_points,
        steps=n_steps,
        seconds=seconds,
    )


register_demo(
    Demo(
        name="kan",
        title="KAN: fit a formula, read its curves",
        models=MODELS,
        input_kind="function",
        description=(
            "Pick a formula of x and y; a Kolmogorov-Arnold Network with 150 parameters learns it from a few "
            "hundred random points in seconds. Every edge of a KAN is a learned curve: plot them all and you can "
            "often see which function each piece of the formula became (sin, x², exp …)."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "KAN：拟合公式，读出曲线",
                "description": "选一个关于 x 和 y 的公式；只有 150 个参数的 Kolmogorov-Arnold 网络从几百个随机点上几秒内就能学会它。"
                "KAN 的每条边都是一条学出来的曲线：把它们全部画出来，常常能看出公式的每一部分变成了什么函数（sin、x²、exp……）。",
            }
        },
    )
)
