"""One JSON artifact per model: everything the model page shows about it, computed once.

    build_artifact("gpt2")  ->  {"schema", "key", "fingerprint", "device", "example_input",
                                 "summary": {...}, "graph": {...}, "dot": {"1": ..., ...}, "source": {...}}
    or, if the model cannot be inspected, {"schema", "key", "fingerprint", "error": "..."}.

An artifact is stored as `<cache dir>/<key>-<fingerprint>.json`. The fingerprint hashes the model key,
the family's source file, this engine's own source and the torch/torchview/torchinfo versions: editing
`zoo/nlp/gpt.py` makes its models' artifacts stale and no others. The cache dir is `$DEEPZOO_CACHE_DIR`,
else `$XDG_CACHE_HOME/deepzoo/introspect` (default `~/.cache/deepzoo/introspect`); where it is
read-only (a deployed image with pre-built artifacts), new ones go to a folder under the temp dir.
Artifacts hold no timestamps or timings: a build is byte-for-byte reproducible.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import torch

from ..registry import call_model, entry
from ..rng import drawing_from, torch_generator
from .counting import memory, param_counts
from .graph import dots_by_depth, graph_json
from .source import source, source_file
from .summary import Summary, rows_from_trace, torchinfo_text
from .trace import tensors, trace

SCHEMA = 1
log = logging.getLogger(__name__)
_ENGINE_FILES = ("artifacts.py", "counting.py", "graph.py", "source.py", "summary.py", "trace.py")


# --------------------------------------------------------------------------- building


def inspection_device(key: str) -> torch.device:
    """Models whose card says they are big (~150M+ parameters) are built on PyTorch's `meta` device,
    which records shapes but allocates no memory: a GPT-3 card costs nothing to inspect."""
    return torch.device("meta") if entry(key).card.big else torch.device("cpu")


def build(key: str, device: torch.device | str | None = None, **overrides: Any) -> tuple[torch.nn.Module, Any]:
    """(model, example input) on `device` (default: meta for big models, else CPU), in eval mode. On the CPU
    both are drawn from a generator seeded 0 (this thread only, `zoo.rng`), so an artifact is the same on every
    build: a detector's random weights and input decide how many boxes survive, and so its FLOPs."""
    e = entry(key)
    device = torch.device(device) if device is not None else inspection_device(key)
    seeded = drawing_from(torch_generator(0)) if device.type == "cpu" else contextlib.nullcontext()
    with torch.device(device), seeded:  # factory functions and example inputs allocate straight on `device`
        model = e.factory(**overrides)
        inputs = e.example_input()
    return model.eval(), inputs


def shape_text(x: Any) -> str:
    if hasattr(x, "shape"):
        return "×".join(str(d) for d in x.shape)
    if isinstance(x, dict):
        return ", ".join(f"{k}: {shape_text(v)}" for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return ", ".join(shape_text(v) for v in x)
    return type(x).__name__


def summarize(model: torch.nn.Module, inputs: Any) -> tuple[Summary, Any]:
    """(Summary, Trace) of one model on one input, computed here and now."""
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    t = trace(model, inputs, call_model)
    s = Summary(
        rows=rows_from_trace(t),
        text=torchinfo_text(model, inputs, device),
        params=param_counts(model),
        flops=t.flops,
        by_operator=t.by_operator,
        memory=memory(model, tensors(inputs), t.activation_bytes),
        device=str(device.type),
    )
    return s, t


def build_artifact(key: str) -> dict:
    """Everything the model page shows about `key`. Patches torch while torchview traces: run it in a
    process of its own (the CLI, the worker), never inside the server."""
    model, inputs = build(key)
    s, t = summarize(model, inputs)
    src = source(key)
    return {
        "schema": SCHEMA,
        "key": key,
        "fingerprint": fingerprint(key),
        "device": s.device,
        "example_input": shape_text(inputs),
        "summary": s.to_json(),
        "graph": graph_json(t),
        "dot": dots_by_depth(key, model, inputs, deepest=max((n.depth for n in t.nodes if n.kind == "module"), default=1)),
        "source": {"path": src.path, "module": src.module, "factory_line": src.factory_line, "lines": src.lines},
    }


def error_artifact(key: str, error: str) -> dict:
    return {"schema": SCHEMA, "key": key, "fingerprint": fingerprint(key), "error": error}


# --------------------------------------------------------------------------- the cache key


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.lru_cache(maxsize=1)
def _engine() -> dict:
    here = Path(__file__).parent
    return {
        "engine": _sha(b"".join((here / f).read_bytes() for f in _ENGINE_FILES)),
        **{pkg: version(pkg) for pkg in ("torch", "torchview", "torchinfo")},
        "schema": SCHEMA,
    }


def fingerprint(key: str) -> str:
    parts = {"key": key, "family": _sha(source_file(key).read_bytes()), **_engine()}
    return _sha(json.dumps(parts, sort_keys=True).encode())[:16]


# --------------------------------------------------------------------------- the store


def cache_dir() -> Path:
    if os.environ.get("DEEPZOO_CACHE_DIR"):
        return Path(os.environ["DEEPZOO_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "deepzoo" / "introspect"


def fallback_dir() -> Path:
    """Where new artifacts go when the cache dir is read-only."""
    return Path(tempfile.gettempdir()) / f"deepzoo-introspect-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


def _name(key: str) -> str:
    return f"{key}-{fingerprint(key)}.json"


def stored_path(key: str) -> Path | None:
    name = _name(key)
    for d in (cache_dir(), fallback_dir()):
        if (d / name).is_file():
            return d / name
    return None


def load(key: str) -> dict | None:
    """The stored, current artifact of `key`, or None."""
    path = stored_path(key)
    if path is None:
        return None
    return _read(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)  # a page reads its artifact several times per rerun
def _read(path: str, mtime_ns: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def save(key: str, data: dict) -> Path:
    """Write atomically (a reader never sees half a file) and drop stale versions of the same key."""
    text = dumps(data)
    for d in (cache_dir(), fallback_dir()):
        try:
            d.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{key}-", suffix=".tmp")
            os.fchmod(fd, 0o644)  # readable by the server user when pre-built at image build time
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            path = d / _name(key)
            os.replace(tmp, path)
        except OSError as e:
            log.warning("cannot write introspection cache in %s (%s); trying the next folder", d, e)
            continue
        for stale in d.glob(f"{key}-*.json"):
            if stale != path and stale.name[len(key) + 1 : -5].isalnum() and len(stale.name) == len(path.name):
                stale.unlink(missing_ok=True)
        return path
    raise OSError("no writable folder for introspection artifacts; set DEEPZOO_CACHE_DIR")
