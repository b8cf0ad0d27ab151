"""User-visible text, kept out of the code: `ui/locales/<lang>.toml`, one file per language.

Add a language by adding a file with the same keys; `tests/test_i18n.py` checks they match.
Keys are dotted (`gallery.title`); values may use `{placeholders}` filled by `str.format`.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

LOCALES = Path(__file__).resolve().parent / "locales"
DEFAULT = "en"


@functools.cache
def languages() -> dict[str, str]:
    """{code: native name}, e.g. {"en": "English", "zh": "简体中文"}."""
    return {p.stem: strings(p.stem)["language.name"] for p in sorted(LOCALES.glob("*.toml"))}


@functools.cache
def strings(lang: str) -> dict[str, str]:
    """All strings of `lang`: `<lang>.toml`, plus each demo's `demos/<demo>.<lang>.toml` under `demo.<demo>.`."""
    path = LOCALES / f"{lang}.toml"
    if not path.exists():
        lang, path = DEFAULT, LOCALES / f"{DEFAULT}.toml"
    out = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    for demo_file in sorted((LOCALES / "demos").glob(f"*.{lang}.toml")):
        demo = demo_file.name.removesuffix(f".{lang}.toml")
        out.update(_flatten(tomllib.loads(demo_file.read_text(encoding="utf-8")), f"demo.{demo}."))
    return out


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in tree.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


class Translator:
    def __init__(self, lang: str = DEFAULT):
        self.lang = lang if lang in languages() else DEFAULT

    def __call__(self, key: str, /, **kwargs: object) -> str:
        text = strings(self.lang).get(key) or strings(DEFAULT).get(key) or key
        return text.format(**kwargs) if kwargs else text
