"""Gallery logic: filter, search and sort model cards. Pure Python, so it is tested without a UI."""

from __future__ import annotations

from dataclasses import dataclass

from .card import ModelCard
from .registry import card, list_models

SORTS = ("year_desc", "year_asc", "size_asc", "size_desc", "name")


@dataclass(frozen=True)
class Filters:
    query: str = ""
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
    out = []
    for key in list_models():
        c = card(key)
        if filters.domains and c.domain not in filters.domains:
            continue
        if filters.tasks and c.task not in filters.tasks:
            continue
        if filters.levels and c.level not in filters.levels:
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
