"""Look inside any registered model: parameter counts, layer summary, FLOPs, graph and source.

No Streamlit here. Two ways in:
- **computed here and now** (a script, the CLI, a notebook, the tests): `summary(key)`,
  `graph_dot(key, depth)`, `graph_json(key)`, `source(key)`, `build_artifact(key)`;
- **cached and isolated** (a server): `artifact(key)` reads `<cache>/<key>-<fingerprint>.json` or has a
  child process build it (see `worker`), because tracing patches torch for the whole process.

    python -m zoo introspect --all      # pre-build every artifact (the Dockerfile does this)
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch

from ..registry import call_model, entry
from .artifacts import (
    build,
    build_artifact,
    cache_dir,
    error_artifact,
    fingerprint,
    inspection_device,
    load,
    save,
    shape_text,
    summarize,
)
from .counting import Memory, ParamCounts, param_counts
from .graph import DEPTHS, MAX_READABLE_EDGES, dots_by_depth, readable_depth, torchview_dot, with_direction
from .graph import graph_json as _graph_json
from .source import Source, source
from .summary import LayerRow, Summary
from .trace import Trace, trace
from .worker import artifact, is_ready

__all__ = [
    "DEPTHS", "MAX_READABLE_EDGES", "LayerRow", "Memory", "ParamCounts", "Source", "Summary", "Trace", "artifact",
    "build", "build_artifact", "cache_dir", "error_artifact", "fingerprint", "graph_dot", "graph_json",
    "inspection_device", "is_ready", "load", "param_counts", "readable_graph_dot", "save", "shape_text",
    "source", "summary", "trace", "with_direction",
]


def _model_and_inputs(key: str, model: torch.nn.Module | None, inputs: Any) -> tuple[torch.nn.Module, Any]:
    """The caller's model and inputs, building whatever is missing."""
    if model is None:
        return build(key)
    if inputs is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        with torch.device(device):
            inputs = entry(key).example_input()
    return model, inputs


def summary(key: str, depth: int | None = None, model: torch.nn.Module | None = None, inputs: Any = None) -> Summary:
    """Layer rows (down to `depth`, all if None), parameter counts, FLOPs/MACs and memory of `key`."""
    s, _ = summarize(*_model_and_inputs(key, model, inputs))
    if depth is None:
        return s
    return dataclasses.replace(s, rows=[r for r in s.rows if r.depth <= depth])


def graph_json(key: str, model: torch.nn.Module | None = None, inputs: Any = None) -> dict:
    """The module-hierarchy graph (nodes with paths, shapes, FLOPs and source lines; edges with shapes)."""
    model, inputs = _model_and_inputs(key, model, inputs)
    return _graph_json(trace(model, inputs, call_model))


def graph_dot(key: str, depth: int = 2, model: torch.nn.Module | None = None, inputs: Any = None, direction: str = "TB") -> str:
    """Architecture graph as Graphviz DOT (laid out later by the browser; no `dot` binary)."""
    model, inputs = _model_and_inputs(key, model, inputs)
    return torchview_dot(key, model, inputs, depth, direction)[0]


def readable_graph_dot(key: str, depth: int = 2, model: torch.nn.Module | None = None, inputs: Any = None) -> tuple[str, int]:
    """(DOT, depth drawn): `depth`, or the deepest shallower one with at most MAX_READABLE_EDGES edges."""
    model, inputs = _model_and_inputs(key, model, inputs)
    dots = dots_by_depth(key, model, inputs)
    drawn = readable_depth(dots, depth)
    return dots[str(drawn)]["dot"], drawn
