"""Pretrained checkpoints (Hugging Face, torchvision, timm) loaded into DeepZoo's own models.

    zoo.create_model("bert_base", weights="hf://google-bert/bert-base-uncased")
    zoo.create_model("resnet50", weights="resnet50-0676ba61.pth")        # a torchvision file
    zoo.create_model("gpt2", weights="/data/my-gpt2")                    # config.json + model.safetensors

`load` reads the source (`sources`), picks the family's layout (from config.json's `model_type`, or the layout
whose key map the tensor names fit), builds the variant the checkpoint describes (config.json, or tensor
shapes), and fills it through the one strict loader (`loader.load_mapped`). Key maps live beside each family.
"""

from __future__ import annotations

from typing import Any, Mapping

import torch
from torch import nn

from .layouts import (
    LAYOUT_TITLES, KnownCheckpoint, Layout, known_checkpoints, layouts, num_classes_from, register_checkpoint,
    register_layout, torchvision_checkpoint,
)  # fmt: skip
from .loader import BATCH_COUNTERS, CheckpointMismatch, KeyMap, LoadReport, Source, convert, load_mapped, reverse
from .sources import PretrainedError, PretrainedUnavailable, hub_online, is_source, read

__all__ = [
    "BATCH_COUNTERS", "LAYOUT_TITLES", "CheckpointMismatch", "KeyMap", "KnownCheckpoint", "Layout", "LoadReport", "PretrainedError",
    "PretrainedUnavailable", "Source", "convert", "hub_online", "is_source", "known_checkpoints", "layouts", "load",
    "load_mapped", "num_classes_from", "register_checkpoint", "register_layout", "reverse", "torchvision_checkpoint",
]  # fmt: skip


def load(key: str, source: str, **overrides: Any) -> nn.Module:
    """`key` built as the checkpoint at `source` describes, its weights loaded strictly, in eval mode."""
    from ..registry import entry

    factory = entry(key).factory
    candidates = layouts(key)
    if not candidates:
        raise PretrainedError(f"{key} has no pretrained checkpoint layout in DeepZoo")
    files = read(source)
    shapes = {name: tuple(t.shape) for name, t in files.state.items()}
    candidates = _by_config(key, candidates, files.config)
    failures: list[tuple[Layout, CheckpointMismatch]] = []
    for layout in candidates:
        state = {layout.rename(k): v for k, v in files.state.items()} if layout.rename else files.state
        config = _merge(layout.config(files.config, shapes), overrides, source)
        skeleton = _shape_only(factory, config)
        key_map = _fitting_prefix(layout, layout.key_map(skeleton), state)
        try:
            load_mapped(skeleton, _shape_stand_ins(state), key_map)  # a dry run: names and shapes only
        except CheckpointMismatch as e:
            failures.append((layout, e))
            continue
        model = factory(**config)
        load_mapped(model, state, key_map)
        return model.eval()
    layout, error = min(failures, key=lambda f: len(f[1].problems))  # the layout the checkpoint nearly fits
    tried = ", ".join(LAYOUT_TITLES.get(lay.name, lay.name) for lay, _ in failures)
    what = f"{source} does not fit {key} in any layout tried ({tried}); closest, {layout.name}"
    raise CheckpointMismatch(what, error.problems)


def _by_config(key: str, candidates: list[Layout], config: Mapping[str, Any] | None) -> list[Layout]:
    """With a config.json, the layouts that read its model type (HF `model_type`, timm `architecture`)."""
    kind = (config or {}).get("model_type") or (config or {}).get("architecture")
    if not kind:  # a bare file: the layouts that read shapes (HF layouts need config.json, and say so if alone)
        return [lay for lay in candidates if lay.name != "hf"] or candidates
    chosen = [lay for lay in candidates if any(kind == t or kind.startswith(t + ".") for t in lay.model_types)]
    if not chosen:
        readable = sorted({t for lay in candidates for t in lay.model_types})
        reads = ", ".join(readable) or "no config.json"
        raise PretrainedError(f"config.json describes a {kind!r} model; {key} reads {reads}")
    return chosen


def _merge(implied: dict[str, Any], overrides: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The checkpoint's config with the caller's overrides; an override that contradicts the checkpoint is an error."""
    clash = {k: (v, implied[k]) for k, v in overrides.items() if k in implied and implied[k] != v}
    if clash:
        said = ", ".join(f"{k}={mine!r} (checkpoint: {theirs!r})" for k, (mine, theirs) in clash.items())
        raise PretrainedError(f"{source} fixes these settings, drop the overrides: {said}")
    return {**implied, **overrides}


def _fitting_prefix(layout: Layout, key_map: KeyMap, state: Mapping[str, torch.Tensor]) -> KeyMap:
    """The prefix under which most of the map's names are found (e.g. "bert." in a BertForPreTraining file)."""
    names = key_map.checkpoint_names()
    best = max(layout.prefixes, key=lambda p: sum(p + n in state for n in names))
    return key_map.with_prefix(best)


def _shape_only(factory, config: Mapping[str, Any]) -> nn.Module:
    """The model on the meta device: its names and shapes without allocating or initialising anything."""
    with torch.device("meta"):
        return factory(**config)


def _shape_stand_ins(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: torch.empty(t.shape, dtype=t.dtype, device="meta") for name, t in state.items()}
