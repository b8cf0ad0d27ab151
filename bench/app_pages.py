"""Benchmark: open every model page in headless Chromium against the real one-port server.

Prints, per model, the cold render (first visit: model traced, graph and summary computed) and the
warm render (a reload: served from Streamlit's caches), then the server's peak RSS. A benchmark,
not a test: run it whenever the pages or the registry change.

    python bench/app_pages.py [KEY ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zoo  # noqa: E402
from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing, free_port, peak_rss_mb, start_server, stop_server  # noqa: E402

# The page is done when Streamlit's script has stopped running with all five tabs drawn …
DONE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
      && document.querySelectorAll('[data-testid="stTab"]').length >= 5;
}"""
# … and, once the Architecture tab is opened, the graph has been laid out in the browser.
GRAPH_JS = "() => document.querySelectorAll('svg g.node').length > 0"


def render(page, url: str) -> float:
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(DONE_JS, timeout=300_000, polling=50)
    page.get_by_role("tab", name="Architecture").click()
    page.wait_for_function(GRAPH_JS, timeout=300_000, polling=50)
    return time.perf_counter() - t0


def main(keys: list[str]) -> int:
    why = chromium_missing()
    if why:
        print(f"cannot run: {why}")
        return 2
    from playwright.sync_api import sync_playwright

    port = free_port()
    t0 = time.perf_counter()
    proc = start_server(port)
    print(f"server up in {time.perf_counter() - t0:.1f} s, RSS {peak_rss_mb(proc.pid):.0f} MB")
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            render(page, f"http://127.0.0.1:{port}/model?model=lenet5")  # warm-up: imports, first session
            print(f"{'model':<22}{'params':>14}{'cold s':>9}{'warm s':>9}{'peak RSS MB':>13}")
            for key in keys:
                url = f"http://127.0.0.1:{port}/model?model={key}"
                cold = render(page, url)
                warm = render(page, url)
                rss = peak_rss_mb(proc.pid)
                rows.append((key, cold, warm, rss))
                print(f"{key:<22}{zoo.card(key).params.value:>14,.0f}{cold:>9.2f}{warm:>9.2f}{rss:>13.0f}", flush=True)
            browser.close()
    finally:
        stop_server(proc)
    slow_cold = max(rows, key=lambda r: r[1])
    slow_warm = max(rows, key=lambda r: r[2])
    print(f"\nslowest cold: {slow_cold[0]} {slow_cold[1]:.2f} s; slowest warm: {slow_warm[0]} {slow_warm[2]:.2f} s; "
          f"median cold {sorted(r[1] for r in rows)[len(rows) // 2]:.2f} s; server peak RSS {max(r[3] for r in rows):.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or zoo.list_models()))
