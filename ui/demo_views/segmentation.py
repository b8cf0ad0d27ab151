"""Try-it view of the `segmentation` demo: draw, upload, photograph or pick a scene; see U-Net's mask."""

from __future__ import annotations

import numpy as np
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos import segmentation as logic

from ..common import canvas_clear_button, canvas_key
from ..i18n import Translator
from ..safe import report_error
from .digits import source_radio, upload_or_camera

SOURCES = ("sample", "draw", "upload", "camera")
CANVAS = 288  # px; the model sees it at 96 px (zoo.demos.segmentation.WORK_SIDE): a 14-px pen becomes a ~5-px stroke
# Probability colour ramp, dark blue (0) → teal → yellow (1): readable without a colour legend's help.
_RAMP = np.array([[20, 30, 90], [30, 150, 150], [250, 230, 60]], dtype=np.float32)


@st.cache_data(show_spinner=False, max_entries=64)
def _segment(image: bytes | np.ndarray) -> logic.SegmentationResult:
    return logic.run(image)


def colour_probability(p: np.ndarray) -> np.ndarray:
    """(H, W) probabilities in [0, 1] → (H, W, 3) uint8 on the ramp above."""
    x = np.clip(p, 0, 1)[..., None] * (len(_RAMP) - 1)
    low = np.minimum(np.floor(x).astype(int), len(_RAMP) - 2)
    frac = x - low
    return (_RAMP[low[..., 0]] * (1 - frac) + _RAMP[low[..., 0] + 1] * frac).round().astype(np.uint8)


def _canvas(t: Translator) -> np.ndarray | None:
    st.space("small")  # room for the canvas' toolbar, which floats above it
    try:
        from streamlit_drawable_canvas import st_canvas

        colour = st.color_picker(t("demo.segmentation.pen_colour"), "#1F3A93", key="segmentation_pen")
        drawn = st_canvas(
            stroke_width=14, stroke_color=colour, background_color="#FFFFFF",  # transparent where nothing is drawn → white
            width=CANVAS, height=CANVAS, drawing_mode="freedraw", return_image_data=True, key=canvas_key("segmentation_canvas"),
        )
    except Exception:  # noqa: BLE001 — the component is optional: fall back to the other inputs
        st.warning(t("demo.segmentation.canvas_unavailable"))
        return None
    canvas_clear_button("segmentation_canvas", t)
    if not drawn or not (drawn.json_data or {}).get("objects"):
        st.caption(t("demo.segmentation.draw_hint"))
        return None
    return drawn.image_data


def _input(source: str, t: Translator) -> tuple[bytes | np.ndarray | None, str | None]:
    """The picture, and the sample's name when it is a generated scene (its true mask is known)."""
    if source == "draw":
        return _canvas(t), None
    if source in ("upload", "camera"):
        return upload_or_camera("segmentation", source, t), None
    scenes = logic.samples()
    if not scenes:
        st.warning(t("demo.segmentation.no_samples"))
        return None, None
    name = st.selectbox(t("demo.segmentation.sample"), list(scenes), key="segmentation_sample",
                        format_func=lambda s: t("demo.segmentation.sample_n", n=s.removeprefix("scene_")))
    return scenes[name].read_bytes(), name


def render(demo: Demo, key: str, t: Translator) -> None:
    left, right = st.columns(2, gap="large")
    with left:
        image, sample = _input(source_radio("segmentation", SOURCES, t), t)
        st.caption(t("demo.segmentation.tip"))
    if image is None:
        return
    with right:
        try:
            with st.spinner(t("demo.segmentation.running")):
                r = _segment(image)
        except BadInput as e:
            st.error(report_error(t, e))
            return
        st.image(r.overlay, caption=t("demo.segmentation.overlay_caption"), width=320, output_format="PNG")
        st.metric(t("demo.segmentation.object_share"), f"{r.object_fraction:.0%}")
        if sample is not None:
            truth = logic.sample_mask(sample)
            if truth.shape == r.mask.shape:
                st.metric(t("demo.segmentation.iou"), f"{logic.iou(r.mask, truth):.2f}", help=t("demo.segmentation.iou_help"))
    with left:
        st.image(colour_probability(r.probability), width=320, output_format="PNG",
                 caption=t("demo.segmentation.probability_caption", h=r.model_side[0], w=r.model_side[1]))
