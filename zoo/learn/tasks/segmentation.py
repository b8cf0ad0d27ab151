"""Semantic segmentation of generated scenes: U-Net, FCN and DeepLabV3 label every pixel.

No segmentation set ships offline, so the scenes are the ones the "Segment it" demo's U-Net learned from
(`zoo.train.segmentation.scene`): 1–4 objects — filled shapes, outlines, rings, scribbles, scikit-learn digits
— on noisy gradient backgrounds, each with its exact mask; two classes, background and object. Scene `i` of
the training set is drawn from seed `i` (< 100,000), so every batch is generated on the fly and a run of a few
hundred steps never sees a scene twice; the held-out scenes are the recipe's (seeds from
`zoo.train.segmentation.HELD_OUT_SEED` = 10⁶ on), the same for every run and seed.

Objective: per-pixel cross-entropy over the class scores, averaged over pixels — U-Net's energy (Ronneberger
et al. 2015, §3, without the border weight map, which separates touching cells) and FCN's loss.
FCN and DeepLabV3 as torchvision builds them carry an auxiliary FCN head on layer3; its cross-entropy is added
with weight 0.5, as in the torchvision reference recipe that trained their published weights
(references/segmentation/train.py: `losses["out"] + 0.5 * losses["aux"]`).

Metric: mean IoU over the two classes, from the confusion matrix pooled over every pixel of the first 64
held-out scenes (PASCAL VOC's mean IoU, the recipe's metric); a network that calls every pixel background
scores about 40 % (background IoU ≈ 80 %, object IoU 0).

Reduced so that a default run (250 steps of 8 scenes) takes one to two minutes on one CPU thread: 64×64 RGB scenes (the recipe's side),
2 classes, and narrow networks — U-Net at base width 8 with padded convs (the demo's configuration), the
ResNet-50 trunks of FCN and DeepLabV3 at width ×1/4 with DeepLabV3's ASPP at 64 channels and
rates 2/4/6: its published rates 12/24/36 are for a 65×65 map (513-pixel crops at output stride 8) and on the
8×8 map of a 64-pixel scene every off-centre tap would read padding (the degeneration of DeepLabV3 §3.3).

SegNet is not covered: at widths that train at this cost (×1/8, ×1/4) it did not beat the untrained network on
the held-out scenes within a few hundred steps (plain or median-frequency-balanced cross-entropy, learning rate
3·10⁻³ or 10⁻²): with no skip connections and a 2×2 bottleneck at 64 pixels it needs far longer runs.
Nor is Mask R-CNN (instance segmentation): its config has no backbone width, so it trains a full-width ResNet-50
with FPN (~15 s a step of four 64-pixel scenes on a busy CPU), and its BatchNorm is frozen — with random
weights that is no normalisation at all, and the losses start in the tens (mask loss ≈ 59).
"""

from __future__ import annotations

import dataclasses
import functools
import threading
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..datasets import DatasetInfo, TrainData
from ..plans import Reduction, TrainPlan

__all__ = ["DATASETS", "REDUCTIONS", "ShapeScenes", "plans"]

SIDE = 64  # zoo.train.segmentation.SIDE: the scenes the demo's U-Net trained on
TRAIN_SCENES = 100_000  # training scene i is drawn from seed i, far below the held-out seeds (10⁶ on)
EVAL_SCENES = 64
SAMPLE_SCENES = 4  # the first held-out scenes, drawn by samples()
AUX_WEIGHT = 0.5  # torchvision reference recipe for the FCN/DeepLabV3 auxiliary head
CLASSES = ("background", "object")

SCENES_INFO = DatasetInfo(
    "shape_scenes", "semantic_segmentation",
    "generated scenes (zoo.train.segmentation): 1–4 shapes, outlines, scribbles and scikit-learn digits on noisy "
    "gradients, 64×64, each pixel labelled background or object; fresh scenes every step, 64 fixed held-out scenes",
    "mean_iou", True, percent=True)


@functools.lru_cache(maxsize=4)
def _held_out(side: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The first `n` held-out scenes of the recipe (seeds HELD_OUT_SEED…), (n, 3, side, side) and (n, side, side)."""
    from zoo.train.segmentation import HELD_OUT_SEED, batch

    return batch(range(HELD_OUT_SEED, HELD_OUT_SEED + n), side)


def scores_of(output: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
    """(main class scores, auxiliary scores or None) of a segmentation model's output: a tensor (U-Net)
    or torchvision's dict {"out", "aux"} (FCN, DeepLabV3)."""
    if isinstance(output, dict):
        return output["out"], output.get("aux")
    return output, None


class ShapeScenes(TrainData):
    """Generated scenes with per-pixel labels; `model(x (B, 3, S, S))` gives scores (B, 2, S, S) or
    torchvision's {"out", "aux"} of them."""

    info = SCENES_INFO

    def __init__(self, side: int = SIDE, eval_scenes: int = EVAL_SCENES):
        self.side, self.eval_scenes = int(side), int(eval_scenes)

    def __len__(self) -> int:
        return TRAIN_SCENES

    def batch(self, indices, device="cpu"):
        from zoo.train.segmentation import batch

        x, y = batch(torch.as_tensor(indices).tolist(), self.side)  # scene i from seed i: no state, no cache
        return x.to(device), y.to(device)

    def loss(self, model, batch):
        x, y = batch
        out, aux = scores_of(model(x))
        loss = F.cross_entropy(out.float(), y)
        if aux is not None:
            loss = loss + AUX_WEIGHT * F.cross_entropy(aux.float(), y)
        return loss

    @torch.no_grad()
    def predict(self, model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
        device = next(model.parameters()).device
        return scores_of(model(x.to(device)))[0].float().argmax(1).cpu()

    @torch.no_grad()
    def evaluate(self, model, cancel: threading.Event | None = None, batch_size: int = 16):
        from zoo.train.segmentation import confusion, iou_per_class

        model.eval()
        x, y = _held_out(self.side, self.eval_scenes)
        device = next(model.parameters()).device
        conf = torch.zeros(2, 2, dtype=torch.long)
        total = 0.0
        for i in range(0, len(y), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            out = scores_of(model(x[i : i + batch_size].to(device)))[0].float().cpu()
            total += float(F.cross_entropy(out, y[i : i + batch_size], reduction="sum"))
            conf += confusion(out.argmax(1), y[i : i + batch_size])
        iou = iou_per_class(conf)
        return {"mean_iou": float(iou.mean()), "object_iou": float(iou[1]), "background_iou": float(iou[0]),
                "pixel_accuracy": float(conf.diag().sum() / conf.sum()), "loss": total / y.numel()}

    def samples(self, model: torch.nn.Module) -> np.ndarray:
        """One row per held-out scene: the scene, the true mask, the predicted mask (objects white), ×2."""
        model.eval()
        x, y = _held_out(self.side, max(self.eval_scenes, SAMPLE_SCENES))
        x, y = x[:SAMPLE_SCENES], y[:SAMPLE_SCENES]
        pred = self.predict(model, x)
        grey = lambda m: m[:, None].float().expand(-1, 3, -1, -1)
        rows = []
        for image, truth, guess in zip(x, grey(y), grey(pred)):
            gap = torch.ones(3, self.side, 2)  # a white line between the three panels
            rows.append(torch.cat([image, gap, truth * 0.9 + 0.05, gap, guess * 0.9 + 0.05], dim=2))
            rows.append(torch.ones(3, 2, rows[-1].shape[2]))
        grid = torch.cat(rows[:-1], dim=1)  # (3, H, W)
        grid = grid.repeat_interleave(2, 1).repeat_interleave(2, 2)  # 2× nearest: 64-pixel scenes are small
        return (grid.clamp(0, 1).permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)


DATASETS: dict[str, tuple[DatasetInfo, Callable[..., TrainData]]] = {"shape_scenes": (SCENES_INFO, ShapeScenes)}

REDUCTIONS = {
    "segmentation_scenes": "generated scenes {side}×{side}, 2 classes: background and object (published: {published})",
    "segmentation_padded": "padded 3×3 convs: output as large as the input (published: unpadded, overlap-tile)",
    "segmentation_aspp": "ASPP {channels} channels, rates {rates} for the small map (published 256 channels, rates {published})",
}

# a step of 8 scenes costs ~0.12 s of one quiet CPU thread (U-Net) to ~0.23 s (FCN, DeepLabV3)
DEFAULTS = {"epochs": 10_000, "max_steps": 250, "batch_size": 8, "optimizer": "adam", "lr": 3e-3,
            "schedule": "onecycle", "eval_every": 50}
PUBLISHED_DATA = {"unet": "ISBI cell microscopy, 1 channel", "fcn_resnet50": "PASCAL VOC, 21 classes", "deeplabv3_resnet50": "PASCAL VOC, 21 classes"}


def _r(code: str, **values: Any) -> Reduction:
    return Reduction(code, tuple(values.items()))


# tried and left out (see the module docstring): SegNet stayed at its untrained mIoU in every setting tried;
# Mask R-CNN's trunk has no width setting and frozen batch norm
NOT_COVERED = {"segnet": "budget", "maskrcnn_resnet50_fpn": "trunk"}


def plans(key: str, card, config: Callable[[], Any]) -> list[TrainPlan]:
    if key not in PUBLISHED_DATA:
        return []
    cfg = config()
    red = [_r("segmentation_scenes", side=SIDE, published=PUBLISHED_DATA[key])]
    if key == "unet":
        from zoo.vision.unet import SHAPES_CONFIG

        over: dict[str, Any] = dict(SHAPES_CONFIG)  # the demo's narrow padded U-Net, RGB, 2 classes
        red += [_r("width", factor=round(SHAPES_CONFIG["base_width"] / cfg.base_width, 3)), _r("segmentation_padded"),
                _r("channels", channels=3)]
    else:
        b = cfg.backbone
        backbone = dataclasses.replace(b, widths=tuple(max(8, w // 4) for w in b.widths), stem_width=16)
        over = {"backbone": backbone, "num_classes": 2}
        red += [_r("width", factor=0.25)]
        if key == "deeplabv3_resnet50":
            rates = (2, 4, 6)
            over |= {"aspp_channels": cfg.aspp_channels // 4, "atrous_rates": rates}
            red += [_r("segmentation_aspp", channels=cfg.aspp_channels // 4, rates="/".join(map(str, rates)),
                       published="/".join(map(str, cfg.atrous_rates)))]
    return [TrainPlan(key, "shape_scenes", {"side": SIDE}, over, tuple(red), dict(DEFAULTS))]
