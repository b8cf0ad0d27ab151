"""Gallery logic: filter, search, sort and group model cards, and the rule behind their levels. Pure Python, so
it is tested without a UI.

How levels are assigned (`ModelCard.level`; the README states the same rule). A level says how much a reader
must already know to follow the model's card and code — not its size or its year:

- **basic** — textbook layers (dense, convolution, also grouped or depthwise, pooling, normalisation, dropout,
  recurrent cells, embeddings) plus at most one new idea, which its card explains (residual connections, an
  inception module, dense connectivity, skip connections across an encoder–decoder, Q-learning with replay, a
  normalised-adjacency graph layer). The models a first course teaches.
- **intermediate** — two or three such ideas together, or one with maths of its own: attention and
  transformers, adversarial or variational training, message passing with attention or learned aggregation,
  CTC or CRF decoding, actor–critic updates, pre-training objectives, compound scaling.
- **advanced** — a system of many parts (detection and segmentation pipelines with anchors, feature pyramids
  and NMS; large-language-model recipes; architectures found by search), or maths beyond backpropagation
  (diffusion, normalising flows, state spaces, ODE solvers, capsule routing, spectral graph filters,
  entropy-regularised RL, Wasserstein critics).

Three consequences are checked by tests (`level_rule_breaks`, `level_shares`): variants published together
(same family, same year) share a level, because size is not difficulty; the learning path (`zoo.path`) never
steps down a level; and each level holds between 25% and 42% of the catalogue (`LEVEL_SHARE`).
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .card import LEVELS, ModelCard
from .registry import card, list_models

LEVEL_SHARE = (0.25, 0.42)  # each level's share of the catalogue stays within these bounds

SORTS = ("year_desc", "year_asc", "size_asc", "size_desc", "name")


@dataclass(frozen=True)
class Pick:
    """A "pick by task" entry point: the models in `domains` whose task names one of `task_words` (any task if
    none). Its title and blurb are locale texts `home.pick.<name>.title` / `.blurb`."""

    name: str
    domains: tuple[str, ...]
    task_words: tuple[str, ...] = ()

    def matches(self, c: ModelCard) -> bool:
        return c.domain in self.domains and (not self.task_words or any(w in c.task for w in self.task_words))


PICKS: tuple[Pick, ...] = (
    Pick("classify_images", ("vision",), ("image classification", "verification")),
    Pick("find_objects", ("vision",), ("detection", "instance segmentation")),
    Pick("segment_images", ("vision",), ("segmentation",)),
    Pick("understand_text", ("nlp",), ("encod", "classification", "tagging", "embedding", "sequence modelling")),
    Pick("generate_text", ("nlp",), ("language modelling", "translation", "text-to-text")),
    Pick("speech_audio", ("audio",)),
    Pick("generate_images", ("generative",)),
    Pick("learn_to_act", ("rl",)),
    Pick("graphs", ("graph",)),
    Pick("other_ideas", ("other",)),
)


def pick(name: str) -> Pick | None:
    return next((p for p in PICKS if p.name == name), None)


@dataclass(frozen=True)
class Filters:
    query: str = ""
    pick: str = ""  # a Pick's name (the home page's "pick by task" links), or "" for none
    domains: tuple[str, ...] = ()  # empty = all
    tasks: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    years: tuple[int, int] | None = None  # inclusive range
    sort: str = "year_desc"


def _haystack(c: ModelCard, lang: str | None) -> str:
    texts = [c.key, c.name, c.family, c.task, c.summary, " ".join(c.tags)]
    if lang:
        loc = c.localized(lang)
        texts += [loc.name, loc.task, loc.summary]
    return " ".join(texts).lower()


def search(filters: Filters, lang: str | None = None) -> list[ModelCard]:
    """Cards matching every filter; the query matches all its words in names, tasks, summaries and
    tags (English, plus the translation for `lang`)."""
    words = filters.query.lower().split()
    picked = pick(filters.pick)
    out = []
    for key in list_models():
        c = card(key)
        if filters.domains and c.domain not in filters.domains:
            continue
        if filters.tasks and c.task not in filters.tasks:
            continue
        if filters.levels and c.level not in filters.levels:
            continue
        if picked and not picked.matches(c):
            continue
        if filters.years and not filters.years[0] <= c.year <= filters.years[1]:
            continue
        if words:
            hay = _haystack(c, lang)
            if not all(w in hay for w in words):
                continue
        out.append(c)
    return sort_cards(out, filters.sort)


def sort_cards(cards: list[ModelCard], how: str) -> list[ModelCard]:
    if how not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    keyf = {
        "year_desc": lambda c: (-c.year, c.name),
        "year_asc": lambda c: (c.year, c.name),
        "size_asc": lambda c: (c.params.value, c.name),
        "size_desc": lambda c: (-c.params.value, c.name),
        "name": lambda c: c.name.lower(),
    }[how]
    return sorted(cards, key=keyf)


def facets() -> dict[str, list]:
    """Values the gallery offers as filters: tasks, levels, year span."""
    cards = [card(k) for k in list_models()]
    years = [c.year for c in cards]
    return {
        "tasks": sorted({c.task for c in cards}),
        "levels": [lv for lv in ("basic", "intermediate", "advanced") if any(c.level == lv for c in cards)],
        "years": [min(years), max(years)] if years else [0, 0],
    }


def human_count(n: float) -> str:
    """61706 → '61.7K', 25557032 → '25.6M', 175e9 → '175.0B'."""
    for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= div:
            return f"{n / div:.1f}{unit}"
    return str(int(n))


# ----------------------------------------------------------------------------- levels


def level_shares(keys: list[str] | None = None) -> dict[str, float]:
    """{level: share of the catalogue}, in LEVELS order."""
    keys = list_models() if keys is None else keys
    return {lv: sum(card(k).level == lv for k in keys) / max(1, len(keys)) for lv in LEVELS}


def level_rule_breaks(keys: list[str] | None = None) -> list[tuple[str, int, dict[str, str]]]:
    """Variants published together (same family, same year) at different levels: [(family, year, {key: level})]."""
    groups: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    for k in list_models() if keys is None else keys:
        c = card(k)
        groups[(c.family, c.year)][k] = c.level
    return [(fam, year, levels) for (fam, year), levels in sorted(groups.items()) if len(set(levels.values())) > 1]


# ----------------------------------------------------------------------------- families and the table view


@dataclass(frozen=True)
class Family:
    """One gallery card: a family and its variants (e.g. EfficientNet B0…B7), smallest first."""

    name: str
    domain: str
    variants: tuple[ModelCard, ...]

    @property
    def lead(self) -> ModelCard:
        """The variant the card describes: the first one the current sort put forward."""
        return self.variants[0]


def families(cards: list[ModelCard]) -> list[Family]:
    """Group sorted cards by (domain, family), keeping the order in which each family first appears; the variants
    in a family keep the sort's order too, so the family's lead is the one the sort ranks first."""
    grouped: dict[tuple[str, str], list[ModelCard]] = {}
    for c in cards:
        grouped.setdefault((c.domain, c.family), []).append(c)
    return [Family(fam, dom, tuple(vs)) for (dom, fam), vs in grouped.items()]


def variant_label(c: ModelCard, family: Family) -> str:
    """A short chip label: the variant's name without the family's shared prefix ("EfficientNet-B3" → "B3")."""
    names = [v.name for v in family.variants]
    if len(names) == 1:
        return c.name
    prefix = _common_prefix(names)
    short = c.name[len(prefix):].strip(" -_·") if len(prefix) >= 3 else ""
    return short or c.name


def _common_prefix(names: list[str]) -> str:
    first, last = min(names), max(names)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    raw = prefix = first[:n]
    # cut back to a word boundary, so "ResNet-18"/"ResNet-152" share "ResNet-", not "ResNet-1"
    while prefix and prefix[-1] not in " -_·":
        prefix = prefix[:-1]
    # no boundary at all ("MobileNetV2"/"MobileNet V1"): the shared word itself, if it is one
    return prefix or (raw if len(raw) >= 4 else "")


def known_macs(keys: list[str]) -> dict[str, int]:
    """MACs of one forward pass on the example input, for the models whose introspection artifact is already on
    disk (nothing is built here); the others are left out, so a table shows them as unknown."""
    from .introspect import artifacts

    out = {}
    for k in keys:
        path = artifacts.stored_path(k)
        if path is not None:
            macs = _macs_in(str(path), path.stat().st_mtime_ns)
            if macs is not None:
                out[k] = macs
    return out


@functools.lru_cache(maxsize=512)
def _macs_in(path: str, mtime_ns: int) -> int | None:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    summary = data.get("summary") if isinstance(data, dict) else None  # an error artifact has none
    return int(summary["macs"]) if summary and "macs" in summary else None
