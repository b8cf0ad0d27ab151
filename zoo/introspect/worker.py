"""Artifacts for a server: read from disk, or built by a separate process, never in the server.

Tracing patches torch process-wide (torchview swaps `nn.Module.__call__` and factory functions while
it runs) and keeps weights alive in library caches; inside a server shared by many sessions that
corrupts other sessions' work and holds memory for good. So a server calls `artifact(key)`:
- an artifact on disk is returned at once;
- otherwise `python -m zoo introspect KEY` runs as a child process that writes it and exits, taking
  every patch, cache and weight with it;
- concurrent requests for the same key wait for the one build; at most `DEEPZOO_INTROSPECT_WORKERS`
  (default 1) builds run at once, so eight people opening eight cold pages cannot take eight models'
  memory at the same moment;
- a model that fails to inspect gets an error artifact, shown as a clear message and not retried until
  its code changes. A build that times out is reported and not stored (it may be a busy machine).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

from ..registry import entry
from . import artifacts as store

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = float(os.environ.get("DEEPZOO_INTROSPECT_TIMEOUT", "600"))
log = logging.getLogger(__name__)

_lock = threading.Lock()
_inflight: dict[str, Future] = {}
_slots = threading.BoundedSemaphore(max(1, int(os.environ.get("DEEPZOO_INTROSPECT_WORKERS", "1"))))


class BuildTimeout(RuntimeError):
    pass


def is_ready(key: str) -> bool:
    """True if `artifact(key)` will answer from disk (no build)."""
    return store.stored_path(key) is not None


def artifact(key: str) -> dict:
    """The artifact of a registered `key` (a dict; has "error" if the model could not be inspected)."""
    entry(key)  # unknown keys fail here, with suggestions
    data = store.load(key)
    if data is not None:
        return data
    with _lock:
        future = _inflight.get(key)
        owner = future is None
        if owner:
            future = _inflight[key] = Future()
    if not owner:
        return future.result()
    try:
        with _slots:
            data = store.load(key) or _build_in_child(key)  # someone may have finished it meanwhile
        future.set_result(data)
        return data
    except BaseException as e:
        future.set_exception(e)
        raise
    finally:
        with _lock:
            _inflight.pop(key, None)


def _build_in_child(key: str) -> dict:
    env = {**os.environ, "DEEPZOO_CACHE_DIR": str(store.cache_dir())}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    cmd = [sys.executable, "-m", "zoo", "introspect", key, "--quiet"]
    try:
        proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise BuildTimeout(f"introspecting {key!r} took longer than {BUILD_TIMEOUT_S:.0f} s") from None
    data = store.load(key)
    if data is None:  # the child died before writing (killed, out of memory, import error)
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-3:]
        log.error("introspection worker for %r exited with %s:\n%s", key, proc.returncode, proc.stderr)
        data = store.error_artifact(key, f"the introspection worker exited with code {proc.returncode}: {' | '.join(tail)}")
        store.save(key, data)
    return data
