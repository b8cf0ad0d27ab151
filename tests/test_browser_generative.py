"""Live training demos in a real browser: the karate-club GCN and the DCGAN digit sampler."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def _try_it(page, base_url: str, key: str, heading: str) -> None:
    page.goto(f"{base_url}/model?model={key}")
    page.get_by_role("heading", name=heading).first.wait_for()
    page.get_by_role("tab", name="Try it").click()


def test_gcn_trains_on_the_karate_club_and_draws_the_graph(page, base_url):
    _try_it(page, base_url, "gcn", "GCN")
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_text(re.compile(r"GCN predicts \d+ of 32 unlabelled members")).wait_for(timeout=120_000)
    page.get_by_text("Accuracy on unlabelled members").wait_for()
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.locator("canvas, svg").first.wait_for()
    assert "Traceback" not in page.content()


def test_dcgan_samples_new_digits(page, base_url):
    _try_it(page, base_url, "dcgan_generator", "DCGAN generator")
    page.get_by_text("noise seed 0").wait_for(timeout=120_000)
    page.get_by_role("button", name="Sample new digits").click()
    page.get_by_text("noise seed 1").wait_for()
    # The <img> is swapped when the new sample arrives and decodes asynchronously, so the check
    # looks the element up again on every poll instead of holding one handle.
    page.wait_for_function(
        """() => {
            const img = document.querySelector("[data-testid='stImage'] img");
            return img !== null && img.complete && img.naturalWidth > 100;
        }"""
    )
