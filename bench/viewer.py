"""Benchmark: the interactive architecture viewer (ui/viewer) against the static `st.graphviz_chart` graph it
replaces, in one run, in headless Chromium against the real one-port server.

Measured (median of --runs):
- tab open → drawn: the model page is open on its Overview; click "Architecture" until the graph is drawn
  (viewer: `.dzv[data-state=drawn]`, its default view at depth 2 with repeated blocks folded; baseline:
  the static page `?graph=static`, torchview's graph at depth 2, until its SVG has nodes). Each run is a
  fresh browser context (cold cache: the viewer's bundle is downloaded and its WebAssembly compiled). The
  target row clicks once the Overview has finished loading (as a person who reads it first would), so the
  viewer's preload (see pages/model.py) has run; the row below it clicks the moment the Overview's script
  ends, before any of that;
- fully expanded: "Expand all" (every module open, every fold unfolded) until drawn, timed in the page;
- expanding one node: opening one block (ResNet-50's layer3.0) in place, timed in the page;
- the viewer's code sent to the browser.

    python bench/viewer.py [--runs 3]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing, free_port, start_server, stop_server  # noqa: E402
from ui.viewer import STATIC  # noqa: E402

DONE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && document.querySelectorAll('[data-testid="stTab"]').length >= 5;
}"""
VIEWER_DRAWN = ".dzv[data-state=drawn]"
STATIC_DRAWN = "() => document.querySelectorAll('[data-testid=\"stGraphVizChart\"] svg g.node').length > 0"
# an action in the viewer, timed in the page until the next frame is painted
TIMED_JS = """async ([action, arg]) => {
  const v = document.querySelector('.dzv').dzViewer;
  const t = performance.now();
  await v[action](...(arg === null ? [] : [arg, true]));
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return [performance.now() - t, v.vis.nodes.length, v.vis.edges.length];
}"""
TAB_MODELS = ("resnet50", "bert_base", "gpt2")
EXPAND_MODELS = ("resnet152", "bert_base")


def tab_open(browser, base: str, key: str, static: bool, settled: bool = True) -> tuple[float, float]:
    """(first opening in a fresh browser, opening it again in the same page), in seconds. `settled`: click once
    the Overview has finished loading (no request for 0.5 s: a person reading it), which lets the viewer's
    preload finish; otherwise click as soon as the Overview's script has run."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{base}/model?model={key}&tab=overview" + ("&graph=static" if static else ""))
        out = []
        for i in range(2):
            page.wait_for_function(DONE_JS, timeout=300_000, polling=50)
            if settled and i == 0:
                page.wait_for_load_state("networkidle")
            t0 = time.perf_counter()
            page.get_by_role("tab", name="Architecture").click()
            if static:
                page.wait_for_function(STATIC_DRAWN, timeout=300_000, polling=20)
            else:
                page.wait_for_selector(VIEWER_DRAWN, timeout=300_000)
            out.append(time.perf_counter() - t0)
            page.wait_for_function(DONE_JS, timeout=300_000, polling=50)
            page.get_by_role("tab", name="Overview").click()
            page.wait_for_function(STATIC_DRAWN.replace("> 0", "=== 0") if static else
                                   "() => !document.querySelector('.dzv')", timeout=300_000, polling=20)
        return out[0], out[1]
    finally:
        ctx.close()


def in_page(browser, base: str, key: str, action: str, arg: str | None, runs: int) -> tuple[float, int, int]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    try:
        page.goto(f"{base}/model?model={key}&tab=architecture")
        page.wait_for_selector(VIEWER_DRAWN, timeout=300_000)
        times = []
        for _ in range(runs):
            ms, nodes, edges = page.evaluate(TIMED_JS, [action, arg])
            times.append(ms / 1000)
            # back to the default view for the next run
            page.evaluate("() => { const v = document.querySelector('.dzv').dzViewer;"
                          " v.expanded = new Set(v.data.graph.expanded); v.unfolded = new Set(); return v.render(); }")
        return statistics.median(times), nodes, edges
    finally:
        ctx.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    why = chromium_missing()
    if why:
        print(f"cannot run: {why}")
        return 2
    from playwright.sync_api import sync_playwright

    keys = sorted(set(TAB_MODELS + EXPAND_MODELS))
    subprocess.run([sys.executable, "-m", "zoo", "introspect", *keys, "--quiet"], cwd=ROOT, check=True)
    port = free_port()
    proc = start_server(port)
    base = f"http://127.0.0.1:{port}"
    rows: list[tuple[str, str, float | None, float | None, str]] = []  # what, model, viewer s, baseline s, target
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            tab_open(browser, base, "lenet5", static=False)  # warm-up: the server's first session and imports
            tab_open(browser, base, "lenet5", static=True)
            for key in TAB_MODELS:
                viewer = [tab_open(browser, base, key, static=False) for _ in range(args.runs)]
                static = [tab_open(browser, base, key, static=True) for _ in range(args.runs)]
                rows.append(("tab open → drawn, first (Overview loaded)", key, statistics.median(v[0] for v in viewer),
                             statistics.median(s[0] for s in static), "≤ 1.0 s"))
                hasty_v = [tab_open(browser, base, key, static=False, settled=False)[0] for _ in range(args.runs)]
                hasty_s = [tab_open(browser, base, key, static=True, settled=False)[0] for _ in range(args.runs)]
                rows.append(("  … clicked the moment the script ends", key, statistics.median(hasty_v),
                             statistics.median(hasty_s), "—"))
                rows.append(("tab open again (same page)", key, statistics.median(v[1] for v in viewer),
                             statistics.median(s[1] for s in static), "≤ 1.0 s"))
            for key in EXPAND_MODELS:
                s, nodes, edges = in_page(browser, base, key, "expandAll", None, args.runs)
                rows.append((f"fully expanded ({nodes} nodes, {edges} edges)", key, s, None, "≤ 2.5 s"))
            s, nodes, edges = in_page(browser, base, "resnet50", "toggle", "layer3.0", args.runs)
            rows.append(("expand one node (layer3.0)", "resnet50", s, None, "≤ 0.2 s"))
            browser.close()
    finally:
        stop_server(proc)
    sent = [f.read_bytes() for f in sorted(STATIC.iterdir())]  # viewer.js, layout.js (Graphviz WASM), viewer.css
    size = sum(len(b) for b in sent)
    gz = sum(len(gzip.compress(b)) for b in sent)

    print(f"\nDeepZoo architecture viewer — median of {args.runs}, headless Chromium, this machine")
    print(f"{'measure':<44}{'model':<11}{'viewer':>9}{'graphviz_chart':>16}{'target':>10}  ok")
    for what, key, v, b, target in rows:
        limit = float(target.split()[1]) if target != "—" else None
        ok = "" if limit is None else "yes" if v is not None and v <= limit else "NO"
        print(f"{what:<44}{key:<11}{v:>8.2f}s{(f'{b:.2f}s' if b is not None else '—'):>16}{target:>10}  {ok}")
    ok = "yes" if size <= 2 * 2**20 else "NO"
    print(f"{'viewer code sent (js, worker, css)':<44}{'':<11}{size / 2**20:>7.2f}MB{f'gzip {gz / 2**20:.2f}MB':>16}{'≤ 2 MB':>10}  {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
