"""Segment it: a narrow U-Net marks, pixel by pixel, which parts of a picture are objects.

The U-Net (padded convs, base width 8, ~0.5M parameters) was trained in minutes by
`zoo.train.segmentation` on generated scenes: filled shapes, outlines, scribbles and handwritten
digits on noisy colour gradients, with exact masks. It learned "something drawn on a background",
not any particular class, so it also finds strokes drawn on the canvas (tested); busy photographs
are outside anything it has seen.

A picture is brought to the scale of the training scenes before the model sees it: RGB in [0, 1],
longest side WORK_SIDE (96) px, padded (edge pixels repeated) to a multiple of 16 so that all four
max-pools divide evenly. The probability map is cropped back and resized to the shown picture.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import BadInput, Demo, register_demo
from . import inputs
from .inputs import to_rgb

MODEL = "unet"
SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "segmentation"  # scene_<n>.png + .mask.png
# Longest side the model sees (training scenes are 64×64, objects 15–80 % of a side). Measured on the
# demo's inputs: unseen 96-px scenes give object IoU 0.80 / 0.79 / 0.77 at 96 / 128 / 160 px, and four
# strokes drawn with the canvas' 14-px pen (a zig-zag, a circle, a house, a scribble) 0.81 on average at
# 96 px against 0.70 at 128: there the pen becomes a ~5-px stroke, like the training outlines.
WORK_SIDE = 96
MULTIPLE = 16  # 2^4: four 2×2 max-pools
SHOW_SIDE = 384  # px, longest side of the picture, mask and overlay returned for display
THRESHOLD = 0.5  # object probability above which a pixel is in the mask
MIN_RANGE = 8 / 255  # a picture whose values all lie within this range is one flat colour: nothing to segment
OVERLAY = np.array([255, 40, 120], dtype=np.float32)  # magenta: rare in natural pictures and in the scenes
OVERLAY_ALPHA = 0.55


@dataclass(frozen=True)
class SegmentationResult:
    image: np.ndarray  # (H, W, 3) uint8, the picture as shown (longest side ≤ SHOW_SIDE)
    probability: np.ndarray  # (H, W) float32 in [0, 1]: the model's probability that a pixel is an object
    mask: np.ndarray  # (H, W) bool: probability > THRESHOLD
    overlay: np.ndarray  # (H, W, 3) uint8: the picture with the mask tinted
    object_fraction: float  # share of the picture's pixels in the mask
    model_side: tuple[int, int]  # (height, width) the model worked at, before padding


@functools.lru_cache(maxsize=1)
def model():
    import zoo

    return zoo.create_model(MODEL, weights="default")


def picture(image: Any):
    """Bytes of a user's file, a PIL image or an array → RGB PIL image, or BadInput. Arrays: H×W (gray),
    H×W×3 (RGB) or H×W×4 (RGBA, e.g. a drawing canvas: transparent parts become white, like paper); uint8, or
    floats in [0, 1]; other numbers are read as 0–255 levels and clipped."""
    return to_rgb(inputs.picture(image, numbers="clip"))


def _resize(img, longest: int):
    from PIL import Image

    w, h = img.size
    s = longest / max(w, h)
    return img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.Resampling.BILINEAR)


def predict(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) floats in [0, 1] at the model's scale → (H, W) object probabilities. H and W are padded
    to multiples of 16 by repeating the edge pixels (a border of background) and cropped back after."""
    import torch

    from zoo.runtime import single_threaded

    h, w = rgb.shape[:2]
    ph, pw = -h % MULTIPLE, -w % MULTIPLE
    padded = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge")
    x = torch.from_numpy(np.ascontiguousarray(padded, dtype=np.float32)).permute(2, 0, 1)[None]  # (1, 3, H', W')
    with torch.no_grad(), single_threaded():  # a 0.5M-parameter net on ≤ 128×128: one thread is enough
        probs = model()(x).softmax(1)[0, 1]  # (H', W'): class 1 = object
    return probs[:h, :w].numpy()


def _outline(mask: np.ndarray) -> np.ndarray:
    """Mask pixels with a 4-neighbour outside the mask (the image border counts as outside)."""
    padded = np.pad(mask, 1, constant_values=False)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return mask & ~inner


def run(image: Any, threshold: float = THRESHOLD) -> SegmentationResult:
    """Segment one picture (file bytes, PIL image, or array such as a canvas' RGBA) into objects and background."""
    from PIL import Image

    img = picture(image)
    shown = _resize(img, SHOW_SIDE) if max(img.size) > SHOW_SIDE else img
    shown_arr = np.asarray(shown, dtype=np.uint8)
    if int(shown_arr.max()) - int(shown_arr.min()) < MIN_RANGE * 255:
        raise BadInput("segmentation_blank")
    work = _resize(img, WORK_SIDE)
    rgb = np.asarray(work, dtype=np.float32) / 255.0
    prob = predict(rgb)
    prob_img = Image.fromarray(prob.astype(np.float32), mode="F").resize(shown.size, Image.Resampling.BILINEAR)
    probability = np.clip(np.asarray(prob_img, dtype=np.float32), 0.0, 1.0)
    mask = probability > threshold
    tint = OVERLAY_ALPHA * mask[..., None]
    overlay = (shown_arr * (1 - tint) + OVERLAY * tint).round().astype(np.uint8)
    overlay[_outline(mask)] = 255  # a white edge: the mask stays visible on a magenta-ish picture too
    return SegmentationResult(
        image=shown_arr,
        probability=probability,
        mask=mask,
        overlay=overlay,
        object_fraction=float(mask.mean()),
        model_side=(rgb.shape[0], rgb.shape[1]),
    )


def samples() -> dict[str, Path]:
    """{name: picture}: generated scenes the model never saw (made by `zoo.train.segmentation.save_samples`)."""
    return {p.stem: p for p in sorted(SAMPLES.glob("scene_*.png")) if not p.name.endswith(".mask.png")}


def sample_mask(name: str) -> np.ndarray:
    """The exact ground-truth mask of a sample scene, (H, W) bool."""
    from PIL import Image

    return np.asarray(Image.open(SAMPLES / f"{name}.mask.png")) > 127


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    """Intersection over union of two boolean masks (1.0 when both are empty)."""
    union = np.logical_or(pred, truth).sum()
    return float(np.logical_and(pred, truth).sum() / union) if union else 1.0


register_demo(
    Demo(
        name="segmentation",
        title="Segment it",
        models=(MODEL,),
        input_kind="drawing",
        description=(
            "Draw on the canvas, upload a picture or pick a generated scene: a small U-Net (trained in minutes on "
            "generated scenes of shapes, scribbles and digits) marks every pixel that belongs to an object, and "
            "shows how sure it is, pixel by pixel."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "分割一下",
                "description": "在画布上画、上传图片或选一个生成的场景：一个小型 U-Net（在生成的形状、涂鸦和数字场景上"
                "训练几分钟而成）标出属于物体的每个像素，并逐像素显示它有多确定。",
            }
        },
    )
)
