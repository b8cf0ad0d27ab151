"""Heavy demo work in worker processes, one per heavy-job slot, so that several people's jobs really run at once.

Why processes. A byte-level language model streams ~200 tiny forward passes a second, each driven from Python.
Two such jobs on two threads of the server take turns on the GIL with each other and with the server's own event
loop: measured on 2 cores, 20 concurrent generations used 1.56 cores and took 1.58× the ideal time. In worker
processes each job has its own interpreter, and the server only relays the (throttled) results.

How. `pool()` is the process's pool: as many workers as heavy jobs may run at once (`zoo.runtime`), started on
first use as fresh interpreters (`python -m zoo.workers`; forking a server full of threads is unsafe), each on the server's per-job torch
thread count (its own process, so setting it there touches no one else). A caller first takes a heavy-job slot
(`zoo.runtime.heavy_job`), then a worker:

    with runtime.heavy_job():
        for text in workers.pool().stream("zoo.demos.text_generation:stream", prompt, ...):
            ...

The function is named by "module:function" and imported in the worker. Arguments and results cross the process
boundary pickled, between the server and its own children only (never anything a user uploaded as a file). A
generator's items are throttled in the worker (`interval`), the consumer closing the stream stops the generator
there, an exception raised in the worker is raised again in the caller, and a worker that dies is replaced.
"""

from __future__ import annotations

import importlib
import logging
import queue
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Iterator, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_STOP = "stop"


def throttled(updates: Iterator[T], interval: float = 0.05) -> Iterator[T]:
    """The updates of a stream, at most one per `interval` seconds, and always the last one (a screen shows no
    more than ~20 redraws a second; every update sent costs the server time, under the GIL)."""
    sent_at = time.monotonic() - interval
    unsent = False
    latest = None
    for update in updates:
        now = time.monotonic()
        if now - sent_at >= interval:
            sent_at, unsent = now, False
            yield update
        else:
            latest, unsent = update, True
    if unsent:
        yield latest


def _resolve(target: str):
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _portable(e: BaseException) -> BaseException:
    """`e` if it survives pickling (e.g. a BadInput with its message key), else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(e))
        return e
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(e).__name__}: {e}")


def _serve(conn: Connection, threads: int | None) -> None:
    """A worker's life: run one job at a time, as the server asks, until the pipe closes."""
    from .runtime import size_own_process

    if threads:
        size_own_process(threads)
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message == _STOP:  # asked to stop a stream that had already ended: nothing to do
            continue
        target, args, kwargs, interval = message
        try:
            result = _resolve(target)(*args, **kwargs)
            if hasattr(result, "__next__"):
                stopped = False
                for item in throttled(result, interval) if interval else result:
                    conn.send(("item", item))
                    if conn.poll() and conn.recv() == _STOP:  # the consumer went away
                        result.close()
                        stopped = True
                        break
                conn.send(("stopped" if stopped else "end", None))
            else:
                conn.send(("value", result))
        except Exception as e:  # noqa: BLE001 — raised again in the server, which reports it
            conn.send(("error", _portable(e)))


class _Worker:
    """A child process `python -m zoo.workers FD THREADS`, talking over a socket pair. Not `multiprocessing`'s
    spawn: that re-runs the server's main script in every child."""

    def __init__(self, threads: int | None):
        parent, child = socket.socketpair()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "zoo.workers", str(child.fileno()), str(threads or 0)],
            pass_fds=(child.fileno(),), cwd=Path(__file__).resolve().parent.parent,
        )
        child.close()
        self.conn = Connection(parent.detach())

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        self.conn.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class WorkerDied(RuntimeError):
    """The worker process ended in the middle of a job (killed, out of memory); it has been replaced."""


class Pool:
    """`size` worker processes; `run`/`stream` borrow an idle one for a call."""

    def __init__(self, size: int, threads: int | None = None):
        self.size, self.threads = size, threads
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._lock = threading.Lock()
        self._started = 0
        self._all: list[_Worker] = []

    def _take(self) -> _Worker:
        with self._lock:
            if self._idle.empty() and self._started < self.size:
                self._started += 1
                w = _Worker(self.threads)
                self._all.append(w)
                return w
        return self._idle.get()

    def _give_back(self, w: _Worker, healthy: bool) -> None:
        if not healthy or not w.alive():
            w.close()
            with self._lock:
                self._all.remove(w)
                w = _Worker(self.threads)  # a fresh one in its place, so the pool keeps its size
                self._all.append(w)
        self._idle.put(w)

    def run(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """`target(*args, **kwargs)` in a worker; its return value (a generator's last item is not special:
        use `stream` for generators)."""
        w = self._take()
        healthy = False
        try:
            w.conn.send((target, args, kwargs, 0.0))
            kind, value = self._recv(w)
            healthy = True
            if kind == "error":
                raise value
            return value
        finally:
            self._give_back(w, healthy)

    def stream(self, target: str, *args: Any, interval: float = 0.05, **kwargs: Any) -> Iterator[Any]:
        """The items of the generator `target(*args, **kwargs)` run in a worker, at most one per `interval`
        seconds and always the last. Closing this iterator stops the generator in the worker."""
        w = self._take()
        healthy = False
        done = False
        try:
            w.conn.send((target, args, kwargs, interval))
            while True:
                kind, value = self._recv(w)
                if kind == "item":
                    yield value
                    continue
                done = healthy = True
                if kind == "error":
                    raise value
                return
        finally:
            if not done and w.alive() and not w.conn.closed:
                healthy = self._stop(w)
            self._give_back(w, healthy)

    @staticmethod
    def _recv(w: _Worker) -> tuple[str, Any]:
        while not w.conn.poll(0.5):
            if not w.alive():
                raise WorkerDied("a worker process ended during a job")
        try:
            return w.conn.recv()
        except (EOFError, OSError) as e:
            raise WorkerDied("a worker process ended during a job") from e

    @staticmethod
    def _stop(w: _Worker) -> bool:
        """Ask the worker to drop the stream; drain what it sent meanwhile. True if it is ready for the next job."""
        try:
            w.conn.send(_STOP)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if w.conn.poll(0.5):
                    kind, _ = w.conn.recv()
                    if kind in ("stopped", "end", "error"):
                        return True
                elif not w.alive():
                    return False
        except (EOFError, OSError):
            return False
        return False  # did not answer in time: replaced

    def close(self) -> None:
        with self._lock:
            for w in self._all:
                w.close()
            self._all.clear()


_POOL: Pool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> Pool:
    """The process's worker pool: one worker per heavy-job slot, each on the budget's torch thread count."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            from . import runtime

            b = runtime.budget()
            _POOL = Pool(runtime.heavy_jobs(), threads=b.threads if b else None)
        return _POOL


if __name__ == "__main__":  # a worker: python -m zoo.workers FD THREADS
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]) or None)
