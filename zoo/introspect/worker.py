"""Artifacts for a server: read from disk, or built by a separate process, never in the server.

Tracing patches torch process-wide (torchview swaps `nn.Module.__call__` and factory functions while
it runs) and keeps weights alive in library caches; inside a server shared by many sessions that
corrupts other sessions' work and holds memory for good. So a server calls `artifact(key)`:
- an artifact on disk is returned at once;
- otherwise the key joins a queue; a builder thread runs `python -m zoo introspect KEY ... --report`
  as a child process that writes the artifacts and exits, taking every patch, cache and weight with
  it. Keys queued meanwhile go to the same child (starting Python and torch costs ~3–5 s), and each
  waiting request is answered as soon as the child reports its model;
- concurrent requests for the same key share one build; at most `DEEPZOO_INTROSPECT_WORKERS`
  (default 1) children run at once, so eight people opening eight cold pages cannot take eight models'
  memory at the same moment;
- a model that fails to inspect gets an error artifact, shown as a clear message and not retried until
  its code changes. A child that times out or dies is reported to its waiters and nothing is stored
  for the models it had not reached (they are built again on the next request).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

from ..registry import entry
from . import artifacts as store

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = float(os.environ.get("DEEPZOO_INTROSPECT_TIMEOUT", "600"))  # per model
MAX_BATCH = 8
log = logging.getLogger(__name__)

_lock = threading.Lock()
_inflight: dict[str, Future] = {}
_queue: list[str] = []
_builders = 0


def max_workers() -> int:
    return max(1, int(os.environ.get("DEEPZOO_INTROSPECT_WORKERS", "1")))


class BuildFailed(RuntimeError):
    pass


def is_ready(key: str) -> bool:
    """True if `artifact(key)` will answer from disk (no build)."""
    return store.stored_path(key) is not None


def artifact(key: str) -> dict:
    """The artifact of a registered `key` (a dict; has "error" if the model could not be inspected)."""
    global _builders
    entry(key)  # unknown keys fail here, with suggestions
    data = store.load(key)
    if data is not None:
        return data
    with _lock:
        future = _inflight.get(key)
        if future is None:
            future = _inflight[key] = Future()
            _queue.append(key)
            if _builders < max_workers():
                _builders += 1
                threading.Thread(target=_builder, name="introspect-builder", daemon=True).start()
    return future.result()


def _builder() -> None:
    """Take queued keys in batches and build each batch in one child process, until the queue is empty."""
    global _builders
    while True:
        with _lock:
            if not _queue:
                _builders -= 1
                return
            batch = _queue[:MAX_BATCH]
            del _queue[:MAX_BATCH]
        try:
            _build_in_child(batch)
        except Exception as e:  # noqa: BLE001 — reported to every waiter of the batch
            log.exception("introspection build of %s failed", batch)
            _finish(batch, error=e)
        else:
            _finish(batch)


def _finish(keys: list[str], error: BaseException | None = None) -> None:
    for k in keys:
        with _lock:
            future = _inflight.pop(k, None)
        if future is None or future.done():
            continue
        data = store.load(k)
        if data is not None:
            future.set_result(data)
        else:
            future.set_exception(error or BuildFailed(f"the introspection worker did not produce {k!r}"))


def _build_in_child(keys: list[str]) -> None:
    env = {**os.environ, "DEEPZOO_CACHE_DIR": str(store.cache_dir())}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "zoo", "introspect", *keys, "--quiet", "--report"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(BUILD_TIMEOUT_S * len(keys), proc.kill)
    killer.start()
    t0 = time.perf_counter()
    try:
        for line in proc.stdout:  # "built KEY" as each artifact lands: answer its waiters now
            if line.startswith("built "):
                _finish([line.split(maxsplit=1)[1].strip()])
        stderr = proc.stderr.read()
        code = proc.wait()
    finally:
        killer.cancel()
    missing = [k for k in keys if store.load(k) is None]
    if not missing:
        return
    if code < 0 and time.perf_counter() - t0 >= BUILD_TIMEOUT_S * len(keys):
        raise BuildFailed(f"introspecting {', '.join(missing)} took longer than {BUILD_TIMEOUT_S:.0f} s per model")
    # The child died before writing these (killed, out of memory): store that, so it is not retried forever.
    tail = " | ".join(stderr.strip().splitlines()[-3:])
    log.error("introspection worker for %s exited with %s:\n%s", keys, code, stderr)
    for k in missing:
        store.save(k, store.error_artifact(k, f"the introspection worker exited with code {code}: {tail}"))
