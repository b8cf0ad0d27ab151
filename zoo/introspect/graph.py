"""Architecture graphs: the module-hierarchy graph as JSON (what an interactive viewer draws), and
torchview's Graphviz DOT at each depth the model page offers (laid out in the browser; no `dot` binary).

Graph JSON (schema 1):
    {"nodes": [{"id", "kind", "type", "path", "parent", "depth", "leaf", "inputs", "outputs",
                "params", "flops", "macs", "class_file", "class_line", "call_file", "call_line"}, ...],
     "edges": [{"src", "dst", "shape"}, ...]}
Edges join leaf nodes (leaf modules, ops, the input and the output); a group node (a module whose
forward calls others) is the `parent` of what it contains, so a viewer can fold or unfold it.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import torch

from .trace import Trace

MAX_READABLE_EDGES = 400  # beyond this a browser layout takes seconds and nobody can read it
DEPTHS = (1, 2, 3, 4)  # what the Architecture tab offers


def graph_json(trace: Trace) -> dict:
    nodes = [{**n.__dict__, "macs": n.flops // 2} for n in trace.nodes]
    return {"schema": 1, "nodes": nodes, "edges": [e.__dict__ for e in trace.edges]}


def torchview_dot(key: str, model: torch.nn.Module, inputs: Any, depth: int, direction: str = "TB") -> tuple[str, int]:
    """(DOT, number of edges). `roll=True` folds repeated blocks (96 identical GPT-3 layers).

    torchview patches torch functions and `nn.Module.__call__` for the whole process while it traces:
    call it only where nothing else runs (the introspection worker, the CLI, tests)."""
    import torchview

    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    data = list(inputs) if isinstance(inputs, tuple) else inputs
    with contextlib.redirect_stdout(io.StringIO()):
        g = torchview.draw_graph(
            model, input_data=data, depth=depth, device=device, expand_nested=True, roll=True,
            graph_dir=direction, graph_name=key,
        )
    edges = sum(1 for line in g.visual_graph.body if "->" in line)
    return g.visual_graph.source, edges


def with_direction(dot: str, direction: str) -> str:
    """The same graph laid out left-to-right ("LR") or top-to-bottom ("TB")."""
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR', not {direction!r}")
    return dot.replace("rankdir=TB", f"rankdir={direction}", 1)


def dots_by_depth(
    key: str, model: torch.nn.Module, inputs: Any, max_edges: int = MAX_READABLE_EDGES, deepest: int | None = None
) -> dict[str, dict]:
    """{"1": {"dot", "edges"}, "2": ...}: every offered depth whose graph stays readable, and depth 1
    always (ResNet-152 at depth 3 has 608 edges; GPT-3's 96 blocks at depth 2, 967). Past `deepest`
    (the deepest module nesting) every depth draws the same graph: it is stored, not traced again."""
    out: dict[str, dict] = {}
    for d in DEPTHS:
        if deepest is not None and d > max(deepest, 1):
            out[str(d)] = out[str(d - 1)]
            continue
        dot, edges = torchview_dot(key, model, inputs, d)
        if d > 1 and edges > max_edges:
            break  # deeper graphs only grow
        out[str(d)] = {"dot": dot, "edges": edges}
    return out


def readable_depth(dots: dict[str, dict], depth: int) -> int:
    """The requested depth, or the deepest shallower one that was kept as readable."""
    kept = [int(d) for d in dots if int(d) <= depth]
    return max(kept) if kept else 1
