"""Digit generation: train the VAE live and explore its latent space; sample the shipped DCGAN."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos import digit_generation as dg
from zoo.demos.inputs import MAX_SEED

from ..heavy import heavy_job
from ..i18n import Translator
from ..safe import report_error

RUN = "digit_generation_vae_run"  # session-state slot of this visitor's trained VAE


def _show(images: np.ndarray, cols: int, scale: int, caption: str | None = None) -> None:
    st.image(dg.tile(images, cols, scale=scale, gap=scale), clamp=True)
    if caption:
        st.caption(caption)


def render(demo: Demo, key: str, t: Translator) -> None:
    try:
        if key == "vae":
            _vae(t)
        else:
            _dcgan(t)
    except BadInput as e:
        st.error(report_error(t, e))


# ----------------------------------------------------------------------------- DCGAN
def _next_seed() -> None:
    st.session_state.digit_generation_seed = int(st.session_state.get("digit_generation_seed", 0)) + 1


def _dcgan(t: Translator) -> None:
    from zoo import weights as zoo_weights

    weights = zoo_weights.get("dcgan_generator")
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    # No default value: the seed lives in session state, where "Sample new digits" advances it.
    seed = c1.number_input(t("demo.digit_generation.seed"), 0, MAX_SEED, key="digit_generation_seed")
    n = c2.slider(t("demo.digit_generation.count"), 8, dg.MAX_SAMPLES, 32, step=8, key="digit_generation_count")
    c3.button(t("demo.digit_generation.sample"), type="primary", key="digit_generation_sample", on_click=_next_seed)
    samples = dg.generate("dcgan_generator", int(seed), int(n))
    _show(samples.images, cols=8, scale=5, caption=t("demo.digit_generation.dcgan_caption", seed=samples.seed))
    m = weights.metrics
    st.caption(
        t(
            "demo.digit_generation.dcgan_quality",
            covered=int(m["classes covered of 10"]),
            confidence=f"{m['judge confidence %']:.0f}",
            real=f"{m['judge confidence on real held-out digits %']:.0f}",
            noise=f"{m['judge confidence on noise %']:.0f}",
        )
    )


# ----------------------------------------------------------------------------- VAE
def _vae(t: Translator) -> None:
    c1, c2, c3 = st.columns(3)
    epochs = c1.slider(t("demo.digit_generation.epochs"), 1, dg.MAX_EPOCHS, 10, key="digit_generation_epochs")
    latent = c2.segmented_control(
        t("demo.digit_generation.latent"),
        list(dg.LATENT_DIMS),
        default=20,
        required=True,
        key="digit_generation_latent",
        help=t("demo.digit_generation.latent_help"),
    )
    seed = c3.number_input(t("demo.digit_generation.train_seed"), 0, 10_000, 0, key="digit_generation_train_seed")
    if st.button(t("demo.digit_generation.train"), type="primary", key="digit_generation_train_vae"):
        bar = st.progress(0.0, text=t("demo.digit_generation.training"))

        def progress(epoch: int, total: int, loss: float) -> None:
            bar.progress(
                epoch / total, text=t("demo.digit_generation.progress", epoch=epoch, total=total, loss=f"{loss:.1f}")
            )

        with heavy_job(t):
            st.session_state[RUN] = dg.train(int(epochs), int(latent), int(seed), progress=progress)
        bar.empty()
    run = st.session_state.get(RUN)
    if run is None:
        st.info(t("demo.digit_generation.train_first"))
        return
    vae = run.model
    m1, m2, m3 = st.columns(3)
    m1.metric(
        t("demo.digit_generation.elbo_after"), f"{-run.heldout_after:.1f}", help=t("demo.digit_generation.elbo_help")
    )
    m2.metric(t("demo.digit_generation.elbo_before"), f"{-run.heldout_before:.1f}")
    m3.metric(t("demo.digit_generation.trained_in"), f"{run.seconds:.1f} s")
    losses = pd.DataFrame({"epoch": range(1, len(run.losses) + 1), "loss": run.losses})
    st.caption(t("demo.digit_generation.loss"))
    st.altair_chart(
        alt.Chart(losses, height=180)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", title=t("demo.digit_generation.epoch"), axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("loss:Q", title=None, scale=alt.Scale(zero=False)),  # the fall matters, not the distance to 0
        ),
        width="stretch",
    )

    st.markdown(f"**{t('demo.digit_generation.samples')}**")
    c1, c2 = st.columns([1, 3])
    seed = c1.number_input(t("demo.digit_generation.seed"), 0, MAX_SEED, 0, key="digit_generation_vae_seed")
    with c2:
        _show(dg.generate("vae", int(seed), 16, vae=vae).images, cols=8, scale=3)

    st.markdown(f"**{t('demo.digit_generation.explore')}**")
    dims = dg.active_dims(vae, k=min(4, vae.cfg.latent))
    st.caption(t("demo.digit_generation.explore_help", k=len(dims), latent=vae.cfg.latent))
    left, right = st.columns([2, 1])
    z = np.zeros(vae.cfg.latent, dtype=np.float32)
    with left:
        for d in dims:
            z[d] = st.slider(f"z{d}", -3.0, 3.0, 0.0, 0.1, key=f"digit_generation_z{d}")
    with right:
        _show(dg.decode(vae, z[None]), cols=1, scale=6)
    if vae.cfg.latent == 2:
        st.markdown(f"**{t('demo.digit_generation.plane')}**")
        _show(dg.manifold(vae, 10), cols=10, scale=2, caption=t("demo.digit_generation.plane_caption"))

    st.markdown(f"**{t('demo.digit_generation.interpolate')}**")
    c1, c2, c3 = st.columns(3)
    start = c1.selectbox(t("demo.digit_generation.from"), range(10), index=3, key="digit_generation_from")
    end = c2.selectbox(t("demo.digit_generation.to"), range(10), index=8, key="digit_generation_to")
    steps = c3.slider(t("demo.digit_generation.steps"), 2, dg.MAX_STEPS, 8, key="digit_generation_steps")
    strip = dg.interpolate(vae, start, end, steps)
    _show(strip, cols=len(strip), scale=3, caption=t("demo.digit_generation.interpolate_caption", start=start, end=end))
