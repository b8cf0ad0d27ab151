"""KAN: pick a formula, train a fresh KAN live (or show the shipped one), see its fit and every edge's curve."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos.kan import LIVE_POINTS, LIVE_STEPS, MAX_POINTS, MAX_STEPS, SHIPPED_FORMULA, KANResult, run
from zoo.train.kan import FORMULAS

from ..heavy import heavy_job
from ..i18n import Translator
from ..safe import report_error

_RESULT = "kan_result"


@st.cache_data(show_spinner=False, max_entries=64)
def _train(formula: str, points: int, steps: int, seed: int, _progress=None) -> KANResult:
    # deterministic: the same request gives the same answer, so a repeated one is served from the cache
    return run(formula, train=True, points=points, steps=steps, seed=seed, progress=_progress)


@st.cache_data(show_spinner=False)
def _shipped() -> KANResult:
    return run(SHIPPED_FORMULA, train=False)


def _heat(axis: list[float], grid: np.ndarray, label: str) -> pd.DataFrame:
    half = (axis[1] - axis[0]) / 2
    ys, xs = np.meshgrid(axis, axis, indexing="ij")
    return pd.DataFrame(
        {
            "x": xs.ravel() - half,
            "x2": xs.ravel() + half,
            "y": ys.ravel() - half,
            "y2": ys.ravel() + half,
            "value": grid.ravel(),
            "panel": label,
        }
    )


def _surfaces(t: Translator, r: KANResult) -> tuple[alt.Chart, alt.Chart]:
    """The formula and the KAN side by side on one colour scale, and their difference on its own."""
    truth, kan = t("demo.kan.panel_truth"), t("demo.kan.panel_kan")
    both = pd.concat([_heat(r.axis, r.truth, truth), _heat(r.axis, r.predicted, kan)])
    x = alt.X("x:Q", title="x", scale=alt.Scale(domain=[-1, 1], nice=False))
    y = alt.Y("y:Q", title="y", scale=alt.Scale(domain=[-1, 1], nice=False))
    tip = [alt.Tooltip("value:Q", format=".3f", title=t("demo.kan.value"))]
    viridis = alt.Scale(scheme="viridis")
    pair = (
        alt.Chart(both)
        .mark_rect(strokeWidth=0.6)  # each cell outlined in its own colour: no hairlines between cells
        .encode(
            x=x,
            x2="x2:Q",
            y=y,
            y2="y2:Q",
            color=alt.Color("value:Q", title=t("demo.kan.value"), scale=viridis),
            stroke=alt.Stroke("value:Q", scale=viridis, legend=None),
            tooltip=tip,
        )
        .properties(width=230, height=230)
        .facet(column=alt.Column("panel:N", title=None, sort=[truth, kan]))
    )
    diff = _heat(r.axis, r.predicted - r.truth, t("demo.kan.error"))
    bound = float(np.abs(diff["value"]).max()) or 1.0
    diverging = alt.Scale(scheme="redblue", domain=[-bound, bound], reverse=True)  # 0 is white
    error = (
        alt.Chart(diff, title=t("demo.kan.error"))
        .mark_rect(strokeWidth=0.6)
        .encode(
            x=x,
            x2="x2:Q",
            y=y,
            y2="y2:Q",
            color=alt.Color("value:Q", title=None, scale=diverging),
            stroke=alt.Stroke("value:Q", scale=diverging, legend=None),
            tooltip=tip,
        )
        .properties(width=230, height=230)
    )
    return pair, error


def _curves(t: Translator, r: KANResult, layer: int) -> alt.Chart:
    """One small line plot per edge of `layer`; an edge that contributes little is drawn faint."""
    curves = [c for c in r.curves if c.layer == layer]
    top = max(c.spread for c in curves) or 1.0
    rows = []
    for c in curves:
        edge = f"{c.source} → {c.target}"
        rows += [{"edge": edge, "input": a, "phi": b, "weight": c.spread / top} for a, b in zip(c.x, c.phi)]
    order = [f"{c.source} → {c.target}" for c in sorted(curves, key=lambda c: (c.source, c.target))]  # a row per input
    return (
        alt.Chart(pd.DataFrame(rows))
        .mark_line(strokeWidth=2.5, color="#1f77b4")
        .encode(
            x=alt.X("input:Q", title=None, axis=alt.Axis(tickCount=3)),
            y=alt.Y("phi:Q", title=None, axis=alt.Axis(tickCount=3), scale=alt.Scale(zero=False)),
            opacity=alt.Opacity("weight:Q", scale=alt.Scale(domain=[0, 1], range=[0.15, 1]), legend=None),
            tooltip=[
                alt.Tooltip("edge:N", title=t("demo.kan.edge")),
                alt.Tooltip("input:Q", format=".2f", title=t("demo.kan.input")),
                alt.Tooltip("phi:Q", format=".3f", title=t("demo.kan.phi")),
            ],
        )
        .properties(width=115, height=80)
        .facet(facet=alt.Facet("edge:N", title=None, sort=order), columns=5)
        .resolve_scale(x="independent", y="independent")
    )


def _show(t: Translator, r: KANResult) -> None:
    c1, c2 = st.columns([1, 3])
    c1.metric(t("demo.kan.rmse"), f"{r.rmse:.4f}", help=t("demo.kan.rmse_help"))
    source = t("demo.kan.source_shipped") if r.source == "shipped" else t("demo.kan.source_trained")
    c2.markdown(
        t(
            "demo.kan.summary",
            source=source,
            formula=r.formula_text,
            rmse=f"{r.rmse:.4f}",
            std=f"{r.target_std:.3f}",
            points=r.points,
            steps=r.steps,
            seconds=f"{r.seconds:.1f}",
        )
    )
    st.markdown(f"##### {t('demo.kan.surface')}")
    pair, error = _surfaces(t, r)
    left, right = st.columns([2, 1])
    left.altair_chart(pair, width="content", key="kan_surface")
    right.altair_chart(error, width="content", key="kan_error")
    if r.losses:
        st.caption(t("demo.kan.loss"))
        loss = pd.DataFrame({"step": range(1, len(r.losses) + 1), "mse": r.losses})
        chart = (
            alt.Chart(loss)
            .mark_line()
            .encode(
                x=alt.X("step:Q", title=t("demo.kan.step")),
                y=alt.Y("mse:Q", title="MSE", scale=alt.Scale(type="log")),
            )
            .properties(height=150)
        )
        st.altair_chart(chart, width="stretch", key="kan_loss")
    st.markdown(f"##### {t('demo.kan.curves')}")
    st.caption(t("demo.kan.curves_caption"))
    st.markdown(t("demo.kan.layer_1"))
    st.altair_chart(_curves(t, r, 0), width="content", key="kan_curves_1")
    st.markdown(t("demo.kan.layer_2"))
    st.altair_chart(_curves(t, r, 1), width="content", key="kan_curves_2")


def render(demo: Demo, key: str, t: Translator) -> None:
    names = list(FORMULAS)
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    formula = c1.selectbox(
        t("demo.kan.formula"),
        names,
        format_func=lambda n: f"f(x, y) = {FORMULAS[n].text}",
        key="kan_formula",
        help=t("demo.kan.formula_help"),
    )
    points = c2.number_input(t("demo.kan.points"), 10, MAX_POINTS, LIVE_POINTS, step=100, key="kan_points")
    steps = c3.number_input(t("demo.kan.steps"), 1, MAX_STEPS, LIVE_STEPS, step=100, key="kan_steps")
    seed = c4.number_input(t("demo.kan.seed"), 0, 10_000, 0, key="kan_seed")
    b1, b2 = st.columns([1, 3])
    train = b1.button(t("demo.kan.train"), type="primary", key="kan_train")
    show = b2.button(
        t("demo.kan.shipped"), key="kan_show_shipped", disabled=formula != SHIPPED_FORMULA, help=t("demo.kan.shipped_help")
    )
    bar = st.empty()
    if train:
        total = int(steps)

        def progress(step: int, mse: float) -> None:
            # redrawn every few steps: also where Streamlit stops a run whose visitor left or clicked elsewhere
            bar.progress(step / total, text=t("demo.kan.training", step=step, total=total, mse=f"{mse:.2e}"))

        try:
            with heavy_job(t):
                st.session_state[_RESULT] = _train(formula, int(points), int(steps), int(seed), progress)
        except BadInput as e:
            st.session_state.pop(_RESULT, None)
            st.error(report_error(t, e))
        bar.empty()
    elif show:
        st.session_state[_RESULT] = _shipped()
    result: KANResult | None = st.session_state.get(_RESULT)
    if result is None and formula == SHIPPED_FORMULA:
        result = _shipped()  # something to look at straight away: the shipped fit costs a few milliseconds
    if result is not None and result.formula != formula:
        st.info(t("demo.kan.retrain", formula=FORMULAS[formula].text))
        return
    if result is None:
        st.caption(t("demo.kan.hint"))
        return
    _show(t, result)
