"""Where a model's code lives: the whole family file (one architecture, one file)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

from ..registry import entry

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Source:
    module: str  # e.g. "zoo.vision.resnet"
    path: str  # relative to the repository root, e.g. "zoo/vision/resnet.py"
    text: str
    factory_line: int  # 1-based line of this key's factory function

    @property
    def lines(self) -> int:
        return self.text.count("\n") + 1


def source_file(key: str) -> Path:
    return Path(inspect.getsourcefile(entry(key).factory) or "").resolve()


def source(key: str) -> Source:
    e = entry(key)
    mod = inspect.getmodule(e.factory)
    path = source_file(key)
    try:
        rel = str(path.relative_to(REPO_ROOT))
    except ValueError:
        rel = path.name
    _, line = inspect.getsourcelines(e.factory)
    return Source(module=mod.__name__ if mod else e.module, path=rel, text=path.read_text(encoding="utf-8"), factory_line=line)
