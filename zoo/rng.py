"""Randomness that belongs to one computation, so that a seed means the same thing on a busy server.

torch has one default CPU generator per process. A server runs many requests at once, in threads: if one
request calls `torch.manual_seed(1)` and then samples, every draw another thread makes in between shifts
what it gets (text generation with seed 1 gave 4 different texts in 4 tries while someone else browsed).
So a seeded computation in zoo owns its generators and hands them down:

- our own sampling code takes `generator=` explicitly: `gpt.generate`, `lstm.generate`, `ActorCritic.act`,
  `DQN.act`, `VAE.forward` / `VAE.sample`, and every `randperm` / `randn` of the training loops;
- the draws we cannot hand a generator to — `nn.init` inside each layer's constructor, `F.dropout` inside a
  forward pass — run inside `drawing_from(generator)`, which routes every random op *of the calling thread*
  to that generator (a `TorchDispatchMode`; torch keeps the mode stack per thread, so other threads keep
  drawing from wherever they drew before and cannot disturb this one).

Two simpler fixes were rejected. A lock around `torch.manual_seed` (or `torch.random.fork_rng`) only orders
the code that takes the lock: any other thread (a model page's forward pass, a library call) still draws from
the shared generator meanwhile. Re-initialising a freshly built model's parameters from a generator would need
every model's own scheme (orthogonal for PPO, Glorot for GCN, kaiming for `nn.Linear`) written out again;
routing the constructor's own draws keeps each scheme — and gives bit for bit the numbers that
`torch.manual_seed(seed)` followed by the same calls gave, so the recipes of the shipped weights still
reproduce them.

CPU only: the generators here are CPU generators, like everything DeepZoo runs.
"""

from __future__ import annotations

import contextlib
import functools
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["build", "drawing_from", "numpy_generator", "torch_generator"]


def torch_generator(seed: int) -> torch.Generator:
    """A CPU generator of its own, seeded: `torch_generator(s)` draws what `torch.manual_seed(s)` would."""
    return torch.Generator().manual_seed(int(seed))


def numpy_generator(seed: int) -> np.random.Generator:
    return np.random.default_rng(int(seed))


@functools.cache
def _with_generator(op: torch._ops.OpOverload) -> torch._ops.OpOverload | None:
    """The overload of `op` that takes `generator=` and otherwise the same arguments (`aten.randperm.default`
    → `aten.randperm.generator`, `aten.randint.low` → `aten.randint.low_generator`), or None."""
    names = [a.name for a in op._schema.arguments]
    if "generator" in names:
        return op
    for overload in op.overloadpacket.overloads():
        other = getattr(op.overloadpacket, overload)
        other_names = [a.name for a in other._schema.arguments]
        if "generator" in other_names and [n for n in other_names if n != "generator"] == names:
            return other
    return None


def _draws_nothing(func: torch._ops.OpOverload, args: tuple, kwargs: dict) -> bool:
    """True when a random op is called so that it draws nothing: dropout probability 0 (CPU attention with
    dropout_p=0.0 is tagged random all the same) or not training."""
    schema = func._schema.arguments
    names = [a.name for a in schema]
    defaults = {a.name: a.default_value for a in schema if a.has_default_value()}  # omitted: the schema's default
    values = {**defaults, **dict(zip(names, args)), **kwargs}
    return values.get("dropout_p", values.get("p")) == 0 or values.get("train") is False


class _DrawFrom(TorchDispatchMode):
    """Gives every random aten op that was not handed a generator this one. Ops tagged as random that cannot
    take a generator at all raise instead of silently drawing from the shared one."""

    def __init__(self, generator: torch.Generator):
        super().__init__()
        self.generator = generator

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if torch.Tag.nondeterministic_seeded in func.tags and kwargs.get("generator") is None:
            seeded = _with_generator(func)
            if seeded is None and _draws_nothing(func, args, kwargs):
                return func(*args, **kwargs)
            if seeded is None:
                raise RuntimeError(f"{func} draws random numbers but cannot take a generator: it would use the "
                                   "process-wide one, which other requests share")
            func, kwargs["generator"] = seeded, self.generator
        return func(*args, **kwargs)


@contextlib.contextmanager
def drawing_from(generator: torch.Generator) -> Iterator[None]:
    """Within this block, every random draw of the calling thread comes from `generator` (weight init,
    dropout, `torch.randn` without a generator, …); other threads are not affected.

    Keep the block inside one function call: a generator function that yields inside it would leave the mode
    on the stack of whichever thread resumed it. It costs ~10 µs per op, so wrap forward passes and model
    construction, not whole training loops (backward passes and optimiser steps draw nothing)."""
    with _DrawFrom(generator):
        yield


def build(key: str, generator: torch.Generator, **overrides: Any) -> torch.nn.Module:
    """`zoo.create_model(key, **overrides)` with its initial weights drawn from `generator`."""
    from .registry import create_model

    with drawing_from(generator):
        return create_model(key, **overrides)
