"""The image demos as a person uses them: headless Chromium on the real one-port server uploads
files through the file uploader and draws on the canvas of the model page's Try-it tab."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from test_demo_digits import handwritten, photographed, png, stroke_points

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _try_it(page, base_url: str, model: str, source: str) -> None:
    page.goto(f"{base_url}/model?model={model}")
    page.get_by_role("tab", name="Try it").click()
    page.locator('[data-testid="stRadio"]').filter(has_text="Upload").get_by_text(source, exact=True).click()


def _upload(page, name: str, data: bytes, mime: str) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )


def _reading(page):
    """The 'LeNet-5 reads' metric's value."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="LeNet-5 reads")
    return metric.locator('[data-testid="stMetricValue"]')


def test_lenet5_reads_an_uploaded_photo_of_a_handwritten_digit(page, base_url):
    from playwright.sync_api import expect

    _try_it(page, base_url, "lenet5", "Upload")
    photo = photographed(handwritten(3, size=600, height=0.5, width=9))  # pen on shaded paper
    _upload(page, "three.jpg", png(photo, "JPEG"), "image/jpeg")
    expect(_reading(page)).to_have_text("3", timeout=60_000)
    page.get_by_text("What LeNet-5 sees").wait_for()
    _shot(page, "digits_upload")


def test_lenet5_reads_digits_drawn_on_the_canvas(page, base_url):
    from playwright.sync_api import expect

    _try_it(page, base_url, "lenet5", "Draw")
    canvas = page.locator("canvas.upper-canvas")  # fabric.js draws on the upper of its two canvases
    canvas.wait_for()
    for digit in (5, 2):
        box = canvas.bounding_box()
        for points in stroke_points(digit, box["x"] + 60, box["y"] + 35, 210):
            page.mouse.move(*points[0])
            page.mouse.down()
            for x, y in points[1:]:
                page.mouse.move(x, y, steps=3)
            page.mouse.up()
        expect(_reading(page)).to_have_text(str(digit), timeout=60_000)
        if digit == 5:
            _shot(page, "digits_canvas")
        canvas.hover()
        page.get_by_role("button", name="Reset canvas & history").click()
        page.get_by_text("Draw one digit").wait_for()  # the reading goes away with the drawing


def test_efficientnet_names_an_uploaded_cat_and_explains_a_broken_file(page, base_url):
    skimage_data = pytest.importorskip("skimage.data")
    from PIL import Image
    from playwright.sync_api import expect

    _try_it(page, base_url, "efficientnet_lite0", "Upload")
    buf = io.BytesIO()
    Image.fromarray(skimage_data.chelsea()).save(buf, "JPEG")
    _upload(page, "chelsea.jpg", buf.getvalue(), "image/jpeg")
    top1 = page.get_by_text("EfficientNet-Lite0 sees")
    expect(top1).to_contain_text(re.compile("cat|Mau|tabby"), timeout=90_000)
    _shot(page, "imagenet_upload")

    _upload(page, "broken.png", png(handwritten(1))[:200], "image/png")
    expect(page.locator('[data-testid="stAlertContentError"]').first).to_contain_text("damaged", timeout=60_000)
    assert "Traceback" not in page.content()
