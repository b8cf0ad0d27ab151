"""Streamlit views of demos: `ui/demo_views/<demo name>.py` defines `render(demo, key, t)`.

A demo served by a Gradio widget (`demo.gradio`) and without a Streamlit view is embedded from
/gradio/<name>/ on the same port, in a frame sized to the widget's content (`ui.widget_frame`).
"""

from __future__ import annotations

import importlib
import importlib.util

import streamlit as st

from zoo.demos import Demo

from ..i18n import Translator


def render_demo(demo: Demo, key: str, t: Translator) -> None:
    st.subheader(demo.text("title", t.lang))
    st.caption(demo.text("description", t.lang))
    name = f"{__name__}.{demo.name}"
    if importlib.util.find_spec(name) is not None:  # a view of its own (an import error inside it is a real error)
        importlib.import_module(name).render(demo, key, t)
    elif demo.gradio:
        from urllib.parse import urlencode

        from ..widget_frame import widget_frame

        # the widget takes the page's language (?lang=) and model; its frame grows to fit it (no inner scrollbar)
        query = urlencode({"lang": t.lang, "model": key})
        widget_frame(f"/gradio/{demo.name}/?{query}", key=f"widget-{demo.name}-{key}", title=demo.text("title", t.lang))
    else:
        st.info(t("model.no_demos_yet"))
