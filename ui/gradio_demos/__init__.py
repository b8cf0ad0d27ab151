"""Gradio widgets of demos: `ui/gradio_demos/<demo name>.py` defines `build() -> gr.Blocks`.

Labels use `i18n(key)` (a gr.I18n over the app's locale files), so a Chinese browser sees Chinese.
"""

from __future__ import annotations

import importlib

import gradio as gr

from zoo.demos import all_demos

from ..i18n import languages, strings


def i18n() -> gr.I18n:
    return gr.I18n(**{lang: strings(lang) for lang in languages()})


def blocks() -> dict[str, gr.Blocks]:
    out = {}
    for demo in all_demos():
        if demo.gradio:
            out[demo.name] = importlib.import_module(f"{__name__}.{demo.name}").build()
    return out
