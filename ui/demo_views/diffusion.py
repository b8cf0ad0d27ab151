"""Diffusion you can watch: sample digits from the shipped DDPM and show the denoising steps."""

from __future__ import annotations

import numpy as np
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos import diffusion as dd
from zoo.demos.digit_generation import tile
from zoo.demos.inputs import MAX_SEED
from zoo.train.diffusion import EVAL

from ..heavy import heavy_job
from ..i18n import Translator
from ..safe import report_error

RESULT = "diffusion_result"  # session-state slot of this visitor's last samples


def render(demo: Demo, key: str, t: Translator) -> None:
    try:
        _render(t)
    except BadInput as e:
        st.error(report_error(t, e))


def _render(t: Translator) -> None:
    from zoo import weights as zoo_weights

    c1, c2, c3, c4 = st.columns([1, 2, 2, 1], vertical_alignment="bottom")
    seed = c1.number_input(t("demo.diffusion.seed"), 0, MAX_SEED, 0, key="diffusion_seed")
    n = c2.slider(t("demo.diffusion.count"), 4, dd.MAX_SAMPLES, 16, step=4, key="diffusion_count")
    steps = c3.slider(
        t("demo.diffusion.steps"), dd.MIN_STEPS, dd.MAX_STEPS, dd.DEFAULT_STEPS, key="diffusion_steps",
        help=t("demo.diffusion.steps_help"),
    )
    if c4.button(t("demo.diffusion.sample"), type="primary", key="diffusion_sample"):
        bar = st.progress(0.0, text=t("demo.diffusion.denoising", step=0, total=int(steps)))

        def progress(step: int, total: int) -> None:
            bar.progress(step / total, text=t("demo.diffusion.denoising", step=step, total=total))

        with heavy_job(t):
            st.session_state[RESULT] = dd.run(int(seed), int(n), int(steps), progress=progress)
        bar.empty()
    result = st.session_state.get(RESULT)
    if result is None:
        st.info(t("demo.diffusion.press"))
        return

    st.markdown(f"**{t('demo.diffusion.samples')}**")
    st.image(tile(dd.enlarge(result.images), cols=8, scale=3, gap=3), clamp=True)
    st.caption(t("demo.diffusion.samples_caption", n=len(result.images), seed=result.seed, steps=result.steps))

    st.markdown(f"**{t('demo.diffusion.strip')}**")
    which = st.slider(t("demo.diffusion.which"), 1, len(result.images), 1, key="diffusion_which") - 1
    strip = result.frames[:, which]  # (frames, 8, 8): noise → digit
    st.image(tile(dd.enlarge(strip), cols=len(strip), scale=2, gap=2), clamp=True)
    labels = [t("demo.diffusion.noise") if s == 0 else str(s) for s in result.frame_steps]
    st.caption(t("demo.diffusion.strip_caption", steps=" → ".join(labels)))
    guesses = result.predictions[:, which]  # (frames − 1, 8, 8): x̂_0 at the same steps
    st.image(tile(dd.enlarge(guesses), cols=len(guesses), scale=2, gap=2), clamp=True)
    st.caption(t("demo.diffusion.guess_caption"))

    m = zoo_weights.get("ddpm_unet").metrics
    st.caption(
        t(
            "demo.diffusion.quality",
            confident=f"{m['LeNet-5 confident (≥ 0.9) %']:.0f}",
            real=f"{m['LeNet-5 confident on real held-out digits %']:.0f}",
            noise=f"{m['LeNet-5 confident on noise %']:.0f}",
            covered=int(m["classes covered of 10"]),
            n=EVAL["n"],
        )
    )
    _histogram(t, result.images)


def _histogram(t: Translator, images: np.ndarray) -> None:
    """What LeNet-5 reads in this batch: one bar per digit."""
    import pandas as pd

    q = dd.quality(images)
    st.caption(t("demo.diffusion.batch_quality", confident=f"{q['confident %']:.0f}", n=len(images)))
    digit, count = t("demo.diffusion.digit"), t("demo.diffusion.count_axis")
    st.bar_chart(pd.DataFrame({digit: list(range(10)), count: q["histogram"]}).set_index(digit), height=160)
