"""Demo registry: what a person can try on their own input, with no Streamlit import.

Each demo module in this package registers a `Demo` naming the model keys it serves, its input
kind and a function `input → result`; the app's Try-it tab, the Gradio widgets and the tests all
call that same function.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import threading
from dataclasses import dataclass
from typing import Any, Callable

from .messages import MESSAGES


class BadInput(ValueError):
    """The user's input cannot be used; the message says why, in words a user understands.

    `key` names the message (`messages.MESSAGES`), `params` fill it: str(e) is the English text, and the
    app shows the same key in the user's language. Params are shown to the user as text, never markup.
    """

    def __init__(self, key: str, /, **params: object):
        if key not in MESSAGES:
            raise KeyError(f"BadInput: no message {key!r} in zoo/demos/messages.py")
        self.key = key
        self.params = {name: str(value) for name, value in params.items()}
        super().__init__(MESSAGES[key].format(**self.params))

    def __reduce__(self):  # pickles (e.g. across a worker process) by key and params, not by message
        return functools.partial(BadInput, self.key, **self.params), ()


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
_LOADED = False  # set once every demo module has been imported
_LOAD_LOCK = threading.Lock()


def register_demo(demo: Demo) -> Demo:
    if demo.name in _DEMOS:
        raise RuntimeError(f"demo {demo.name!r} registered twice")
    _DEMOS[demo.name] = demo
    return demo


def _load_all() -> None:
    """Import every demo module once; threads asking meanwhile wait (as `zoo.registry._load_all` does)."""
    global _LOADED
    if _LOADED:
        return
    with _LOAD_LOCK:
        if _LOADED:
            return
        for info in pkgutil.iter_modules(__path__):
            if not info.name.startswith("_"):
                importlib.import_module(f"{__name__}.{info.name}")
        _LOADED = True


def all_demos() -> list[Demo]:
    _load_all()
    return sorted(_DEMOS.values(), key=lambda d: d.name)


def get(name: str) -> Demo:
    _load_all()
    return _DEMOS[name]


def for_model(key: str) -> list[Demo]:
    return [d for d in all_demos() if key in d.models]
