"""Gradio widgets of demos: `ui/gradio_demos/<demo name>.py` defines `build() -> gr.Blocks`.

Labels use `i18n(key)` (a gr.I18n over the app's locale files), so a Chinese browser sees Chinese.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from typing import Iterator

import gradio as gr

from zoo import runtime
from zoo.demos import all_demos

from ..i18n import Translator, languages, strings
from ..safe import html, report_error

# (every, older than) in seconds: each widget deletes the uploads and outputs it wrote to Gradio's cache
# (/tmp/gradio or $GRADIO_TEMP_DIR) once they are half an hour old, so the disk stays bounded on a
# long-running server; the rest goes when the server stops. Half an hour outlives any page still showing them.
DELETE_CACHE = (600, 1800)


def keep_example_files(examples: gr.Examples) -> gr.Examples:
    """Exempt an Examples' sample files from DELETE_CACHE. Gradio 6.31 copies them into its cache without
    marking them to keep, so the cleanup deleted the sample clips after half an hour and a click on a
    sample then failed (FileNotFoundError)."""
    for processed in examples.non_none_processed_examples.values():
        for value in processed:
            if isinstance(value, dict) and value.get("path"):
                examples.dataset.keep_in_cache.add(value["path"])
    return examples


def i18n() -> gr.I18n:
    return gr.I18n(**{lang: strings(lang) for lang in languages()})


def browser_language(request: gr.Request | None) -> Translator:
    """The browser's first preferred language (what gr.I18n shows), for messages built on the server."""
    header = (request.headers.get("accept-language", "") if request else "") or ""
    first = header.split(",")[0].split(";")[0].strip().lower()
    return Translator(next((code for code in languages() if first.startswith(code)), "en"))


def user_error(request: gr.Request | None, e: Exception) -> gr.Error:
    """What a handler raises when it fails: a gr.Error in the browser's language, escaped as HTML (Gradio
    renders error messages as HTML), logged once on the server by `report_error`. Gradio prints no
    traceback of its own for it (`print_exception=False`), and never shows the exception's text."""
    if isinstance(e, gr.Error):
        return e
    return gr.Error(report_error(browser_language(request), e, escape=html), print_exception=False)


@contextlib.contextmanager
def heavy_job(request: gr.Request | None, progress: gr.Progress | None = None) -> Iterator[None]:
    """Run the block as one of the server's heavy jobs (`zoo.runtime.heavy_job`, shared with the Streamlit
    demos). Gradio's own queue, limited to as many calls per widget, shows a waiting user their place; this
    covers the rarer wait for work started elsewhere in the app, shown in the output's progress text."""
    t = browser_language(request)

    def waiting(position: int) -> None:
        if progress is not None:
            progress(0.0, desc=t("demos.busy_short", position=position))

    with runtime.heavy_job(waiting):
        yield


def blocks() -> dict[str, gr.Blocks]:
    """Every Gradio demo's widget. One widget failing to build is logged and skipped: the rest of
    the product still serves."""
    from ..gradio_patches import write_images_atomically

    write_images_atomically()  # several people at once get the same output image: see ui/gradio_patches.py
    out = {}
    for demo in all_demos():
        if demo.gradio:
            try:
                widget = importlib.import_module(f"{__name__}.{demo.name}").build()
                # as many calls at once as heavy jobs may run; Gradio's queue shows the others their place
                out[demo.name] = widget.queue(default_concurrency_limit=runtime.heavy_jobs())
            except Exception:  # noqa: BLE001
                logging.getLogger(__name__).exception("Gradio widget %r failed to build; not mounted", demo.name)
    return out
