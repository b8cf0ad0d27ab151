"""Karate club: choose the labelled members and the model, train live, see the predicted factions."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from zoo.demos import BadInput, Demo
from zoo.demos.karate import LEADERS, MODELS, KarateResult, classify, layout

from ..heavy import heavy_job
from ..i18n import Translator
from ..safe import report_error

COLOURS = ("#1f77b4", "#ff7f0e")  # Mr. Hi, Officer


@st.cache_data(show_spinner=False, max_entries=64)
def _classify(model: str, labelled: tuple[int, ...], epochs: int, seed: int) -> KarateResult:
    return classify(model, labelled, epochs, seed)  # deterministic: the same request gives the same answer


@st.cache_data(show_spinner=False)
def _graph() -> tuple[list[tuple[int, int]], list[int], tuple[str, ...]]:
    from zoo.train.graph import FACTIONS, karate_club

    g = karate_club()
    return list(g.edges), g.y.tolist(), FACTIONS


def _chart(t: Translator, labelled: list[int], result: KarateResult | None) -> alt.Chart:
    """Friendships as lines, members as circles: coloured by predicted faction (before training, only the
    labelled members have a colour); a black ring marks a labelled member, a red ring a wrong guess."""
    edges, truth, _ = _graph()
    pos = layout()
    names = [t("demo.karate.faction_hi"), t("demo.karate.faction_officer")]
    unknown = t("demo.karate.unknown")
    rows = []
    for i, (x, y) in enumerate(pos):
        shown = result.predicted[i] if result else (truth[i] if i in labelled else None)
        wrong = result is not None and i not in labelled and result.predicted[i] != truth[i]
        rows.append(
            {
                "x": x,
                "y": y,
                "node": i,
                "colour": names[shown] if shown is not None else unknown,
                "truth": names[truth[i]],
                "ring": "labelled" if i in labelled else ("wrong" if wrong else "none"),
                "confidence": f"{result.confidence[i]:.0%}" if result else "",
            }
        )
    nodes = pd.DataFrame(rows)
    lines = pd.DataFrame([{"x": pos[u][0], "y": pos[u][1], "x2": pos[v][0], "y2": pos[v][1]} for u, v in edges])
    axis = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    links = (
        alt.Chart(lines)
        .mark_rule(color="#bbbbbb", strokeWidth=1)
        .encode(x=alt.X("x:Q", axis=axis), y=alt.Y("y:Q", axis=axis), x2="x2:Q", y2="y2:Q")
    )
    colour = alt.Color(
        "colour:N",
        scale=alt.Scale(domain=[*names, unknown], range=[*COLOURS, "#dddddd"]),
        legend=alt.Legend(title=t("demo.karate.legend"), orient="bottom"),
    )
    ring = alt.Color(
        "ring:N",
        scale=alt.Scale(domain=["labelled", "wrong", "none"], range=["#000000", "#d62728", "#ffffff"]),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("node:Q", title=t("demo.karate.member")),
        alt.Tooltip("colour:N", title=t("demo.karate.predicted") if result else t("demo.karate.legend")),
        alt.Tooltip("truth:N", title=t("demo.karate.truth")),
        alt.Tooltip("confidence:N", title=t("demo.karate.confidence")),
    ]
    points = (
        alt.Chart(nodes)
        .mark_circle(size=380, opacity=1, strokeWidth=3)
        .encode(x="x:Q", y="y:Q", color=colour, stroke=ring, tooltip=tooltip)
    )
    labels = alt.Chart(nodes).mark_text(fontSize=10, color="#ffffff").encode(x="x:Q", y="y:Q", text="node:Q")
    return (links + points + labels).properties(height=460).configure_view(strokeWidth=0)


def render(demo: Demo, key: str, t: Translator) -> None:
    _, truth, _ = _graph()
    names = [t("demo.karate.faction_hi"), t("demo.karate.faction_officer")]
    c1, c2, c3 = st.columns([3, 1, 1])
    labelled = c1.multiselect(
        t("demo.karate.labelled"),
        list(range(len(truth))),
        default=list(LEADERS),
        format_func=lambda i: f"{i} · {names[truth[i]]}",
        key="karate_labelled",
        help=t("demo.karate.labelled_help"),
    )
    model = c2.segmented_control(
        t("demo.karate.model"),
        list(MODELS),
        default=key if key in MODELS else MODELS[0],
        required=True,
        format_func=str.upper,
        key=f"karate_model_{key}",
    )
    epochs = c3.number_input(t("demo.karate.epochs"), 10, 1000, 200, step=50, key="karate_epochs")
    seed = c3.number_input(t("demo.karate.seed"), 0, 10_000, 0, key="karate_seed")
    if st.button(t("demo.karate.train"), type="primary", key="karate_train"):
        try:
            with heavy_job(t), st.spinner(t("demo.karate.training")):
                st.session_state["karate_result"] = _classify(model, tuple(labelled), int(epochs), int(seed))
        except BadInput as e:
            st.session_state.pop("karate_result", None)
            st.error(report_error(t, e))
    result: KarateResult | None = st.session_state.get("karate_result")
    if result is not None and result.labelled != sorted(set(labelled)):
        result = None  # the labels changed since that run: draw the new selection, untrained
        st.info(t("demo.karate.retrain"))
    left, right = st.columns([3, 1])
    with left:
        st.altair_chart(_chart(t, sorted(set(labelled)), result), width="stretch", key="karate_chart")
        st.caption(t("demo.karate.chart_caption"))
    with right:
        if result is None:
            st.caption(t("demo.karate.hint"))
            return
        st.metric(
            t("demo.karate.accuracy"),
            f"{result.accuracy:.1%}",
            help=t("demo.karate.accuracy_help"),
        )
        st.markdown(
            t(
                "demo.karate.accuracy_text",
                model=result.model.upper(),
                correct=result.correct,
                total=result.unlabelled,
                pct=f"{result.accuracy:.1%}",
                seconds=f"{result.seconds:.2f}",
            )
        )
        st.caption(t("demo.karate.loss"))
        st.line_chart(pd.DataFrame({t("demo.karate.loss"): result.losses}), height=160, x_label=t("demo.karate.epoch"))
