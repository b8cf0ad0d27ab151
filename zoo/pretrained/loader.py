"""The one strict loader: a foreign state dict, a family's key map → the zoo model's own tensors.

A key map says, for every tensor of a zoo model's state dict, which checkpoint tensor fills it (and how to
reshape it, e.g. GPT-2's fused, transposed Conv1D projections). Loading is strict in both directions, and every
problem is reported at once, by name and shape:

- a tensor the map asks for is missing from the checkpoint;
- a checkpoint tensor is used by nothing (unless the map declares it ignorable, e.g. a pre-training head the
  zoo model does not have, or a constant index table);
- a shape differs;
- a parameter or persistent buffer of the model is filled by nothing.

Tied weights: a checkpoint may save one tensor under two names (T5's `shared` and `encoder.embed_tokens`): the
map names the copy as an alias, which must then hold the same values. A zoo model that ties two of its own
parameters (GPT's LM head is its token embedding) needs one map entry; the other name is filled with it.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import torch
from torch import nn

Transform = Callable[[torch.Tensor], torch.Tensor]
Combine = Callable[[list[torch.Tensor]], torch.Tensor]
# a checkpoint name; (name, reshaping function); or (names, function joining them), e.g. separate q, k, v → fused qkv
Source = str | tuple[str, Transform] | tuple[tuple[str, ...], Combine]


class CheckpointMismatch(ValueError):
    """A checkpoint does not fit a model; `problems` lists every tensor concerned, by name (and shape)."""

    def __init__(self, what: str, problems: Sequence[str]):
        self.problems = list(problems)
        shown = self.problems[:12]
        more = f"\n  … and {len(self.problems) - len(shown)} more" if len(self.problems) > len(shown) else ""
        super().__init__(f"{what}: {len(self.problems)} problem(s)\n  " + "\n  ".join(shown) + more)


# BatchNorm's batch counter: a training statistic files saved before PyTorch 0.4.1 (torchvision's first
# ImageNet weights) do not have; it plays no part in evaluation.
BATCH_COUNTERS = ("*num_batches_tracked",)


@dataclass(frozen=True)
class KeyMap:
    """Zoo name → checkpoint name for every tensor of one model, plus the checkpoint's tied copies and the
    checkpoint tensors the model does not need."""

    tensors: Mapping[str, Source]
    aliases: Mapping[str, str] = field(default_factory=dict)  # checkpoint copy → the checkpoint name it duplicates
    ignore: tuple[str, ...] = ()  # fnmatch patterns of checkpoint names read by nothing (each declared with a reason)
    optional: tuple[str, ...] = ()  # fnmatch patterns of zoo names a checkpoint may omit (the model keeps its own)

    @classmethod
    def by_rules(
        cls, names: Iterable[str], rules: Sequence[tuple[str, str | Callable[[re.Match], str]]], **kwargs
    ) -> "KeyMap":
        """Each zoo name → checkpoint name by regex substitutions applied in order (a family's small rename table)."""
        tensors: dict[str, Source] = {}
        for ours in names:
            theirs = ours
            for pattern, replacement in rules:
                theirs = re.sub(pattern, replacement, theirs)
            tensors[ours] = theirs
        return cls(tensors, **kwargs)

    @classmethod
    def from_patterns(
        cls, pairs: Iterable[tuple[str, str]], n_layers: int, ignore: tuple[str, ...] = ()
    ) -> "KeyMap":
        """From (checkpoint pattern, zoo pattern) pairs in which `{i}` stands for a layer index. When several
        checkpoint names map to one zoo name, the first is the tensor and the others are its tied aliases."""
        tensors: dict[str, Source] = {}
        aliases: dict[str, str] = {}
        for theirs_pattern, ours_pattern in pairs:
            for i in range(n_layers) if "{i}" in theirs_pattern else [None]:
                theirs, ours = theirs_pattern.format(i=i), ours_pattern.format(i=i)
                if ours in tensors:
                    aliases[theirs] = source_name(tensors[ours])
                else:
                    tensors[ours] = theirs
        return cls(tensors, aliases, ignore)

    def with_prefix(self, prefix: str) -> "KeyMap":
        """The same map for a checkpoint that nests the model under `prefix` (e.g. "bert." in BertForPreTraining)."""
        if not prefix:
            return self
        return KeyMap(
            {ours: _prefixed(prefix, src) for ours, src in self.tensors.items()},
            {prefix + copy: prefix + name for copy, name in self.aliases.items()},
            self.ignore,
            self.optional,
        )

    def checkpoint_names(self) -> set[str]:
        return {name for src in self.tensors.values() for name in source_names(src)}

    def is_ignored(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in self.ignore)


def source_names(src: Source) -> tuple[str, ...]:
    if isinstance(src, str):
        return (src,)
    return src[0] if isinstance(src[0], tuple) else (src[0],)


def source_name(src: Source) -> str:
    return ", ".join(source_names(src))


def _prefixed(prefix: str, src: Source) -> Source:
    if isinstance(src, str):
        return prefix + src
    names, fn = src
    return (tuple(prefix + n for n in names), fn) if isinstance(names, tuple) else (prefix + names, fn)


def _read(source: Mapping[str, torch.Tensor], src: Source) -> torch.Tensor:
    if isinstance(src, str):
        return source[src]
    names, fn = src
    return fn([source[n] for n in names]) if isinstance(names, tuple) else fn(source[names])


@dataclass(frozen=True)
class LoadReport:
    loaded: int  # zoo tensors filled
    ignored: tuple[str, ...]  # checkpoint tensors the map declared unneeded and that were present


def convert(source: Mapping[str, torch.Tensor], key_map: KeyMap | Mapping[str, Source]) -> dict[str, torch.Tensor]:
    """The checkpoint in zoo names. Raises CheckpointMismatch if a tensor is missing or one is left unused."""
    out, _, problems = _convert(source, _as_map(key_map))
    if problems:
        raise CheckpointMismatch("the checkpoint does not match the key map", problems)
    return out


def _convert(
    source: Mapping[str, torch.Tensor], key_map: KeyMap
) -> tuple[dict[str, torch.Tensor], list[str], list[str]]:
    """(tensors in zoo names, checkpoint names ignored as declared, problems found)."""
    problems: list[str] = []
    out: dict[str, torch.Tensor] = {}
    used: set[str] = set()
    for ours, src in key_map.tensors.items():
        names = source_names(src)
        absent = [n for n in names if n not in source]
        if absent:
            if not any(fnmatch.fnmatchcase(ours, pattern) for pattern in key_map.optional):
                problems += [f"missing in checkpoint: {n!r} (for {ours!r})" for n in absent]
            continue
        used.update(names)
        try:
            out[ours] = _read(source, src)
        except Exception as e:  # a reshape of a tensor of the wrong size
            shapes = ", ".join(f"{n!r} {tuple(source[n].shape)}" for n in names)
            problems.append(f"cannot convert {shapes} for {ours!r}: {e}")
    for copy, name in key_map.aliases.items():
        if copy not in source:
            continue  # tied copies are often saved once only
        used.add(copy)
        if name in source and not source[copy].is_meta and not torch.equal(source[copy], source[name]):
            problems.append(f"{copy!r} should be a tied copy of {name!r} but holds other values")
    ignored = sorted(k for k in source if k not in used and key_map.is_ignored(k))
    unused = sorted(k for k in source if k not in used and not key_map.is_ignored(k))
    problems += [f"unused checkpoint tensor: {k!r} {tuple(source[k].shape)}" for k in unused]
    return out, ignored, problems


def load_mapped(
    model: nn.Module, source: Mapping[str, torch.Tensor], key_map: KeyMap | Mapping[str, Source]
) -> LoadReport:
    """Fill every parameter and persistent buffer of `model` from `source` through `key_map`, strictly."""
    state, ignored, problems = _convert(source, _as_map(key_map))
    target = model.state_dict()
    problems += [f"the map fills {ours!r}, which the model does not have" for ours in sorted(set(state) - set(target))]
    for ours, tensor in state.items():
        if ours in target and tuple(tensor.shape) != tuple(target[ours].shape):
            theirs = source_name(_as_map(key_map).tensors[ours])
            problems.append(
                f"shape of {theirs!r}: checkpoint {tuple(tensor.shape)} vs model {ours!r} {tuple(target[ours].shape)}"
            )
    _fill_own_ties(model, state)
    for ours in _optional_absent(state, target, _as_map(key_map)):
        state[ours] = target[ours]  # optional and absent (e.g. BatchNorm's batch counter in pre-2018 files)
    mapped = set(_as_map(key_map).tensors)  # a tensor the map names but could not read is already reported
    unfilled = sorted(set(target) - set(state) - mapped)
    problems += [f"not filled by the checkpoint: {ours!r} {tuple(target[ours].shape)}" for ours in unfilled]
    if problems:
        raise CheckpointMismatch(f"the checkpoint does not fit {type(model).__name__}", problems)
    with torch.no_grad():
        model.load_state_dict(state, strict=True)
    return LoadReport(loaded=len(state), ignored=tuple(ignored))


def _optional_absent(state: Mapping[str, torch.Tensor], target: Mapping[str, torch.Tensor], key_map: KeyMap) -> list[str]:
    return [
        ours for ours in target
        if ours not in state and any(fnmatch.fnmatchcase(ours, pattern) for pattern in key_map.optional)
    ]  # fmt: skip


def _fill_own_ties(model: nn.Module, state: dict[str, torch.Tensor]) -> None:
    """A parameter the model shares under two names (a tied LM head) is filled under both."""
    first_name: dict[int, str] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        first = first_name.setdefault(id(p), name)
        if name not in state and first in state:
            state[name] = state[first]


def _as_map(key_map: KeyMap | Mapping[str, Source]) -> KeyMap:
    return key_map if isinstance(key_map, KeyMap) else KeyMap(dict(key_map))


def reverse(model: nn.Module, key_map: KeyMap) -> dict[str, torch.Tensor]:
    """A checkpoint in the map's layout made from `model`'s own tensors — for tensors copied as they are
    (no transform). Tests use it to write a torchvision- or timm-layout file from the zoo model."""
    own = model.state_dict()
    out = {}
    for ours, src in key_map.tensors.items():
        if not isinstance(src, str):
            raise ValueError(f"{ours!r} is reshaped on load; reverse() only handles plain copies")
        out[src] = own[ours].clone()
    return out
