"""Measured CPU figures of a model on this machine: latency and peak memory, taken in a worker process.

    zoo.benchmark("resnet50")            # a Measurement: median_ms, times_ms, threads, peak_mb, ...
    zoo.benchmark("resnet50", batch=8, threads=1)

How a figure is taken (one rule for the API, the CLI, the compare page and the guide):
- each model is measured in a **fresh child process** (`python -m zoo.measurement --worker`): a server never runs
  the forward passes, and `torch.set_num_threads` there harms no one, because that process is ours alone;
- the model is built in eval mode with its weights drawn from a generator seeded 0 (as `zoo.introspect`
  builds it), under `torch.inference_mode`;
- "batch n" is the example input's first sample repeated n times (an example that already holds two samples,
  e.g. Inception-v3's, gives batch 1 = its first). A model whose input has no batch dimension (a graph is one
  sample) reports batch n > 1 as not applicable, with the error it raised;
- `warmup` untimed passes first (allocator, oneDNN primitive caches), then at least `MIN_RUNS` and at most
  `runs` timed passes, stopping early once `BUDGET_S` seconds were spent; the figure is their median, and
  every time is kept;
- peak memory is the worker's peak resident set (Linux `VmHWM`, reset through `/proc/self/clear_refs`) above
  what it held before the model was built: weights, activations and the allocator's slack;
- the 1-minute load average is recorded with each figure: on a busy machine latencies are inflated.

Figures are cached per machine in `<introspection cache dir>/benchmark/`, keyed by the model, batch, threads,
input size, runs and warm-up, the machine (CPU model, usable cores, architecture), the torch version, the
model's family file and this file. Models built on the meta device (`card.big`) are never run: they answer
"not runnable here" with their analytic figures (parameters, MACs) from the introspection artifact.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import json
import logging
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from .registry import call_model, card, entry
from .runtime import size_own_process

log = logging.getLogger(__name__)

__all__ = ["Measurement", "Request", "benchmark", "cached", "machine", "measure"]

SCHEMA = 1
DEFAULT_RUNS = 10
DEFAULT_WARMUP = 2
MIN_RUNS = 3
BUDGET_S = 6.0  # timed passes stop once this much time was spent (after MIN_RUNS)
WORKER_TIMEOUT_S = float(os.environ.get("DEEPZOO_BENCHMARK_TIMEOUT", "300"))  # per model
REPO_ROOT = Path(__file__).resolve().parent.parent
WORKER_FAILED = "the benchmark worker"  # how a measurement lost to a crash or a timeout begins its error


# ----------------------------------------------------------------------------- what is asked and what comes back


@dataclass(frozen=True)
class Request:
    """One model measured at one or more batch sizes, with one set of conditions."""

    key: str
    batches: tuple[int, ...] = (1,)
    threads: int | None = None  # None: every usable core (a server passes its per-job budget)
    input_size: int | None = None  # image side or sequence length; None: the model's stated example input
    runs: int = DEFAULT_RUNS
    warmup: int = DEFAULT_WARMUP

    def resolved(self) -> "Request":
        return replace(self, threads=self.threads or _usable_cores(), batches=tuple(sorted(set(self.batches))))


@dataclass(frozen=True)
class Measurement:
    key: str
    batch: int
    runnable: bool  # False: a meta-device giant, never run here
    threads: int | None = None
    warmup: int = 0
    runs: int = 0  # timed passes actually made
    times_ms: tuple[float, ...] = ()
    median_ms: float | None = None
    peak_mb: float | None = None  # peak resident memory above the worker's baseline
    input: str = ""  # shape of what was measured, e.g. "8×3×224×224"
    input_size: int | None = None  # asked-for size; the input kept its stated size when `resized` is False
    resized: bool = False
    machine: str = ""
    torch: str = ""
    load: float | None = None  # 1-minute load average when measured
    error: str = ""  # why there is no figure (e.g. "batch 8 not applicable: RuntimeError")
    params: int | None = None  # analytic, for models that are not run
    macs: int | None = None
    example_input: str = ""  # the input the analytic figures are counted at
    cached: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.median_ms is not None

    def to_json(self) -> dict:
        d = asdict(self)
        d.pop("cached")
        return d

    @classmethod
    def from_json(cls, d: dict, cached: bool = False) -> "Measurement":
        d = {**d, "times_ms": tuple(d.get("times_ms", ()))}
        return cls(**d, cached=cached)


# ----------------------------------------------------------------------------- the API


def benchmark(
    key: str,
    batch: int = 1,
    *,
    threads: int | None = None,
    input_size: int | None = None,
    runs: int = DEFAULT_RUNS,
    warmup: int = DEFAULT_WARMUP,
    use_cache: bool = True,
) -> Measurement:
    """Measured CPU latency and peak memory of `key` at `batch` on this machine (see the module docstring)."""
    req = Request(key, (batch,), threads, input_size, runs, warmup)
    return measure([req], use_cache=use_cache)[0]


def measure(
    requests: Iterable[Request],
    progress: Callable[[int, int, Measurement], None] | None = None,
    use_cache: bool = True,
) -> list[Measurement]:
    """Every (model, batch) of `requests`, in order: from the cache where current, otherwise measured in one
    child process per model. `progress(done, total, measurement)` is called as each figure arrives."""
    reqs = [r.resolved() for r in requests]
    for r in reqs:
        entry(r.key)  # unknown keys fail before any work
        if any(b < 1 for b in r.batches) or r.runs < 1 or r.warmup < 0:
            raise ValueError(f"{r.key}: batch and runs must be positive, warm-up not negative")
    total = sum(len(r.batches) for r in reqs)
    out: dict[tuple[str, int], Measurement] = {}

    def arrived(m: Measurement) -> None:
        out[(m.key, m.batch)] = m
        if progress is not None:
            progress(len(out), total, m)

    for r in reqs:
        if card(r.key).big:
            for m in _not_runnable(r):
                arrived(m)
            continue
        todo = []
        for b in r.batches:
            hit = cached(r.key, b, r.threads, r.input_size, r.runs, r.warmup) if use_cache else None
            if hit is not None:
                arrived(hit)
            else:
                todo.append(b)
        if todo:
            for m in _run_worker(replace(r, batches=tuple(todo))):
                if not m.error.startswith(WORKER_FAILED):  # a crash or a timeout may not happen again: not kept
                    _save(m, r)
                arrived(m)
    return [out[(r.key, b)] for r in reqs for b in r.batches]


def cached(key: str, batch: int = 1, threads: int | None = None, input_size: int | None = None,
           runs: int = DEFAULT_RUNS, warmup: int = DEFAULT_WARMUP) -> Measurement | None:
    """The stored figure for these conditions on this machine, or None (nothing is measured)."""
    if card(key).big:
        return None
    r = Request(key, (batch,), threads, input_size, runs, warmup).resolved()
    for d in _dirs():
        path = d / _file_name(r, batch)
        if path.is_file():
            try:
                return Measurement.from_json(json.loads(path.read_text(encoding="utf-8")), cached=True)
            except (ValueError, TypeError) as e:
                log.warning("ignoring unreadable benchmark cache %s: %s", path, e)
    return None


# ----------------------------------------------------------------------------- models that are not run


def _not_runnable(r: Request) -> list[Measurement]:
    """A giant's analytic figures from its introspection artifact (built in a child process if missing)."""
    from . import introspect

    art = introspect.artifact(r.key)
    summary = art.get("summary") or {}
    params = (summary.get("params") or {}).get("unique")
    return [
        Measurement(r.key, b, runnable=False, machine=machine(), torch=torch.__version__,
                    error="built on the meta device: not runnable here", params=params, macs=summary.get("macs"),
                    example_input=art.get("example_input", ""))
        for b in r.batches
    ]


# ----------------------------------------------------------------------------- the cache


def machine() -> str:
    """What the figures depend on besides the model: CPU model, usable cores, architecture."""
    from .runtime import cpu_name

    return f"{cpu_name()} · {_usable_cores()} cores · {platform.machine()}"


def _usable_cores() -> int:
    from .runtime import usable_cores

    return usable_cores()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@functools.cache
def _engine() -> str:
    return _sha(Path(__file__).read_bytes())


def _fingerprint(r: Request) -> str:
    from .introspect.source import source_file

    parts = {
        "schema": SCHEMA,
        "key": r.key,
        "family": _sha(source_file(r.key).read_bytes()),
        "engine": _engine(),
        "machine": machine(),
        "torch": torch.__version__,
        "threads": r.threads,
        "input_size": r.input_size,
        "runs": r.runs,
        "warmup": r.warmup,
    }
    return _sha(json.dumps(parts, sort_keys=True).encode())[:16]


def _file_name(r: Request, batch: int) -> str:
    return f"{r.key}-b{batch}-{_fingerprint(r)}.json"


def cache_dir() -> Path:
    from .introspect import cache_dir as introspect_cache

    return introspect_cache() / "benchmark"


def _dirs() -> tuple[Path, Path]:
    fallback = Path(tempfile.gettempdir()) / f"deepzoo-benchmark-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    return cache_dir(), fallback


def _save(m: Measurement, r: Request) -> None:
    text = json.dumps(m.to_json(), ensure_ascii=False, sort_keys=True) + "\n"
    for d in _dirs():
        try:
            d.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{m.key}-", suffix=".tmp")
            os.fchmod(fd, 0o644)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, d / _file_name(r, m.batch))
            return
        except OSError as e:
            log.warning("cannot write the benchmark cache in %s (%s); trying the next folder", d, e)
    log.warning("benchmark of %s not cached: no writable folder", m.key)


# ----------------------------------------------------------------------------- the parent side of the worker


def _run_worker(r: Request) -> list[Measurement]:
    """Measure `r` in a child process; a child that dies or times out gives measurements that say so."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    env["OMP_NUM_THREADS"] = str(r.threads)  # the worker's OpenMP team, before torch starts
    cmd = [sys.executable, "-m", "zoo.measurement", "--worker"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(WORKER_TIMEOUT_S, proc.kill)
    killer.start()
    got: list[Measurement] = []
    try:
        proc.stdin.write(json.dumps(asdict(r)))
        proc.stdin.close()
        for line in proc.stdout:
            if line.startswith("{"):
                got.append(Measurement.from_json(json.loads(line)))
        stderr = proc.stderr.read()
        code = proc.wait()
    finally:
        killer.cancel()
    missing = [b for b in r.batches if b not in {m.batch for m in got}]
    if missing:
        tail = " | ".join(stderr.strip().splitlines()[-2:])
        log.error("benchmark worker for %s exited with %s:\n%s", r.key, code, stderr)
        why = "timed out" if code is not None and code < 0 else f"exited with code {code}"
        got += [Measurement(r.key, b, runnable=True, threads=r.threads, machine=machine(), torch=torch.__version__,
                            error=f"{WORKER_FAILED} {why}: {tail}"[:300]) for b in missing]
    return got


# ----------------------------------------------------------------------------- the worker (its own process)


def _rss_kb(field_name: str) -> int | None:
    with contextlib.suppress(OSError, AttributeError):
        m = re.search(rf"{field_name}:\s+(\d+) kB", Path("/proc/self/status").read_text())
        return int(m.group(1)) if m else None
    return None


def _reset_peak() -> bool:
    """Reset this process's peak resident set (Linux ≥ 4.0) to what it holds now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _tensors(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _tensors(v)]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _tensors(v)]
    return []


def _map(x: Any, fn: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    if isinstance(x, torch.Tensor):
        return fn(x)
    if isinstance(x, dict):
        return {k: _map(v, fn) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_map(v, fn) for v in x)
    return x


class NotBatchable(ValueError):
    pass


def batched(inputs: Any, n: int) -> Any:
    """The example's first sample repeated `n` times along the leading dimension every tensor shares."""
    leading = {t.shape[0] if t.dim() else None for t in _tensors(inputs)}
    if len(leading) != 1 or None in leading:
        raise NotBatchable("the example input has no batch dimension shared by every tensor")
    return _map(inputs, lambda t: t[:1].repeat(n, *([1] * (t.dim() - 1))))


def _candidates(example: Any, n: int) -> list[Any]:
    """Inputs that stand for batch `n`, best first. For batch 1 the example as stated comes second: a graph's
    leading dimension counts nodes, so its one sample is the whole example, not its first row."""
    out = []
    with contextlib.suppress(NotBatchable):
        out.append(batched(example, n))
    if n == 1:
        out.append(example)
    if not out:
        raise NotBatchable("the example input has no batch dimension shared by every tensor")
    return out


def resized(inputs: Any, size: int) -> tuple[Any, bool]:
    """(inputs at `size`, True) for images (every tensor N×C×H×W float: resampled to size×size) and token
    sequences (every tensor N×L integer: the sequence tiled or cut to length `size`); otherwise (inputs, False)."""
    ts = _tensors(inputs)
    if ts and all(t.dim() == 4 and t.is_floating_point() for t in ts):
        import torch.nn.functional as F

        return _map(inputs, lambda t: F.interpolate(t, size=(size, size), mode="bilinear", align_corners=False)), True
    if ts and all(t.dim() == 2 and not t.is_floating_point() for t in ts):
        return _map(inputs, lambda t: t.repeat(1, math.ceil(size / t.shape[1]))[:, :size].contiguous()), True
    return inputs, False


def _measure_in_this_process(r: Request, emit: Callable[[Measurement], None]) -> None:
    """Build the model once and time it at each batch; `emit` each figure as it is taken."""
    from . import introspect
    from .introspect import shape_text
    from .rng import drawing_from, torch_generator

    size_own_process(r.threads)  # this process is the worker's alone
    entry(r.key)  # every family imported (labels, vocabularies) before the baseline is taken
    # torch's kernels and the seeded build's dispatch mode (~70 MB on first use) set up before the baseline:
    # they are the worker's memory, not the model's
    with torch.inference_mode(), drawing_from(torch_generator(0)):
        torch.nn.functional.conv2d(torch.randn(1, 1, 8, 8), torch.ones(1, 1, 3, 3)) @ torch.ones(6, 6)
    gc.collect()
    baseline_kb = _rss_kb("VmRSS")
    _reset_peak()
    model, example = introspect.build(r.key, device="cpu")
    is_resized = False
    if r.input_size is not None:
        example, is_resized = resized(example, r.input_size)
    common = dict(key=r.key, runnable=True, threads=torch.get_num_threads(), warmup=max(1, r.warmup),
                  input_size=r.input_size, resized=is_resized, machine=machine(), torch=torch.__version__)
    for b in r.batches:
        try:
            candidates = _candidates(example, b)
        except NotBatchable as e:
            emit(Measurement(**common, batch=b, error=f"batch {b} not applicable: {e}"))
            continue
        gc.collect()
        _reset_peak()
        times: list[float] = []
        failure: Exception | None = None
        with torch.inference_mode():
            for inputs in candidates:
                try:
                    for _ in range(max(1, r.warmup)):  # at least one untimed pass: it also checks the input fits
                        call_model(model, inputs)
                except Exception as e:  # noqa: BLE001 — the model does not take this input: try the next
                    failure = e
                    continue
                failure = None
                spent = 0.0
                while len(times) < r.runs and (len(times) < MIN_RUNS or spent < BUDGET_S):
                    t0 = time.perf_counter()
                    call_model(model, inputs)
                    times.append(time.perf_counter() - t0)
                    spent += times[-1]
                break
        if failure is not None:
            what = f"input size {r.input_size}" if r.input_size and b == 1 else f"batch {b}"
            emit(Measurement(**common, batch=b, input=shape_text(candidates[0]),
                             error=f"{what} not applicable: {type(failure).__name__}"))
            continue
        peak_kb = _rss_kb("VmHWM")
        emit(Measurement(
            **common, batch=b, runs=len(times), times_ms=tuple(round(t * 1e3, 3) for t in times),
            median_ms=round(statistics.median(times) * 1e3, 3), input=shape_text(inputs),
            peak_mb=round((peak_kb - baseline_kb) / 1024, 1) if peak_kb and baseline_kb else None,
            load=round(os.getloadavg()[0], 2),
        ))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["--worker"]:
        print("usage: python -m zoo.measurement --worker  (a JSON Request on stdin; used by zoo.measurement)", file=sys.stderr)
        return 2
    d = json.loads(sys.stdin.read())
    r = Request(**{**d, "batches": tuple(d["batches"])})

    def emit(m: Measurement) -> None:
        print(json.dumps(m.to_json()), flush=True)

    _measure_in_this_process(r, emit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
