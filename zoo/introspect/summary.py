"""The Layers view: one row per module (and per functional op that does arithmetic), with shapes,
parameters, MACs and FLOPs that add up.

The rules, stated once (the app's help text says the same):
- FLOPs are counted by `torch.utils.flop_counter` for matrix products, convolutions and attention:
  one multiply-add is 2 FLOPs. Element-wise work (activations, norms, softmax) is not counted.
- MACs = FLOPs / 2 (one MAC is one multiply-add).
- A module's row includes everything that ran inside it; the rows at depth 1 sum to the total, and
  each row is the sum of its children.
- Parameters count each tensor once (tied weights once), under the first module that owns them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import torch

from .counting import Memory, ParamCounts
from .trace import Trace


@dataclass(frozen=True)
class LayerRow:
    name: str  # dotted module path, e.g. "layer1.0.conv1"; an op is "<module path>/<function>"
    type: str  # class name, or the function's name for an op
    kind: str  # "module" | "op"
    parent: str  # name of the enclosing row ("" at depth 1)
    depth: int
    input_shape: str
    output_shape: str
    params: int  # parameters owned by this module and its children
    macs: int
    flops: int
    calls: int = 1  # how many times the forward called it (a shared module is one row)


@dataclass(frozen=True)
class Summary:
    rows: list[LayerRow]
    text: str  # torchinfo's table (shapes and parameters)
    params: ParamCounts
    flops: int  # one forward pass on the example input
    by_operator: dict[str, int]
    memory: Memory
    device: str  # "cpu", or "meta" for models too big to allocate here

    @property
    def macs(self) -> int:
        return self.flops // 2

    @property
    def estimated_total_mb(self) -> float:
        return self.memory.total / 2**20

    def to_json(self) -> dict:
        return {
            "rows": [asdict(r) for r in self.rows],
            "text": self.text,
            "params": self.params.to_json(),
            "flops": self.flops,
            "macs": self.macs,
            "by_operator": self.by_operator,
            "memory": self.memory.to_json(),
            "device": self.device,
        }

    @classmethod
    def from_json(cls, d: dict) -> "Summary":
        mem = {k: v for k, v in d["memory"].items() if k != "total"}
        return cls(
            rows=[LayerRow(**r) for r in d["rows"]],
            text=d["text"],
            params=ParamCounts(**d["params"]),
            flops=d["flops"],
            by_operator=d["by_operator"],
            memory=Memory(**mem),
            device=d["device"],
        )


def _shapes(shapes: list[list[int]]) -> str:
    return ", ".join(str(s) for s in shapes)


def rows_from_trace(trace: Trace) -> list[LayerRow]:
    """Module calls merged by path (a module called twice is one row with calls=2), and every op with
    FLOPs. The model itself (depth 0) is the total, not a row."""
    by_id = {n.id: n for n in trace.nodes}
    row_of: dict[str, str] = {}  # node id -> row name
    rows: dict[str, dict] = {}
    for n in trace.nodes:
        if n.kind == "module" and n.depth > 0:
            name = n.path
        elif n.kind == "op" and n.flops > 0:
            name = n.id
        else:
            if n.kind == "module":
                row_of[n.id] = ""
            continue
        row_of[n.id] = name
        if name in rows:
            rows[name]["flops"] += n.flops
            rows[name]["calls"] += 1
            continue
        parent = by_id.get(n.parent) if n.parent else None
        rows[name] = dict(
            name=name,
            type=n.type,
            kind=n.kind,
            parent=row_of.get(parent.id, "") if parent else "",
            depth=n.depth,
            input_shape=_shapes(n.inputs),
            output_shape=_shapes(n.outputs),
            params=n.params,
            flops=n.flops,
            calls=1,
        )
    return [LayerRow(macs=r["flops"] // 2, **r) for r in rows.values()]


def torchinfo_text(model: torch.nn.Module, inputs: Any, device: torch.device, depth: int = 3) -> str:
    """torchinfo's familiar table, without its MACs column (its hooks count a Linear on (1, T, d) once,
    not T times, and miss attention): shapes and parameters only."""
    import torchinfo

    data = list(inputs) if isinstance(inputs, tuple) else inputs
    stats = torchinfo.summary(
        model, input_data=data, depth=depth, device=device, verbose=0,
        col_names=("input_size", "output_size", "num_params"), row_settings=("var_names",), mode="eval",
    )
    torchinfo.torchinfo.clear_cached_forward_pass()  # it keeps the last model of each class alive otherwise
    return str(stats)
