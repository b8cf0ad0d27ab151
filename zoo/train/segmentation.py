"""Recipe `unet_shapes`: a narrow U-Net that tells objects from background in generated scenes.

No segmentation data set ships offline, so the scenes are drawn here, each with its exact mask:
- a background: a linear gradient between two random colours, sometimes flat, sometimes with faint
  stripes, plus Gaussian noise of random strength;
- 1–4 objects at random positions and scales (some cut by the border): filled ellipses, rectangles,
  triangles and polygons, rings and polygon outlines, thick scribbles (what a person draws on the
  demo's canvas) and handwritten digits from scikit-learn's optdigits (8×8 → upscaled, thresholded);
- each object in its own colour, kept at least `MIN_CONTRAST` (RGB distance) from the background
  under it — otherwise the mask would ask for an object nobody can see — with its own shading.
The mask is 1 where any object is: foreground vs background, two classes.

Training draws fresh scenes every step (no scene is seen twice), so held-out scenes come from a
seed range training never uses. The metric is the mean over the two classes of the IoU accumulated
over every pixel of the held-out scenes (PASCAL VOC's mean IoU).

    python -m zoo.train unet_shapes     # ~13 min on one thread of a busy 2-core machine; writes the samples too
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, numpy_generator, torch_generator
from ..runtime import single_threaded
from . import recipe

FILE = "unet_shapes.safetensors"
DATASET = "generated scenes: shapes, scribbles and scikit-learn digits on noisy gradients (zoo.train.segmentation)"
SIDE = 64  # training scenes are 64×64 RGB
MIN_CONTRAST = 0.3  # RGB distance (0–√3) between an object's colour and the background under it
HELD_OUT_SEED = 10**6  # held-out scene i is drawn from seed HELD_OUT_SEED + i; training seeds stay below
HELD_OUT = 256  # scenes in the held-out set
CHECK = 32  # the first CHECK held-out scenes: a small recomputation the tests compare to the manifest
KINDS = ("ellipse", "rectangle", "triangle", "polygon", "ring", "outline", "scribble", "digit")
SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "segmentation"
SAMPLE_SIDE = 96  # the demo works at this side (zoo.demos.segmentation.WORK_SIDE), so the samples are drawn at it
SAMPLE_SEEDS = (2 * 10**6 + 1, 2 * 10**6 + 2, 2 * 10**6 + 3, 2 * 10**6 + 4)  # apart from training and held-out


def _digits() -> np.ndarray:
    """scikit-learn's 1,797 optdigits grids, (N, 8, 8) in [0, 1]."""
    from sklearn.datasets import load_digits

    return load_digits().images.astype(np.float32) / 16.0


_DIGITS: np.ndarray | None = None


def _background(rng: np.random.Generator, side: int) -> np.ndarray:
    """(side, side, 3) in [0, 1]: gradient between two colours (flat 25 % of the time), maybe stripes."""
    c0, c1 = rng.uniform(0, 1, 3), rng.uniform(0, 1, 3)
    if rng.random() < 0.25:
        c1 = c0
    angle = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    t = (xx * math.cos(angle) + yy * math.sin(angle))
    t = (t - t.min()) / (t.max() - t.min() + 1e-6)
    bg = c0 + (c1 - c0) * t[..., None]
    if rng.random() < 0.3:  # faint stripes: texture is not enough to call something an object
        freq, phase = rng.uniform(3, 10), rng.uniform(0, 2 * math.pi)
        across = xx * math.sin(angle) - yy * math.cos(angle)  # stripes run along the gradient
        bg = bg + rng.uniform(0.03, 0.08) * np.sin(2 * math.pi * freq * across + phase)[..., None]
    return bg.astype(np.float32)


def _shape_mask(rng: np.random.Generator, kind: str, side: int) -> np.ndarray:
    """(side, side) bool mask of one object of `kind`, at a random position and scale."""
    from PIL import Image, ImageDraw

    size = rng.uniform(0.15, 0.8) * side  # 15–80 % of the scene
    cx, cy = rng.uniform(0.05, 0.95, 2) * side  # centre; objects may be cut by the border
    img = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(img)
    if kind == "digit":
        global _DIGITS
        if _DIGITS is None:
            _DIGITS = _digits()
        grid = _DIGITS[rng.integers(len(_DIGITS))]
        s = max(8, int(size))
        up = np.asarray(Image.fromarray((grid * 255).astype(np.uint8)).resize((s, s), Image.Resampling.BILINEAR))
        digit = Image.fromarray(((up > 100) * 255).astype(np.uint8))
        img.paste(digit, (int(cx - s / 2), int(cy - s / 2)), digit)
    elif kind == "ellipse":
        rx, ry = size / 2 * rng.uniform(0.5, 1, 2)
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], fill=255)
    elif kind == "ring":
        rx, ry = size / 2 * rng.uniform(0.6, 1, 2)
        draw.ellipse([cx - rx, cy - ry, cx + rx, cy + ry], outline=255, width=max(2, int(size * rng.uniform(0.08, 0.2))))
    elif kind == "scribble":
        n = rng.integers(3, 11)  # up to 10 points: zig-zags and loops, as people scribble
        pts = [(cx + dx, cy + dy) for dx, dy in rng.uniform(-size / 2, size / 2, (n, 2))]
        draw.line(pts, fill=255, width=max(2, int(size * rng.uniform(0.06, 0.15))), joint="curve")
    elif kind == "outline":  # a closed polygon drawn as a stroke: only the line is the object
        pts = _polygon(rng, str(rng.choice(("rectangle", "triangle", "polygon"))), size, cx, cy)
        draw.line(pts + pts[:1], fill=255, width=max(2, int(size * rng.uniform(0.06, 0.15))), joint="curve")
    else:
        draw.polygon(_polygon(rng, kind, size, cx, cy), fill=255)
    return np.asarray(img) > 127


def _polygon(rng: np.random.Generator, kind: str, size: float, cx: float, cy: float) -> list[tuple[float, float]]:
    """Corners of a rotated rectangle, equilateral triangle or irregular 5–7-gon about (cx, cy)."""
    corners = {"rectangle": 4, "triangle": 3, "polygon": int(rng.integers(5, 8))}[kind]
    rot = rng.uniform(0, 2 * math.pi)
    if kind == "rectangle":
        a = rng.uniform(0.3, 1.0)  # aspect: rectangles, not only squares
        base = np.array([[-1, -a], [1, -a], [1, a], [-1, a]]) * size / 2
    else:
        ang = np.sort(rng.uniform(0, 2 * math.pi, corners)) if kind == "polygon" else np.arange(3) * 2 * math.pi / 3
        r = size / 2 * (rng.uniform(0.7, 1.0, corners) if kind == "polygon" else 1.0)
        base = np.stack([np.cos(ang) * r, np.sin(ang) * r], 1)
    rmat = np.array([[math.cos(rot), -math.sin(rot)], [math.sin(rot), math.cos(rot)]])
    return [(cx + x, cy + y) for x, y in base @ rmat.T]


def scene(seed: int, side: int = SIDE) -> tuple[np.ndarray, np.ndarray]:
    """One generated scene: (side, side, 3) float32 RGB in [0, 1] and its (side, side) uint8 mask (1 = object).
    The same seed always gives the same scene."""
    rng = numpy_generator(seed)
    image = _background(rng, side)
    mask = np.zeros((side, side), dtype=bool)
    for _ in range(int(rng.integers(1, 5))):
        obj = _shape_mask(rng, str(rng.choice(KINDS)), side)
        if obj.sum() < 4:  # fell almost entirely outside the scene
            continue
        under = image[obj].mean(0)
        for _ in range(20):  # an object must differ from the background it lies on
            colour = rng.uniform(0, 1, 3)
            if np.linalg.norm(colour - under) >= MIN_CONTRAST:
                break
        else:
            colour = np.where(under > 0.5, 0.0, 1.0)  # give up searching: the opposite corner of the cube
        yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
        shading = rng.uniform(-0.08, 0.08) * (xx - 0.5) + rng.uniform(-0.08, 0.08) * (yy - 0.5)
        image = np.where(obj[..., None], colour + shading[..., None], image)
        mask |= obj
    image = image + rng.normal(0, rng.uniform(0.0, 0.06), image.shape)  # sensor noise over everything
    return np.clip(image, 0, 1).astype(np.float32), mask.astype(np.uint8)


def batch(seeds, side: int = SIDE) -> tuple[torch.Tensor, torch.Tensor]:
    """Scenes of `seeds` as tensors: (B, 3, side, side) in [0, 1] and (B, side, side) long masks."""
    images, masks = zip(*(scene(int(s), side) for s in seeds))
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).contiguous()
    return x, torch.from_numpy(np.stack(masks)).long()


def confusion(pred: torch.Tensor, target: torch.Tensor, num_classes: int = 2) -> torch.Tensor:
    """(num_classes, num_classes) pixel counts, rows = ground truth, columns = prediction."""
    idx = target.reshape(-1) * num_classes + pred.reshape(-1)
    return torch.bincount(idx, minlength=num_classes**2).reshape(num_classes, num_classes)


def iou_per_class(conf: torch.Tensor) -> torch.Tensor:
    """IoU of each class from a confusion matrix: TP / (TP + FP + FN)."""
    tp = conf.diag().double()
    return tp / (conf.sum(0).double() + conf.sum(1).double() - tp).clamp(min=1)


@torch.no_grad()
def evaluate(model: torch.nn.Module, n: int = HELD_OUT, batch_size: int = 32) -> dict[str, float]:
    """IoU (%) of background, object and their mean over the first `n` held-out scenes (pixels pooled)."""
    model.eval()
    conf = torch.zeros(2, 2, dtype=torch.long)
    for start in range(0, n, batch_size):
        seeds = range(HELD_OUT_SEED + start, HELD_OUT_SEED + min(n, start + batch_size))
        x, y = batch(seeds)
        conf += confusion(model(x).argmax(1), y)
    iou = iou_per_class(conf)
    return {"background IoU %": round(100 * float(iou[0]), 2), "object IoU %": round(100 * float(iou[1]), 2),
            "mean IoU %": round(100 * float(iou.mean()), 2)}


def train(steps: int = 1500, lr: float = 3e-3, batch_size: int = 16, seed: int = 0, log_every: int = 100):
    """Adam with a one-cycle schedule on fresh scenes every step; returns the model in eval mode."""
    from zoo.vision.unet import SHAPES_CONFIG

    with single_threaded():  # a 0.5M-parameter net on 64×64 scenes: one core each for the shared machine
        model = build("unet", torch_generator(seed), **SHAPES_CONFIG)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.15)
        t0 = time.time()
        for step in range(steps):
            model.train()
            first = seed * 10**5 + step * batch_size  # training seeds: below HELD_OUT_SEED for seed < 10
            x, y = batch(range(first, first + batch_size))
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            if log_every and (step + 1) % log_every == 0:
                print(f"step {step + 1}/{steps} loss {loss.item():.4f} {time.time() - t0:.0f} s", flush=True)
        return model.eval()


def save_samples() -> list[Path]:
    """The demo's sample scenes `scene_<n>.png` and their ground-truth masks `scene_<n>.mask.png`,
    drawn at the demo's working side from seeds neither training nor the held-out set uses."""
    from PIL import Image

    SAMPLES.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, seed in enumerate(SAMPLE_SEEDS, 1):
        image, mask = scene(seed, SAMPLE_SIDE)
        paths.append(SAMPLES / f"scene_{n}.png")
        Image.fromarray((image * 255).round().astype(np.uint8)).save(paths[-1], optimize=True)
        Image.fromarray(mask * 255).save(SAMPLES / f"scene_{n}.mask.png", optimize=True)
    return paths


@recipe("unet_shapes")
def unet_shapes() -> dict:
    """Narrow padded U-Net: objects vs background on generated scenes; Adam, 1,500 steps."""
    from zoo.vision.unet import SHAPES_CONFIG
    from zoo.weights import save_shipped

    config = {"steps": 1500, "lr": 3e-3, "batch_size": 16, "seed": 0}
    t0 = time.time()
    model = train(**config)
    seconds = round(time.time() - t0, 1)
    with single_threaded():
        metric = evaluate(model)
        check = evaluate(model, n=CHECK)
    entry = {
        "model": "unet",
        "recipe": "unet_shapes",
        "dataset": DATASET,
        "metric": {**metric, f"mean IoU % (first {CHECK} held-out scenes)": check["mean IoU %"]},
        "seconds": seconds,
        "config": SHAPES_CONFIG,
        "training": {**config, "optimizer": "Adam + one-cycle", "loss": "pixel-wise cross-entropy",
                     "scene_side": SIDE, "held_out": f"{HELD_OUT} scenes, seeds {HELD_OUT_SEED}…"},
    }
    save_shipped(model, FILE, entry)
    save_samples()
    return entry
