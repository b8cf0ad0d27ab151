"""One instrumented forward pass that everything else is read from.

`trace(model, inputs)` runs the model once and records
- every **module call** (its path, class, enclosing call, input and output shapes, where its class is
  defined and the line of the parent's `forward` that called it),
- every **functional op** a module's own `forward` calls (`x + identity`, `q @ k.transpose(-2, -1)`,
  `F.scaled_dot_product_attention`, …), except inside leaf modules,
- the **tensor edges** between leaf modules and ops, each with its shape,
- **FLOPs** from one counter, `torch.utils.flop_counter.FlopCounterMode`, read before and after every
  call, so a module's figure is exactly the sum of what ran inside it and rows add up to the total.

Why not torchinfo's MACs: its hooks count a Linear on (1, T, d) once instead of T times and miss
attention matmuls. Why not torchview's graph: it patches torch process-wide and has no module paths
or source lines; this tracer only adds hooks to the one model it traces.

Leaves are modules with no children, and torch.nn's own layers (Conv2d, LayerNorm, MultiheadAttention)
other than its containers: their internals are PyTorch's, not the architecture's.
"""

from __future__ import annotations

import inspect
import sys
import weakref
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

REPO_ROOT = Path(__file__).resolve().parents[2]
_TAG = "_deepzoo_src"  # attribute naming the graph node that produced a tensor (removed after the trace)

# Ops that only change how a tensor is viewed: the edge passes through them, no node is drawn.
VIEW_OPS = frozenset(
    """view view_as reshape reshape_as flatten unflatten permute transpose t T mT H contiguous unsqueeze
    squeeze expand expand_as getitem to float half double bfloat16 type type_as detach clone data real
    chunk split unbind narrow select movedim swapaxes repeat_interleave_view cpu cuda requires_grad_""".split()
)
_CONTAINERS = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)


@dataclass
class Node:
    id: str  # unique and stable: module path ("layer1.0.conv1"), "#2" on a second call; ops "path/add"
    kind: str  # "input" | "module" | "op" | "output"
    type: str  # class name for modules, function name for ops
    path: str  # module path ("" is the model itself); for ops, the module whose forward called them
    parent: str | None  # id of the enclosing module call
    depth: int  # nesting in the call tree: the model is 0, what its forward calls is 1, ...
    leaf: bool
    inputs: list[list[int]] = field(default_factory=list)  # shapes of tensor inputs
    outputs: list[list[int]] = field(default_factory=list)
    params: int = 0  # unique parameters of the module and its children (first call only)
    flops: int = 0  # counted inside this call (children included)
    class_file: str | None = None  # where the module's class is defined
    class_line: int | None = None
    call_file: str | None = None  # the line of the parent's forward that made this call
    call_line: int | None = None


@dataclass
class Edge:
    src: str
    dst: str
    shape: list[int]


@dataclass
class Trace:
    nodes: list[Node]
    edges: list[Edge]
    flops: int
    by_operator: dict[str, int]  # FLOPs per aten operator, largest first
    activation_bytes: int  # every tensor a leaf module or op produced, each counted once

    def to_json(self) -> dict:
        return {
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [asdict(e) for e in self.edges],
            "flops": self.flops,
            "by_operator": self.by_operator,
            "activation_bytes": self.activation_bytes,
        }


def _rnn_layer_flops(x, w_ih, w_hh, *args, out_shape=None, **kwargs) -> int:
    """One recurrent layer in one direction (`aten.mkldnn_rnn_layer`, how nn.LSTM runs on CPU): at every
    step the gates' two matrix products W_ih x_t and W_hh h_{t-1}, as the counter counts matmuls (the
    element-wise gate arithmetic, like every other element-wise op, is not counted). `x` is (T, B, I), or
    (tokens, I) for a packed sequence."""
    batch_sizes = args[5] if len(args) > 5 else None
    tokens = x[0] if batch_sizes else x[0] * x[1]
    return 2 * tokens * w_ih[0] * (w_ih[1] + w_hh[1])


def flop_counter() -> FlopCounterMode:
    """torch's FLOP counter, taught two CPU kernels it has no formula for: the fused flash kernel SDPA runs
    on CPU (the same work as SDPA), and oneDNN's recurrent layer behind nn.LSTM (whose FLOPs were otherwise
    0, while LSTMCell and GRU were counted)."""
    fused_cpu = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu
    return FlopCounterMode(
        display=False,
        custom_mapping={
            fused_cpu: lambda q, k, v, *args, out_shape=None, **kw: sdpa_flop_count(q, k, v),
            torch.ops.aten.mkldnn_rnn_layer: _rnn_layer_flops,
        },
    )


def trace(model: torch.nn.Module, inputs: Any, call: Any) -> Trace:
    """Run `call(model, inputs)` once under the tracer (no grad) and return what it saw."""
    return _Tracer(model).run(inputs, call)


# --------------------------------------------------------------------------- implementation


def tensors(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, dict):
        return [t for v in x.values() for t in tensors(v)]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in tensors(v)]
    return []


def _shape(t: torch.Tensor) -> list[int]:
    return [int(d) for d in t.shape]


def _where(obj: Any) -> tuple[str | None, int | None]:
    """(file, line) of a class or function: repo-relative for DeepZoo code, package-relative otherwise
    (so artifacts are the same on every machine)."""
    try:
        path = Path(inspect.getsourcefile(obj) or "")
        line = inspect.getsourcelines(obj)[1]
    except (TypeError, OSError):
        return None, None
    try:
        return str(path.resolve().relative_to(REPO_ROOT)), line
    except ValueError:
        module = getattr(obj, "__module__", "") or ""
        return module.replace(".", "/") + ".py", line


def _relative(filename: str) -> str:
    path = Path(filename).resolve()
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:  # a file of an installed package: from the package's top folder on
        parts = path.parts
        for anchor in ("site-packages", "dist-packages"):
            if anchor in parts:
                return "/".join(parts[parts.index(anchor) + 1 :])
        return path.name


def _op_name(func: Any) -> str:
    name = getattr(func, "__name__", None) or str(func)
    if name == "__get__":  # a property such as Tensor.T
        name = getattr(getattr(func, "__self__", None), "__name__", name)
    if name.startswith("__") and name.endswith("__"):
        name = name[2:-2]
        if name.startswith(("r", "i")) and name[1:] in {"add", "sub", "mul", "truediv", "matmul", "pow", "floordiv", "mod"}:
            name = name[1:] if name[0] == "r" else name[1:] + "_"
    return name


def _is_leaf(module: torch.nn.Module) -> bool:
    if next(module.children(), None) is None:
        return True
    return type(module).__module__.startswith("torch.nn") and not isinstance(module, _CONTAINERS)


class _Tracer(TorchFunctionMode):
    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model
        self.paths = {m: name for name, m in model.named_modules()}  # a shared module keeps its first name
        self.leaf = {m: _is_leaf(m) for m in self.paths}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.stack: list[tuple[Node, torch.nn.Module, int, list]] = []  # open calls
        self.inside_leaf = 0
        self.ids: dict[str, int] = {}
        self.seen_params: set[torch.nn.Module] = set()
        self.tagged: list[weakref.ref] = []
        self.produced: dict[int, int] = {}  # id(tensor) -> bytes, for the activation estimate
        self._keep: list[torch.Tensor] = []  # produced tensors stay alive so ids are not reused
        self.counter = flop_counter()
        self.classes: dict[type, tuple[str | None, int | None]] = {}

    # ---- bookkeeping

    def _flops_now(self) -> int:
        return sum(self.counter.flop_counts["Global"].values())

    def _new_id(self, base: str) -> str:
        n = self.ids.get(base, 0) + 1
        self.ids[base] = n
        return base if n == 1 else f"{base}#{n}"

    def _connect(self, node: Node, sources: list[tuple[str, list[int]]]) -> None:
        seen = set()
        for src, shape in sources:
            if (src, tuple(shape)) not in seen:
                seen.add((src, tuple(shape)))
                self.edges.append(Edge(src, node.id, shape))

    def _sources(self, tensors: list[torch.Tensor]) -> list[tuple[str, list[int]]]:
        return [(getattr(t, _TAG), _shape(t)) for t in tensors if getattr(t, _TAG, None) is not None]

    def _tag(self, tensors: list[torch.Tensor], node_id: str) -> None:
        for t in tensors:
            if isinstance(t, torch.nn.Parameter):
                continue
            setattr(t, _TAG, node_id)
            self.tagged.append(weakref.ref(t))
            if id(t) not in self.produced:
                self.produced[id(t)] = t.numel() * t.element_size()
                self._keep.append(t)

    @staticmethod
    def _call_site(caller: torch.nn.Module | None) -> tuple[str | None, int | None]:
        """The line of `caller`'s code (its forward, or a method it calls) that is running right now:
        where a child module or an op was called from."""
        frame = sys._getframe(2) if caller is not None else None
        for _ in range(40):
            if frame is None:
                break
            if frame.f_locals.get("self") is caller:
                return _relative(frame.f_code.co_filename), frame.f_lineno
            frame = frame.f_back
        return None, None

    # ---- module hooks

    def _pre(self, module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        if self.inside_leaf:
            self.inside_leaf += 1  # a module inside a leaf (e.g. MultiheadAttention.out_proj) is not drawn
            return
        path = self.paths.get(module, type(module).__name__)
        parent = self.stack[-1] if self.stack else None
        leaf = self.leaf.get(module, True)
        if type(module) not in self.classes:
            self.classes[type(module)] = _where(type(module))
        class_file, class_line = self.classes[type(module)]
        call_file, call_line = self._call_site(parent[1] if parent else None)
        inputs = tensors(args) + tensors(kwargs)
        node = Node(
            id=self._new_id(path or "model"),
            kind="module",
            type=type(module).__name__,
            path=path,
            parent=parent[0].id if parent else None,
            depth=len(self.stack),
            leaf=leaf,
            inputs=[_shape(t) for t in inputs],
            params=0 if module in self.seen_params else sum(p.numel() for p in module.parameters()),
            class_file=class_file,
            class_line=class_line,
            call_file=call_file,
            call_line=call_line,
        )
        self.seen_params.add(module)
        self.nodes.append(node)
        self.stack.append((node, module, self._flops_now(), self._sources(inputs)))
        if leaf:
            self.inside_leaf = 1

    def _post(self, module: torch.nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
        if self.inside_leaf > 1:
            self.inside_leaf -= 1
            return
        self.inside_leaf = 0
        node, _, flops_before, sources = self.stack.pop()
        node.flops = self._flops_now() - flops_before
        outs = tensors(output)
        node.outputs = [_shape(t) for t in outs]
        if node.leaf:  # a group's inputs and outputs are wired through the nodes inside it
            self._connect(node, sources)
            self._tag(outs, node.id)

    # ---- functional ops called by a module's own forward

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if self.inside_leaf or not self.stack:
            return func(*args, **kwargs)
        before = self._flops_now()
        result = func(*args, **kwargs)
        outs = tensors(result)
        if not outs:
            return result
        flops = self._flops_now() - before
        name = _op_name(func)
        sources = self._sources(tensors(args) + tensors(kwargs))
        distinct = {s for s, _ in sources}
        if flops == 0 and (not distinct or (name in VIEW_OPS and len(distinct) == 1)):
            if distinct:  # a view: the edge passes through, from the tensor's producer
                self._tag_passthrough(outs, distinct.pop())
            return result
        parent = self.stack[-1][0]
        node = Node(
            id=self._new_id(f"{parent.path or 'model'}/{name}"),
            kind="op",
            type=name,
            path=parent.path,
            parent=parent.id,
            depth=parent.depth + 1,
            leaf=True,
            inputs=[_shape(t) for t in tensors(args) + tensors(kwargs)],
            outputs=[_shape(t) for t in outs],
            flops=flops,
        )
        node.call_file, node.call_line = self._call_site(self.stack[-1][1])
        self.nodes.append(node)
        self._connect(node, sources)
        self._tag(outs, node.id)
        return result

    def _tag_passthrough(self, tensors: list[torch.Tensor], src: str) -> None:
        for t in tensors:
            if not isinstance(t, torch.nn.Parameter):
                setattr(t, _TAG, src)
                self.tagged.append(weakref.ref(t))

    # ---- the run

    def run(self, inputs: Any, call: Any) -> Trace:
        handles = []
        for m in self.paths:
            handles.append(m.register_forward_pre_hook(self._pre, with_kwargs=True))
            handles.append(m.register_forward_hook(self._post, with_kwargs=True, always_call=True))
        given = tensors(inputs)
        for i, t in enumerate(given):
            node = Node(id=f"input{i}" if len(given) > 1 else "input", kind="input", type="input", path="",
                        parent=None, depth=0, leaf=True, outputs=[_shape(t)])
            self.nodes.append(node)
            self._tag([t], node.id)
        try:
            with self.counter, self, torch.no_grad():
                output = call(self.model, inputs)
            outs = tensors(output)
            for i, t in enumerate(outs):
                node = Node(id=f"output{i}" if len(outs) > 1 else "output", kind="output", type="output", path="",
                            parent=None, depth=0, leaf=True, inputs=[_shape(t)])
                self.nodes.append(node)
                self._connect(node, self._sources([t]))
        finally:
            for h in handles:
                h.remove()
            for ref in self.tagged:
                t = ref()
                if t is not None and hasattr(t, _TAG):
                    delattr(t, _TAG)
        per_op = self.counter.get_flop_counts().get("Global", {})
        by_op = {str(op).removeprefix("aten."): int(n) for op, n in per_op.items()}
        input_ids = {id(t) for t in given}
        activations = sum(b for i, b in self.produced.items() if i not in input_ids)
        self._keep.clear()
        return Trace(
            nodes=self.nodes,
            edges=self.edges,
            flops=int(self.counter.get_total_flops()),
            by_operator=dict(sorted(by_op.items(), key=lambda kv: (-kv[1], kv[0]))),
            activation_bytes=activations,
        )
