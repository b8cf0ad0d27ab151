"""Learn by doing: train a registered model on a small offline dataset (no Streamlit here).

The pieces, each usable on its own:

- `zoo.learn.datasets`: small datasets that ship with Python packages or are generated, wired to tasks —
  `load_dataset(name, **options) -> TrainData`. A `TrainData` knows how to cut a batch, compute the training
  loss of a model on it (forward pass included) and evaluate a model on its held-out split
  (`evaluate(model) -> {"accuracy": …, "loss": …}`; `data.metric` names the one early stopping watches).
- `zoo.learn.plans`: for any registry key, the datasets it can train on and what is reduced so that it trains
  in seconds on a CPU — `plans_for(key) -> list[TrainPlan]` (empty: not covered; `not_covered()` says why).
  A plan's `overrides` are config overrides the model's own config dataclass accepts; `reductions` say, as
  data, what was reduced (rendered in English by `TrainPlan.note()`, translated by the UI from the reduction
  codes). `build(plan, seed)` builds the model with its initial weights drawn from a generator of its own.
- `zoo.learn.engine`: `fit(model, data, config, *, on_event=None, cancel=None) -> FitResult` with a frozen
  `FitConfig` (optimizer, learning-rate schedule with linear warm-up, gradient clipping, bf16 autocast,
  early stopping, seed). `fit` never touches process-wide state: the batch order and every random draw of the
  forward pass (dropout) come from generators the run owns, so a seed gives the same run while other threads
  train. Events (`FitEvent`) arrive per step ("step") and per evaluation ("eval"), then once "end".
  Under `torch.distributed` (see `zoo.learn.ddp`) the same `fit` runs DistributedDataParallel.
- `zoo.learn.runs`: `BackgroundRun` — one training in a thread of its own, for a UI to poll (events so far,
  progress, cancel, result); `save_run(result, directory)` writes safetensors + a JSON of the run.

    from zoo import learn
    plan = learn.plans_for("lenet5")[0]
    model, data = learn.build(plan, seed=0), learn.load_dataset(plan.dataset, **plan.data_options)
    result = learn.fit(model, data, learn.FitConfig(epochs=3, lr=3e-3, schedule="onecycle", seed=0))
    result.final_metrics  # {"accuracy": 0.97…, "loss": …}
"""

from .datasets import DATASETS, DatasetInfo, TrainData, all_datasets, dataset_info, load_dataset
from .engine import AMP_MODES, OPTIMIZERS, SCHEDULES, FitConfig, FitEvent, FitResult, fit, fit_events, latest_checkpoint
from .plans import Reduction, TrainPlan, build, covered_models, not_covered, plans_for
from .runs import BackgroundRun, run_json, save_run

__all__ = [
    "AMP_MODES",
    "DATASETS",
    "OPTIMIZERS",
    "SCHEDULES",
    "BackgroundRun",
    "DatasetInfo",
    "FitConfig",
    "FitEvent",
    "FitResult",
    "Reduction",
    "TrainData",
    "TrainPlan",
    "all_datasets",
    "build",
    "covered_models",
    "dataset_info",
    "fit",
    "fit_events",
    "latest_checkpoint",
    "load_dataset",
    "not_covered",
    "plans_for",
    "run_json",
    "save_run",
]
