"""The KAN demo in Chromium through the real server: the shipped fit with its learned curves, then a live
training on another formula."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def _charts_drawn(page, n: int) -> None:
    """Wait until `n` Vega-Lite charts are on the page, each with its marks drawn."""
    page.wait_for_function(
        """(n) => {
            const charts = document.querySelectorAll("[data-testid='stVegaLiteChart']");
            return charts.length === n && [...charts].every(c => c.querySelector("canvas, svg") !== null);
        }""",
        arg=n,
        timeout=60_000,
    )


def test_kan_shows_its_learned_curves_then_trains_live(page, base_url):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{base_url}/model?model=kan&tab=try")
    page.get_by_text("What each edge learned").wait_for(timeout=120_000)
    page.get_by_text(re.compile(r"Shipped KAN fitting f\(x, y\) = exp\(sin\(πx\) \+ y²\)")).wait_for()
    page.get_by_text("Layer 1: inputs x, y → hidden nodes").wait_for()
    _charts_drawn(page, 4)  # formula vs KAN, the error, the curves of layer 1 and of layer 2
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.get_by_text("Layer 2: hidden nodes → output f").scroll_into_view_if_needed()  # the curves
    page.screenshot(path=str(SHOTS / "kan_shipped.png"))

    option = page.get_by_role("option", name="f(x, y) = x² + y²")
    for _ in range(5):  # a click that lands while the page is still settling does not open the list
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Formula to fit").click()
        try:
            option.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    option.click()
    page.get_by_text("Pick a formula and press").wait_for()
    page.get_by_role("button", name="Train a fresh KAN").click()
    page.get_by_text(re.compile(r"Freshly trained KAN fitting f\(x, y\) = x² \+ y²")).wait_for(timeout=120_000)
    _charts_drawn(page, 5)  # + the training loss
    page.get_by_text("Layer 2: hidden nodes → output f").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "kan_trained.png"))
    assert "Traceback" not in page.content()
