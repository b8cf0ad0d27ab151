"""Tuning tips, each proved by a small controlled experiment on the offline digits.

A tip is only as good as the measurement behind it, so every tip here is an `Experiment`: one small registered
model (LeNet-5, or VGG-11's config cut down to four 3×3 convolutions on the 8×8 digits), one dataset, one seed,
and two `Arm`s that differ in exactly one setting — the learning-rate schedule, BatchNorm, bf16 autocast, the
initialisation, weight decay or gradient clipping. Each arm trains with `zoo.learn.fit` from the same initial
weights (the same generator draws them) on the same batches (the same seed orders them), so the curves differ
only by that setting. What a page or a sentence states — steps to a target accuracy, the final held-out
accuracy and loss, the time per step — is computed by `findings()` from the stored curves, never typed in.

One seed is one sample. The settings were chosen after rerunning each experiment with seeds 1 and 2 as well:
BatchNorm, the schedule, He initialisation and clipping won on every seed; weight decay's effect on held-out
loss and accuracy did not hold from seed to seed on these small digits (what it reliably does here is shrink
the weights, which the page states), and bf16's speed depends on the CPU.

    python -m zoo.learn.tips --all            # run every experiment, write assets/learn/tips.json
    python -m zoo.learn.tips batch_norm       # rerun one, keep the others
    python -m zoo tips --list

Results are cached in `assets/learn/tips.json` (with the machine, torch version and load they were measured
under) so the Learn page opens without training; `ExperimentRun` reruns one experiment in a background thread
for one visitor, in the server's heavy-job line.
"""

from __future__ import annotations

import argparse
import datetime
import json
import logging
import math
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from .. import runtime
from ..rng import build, torch_generator
from .datasets import load_dataset
from .engine import FitConfig, FitEvent, fit

log = logging.getLogger(__name__)

__all__ = ["EXPERIMENTS", "Arm", "ArmFindings", "Experiment", "ExperimentRun", "figures", "findings", "load_results",
           "run_experiment", "settings", "stated", "stored_result", "write_results"]

RESULTS = Path(__file__).resolve().parents[2] / "assets" / "learn" / "tips.json"
FORMAT = 1  # bump when the JSON layout changes
SEED = 0
EVAL_EVERY = 10  # held-out evaluation every 10 optimizer steps (and at each epoch's end): the curves' resolution
TINY_STEPS, TINY_EVAL_EVERY = 6, 3  # `tiny=True`: what the tests run


# ----------------------------------------------------------------------------------------------- definitions


@dataclass(frozen=True)
class Arm:
    """One curve of an experiment: what this arm changes on top of the experiment's shared settings."""

    name: str  # "with_bn": the page's label is the locale key `learn.arm_<name>`
    fit: dict[str, Any] = field(default_factory=dict)  # FitConfig fields
    overrides: dict[str, Any] = field(default_factory=dict)  # model config overrides
    init: str | None = None  # a scheme of INITS applied after building (None: the model's own)


@dataclass(frozen=True)
class Experiment:
    key: str  # "batch_norm": also the page's locale keys `learn.<key>.*`
    model: str  # registry key
    overrides: dict[str, Any]  # config overrides shared by both arms (the small size)
    data: str  # zoo.learn dataset name
    data_options: dict[str, Any]
    fit: dict[str, Any]  # FitConfig fields shared by both arms
    arms: tuple[Arm, ...]
    target: float  # held-out accuracy (0–1) that "steps to target" counts to
    headline: str  # the finding the page states first: a field of ArmFindings

    def fit_config(self, arm: Arm, tiny: bool = False) -> FitConfig:
        fields = {"seed": SEED, "eval_every": EVAL_EVERY, **self.fit, **arm.fit}
        if tiny:
            fields |= {"max_steps": TINY_STEPS, "eval_every": TINY_EVAL_EVERY}
        return FitConfig(**fields)

    def arm(self, name: str) -> Arm:
        return next(a for a in self.arms if a.name == name)

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self)))  # tuples become lists, as they are stored


def _he(module: torch.nn.Module, g: torch.Generator) -> None:
    """He et al. 2015: weights ~ N(0, 2 / fan_in), so a ReLU layer keeps its input's variance."""
    torch.nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu", generator=g)


def _small(module: torch.nn.Module, g: torch.Generator) -> None:
    """A fixed small spread, N(0, 0.01²): each layer shrinks the signal by about 0.01·√fan_in."""
    torch.nn.init.normal_(module.weight, 0.0, 0.01, generator=g)


INITS: dict[str, Callable[[torch.nn.Module, torch.Generator], None]] = {"he": _he, "small": _small}


def initialise(model: torch.nn.Module, scheme: str, g: torch.Generator) -> None:
    """Re-draw every convolution's and linear layer's weights by `scheme` from `g`; biases to zero."""
    for m in model.modules():
        if isinstance(m, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Linear)):
            INITS[scheme](m, g)
            if m.bias is not None:
                torch.nn.init.zeros_(m.bias)


M = "M"  # a max-pool in a VGG layer list
# VGG-11's config (`zoo/vision/vgg.py`) cut down to two stages of two 3×3 convolutions for the 8×8 digits:
# 8×8 → 4×4 → 2×2, a 64-unit head, no dropout; 29,434 parameters (29,626 with BatchNorm's scale and shift).
SMALL_VGG = {"layers": (16, 16, M, 32, 32, M), "pool_size": 2, "hidden": 64, "dropout": 0.0, "in_channels": 1,
             "num_classes": 10}
DIGITS_8 = {"image_size": 8, "channels": 1}
DIGITS_32 = {"image_size": 32, "channels": 1}  # LeNet-5's input side
LENET = {"in_channels": 1, "num_classes": 10}

EXPERIMENTS: dict[str, Experiment] = {e.key: e for e in (
    Experiment(
        "lr_schedule", "vgg11", SMALL_VGG, "digits", DIGITS_8,
        {"epochs": 8, "optimizer": "momentum", "lr": 0.1},
        (Arm("constant", {"schedule": "constant"}, init="he"),
         Arm("cosine", {"schedule": "cosine", "warmup_steps": 20}, init="he")),
        target=0.9, headline="final_accuracy",
    ),
    Experiment(
        "batch_norm", "vgg11", SMALL_VGG, "digits", DIGITS_8,
        {"epochs": 8, "optimizer": "momentum", "lr": 0.05},
        (Arm("with_bn", overrides={"batch_norm": True}, init="he"),
         Arm("without_bn", overrides={"batch_norm": False}, init="he")),
        target=0.95, headline="steps_to_target",
    ),
    Experiment(
        "amp", "lenet5", LENET, "digits", DIGITS_32,
        {"epochs": 4, "optimizer": "adam", "lr": 2e-3, "schedule": "onecycle"},
        (Arm("fp32", {"amp": "off"}), Arm("bf16", {"amp": "bf16"})),
        target=0.95, headline="ms_per_step",
    ),
    Experiment(
        "init", "vgg11", SMALL_VGG, "digits", DIGITS_8,
        {"epochs": 8, "optimizer": "momentum", "lr": 0.02},
        (Arm("he", init="he"), Arm("small", init="small")),
        target=0.95, headline="final_accuracy",
    ),
    Experiment(
        "weight_decay", "vgg11", SMALL_VGG, "digits", DIGITS_8,
        {"epochs": 12, "optimizer": "adamw", "lr": 3e-3},
        (Arm("wd_0", {"weight_decay": 0.0}, init="he"), Arm("wd_01", {"weight_decay": 0.1}, init="he")),
        target=0.97, headline="final_loss",
    ),
    Experiment(
        "grad_clip", "vgg11", SMALL_VGG, "digits", DIGITS_8,
        {"epochs": 8, "optimizer": "momentum", "lr": 0.2},
        (Arm("no_clip", init="he"), Arm("clip_1", {"clip_norm": 1.0}, init="he")),
        target=0.9, headline="final_accuracy",
    ),
)}


# ----------------------------------------------------------------------------------------------------- running


def _rounded(x: float | None, digits: int = 5) -> float | None:
    """Curve values as stored: a few significant digits; a loss that blew up to inf/NaN becomes None (JSON
    has no NaN) and is drawn as a gap."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def run_arm(exp: Experiment, arm: Arm, *, tiny: bool = False, on_event: Callable[[FitEvent], None] | None = None,
            cancel: threading.Event | None = None) -> dict[str, Any]:
    """Train one arm on this thread, on one intra-op thread; returns its curves:
    `train` [[step, loss, elapsed s]] (every step), `evals` [[step, accuracy, loss]] (one per evaluated step)."""
    g = torch_generator(SEED)  # the same initial weights in every arm
    with runtime.single_threaded():
        model = build(exp.model, g, **{**exp.overrides, **arm.overrides})
        if arm.init is not None:
            initialise(model, arm.init, g)
        data = load_dataset(exp.data, **exp.data_options)
        train: list[list] = []

        def record(e: FitEvent) -> None:
            if e.kind == "step":
                train.append([e.step, _rounded(e.loss), round(e.elapsed, 4)])
            if on_event is not None:
                on_event(e)

        result = fit(model, data, exp.fit_config(arm, tiny), on_event=record, cancel=cancel)
    weights = [p.detach() for p in model.parameters() if p.dim() > 1]  # kernels and matrices, not biases or BN
    weight_norm = float(torch.sqrt(sum((w.float() ** 2).sum() for w in weights)))
    evals: dict[int, list] = {}
    for e in result.evals:  # an epoch's end may fall on an `eval_every` step: one point per step (the last)
        evals[int(e["step"])] = [int(e["step"]), _rounded(e["accuracy"]), _rounded(e["loss"])]
    return {"train": train, "evals": list(evals.values()), "steps": result.steps, "stopped": result.stopped,
            "seconds": round(result.seconds, 2), "weight_norm": _rounded(weight_norm)}


def run_experiment(exp: Experiment, *, tiny: bool = False, on_event: Callable[[str, FitEvent], None] | None = None,
                   cancel: threading.Event | None = None) -> dict[str, Any]:
    """Every arm of `exp`, one after the other; `on_event(arm_name, event)` sees each arm's events."""
    started = time.perf_counter()
    arms = {}
    for arm in exp.arms:
        hook = (lambda e, name=arm.name: on_event(name, e)) if on_event is not None else None
        arms[arm.name] = run_arm(exp, arm, tiny=tiny, on_event=hook, cancel=cancel)
        if cancel is not None and cancel.is_set():
            break
    return {"definition": exp.to_json(), "arms": arms, "seconds": round(time.perf_counter() - started, 2)}


# ---------------------------------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class ArmFindings:
    """What one arm's stored curves say. Accuracy and loss are held-out figures."""

    steps: int  # optimizer steps run
    steps_to_target: int | None  # first evaluated step at or above the target accuracy (None: not reached)
    final_accuracy: float | None
    final_loss: float | None
    best_accuracy: float | None
    ms_per_step: float | None  # median time between consecutive steps (robust to the evaluations in between)
    max_train_loss: float | None  # the largest training-batch loss (None: it became inf/NaN)
    weight_norm: float | None  # L2 norm of all weight kernels and matrices at the end (stored with the curves)


def arm_findings(curves: dict[str, Any], target: float) -> ArmFindings:
    evals = [e for e in curves["evals"] if e[1] is not None]
    train = curves["train"]
    reached = next((step for step, acc, _ in evals if acc >= target), None)
    gaps = [b[2] - a[2] for a, b in zip(train, train[1:])]
    losses = [row[1] for row in train]
    return ArmFindings(
        steps=train[-1][0] if train else 0,
        steps_to_target=reached,
        final_accuracy=evals[-1][1] if evals else None,
        final_loss=evals[-1][2] if evals else None,
        best_accuracy=max((e[1] for e in evals), default=None),
        ms_per_step=round(1000 * statistics.median(gaps), 2) if gaps else None,
        max_train_loss=None if any(v is None for v in losses) else max(losses, default=None),
        weight_norm=curves.get("weight_norm"),
    )


def findings(result: dict[str, Any]) -> dict[str, ArmFindings]:
    """arm name → its findings, from one experiment's stored result (`run_experiment`'s, or the JSON's)."""
    target = result["definition"]["target"]
    return {name: arm_findings(curves, target) for name, curves in result["arms"].items()}


def settings(definition: dict[str, Any]) -> dict[str, Any]:
    """The settings a sentence about an experiment may name, from its definition: `fit_<field>` for the FitConfig
    fields both arms share, `<arm>_<field>` for one arm's own, and `target`."""
    out: dict[str, Any] = {f"fit_{k}": v for k, v in definition["fit"].items()}
    for arm in definition["arms"]:
        out |= {f"{arm['name']}_{k}": v for k, v in arm["fit"].items()}
    out["target"] = definition["target"]
    return out


def figures(result: dict[str, Any]) -> dict[str, Any]:
    """The measured numbers a sentence about an experiment may state, all from `findings(result)`: per arm A,
    `A_acc`, `A_loss` (final held-out accuracy and loss), `A_steps` (steps to the target, None: not reached),
    `A_ms` (time per step), `A_max_loss` (largest batch loss, None: it diverged), `A_norm` (final weight norm);
    `steps` (steps each arm ran)."""
    out: dict[str, Any] = {}
    found = findings(result)
    for name, f in found.items():
        out |= {f"{name}_acc": f.final_accuracy, f"{name}_loss": f.final_loss, f"{name}_steps": f.steps_to_target,
                f"{name}_ms": f.ms_per_step, f"{name}_max_loss": f.max_train_loss, f"{name}_norm": f.weight_norm}
    out["steps"] = max((f.steps for f in found.values()), default=0)
    return out


def _number(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def stated(result: dict[str, Any], not_reached: Callable[[int], str], diverged: str) -> dict[str, str]:
    """Every placeholder a sentence about `result` may use, formatted for reading: `figures` (accuracy as a
    percentage, losses to 3 significant digits, ms to 0.1) and `settings`. `not_reached(steps)` words a target
    never reached; `diverged` a loss that became inf/NaN (both in the reader's language)."""
    figs = figures(result)
    out = {k: _number(v) for k, v in settings(result["definition"]).items()}
    out["target"] = f"{result['definition']['target']:.0%}"
    out["steps"] = str(figs["steps"])
    for key, value in figs.items():
        if key.endswith("_acc"):
            out[key] = "—" if value is None else f"{value:.1%}"
        elif key.endswith("_max_loss"):
            out[key] = diverged if value is None else f"{value:.3g}"
        elif key.endswith("_loss"):
            out[key] = "—" if value is None else f"{value:.3g}"
        elif key.endswith("_steps"):
            out[key] = not_reached(figs["steps"]) if value is None else str(value)
        elif key.endswith("_ms"):
            out[key] = "—" if value is None else f"{value:.1f}"
        elif key.endswith("_norm"):
            out[key] = "—" if value is None else f"{value:.3g}"
    return out


# ------------------------------------------------------------------------------------------------------ storing


def machine() -> dict[str, Any]:
    """Where the figures were measured: they mean little without it."""
    from ..runtime import cpu_name

    cpu = cpu_name()
    return {"cpu": cpu, "usable_cores": runtime.usable_cores(), "torch_threads": 1, "torch": torch.__version__,
            "python": platform.python_version(), "platform": platform.platform(),
            "load_average": runtime.load_average()}


def load_results(path: Path = RESULTS) -> dict[str, Any] | None:
    """The stored results, or None when the file is missing or of another format."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if data.get("format") == FORMAT else None


def stored_result(data: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """Experiment `key`'s stored result, if it was made with the current definition (a changed experiment's old
    curves would be shown under the new settings' name otherwise)."""
    result = ((data or {}).get("experiments") or {}).get(key)
    if result is None or result.get("definition") != EXPERIMENTS[key].to_json():
        return None
    return result


def write_results(keys: list[str], path: Path = RESULTS, progress: Callable[[str], None] = print,
                  tiny: bool = False) -> dict[str, Any]:
    """Run the experiments `keys` and store them, keeping the other experiments' stored results (`tiny`: a few
    steps each, for tests)."""
    old = load_results(path) or {}
    experiments = {k: v for k, v in (old.get("experiments") or {}).items() if k in EXPERIMENTS}
    for key in keys:
        progress(f"{key} …")
        load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        result = run_experiment(EXPERIMENTS[key], tiny=tiny)
        result["measured"] = {"at": _now(), **machine(), "load_before": load_before}
        experiments[key] = result
        f = findings(result)
        progress(f"{key}: {result['seconds']} s — " + "; ".join(
            f"{arm}: acc {a.final_accuracy}, loss {a.final_loss}, steps to {result['definition']['target']:.0%} "
            f"{a.steps_to_target}, {a.ms_per_step} ms/step" for arm, a in f.items()))
    data = {"format": FORMAT, "written": _now(), "experiments": {k: experiments[k] for k in EXPERIMENTS if k in experiments}}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    return data


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


# ------------------------------------------------------------------------------------------ rerun in the server


@dataclass
class ExperimentRun:
    """One experiment rerun for one visitor, in a thread of its own: it waits for a place in the server's
    heavy-job line (`zoo.runtime.heavy_job`), then trains the arms one after the other. A page polls
    `snapshot()`; `cancel()` stops it within one step, or takes it out of the line."""

    experiment: Experiment
    state: str = "waiting"  # "waiting", "running", "done", "cancelled", "failed"
    position: int | None = None
    arm: str | None = None  # the arm training now
    result: dict[str, Any] | None = None
    _curves: dict[str, dict[str, list]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @classmethod
    def start(cls, experiment: Experiment, tiny: bool = False) -> "ExperimentRun":
        run = cls(experiment)
        run._thread = threading.Thread(target=run._work, args=(tiny,), name=f"tip-{experiment.key}", daemon=True)
        run._thread.start()
        return run

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")

    def snapshot(self) -> dict[str, Any]:
        """The curves so far, in the stored layout (`arms` → `train`, `evals`): copies, safe to read."""
        with self._lock:
            arms = {name: {"train": list(c["train"]), "evals": list(c["evals"])} for name, c in self._curves.items()}
        return {"definition": self.experiment.to_json(), "arms": arms}

    def _waiting(self, position: int) -> None:
        self.position = position
        if self._cancel.is_set():
            raise _Cancelled

    def _record(self, arm: str, e: FitEvent) -> None:
        with self._lock:
            curves = self._curves.setdefault(arm, {"train": [], "evals": []})
            if e.kind == "step":
                curves["train"].append([e.step, _rounded(e.loss), round(e.elapsed, 4)])
            elif e.kind == "eval":
                if curves["evals"] and curves["evals"][-1][0] == e.step:  # an epoch's end on an `eval_every` step
                    curves["evals"].pop()
                curves["evals"].append([e.step, _rounded(e.metrics.get("accuracy")), _rounded(e.metrics.get("loss"))])

    def _work(self, tiny: bool) -> None:
        try:
            with runtime.heavy_job(self._waiting):
                self.position = None
                self.state = "running"
                result = run_experiment(self.experiment, tiny=tiny, on_event=self._note, cancel=self._cancel)
            result["measured"] = {"at": _now(), **machine()}
            self.result = result
            self.state = "cancelled" if self._cancel.is_set() else "done"
        except _Cancelled:
            self.state = "cancelled"
        except Exception:  # noqa: BLE001 — the page says it failed; the traceback goes to the server log
            log.exception("rerunning the %s experiment failed", self.experiment.key)
            self.state = "failed"

    def _note(self, arm: str, e: FitEvent) -> None:
        self.arm = arm
        self._record(arm, e)


class _Cancelled(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------- CLI


def _cmd_tips(args: argparse.Namespace) -> int:
    if args.list:
        for key, exp in EXPERIMENTS.items():
            print(f"{key:<13} {exp.model} on {exp.data}: " + " vs ".join(a.name for a in exp.arms))
        return 0
    keys = list(EXPERIMENTS) if args.all else args.keys
    unknown = [k for k in keys if k not in EXPERIMENTS]
    if unknown or not keys:
        print(f"error: name experiments ({', '.join(EXPERIMENTS)}) or pass --all", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else RESULTS
    write_results(keys, out)
    print(f"wrote {out}")
    return 0


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("keys", nargs="*", help="experiments to run (see --list)")
    p.add_argument("--all", action="store_true", help="run every experiment")
    p.add_argument("--list", action="store_true", help="list the experiments")
    p.add_argument("--out", help=f"JSON file to write (default {RESULTS.relative_to(RESULTS.parents[2])})")
    p.set_defaults(func=_cmd_tips)


def add_commands(subparsers) -> None:
    _add_arguments(subparsers.add_parser("tips", help="run the tuning-tip experiments of the Learn page"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zoo.learn.tips", description="tuning-tip experiments")
    _add_arguments(parser)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
