"""Training recipes that reproduce every file under assets/weights/.

    python -m zoo.train --list
    python -m zoo.train lenet5_digits

A recipe is a function registered with `@recipe(name)` in a module of this package. It trains on
data that ships with a Python package or the OS (never a download), saves safetensors through
`zoo.weights.save_shipped` with a manifest entry (model key, recipe, dataset, metric, seconds), and
returns that entry. Live demos (PPO, VAE, GCN) call the same training functions with a progress
callback.
"""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import threading
from typing import Any, Callable, Iterator

import torch

Recipe = Callable[[], dict[str, Any]]
_RECIPES: dict[str, Recipe] = {}


def recipe(name: str) -> Callable[[Recipe], Recipe]:
    def decorator(fn: Recipe) -> Recipe:
        if name in _RECIPES:
            raise RuntimeError(f"recipe {name!r} registered twice")
        _RECIPES[name] = fn
        return fn

    return decorator


_THREADS_LOCK = threading.Lock()
_THREADS_USERS = 0
_THREADS_SAVED = 1


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread meanwhile (also a decorator: `@one_thread()`). These MLPs see batches of
    1–256, where OpenMP threads only add overhead — and on a busy CPU their spin-waits make each
    forward 10–100× slower (measured here: 0.2 ms → 3–40 ms).

    torch's thread count is per thread once set, but new threads copy a global; the count of
    concurrent users restores that global only when the last one leaves (several app sessions)."""
    global _THREADS_USERS, _THREADS_SAVED
    with _THREADS_LOCK:
        if _THREADS_USERS == 0:
            _THREADS_SAVED = torch.get_num_threads()
        _THREADS_USERS += 1
        torch.set_num_threads(1)
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _THREADS_USERS -= 1
            if _THREADS_USERS == 0:
                torch.set_num_threads(_THREADS_SAVED)


def recipes() -> dict[str, Recipe]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(_RECIPES.items()))
