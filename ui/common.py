"""Helpers every Streamlit page shares: language, links that keep it, the look, introspection artifacts."""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

import streamlit as st

import zoo
from zoo.catalog import human_count

from .i18n import DEFAULT, Translator, languages
from .safe import report_error

MODEL_PAGE = "pages/model.py"
LEVEL_COLOURS = {"basic": "green", "intermediate": "orange", "advanced": "red"}


def language_picker() -> str:
    """Sidebar language picker, shared by every page. A link with ?lang=zh opens in that language, and the URL
    keeps naming the language after every page change, so a copied link opens as it was seen."""
    langs = languages()
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang", DEFAULT)
        st.session_state.lang = wanted if wanted in langs else DEFAULT

    def _remember() -> None:
        st.query_params["lang"] = st.session_state.lang

    st.sidebar.selectbox(
        Translator(st.session_state.lang)("language.label"),
        list(langs),
        format_func=langs.get,
        key="lang",
        on_change=_remember,
    )
    if st.query_params.get("lang") != st.session_state.lang:
        st.query_params["lang"] = st.session_state.lang
    return st.session_state.lang


def translator() -> Translator:
    return Translator(st.session_state.get("lang", DEFAULT))


def domain_label(t: Translator, domain: str) -> str:
    return t(f"domain.{domain}")


def with_lang(query: dict[str, str] | None = None) -> dict[str, str]:
    """Query parameters of an internal link, with the visitor's language added."""
    return {**(query or {}), "lang": st.session_state.get("lang", DEFAULT)}


def page_link(page: str, label: str, query: dict[str, str] | None = None, **kwargs) -> None:
    """`st.page_link` to one of our pages that keeps the language."""
    st.page_link(page, label=label, query_params=with_lang(query), **kwargs)


def page_link_or_href(page: str, path: str, label: str, query: dict[str, str] | None = None, **kwargs) -> None:
    """A link to a page another feature adds (e.g. the compare page): an in-app link once that page is in the
    navigation, a plain link to its URL until then."""
    from streamlit.errors import StreamlitAPIException

    try:
        page_link(page, label, query, **kwargs)
    except StreamlitAPIException:
        st.markdown(f"[{label}]({href(path, query)})")


def model_link(key: str, label: str, tab: str | None = None, **kwargs) -> None:
    """A link to a model's page (on `tab`, e.g. "try"), in the visitor's language."""
    page_link(MODEL_PAGE, label, {"model": key, **({"tab": tab} if tab else {})}, **kwargs)


def href(path: str, query: dict[str, str] | None = None) -> str:
    """A relative URL to another page (e.g. the compare page) for Markdown links, keeping the language."""
    from urllib.parse import urlencode

    return f"{path}?{urlencode(with_lang(query))}"


def level_badge(t: Translator, level: str) -> None:
    st.badge(t(f"level.{level}"), color=LEVEL_COLOURS[level])


def metric_label(t: Translator, card) -> str:
    """A card's published metric name, in the visitor's language where the locale translates it."""
    key = f"cards.{card.key}.metric_name"
    text = t(key)
    return card.metric.name if text == key else text


def metric_dataset(t: Translator, card) -> str:
    key = f"cards.{card.key}.metric_dataset"
    text = t(key)
    return card.metric.dataset if text == key else text


def config_note(t: Translator, card, localized) -> str:
    """A card's config note in the visitor's language: the card's own translation, else the locale's."""
    if localized.config_note != card.config_note or t.lang == DEFAULT:
        return localized.config_note
    key = f"cards.{card.key}.config_note"
    text = t(key)
    return card.config_note if text == key else text


def metric_value(card) -> str:
    m = card.metric
    return f"{m.value:g}{'' if m.unit == '%' else ' '}{m.unit}"


def canvas_key(name: str) -> str:
    """The key of a drawing canvas that `canvas_clear_button` can empty: a new key is a new, blank canvas."""
    return f"{name}_{st.session_state.get(f'{name}_clears', 0)}"


def canvas_clear_button(name: str, t: Translator) -> None:
    """A plain, always visible button that empties the canvas: the canvas's own toolbar shows only on hover,
    which a touch screen does not have, and its buttons are 22 px."""

    def _clear() -> None:
        st.session_state[f"{name}_clears"] = st.session_state.get(f"{name}_clears", 0) + 1

    st.button(t("canvas.clear"), key=f"{name}_clear", icon=":material/ink_eraser:", on_click=_clear)


@contextlib.contextmanager
def guarded(t: Translator) -> Iterator[None]:
    """Show a clear, translated message instead of a traceback if one view of a page fails; the error is
    logged once, with its traceback, on the server (`safe.report_error`), and its text is never shown."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 — one broken view must not take the page down
        st.error(report_error(t, e))


# ----------------------------------------------------------------------------- the look
# Streamlit's theme cannot set these; every page gets them once, from ui.navigation.
# - captions: the theme draws them in textColor at 60% opacity (#797f7c, 4.08:1 on white); #4f5a54, opaque, is 7.0:1
# - a visible focus ring on anything that takes the keyboard, not only a faint tint
# - touch screens: buttons and the canvas's own toolbar tall enough to hit with a finger (44 px)
# - narrow screens: metrics compact, and no clipped link or label
STYLE = """
<style>
[data-testid="stCaptionContainer"], .stMarkdown small { color: #4f5a54 !important; opacity: 1 !important; }
a:focus-visible, button:focus-visible, [role="tab"]:focus-visible, [tabindex]:focus-visible, input:focus-visible,
summary:focus-visible, [data-baseweb="select"]:focus-within {
  outline: 3px solid #1d5c40 !important; outline-offset: 2px !important; border-radius: 4px;
}
[data-testid="stPageLink"] a, [data-testid="stPageLink"] a * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important; overflow-wrap: anywhere;
}
/* card grids (gallery families, home picks): as many ~280 px cards in a row as fit, in reading order */
[class*="st-key-cardgrid_"] { display: grid !important; grid-template-columns: repeat(auto-fill, minmax(min(280px, 100%), 1fr)); }
[class*="st-key-cardgrid_"] > * { width: auto !important; min-width: 0; }
/* variant chips */
[class*="st-key-chips_"] [data-testid="stPageLink"] a { border: 1px solid #b7c7be; border-radius: 999px; padding: 0 0.7rem; }
.dz-sr-only { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  clip-path: inset(50%); white-space: nowrap; margin: 0 !important; padding: 0 !important; }
.stElementContainer:has(> .stHtml > .dz-sr-only:only-child) { position: absolute; }
/* code highlighting: the theme's token colours fall to 2.5–4:1 on the code background; these are all ≥ 6:1 */
[data-testid="stCode"] .token.keyword, [data-testid="stCode"] .token.boolean { color: #7a1f6b !important; }
[data-testid="stCode"] .token.string, [data-testid="stCode"] .token.char { color: #1b5e20 !important; }
[data-testid="stCode"] .token.number, [data-testid="stCode"] .token.constant { color: #8a3a00 !important; }
[data-testid="stCode"] .token.function, [data-testid="stCode"] .token.class-name { color: #1c3f94 !important; }
[data-testid="stCode"] .token.comment, [data-testid="stCode"] .linenumber { color: #4f5a54 !important; opacity: 1 !important; }
[data-testid="stCode"] .token.parameter, [data-testid="stCode"] .token.variable, [data-testid="stCode"] .token.builtin,
[data-testid="stCode"] .token.decorator, [data-testid="stCode"] .token.operator { color: #5a3200 !important; }
/* the invisible helpers (this style sheet, ui.browser's components) take no room in the layout */
.stElementContainer:has(> .stHtml > style:only-child), .st-key-page_language, [class*="st-key-stored_"] { display: none; }
[data-testid="stPageLink"] a:focus-visible { background: #e3efe8; }
@media (pointer: coarse) {
  .stButton button, [data-testid="stPageLink"] a, [data-testid="stBaseButton-secondary"], [data-testid="stBaseButton-pills"] {
    min-height: 44px;
  }
}
@media (max-width: 640px) {
  h1 { font-size: 2rem !important; }
  h2 { font-size: 1.5rem !important; }
  h3 { font-size: 1.25rem !important; }
}
@media (max-width: 900px) {
  [data-testid="stMetricValue"] { font-size: 1.35rem !important; }
  [data-testid="stMetric"] { padding: 0 !important; }
  [data-testid="stMetricLabel"] p { white-space: normal !important; overflow: visible !important; }
}
</style>
"""


def apply_style() -> None:
    st.html(STYLE)


def hidden_heading(text: str, level: int = 2) -> None:
    """A heading only assistive technology sees, to keep heading levels in order where the page shows the same
    words another way (a tab's label)."""
    import html

    st.html(f'<h{level} class="dz-sr-only">{html.escape(text)}</h{level}>')


# ----------------------------------------------------------------------------- introspection artifacts
# Graphs, layer rows and counts come from one artifact per model (zoo.introspect): read from disk, or
# built by a child process on a first visit. Nothing is traced inside this server.


def artifact_ready(key: str) -> bool:
    from zoo import introspect

    return introspect.is_ready(key)


def model_artifact(key: str) -> dict:
    """The model's introspection artifact (dict). Raises IntrospectionError if the model could not be
    inspected (the reason is stored in the artifact and shown on the page)."""
    from zoo import introspect

    data = introspect.artifact(key)
    if "error" in data:
        logging.getLogger("deepzoo").warning("model %r could not be inspected: %s", key, data["error"])
        raise IntrospectionError(data["error"])
    return data


class IntrospectionError(RuntimeError):
    pass


@st.cache_data(show_spinner=False)
def source(key: str) -> dict:
    from zoo import introspect

    s = introspect.source(key)
    return {"path": s.path, "text": s.text, "line": s.factory_line, "lines": s.lines}


def params_text(t: Translator, key: str) -> str:
    c = zoo.card(key)
    return t("gallery.params", n=("≈" if c.params.approx else "") + human_count(c.params.value))
