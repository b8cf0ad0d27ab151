"""Try-it view of the `digits` demo: draw, upload, photograph or pick a digit; see LeNet-5 read it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos import digits as logic
from zoo.demos.inputs import MAX_IMAGE_BYTES

from ..common import canvas_clear_button, canvas_key
from ..i18n import Translator
from ..safe import report_error

SOURCES = ("draw", "upload", "camera", "sample")
IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff"]
MAX_UPLOAD_MB = MAX_IMAGE_BYTES // 2**20
CANVAS = 280  # px; strokes of 18 px are a marker's width at this size


@st.cache_data(show_spinner=False, max_entries=64)
def _predict(image: bytes | np.ndarray, layer: str) -> logic.DigitResult:
    return logic.run(image, layer=layer)


def _canvas(t: Translator) -> np.ndarray | None:
    st.space("small")  # room for the canvas' toolbar, which floats above it
    try:
        from streamlit_drawable_canvas import st_canvas

        drawn = st_canvas(
            stroke_width=18, stroke_color="#FFFFFF", background_color="#000000",  # light on dark, like the training digits
            width=CANVAS, height=CANVAS, drawing_mode="freedraw", return_image_data=True, key=canvas_key("digits_canvas"),
        )
    except Exception:  # noqa: BLE001 — the component is optional: fall back to the other inputs
        st.warning(t("demo.digits.canvas_unavailable"))
        return None
    canvas_clear_button("digits_canvas", t)
    if not drawn or not (drawn.json_data or {}).get("objects"):
        st.caption(t("demo.digits.draw_hint"))
        return None
    return drawn.image_data


def source_radio(demo: str, sources: tuple[str, ...], t: Translator) -> str:
    """Where the picture comes from; labels are `demo.<demo>.source_<source>`."""
    return st.radio(t(f"demo.{demo}.source"), sources, horizontal=True, key=f"{demo}_source",
                    format_func=lambda s: t(f"demo.{demo}.source_{s}"))


def upload_or_camera(demo: str, source: str, t: Translator) -> bytes | None:
    """The bytes of an uploaded picture ("upload") or of a camera shot; None until there is one.
    The upload label `demo.<demo>.upload` states the limits (placeholders filled by `ui.i18n`)."""
    if source == "upload":
        f = st.file_uploader(t(f"demo.{demo}.upload"), type=IMAGE_TYPES, key=f"{demo}_upload",
                             max_upload_size=MAX_UPLOAD_MB)
    else:
        f = st.camera_input(t(f"demo.{demo}.camera"), key=f"{demo}_camera")
    return f.getvalue() if f else None


def _input(source: str, t: Translator) -> bytes | np.ndarray | None:
    if source == "draw":
        return _canvas(t)
    if source in ("upload", "camera"):
        return upload_or_camera("digits", source, t)
    pictures = logic.samples()
    digit = st.selectbox(t("demo.digits.sample"), list(pictures), key="digits_sample",
                         format_func=lambda d: t("demo.digits.sample_n", n=d))
    data = pictures[digit].read_bytes()
    st.image(data, width=128)
    return data


def render(demo: Demo, key: str, t: Translator) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        image = _input(source_radio("digits", SOURCES, t), t)
        st.caption(t("demo.digits.tip"))
    if image is None:
        return
    sees, maps = st.columns([1, 3], gap="large")
    with maps:
        layer = st.radio(t("demo.digits.layer"), logic.LAYERS, horizontal=True, key="digits_layer",
                         format_func=lambda name: t(f"demo.digits.layer_{name}"))
    with right:
        try:
            r = _predict(image, layer)
        except BadInput as e:
            st.error(report_error(t, e))
            return
        st.metric(t("demo.digits.prediction"), str(r.digit),
                  delta=t("demo.digits.confidence", pct=f"{r.probs[r.digit]:.0%}"), delta_color="off", delta_arrow="off")
        probs = pd.DataFrame({t("demo.digits.digit"): [str(d) for d in range(10)], t("demo.digits.probability"): r.probs})
        st.bar_chart(probs, x=t("demo.digits.digit"), y=t("demo.digits.probability"), sort=False, height=220)
    with sees:
        st.image(np.kron((r.model_input * 255).astype(np.uint8), np.ones((5, 5), np.uint8)),
                 caption=t("demo.digits.model_sees"), output_format="PNG")
    with maps:
        side = r.feature_maps.shape[-1]
        st.image(logic.tile(r.feature_maps, cols=8, scale=max(1, 84 // side)), output_format="PNG",
                 caption=t("demo.digits.maps_caption", layer=t(f"demo.digits.layer_{layer}")))
