"""Gradio widgets of demos: `ui/gradio_demos/<demo name>.py` defines `build() -> gr.Blocks`.

Labels use `i18n(key)` (a gr.I18n over the app's locale files), so a Chinese browser sees Chinese.
"""

from __future__ import annotations

import importlib
import logging

import gradio as gr

from zoo.demos import all_demos

from ..i18n import languages, strings


def i18n() -> gr.I18n:
    return gr.I18n(**{lang: strings(lang) for lang in languages()})


def blocks() -> dict[str, gr.Blocks]:
    """Every Gradio demo's widget. One widget failing to build is logged and skipped: the rest of
    the product still serves."""
    out = {}
    for demo in all_demos():
        if demo.gradio:
            try:
                out[demo.name] = importlib.import_module(f"{__name__}.{demo.name}").build()
            except Exception:  # noqa: BLE001
                logging.getLogger(__name__).exception("Gradio widget %r failed to build; not mounted", demo.name)
    return out
