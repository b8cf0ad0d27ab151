"""The `find_digits` demo: the shipped narrow YOLOv8, its samples of held-out digits, bad inputs, blank pictures."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from test_demo_digits import stroke_points

from zoo import weights
from zoo.demos import BadInput, for_model
from zoo.demos import find_digits as demo
from zoo.train import find_digits as recipe
from zoo.vision._detection import box_iou


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def test_shipped_weights_are_registered_small_and_documented():
    w = weights.get("yolov8n")
    assert (w.name, w.source, w.recipe, w.file) == ("digits", "shipped", "yolov8_digits_det", recipe.FILE)
    assert w.path.exists() and w.path.stat().st_size < 5_000_000
    manifest = json.loads(w.path.with_name(w.file + ".json").read_text())
    assert manifest["model"] == "yolov8n" and manifest["recipe"] == "yolov8_digits_det"
    assert manifest["config"] == dict(w.config) == recipe.CONFIG  # the reduced width the weights need
    assert manifest["metric"] == dict(w.metrics) and manifest["metric"]["held-out mAP@0.5"] >= 0.8
    assert w.labels == tuple(str(d) for d in range(10))
    assert demo.model().cfg.width == 0.125 and demo.model().cfg.num_classes == 10


def test_demo_is_offered_on_the_yolov8n_page():
    assert "find_digits" in [d.name for d in for_model("yolov8n")]


@pytest.mark.parametrize("name", sorted(demo.samples()))
def test_finds_the_held_out_digits_of_each_sample(name):
    path = demo.samples()[name]
    truth = json.loads((demo.SAMPLES / "truth.json").read_text())[path.name]
    r = demo.run(path.read_bytes())
    assert sorted(d.label for d in r.detections) == sorted(t["label"] for t in truth)
    found = torch.tensor([d.box for d in r.detections])
    want = torch.tensor([t["box"] for t in truth])
    iou = box_iou(want, found)  # every true digit has a box of its label over it
    for i, t in enumerate(truth):
        j = int(iou[i].argmax())
        assert iou[i, j] >= 0.5 and r.detections[j].label == t["label"], (name, t)
    assert r.annotated.shape[:2] == Image.open(path).size[::-1] and r.annotated.shape[2] == 3
    assert not r.blank


def _written(digits, size, left, step, top, height, width, ink, paper):
    """A row of `digits` written with a `width`-px pen, each `height` px tall, `step` px apart."""
    img = Image.new("L", size, paper)
    for k, digit in enumerate(digits):
        for points in stroke_points(digit, left + k * step, top, height):
            ImageDraw.Draw(img).line(points, fill=ink, width=width, joint="curve")
    return img


def test_finds_digits_drawn_on_a_canvas():
    """White strokes on a transparent 448×224 canvas, as the Draw input sends them: sharp pen edges the
    training scenes never had, softened by the demo before the detector sees them."""
    canvas = np.zeros((224, 448, 4), np.uint8)
    canvas[..., :3], canvas[..., 3] = 255, np.asarray(_written((2, 5, 7), (448, 224), 30, 105, 40, 140, 14, 255, 0))
    r = demo.run(canvas)
    assert [d.label for d in sorted(r.detections, key=lambda d: d.box[0])] == [2, 5, 7]


def test_finds_digits_written_on_paper():
    page = _written((5, 2, 0), (600, 300), 40, 140, 60, 170, 8, 30, 235)  # dark ink on light paper, a PNG upload
    r = demo.run(_png(page))
    assert [d.label for d in sorted(r.detections, key=lambda d: d.box[0])] == [5, 2, 0]


def test_threshold_hides_weaker_detections():
    picture = next(iter(demo.samples().values())).read_bytes()
    low, high = demo.run(picture, score_threshold=0.05), demo.run(picture, score_threshold=0.99)
    assert len(high.detections) <= len(low.detections)
    assert all(d.score >= 0.99 for d in high.detections) and all(d.score >= 0.05 for d in low.detections)


@pytest.mark.parametrize("colour", [0, 255, 128])
def test_a_blank_picture_has_no_digits(colour):
    r = demo.run(np.full((120, 200), colour, dtype=np.uint8))
    assert r.blank and r.detections == []
    assert r.annotated.shape == (120, 200, 3)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "image_empty"),
        (b"certainly not a PNG", "image_unreadable"),
        (_png(Image.new("L", (5, 40))), "image_too_small"),
        (_png(Image.new("L", (2000, 40))), "image_too_elongated"),
        (np.zeros((30, 30, 7)), "picture_shape"),
        (np.full((30, 30), np.nan), "picture_not_finite"),
    ],
)
def test_bad_inputs_are_explained(data, key):
    with pytest.raises(BadInput) as e:
        demo.run(data)
    assert e.value.key == key


def test_huge_pictures_are_refused_before_decoding():
    big = _png(Image.new("1", (9000, 5000)))  # 45 megapixels, a few kB as a 1-bit PNG
    with pytest.raises(BadInput) as e:
        demo.run(big)
    assert e.value.key == "image_too_many_pixels"


@pytest.mark.parametrize("value", [-0.1, 1.5, "high", None])
def test_threshold_out_of_range(value):
    with pytest.raises(BadInput) as e:
        demo.run(np.zeros((64, 64), np.uint8), score_threshold=value)
    assert e.value.key == "find_digits_threshold"


def test_wide_pictures_keep_their_shape():
    x, scale, blank = demo.prepare(np.random.default_rng(0).random((100, 400)))
    assert x.shape == (32, 128) and scale == pytest.approx(128 / 400) and not blank
