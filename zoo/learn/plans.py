"""Which registered models can train here, on which dataset, and what is reduced so that they train in
seconds to minutes on a CPU.

A `TrainPlan` is plain data: the dataset and its options, the config overrides (fields the model's own config
dataclass already has: `zoo.create_model(key, **overrides)`), and the reductions as data. Published
architectures are kept wherever a small dataset allows; what changes is said, never hidden:

- image classifiers get the dataset's classes, its channels and a small input side; the very wide or very
  large ones a width factor (ResNet-50 at 32×32, width ×0.25), and ViT-style models a patch size that fits;
- language models read bytes (vocabulary 256) with a short context, and the large ones become small stacks
  of the same blocks (GPT-2 → 4 layers, width 128);
- graph models get the graph's feature count and classes.

Tasks with objectives of their own (environments, generative models, detection, …) bring their plans from the
task modules of `zoo.learn.tasks`. Models no plan covers are listed by `not_covered()` with the reason.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import torch

from .datasets import dataset_info

__all__ = ["Reduction", "TrainPlan", "build", "covered_models", "not_covered", "plans_for"]


@dataclass(frozen=True)
class Reduction:
    """One thing changed from the published model. `code` names it (the UI's locale key `train.reduce_<code>`),
    `values` fill the sentence's placeholders."""

    code: str
    values: tuple[tuple[str, Any], ...] = ()

    def english(self) -> str:
        return reduction_texts()[self.code].format(**dict(self.values))


REDUCTION_TEXT = {
    "input_size": "input {side}×{side} (published {published})",
    "channels": "{channels} input channel(s)",
    "classes": "{classes} classes",
    "width": "width ×{factor}",
    "vocab": "byte vocabulary (256)",
    "context": "context {context} tokens (published {published})",
    "layers": "{layers} layers (published {published})",
    "model_width": "model width {width} (published {published})",
    "experts": "{experts} experts (published {published})",
    "patch": "patch {patch}×{patch} (published {published})",
    "features": "{features} input features per node",
    "aux_off": "auxiliary classifier off",
    "sequence": "each digit read as 64 pixels in a row",
}


@functools.cache
def reduction_texts() -> dict[str, str]:
    """Every reduction code → its English sentence: the ones above and those of the task modules."""
    from .tasks import task_modules

    out = dict(REDUCTION_TEXT)
    for module in task_modules():
        out.update(getattr(module, "REDUCTIONS", {}))
    return out


@dataclass(frozen=True)
class TrainPlan:
    key: str
    dataset: str
    data_options: dict[str, Any] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)
    reductions: tuple[Reduction, ...] = ()
    defaults: dict[str, Any] = field(default_factory=dict)  # suggested FitConfig fields for this model and data
    batch_norm_field: str | None = None  # a boolean config field that turns batch normalisation on/off
    batch_norm: bool | None = None  # that field's value in the published config (None: no such field)
    # "module:function" that builds what trains, when that is more than the registry model (a GAN's generator
    # with the discriminator it plays against): function(plan, generator, **overrides) -> nn.Module
    builder: str | None = None

    def note(self) -> str:
        """What is reduced, in English (the CLI's line; the UI translates the reduction codes)."""
        return ", ".join(r.english() for r in self.reductions) or "as published"

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "dataset": self.dataset, "data_options": self.data_options,
                "overrides": {k: _jsonable(v) for k, v in self.overrides.items()}, "reduced": self.note()}


def _jsonable(v: Any) -> Any:
    if dataclasses.is_dataclass(v):
        return dataclasses.asdict(v)
    if isinstance(v, tuple):
        return [_jsonable(x) for x in v]
    return v


def _r(code: str, **values: Any) -> Reduction:
    return Reduction(code, tuple(values.items()))


# ---------------------------------------------------------------------------------------------- image classifiers

IMAGE_DATA = {"digits": (10, 1), "shapes": (4, 3)}  # dataset → (classes, channels)
IMAGE_DEFAULTS = {"epochs": 3, "batch_size": 64, "optimizer": "adam", "lr": 2e-3, "schedule": "onecycle"}


def _scaled(values: tuple, factor: float) -> tuple:
    return tuple(max(8, int(v * factor)) if isinstance(v, int) else v for v in values)


def _image_spec(key: str, cfg: Any) -> tuple[int, dict[str, Any], list[Reduction]] | None:
    """(input side, architecture overrides, reductions) for an image classifier, or None if not covered."""
    if key == "lenet5":
        return 32, {}, []
    if key == "capsnet":
        return 28, {"conv_channels": 64, "primary_maps": 8}, [_r("width", factor=0.25)]
    if key == "neural_ode":
        return 28, {}, []
    if key.startswith(("resnet", "resnext", "wide_resnet")):
        return 32, {"widths": _scaled(cfg.widths, 0.25), "stem_width": 16}, [_r("width", factor=0.25)]
    if key.startswith("vgg"):
        return 32, {"layers": tuple(v // 8 if isinstance(v, int) else v for v in cfg.layers), "hidden": 128,
                    "pool_size": 1}, [_r("width", factor=0.125)]
    if key == "alexnet":
        return 64, {"conv_channels": _scaled(cfg.conv_channels, 0.25), "hidden": 256, "pool_size": 1}, [_r("width", factor=0.25)]
    if key == "googlenet":
        return 32, {}, []
    if key == "inception_v3":
        return 80, {"aux_logits": False}, [_r("aux_off")]
    if key.startswith("densenet"):
        return 32, {"growth_rate": 8, "stem_width": 16}, [_r("width", factor=0.25)]
    if key.startswith("efficientnet_v2"):
        stages = tuple(dataclasses.replace(s, channels=max(8, s.channels // 4)) for s in cfg.stages)
        return 32, {"stages": stages, "stem_channels": 8, "head_channels": 320}, [_r("width", factor=0.25)]
    if key.startswith("efficientnet"):
        return 32, {"width_mult": cfg.width_mult * 0.25}, [_r("width", factor=0.25)]
    if key.startswith("mobilenet"):
        return 32, {"width_mult": 0.25}, [_r("width", factor=0.25)]
    if key.startswith("mnasnet"):
        return 32, {"alpha": 0.25}, [_r("width", factor=0.25)]
    if key.startswith("regnet"):
        return 32, {}, []
    if key.startswith("shufflenet"):
        return 32, {"widths": (24, 48, 96, 192, 1024)}, [_r("width", factor=0.5)]
    if key.startswith("squeezenet"):
        return 64, {}, []
    if key == "convnext_tiny":
        return 32, {"widths": _scaled(cfg.widths, 0.25)}, [_r("width", factor=0.25)]
    if key == "swin_t":
        return 32, {"embed_dim": 24, "window": 4}, [_r("width", factor=0.25)]
    if key in ("vit_b_16", "deit_tiny"):
        over: dict[str, Any] = {"image_size": 32, "patch_size": 4}
        red = [_r("patch", patch=4, published=cfg.patch_size)]
        if cfg.width > 192:
            over |= {"width": 192, "depth": 6, "heads": 6, "mlp_dim": 768}
            red += [_r("model_width", width=192, published=cfg.width), _r("layers", layers=6, published=cfg.depth)]
        return 32, over, red
    if key == "mlp_mixer_b16":
        return 32, {"image_size": 32, "patch_size": 4, "hidden": 128, "depth": 6, "tokens_mlp_dim": 64,
                    "channels_mlp_dim": 512}, [_r("patch", patch=4, published=cfg.patch_size),
                                               _r("model_width", width=128, published=cfg.hidden),
                                               _r("layers", layers=6, published=cfg.depth)]
    if key == "maxvit_t":
        return 64, {"channels": _scaled(cfg.channels, 0.25), "stem_channels": 16, "head_dim": 16,
                    "partition_size": 2}, [_r("width", factor=0.25)]
    return None


PUBLISHED_SIDE = {"lenet5": 32, "capsnet": 28, "neural_ode": 28, "inception_v3": 299}


def _image_plans(key: str, cfg: Any) -> list[TrainPlan]:
    spec = _image_spec(key, cfg)
    if spec is None:
        return []
    side, arch, reductions = spec
    plans = []
    published = PUBLISHED_SIDE.get(key, 224)
    for name, (classes, channels) in IMAGE_DATA.items():
        overrides = dict(arch)
        red = list(reductions)
        if hasattr(cfg, "num_classes"):
            overrides["num_classes"] = classes
            if cfg.num_classes != classes:
                red.insert(0, _r("classes", classes=classes))
        if hasattr(cfg, "in_channels"):
            overrides["in_channels"] = channels
            if cfg.in_channels != channels:
                red.append(_r("channels", channels=channels))
        if side != published:
            red.insert(0, _r("input_size", side=side, published=f"{published}×{published}"))
        options = {"image_size": side, "channels": channels}
        if key == "capsnet":
            options["objective"] = "margin"
        has_bn = hasattr(cfg, "batch_norm")
        plans.append(TrainPlan(key, name, options, overrides, tuple(red), dict(IMAGE_DEFAULTS),
                               "batch_norm" if has_bn else None, cfg.batch_norm if has_bn else None))
    return plans


# ------------------------------------------------------------------------------------------------ language models

LM_CONTEXT = 64
LM_DEFAULTS = {"epochs": 1, "max_steps": 300, "batch_size": 32, "optimizer": "adamw", "lr": 3e-3,
               "schedule": "cosine", "warmup_steps": 20, "clip_norm": 1.0}


def _lm_plans(key: str, cfg: Any) -> list[TrainPlan]:
    red = [_r("vocab")]
    if key == "char_lstm":
        over: dict[str, Any] = {}
        red = []
    elif key.startswith("gpt"):
        over = {"vocab_size": 256, "block_size": LM_CONTEXT, "n_layer": 4, "n_head": 4, "d_model": 128, "dropout": 0.0}
        red += [_r("context", context=LM_CONTEXT, published=cfg.block_size), _r("layers", layers=4, published=cfg.n_layer),
                _r("model_width", width=128, published=cfg.d_model)]
    elif key == "moe":
        over = {"vocab_size": 256, "d_model": 128, "n_layers": 2, "n_heads": 4, "n_kv_heads": 2, "d_expert": 256,
                "n_experts": 4}
        red += [_r("layers", layers=2, published=cfg.n_layers), _r("model_width", width=128, published=cfg.d_model),
                _r("experts", experts=4, published=cfg.n_experts)]
    elif key.startswith("mamba"):
        over = {"vocab_size": 256, "d_model": 128, "n_layers": 4, "dt_rank": 8}
        red += [_r("layers", layers=4, published=cfg.n_layers), _r("model_width", width=128, published=cfg.d_model)]
    elif key in ("llama_7b", "tinyllama_1_1b"):
        over = {"vocab_size": 256, "dim": 128, "n_layers": 4, "n_heads": 4, "n_kv_heads": 2 if cfg.n_kv_heads < cfg.n_heads else 4,
                "ffn_dim": 344, "max_seq_len": LM_CONTEXT}
        red += [_r("context", context=LM_CONTEXT, published=cfg.max_seq_len), _r("layers", layers=4, published=cfg.n_layers),
                _r("model_width", width=128, published=cfg.dim)]
    else:
        return []
    return [TrainPlan(key, "pydoc_bytes", {"seq_len": LM_CONTEXT}, over, tuple(red), dict(LM_DEFAULTS))]


# --------------------------------------------------------------------------------------------------------- graphs

GRAPH_FORM = {"gcn": "normalized", "gat": "normalized", "graphsage": "adjacency", "chebnet": "laplacian"}
GRAPH_DEFAULTS = {"epochs": 100, "batch_size": 1, "optimizer": "adam", "lr": 0.01, "weight_decay": 5e-4}
GRAPH_DATA = {"karate": (34, 2), "communities": (16, 3)}  # features, classes


def _graph_plans(key: str, cfg: Any) -> list[TrainPlan]:
    if key not in GRAPH_FORM:
        return []
    return [TrainPlan(key, name, {"graph_form": GRAPH_FORM[key]}, {"in_features": f, "num_classes": c},
                      (_r("features", features=f), _r("classes", classes=c)), dict(GRAPH_DEFAULTS))
            for name, (f, c) in GRAPH_DATA.items()]


# ------------------------------------------------------------------------------------------------- other tasks


def _other_plans(key: str, cfg: Any) -> list[TrainPlan]:
    if key == "m5" and dataset_info("spoken_digits").available():
        return [TrainPlan(key, "spoken_digits", {}, {"num_classes": 10}, (_r("classes", classes=10),),
                          {"epochs": 5, "batch_size": 64, "optimizer": "adam", "lr": 3e-3, "schedule": "onecycle"})]
    if key == "s4":
        return [TrainPlan(key, "digits", {"as_sequence": True, "channels": 1}, {"d_input": 1, "num_classes": 10},
                          (_r("sequence"), _r("channels", channels=1)),
                          {"epochs": 5, "batch_size": 64, "optimizer": "adamw", "lr": 3e-3, "schedule": "onecycle"})]
    return []


# -------------------------------------------------------------------------------------------------------- lookups


@functools.lru_cache(maxsize=None)
def _config(key: str) -> Any:
    """The model's config dataclass instance, read from a meta-device build (no memory, no init cost)."""
    import zoo

    with torch.device("meta"):
        model = zoo.create_model(key)
    return next((v for v in vars(model).values() if dataclasses.is_dataclass(v)), None)


TOO_BIG = 2e9  # published parameters above which even building the config on meta is not worth it


HANDLERS = {  # card task → plan maker; models of other tasks are not built at all to find out
    "image classification": _image_plans,
    "language modelling": _lm_plans,
    "node classification": _graph_plans,
    "audio classification": _other_plans,
    "long-sequence classification": _other_plans,
}


@functools.lru_cache(maxsize=None)
def _plans(key: str) -> tuple[TrainPlan, ...]:
    import zoo

    from .tasks import task_modules

    card = zoo.card(key)
    if key == "gpt3":
        return ()
    handler = HANDLERS.get(card.task.lower())
    if handler is not None and not (card.params.value > TOO_BIG and handler is not _lm_plans):
        cfg = _config(key)
        found = tuple(handler(key, cfg)) if cfg is not None else ()
        if found:
            return found
    for module in task_modules():
        found = tuple(getattr(module, "plans", lambda *_: ())(key, card, lambda: _config(key)))
        if found:
            return found
    return ()


def plans_for(key: str) -> list[TrainPlan]:
    """The ways `key` can train here, best first (empty: not covered; see `not_covered`). Raises KeyError for
    an unknown key."""
    import zoo

    zoo.card(key)
    return list(_plans(key))


def plan_for(key: str, dataset: str | None = None) -> TrainPlan:
    """The plan of `key` on `dataset` (default: its first). KeyError/ValueError with a readable message."""
    plans = plans_for(key)
    if not plans:
        raise ValueError(f"{key} cannot train here: {REASONS[_reason(key)]}")
    if dataset is None:
        return plans[0]
    for p in plans:
        if p.dataset == dataset:
            return p
    raise ValueError(f"{key} trains on {', '.join(p.dataset for p in plans)}, not {dataset!r}")


def covered_models() -> list[str]:
    import zoo

    return [k for k in zoo.list_models() if _plans(k)]


REASONS = {
    "too big": "175B parameters: only ever built on the meta device",
    "trunk": "a full-width ResNet-50/VGG-16 trunk (its config has no width setting) trained from scratch: seconds "
             "per step of 4 small scenes here, and unstable in the first steps tried",
    "budget": "its objective runs on offline data here, but it did not beat its untrained self on held-out data "
              "within a few CPU minutes in the runs tried",
    "other": "its task has no matching offline dataset here",
}


def _reason(key: str) -> str:
    from .tasks import task_modules

    if key == "gpt3":
        return "too big"
    for module in task_modules():  # a task module that tried a model and left it out says why
        code = getattr(module, "NOT_COVERED", {}).get(key)
        if code is not None:
            return code
    return "other"


def reason_for(key: str) -> str:
    """Why `key` has no training plan, as a reason code (a key of REASONS); only meaningful when
    `plans_for(key)` raises. Cheap: asks the task modules' `NOT_COVERED`, builds nothing."""
    return _reason(key)


def not_covered() -> dict[str, str]:
    """key → reason code (a key of REASONS) for every registered model without a plan."""
    import zoo

    return {k: _reason(k) for k in zoo.list_models() if not _plans(k)}


def build(plan: TrainPlan, seed: int = 0, **overrides: Any) -> torch.nn.Module:
    """The plan's model with its initial weights drawn from a generator seeded `seed` (not the process-wide
    one: the same seed builds the same model while other threads draw random numbers). `overrides` go on top
    of the plan's (e.g. `batch_norm=False`)."""
    from ..rng import build as build_seeded, drawing_from, torch_generator

    generator = torch_generator(seed)
    if plan.builder is None:
        return build_seeded(plan.key, generator, **{**plan.overrides, **overrides})
    import importlib

    module, _, function = plan.builder.partition(":")
    with drawing_from(generator):
        return getattr(importlib.import_module(module), function)(plan, generator, **overrides)
