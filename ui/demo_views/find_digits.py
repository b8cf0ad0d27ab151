"""Try-it view of the `find_digits` demo: draw, upload, photograph or pick a scene; see every digit boxed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos import find_digits as logic

from ..common import canvas_clear_button, canvas_key
from ..i18n import Translator
from ..safe import report_error
from .digits import source_radio, upload_or_camera

SOURCES = ("sample", "draw", "upload", "camera")
CANVAS = (448, 224)  # px, width × height: room for a row of digits


@st.cache_data(show_spinner=False, max_entries=64)
def _find(image: bytes | np.ndarray, threshold: float) -> logic.FindResult:
    return logic.run(image, score_threshold=threshold)


def _canvas(t: Translator) -> np.ndarray | None:
    st.space("small")  # room for the canvas' toolbar, which floats above it
    try:
        from streamlit_drawable_canvas import st_canvas

        drawn = st_canvas(
            stroke_width=14, stroke_color="#FFFFFF", background_color="#000000",
            width=CANVAS[0], height=CANVAS[1], drawing_mode="freedraw", return_image_data=True, key=canvas_key("find_digits_canvas"),
        )
    except Exception:  # noqa: BLE001 — the component is optional: fall back to the other inputs
        st.warning(t("demo.find_digits.canvas_unavailable"))
        return None
    canvas_clear_button("find_digits_canvas", t)
    if not drawn or not (drawn.json_data or {}).get("objects"):
        st.caption(t("demo.find_digits.draw_hint"))
        return None
    return drawn.image_data


def _input(source: str, t: Translator) -> bytes | np.ndarray | None:
    if source == "draw":
        return _canvas(t)
    if source in ("upload", "camera"):
        return upload_or_camera("find_digits", source, t)
    scenes = logic.samples()
    if not scenes:
        st.info(t("demo.find_digits.no_samples"))
        return None
    names = list(scenes)
    name = st.selectbox(t("demo.find_digits.sample"), names, key="find_digits_sample",
                        format_func=lambda s: t("demo.find_digits.sample_n", n=names.index(s) + 1))
    return scenes[name].read_bytes()


def render(demo: Demo, key: str, t: Translator) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        image = _input(source_radio("find_digits", SOURCES, t), t)
        threshold = st.slider(t("demo.find_digits.threshold"), min_value=logic.MIN_SCORE, max_value=1.0,
                              value=logic.DEFAULT_SCORE, step=0.05, key="find_digits_threshold",
                              help=t("demo.find_digits.threshold_help"))
        st.caption(t("demo.find_digits.tip"))
    if image is None:
        return
    with right:
        try:
            r = _find(image, float(threshold))
        except BadInput as e:
            st.error(report_error(t, e))
            return
        st.image(r.annotated, caption=t("demo.find_digits.annotated"), output_format="PNG", width="stretch")
        if not r.detections:
            st.info(t("demo.find_digits.blank" if r.blank else "demo.find_digits.none_found"))
            return
        st.metric(t("demo.find_digits.found"), str(len(r.detections)))
        table = pd.DataFrame({
            t("demo.find_digits.digit"): [str(d.label) for d in r.detections],
            t("demo.find_digits.score"): [d.score for d in r.detections],
            t("demo.find_digits.box"): [", ".join(f"{v:.0f}" for v in d.box) for d in r.detections],
        })
        st.dataframe(table, hide_index=True, width="stretch", key="find_digits_table", column_config={
            t("demo.find_digits.score"): st.column_config.ProgressColumn(format="%.2f", min_value=0.0, max_value=1.0)})
        with st.expander(t("demo.find_digits.model_sees")):
            st.image((np.kron(r.model_input, np.ones((2, 2))) * 255).astype(np.uint8), output_format="PNG")
