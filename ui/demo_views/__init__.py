"""Streamlit views of demos: `ui/demo_views/<demo name>.py` defines `render(demo, key, t)`.

A demo served by a Gradio widget (`demo.gradio`) and without a Streamlit view is embedded from
/gradio/<name>/ on the same port.
"""

from __future__ import annotations

import importlib

import streamlit as st

from zoo.demos import Demo

from ..i18n import Translator


def render_demo(demo: Demo, key: str, t: Translator) -> None:
    st.subheader(demo.text("title", t.lang))
    st.caption(demo.text("description", t.lang))
    try:
        view = importlib.import_module(f"{__name__}.{demo.name}")
    except ModuleNotFoundError:
        view = None
    if view is not None:
        view.render(demo, key, t)
    elif demo.gradio:
        st.iframe(f"/gradio/{demo.name}/?lang={t.lang}&model={key}", height=720)
    else:
        st.info(t("model.no_demos_yet"))
