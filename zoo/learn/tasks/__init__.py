"""Training objectives beyond plain supervised classification and next-byte prediction, one module per kind
of task, each holding its datasets and the plans that use them side by side.

Every module here is found by `task_modules()` (no list to keep in step) and may define:

- `DATASETS: dict[str, tuple[DatasetInfo, factory]]` — like `zoo.learn.datasets.DATASETS`: a name, what the
  data is, and a function `factory(**options) -> TrainData`. A `TrainData` computes its own loss, so an
  objective that is not a supervised loss (an ELBO, a GAN's two players, a temporal-difference error, a
  detection loss) is the dataset's `loss(model, batch)`; `fit` does the rest (optimizer, schedule, clipping,
  events, cancellation). Per-run state (an environment, a replay buffer, a target network) is reset in
  `begin(seed, rank)`; `samples(model)` may draw what the trained model does.
- `REDUCTIONS: dict[str, str]` — reduction codes this module uses → English sentence with `{placeholders}`
  (the UI translates the same codes: `train.reduce_<code>`).
- `plans(key, card, config) -> list[TrainPlan]` — the plans of registry key `key` (empty: not this module's);
  `card` is its `zoo.card(key)`, `config()` returns its config dataclass (built on the meta device, cached).

A model a module covers is no longer listed by `zoo.learn.not_covered()`.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

__all__ = ["task_modules"]


@functools.cache
def task_modules() -> tuple[ModuleType, ...]:
    """Every module of this package, in name order."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in names)
