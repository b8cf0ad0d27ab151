"""Gradio widgets of demos: `ui/gradio_demos/<demo name>.py` defines `build() -> gr.Blocks`.

Labels use `i18n(key)` (a gr.I18n over the app's locale files). The language is the app's, not the browser's:
the page that embeds a widget passes `?lang=`, and `page_script()` (put at the top of every widget page by
ui/server.py) makes Gradio's own locale choice, which it takes from `navigator.language`, see that language,
so its built-in texts (upload hints, "Clear", "Examples") follow too; server-side messages read the same
`lang` (`page_language`). The look is the app's: `theme()` is built from .streamlit/config.toml.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import tomllib
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

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


def page_language(request: gr.Request | None) -> Translator:
    """The language of the page the widget was opened from: its `?lang=` (the app passes its own), else the
    browser's first preferred language (a widget opened on its own), else English."""
    if request is None:
        return Translator()
    wanted = _lang_in(str(getattr(request, "url", "") or "")) or _lang_in(request.headers.get("referer", "") or "")
    if wanted in languages():
        return Translator(wanted)
    header = request.headers.get("accept-language", "") or ""
    first = header.split(",")[0].split(";")[0].strip().lower()
    return Translator(next((code for code in languages() if first.startswith(code)), "en"))


def _lang_in(url: str) -> str | None:
    return (parse_qs(urlsplit(url).query).get("lang") or [None])[0]


def user_error(request: gr.Request | None, e: Exception) -> gr.Error:
    """What a handler raises when it fails: a gr.Error in the page's language, escaped as HTML (Gradio
    renders error messages as HTML), logged once on the server by `report_error`. Gradio prints no
    traceback of its own for it (`print_exception=False`), and never shows the exception's text."""
    if isinstance(e, gr.Error):
        return e
    return gr.Error(report_error(page_language(request), e, escape=html), print_exception=False)


@contextlib.contextmanager
def heavy_job(request: gr.Request | None, progress: gr.Progress | None = None) -> Iterator[None]:
    """Run the block as one of the server's heavy jobs (`zoo.runtime.heavy_job`, shared with the Streamlit
    demos). Gradio's own queue, limited to as many calls per widget, shows a waiting user their place; this
    covers the rarer wait for work started elsewhere in the app, shown in the output's progress text."""
    t = page_language(request)

    def waiting(position: int) -> None:
        if progress is not None:
            progress(0.0, desc=t("demos.busy_short", position=position))

    with runtime.heavy_job(waiting):
        yield


def blocks(failed: dict[str, str] | None = None) -> dict[str, gr.Blocks]:
    """Every Gradio demo's widget. One widget failing to build is logged and skipped: the rest of the product
    still serves, and `failed` (if given) receives {name: reason}, which /healthz reports."""
    from ..gradio_patches import write_images_atomically

    write_images_atomically()  # several people at once get the same output image: see ui/gradio_patches.py
    out = {}
    for demo in all_demos():
        if demo.gradio:
            try:
                widget = importlib.import_module(f"{__name__}.{demo.name}").build()
                # as many calls at once as heavy jobs may run; Gradio's queue shows the others their place
                out[demo.name] = widget.queue(default_concurrency_limit=runtime.heavy_jobs())
            except Exception as e:  # noqa: BLE001
                logging.getLogger(__name__).exception("Gradio widget %r failed to build; not mounted", demo.name)
                if failed is not None:
                    failed[demo.name] = f"{type(e).__name__}: {e}"
    return out


# ----------------------------------------------------------------------------- the app's look and language

STREAMLIT_CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"
# Gradio's built-in texts are keyed by BCP 47 tags; its Simplified Chinese is zh-CN (the app's "zh")
GRADIO_LOCALE = {"zh": "zh-CN"}
# What a widget shows only when opened on its own: on a DeepZoo page, the page already shows that title and text
STANDALONE = "dz-standalone"


def _mix(hex_colour: str, other: tuple[int, int, int], amount: float) -> str:
    rgb = [int(hex_colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4)]
    return "#" + "".join(f"{round(c + (o - c) * amount):02x}" for c, o in zip(rgb, other))


def _hue(primary: str) -> gr.themes.Color:
    """A Gradio colour scale (50…950) whose 500, the shade Gradio's default theme paints with, is the app's
    primary colour; lighter and darker steps are mixed with white and black."""
    white, black = (255, 255, 255), (0, 0, 0)
    tints = {50: 0.92, 100: 0.84, 200: 0.68, 300: 0.5, 400: 0.26}
    shades = {600: 0.12, 700: 0.26, 800: 0.4, 900: 0.54, 950: 0.68}
    scale = {f"c{k}": _mix(primary, white, a) for k, a in tints.items()}
    scale |= {"c500": primary.lower()} | {f"c{k}": _mix(primary, black, a) for k, a in shades.items()}
    return gr.themes.Color(name="deepzoo", **scale)


def theme() -> gr.themes.Base:
    """Gradio's theme in the app's colours and font (.streamlit/config.toml [theme]): Streamlit's "sans serif"
    is Source Sans 3, which Gradio also ships (served from its own static files, no network)."""
    t = tomllib.loads(STREAMLIT_CONFIG.read_text(encoding="utf-8")).get("theme", {})
    primary, text = t.get("primaryColor", "#2e7d5b"), t.get("textColor", "#1f2a24")
    background, secondary = t.get("backgroundColor", "#ffffff"), t.get("secondaryBackgroundColor", "#f3f6f4")
    # Gradio ships no serif face of Streamlit's: a serif app gets the browser's serif
    font = ["serif"] if t.get("font") == "serif" else [gr.themes.LocalFont("Source Sans 3"), "sans-serif"]
    hover = _mix(primary, (0, 0, 0), 0.18)
    return gr.themes.Default(
        primary_hue=_hue(primary),
        neutral_hue=gr.themes.colors.gray,
        font=font,
        font_mono=[gr.themes.LocalFont("Source Code Pro"), "monospace"],
        text_size=gr.themes.sizes.text_lg,  # Streamlit's body text is 16 px, its labels 14 px
        radius_size=gr.themes.sizes.radius_md,
    ).set(
        block_label_text_size="*text_sm",
        block_title_text_size="*text_sm",
        block_info_text_size="*text_sm",
        button_large_text_size="*text_md",  # Streamlit's buttons: body-size text, normal weight
        button_large_text_weight="400",
        button_large_padding="*spacing_md *spacing_xl",
        body_background_fill=background,
        body_text_color=text,
        background_fill_primary=background,
        background_fill_secondary=secondary,
        block_background_fill=background,
        color_accent=primary,
        color_accent_soft=secondary,
        link_text_color=primary,
        link_text_color_hover=hover,
        button_primary_background_fill=primary,
        button_primary_background_fill_hover=hover,
        button_primary_border_color=primary,
        button_primary_text_color="#ffffff",
        slider_color=primary,
        loader_color=primary,
        checkbox_background_color_selected=primary,
        checkbox_border_color_selected=primary,
        input_border_color_focus=primary,
    )


# No outer margins inside a frame (the app's page has its own), the standalone-only parts hidden there, and table
# headers that never break inside a word ("cos / ine" in a narrow column on a phone)
CSS = f"""
html[data-dz-embedded] .{STANDALONE} {{ display: none !important; }}
html[data-dz-embedded] .gradio-container .main {{ max-width: none !important; margin: 0 !important; padding: 0 !important; }}
html[data-dz-embedded] .gradio-container {{ padding: 0 !important; }}
.gradio-container table th, .gradio-container table th * {{ word-break: keep-all !important; overflow-wrap: normal !important; }}
"""


def page_script() -> str:
    """A <script> for the very top of a widget page's <head>, before Gradio's own code runs. Gradio picks its
    locale from `navigator.language` once, at start-up; this makes that the `?lang=` of the page (when it is
    one of the app's languages) — for this page only — and marks a page shown inside a frame as embedded.
    Built from our own constants; nothing from the request goes into it."""
    tags = {code: GRADIO_LOCALE.get(code, code) for code in languages()}
    return (
        "<script>(() => {"
        f"const tags = {json.dumps(tags)};"
        "const lang = new URLSearchParams(location.search).get('lang');"
        "const tag = Object.hasOwn(tags, lang) ? tags[lang] : null;"
        "if (tag) {"
        "for (const [name, value] of [['language', tag], ['languages', Object.freeze([tag])]])"
        " Object.defineProperty(Navigator.prototype, name, {get: () => value, configurable: true});"
        "document.documentElement.lang = tag; }"
        "if (window.parent !== window) document.documentElement.dataset.dzEmbedded = '';"
        "})();</script>"
    )
