"""How one server process shares its CPU between people: a thread budget decided once, and a line for heavy jobs.

Threads. torch runs each op on an OpenMP team whose size is kept per thread, but `torch.set_num_threads(n)`
sets the calling thread's size *and* the default that every thread created later starts with (checked on torch
2.13: after a worker thread set 1, each new thread ran on 1 while the main thread kept 2). Streamlit and Gradio
run requests on fresh or pooled threads, so any per-request `set_num_threads` leaks to later users. Instead:

- `configure()` runs once at start-up, before the first request. It decides how many heavy jobs may run at
  once (`jobs`, by default the usable cores) and how many intra-op threads each job gets (`threads`, by default
  cores // jobs, so that jobs × threads never oversubscribes the CPU: spinning OpenMP threads on a busy CPU make
  small ops 10–100× slower), and sets torch's count once, which every later thread inherits.
- `single_threaded()` puts the *calling thread alone* on one intra-op thread for a block, for the tiny models
  trained live (batches of 1–256, where extra threads only spin-wait). It calls what `torch.set_num_threads`
  calls for the current thread (OpenMP's and MKL's per-thread setters) without storing the process default.
- `heavy_job()` is the line heavy work waits in: at most `jobs` at once, first come first served, and a waiting
  caller is told its place (1 = next).

Environment: DEEPZOO_JOBS and DEEPZOO_THREADS override the defaults (e.g. 4 jobs × 4 threads on 16 cores
favours one user's latency over throughput).
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import functools
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import torch

log = logging.getLogger(__name__)

__all__ = ["Budget", "JobLine", "budget", "cpu_name", "load_average", "size_own_process", "configure", "heavy_job", "heavy_jobs", "single_threaded", "usable_cores"]


@functools.cache
def cpu_name() -> str:
    """The CPU's model name (what a measured figure was taken on)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or platform.machine() or "unknown CPU"


def load_average() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages, rounded to 0.01, or None where the system does not say: recorded
    with measured figures, which a busy machine inflates."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def usable_cores() -> int:
    """Cores this process may run on (a container's CPU affinity, not the host's core count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Budget:
    cores: int  # usable cores
    jobs: int  # heavy jobs at once
    threads: int  # torch intra-op threads of every thread (each job runs on one thread of its own)


class JobLine:
    """At most `slots` jobs at once; the others wait in arrival order. A waiting caller's `waiting(position)`
    is called about every `poll` seconds with its place in line (1 = next): a UI redraws its busy message,
    and a Streamlit script gets the chance to stop when its visitor has left or clicked something else."""

    def __init__(self, slots: int):
        self._cond = threading.Condition()
        self._slots = max(1, int(slots))
        self._running = 0
        self._line: collections.deque[object] = collections.deque()

    @property
    def slots(self) -> int:
        return self._slots

    def resize(self, slots: int) -> None:
        with self._cond:
            self._slots = max(1, int(slots))
            self._cond.notify_all()

    def counts(self) -> tuple[int, int]:
        """(running, waiting)."""
        with self._cond:
            return self._running, len(self._line)

    @contextlib.contextmanager
    def slot(self, waiting: Callable[[int], None] | None = None, poll: float = 0.5) -> Iterator[None]:
        ticket = object()
        with self._cond:
            self._line.append(ticket)
        try:
            while True:
                with self._cond:
                    if self._running < self._slots and self._line[0] is ticket:
                        self._line.popleft()
                        self._running += 1
                        self._cond.notify_all()  # the next in line may fit too
                        break
                    position = self._line.index(ticket) + 1
                if waiting is not None:
                    waiting(position)  # outside the lock: it may draw a page, or raise to give up
                with self._cond:
                    if not (self._running < self._slots and self._line[0] is ticket):
                        self._cond.wait(poll)
        except BaseException:
            with self._cond:
                if ticket in self._line:  # gave up while waiting: let the others move up
                    self._line.remove(ticket)
                    self._cond.notify_all()
            raise
        try:
            yield
        finally:
            with self._cond:
                self._running -= 1
                self._cond.notify_all()


_LINE = JobLine(usable_cores())
_BUDGET: Budget | None = None


def configure(jobs: int | None = None, threads: int | None = None) -> Budget:
    """Decide the process's CPU budget; call once at start-up, before serving (see the module docstring).
    Arguments win over DEEPZOO_JOBS / DEEPZOO_THREADS, which win over the defaults."""
    global _BUDGET
    cores = usable_cores()
    jobs = max(1, jobs or _env_int("DEEPZOO_JOBS") or cores)
    threads = max(1, threads or _env_int("DEEPZOO_THREADS") or cores // jobs)
    torch.set_num_threads(threads)  # this thread's count and the default every later thread starts with
    _LINE.resize(jobs)
    _BUDGET = Budget(cores, jobs, threads)
    log.info("CPU budget: %d usable cores, %d heavy jobs at once, %d torch threads each", cores, jobs, threads)
    return _BUDGET


def size_own_process(threads: int) -> None:
    """Size torch's intra-op thread pool in a process of its own: a worker (zoo.workers, zoo.measurement) or a
    command run as a child process. Never in the server's process, where every request would see the change
    (the server sizes itself once, in `configure`)."""
    torch.set_num_threads(max(1, int(threads)))


def budget() -> Budget | None:
    """What `configure` decided, or None when it was not called (library use: torch's own defaults)."""
    return _BUDGET


def heavy_jobs() -> int:
    """How many heavy jobs may run at once: what a Gradio event's concurrency limit should be too."""
    return _LINE.slots


def heavy_job(waiting: Callable[[int], None] | None = None) -> contextlib.AbstractContextManager[None]:
    """A place among the server's heavy jobs for the `with` block; waits for one in line if all are taken,
    calling `waiting(position)` meanwhile (see `JobLine.slot`)."""
    return _LINE.slot(waiting)


def heavy_job_counts() -> tuple[int, int]:
    """(running, waiting) heavy jobs right now."""
    return _LINE.counts()


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        log.warning("ignoring %s=%r: not a whole number", name, value)
        return None


# ----------------------------------------------------------------------------- one thread, for this thread only


@functools.cache
def _thread_count_setters() -> tuple[Callable[[int], int], ...]:
    """Functions that set the *calling thread's* intra-op thread count and return the previous one: what
    `at::set_num_threads` calls, minus the process-wide default it also stores. Empty when torch's OpenMP
    runtime cannot be found (then `single_threaded` leaves the count alone)."""
    lib = Path(torch.__file__).parent / "lib"
    setters: list[Callable[[int], int]] = []
    omp = next((p for pattern in ("libgomp*.so*", "libomp*.so*", "libomp*.dylib", "libiomp5*")
                for p in sorted(lib.glob(pattern))), None)
    if omp is None:
        log.warning("torch's OpenMP runtime not found in %s: small trainings keep the process thread count", lib)
        return ()
    omp_set = ctypes.CDLL(str(omp)).omp_set_num_threads  # the loaded library: dlopen returns the same handle
    omp_set.argtypes, omp_set.restype = [ctypes.c_int], None

    def set_omp(n: int) -> int:
        previous = torch.get_num_threads()  # omp_get_max_threads of this thread
        omp_set(n)
        return previous

    setters.append(set_omp)
    if torch.backends.mkl.is_available():
        cpu = next(iter(sorted(lib.glob("libtorch_cpu.*"))), None)  # MKL is linked into it statically
        mkl_set = getattr(ctypes.CDLL(str(cpu)), "MKL_Set_Num_Threads_Local", None) if cpu else None
        if mkl_set is not None:  # the C entry point, by value (mkl_set_num_threads_local takes a pointer)
            mkl_set.argtypes, mkl_set.restype = [ctypes.c_int], ctypes.c_int
            setters.append(mkl_set)  # returns the previous local count (0 = follow the global one)
    return tuple(setters)


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """Run torch in the calling thread on one intra-op thread for this block (also a decorator:
    `@single_threaded()`). No other thread, present or future, sees any change.

    For the MLPs trained live here: on batches of 1–256, OpenMP threads only add synchronisation, and on a busy
    CPU their spin-waits make each step 10–100× slower (measured: 0.2 ms → 3–40 ms)."""
    torch.get_num_threads()  # torch sets up this thread's count lazily: do it now, or it would overwrite ours
    setters = _thread_count_setters()
    previous = [s(1) for s in setters]
    try:
        yield
    finally:
        for s, p in zip(setters, previous):
            s(p)
