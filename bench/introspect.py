"""Benchmark of the introspection engine against the real one-port server, in headless Chromium.

Prints a table of the targets of the engine's issue:
1. cold: 8 browser sessions open 8 different models at once with no artifacts on disk — time to content,
   server RSS peak, and whether the artifacts are byte-for-byte those of a clean `introspect` build;
2. warm: the Overview tab of every model, and the Architecture and Layers tabs of resnet50, bert_base and
   gpt2, with artifacts on disk — time until drawn;
3. memory: server RSS after visiting every model page and every tab, and after 15 s idle.
Only 127.0.0.1 is contacted; every wait is bounded.

    python bench/introspect.py [--models K ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zoo  # noqa: E402
from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing, free_port, start_server, stop_server  # noqa: E402

TIMEOUT_MS = 300_000
SCRIPT_DONE = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning';
}"""
# What "content" means for each tab: the measured-parameters box, a laid-out graph, a drawn table.
CONTENT = {
    "overview": """() => [...document.querySelectorAll('[data-testid="stAlertContentSuccess"],[data-testid="stAlertContentWarning"],[data-testid="stAlertContentError"]')].length > 0""",
    "architecture": """() => document.querySelectorAll('svg g.node').length > 0 || [...document.querySelectorAll('[data-testid="stAlertContentWarning"]')].length > 0""",
    "layers": """() => { const g = document.querySelector('[data-testid="stDataFrame"] canvas, [data-testid="stDataFrameResizable"]'); return !!g; }""",
    "code": """() => document.querySelectorAll('[data-testid="stCode"]').length > 0""",
    "try": SCRIPT_DONE,
}


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(p) for p in out.split()]


class Sampler:
    """Server RSS (and its introspection children's) every 50 ms while active."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.peak_children = pid, 0.0, 0.0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.peak_children = max(self.peak_children, sum(rss_mb(c) for c in children(self.pid)))
            time.sleep(0.05)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def _shows(page, js: str) -> bool:
    try:
        return bool(page.evaluate(js))
    except Exception:  # noqa: BLE001 — the page is still navigating
        return False


def open_tab(page, base: str, key: str, tab: str) -> float:
    t0 = time.perf_counter()
    page.goto(f"{base}/model?model={key}&tab={tab}")
    page.wait_for_function(CONTENT[tab], timeout=TIMEOUT_MS, polling=25)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", nargs="*", default=None, help="models for the warm pass (default: all)")
    args = parser.parse_args()
    why = chromium_missing()
    if why:
        print(f"cannot run: {why}")
        return 2
    from playwright.sync_api import sync_playwright

    keys = args.models or zoo.list_models()
    cold_keys = ["lenet5", "alexnet", "resnet18", "gcn", "m5", "vae", "ppo", "minilm_l6"]
    cache = Path(tempfile.mkdtemp(prefix="deepzoo-bench-"))
    os.environ["DEEPZOO_CACHE_DIR"] = str(cache / "served")
    port = free_port()
    proc = start_server(port)
    base = f"http://127.0.0.1:{port}"
    report: list[tuple[str, str, str]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            warm_up = browser.new_page()
            warm_up.goto(f"{base}/about")
            warm_up.wait_for_function(SCRIPT_DONE, timeout=TIMEOUT_MS)
            warm_up.close()
            print(f"server up, RSS {rss_mb(proc.pid):.0f} MB")

            # 1. cold: 8 sessions, 8 models, nothing on disk (one Playwright thread drives all 8 pages)
            pages = [browser.new_page(viewport={"width": 1400, "height": 1000}) for _ in cold_keys]
            with Sampler(proc.pid) as s:
                t0 = time.perf_counter()
                for pg, k in zip(pages, cold_keys):
                    pg.goto(f"{base}/model?model={k}", wait_until="commit")
                done = {}
                while len(done) < len(pages) and time.perf_counter() - t0 < TIMEOUT_MS / 1000:
                    for pg, k in zip(pages, cold_keys):
                        if k not in done and _shows(pg, CONTENT["overview"]):
                            done[k] = time.perf_counter() - t0
                    time.sleep(0.05)
            for pg in pages:
                pg.close()
            clean = cache / "clean"
            subprocess.run([sys.executable, "-m", "zoo", "introspect", *cold_keys, "--quiet"], cwd=ROOT, check=True,
                           env={**os.environ, "DEEPZOO_CACHE_DIR": str(clean)})
            same = sum((cache / "served" / f.name).exists() and (cache / "served" / f.name).read_bytes() == f.read_bytes()
                       for f in clean.glob("*.json"))
            times = sorted(done.values())
            report += [
                ("cold: 8 sessions, 8 models, content (max)", f"{max(times):.1f} s" if times else "timed out", "—"),
                ("cold: server RSS peak", f"{s.peak:.0f} MB", "≤ 1500 MB"),
                ("cold: introspection child RSS peak", f"{s.peak_children:.0f} MB", "(outside the server)"),
                ("cold: artifacts identical to a clean build", f"{same} of {len(cold_keys)}", f"{len(cold_keys)} of {len(cold_keys)}"),
            ]

            # 2. warm: every artifact on disk
            warm = sorted(set(keys) | {"resnet50", "bert_base", "gpt2"})
            subprocess.run([sys.executable, "-m", "zoo", "introspect", *warm, "--quiet", "--jobs", "2"], cwd=ROOT, check=True)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            first_visit = open_tab(page, base, keys[0], "overview")  # a new visitor: Streamlit's own JS not cached yet
            overview = {k: open_tab(page, base, k, "overview") for k in keys}
            slowest = max(overview, key=overview.get)
            report += [
                (f"new visitor's first page: Overview ({keys[0]})", f"{first_visit:.2f} s", "—"),
                (f"warm: Overview, {len(keys)} models (median)", f"{statistics.median(overview.values()):.2f} s", "—"),
                (f"warm: Overview, slowest ({slowest})", f"{overview[slowest]:.2f} s", "≤ 1.0 s"),
                ("warm: Overview, gpt3", f"{overview.get('gpt3', float('nan')):.2f} s", "≤ 1.0 s"),
            ]
            for k in ("resnet50", "bert_base", "gpt2"):
                for tab in ("architecture", "layers"):
                    report.append((f"warm: {k} {tab.title()}", f"{open_tab(page, base, k, tab):.2f} s", "≤ 1.5 s"))

            # 3. memory after every page and tab, then idle
            with Sampler(proc.pid) as s:
                for k in keys:
                    for tab in CONTENT:
                        open_tab(page, base, k, tab)
            after = rss_mb(proc.pid)
            page.close()
            browser.close()
        time.sleep(15)
        idle = rss_mb(proc.pid)
        report += [
            ("every page and tab: server RSS peak", f"{s.peak:.0f} MB", "≤ 1000 MB"),
            ("every page and tab: server RSS after", f"{after:.0f} MB", "≤ 1000 MB"),
            ("idle 15 s later: server RSS", f"{idle:.0f} MB", "< 1000 MB"),
        ]
    finally:
        stop_server(proc)
    width = max(len(r[0]) for r in report)
    print(f"\n{'measure':<{width}}  {'measured':>12}  target")
    for name, value, target in report:
        print(f"{name:<{width}}  {value:>12}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
