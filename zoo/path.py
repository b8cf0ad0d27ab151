"""The learning path on the home page: from basic models to complex architectures, one step at a time.

Only the keys and their order live here; why each step matters and what changed from the step before are
prose, in the home page's locale files (`ui/locales/sections/home.<lang>.toml`, keys `home.step.<key>.why` and
`home.step.<key>.changed`). Tests check that every key is registered, that each step is at least as advanced as
the one before (`zoo.catalog` states the level rule) and that every step has its prose in every language.
"""

from __future__ import annotations

from .card import LEVELS
from .registry import card

# Vision first (convolutions, depth, residuals, efficiency), then sequences (recurrence, attention), then
# transformers as they took over text and images, then generative models up to diffusion.
LEARNING_PATH: tuple[str, ...] = (
    "lenet5",
    "alexnet",
    "vgg16",
    "resnet50",
    "mobilenet_v2",
    "unet",
    "lstm",
    "seq2seq_attention",
    "transformer_base",
    "bert_base",
    "gpt2",
    "vit_b_16",
    "vae",
    "dcgan_generator",
    "ddpm_unet",
)


def steps() -> list[str]:
    """The path's model keys, in order (each one registered: `card` raises for an unknown key)."""
    for key in LEARNING_PATH:
        card(key)
    return list(LEARNING_PATH)


def steps_down() -> list[tuple[str, str]]:
    """Consecutive steps where the path would step down a level (it must not): [(earlier, later)]."""
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    levels = [rank[card(k).level] for k in LEARNING_PATH]
    return [(a, b) for a, b, la, lb in zip(LEARNING_PATH, LEARNING_PATH[1:], levels, levels[1:]) if lb < la]


def next_step(done: set[str]) -> str | None:
    """The first step not yet marked done, or None when the whole path is done."""
    return next((k for k in LEARNING_PATH if k not in done), None)
