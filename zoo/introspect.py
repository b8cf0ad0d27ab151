"""Look inside any registered model: parameter counts, layer summary, FLOPs, graph and source.

No Streamlit here: the app, the CLI and the tests all call these functions. Models whose card
says they are bigger than ~150M parameters are built on PyTorch's `meta` device, which records
shapes but allocates no memory, so a GPT-3 card costs nothing to inspect.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from .registry import call_model, entry

REPO_ROOT = Path(__file__).resolve().parent.parent

# torchview and torchinfo patch nn.Module.__call__ globally while they trace, and the flop counter
# is a global dispatch mode: one trace at a time per process, so concurrent app sessions don't mix.
_TRACE_LOCK = threading.RLock()


# --------------------------------------------------------------------------- building


def inspection_device(key: str) -> torch.device:
    return torch.device("meta") if entry(key).card.big else torch.device("cpu")


def build(key: str, device: torch.device | str | None = None, **overrides: Any) -> tuple[torch.nn.Module, Any]:
    """(model, example input) on `device` (default: meta for big models, else CPU), in eval mode."""
    e = entry(key)
    device = torch.device(device) if device is not None else inspection_device(key)
    with torch.device(device):  # factory functions and example inputs allocate straight on `device`
        model = e.factory(**overrides)
        inputs = e.example_input()
    return model.eval(), inputs


def _model_and_inputs(key: str, model: torch.nn.Module | None, inputs: Any) -> tuple[torch.nn.Module, Any]:
    """The caller's model and inputs, building whatever is missing (inputs are moved to the model later)."""
    if model is None:
        return build(key)
    return model, inputs if inputs is not None else entry(key).example_input()


def _to_device(inputs: Any, device: torch.device) -> Any:
    if isinstance(inputs, torch.Tensor):
        return inputs.to(device)
    if isinstance(inputs, dict):
        return {k: _to_device(v, device) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_to_device(v, device) for v in inputs)
    return inputs


def _device_of(model: torch.nn.Module) -> torch.device:
    p = next(model.parameters(), None)
    return p.device if p is not None else torch.device("cpu")


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ParamCounts:
    total: int  # every parameter slot, a tied tensor counted each place it is used
    unique: int  # each distinct tensor once (what papers report for tied embeddings)
    trainable: int  # unique and requires_grad
    buffers: int  # non-learned state, e.g. BatchNorm running statistics

    @property
    def tied(self) -> int:
        return self.total - self.unique


def param_counts(model: torch.nn.Module) -> ParamCounts:
    every = list(model.named_parameters(remove_duplicate=False))
    unique = {id(p): p for _, p in every}
    return ParamCounts(
        total=sum(p.numel() for _, p in every),
        unique=sum(p.numel() for p in unique.values()),
        trainable=sum(p.numel() for p in unique.values() if p.requires_grad),
        buffers=sum(b.numel() for b in model.buffers()),
    )


# --------------------------------------------------------------------------- FLOPs


@dataclass(frozen=True)
class FlopReport:
    flops: int  # floating-point operations of one forward pass on the example input
    by_operator: dict[str, int]

    @property
    def macs(self) -> int:
        return self.flops // 2


def flops(model: torch.nn.Module, inputs: Any) -> FlopReport:
    """FLOPs counted by torch.utils.flop_counter: convolutions, linear layers *and* the attention
    matmuls (bmm / scaled_dot_product_attention), which layer-hook counters miss."""
    from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

    # On CPU, SDPA dispatches to a fused kernel the counter has no formula for; count it like SDPA.
    fused_cpu = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
    counter = FlopCounterMode(
        display=False,
        custom_mapping={fused_cpu: lambda q, k, v, *args, out_shape=None, **kw: sdpa_flop_count(q, k, v)},
    )
    with _TRACE_LOCK, counter, torch.no_grad():
        call_model(model, _to_device(inputs, _device_of(model)))
    per_op = counter.get_flop_counts().get("Global", {})
    by_op = {str(op).removeprefix("aten."): int(n) for op, n in per_op.items()}
    return FlopReport(int(counter.get_total_flops()), dict(sorted(by_op.items(), key=lambda kv: -kv[1])))


# --------------------------------------------------------------------------- layer summary


@dataclass(frozen=True)
class LayerRow:
    name: str  # dotted path, e.g. "layer1.0.conv1"
    type: str  # class name
    depth: int
    output_shape: str
    params: int  # parameters owned by this layer and its children
    trainable: int
    macs: int


@dataclass(frozen=True)
class Summary:
    rows: list[LayerRow]
    text: str  # torchinfo's table
    params: ParamCounts
    macs: int  # from torchinfo (conv/linear hooks)
    flops: FlopReport  # from torch's flop counter (includes attention)
    input_mb: float
    forward_backward_mb: float
    params_mb: float
    device: str

    @property
    def estimated_total_mb(self) -> float:
        return self.input_mb + self.forward_backward_mb + self.params_mb


def summary(key: str, depth: int = 3, model: torch.nn.Module | None = None, inputs: Any = None) -> Summary:
    """torchinfo summary of `key` as structured rows plus the text table."""
    import torchinfo

    model, inputs = _model_and_inputs(key, model, inputs)
    device = _device_of(model)
    inputs = _to_device(inputs, device)
    data = list(inputs) if isinstance(inputs, tuple) else inputs
    with _TRACE_LOCK:
        stats = torchinfo.summary(
            model,
            input_data=data,
            depth=depth,
            device=device,
            verbose=0,
            col_names=("output_size", "num_params", "mult_adds"),
            row_settings=("var_names",),
            mode="eval",
        )
    rows = []
    for layer in stats.summary_list:
        if layer.depth > depth or layer.depth == 0:
            continue
        rows.append(
            LayerRow(
                name=_dotted_name(layer),
                type=layer.class_name,
                depth=layer.depth,
                output_shape=str(list(layer.output_size)) if layer.output_size else "",
                params=int(layer.num_params),
                trainable=int(layer.trainable_params),
                macs=int(layer.macs),
            )
        )
    mb = stats.to_megabytes
    return Summary(
        rows=rows,
        text=str(stats),
        params=param_counts(model),
        macs=int(stats.total_mult_adds),
        flops=flops(model, inputs),
        input_mb=mb(stats.total_input),
        forward_backward_mb=mb(stats.total_output_bytes),
        params_mb=mb(stats.total_param_bytes),
        device=str(device),
    )


def _dotted_name(layer: Any) -> str:
    parts = []
    while layer is not None and layer.depth > 0:
        parts.append(layer.var_name)
        layer = layer.parent_info
    return ".".join(reversed(parts))


# --------------------------------------------------------------------------- graph


def graph_dot(
    key: str,
    depth: int = 2,
    model: torch.nn.Module | None = None,
    inputs: Any = None,
    expand_nested: bool = True,
    roll: bool = True,
    direction: str = "TB",
) -> str:
    """Architecture graph as Graphviz DOT source (laid out later by the browser; no `dot` binary).

    `roll=True` folds repeated blocks (e.g. 96 identical GPT-3 layers) so big models stay readable.
    """
    import torchview

    model, inputs = _model_and_inputs(key, model, inputs)
    device = _device_of(model)
    data = list(inputs) if isinstance(inputs, tuple) else inputs
    with _TRACE_LOCK, contextlib.redirect_stdout(io.StringIO()):
        g = torchview.draw_graph(
            model,
            input_data=_to_device(data, device),
            depth=depth,
            device=device,
            expand_nested=expand_nested,
            roll=roll,
            graph_dir=direction,
            graph_name=key,
        )
    return g.visual_graph.source


MAX_READABLE_EDGES = 400  # beyond this a browser layout takes seconds and nobody can read it


def readable_graph_dot(
    key: str,
    depth: int = 2,
    model: torch.nn.Module | None = None,
    inputs: Any = None,
    max_edges: int = MAX_READABLE_EDGES,
    **kwargs: Any,
) -> tuple[str, int]:
    """(DOT, depth used): the requested depth, or the deepest shallower one whose graph stays
    under `max_edges` edges (ResNet-152 at depth 3 has 608; GPT-3's 96 blocks at depth 2, 967)."""
    model, inputs = _model_and_inputs(key, model, inputs)
    for d in range(depth, 0, -1):
        dot = graph_dot(key, depth=d, model=model, inputs=inputs, **kwargs)
        if d == 1 or dot.count("->") <= max_edges:
            return dot, d
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- source


@dataclass(frozen=True)
class Source:
    module: str  # e.g. "zoo.vision.resnet"
    path: str  # relative to the repository root, e.g. "zoo/vision/resnet.py"
    text: str
    factory_line: int  # 1-based line of this key's factory function

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def source(key: str) -> Source:
    """The whole family file that defines `key` (one architecture, one file)."""
    e = entry(key)
    mod = inspect.getmodule(e.factory)
    path = Path(inspect.getsourcefile(e.factory) or "")
    try:
        rel = str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        rel = path.name
    _, line = inspect.getsourcelines(e.factory)
    return Source(module=mod.__name__ if mod else e.module, path=rel, text=path.read_text(encoding="utf-8"), factory_line=line)
