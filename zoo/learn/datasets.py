"""Small offline datasets, wired to tasks, for `zoo.learn.fit`.

Every dataset here ships inside an installed package or is generated from a fixed seed, so nothing is
downloaded. Each has a fixed held-out split (the same for every run and every seed: a seed changes the
model's initial weights and the batch order, never what is held out).

| name            | task                  | what                                                        |
|-----------------|-----------------------|-------------------------------------------------------------|
| digits          | image classification  | scikit-learn `load_digits` (1,797 8×8 digits), resized       |
| shapes          | image classification  | generated: circle / square / triangle / cross, any size      |
| pydoc_bytes     | language modelling    | Python's own help texts (`pydoc_data.topics`) as UTF-8 bytes |
| karate          | node classification   | Zachary's karate club (networkx), which faction each joined  |
| communities     | node classification   | generated 3-community stochastic block model graph            |
| spoken_digits   | audio classification  | espeak-ng saying "zero"…"nine" in many voices (if installed) |

Datasets with objectives of their own (environments, generative, detection, …) live in the task modules of
`zoo.learn.tasks`, each beside the plans that use them; `all_datasets()` lists every one.

`load_dataset(name, **options)` returns a `TrainData`; options adapt the data to a model (image side and
channels, window length, the form of the graph matrix a graph model takes).
"""

from __future__ import annotations

import functools
import math
import shutil
import threading
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["DATASETS", "DatasetInfo", "TrainData", "all_datasets", "dataset_info", "load_dataset", "logits_of"]


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    task: str  # "image_classification", "language_modelling", "node_classification", "audio_classification"
    source: str  # where the data comes from, in English (the UI translates via `train.data_<name>`)
    metric: str  # the held-out metric early stopping watches
    higher_is_better: bool
    batched: bool = True  # False: every step sees the whole training set (one graph, an environment): no batch size
    percent: bool | None = None  # show the metric as a percentage (None: only if it is "accuracy")

    @property
    def as_percent(self) -> bool:
        return self.percent if self.percent is not None else self.metric == "accuracy"

    def available(self) -> bool:
        """False when a system tool the dataset needs is missing (espeak-ng for spoken digits)."""
        return self.name != "spoken_digits" or shutil.which("espeak-ng") is not None


def logits_of(output: Any) -> torch.Tensor:
    """The class or token scores in whatever a model returns: a tensor, a named tuple with `.logits`
    (MoE), or a tuple whose first element holds them (GoogLeNet/Inception outputs, CapsNet lengths)."""
    if isinstance(output, torch.Tensor):
        return output
    if hasattr(output, "logits"):
        return output.logits
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise TypeError(f"cannot find scores in a model output of type {type(output).__name__}")


class TrainData:
    """What `fit` needs from a dataset. Subclasses set `info` and implement the four methods."""

    info: DatasetInfo

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def metric(self) -> str:
        return self.info.metric

    @property
    def higher_is_better(self) -> bool:
        return self.info.higher_is_better

    def __len__(self) -> int:
        """Number of training examples the sampler shuffles (1 for a full-graph dataset)."""
        raise NotImplementedError

    def batch(self, indices: torch.Tensor, device: torch.device | str = "cpu") -> Any:
        """The training examples at `indices`, on `device`."""
        raise NotImplementedError

    def loss(self, model: torch.nn.Module, batch: Any) -> torch.Tensor:
        """Forward pass of `model` on `batch` and the mean training loss (a scalar tensor with a graph)."""
        raise NotImplementedError

    def evaluate(self, model: torch.nn.Module, cancel: threading.Event | None = None) -> dict[str, float] | None:
        """Metrics on the held-out split (model put in eval mode, no gradients); None if cancelled meanwhile."""
        raise NotImplementedError

    def begin(self, seed: int, rank: int = 0) -> None:
        """Called by `fit` once before the first step. Datasets with state of their own per run (an environment,
        a replay buffer, a target network) reset it here from `seed`; they must also work without it (as if
        seed 0), since a smoke test may call `loss` directly. Plain datasets hold no run state: nothing to do."""

    def samples(self, model: torch.nn.Module) -> np.ndarray | None:
        """A picture of what the trained model does (generated images, predicted masks or boxes), as an
        (H, W, 3) uint8 array a page can show under the curves; None: nothing to show beyond the metrics."""
        return None

    def example_batch(self, size: int = 2) -> Any:
        """The first `size` training examples: what a smoke test feeds a model."""
        return self.batch(torch.arange(min(size, len(self))))


# ----------------------------------------------------------------------------------------------- classification


class Classification(TrainData):
    """Tensors of examples and integer labels; `model(x)` gives class scores. `objective="margin"` is
    CapsNet's margin loss on capsule lengths (Sabour et al. 2017, eq. 4) instead of cross-entropy."""

    def __init__(self, info: DatasetInfo, x_train, y_train, x_val, y_val, classes: tuple[str, ...], objective="cross_entropy"):
        self.info = info
        self.x_train, self.y_train, self.x_val, self.y_val = x_train, y_train, x_val, y_val
        self.classes = classes
        self.objective = objective

    def __len__(self) -> int:
        return len(self.y_train)

    def batch(self, indices, device="cpu"):
        return self.x_train[indices].to(device), self.y_train[indices].to(device)

    def _loss(self, scores: torch.Tensor, y: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        scores = scores.float()
        if self.objective == "margin":
            from zoo.vision.capsnet import margin_loss

            return margin_loss(scores, y) * (len(y) if reduction == "sum" else 1)
        return F.cross_entropy(scores, y, reduction=reduction)

    def loss(self, model, batch):
        x, y = batch
        return self._loss(logits_of(model(x)), y)

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 256):
        model.eval()
        device = next(model.parameters()).device
        correct, total_loss = 0, 0.0
        for i in range(0, len(self.y_val), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            x, y = self.x_val[i : i + batch_size].to(device), self.y_val[i : i + batch_size].to(device)
            scores = logits_of(model(x))
            total_loss += float(self._loss(scores, y, reduction="sum"))
            correct += int((scores.argmax(1) == y).sum())
        n = len(self.y_val)
        return {"accuracy": correct / n, "loss": total_loss / n}


DIGITS_INFO = DatasetInfo("digits", "image_classification",
                          "scikit-learn load_digits: 1,797 handwritten 8×8 digits (UCI optdigits), 20% held out",
                          "accuracy", True)
SHAPES_INFO = DatasetInfo("shapes", "image_classification",
                          "generated pictures of a circle, square, triangle or cross in random colour, size and place "
                          "on a noisy background (2,000, fixed seed), 20% held out", "accuracy", True)
SPOKEN_INFO = DatasetInfo("spoken_digits", "audio_classification",
                          "espeak-ng saying zero…nine in 8 accents × many voice variants, 1 s at 8 kHz; voices "
                          "never heard in training held out", "accuracy", True)

HELD_OUT = 0.2
SPLIT_SEED = 0


def _to_images(x: torch.Tensor, image_size: int, channels: int) -> torch.Tensor:
    """(N, 1, h, w) in [0, 1] → (N, channels, image_size, image_size), bilinear, grey repeated over channels."""
    if x.shape[-1] != image_size:
        x = F.interpolate(x, size=(image_size, image_size), mode="bilinear", align_corners=False)
    return x.repeat(1, channels, 1, 1).contiguous()


@functools.lru_cache(maxsize=8)
def _digits(image_size: int, channels: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x_tr, x_va, y_tr, y_va = train_test_split(d.images, d.target, test_size=HELD_OUT, stratify=d.target, random_state=SPLIT_SEED)
    prep = lambda a: _to_images(torch.as_tensor(a, dtype=torch.float32)[:, None] / 16.0, image_size, channels)
    return prep(x_tr), torch.as_tensor(y_tr), prep(x_va), torch.as_tensor(y_va)


def digits(image_size: int = 32, channels: int = 1, objective: str = "cross_entropy", as_sequence: bool = False) -> Classification:
    """`as_sequence=True`: each digit as its 64 pixels read row by row, (N, 64, channels), for sequence models
    (S4 on pixel-by-pixel classification); `image_size` is then ignored."""
    x_tr, y_tr, x_va, y_va = _digits(8 if as_sequence else int(image_size), int(channels))
    if as_sequence:
        x_tr, x_va = (x.flatten(2).transpose(1, 2).contiguous() for x in (x_tr, x_va))  # (N, 64, C)
    return Classification(DIGITS_INFO, x_tr, y_tr, x_va, y_va, tuple(str(i) for i in range(10)), objective)


SHAPE_CLASSES = ("circle", "square", "triangle", "cross")
SHAPES_COUNT = 2000


@functools.lru_cache(maxsize=8)
def _shapes(image_size: int, channels: int):
    """Drawn at 4× and downsampled (anti-aliased edges); colours are random but always contrast with the
    background, so a grey (1-channel) version still shows the shape."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(SPLIT_SEED)
    big = image_size * 4
    images, labels = [], []
    for i in range(SHAPES_COUNT):
        label = i % len(SHAPE_CLASSES)
        bg = rng.uniform(0.0, 0.45, 3)
        fg = np.clip(bg + rng.uniform(0.35, 0.55, 3), 0, 1)
        img = Image.new("RGB", (big, big), tuple(int(255 * c) for c in bg))
        draw = ImageDraw.Draw(img)
        r = rng.uniform(0.18, 0.4) * big
        cx, cy = rng.uniform(r, big - r, 2)
        colour = tuple(int(255 * c) for c in fg)
        if label == 0:
            draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
        elif label == 1:
            s = r * 0.85
            draw.rectangle((cx - s, cy - s, cx + s, cy + s), fill=colour)
        elif label == 2:
            draw.polygon([(cx, cy - r), (cx - r * 0.95, cy + r * 0.8), (cx + r * 0.95, cy + r * 0.8)], fill=colour)
        else:
            w = r * 0.3
            draw.rectangle((cx - r, cy - w, cx + r, cy + w), fill=colour)
            draw.rectangle((cx - w, cy - r, cx + w, cy + r), fill=colour)
        small = np.asarray(img.resize((image_size, image_size), Image.Resampling.BOX), dtype=np.float32) / 255.0
        small = small + rng.normal(0, 0.03, small.shape).astype(np.float32)
        images.append(np.clip(small, 0, 1))
        labels.append(label)
    x = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2)  # (N, 3, S, S)
    if channels == 1:
        x = x.mean(1, keepdim=True)
    elif channels != 3:
        x = x.mean(1, keepdim=True).repeat(1, channels, 1, 1)
    y = torch.tensor(labels)
    n_val = int(SHAPES_COUNT * HELD_OUT)
    return x[n_val:].contiguous(), y[n_val:], x[:n_val].contiguous(), y[:n_val]


def shapes(image_size: int = 32, channels: int = 3, objective: str = "cross_entropy") -> Classification:
    x_tr, y_tr, x_va, y_va = _shapes(int(image_size), int(channels))
    return Classification(SHAPES_INFO, x_tr, y_tr, x_va, y_va, SHAPE_CLASSES, objective)


SPOKEN_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@functools.lru_cache(maxsize=2)
def _spoken_digits(max_voices: int | None):
    """Synthesised once per process (≈10–80 s with espeak-ng on 2 busy cores): every training voice once, every
    held-out voice once (the demo recipe's split by voice)."""
    from zoo.train.spoken_digits import synthesize, voices

    train, held_out = voices(held_out=False), voices(held_out=True)
    if max_voices is not None:
        train, held_out = train[:max_voices], held_out[: max(1, max_voices // 4)]
    x_tr, y_tr = synthesize(SPOKEN_WORDS, train, takes=1, seed=SPLIT_SEED)
    x_va, y_va = synthesize(SPOKEN_WORDS, held_out, takes=1, seed=SPLIT_SEED + 1)
    return x_tr[:, None].float(), y_tr, x_va[:, None].float(), y_va


def spoken_digits(max_voices: int | None = None) -> Classification:
    """`max_voices`: synthesise only that many training voices (and a quarter as many held-out ones), for
    quick checks; None: all of them."""
    if not SPOKEN_INFO.available():
        raise RuntimeError("the spoken_digits dataset needs espeak-ng (apt-get install espeak-ng)")
    x_tr, y_tr, x_va, y_va = _spoken_digits(max_voices)
    return Classification(SPOKEN_INFO, x_tr, y_tr, x_va, y_va, SPOKEN_WORDS)


# ---------------------------------------------------------------------------------------------- language models

PYDOC_INFO = DatasetInfo("pydoc_bytes", "language_modelling",
                         "pydoc_data.topics: Python's bundled help texts (~466 KB of English and code) as UTF-8 "
                         "bytes (vocabulary 256), last 10% held out", "perplexity", False)


@functools.lru_cache(maxsize=1)
def _pydoc_bytes() -> tuple[torch.Tensor, torch.Tensor]:
    from pydoc_data.topics import topics

    text = "\n\n".join(topics[k] for k in sorted(topics))
    data = torch.frombuffer(bytearray(text.encode("utf-8")), dtype=torch.uint8).long()
    n = int(len(data) * 0.9)
    return data[:n], data[n:]


MOE_BALANCE_WEIGHT = 0.01  # Fedus et al. 2021 (Switch Transformer), Sec. 2.2


class ByteLanguageModelling(TrainData):
    """Next-byte prediction. Training examples are the non-overlapping windows of `seq_len + 1` bytes of the
    training split; `model(ids (B, T))` gives scores (B, T, 256). Evaluation reads the first `eval_windows`
    windows of the held-out split (same for every run): loss in nats, perplexity, bits per byte."""

    info = PYDOC_INFO

    def __init__(self, seq_len: int = 64, eval_windows: int = 64):
        self.seq_len = int(seq_len)
        train, held_out = _pydoc_bytes()
        n = (len(train) - 1) // self.seq_len
        self.starts = torch.arange(n) * self.seq_len
        self.train = train
        m = min(eval_windows, (len(held_out) - 1) // self.seq_len)
        idx = torch.arange(m)[:, None] * self.seq_len + torch.arange(self.seq_len + 1)
        self.val = held_out[idx]  # (m, T + 1)

    def __len__(self) -> int:
        return len(self.starts)

    def batch(self, indices, device="cpu"):
        idx = self.starts[indices][:, None] + torch.arange(self.seq_len + 1)
        return self.train[idx].to(device)  # (B, T + 1)

    def _nll(self, model, windows: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        logits = logits_of(model(windows[:, :-1])).float()  # (B, T, 256)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1), reduction=reduction)

    def loss(self, model, batch):
        output = model(batch[:, :-1])
        logits = logits_of(output).float()
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
        if hasattr(output, "balance_loss"):  # mixture of experts: Switch's load-balancing term, α = 0.01
            loss = loss + MOE_BALANCE_WEIGHT * output.balance_loss.float()
        return loss

    @torch.no_grad()
    def evaluate(self, model, cancel=None, batch_size: int = 32):
        model.eval()
        device = next(model.parameters()).device
        total = 0.0
        for i in range(0, len(self.val), batch_size):
            if cancel is not None and cancel.is_set():
                return None
            total += float(self._nll(model, self.val[i : i + batch_size].to(device), reduction="sum"))
        nats = total / (len(self.val) * self.seq_len)
        return {"loss": nats, "perplexity": math.exp(nats), "bits_per_byte": nats / math.log(2)}


# ------------------------------------------------------------------------------------------------------- graphs

KARATE_INFO = DatasetInfo("karate", "node_classification",
                          "Zachary's karate club (networkx): 34 members, 78 friendships, which of the two factions each "
                          "joined; features are one-hot identities; 10 members (5 per faction) labelled, the other 24 held out",
                          "accuracy", True, batched=False)
COMMUNITIES_INFO = DatasetInfo("communities", "node_classification",
                               "generated graph: 3 communities × 40 nodes (stochastic block model, p_in 0.15, p_out "
                               "0.02, fixed seed), 16 noisy features per node; 20% labelled, the rest held out",
                               "accuracy", True, batched=False)
GRAPH_FORMS = ("normalized", "adjacency", "laplacian")  # Â (GCN, GAT), A (GraphSAGE), L̃ (ChebNet)


class NodeClassification(TrainData):
    """One graph, trained full-batch: `len()` is 1 and every step sees every node; the loss counts the
    labelled nodes, evaluation the held-out ones. `model(x (N, F), matrix (N, N))` gives (N, classes)."""

    def __init__(self, info, x, matrix, y, train_mask, classes: tuple[str, ...]):
        self.info, self.x, self.matrix, self.y = info, x, matrix, y
        self.train_mask, self.val_mask = train_mask, ~train_mask
        self.classes = classes

    @property
    def num_features(self) -> int:
        return self.x.shape[1]

    def __len__(self) -> int:
        return 1

    def batch(self, indices, device="cpu"):
        return self.x.to(device), self.matrix.to(device)

    def loss(self, model, batch):
        scores = logits_of(model(*batch)).float()
        return F.cross_entropy(scores[self.train_mask], self.y[self.train_mask].to(scores.device))

    @torch.no_grad()
    def evaluate(self, model, cancel=None):
        model.eval()
        device = next(model.parameters()).device
        scores = logits_of(model(self.x.to(device), self.matrix.to(device))).float().cpu()
        val = self.val_mask
        return {"accuracy": float((scores[val].argmax(1) == self.y[val]).float().mean()),
                "loss": float(F.cross_entropy(scores[val], self.y[val]))}


def _graph_matrix(edges, n: int, form: str) -> torch.Tensor:
    from zoo.graph._graph_utils import adjacency, normalized_adjacency, scaled_laplacian

    if form == "normalized":
        return normalized_adjacency(edges, n)
    if form == "adjacency":
        return adjacency(edges, n)
    if form == "laplacian":
        return scaled_laplacian(adjacency(edges, n))
    raise ValueError(f"graph form must be one of {GRAPH_FORMS}")


def _labelled(y: torch.Tensor, share: float) -> torch.Tensor:
    """A fixed stratified mask with `share` of each class labelled (at least one node per class)."""
    g = torch.Generator().manual_seed(SPLIT_SEED)
    mask = torch.zeros(len(y), dtype=torch.bool)
    for c in y.unique():
        members = (y == c).nonzero().flatten()
        k = max(1, round(share * len(members)))
        mask[members[torch.randperm(len(members), generator=g)[:k]]] = True
    return mask


def karate(graph_form: str = "normalized") -> NodeClassification:
    import networkx as nx

    g = nx.karate_club_graph()
    n = g.number_of_nodes()
    factions = ("Mr. Hi", "Officer")
    edges = sorted((min(u, v), max(u, v)) for u, v in g.edges())
    y = torch.tensor([factions.index(g.nodes[i]["club"]) for i in range(n)])
    return NodeClassification(KARATE_INFO, torch.eye(n), _graph_matrix(edges, n, graph_form), y, _labelled(y, 0.3), factions)


def communities(graph_form: str = "normalized") -> NodeClassification:
    import networkx as nx

    sizes, n_features = (40, 40, 40), 16
    p = [[0.15 if i == j else 0.02 for j in range(3)] for i in range(3)]
    g = nx.stochastic_block_model(list(sizes), p, seed=SPLIT_SEED)
    n = g.number_of_nodes()
    y = torch.tensor([g.nodes[i]["block"] for i in range(n)])
    rng = np.random.default_rng(SPLIT_SEED)
    centres = rng.normal(0, 1, (3, n_features))
    x = torch.tensor(0.5 * centres[y.numpy()] + rng.normal(0, 1.5, (n, n_features)), dtype=torch.float32)  # weak signal
    edges = sorted((min(u, v), max(u, v)) for u, v in g.edges())
    names = ("community A", "community B", "community C")
    return NodeClassification(COMMUNITIES_INFO, x, _graph_matrix(edges, n, graph_form), y, _labelled(y, 0.2), names)


# ----------------------------------------------------------------------------------------------------- registry

DATASETS: dict[str, tuple[DatasetInfo, Callable[..., TrainData]]] = {
    "digits": (DIGITS_INFO, digits),
    "shapes": (SHAPES_INFO, shapes),
    "spoken_digits": (SPOKEN_INFO, spoken_digits),
    "pydoc_bytes": (PYDOC_INFO, ByteLanguageModelling),
    "karate": (KARATE_INFO, karate),
    "communities": (COMMUNITIES_INFO, communities),
}


def all_datasets() -> dict[str, tuple[DatasetInfo, Callable[..., TrainData]]]:
    """The datasets above and those of every task module (`zoo.learn.tasks`), by name."""
    from .tasks import task_modules

    out = dict(DATASETS)
    for module in task_modules():
        out.update(getattr(module, "DATASETS", {}))
    return out


def dataset_info(name: str) -> DatasetInfo:
    table = all_datasets()
    try:
        return table[name][0]
    except KeyError:
        raise KeyError(f"unknown dataset {name!r}; datasets are {', '.join(table)}") from None


def load_dataset(name: str, **options: Any) -> TrainData:
    """The dataset `name` adapted by `options` (e.g. digits: image_size, channels; pydoc_bytes: seq_len;
    karate/communities: graph_form). Tensors are built once per process and option set, then shared
    read-only by every run."""
    dataset_info(name)
    return all_datasets()[name][1](**options)
