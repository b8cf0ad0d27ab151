"""Parameter counts and memory estimates, each tensor counted once.

A tied tensor (GPT-2's token embedding doubles as its output layer) is one tensor: papers count it
once, and it occupies memory once. `ParamCounts.total` keeps the per-slot count for anyone who asks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

MB = 1024 * 1024


@dataclass(frozen=True)
class ParamCounts:
    total: int  # every parameter slot, a tied tensor counted each place it is used
    unique: int  # each distinct tensor once (what papers report for tied embeddings)
    trainable: int  # unique and requires_grad
    buffers: int  # non-learned state, e.g. BatchNorm running statistics

    @property
    def tied(self) -> int:
        return self.total - self.unique

    def to_json(self) -> dict:
        return asdict(self)


def param_counts(model: torch.nn.Module) -> ParamCounts:
    every = list(model.named_parameters(remove_duplicate=False))
    unique = {id(p): p for _, p in every}
    return ParamCounts(
        total=sum(p.numel() for _, p in every),
        unique=sum(p.numel() for p in unique.values()),
        trainable=sum(p.numel() for p in unique.values() if p.requires_grad),
        buffers=sum(b.numel() for b in model.buffers()),
    )


@dataclass(frozen=True)
class Memory:
    """Bytes one forward pass needs at batch size and dtype of the example input (inference)."""

    params: int  # unique parameter tensors
    buffers: int
    inputs: int
    activations: int  # every tensor a layer or op produced during the forward, each once, none freed

    @property
    def total(self) -> int:
        return self.params + self.buffers + self.inputs + self.activations

    def to_json(self) -> dict:
        return {**asdict(self), "total": self.total}


def tensor_bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in {id(t): t for t in tensors}.values())


def memory(model: torch.nn.Module, inputs: list[torch.Tensor], activation_bytes: int) -> Memory:
    return Memory(
        params=tensor_bytes(model.parameters()),  # parameters() yields a tied tensor once
        buffers=tensor_bytes(model.buffers()),
        inputs=tensor_bytes(inputs),
        activations=activation_bytes,
    )
