"""Demo registry: what a person can try on their own input, with no Streamlit import.

Each demo module in this package registers a `Demo` naming the model keys it serves, its input
kind and a function `input → result`; the app's Try-it tab, the Gradio widgets and the tests all
call that same function.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable


class BadInput(ValueError):
    """The user's input cannot be used; the message says why, in words a user understands."""


@dataclass(frozen=True)
class Demo:
    name: str  # also the Gradio mount path /gradio/<name>/ when `gradio` is True
    title: str
    models: tuple[str, ...]
    input_kind: str  # "image", "drawing", "audio", "text", "environment", "graph", "latent"
    description: str
    run: Callable[..., Any]
    gradio: bool = False
    i18n: dict[str, dict[str, str]] | None = None

    def text(self, field: str, lang: str) -> str:
        return ((self.i18n or {}).get(lang) or {}).get(field) or getattr(self, field)


_DEMOS: dict[str, Demo] = {}
_LOADED = False


def register_demo(demo: Demo) -> Demo:
    if demo.name in _DEMOS:
        raise RuntimeError(f"demo {demo.name!r} registered twice")
    _DEMOS[demo.name] = demo
    return demo


def _load_all() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


def all_demos() -> list[Demo]:
    _load_all()
    return sorted(_DEMOS.values(), key=lambda d: d.name)


def get(name: str) -> Demo:
    _load_all()
    return _DEMOS[name]


def for_model(key: str) -> list[Demo]:
    return [d for d in all_demos() if key in d.models]
