"""One-shot verification on pairs of handwritten digits: the Siamese network of Koch et al. (2015).

Koch, Zemel & Salakhutdinov train on pairs of Omniglot characters, same character or not, and then recognise
characters of alphabets never seen in training from one example each. Omniglot is not available offline, so
the pairs here are built from scikit-learn's 1,797 handwritten 8×8 digits (`zoo.learn.datasets.digits`, the
same fixed 80/20 split): training pairs from the training images, evaluation pairs from the 360 held-out
images, never seen in training. Unlike the paper's unseen alphabets, the held-out images show the same ten
digits the network trained on: what is tested is whether it tells two unseen handwritings of one digit from
two different digits, not whether it generalises to new classes — there are only ten.

Training pair i is drawn from its own seed i + 1 (no run state): even i a "same" pair (two different images
of one digit), odd i a "different" pair (two digits), so half the pairs are "same", as in the paper (§4.1).

Objective (paper Eq. 1 and §3.1): the twins embed both images with the same weights, the head scores the
weighted L1 distance, p = σ(Σ_j α_j |h1_j − h2_j| + b), and the loss is the binary cross-entropy of p against
"same". Not reproduced: the paper's per-layer learning rates and L2 weights, its momentum schedule and its
affine distortions (Adam with a cosine schedule trains every layer alike, on undistorted digits).

Metrics, on fixed held-out material (the same for every run and seed):
- verification accuracy: 1,000 held-out pairs, half same, half different; "same" when p > 0.5;
- 10-way one-shot accuracy (the paper's §4.3 task with ten classes instead of twenty): 300 trials, each a
  held-out test image and one other held-out image of each digit; correct when the highest p is the pair
  of its own digit.

Reduced: the digits are upscaled from 8×8 to 40×40 (published 105×105 Omniglot characters), the twin's kernels
shrink with the image (5/3/2/2 instead of 10/7/4/4, leaving a 2×2 map before the fully connected layer where the
paper leaves 6×6), its channels are a quarter (16/32/32/64) and the embedding 256 wide instead of 4,096.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from ...rng import numpy_generator
from ..datasets import DatasetInfo, TrainData, _digits
from ..plans import Reduction, TrainPlan

__all__ = ["DATASETS", "REDUCTIONS", "DigitPairs", "plans"]

SIDE = 40
TRAIN_PAIRS = 30_000  # the paper's smallest training set (§4.1: 30k, 90k or 150k pairs)
EVAL_PAIRS = 1_000
ONE_SHOT_TRIALS = 300
EVAL_SEED = 0  # the held-out pairs and trials; training pairs use seeds 1… (pair i: seed i + 1)

PAIRS_INFO = DatasetInfo(
    "digit_pairs", "verification",
    "pairs of scikit-learn's handwritten 8×8 digits (same digit or not), upscaled; training pairs from 80% of "
    "the images, 1,000 fixed pairs of the 20% held-out images for evaluation", "verification_accuracy", True,
    percent=True)


def _by_class(y: torch.Tensor) -> list[np.ndarray]:
    return [np.flatnonzero(y.numpy() == c) for c in range(10)]


def _pair(rng: np.random.Generator, by_class: list[np.ndarray], same: bool) -> tuple[int, int]:
    if same:
        c = int(rng.integers(10))
        i, j = rng.choice(by_class[c], 2, replace=False)
    else:
        c1, c2 = rng.choice(10, 2, replace=False)
        i, j = rng.choice(by_class[c1]), rng.choice(by_class[c2])
    return int(i), int(j)


@functools.lru_cache(maxsize=4)
def _held_out(side: int) -> tuple[torch.Tensor, ...]:
    """Held-out images and digits, the evaluation pairs (first, second: indices into the images; same: 1/0)
    and the one-shot trials (test image, (trials, 10) supports: the k-th of each row shows digit k)."""
    _, _, x, y = _digits(side, 1)
    by_class = _by_class(y)
    rng = numpy_generator(EVAL_SEED)
    pairs = [_pair(rng, by_class, same=k % 2 == 0) for k in range(EVAL_PAIRS)]
    first, second = (torch.tensor(p) for p in zip(*pairs))
    same = torch.tensor([k % 2 == 0 for k in range(EVAL_PAIRS)], dtype=torch.float32)
    tests, supports = [], []
    for _ in range(ONE_SHOT_TRIALS):
        c = int(rng.integers(10))
        test, own = rng.choice(by_class[c], 2, replace=False)
        tests.append(int(test))
        supports.append([int(own) if k == c else int(rng.choice(by_class[k])) for k in range(10)])
    return x, y, first, second, same, torch.tensor(tests), torch.tensor(supports)


class DigitPairs(TrainData):
    """Pairs of digit images and whether they show the same digit; `model(x1, x2)` gives p(same), (B, 1)."""

    info = PAIRS_INFO

    def __init__(self, image_size: int = SIDE):
        self.side = int(image_size)
        self.x_train, self.y_train, _, _ = _digits(self.side, 1)
        self.by_class = _by_class(self.y_train)

    def __len__(self) -> int:
        return TRAIN_PAIRS

    def batch(self, indices, device="cpu"):
        firsts, seconds, same = [], [], []
        for i in torch.as_tensor(indices).tolist():
            a, b = _pair(numpy_generator(i + 1), self.by_class, same=i % 2 == 0)
            firsts.append(a)
            seconds.append(b)
            same.append(float(i % 2 == 0))
        x1, x2 = self.x_train[firsts], self.x_train[seconds]
        return x1.to(device), x2.to(device), torch.tensor(same, device=device)

    def loss(self, model, batch):
        # through forward (p, not the logit): under DDP only a call of the wrapper synchronises the gradients;
        # binary_cross_entropy clamps log p at −100, so a saturated sigmoid cannot give an infinite loss
        x1, x2, same = batch
        return F.binary_cross_entropy(model(x1, x2).float().squeeze(1), same)

    @torch.no_grad()
    def evaluate(self, model, cancel: threading.Event | None = None, batch_size: int = 250):
        model.eval()
        device = next(model.parameters()).device
        x, y, first, second, same, tests, supports = _held_out(self.side)
        # The twin is deterministic in eval mode: embed each held-out image once and score every pair with the
        # head, Σ α_j |h1_j − h2_j| + b — what `model.logit` computes pair by pair, at a fraction of the cost.
        h = []
        for i in range(0, len(x), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            h.append(model.twin(x[i : i + batch_size].to(device)).float().cpu())
        h = torch.cat(h)
        head = lambda a, b: model.head((h[a] - h[b]).abs().to(device)).float().squeeze(-1).cpu()
        logit = head(first, second)
        scores = head(tests[:, None].expand_as(supports), supports)  # (trials, 10): the test image vs each digit
        truth = y[tests]  # a test image's digit is the column of its own support
        return {"verification_accuracy": float(((logit > 0).float() == same).float().mean()),
                "one_shot_accuracy": float((scores.argmax(1) == truth).float().mean()),
                "loss": float(F.binary_cross_entropy_with_logits(logit, same))}


DATASETS: dict[str, tuple[DatasetInfo, Callable[..., TrainData]]] = {"digit_pairs": (PAIRS_INFO, DigitPairs)}

REDUCTIONS = {
    "pairs_digits": "pairs of handwritten digits {side}×{side}, held-out images of the same 10 digits "
                    "(published: 105×105 Omniglot characters, unseen alphabets)",
    "pairs_kernels": "kernels {kernels} for the smaller image (published {published})",
}

DEFAULTS = {"epochs": 10_000, "max_steps": 400, "batch_size": 64, "optimizer": "adam", "lr": 1e-3,
            "schedule": "cosine", "warmup_steps": 20, "eval_every": 100}


def _r(code: str, **values: Any) -> Reduction:
    return Reduction(code, tuple(values.items()))


def plans(key: str, card, config: Callable[[], Any]) -> list[TrainPlan]:
    if key != "siamese":
        return []
    cfg = config()
    kernels = (5, 3, 2, 2)
    over = {"in_channels": 1, "image_size": SIDE, "kernels": kernels, "channels": tuple(c // 4 for c in cfg.channels),
            "embedding": 256}
    red = (_r("pairs_digits", side=SIDE), _r("pairs_kernels", kernels="/".join(map(str, kernels)),
                                              published="/".join(map(str, cfg.kernels))),
           _r("width", factor=0.25), _r("model_width", width=256, published=cfg.embedding))
    return [TrainPlan(key, "digit_pairs", {"image_size": SIDE}, over, red, dict(DEFAULTS))]
