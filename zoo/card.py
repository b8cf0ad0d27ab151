"""Model cards: the facts DeepZoo shows about every model.

A card is plain data that lives beside the model code it describes. It carries
published figures *with their source*, so tests can check the implementation
against the paper (or the reference implementation everyone compares to).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Mapping

DOMAINS = ("vision", "nlp", "audio", "rl", "graph", "generative", "other")
LEVELS = ("basic", "intermediate", "advanced")


@dataclass(frozen=True)
class Paper:
    title: str
    url: str
    authors: str = ""
    venue: str = ""


@dataclass(frozen=True)
class Figure:
    """A published number and where it was published.

    `approx=True` marks figures the paper only gives rounded (e.g. "≈65M"); tests
    then accept the implementation within `tolerance` (relative).
    """

    value: float
    source: str
    approx: bool = False
    tolerance: float = 0.05

    def matches(self, measured: float) -> bool:
        if self.approx:
            return abs(measured - self.value) <= self.tolerance * abs(self.value)
        return measured == self.value


@dataclass(frozen=True)
class Metric:
    """A published headline result, e.g. ImageNet top-1 accuracy."""

    name: str
    value: float
    unit: str  # "%", "BLEU", "WER %", ...
    dataset: str
    source: str


@dataclass(frozen=True)
class ModelCard:
    key: str
    name: str
    family: str
    domain: str
    task: str
    year: int
    paper: Paper
    level: str
    summary: str
    scenarios: tuple[str, ...]
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    params: Figure
    input: str  # human description of what the model consumes
    output: str = ""  # human description of what the model returns
    metric: Metric | None = None
    config_note: str = ""  # "state your config": what this entry builds, if not obvious
    tags: tuple[str, ...] = ()
    # Translations of text fields, e.g. {"zh": {"summary": "...", "task": "..."}}.
    # Anything missing falls back to English.
    i18n: Mapping[str, Mapping[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.domain not in DOMAINS:
            raise ValueError(f"{self.key}: domain {self.domain!r} not in {DOMAINS}")
        if self.level not in LEVELS:
            raise ValueError(f"{self.key}: level {self.level!r} not in {LEVELS}")
        for name in ("scenarios", "strengths", "weaknesses", "tags"):
            if isinstance(getattr(self, name), str):
                raise TypeError(f"{self.key}: {name} must be a tuple of strings")

    @property
    def big(self) -> bool:
        """Models this large are only ever built on the `meta` device for inspection."""
        return self.params.value > 150e6

    def localized(self, lang: str) -> "ModelCard":
        """The card with text fields translated into `lang` where a translation exists."""
        tr = self.i18n.get(lang)
        if not tr:
            return self
        known = {f.name for f in fields(self)}
        changes = {k: (tuple(v) if isinstance(v, list) else v) for k, v in tr.items() if k in known}
        return replace(self, **changes)

    def missing_fields(self) -> list[str]:
        """Names of required text fields that are empty (used by tests and CI)."""
        required = ("key", "name", "family", "task", "summary", "input", "scenarios", "strengths", "weaknesses")
        missing = [n for n in required if not getattr(self, n)]
        if not self.paper.title or not self.paper.url.startswith("http"):
            missing.append("paper")
        if not self.params.source:
            missing.append("params.source")
        if not 1940 < self.year < 2100:
            missing.append("year")
        return missing
