"""User-visible text, kept out of the code: `ui/locales/<lang>.toml`, one file per language.

Add a language by adding a file with the same keys; `tests/test_i18n.py` checks they match.
Keys are dotted (`gallery.title`); values may use `{placeholders}` filled by `str.format`.

Two kinds of text come from the code rather than from these files:
- a placeholder named after an input limit (`{max_audio_seconds}`, see `zoo.demos.inputs.stated_limits`)
  is filled as the strings are loaded, so a text states the limit the code checks — also in Gradio
  widgets, whose labels are looked up by key in the browser and cannot take values;
- the English of `input.<key>` (what a `BadInput` says) is `zoo.demos.messages`, because the library
  raises those errors in English without the app; other languages translate them in an `[input]` table.
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
    """All strings of `lang`: `<lang>.toml`; each demo's `demos/<demo>.<lang>.toml` under `demo.<demo>.`;
    each feature's `sections/<section>.<lang>.toml` under `<section>.` (e.g. `sections/compare.en.toml` →
    `compare.title`), so a feature's text lives in its own file; `sections/<section>+<part>.<lang>.toml` adds
    to the same section (the training tasks' datasets and metrics: `train+rl.en.toml` → `train.data_cartpole`)."""
    path = LOCALES / f"{lang}.toml"
    if not path.exists():
        lang, path = DEFAULT, LOCALES / f"{DEFAULT}.toml"
    out = _flatten(tomllib.loads(path.read_text(encoding="utf-8")))
    for demo_file in sorted((LOCALES / "demos").glob(f"*.{lang}.toml")):
        demo = demo_file.name.removesuffix(f".{lang}.toml")
        out.update(_flatten(tomllib.loads(demo_file.read_text(encoding="utf-8")), f"demo.{demo}."))
    for section_file in sorted((LOCALES / "sections").glob(f"*.{lang}.toml")):
        # `train+rl.en.toml` adds to the `train.` section: a feature's part kept in a file of its own
        section = section_file.name.removesuffix(f".{lang}.toml").partition("+")[0]
        out.update(_flatten(tomllib.loads(section_file.read_text(encoding="utf-8")), f"{section}."))
    if lang == DEFAULT:
        from zoo.demos.messages import MESSAGES

        out.update({f"input.{key}": text for key, text in MESSAGES.items()})
    return _with_limits(out)


class _LimitsOnly(dict):
    """Fills limit placeholders and leaves every other `{name}` for `Translator` to fill."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def _with_limits(table: dict[str, str]) -> dict[str, str]:
    from zoo.demos.inputs import stated_limits

    limits = _LimitsOnly(stated_limits())
    return {key: text.format_map(limits) if "{" in text else text for key, text in table.items()}


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
