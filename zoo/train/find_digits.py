"""Recipe `yolov8_digits_det`: a narrow YOLOv8 that finds and names handwritten digits in a scene.

Data. There is no detection data set offline, so scenes are made on the fly from scikit-learn's
`load_digits` (optdigits, 8×8 grids of 0–16): each scene is a 128×128 gray picture with 0–6 digits,
each upsampled (bilinear) to 12–56 px tall with a slight aspect jitter, placed at random (two digits
may overlap, up to IoU 0.25), on a background of random brightness, a smooth shading, sensor noise and
sometimes a few stray lines; half the scenes are inverted (dark ink on light paper). A digit's box is
the tight box of its ink. The digits are split as in `zoo.train.digits` (a fixed, stratified 20 % is
held out): training scenes use the other 80 %, evaluation scenes and the demo's samples only the held-out
digits, so the reported mAP is on digits the model never saw.

Model. `yolov8n`'s layout at width 0.125 (channels 8-16-32-64-128) and depth 0.33, 10 classes: ~0.9M
parameters, which on a shared 2-core CPU trains in minutes at 128×128.

Loss (what Ultralytics trains YOLOv8 with, written here from its description):
- the task-aligned assigner (TOOD, Feng et al. 2021): for each ground-truth box, among the anchors whose
  centre lies inside it, the top-10 by t = s^0.5 · IoU^6 (s = predicted score of the true class) are
  positives; an anchor claimed by two boxes goes to the one it overlaps most; class targets are t
  normalised so that each box's best anchor gets that anchor's IoU;
- BCE on the class logits against those soft targets (weight 0.5), 1 − CIoU on the positive boxes
  (7.5), and Distribution Focal Loss on the side distances (1.5), all divided by the sum of targets.
AdamW with warm-up and a cosine schedule; an exponential moving average of the weights is what is saved.

    python -m zoo.train yolov8_digits_det     # also writes the demo's samples

Cost: a step (16 scenes, forward + backward on one thread) takes ~0.15 CPU-seconds, so 2,600 steps are
~8 minutes on an idle core; the shipped run took 27 minutes on a shared 2-core machine (load 6–13) and
reached held-out mAP@0.5 0.81. A first run with 1,500 steps reached 0.77 (class-agnostic 0.90: most misses
were 8 vs 9 and 5 vs 3 confusions, not localisation), hence the longer schedule.
"""

from __future__ import annotations

import functools
import json
import math
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..rng import build, numpy_generator, torch_generator
from ..runtime import single_threaded
from . import recipe

MODEL = "yolov8n"
FILE = "yolov8n_digits_det.safetensors"
CONFIG = {"width": 0.125, "depth": 0.33, "num_classes": 10}  # what is reduced from yolov8n (width 0.25, 80 classes)
SIDE = 128  # training scenes are SIDE × SIDE; any multiple of 32 runs
DIGIT_HEIGHT = (12, 56)  # px in a SIDE-px scene
MAX_DIGITS = 6
MAX_OVERLAP = 0.25  # IoU two digits of a scene may share
INK = 0.25  # a pixel of an upsampled digit above this (of the full 0–16 scale) is ink: it bounds the box
SEED = 0
DATASET = (
    "generated 128×128 scenes of 0–6 scikit-learn load_digits digits (12–56 px, noisy backgrounds, half inverted); "
    "train digits = the 80 % of zoo.train.digits' split, evaluation digits = its held-out 20 %"
)
SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "find_digits"
GAINS = {"box": 7.5, "cls": 0.5, "dfl": 1.5}  # Ultralytics' default loss weights


# ----------------------------------------------------------------------------- scenes


@functools.lru_cache(maxsize=1)
def digit_sets() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """((train grids, labels), (held-out grids, labels)) — the split of `zoo.train.digits`. Read once per process
    (the split parses load_digits' CSV, ~50 ms, and scenes are made one at a time) and shared read-only."""
    from .digits import split

    arrays = split()
    for a in arrays:
        a.flags.writeable = False
    x_train, x_test, y_train, y_test = arrays
    return (x_train, y_train), (x_test, y_test)


def render_digit(grid: np.ndarray, h: int, w: int) -> np.ndarray:
    """(8, 8) counts 0–16 → (h, w) ink in [0, 1], bilinear as LeNet's input is."""
    x = torch.as_tensor(np.asarray(grid, dtype=np.float32)).view(1, 1, 8, 8) / 16.0
    return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)[0, 0].numpy()


def _background(rng: np.random.Generator, side: int) -> np.ndarray:
    base = rng.uniform(0.0, 0.35)
    coarse = rng.normal(0, 1, (4, 4)).astype(np.float32)  # smooth shading: 4×4 noise, upsampled
    shade = F.interpolate(torch.from_numpy(coarse)[None, None], size=(side, side), mode="bicubic", align_corners=False)
    shade = shade[0, 0].numpy()
    return base + rng.uniform(0, 0.08) * shade + rng.normal(0, rng.uniform(0.0, 0.08), (side, side))


def _stray_lines(rng: np.random.Generator, img: np.ndarray) -> None:
    """0–2 thin straight lines (a ruled page, a crease) that are not digits."""
    from PIL import Image, ImageDraw

    side = img.shape[0]
    layer = Image.new("F", (side, side), 0.0)
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.integers(0, 3)):
        p = rng.uniform(0, side, 4)
        draw.line([(p[0], p[1]), (p[2], p[3])], fill=float(rng.uniform(0.2, 0.7)), width=int(rng.integers(1, 3)))
    np.maximum(img, np.asarray(layer), out=img)


def make_scene(
    rng: np.random.Generator, grids: np.ndarray, labels: np.ndarray, side: int = SIDE, max_digits: int = MAX_DIGITS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One scene: (side, side) gray in [0, 1], boxes (n, 4) x1 y1 x2 y2 px, labels (n,)."""
    scale = side / SIDE
    img = _background(rng, side).astype(np.float32)
    ink = np.zeros((side, side), dtype=np.float32)
    boxes: list[list[float]] = []
    classes: list[int] = []
    for _ in range(rng.integers(0, max_digits + 1) if rng.random() < 0.05 else rng.integers(1, max_digits + 1)):
        i = rng.integers(len(grids))
        h = int(rng.uniform(*DIGIT_HEIGHT) * scale)
        w = max(4, int(h * rng.uniform(0.8, 1.2)))
        digit = render_digit(grids[i], h, w) * rng.uniform(0.55, 1.0)
        on = render_digit(grids[i], h, w) > INK
        rows, cols = np.flatnonzero(on.any(1)), np.flatnonzero(on.any(0))
        if len(rows) == 0:
            continue
        for _try in range(20):
            top, left = rng.integers(0, side - h + 1), rng.integers(0, side - w + 1)
            box = [left + cols[0], top + rows[0], left + cols[-1] + 1, top + rows[-1] + 1]
            placed = np.array(boxes, dtype=np.float32).reshape(-1, 4)
            if not boxes or _iou(np.array(box, dtype=np.float32), placed).max() <= MAX_OVERLAP:
                break
        else:
            continue
        np.maximum(ink[top : top + h, left : left + w], digit, out=ink[top : top + h, left : left + w])
        boxes.append(box)
        classes.append(int(labels[i]))
    img = np.maximum(img, ink)
    if rng.random() < 0.4:
        _stray_lines(rng, img)
    if rng.random() < 0.5:
        img = 1.0 - img  # dark ink on light paper
    return np.clip(img, 0, 1), np.array(boxes, dtype=np.float32).reshape(-1, 4), np.array(classes, dtype=np.int64)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    lt = np.maximum(box[:2], others[:, :2])
    rb = np.minimum(box[2:], others[:, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), 1)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
    return inter / (area(box) + area(others) - inter)


def to_input(gray: np.ndarray) -> torch.Tensor:
    """(H, W) or (N, H, W) gray in [0, 1] → (N, 3, H, W): the gray copied to the 3 RGB channels."""
    x = torch.as_tensor(np.asarray(gray, dtype=np.float32))
    x = x.view(-1, 1, *x.shape[-2:])
    return x.expand(-1, 3, -1, -1).contiguous()


def batch(rng: np.random.Generator, grids: np.ndarray, labels: np.ndarray, n: int, side: int = SIDE):
    """n scenes → images (n, 3, side, side), targets [{"boxes", "labels"}]."""
    scenes = [make_scene(rng, grids, labels, side) for _ in range(n)]
    x = to_input(np.stack([s[0] for s in scenes]))
    return x, [{"boxes": torch.from_numpy(b), "labels": torch.from_numpy(c)} for _, b, c in scenes]


# ----------------------------------------------------------------------------- loss


def ciou(a: torch.Tensor, b: torch.Tensor, eps: float = 1e-7) -> torch.Tensor:
    """Complete IoU (Zheng et al. 2020) of matching rows of (N, 4) xyxy: IoU − centre distance² /
    enclosing diagonal² − α·v, v measuring the aspect-ratio mismatch."""
    w1, h1 = a[:, 2] - a[:, 0], (a[:, 3] - a[:, 1]).clamp(min=eps)
    w2, h2 = b[:, 2] - b[:, 0], (b[:, 3] - b[:, 1]).clamp(min=eps)
    inter = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0) * (
        torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])
    ).clamp(min=0)
    iou = inter / (w1 * h1 + w2 * h2 - inter + eps)
    cw = torch.maximum(a[:, 2], b[:, 2]) - torch.minimum(a[:, 0], b[:, 0])
    ch = torch.maximum(a[:, 3], b[:, 3]) - torch.minimum(a[:, 1], b[:, 1])
    c2 = cw**2 + ch**2 + eps
    rho2 = ((b[:, 0] + b[:, 2] - a[:, 0] - a[:, 2]) ** 2 + (b[:, 1] + b[:, 3] - a[:, 1] - a[:, 3]) ** 2) / 4
    v = (4 / math.pi**2) * (torch.atan(w2 / h2) - torch.atan(w1 / h1)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


def pairwise_iou(gt: torch.Tensor, pred: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """(B, M, 4), (B, A, 4) → (B, M, A)."""
    lt = torch.maximum(gt[:, :, None, :2], pred[:, None, :, :2])
    rb = torch.minimum(gt[:, :, None, 2:], pred[:, None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_g = (gt[..., 2:] - gt[..., :2]).clamp(min=0).prod(-1)[:, :, None]
    area_p = (pred[..., 2:] - pred[..., :2]).clamp(min=0).prod(-1)[:, None, :]
    return inter / (area_g + area_p - inter + eps)


@torch.no_grad()
def assign(scores, pred_boxes, points, gt_labels, gt_boxes, gt_mask, topk: int = 10, alpha: float = 0.5,
           beta: float = 6.0):
    """Task-aligned assignment. scores (B, A, C) sigmoid, pred_boxes (B, A, 4) px, points (A, 2) px,
    gt_labels (B, M), gt_boxes (B, M, 4) px, gt_mask (B, M) → target boxes (B, A, 4) px, target scores
    (B, A, C), foreground mask (B, A)."""
    b, a, c = scores.shape
    m = gt_boxes.shape[1]
    if m == 0:
        return torch.zeros_like(pred_boxes), torch.zeros_like(scores), torch.zeros(b, a, dtype=torch.bool)
    deltas = torch.cat((points[None, None] - gt_boxes[..., None, :2], gt_boxes[..., None, 2:] - points[None, None]), -1)
    in_gt = (deltas.amin(-1) > 1e-9) & gt_mask[..., None]  # (B, M, A): anchor centre inside the box
    iou = pairwise_iou(gt_boxes, pred_boxes) * in_gt
    s = scores.transpose(1, 2).gather(1, gt_labels[..., None].expand(-1, -1, a))  # (B, M, A): score of the true class
    metric = s.pow(alpha) * iou.pow(beta) * in_gt
    top = metric.topk(min(topk, a), dim=-1).indices  # (B, M, k)
    pos = torch.zeros_like(in_gt).scatter_(-1, top, True) & in_gt  # (B, M, A)
    # an anchor claimed by several boxes keeps only the one it overlaps most
    many = pos.sum(1, keepdim=True) > 1  # (B, 1, A)
    best = F.one_hot(iou.argmax(1), m).transpose(1, 2).bool()  # (B, M, A)
    pos = torch.where(many, best, pos)
    fg = pos.any(1)  # (B, A)
    gt_idx = pos.float().argmax(1)  # (B, A)
    target_boxes = gt_boxes.gather(1, gt_idx[..., None].expand(-1, -1, 4))
    target_labels = gt_labels.gather(1, gt_idx)
    metric = metric * pos
    norm = (metric * iou.amax(-1, keepdim=True) / (metric.amax(-1, keepdim=True) + 1e-9)).amax(1)  # (B, A)
    target_scores = F.one_hot(target_labels, c).float() * (norm * fg)[..., None]
    return target_boxes, target_scores, fg


def detection_loss(model, raw: list[torch.Tensor], targets: list[dict]) -> tuple[torch.Tensor, dict[str, float]]:
    """YOLOv8's loss for a batch of raw head maps and targets [{"boxes" px, "labels"}]."""
    from zoo.vision._yolo import grid_points
    from zoo.vision.yolov8 import STRIDES

    head = model.detect
    r = head.reg_max
    b = raw[0].shape[0]
    points = torch.cat([grid_points(x.shape[2], x.shape[3], 1.0, 0.5, x) for x in raw])  # (A, 2) grid units
    strides = torch.cat([x.new_full((x.shape[2] * x.shape[3], 1), float(s)) for x, s in zip(raw, STRIDES)])
    flat = torch.cat([x.flatten(2) for x in raw], 2).transpose(1, 2)  # (B, A, 4R + C)
    box_logits, cls_logits = flat.split((4 * r, head.nc), -1)
    dist = box_logits.view(b, -1, 4, r).softmax(-1) @ torch.arange(r, dtype=flat.dtype)  # (B, A, 4) strides
    pred = torch.cat((points - dist[..., :2], points + dist[..., 2:]), -1)  # (B, A, 4) grid units

    m = max(len(t["labels"]) for t in targets)
    gt_boxes, gt_labels = torch.zeros(b, m, 4), torch.zeros(b, m, dtype=torch.long)
    gt_mask = torch.zeros(b, m, dtype=torch.bool)
    for i, t in enumerate(targets):
        n = len(t["labels"])
        gt_boxes[i, :n], gt_labels[i, :n], gt_mask[i, :n] = t["boxes"], t["labels"], True
    tb, ts, fg = assign(cls_logits.detach().sigmoid(), pred.detach() * strides, points * strides,
                        gt_labels, gt_boxes, gt_mask)
    total = ts.sum().clamp(min=1)
    loss_cls = F.binary_cross_entropy_with_logits(cls_logits, ts, reduction="sum") / total
    loss_box = loss_dfl = flat.sum() * 0
    if fg.any():
        weight = ts.sum(-1)[fg]  # (P,)
        tgt = (tb / strides)[fg]  # (P, 4) grid units
        loss_box = ((1 - ciou(pred[fg], tgt)) * weight).sum() / total
        anchor = points.expand(b, -1, -1)[fg]
        sides = torch.cat((anchor - tgt[:, :2], tgt[:, 2:] - anchor), -1).clamp(0, r - 1 - 0.01)  # (P, 4)
        left = sides.long()
        w_left = left + 1 - sides
        logits = box_logits.view(b, -1, 4, r)[fg]  # (P, 4, R)
        ce = lambda k: F.cross_entropy(logits.reshape(-1, r), k.reshape(-1), reduction="none").view(-1, 4)  # noqa: E731
        dfl = (ce(left) * w_left + ce(left + 1) * (1 - w_left)).mean(-1)
        loss_dfl = (dfl * weight).sum() / total
    loss = GAINS["box"] * loss_box + GAINS["cls"] * loss_cls + GAINS["dfl"] * loss_dfl
    return loss, {"box": float(loss_box.detach()), "cls": float(loss_cls.detach()), "dfl": float(loss_dfl.detach())}


# ----------------------------------------------------------------------------- training


@torch.no_grad()
def evaluate(model, n_scenes: int = 300, seed: int = 1, conf_threshold: float = 0.001) -> float:
    """mAP@0.5 (VOC all-point) on `n_scenes` generated scenes of held-out digits."""
    from zoo.vision._yolo import mean_average_precision

    _, (grids, labels) = digit_sets()
    rng = numpy_generator(seed)
    model.eval()
    saved = model.detections.conf_threshold
    model.detections.conf_threshold = conf_threshold  # the whole precision–recall curve, as mAP wants
    dets, targets = [], []
    try:
        for i in range(0, n_scenes, 50):
            x, t = batch(rng, grids, labels, min(50, n_scenes - i))
            dets += model(x)
            targets += t
    finally:
        model.detections.conf_threshold = saved
    return mean_average_precision(dets, targets, 10, 0.5)[0]


def train(
    steps: int = 2600,
    batch_size: int = 16,
    lr: float = 2e-3,
    weight_decay: float = 5e-4,
    warmup: int = 100,
    ema_decay: float = 0.995,
    seed: int = SEED,
    progress: Callable[[int, dict], None] | None = None,
):
    """Train the narrow YOLOv8 on generated scenes; returns (EMA model in eval mode, held-out mAP@0.5)."""
    with single_threaded():  # a busy shared CPU: one thread per job is several times faster than two fighting
        model = build(MODEL, torch_generator(seed), **CONFIG)
        return _train(model, steps, batch_size, lr, weight_decay, warmup, ema_decay, seed, progress)


def _train(model, steps, batch_size, lr, weight_decay, warmup, ema_decay, seed, progress):
    import copy

    (grids, labels), _ = digit_sets()
    rng = numpy_generator(seed)
    model.detect.init_biases(SIDE)
    ema = copy.deepcopy(model).eval().requires_grad_(False)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1 and p.requires_grad]
    other = [p for n, p in model.named_parameters() if p.ndim <= 1 and p.requires_grad]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": other, "weight_decay": 0.0}]
    opt = torch.optim.AdamW(groups, lr=lr)

    def schedule(s: int) -> float:  # linear warm-up, then cosine down to 2 % of lr
        return min(1.0, (s + 1) / warmup) * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * s / steps)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    t0 = time.time()
    for step in range(steps):
        model.train()
        x, targets = batch(rng, grids, labels, batch_size)
        loss, parts = detection_loss(model, model(x), targets)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        sched.step()
        with torch.no_grad():  # EMA with Ultralytics' ramp: early on it follows the weights closely
            d = ema_decay * (1 - math.exp(-(step + 1) / 200))
            for e, p in zip(ema.state_dict().values(), model.state_dict().values()):
                if e.dtype.is_floating_point:
                    e.mul_(d).add_(p.detach(), alpha=1 - d)
                else:
                    e.copy_(p)
        if progress and (step + 1) % 50 == 0:
            progress(step + 1, {**parts, "loss": float(loss.detach()), "seconds": round(time.time() - t0, 1)})
    return ema.eval(), evaluate(ema)


def save_samples(model, n: int = 4, side: int = 256, seed: int = 7) -> list[Path]:
    """The demo's samples: scenes of held-out digits at `side` px, `scene<k>.png`, with their true boxes
    in `truth.json`. A scene is kept if the shipped model finds every digit of it with the right label."""
    from PIL import Image

    from zoo.demos.find_digits import run

    _, (grids, labels) = digit_sets()
    rng = numpy_generator(seed)
    SAMPLES.mkdir(parents=True, exist_ok=True)
    truth, paths = {}, []
    while len(paths) < n:
        img, boxes, classes = make_scene(rng, grids, labels, side, max_digits=5)
        if len(classes) < 3:
            continue
        picture = Image.fromarray((img * 255).round().astype(np.uint8))
        found = run(picture, net=model)
        if sorted(d.label for d in found.detections) != sorted(classes.tolist()):
            continue
        name = f"scene{len(paths) + 1}.png"
        picture.save(SAMPLES / name, optimize=True)
        truth[name] = [{"label": int(c), "box": [round(float(v), 1) for v in b]} for b, c in zip(boxes, classes)]
        paths.append(SAMPLES / name)
    (SAMPLES / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return paths


@recipe("yolov8_digits_det")
def yolov8_digits_det() -> dict:
    """A YOLOv8 at width 0.125 finds scikit-learn digits placed in generated 128×128 scenes."""
    from zoo.weights import save_shipped

    config = {"steps": 2600, "batch_size": 16, "lr": 2e-3, "weight_decay": 5e-4, "warmup": 100, "ema_decay": 0.995,
              "seed": SEED}
    t0 = time.time()

    def log(step: int, parts: dict) -> None:
        print(f"step {step}: " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()), flush=True)

    model, map50 = train(**config, progress=log)
    seconds = round(time.time() - t0, 1)
    print(f"held-out mAP@0.5 {map50:.4f} after {seconds} s", flush=True)
    entry = {
        "model": MODEL,
        "recipe": "yolov8_digits_det",
        "dataset": DATASET,
        "metric": {"held-out mAP@0.5": round(map50, 4)},
        "evaluation": (
            "300 generated 128×128 scenes of held-out digits (seed 1), confidence ≥ 0.001, NMS IoU 0.7, VOC all-point AP"
        ),
        "seconds": seconds,
        "config": CONFIG,
        "reduced": (
            "width 0.25 → 0.125 (channels 8-16-32-64-128), 80 → 10 classes; depth 0.33 and reg_max 16 as in yolov8n"
        ),
        "training": {**config, "optimizer": "AdamW + warm-up + cosine, EMA of weights", "image_side": SIDE,
                     "loss": "task-aligned assigner (top-10, α 0.5, β 6); BCE 0.5, CIoU 7.5, DFL 1.5"},
    }
    save_shipped(model, FILE, entry)
    save_samples(model)
    return entry
