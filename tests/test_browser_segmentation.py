"""The "Segment it" demo as a person uses it: headless Chromium on the real one-port server opens the
U-Net page's Try-it tab, picks a generated scene and sees the mask tinted over it, with its IoU."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zoo.demos import segmentation as demo

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)
ALL_IMAGES_DRAWN = "() => [...document.querySelectorAll('[data-testid=stImage] img')].every(i => i.complete && i.naturalWidth)"


def test_unet_segments_a_sample_scene(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/model?model=unet&tab=try")
    page.get_by_text("Segment it").first.wait_for()
    # the sample scene is the default input: the overlay and the probability map appear without a click
    overlay = page.locator('[data-testid="stImage"]').filter(has_text="tinted magenta")
    expect(overlay.locator("img")).to_be_visible(timeout=60_000)
    iou = page.locator('[data-testid="stMetric"]').filter(has_text="IoU with the scene")
    expect(iou.locator('[data-testid="stMetricValue"]')).to_have_text(re.compile(r"^(0\.[89]\d|1\.00)$"), timeout=60_000)

    # another scene from the list: the page shows what the demo gives for that scene
    scenes = demo.samples()
    expected = {name: demo.run(path.read_bytes()) for name, path in list(scenes.items())[:2]}
    (_, r1), (two, r2) = expected.items()
    shares = [f"{r.object_fraction:.0%}" for r in (r1, r2)]
    assert shares[0] != shares[1]  # the two scenes are told apart by the share of object pixels
    share = page.locator('[data-testid="stMetric"]').filter(has_text="marked as object").locator('[data-testid="stMetricValue"]')
    expect(share).to_have_text(shares[0], timeout=60_000)
    before = overlay.locator("img").get_attribute("src")
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Generated scene").click()
    page.get_by_role("option", name=f"Scene {two.removeprefix('scene_')}").click()
    expect(share).to_have_text(shares[1], timeout=60_000)
    expect(iou.locator('[data-testid="stMetricValue"]')).to_have_text(f"{demo.iou(r2.mask, demo.sample_mask(two)):.2f}")
    expect(overlay.locator("img")).not_to_have_attribute("src", before)  # the new scene's overlay …
    page.wait_for_function(ALL_IMAGES_DRAWN)  # … loaded and drawn, not the previous one still on screen
    expect(page.get_by_text("Per-pixel probability")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "segmentation_sample.png"), full_page=True)
    assert "Traceback" not in page.content()


def test_unet_segments_a_scribble_drawn_on_the_canvas(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/model?model=unet&tab=try")
    page.locator('[data-testid="stRadio"]').filter(has_text="Sample scene").get_by_text("Draw", exact=True).click()
    canvas = page.locator("canvas.upper-canvas")  # fabric.js draws on the upper of its two canvases
    canvas.wait_for()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 60, box["y"] + 80)
    page.mouse.down()
    for i in range(1, 13):  # a zig-zag band across the canvas, like a child's scribble
        page.mouse.move(box["x"] + 60 + 14 * i, box["y"] + (80 if i % 2 == 0 else 200), steps=4)
    page.mouse.up()
    share = page.locator('[data-testid="stMetric"]').filter(has_text="marked as object").locator('[data-testid="stMetricValue"]')
    expect(share).to_have_text(re.compile(r"^([5-9]|[1-3]\d)%$"), timeout=60_000)  # the strokes, not the white page
    overlay = page.locator('[data-testid="stImage"]').filter(has_text="tinted magenta")
    expect(overlay.locator("img")).to_be_visible()
    expect(page.get_by_text("Per-pixel probability")).to_be_visible()
    page.wait_for_function(ALL_IMAGES_DRAWN)
    expect(page.get_by_text("Tip: the U-Net")).to_have_count(1)  # the page has settled: no element of the last run left
    page.screenshot(path=str(SHOTS / "segmentation_canvas.png"), full_page=True)
