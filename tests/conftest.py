import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from ui.devserver import CHROMIUM, CHROMIUM_ARGS, chromium_missing, free_port, start_server, stop_server  # noqa: E402

# ----------------------------------------------------------------------------- browser fixtures
# One real server and one Chromium for the whole session, shared by every tests/test_browser*.py.


def require_chromium() -> None:
    """Skip without Chromium — except in CI, where a missing browser is a failure."""
    why = chromium_missing()
    if why and os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI must run the browser tests: {why}")
    if why:
        pytest.skip(why)


@pytest.fixture(scope="session")
def base_url():
    require_chromium()
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="session")
def browser(base_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = ctx.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    ctx.close()


