"""The "Find the digits" demo as a person uses it: headless Chromium on the real one-port server opens the
YOLOv8n page's Try-it tab, where a generated scene of held-out digits is the default input, and sees the
scene with its digits boxed, the count and the table of detections; another scene gives a new picture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def test_yolov8n_boxes_the_digits_of_a_sample_scene(page, base_url):
    from playwright.sync_api import expect

    from zoo.demos import find_digits

    truth = json.loads((find_digits.SAMPLES / "truth.json").read_text())
    page.goto(f"{base_url}/model?model=yolov8n&tab=try")
    page.get_by_text("Find the digits").first.wait_for()
    annotated = page.locator('[data-testid="stImage"]').filter(has_text="Each box: the digit")
    expect(annotated.locator("img")).to_be_visible(timeout=60_000)
    found = page.locator('[data-testid="stMetric"]').filter(has_text="Digits found")
    expect(found.locator('[data-testid="stMetricValue"]')).to_have_text(str(len(truth["scene1.png"])), timeout=60_000)
    table = page.locator('[data-testid="stDataFrame"]')
    expect(table).to_be_visible()

    first = annotated.locator("img").get_attribute("src")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Generated scene").click()
    page.get_by_role("option", name="Scene 2").click()
    expect(annotated.locator("img")).not_to_have_attribute("src", first, timeout=60_000)
    expect(found.locator('[data-testid="stMetricValue"]')).to_have_text(str(len(truth["scene2.png"])), timeout=60_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "find_digits_sample.png"), full_page=True)
    assert "Traceback" not in page.content()
