"""Helpers every Streamlit page shares: language, introspection artifacts, safe rendering."""

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
    """Show a clear, translated message instead of a traceback if one view of a page fails; the error is
    logged once, with its traceback, on the server (`safe.report_error`), and its text is never shown."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 — one broken view must not take the page down
        st.error(report_error(t, e))


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
