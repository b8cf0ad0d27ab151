"""Handwritten digits with LeNet-5: a drawing, photo or scan → class probabilities and feature maps.

LeNet-5 was trained on scikit-learn's optdigits (`zoo.train.digits`): light strokes on a dark
ground, each digit size-normalised so that it fills the height of a 32×32 bitmap, then counted in
4×4 blocks into an 8×8 grid. A person's digit is brought to that same form before the model sees
it — otherwise a thin pen stroke in the corner of a white page would be out of distribution:

1. grayscale; invert if the background (the image's border) is light;
2. subtract the background's slow variations (shadows in a photo) and stretch the contrast;
3. crop to the ink (ignoring specks), pad to a square, resize to 128×128;
4. thicken or thin the strokes until they cover as much of the input as optdigits strokes do;
5. count 4×4 blocks → the 8×8 grid of 0–16, then upsample exactly as in training.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import BadInput, Demo, register_demo
from .inputs import DEMO_IMAGE_SIDE, picture, to_rgb

MODEL = "lenet5"
SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "digits"  # <digit>.png, held-out digits
LAYERS = ("c1", "c3")  # LeNet5.features returns the maps after C1 and after C3, in that order
WORK_SIDE = 128  # the cropped digit is resized to this, and its strokes adjusted, before the 8×8 count
# Fraction of the 32×32 model input above 0.5 for optdigits digits: 0.30 for every class (the
# 5th–95th percentiles are 0.25–0.36). A person's strokes are dilated or eroded into this range.
COVERAGE = (0.27, 0.34)
MIN_CONTRAST = 0.15  # ink must differ from the background by 15 % of the full range
INK = 0.3  # after the contrast stretch, a pixel above this is ink (paper texture stays below)
SPECK = 0.1  # ink blobs smaller than 10 % of the largest one are noise (dust, paper texture)


@dataclass(frozen=True)
class DigitResult:
    probs: list[float]  # 10 probabilities, index = digit
    digit: int
    grid: np.ndarray  # (8, 8) the optdigits-style grid, 0–16
    model_input: np.ndarray  # (32, 32) in [0, 1]: what LeNet-5 sees
    layer: str
    feature_maps: np.ndarray  # (channels, h, w) ReLU activations of `layer`


@functools.lru_cache(maxsize=1)
def model():
    import zoo

    return zoo.create_model(MODEL, weights="default")


def ink_image(image: Any) -> np.ndarray:
    """Any picture (see `picture`) → gray levels in [0, 1], at most DEMO_IMAGE_SIDE on a side.

    A picture with transparent parts (a canvas, a digit cut out on a transparent PNG) is its alpha
    channel: what is opaque is what was drawn, whatever its colour."""
    from PIL import Image, ImageOps

    img = picture(image)
    if isinstance(image, (bytes, bytearray)):  # load_image flattened any alpha on white: look again
        raw = Image.open(io.BytesIO(bytes(image)))
        if "A" in raw.mode or "transparency" in raw.info:
            raw.thumbnail((DEMO_IMAGE_SIDE, DEMO_IMAGE_SIDE))
            img = ImageOps.exif_transpose(raw)
    if "A" in img.mode or "transparency" in img.info:
        alpha = img.convert("RGBA").getchannel("A")
        if alpha.getextrema()[0] < 255:
            alpha.thumbnail((DEMO_IMAGE_SIDE, DEMO_IMAGE_SIDE))
            return np.asarray(alpha, dtype=np.float32) / 255
    return np.asarray(to_rgb(img).convert("L"), dtype=np.float32) / 255  # to_rgb also downsizes


def _foreground(gray: np.ndarray) -> np.ndarray:
    """Light-on-dark, background removed, contrast stretched to [0, 1]."""
    from scipy import ndimage

    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 0.5:  # dark ink on light paper → light on dark, like optdigits
        gray = 1.0 - gray
    # white top-hat: the opening (min then max over half the picture, wider than any stroke) is the
    # background alone — uneven light in a photo; subtracting it leaves the strokes
    size = max(3, min(gray.shape) // 2)
    fg = gray - ndimage.grey_opening(gray, size=(size, size))
    peak = float(ndimage.median_filter(fg, size=3).max())  # median: one hot pixel is not the ink
    if peak < MIN_CONTRAST:
        raise BadInput("digit_blank")
    return np.clip(fg / peak, 0.0, 1.0)


def _crop_square(fg: np.ndarray) -> np.ndarray:
    """The ink's bounding box, specks dropped, padded to a square and resized to WORK_SIDE²."""
    from PIL import Image
    from scipy import ndimage

    mask = fg > INK
    labels, n = ndimage.label(mask)
    if n == 0:
        raise BadInput("digit_no_ink")
    sizes = ndimage.sum_labels(mask, labels, index=np.arange(1, n + 1))
    keep = np.isin(labels, 1 + np.flatnonzero(sizes >= SPECK * sizes.max()))
    rows, cols = np.flatnonzero(keep.any(1)), np.flatnonzero(keep.any(0))
    keep = ndimage.binary_dilation(keep, iterations=2)  # with the soft edges of the kept strokes
    crop = np.where(keep, fg, 0.0)[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    side = max(crop.shape)  # optdigits fills the box's height (or width, for a wide digit)
    square = np.zeros((side, side), dtype=np.float32)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top : top + crop.shape[0], left : left + crop.shape[1]] = crop
    shrink = side // WORK_SIDE
    if shrink > 1:  # widen strokes by the shrink factor first, so a 1-px pen line does not fade away
        square = ndimage.grey_dilation(square, size=(shrink, shrink))
    return np.asarray(Image.fromarray(square, mode="F").resize((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX))


def _grid(ink: np.ndarray) -> np.ndarray:
    """WORK_SIDE² ink → optdigits' 8×8 grid: the ink in each block (its share of 'on' pixels) × 16."""
    b = ink.shape[0] // 8
    return ink.reshape(8, b, 8, b).mean(axis=(1, 3)) * 16


def _coverage(ink: np.ndarray) -> float:
    from zoo.train.digits import to_input

    return float((to_input(_grid(ink)) > 0.5).float().mean())


def _normalise_strokes(ink: np.ndarray, max_steps: int = 24) -> np.ndarray:
    """Thicken thin strokes (a pen on paper) or thin fat ones until they cover as much as optdigits'."""
    from scipy import ndimage

    for _ in range(max_steps):
        c = _coverage(ink)
        if c < COVERAGE[0]:
            ink = ndimage.grey_dilation(ink, size=(3, 3))
        elif c > COVERAGE[1]:
            thinner = ndimage.grey_erosion(ink, size=(3, 3))
            if thinner.max() < INK:
                break
            ink = thinner
        else:
            break
    return ink


def to_grid(image: Any) -> np.ndarray:
    """Any picture of one digit → the (8, 8) optdigits-style grid of 0–16 the model was trained on."""
    return _grid(_normalise_strokes(_crop_square(_foreground(ink_image(image)))))


def run(image: Any, layer: str = "c1") -> DigitResult:
    """Classify one digit: image bytes, a PIL image, an array (e.g. a canvas' RGBA), or an 8×8 grid
    of 0–16 (taken as is, like scikit-learn's `load_digits().images`)."""
    import torch

    from zoo.train.digits import to_input

    if layer not in LAYERS:
        raise BadInput("unknown_layer", value=repr(layer), choices=", ".join(LAYERS))
    if isinstance(image, np.ndarray) and image.shape == (8, 8):
        grid = image.astype(np.float32)
    else:
        grid = to_grid(image)
    x = to_input(grid)
    with torch.no_grad():
        net = model()
        probs = net(x).softmax(-1)[0]
        maps = net.features(x)[LAYERS.index(layer)][0]
    return DigitResult(
        probs=[float(p) for p in probs],
        digit=int(probs.argmax()),
        grid=np.asarray(grid, dtype=np.float32),
        model_input=x[0, 0].numpy(),
        layer=layer,
        feature_maps=maps.numpy(),
    )


def samples() -> dict[int, Path]:
    """{digit: picture}: one held-out optdigits digit per class (made by `zoo.train.digits.save_samples`)."""
    return {int(p.stem): p for p in sorted(SAMPLES.glob("[0-9].png"))}


def tile(maps: np.ndarray, cols: int = 8, pad: int = 1, scale: int = 4) -> np.ndarray:
    """(C, H, W) activations → one uint8 image of all maps side by side, each stretched to its own
    0–255 range (a map that stays at zero is black), enlarged `scale`× for the eye."""
    c, h, w = maps.shape
    cols = min(cols, c)
    rows = -(-c // cols)
    out = np.zeros((rows * (h + pad) - pad, cols * (w + pad) - pad), dtype=np.uint8)
    for i, m in enumerate(maps):
        hi = float(m.max())
        top, left = divmod(i, cols)
        top, left = top * (h + pad), left * (w + pad)
        out[top : top + h, left : left + w] = (m / hi * 255).astype(np.uint8) if hi > 0 else 0
    return np.kron(out, np.ones((scale, scale), dtype=np.uint8))


register_demo(
    Demo(
        name="digits",
        title="Handwritten digit recognition",
        models=(MODEL,),
        input_kind="drawing",
        description=(
            "Draw a digit, photograph one on paper, or pick a sample: LeNet-5 (trained in seconds on "
            "scikit-learn's 8×8 digits) gives the probability of each digit 0–9 and shows what its "
            "convolution layers respond to."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "手写数字识别",
                "description": "画一个数字、拍一张纸上的数字或选一个样例：LeNet-5（在 scikit-learn 的 8×8 "
                "手写数字上几秒钟训练而成）给出 0–9 每个数字的概率，并展示卷积层对它的响应。",
            }
        },
    )
)
