"""Helpers every Streamlit page shares: language, cached introspection, safe rendering."""

from __future__ import annotations

import contextlib
from typing import Iterator

import streamlit as st

import zoo
from zoo.catalog import human_count

from .i18n import DEFAULT, Translator, languages

MODEL_PAGE = "pages/model.py"


def language_picker() -> str:
    """Sidebar language picker, shared by every page. A link with ?lang=zh opens in that language."""
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
    return st.session_state.lang


def translator() -> Translator:
    return Translator(st.session_state.get("lang", DEFAULT))


def domain_label(t: Translator, domain: str) -> str:
    return t(f"domain.{domain}")


def model_link(key: str, label: str, **kwargs) -> None:
    st.page_link(MODEL_PAGE, label=label, query_params={"model": key}, **kwargs)


@contextlib.contextmanager
def guarded(t: Translator) -> Iterator[None]:
    """Show a clear message instead of a traceback if one view of a page fails."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 — one broken view must not take the page down
        st.error(t("model.error", error=f"{type(e).__name__}: {e}"))


# ----------------------------------------------------------------------------- cached introspection
# Strings and plain rows are cached per (key, depth) for every session; models are not kept around
# (the biggest real ones weigh ~550 MB), so a page costs one trace per view the first time only.


@st.cache_data(show_spinner=False, max_entries=512)
def graph_dot(key: str, depth: int, direction: str) -> tuple[str, int]:
    """(DOT, depth actually drawn): deep graphs of big models are drawn shallower to stay readable."""
    from zoo import introspect

    return introspect.readable_graph_dot(key, depth=depth, direction=direction)


@st.cache_data(show_spinner=False, max_entries=512)
def layer_summary(key: str, depth: int) -> dict:
    from zoo import introspect

    s = introspect.summary(key, depth=depth)
    return {
        "rows": [r.__dict__ for r in s.rows],
        "text": s.text,
        "params": s.params.__dict__,
        "macs": s.macs,
        "flops": s.flops.flops,
        "memory_mb": s.estimated_total_mb,
        "device": s.device,
    }


@st.cache_data(show_spinner=False)
def source(key: str) -> dict:
    from zoo import introspect

    s = introspect.source(key)
    return {"path": s.path, "text": s.text, "line": s.factory_line, "lines": s.lines}


@st.cache_data(show_spinner=False)
def example_shape(key: str) -> str:
    import torch

    from zoo import introspect

    with torch.device(introspect.inspection_device(key)):  # only the input, not the model
        x = zoo.entry(key).example_input()
    return _shape_text(x)


def _shape_text(x) -> str:
    if hasattr(x, "shape"):
        return "×".join(str(d) for d in x.shape)
    if isinstance(x, dict):
        return ", ".join(f"{k}: {_shape_text(v)}" for k, v in x.items())
    if isinstance(x, (list, tuple)):
        return ", ".join(_shape_text(v) for v in x)
    return type(x).__name__


def params_text(t: Translator, key: str) -> str:
    c = zoo.card(key)
    return t("gallery.params", n=("≈" if c.params.approx else "") + human_count(c.params.value))
