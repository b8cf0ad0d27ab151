"""The `digits` demo: LeNet-5's shipped weights, the photo/drawing pipeline on handwriting-like
inputs, bad inputs, and the model page's Try-it tab."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

import zoo
from zoo import weights
from zoo.demos import BadInput
from zoo.demos import digits as demo
from zoo.train import digits as recipe


def _arc(cx, cy, rx, ry, a0, a1, n=24):
    t = np.radians(np.linspace(a0, a1, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


# Pen strokes of each digit in a unit box (x right, y down), roughly as people write them
# (the 7 without a bar, the 1 with a flag). Also drawn on the real canvas by the browser test.
STROKES = {
    0: [_arc(0.5, 0.5, 0.3, 0.45, -90, 270)],
    1: [[(0.35, 0.2), (0.55, 0.05), (0.55, 0.95)]],
    2: [_arc(0.5, 0.3, 0.3, 0.25, 190, 370) + [(0.2, 0.95), (0.85, 0.95)]],
    3: [_arc(0.48, 0.27, 0.28, 0.22, 200, 450) + _arc(0.48, 0.72, 0.3, 0.24, -90, 160)],
    4: [[(0.6, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.65, 0.3), (0.65, 0.95)]],
    5: [[(0.8, 0.05), (0.28, 0.05), (0.24, 0.45)] + _arc(0.5, 0.68, 0.3, 0.27, -120, 150)],
    6: [[(0.7, 0.05), (0.4, 0.3)] + _arc(0.5, 0.7, 0.28, 0.25, 200, 560)],
    7: [[(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)]],
    8: [_arc(0.5, 0.27, 0.22, 0.22, 90, 450), _arc(0.5, 0.72, 0.27, 0.23, -90, 270)],
    9: [_arc(0.5, 0.3, 0.25, 0.25, 0, 360) + [(0.73, 0.3), (0.68, 0.95)]],
}


def stroke_points(digit: int, left: float, top: float, height: float) -> list[list[tuple[float, float]]]:
    """The digit's strokes in pixels, in a box `height` tall (and 0.8 × as wide) at (left, top)."""
    return [[(left + x * 0.8 * height, top + y * height) for x, y in s] for s in STROKES[digit]]


def handwritten(digit: int, size=280, height=0.7, width=18, ink=0, paper=255, offset=(0, 0), mode="L") -> Image.Image:
    """`digit` written with a `width`-px pen, `height` × the page tall, centred then moved by `offset`."""
    img = Image.new(mode, (size, size), paper)
    h = height * size
    left, top = (size - 0.8 * h) / 2 + offset[0], (size - h) / 2 + offset[1]
    for pts in stroke_points(digit, left, top, h):
        ImageDraw.Draw(img).line(pts, fill=ink, width=width, joint="curve")
    return img


def png(img: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def photographed(img: Image.Image, seed: int = 0) -> Image.Image:
    """Grey paper lit from one side, with sensor noise, as a phone would see the page (JPEG, RGB)."""
    a = np.asarray(img, dtype=np.float32)
    h, w = a.shape
    light = np.linspace(0, 70, w)[None, :] + np.linspace(0, 40, h)[:, None]
    noise = np.random.default_rng(seed).normal(0, 6, a.shape)
    return Image.fromarray(np.clip(a * 0.75 + 40 - light + noise, 0, 255).astype(np.uint8)).convert("RGB")


# ----------------------------------------------------------------------------- weights


def test_shipped_weights_are_registered_small_and_documented():
    w = weights.get("lenet5")
    assert (w.name, w.source, w.recipe) == ("digits", "shipped", "lenet5_digits")
    assert w.path.exists() and w.path.stat().st_size < 1_000_000
    manifest = json.loads(w.path.with_name(w.file + ".json").read_text())
    assert manifest["model"] == "lenet5" and manifest["metric"]["held-out accuracy %"] >= 95
    assert w.metrics["held-out accuracy %"] == manifest["metric"]["held-out accuracy %"]
    assert w.labels == tuple("0123456789")


def test_shipped_weights_reach_95_percent_on_the_held_out_digits():
    model = zoo.create_model("lenet5", weights="default")
    assert not model.training
    _, x_test, _, y_test = recipe.split()
    acc = recipe.accuracy(model, recipe.to_input(x_test), torch.as_tensor(y_test))
    assert acc >= 0.95, acc


def test_recipe_still_trains():
    """Two epochs of the recipe (not the shipped run) already beat chance by far."""
    seen = []
    _, acc = recipe.train(epochs=2, progress=lambda epoch, a: seen.append(epoch))
    assert seen == [1, 2] and acc > 0.6, acc


# ----------------------------------------------------------------------------- real inputs


def test_samples_are_read_right():
    pictures = demo.samples()
    assert sorted(pictures) == list(range(10))
    for digit, path in pictures.items():
        assert Image.open(path).size == (96, 96)
        r = demo.run(path.read_bytes())
        assert r.digit == digit and r.probs[digit] > 0.5, (digit, r.probs)


def test_photo_pipeline_keeps_the_held_out_accuracy():
    """Held-out digits rendered as dark-on-light pictures go through crop, stroke and grid
    normalisation; the model still reads nearly all of them (98.6 % on the grids themselves)."""
    _, x_test, _, y_test = recipe.split()
    picks = range(0, len(y_test), 4)  # 90 digits, every class
    right = 0
    for i in picks:
        big = np.kron(x_test[i] / 16, np.ones((8, 8)))
        img = Image.fromarray(np.pad((255 * (1 - big)).astype(np.uint8), 16, constant_values=255))
        right += demo.run(img).digit == y_test[i]
    assert right / len(picks) >= 0.9, right


@pytest.mark.parametrize(
    "style",
    [
        "marker on the canvas (opaque, light on dark)",
        "canvas with a transparent background",
        "thin pen, small, off-centre on a big page",
        "photographed page (shading, noise, JPEG)",
        "transparent PNG, black ink",
    ],
)
def test_handwriting_is_read(style):
    def picture(d):
        if style.startswith("marker"):
            return handwritten(d, ink=255, paper=0).convert("RGBA")
        if style.startswith("canvas"):
            alpha = np.asarray(handwritten(d, ink=255, paper=0))
            return np.dstack([np.full((280, 280, 3), 255, np.uint8), alpha])  # white strokes, alpha = ink
        if style.startswith("thin"):
            return png(handwritten(d, size=1000, height=0.3, width=3, offset=(-150, 100)))
        if style.startswith("photographed"):
            return png(photographed(handwritten(d, size=400, height=0.6, width=8)), "JPEG")
        rgba = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
        rgba.putalpha(Image.eval(handwritten(d, size=300, width=14), lambda v: 255 - v))
        return png(rgba)

    preds = [demo.run(picture(d)).digit for d in range(10)]
    assert sum(p == d for d, p in enumerate(preds)) >= 9, preds


def test_thin_and_thick_strokes_reach_the_training_weight():
    """Stroke normalisation: a 2-px pen and a 40-px marker end up covering as much as optdigits'."""
    for width in (2, 40):
        grid = demo.to_grid(handwritten(3, size=800, height=0.8, width=width))
        coverage = float((recipe.to_input(grid) > 0.5).float().mean())
        assert demo.COVERAGE[0] - 0.02 <= coverage <= demo.COVERAGE[1] + 0.02, (width, coverage)


def test_result_has_probabilities_and_feature_maps():
    _, x_test, _, y_test = recipe.split()
    r1 = demo.run(x_test[0])  # an 8×8 grid of 0–16 is taken as is
    assert r1.digit == y_test[0] and abs(sum(r1.probs) - 1) < 1e-5 and len(r1.probs) == 10
    assert r1.feature_maps.shape == (6, 28, 28) and r1.model_input.shape == (32, 32)
    r3 = demo.run(x_test[0], layer="c3")
    assert r3.feature_maps.shape == (16, 10, 10) and r3.probs == r1.probs
    grid = demo.tile(r3.feature_maps, cols=8, pad=1, scale=2)
    assert grid.dtype == np.uint8 and grid.shape == (2 * (2 * 11 - 1), 2 * (8 * 11 - 1))  # maps of 10 + 1 px of padding between


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    "image, message",
    [
        (Image.new("L", (200, 200), 255), "No digit found"),  # a blank page
        (np.zeros((280, 280, 4), np.uint8), "No digit found"),  # an empty transparent canvas
        (Image.new("L", (200, 200), 128), "No digit found"),
        (np.zeros((5, 5, 7)), "shape"),
        (np.full((20, 20), np.nan), "invalid"),
    ],
)
def test_unusable_pictures_are_explained(image, message):
    with pytest.raises(BadInput, match=message):
        demo.run(image)


def test_unknown_layer_is_explained():
    with pytest.raises(BadInput, match="c1, c3"):
        demo.run(np.zeros((8, 8)), layer="f6")


# ----------------------------------------------------------------------------- the app


def test_try_it_tab_reads_a_sample():
    from apptest_utils import open_page

    at = open_page("pages/model.py", model="lenet5", tab="try")
    assert not at.exception
    at.radio(key="digits_source").set_value("sample").run()
    at.selectbox(key="digits_sample").set_value(8).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric if m.label == "LeNet-5 reads"] == ["8"]
    at.radio(key="digits_layer").set_value("c3").run()
    captions = [img.proto.imgs[0].caption for img in at.get("image")]
    assert any(c.startswith("Feature maps of C3") for c in captions), captions
