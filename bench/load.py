"""Load benchmark: many people at once against the real one-port server, started here on 127.0.0.1.

1. Starts the server (`ui.devserver.start_server`) with its temporary files in a directory of its own, so that
   what it leaves in /tmp can be measured, and warms every action up once.
2. Single calls: each Gradio widget called alone a few times (the median is its single-call time).
3. Gradio load: `--calls` concurrent calls of each widget in turn. Issue 8 asks that they finish with 0 errors
   within 1.3 × (calls × single-call time ÷ heavy jobs), heavy jobs being one per usable core by default.
4. Mixed load: `--browsers` headless Chromium sessions (home, gallery, a model page, the demos page, karate and
   CartPole trained live) while the same number of Gradio calls per widget arrive.

Prints p50/p95 per action, errors, the server's RSS (idle after warm-up, peak, idle after the load) and how
much its temporary directory grew. Everything is bounded: per action timeouts and a global deadline.

    python bench/load.py [--browsers 3] [--calls 20] [--deadline 900]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing, free_port, start_server, stop_server  # noqa: E402

SAMPLE_WAV = ROOT / "assets" / "samples" / "audio" / "three.wav"
DONE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""


# ----------------------------------------------------------------------------- measuring


@dataclass
class Timings:
    """Seconds per action, and the errors (action → messages), collected from many threads."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, action: str, seconds: float | None, error: str | None = None) -> None:
        with self.lock:
            self.seconds.setdefault(action, [])
            self.errors.setdefault(action, [])
            if error is None:
                self.seconds[action].append(seconds)
            else:
                self.errors[action].append(error)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _rss_kb(pid: int, field_name: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (the server may start worker processes)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*/children") if Path(f"/proc/{p}").exists() else []:
            try:
                todo += [int(c) for c in task.read_text().split()]
            except OSError:
                pass
    return out


class Memory(threading.Thread):
    """Samples the resident memory of the server and of its process tree every 0.25 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_server, self.peak_tree, self.stop = pid, 0, 0, threading.Event()

    def now(self) -> tuple[float, float]:
        """(server MB, server + children MB) right now."""
        return _rss_kb(self.pid) / 1024, sum(_rss_kb(p) for p in _tree(self.pid)) / 1024

    def run(self) -> None:
        while not self.stop.is_set():
            server, tree = self.now()
            self.peak_server, self.peak_tree = max(self.peak_server, server), max(self.peak_tree, tree)
            self.stop.wait(0.25)


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user + system) the processes have used so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def _machine_busy_seconds() -> float:
    """CPU time every process on the machine has used (all cores), from /proc/stat."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # minus idle and iowait


def _dir_bytes(path: Path) -> int:
    total = 0
    for folder, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(folder, f)).st_size
            except OSError:
                pass
    return total


# ----------------------------------------------------------------------------- Gradio calls


def _clients(base: str):
    from gradio_client import Client, handle_file

    from zoo.demos.sentence_similarity import EXAMPLES as SIM

    def client(name):
        return Client(f"{base}/gradio/{name}/", verbose=False)

    text, sim, audio = client("text_generation"), client("sentence_similarity"), client("spoken_digits")
    return {  # widget → call(i): one request, its answer checked
        "gradio: text_generation": lambda i: _check(
            text.predict("The with statement ", "gpt2", 0.8, 40, 200, i, api_name="/generate"),
            lambda out: out.startswith("The with statement ") and len(out) > 40,
        ),
        "gradio: sentence_similarity": lambda i: _check(
            sim.predict(SIM[0][0], SIM[0][1], api_name="/compare"), lambda out: len(out) == 3
        ),
        "gradio: spoken_digits": lambda i: _check(
            audio.predict(handle_file(str(SAMPLE_WAV)), api_name="/classify"), lambda out: out[0]["label"] == "three"
        ),
    }


def _check(out, ok) -> None:
    if not ok(out):
        raise AssertionError(f"unexpected answer: {str(out)[:120]}")


def _timed(timings: Timings, action: str, call, i: int) -> None:
    t0 = time.perf_counter()
    try:
        call(i)
    except Exception as e:  # noqa: BLE001 — an error is a result here
        timings.add(action, None, f"{type(e).__name__}: {str(e)[:160]}")
    else:
        timings.add(action, time.perf_counter() - t0)


def gradio_burst(calls: dict, timings: Timings, n: int, pid: int | None = None, deadline: float = 600) -> dict:
    """n concurrent calls of each widget in turn. Returns {widget: (wall s, cores the server used, cores
    everything else used — this benchmark's own clients included)} for each burst."""
    out = {}
    for action, call in calls.items():
        t0, server0, busy0 = time.perf_counter(), _cpu_seconds(_tree(pid)) if pid else 0, _machine_busy_seconds()
        with ThreadPoolExecutor(n) as pool:
            futures = [pool.submit(_timed, timings, action, call, i) for i in range(n)]
            for f in futures:
                f.result(timeout=deadline)
        wall = time.perf_counter() - t0
        server = (_cpu_seconds(_tree(pid)) - server0) if pid else 0
        out[action] = (wall, server / wall, (_machine_busy_seconds() - busy0 - server) / wall)
    return out


# ----------------------------------------------------------------------------- browser sessions


async def _page_action(timings: Timings, action: str, coro, timeout: float) -> None:
    t0 = time.perf_counter()
    try:
        await asyncio.wait_for(coro, timeout)
    except Exception as e:  # noqa: BLE001
        timings.add(action, None, f"{type(e).__name__}: {str(e)[:160]}")
    else:
        timings.add(action, time.perf_counter() - t0)


async def _open(page, url: str, text: str | re.Pattern) -> None:
    await page.goto(url)
    await page.wait_for_function(DONE_JS, timeout=0, polling=100)
    await page.get_by_text(text).first.wait_for(timeout=0)
    if await page.locator('[data-testid="stException"]').count():
        raise AssertionError(f"exception shown on {url}")


async def _karate(page, base: str, seed: int) -> None:
    await _open(page, f"{base}/model?model=gcn&tab=try", "Members whose faction")
    seed_box = page.get_by_label("Seed")
    await seed_box.fill(str(seed))  # a seed of its own: the result cache must not answer for the server
    await seed_box.press("Enter")
    await page.wait_for_function(DONE_JS, timeout=0, polling=100)
    await page.get_by_role("button", name="Train", exact=True).click()
    await page.get_by_text("Accuracy on unlabelled members").first.wait_for(timeout=0)


async def _cartpole(page, base: str, seed: int) -> None:
    await _open(page, f"{base}/model?model=ppo&tab=try", "Train PPO here")
    seed_box = page.get_by_label("Training seed")
    await seed_box.fill(str(seed))
    await seed_box.press("Enter")
    await page.wait_for_function(DONE_JS, timeout=0, polling=100)
    await page.get_by_role("button", name="Train PPO").click()
    await page.get_by_text(re.compile(r"Solved in|The budget ran out")).first.wait_for(timeout=0)


async def browser_sessions(base: str, timings: Timings, sessions: int, timeout: float, first_seed: int = 1) -> None:
    """`sessions` people at once, each in a browser context of their own, through the same route."""
    from playwright.async_api import async_playwright

    async def person(browser, i: int) -> None:
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        page = await ctx.new_page()
        try:
            steps = [
                ("page: home", _open(page, f"{base}/", "Start here")),
                ("page: gallery", _open(page, f"{base}/gallery", "Model gallery")),
                ("page: model (lenet5)", _open(page, f"{base}/model?model=lenet5", "LeNet-5")),
                ("page: demos", _open(page, f"{base}/demos", "Live demos")),
                ("streamlit: karate training", _karate(page, base, first_seed + i)),
                ("streamlit: CartPole PPO training", _cartpole(page, base, first_seed + i)),
            ]
            for action, coro in steps:
                await _page_action(timings, action, coro, timeout)
        finally:
            await ctx.close()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            await asyncio.gather(*(person(browser, i) for i in range(sessions)))
        finally:
            await browser.close()


# ----------------------------------------------------------------------------- the run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--browsers", type=int, default=3, help="concurrent browser sessions (mixed phase)")
    parser.add_argument("--calls", type=int, default=20, help="concurrent calls of each Gradio widget")
    parser.add_argument("--singles", type=int, default=3, help="single calls per widget for the baseline")
    parser.add_argument("--timeout", type=float, default=300, help="seconds one action may take")
    parser.add_argument("--deadline", type=float, default=1200, help="seconds the whole run may take")
    args = parser.parse_args()
    why = chromium_missing()
    if why:
        print(f"cannot run: {why}")
        return 2

    # the server's temporary files (Gradio's cache included) go to a directory of its own
    tmp = Path(tempfile.mkdtemp(prefix="deepzoo-load-"))
    os.environ.update({"TMPDIR": str(tmp), "GRADIO_TEMP_DIR": str(tmp / "gradio")})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = start_server(port, timeout=600)
    memory = Memory(proc.pid)
    memory.start()
    timer = threading.Timer(args.deadline, lambda: (print("deadline reached: stopping the server"), stop_server(proc)))
    timer.daemon = True
    timer.start()
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=30) as r:
            jobs = json.load(r).get("heavy_jobs", 1)
        print(f"server up in {time.perf_counter() - started:.0f} s; heavy jobs at once: {jobs}")

        warm, timings = Timings(), Timings()
        calls = _clients(base)
        gradio_burst(calls, warm, 1)  # first calls load the models
        asyncio.run(browser_sessions(base, warm, 1, args.timeout, first_seed=10_000))
        warm_errors = {a: e for a, e in warm.errors.items() if e}
        if warm_errors:
            print(f"warm-up errors: {warm_errors}")
        time.sleep(3)
        idle_before, _ = memory.now()
        tmp_before = _dir_bytes(tmp)

        singles = Timings()
        for action, call in calls.items():
            for i in range(args.singles):
                _timed(singles, action, call, i)
        single = {a: statistics.median(s) if s else float("nan") for a, s in singles.seconds.items()}

        bursts = gradio_burst(calls, timings, args.calls, proc.pid)
        print(f"\n{args.calls} concurrent calls of each widget, alone (issue 8: wall ≤ 1.3 × calls × single ÷ {jobs}); "
              "cores: CPU used per second of wall time by the server / by everything else on the machine")
        print(f"{'widget':<30}{'single s':>9}{'wall s':>9}{'ideal s':>9}{'ratio':>7}{'p50 s':>8}{'p95 s':>8}"
              f"{'errors':>8}{'server cores':>14}{'other cores':>13}")
        for action, (wall, server_cores, other_cores) in bursts.items():
            ideal = args.calls * single[action] / jobs
            s = timings.seconds[action]
            print(f"{action:<30}{single[action]:>9.2f}{wall:>9.1f}{ideal:>9.1f}{wall / ideal:>7.2f}"
                  f"{_percentile(s, 0.5):>8.2f}{_percentile(s, 0.95):>8.2f}{len(timings.errors[action]):>8}"
                  f"{server_cores:>14.2f}{other_cores:>13.2f}")
        for action, errors in timings.errors.items():
            for e in errors[:3]:
                print(f"  error in {action}: {e}")

        mixed = Timings()
        t0 = time.perf_counter()
        load = threading.Thread(target=gradio_burst, args=(calls, mixed, args.calls), daemon=True)
        load.start()
        asyncio.run(browser_sessions(base, mixed, args.browsers, args.timeout))
        load.join(timeout=args.deadline)
        mixed_wall = time.perf_counter() - t0
        time.sleep(5)
        idle_after, _ = memory.now()
        tmp_after = _dir_bytes(tmp)

        print(f"\nmixed load: {args.browsers} browser sessions while {args.calls} calls of each widget arrive "
              f"({mixed_wall:.0f} s)")
        print(f"{'action':<36}{'n':>5}{'errors':>8}{'p50 s':>9}{'p95 s':>9}{'max s':>9}")
        for action in mixed.seconds:
            s = mixed.seconds[action]
            print(f"{action:<36}{len(s):>5}{len(mixed.errors[action]):>8}{_percentile(s, 0.5):>9.2f}"
                  f"{_percentile(s, 0.95):>9.2f}{max(s, default=float('nan')):>9.2f}")
        for action, errors in mixed.errors.items():
            for e in errors[:3]:
                print(f"  error in {action}: {e}")

        print(f"\nserver RSS: idle after warm-up {idle_before:.0f} MB, peak {memory.peak_server:.0f} MB "
              f"(with its child processes {memory.peak_tree:.0f} MB), idle after the load {idle_after:.0f} MB")
        print(f"server temporary files ({tmp}): {tmp_before / 1e6:.1f} MB after warm-up → {tmp_after / 1e6:.1f} MB "
              f"after the load (+{(tmp_after - tmp_before) / 1e6:.1f} MB)")
        errors = sum(len(e) for t in (timings, mixed) for e in t.errors.values())
        print(f"errors in total: {errors}")
        return 1 if errors else 0
    finally:
        timer.cancel()
        memory.stop.set()
        stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
