"""Try-it view of the `imagenet` demo: a photo (uploaded, from the camera or a sample) → top-5 classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos import imagenet as logic

from ..i18n import Translator
from ..safe import report_error
from .digits import source_radio, upload_or_camera

SOURCES = ("sample", "upload", "camera")


@st.cache_data(show_spinner=False, max_entries=64)
def _predict(image: bytes | np.ndarray) -> logic.TopK:
    return logic.run(image)


@st.cache_data(show_spinner=False)
def _sample(name: str) -> np.ndarray:
    return logic.sample(name)


def _input(source: str, t: Translator) -> bytes | np.ndarray | None:
    if source in ("upload", "camera"):
        return upload_or_camera("imagenet", source, t)
    name = st.selectbox(t("demo.imagenet.sample"), logic.SAMPLES, key="imagenet_sample",
                        format_func=lambda s: t(f"demo.imagenet.sample_{s}"))
    return _sample(name)


def render(demo: Demo, key: str, t: Translator) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        image = _input(source_radio("imagenet", SOURCES, t), t)
    if image is None:
        return
    with right:
        try:
            with st.spinner(t("demo.imagenet.running")):
                r = _predict(image)
        except BadInput as e:
            st.error(report_error(t, e))
            return
        st.markdown(t("demo.imagenet.top1", label=r.labels[0], pct=f"{r.probs[0]:.0%}"))
        table = pd.DataFrame({t("demo.imagenet.label"): r.labels, t("demo.imagenet.probability"): r.probs})
        st.dataframe(table, hide_index=True, width="stretch", column_config={
            t("demo.imagenet.probability"): st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)})
        st.caption(t("demo.imagenet.note"))
    with left:
        if isinstance(image, bytes):  # the decoded picture: also shows how EXIF rotation was applied
            image = logic.as_rgb(image)
        st.image(image, width=320)
