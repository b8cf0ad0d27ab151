"""Find the digits: a narrow YOLOv8 locates and names every handwritten digit in a picture.

The detector (`zoo.train.find_digits`) was trained on generated 128×128 gray scenes of scikit-learn
digits, light on dark and dark on light, 12–56 px tall. A person's picture is brought to that form:

1. gray levels in [0, 1] (a canvas or a cut-out with transparency: its alpha, i.e. what was drawn);
2. contrast stretched between the 1st and 99th percentiles, so a grey photo spans the range too;
3. resized so that its long side is 128 px, then padded with its own border colour to multiples of 32
   (the network is fully convolutional: a wide picture stays wide);
4. softened if its edges are sharper than any training scene's: the training digits are 8×8 grids
   enlarged 2–7×, so their strokes fade over several pixels, while a pen or a canvas draws 1-px edges
   that the detector never saw (on drawn digits, 15 of 26 found before, 26 of 26 after). The steepest
   edges (99.5th percentile of the gradient) are ≤ 0.43 per px in training scenes, median 0.22; a
   sharper picture is blurred with the smallest Gaussian that brings them to ≤ 0.2;
5. one forward pass; the boxes are mapped back to the picture and drawn on it.

A blank picture is not an error: it simply holds no digits.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import BadInput, Demo, register_demo
from .digits import ink_image

MODEL = "yolov8n"
SIDE = 128  # the training scenes' side: a picture's long side is resized to this
MIN_SCORE = 0.05  # the model keeps candidates above this; the user's threshold filters further
DEFAULT_SCORE = 0.4
MIN_CONTRAST = 0.08  # a picture whose 1st–99th percentile range is below this is blank
SHARP, SOFT = 0.45, 0.2  # edge steepness (see step 4): above SHARP, blur until ≤ SOFT
SIGMAS = (1.0, 1.5, 2.0, 2.5, 3.0)  # px at the model's scale, tried in this order
SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "find_digits"
COLOURS = ("#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324", "#808000", "#000075")


@dataclass(frozen=True)
class Detection:
    label: int  # the digit 0–9
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 in the picture's pixels


@dataclass(frozen=True)
class FindResult:
    detections: list[Detection]  # best first, score ≥ the threshold asked for
    annotated: np.ndarray  # (H, W, 3) uint8: the picture with boxes, digits and scores drawn on it
    model_input: np.ndarray  # (h, w) in [0, 1]: what the detector sees
    blank: bool  # the picture had no contrast at all: nothing to look for


@functools.lru_cache(maxsize=1)
def model():
    import zoo

    return zoo.create_model(MODEL, weights="default", conf_threshold=MIN_SCORE)


def prepare(gray: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """(H, W) gray in [0, 1] → (model input (h, w), h and w multiples of 32; scale picture → input; blank)."""
    from PIL import Image

    lo, hi = np.percentile(gray, [1, 99])
    if hi - lo < MIN_CONTRAST:
        lo, hi = float(gray.min()), float(gray.max())  # a few thin strokes on a plain page: use the extremes
    blank = hi - lo < MIN_CONTRAST
    g = np.clip((gray - lo) / max(hi - lo, 1e-6), 0, 1).astype(np.float32)
    scale = SIDE / max(g.shape)
    h, w = max(1, round(g.shape[0] * scale)), max(1, round(g.shape[1] * scale))
    small = np.asarray(Image.fromarray(g, mode="F").resize((w, h), Image.Resampling.BILINEAR, reducing_gap=2.0))
    border = np.concatenate([small[0], small[-1], small[:, 0], small[:, -1]])
    out = np.full((-(-h // 32) * 32, -(-w // 32) * 32), np.median(border), dtype=np.float32)
    out[:h, :w] = small
    return soften(out), scale, blank


def steepness(x: np.ndarray) -> float:
    """How abruptly the picture's strongest edges change: the 99.5th percentile of |∇x| per pixel."""
    gy, gx = np.gradient(x)
    return float(np.percentile(np.hypot(gx, gy), 99.5))


def soften(x: np.ndarray) -> np.ndarray:
    """Blur a picture whose edges are sharper than the training scenes' (step 4); others are returned as is."""
    from scipy import ndimage

    if steepness(x) <= SHARP:
        return x
    for sigma in SIGMAS:
        blurred = ndimage.gaussian_filter(x, sigma).astype(np.float32)
        if steepness(blurred) <= SOFT:
            break
    return blurred


def draw(picture_rgb, detections: list[Detection]) -> np.ndarray:
    """Boxes with "digit score" tags drawn on a copy of the picture."""
    from PIL import ImageDraw, ImageFont

    img = picture_rgb.copy()
    pen = ImageDraw.Draw(img)
    width = max(2, round(max(img.size) / 200))
    font = ImageFont.load_default(size=max(12, round(max(img.size) / 22)))
    for d in sorted(detections, key=lambda d: d.score):  # best drawn last, on top
        colour = COLOURS[d.label]
        pen.rectangle(d.box, outline=colour, width=width)
        tag = f"{d.label} {d.score:.2f}"
        left, top, right, bottom = pen.textbbox((d.box[0], d.box[1]), tag, font=font)
        y = d.box[1] - (bottom - top) - 2 * width if d.box[1] - (bottom - top) - 2 * width >= 0 else d.box[3]
        pen.rectangle((d.box[0], y, d.box[0] + right - left + 2 * width, y + bottom - top + 2 * width), fill=colour)
        pen.text((d.box[0] + width, y + width - (top - d.box[1])), tag, fill="white", font=font)
    return np.asarray(img)


def run(image: Any, score_threshold: float = DEFAULT_SCORE, net: Any = None) -> FindResult:
    """Find the digits in one picture: bytes (a user's file), a PIL image or an array (e.g. a canvas'
    RGBA). `score_threshold` in [0, 1] hides weaker detections (below MIN_SCORE nothing is kept);
    `net` is the shipped detector unless given (the recipe judges its samples with the model it trained)."""
    import torch
    from PIL import Image

    from zoo.runtime import single_threaded
    from zoo.train.find_digits import to_input

    try:
        score_threshold = float(score_threshold)
    except (TypeError, ValueError):
        score_threshold = float("nan")
    if not 0.0 <= score_threshold <= 1.0:
        raise BadInput("find_digits_threshold", value=score_threshold)
    gray = ink_image(image)  # BadInput for empty, corrupt, huge, tiny, elongated or mis-shaped pictures
    x, scale, blank = prepare(gray)
    detections: list[Detection] = []
    if not blank:
        net = net if net is not None else model()
        with torch.no_grad(), single_threaded():
            found = net.eval()(to_input(x))[0]
        for box, label, score in zip(found["boxes"].tolist(), found["labels"].tolist(), found["scores"].tolist()):
            if score < score_threshold:
                continue
            x1, y1, x2, y2 = (min(max(v / scale, 0.0), lim) for v, lim in zip(box, (gray.shape[1], gray.shape[0]) * 2))
            if x2 - x1 >= 1 and y2 - y1 >= 1:  # a box that lay in the padding only: nothing of the picture
                detections.append(Detection(int(label), float(score), (x1, y1, x2, y2)))
    shown = Image.fromarray((gray * 255).round().astype(np.uint8)).convert("RGB")
    if not isinstance(image, np.ndarray) or image.ndim != 3 or image.shape[2] != 4:
        from .inputs import picture, to_rgb

        shown = to_rgb(picture(image))  # the picture in colour (an RGBA canvas is shown as its alpha)
        if shown.size != (gray.shape[1], gray.shape[0]):
            shown = shown.resize((gray.shape[1], gray.shape[0]))
    return FindResult(detections, draw(shown, detections), x, blank)


def samples() -> dict[str, Path]:
    """{name: picture}: generated scenes of held-out digits (made by `zoo.train.find_digits.save_samples`)."""
    return {p.stem: p for p in sorted(SAMPLES.glob("scene*.png"))}


register_demo(
    Demo(
        name="find_digits",
        title="Find the digits",
        models=(MODEL,),
        input_kind="drawing",
        description=(
            "Draw several digits, upload a photo of a page, or pick a generated scene: a narrow YOLOv8 "
            "(trained in minutes on scenes made of scikit-learn's 8×8 digits) boxes every digit it finds "
            "and names it, with a confidence score."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "找出数字",
                "description": "画几个数字、上传一张纸面照片或选一个生成的场景：一个窄版 YOLOv8（在由 scikit-learn 的 8×8 "
                "手写数字拼成的场景上几分钟训练而成）会框出它找到的每个数字，标出是几，并给出置信分数。",
            }
        },
    )
)
