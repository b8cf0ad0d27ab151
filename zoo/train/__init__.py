"""Training recipes that reproduce every file under assets/weights/.

    python -m zoo.train --list
    python -m zoo.train lenet5_digits

A recipe is a function registered with `@recipe(name)` in a module of this package. It trains on
data that ships with a Python package or the OS (never a download), saves safetensors through
`zoo.weights.save_shipped` with a manifest entry (model key, recipe, dataset, metric, seconds), and
returns that entry. Live demos (PPO, VAE, GCN) call the same training functions with a progress
callback.

Every random draw of a recipe comes from generators it owns (`zoo.rng`), and small-model training runs on
one intra-op thread of its own thread (`zoo.runtime.single_threaded`): a live training on a shared server
neither disturbs nor is disturbed by what other requests draw or how many threads they use.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable

Recipe = Callable[[], dict[str, Any]]
_RECIPES: dict[str, Recipe] = {}


def recipe(name: str) -> Callable[[Recipe], Recipe]:
    def decorator(fn: Recipe) -> Recipe:
        if name in _RECIPES:
            raise RuntimeError(f"recipe {name!r} registered twice")
        _RECIPES[name] = fn
        return fn

    return decorator


def recipes() -> dict[str, Recipe]:
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
    return dict(sorted(_RECIPES.items()))
