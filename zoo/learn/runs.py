"""One training run in a thread of its own, for a UI to poll; and saving a run (safetensors + JSON).

A page must not train in its script thread: the script would block its visitor's page, and a rerun would start
over. `BackgroundRun.start(...)` takes a place in the server's heavy-job line (`zoo.runtime.heavy_job`), builds
the model, and trains it on one intra-op thread (`zoo.runtime.single_threaded`, for this thread only), while the
page polls `snapshot()` from its fragment. `cancel()` stops it within one step (or leaves the line).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from .. import runtime
from .datasets import load_dataset
from .engine import FitConfig, FitEvent, FitResult, fit
from .plans import TrainPlan, build

__all__ = ["BackgroundRun", "RunSnapshot", "run_json", "save_run", "state_bytes"]


def run_json(result: FitResult, plan: TrainPlan | None = None, **extra: Any) -> dict[str, Any]:
    """Everything about a run that is not a weight: plan (model, data, reductions), config, curves, metrics."""
    out: dict[str, Any] = {"deepzoo_run": 1}
    if plan is not None:
        out["plan"] = plan.to_json()
    out |= result.to_json()
    out |= extra
    params = sum(p.numel() for p in result.model.parameters())
    out["parameters"] = params
    return out


def state_bytes(model: torch.nn.Module, metadata: dict[str, str] | None = None) -> bytes:
    """The model's state dict (buffers included) as safetensors bytes."""
    from safetensors.torch import save

    # cloned: safetensors refuses tensors that share storage (tied embeddings); a tied weight is stored twice
    # and `load_state_dict` restores both names
    state = {k: v.detach().cpu().clone().contiguous() for k, v in model.state_dict().items()}
    return save(state, metadata=metadata or {})


def save_run(result: FitResult, directory: str | Path, plan: TrainPlan | None = None, **extra: Any) -> tuple[Path, Path]:
    """Write `<key>.safetensors` and `<key>.run.json` into `directory` (created); returns both paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    stem = plan.key if plan is not None else "model"
    weights = directory / f"{stem}.safetensors"
    info = run_json(result, plan, **extra)
    weights.write_bytes(state_bytes(result.model, {"deepzoo_run": json.dumps({"plan": info.get("plan"), "config": info["config"]})}))
    meta = directory / f"{stem}.run.json"
    meta.write_text(json.dumps(info, indent=1, ensure_ascii=False))
    return weights, meta


@dataclass
class RunSnapshot:
    """What a page draws: copies, safe to read while the run goes on."""

    state: str  # "waiting", "preparing", "training", "done", "cancelled", "failed"
    position: int | None  # place in the heavy-job line while waiting (1 = next)
    steps: list[dict[str, Any]]  # {"step", "epoch", "loss", "lr"}
    evals: list[dict[str, Any]]  # {"step", "epoch", metric...}
    last: FitEvent | None
    result: FitResult | None
    error: str | None


WATCH_EVERY = 2.0  # seconds between two questions to `BackgroundRun.watched`


@dataclass
class BackgroundRun:
    plan: TrainPlan
    config: FitConfig
    overrides: dict[str, Any] = field(default_factory=dict)  # on top of the plan's (e.g. batch_norm=False)
    time_limit: float | None = None  # seconds of training after which the run is stopped (None: no limit)
    # asked now and then (every WATCH_EVERY seconds): is the visitor who started the run still there? When they
    # have left, the run stops, so that it does not keep its place among the server's heavy jobs (None: never asked)
    watched: Callable[[], bool] | None = None
    timed_out: bool = False
    abandoned: bool = False
    state: str = "waiting"
    position: int | None = None
    error: str | None = None
    result: FitResult | None = None
    samples: Any = None  # (H, W, 3) uint8 picture of what the trained model does, if its dataset draws one
    started: float = field(default_factory=time.time)
    _events: list[FitEvent] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _cancel: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _asked: float = field(default_factory=time.monotonic)

    @classmethod
    def start(cls, plan: TrainPlan, config: FitConfig, time_limit: float | None = None,
              watched: Callable[[], bool] | None = None, **overrides: Any) -> "BackgroundRun":
        """Start training in a daemon thread; `overrides` change the plan's model config (e.g. batch_norm=False)."""
        run = cls(plan, config, dict(overrides), time_limit, watched)
        run._thread = threading.Thread(target=run._work, name=f"train-{plan.key}", daemon=True)
        run._thread.start()
        return run

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def finished(self) -> bool:
        return self.state in ("done", "cancelled", "failed")

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def snapshot(self) -> RunSnapshot:
        with self._lock:
            events = list(self._events)
        steps = [{"step": e.step, "epoch": e.epoch, "loss": e.loss, "lr": e.lr} for e in events if e.kind == "step"]
        evals = [{"step": e.step, "epoch": e.epoch, **e.metrics} for e in events if e.kind == "eval"]
        return RunSnapshot(self.state, self.position, steps, evals, events[-1] if events else None, self.result, self.error)

    def _record(self, event: FitEvent) -> None:
        with self._lock:
            self._events.append(event)
        if self.time_limit is not None and event.elapsed > self.time_limit and not self._cancel.is_set():
            self.timed_out = True
            self._cancel.set()
        self._stop_if_abandoned()

    def _stop_if_abandoned(self) -> None:
        if self.watched is None or time.monotonic() - self._asked < WATCH_EVERY or self._cancel.is_set():
            return
        self._asked = time.monotonic()
        if not self.watched():
            self.abandoned = True
            self._cancel.set()

    def _waiting(self, position: int) -> None:
        self.position = position
        self._stop_if_abandoned()
        if self._cancel.is_set():
            raise _Cancelled

    def _work(self) -> None:
        try:
            with runtime.heavy_job(self._waiting):
                self.position = None
                if self._cancel.is_set():
                    raise _Cancelled
                self.state = "preparing"
                with runtime.single_threaded():
                    data = load_dataset(self.plan.dataset, **self.plan.data_options)
                    model = build(self.plan, self.config.seed, **self.overrides)
                    self.state = "training"
                    self.result = fit(model, data, self.config, on_event=self._record, cancel=self._cancel)
                    self.samples = _draw_samples(data, self.result.model, self.plan.key)
            self.state = "cancelled" if self.result.stopped == "cancelled" else "done"
        except _Cancelled:
            self.state = "cancelled"
        except Exception as e:  # noqa: BLE001 — shown to the visitor as a translated message, logged in full
            import logging

            logging.getLogger(__name__).exception("training %s on %s failed", self.plan.key, self.plan.dataset)
            self.error = f"{type(e).__name__}: {e}"
            self.state = "failed"


class _Cancelled(Exception):
    pass


def _draw_samples(data, model: torch.nn.Module, key: str):
    """`data.samples(model)`, or None when the dataset draws nothing or drawing fails (the figures of the run
    stand without a picture; the failure is logged)."""
    try:
        return data.samples(model)
    except Exception:  # noqa: BLE001
        import logging

        logging.getLogger(__name__).exception("drawing samples of %s failed", key)
        return None


def result_files(result: FitResult, plan: TrainPlan, **extra: Any) -> tuple[bytes, str]:
    """(safetensors bytes, JSON text) of a finished run: what a page offers for download."""
    info = run_json(result, plan, **extra)
    meta = {"deepzoo_run": json.dumps({"plan": info.get("plan"), "config": info["config"]})}
    return state_bytes(result.model, meta), json.dumps(info, indent=1, ensure_ascii=False)

