"""Checkpoint layouts and known checkpoints, declared beside each family.

A `Layout` is one published way of naming a family's tensors (Hugging Face `transformers`, torchvision, timm):
its key map, and how to read the model's config from a checkpoint (`config.json`, or tensor shapes). A family
file registers its layouts and its known published checkpoints:

    register_layout(Layout("hf", models=("bert_base", "bert_large"), key_map=..., config=..., model_types=("bert",)))
    register_checkpoint(KnownCheckpoint("bert_base", "hf://google-bert/bert-base-uncased", layout="hf", ...))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from torch import nn

from .loader import KeyMap

# What a layout's `config` function receives: the checkpoint's config.json (or None) and {name: shape}.
Shapes = Mapping[str, tuple[int, ...]]
ConfigReader = Callable[[Mapping[str, Any] | None, Shapes], dict[str, Any]]

LAYOUT_TITLES = {"hf": "Hugging Face transformers", "torchvision": "torchvision", "timm": "timm"}


def no_config(config: Mapping[str, Any] | None, shapes: Shapes) -> dict[str, Any]:
    return {}


def num_classes_from(*names: str) -> ConfigReader:
    """A classifier's class count, read from the first of `names` the checkpoint has (rows of its weight)."""

    def config(config: Mapping[str, Any] | None, shapes: Shapes) -> dict[str, Any]:
        for name in names:
            if name in shapes:
                return {"num_classes": shapes[name][0]}
        return {}  # not this layout: the loader reports the missing names

    return config


@dataclass(frozen=True)
class Layout:
    name: str  # "hf", "torchvision" or "timm"
    models: tuple[str, ...]  # zoo keys it serves
    key_map: Callable[[nn.Module], KeyMap]  # for the built model (layer counts come from its config)
    config: ConfigReader = no_config  # config overrides the checkpoint implies
    model_types: tuple[str, ...] = ()  # config.json "model_type" (HF) or "architecture" prefixes (timm) it reads
    prefixes: tuple[str, ...] = ("",)  # name prefixes a checkpoint may nest the model under ("bert." …)
    note: str = ""  # what the layout covers, for the README table (e.g. "encoder only; MLM head ignored")
    rename: Callable[[str], str] | None = None  # legacy checkpoint names → current ones, before mapping


@dataclass(frozen=True)
class KnownCheckpoint:
    """A published checkpoint a layout is written for. `metric` is published by its authors, with its source."""

    model: str  # zoo key
    source: str  # what to pass as weights=: "hf://org/name", or a file name for torchvision
    layout: str
    licence: str
    dataset: str
    metric: str = ""  # e.g. "GLUE average 79.6 (Devlin et al. 2019, Table 1)"; empty when none is published for it
    url: str = ""  # where to download it by hand (torchvision files)
    card_metric: bool = False  # the card's headline metric was measured with these very weights

    def metric_text(self) -> str:
        if self.card_metric:
            from ..registry import card

            m = card(self.model).metric
            if m is not None:
                return f"{m.name} {m.value:g}{m.unit} ({m.dataset}; {m.source})"
        return self.metric


TORCHVISION_URL = "https://download.pytorch.org/models/"


def torchvision_checkpoint(model: str, file: str, dataset: str = "ImageNet-1k") -> KnownCheckpoint:
    """A torchvision weights file: download it from `url`, pass its path as weights=. The card's metric is
    torchvision's published figure for this file."""
    return KnownCheckpoint(
        model, file, layout="torchvision", licence="BSD-3-Clause (torchvision)", dataset=dataset,
        url=TORCHVISION_URL + file, card_metric=True,
    )  # fmt: skip


_LAYOUTS: dict[str, list[Layout]] = {}
_CHECKPOINTS: dict[str, list[KnownCheckpoint]] = {}


def register_layout(layout: Layout) -> Layout:
    for key in layout.models:
        if any(other.name == layout.name for other in _LAYOUTS.get(key, [])):
            raise ValueError(f"layout {layout.name!r} registered twice for {key}")
        _LAYOUTS.setdefault(key, []).append(layout)
    return layout


def register_checkpoint(checkpoint: KnownCheckpoint) -> KnownCheckpoint:
    if not any(lay.name == checkpoint.layout for lay in _LAYOUTS.get(checkpoint.model, [])):
        raise ValueError(f"{checkpoint.model}: register its {checkpoint.layout!r} layout before its checkpoints")
    _CHECKPOINTS.setdefault(checkpoint.model, []).append(checkpoint)
    return checkpoint


def layouts(key: str) -> list[Layout]:
    from ..registry import entry

    entry(key)  # loads every family (and so their layouts); KeyError for unknown keys
    return list(_LAYOUTS.get(key, []))


def known_checkpoints(key: str) -> list[KnownCheckpoint]:
    layouts(key)
    return list(_CHECKPOINTS.get(key, []))


def models_with_layouts() -> list[str]:
    from ..registry import list_models

    list_models()
    return sorted(_LAYOUTS)
