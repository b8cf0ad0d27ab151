"""Learn: each tuning tip proved by a small controlled experiment (`zoo.learn.tips`), from stored results, with a
rerun on this server for one visitor; and what data-parallel training does here (`assets/learn/ddp.json`, written by bench/ddp.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

import zoo
from ui.common import guarded, translator
from ui.i18n import Translator
from zoo.learn import tips

DDP_RESULTS = Path(__file__).resolve().parent.parent / "assets" / "learn" / "ddp.json"
POLL_SECONDS = 2.5  # how often a running rerun redraws: each redraw ends with Streamlit collecting garbage (~0.2–1 s
# holding the GIL in a server with torch loaded), which the training thread then waits for
ARM_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c"]  # the arms in definition order: blue, then orange

t = translator()


@st.cache_data(show_spinner=False)
def _stored(mtime: float) -> dict | None:
    """The stored results; `mtime` makes a rewritten file a new cache entry."""
    return tips.load_results()


@st.cache_data(show_spinner=False)
def _params(model: str, overrides_json: str) -> int:
    """Parameter count of the model an arm trains, built on the meta device (no memory, no init)."""
    import torch

    with torch.device("meta"):
        m = zoo.create_model(model, **_tuples(json.loads(overrides_json)))
    return sum(p.numel() for p in m.parameters())


def _tuples(overrides: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items()}


def _number(x: Any) -> str:
    return f"{x:g}" if isinstance(x, (int, float)) and not isinstance(x, bool) else str(x)


def _stated(t: Translator, result: dict) -> dict[str, str]:
    return tips.stated(result, lambda steps: t("learn.not_reached", steps=steps), t("learn.diverged"))


def _charts(t: Translator, result: dict) -> None:
    """Held-out accuracy and training loss of every arm, side by side."""
    labels = {name: t(f"learn.arm_{name}") for name in result["arms"]}
    order = [labels[a["name"]] for a in result["definition"]["arms"]]
    evals = pd.DataFrame(
        [{"step": s, "accuracy": a, "loss": l, "setting": labels[name]}
         for name, curves in result["arms"].items() for s, a, l in curves["evals"]],
        columns=["step", "accuracy", "loss", "setting"],
    )
    train = pd.DataFrame(
        [{"step": s, "loss": l, "setting": labels[name]}
         for name, curves in result["arms"].items() for s, l, _ in curves["train"]],
        columns=["step", "loss", "setting"],
    )
    colour = alt.Color("setting:N", title=t("learn.arm"), scale=alt.Scale(domain=order, range=ARM_COLOURS[: len(order)]),
                       legend=alt.Legend(orient="bottom"))
    x = alt.X("step:Q", title=t("learn.step"))
    accuracy = (
        alt.Chart(evals, title=t("learn.accuracy_chart"))
        .mark_line(point=True)
        .encode(x=x, y=alt.Y("accuracy:Q", title=t("learn.accuracy"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
                color=colour, tooltip=[alt.Tooltip("setting:N", title=t("learn.arm")), alt.Tooltip("step:Q", title=t("learn.step")),
                                       alt.Tooltip("accuracy:Q", title=t("learn.accuracy"), format=".1%"),
                                       alt.Tooltip("loss:Q", title=t("learn.loss"), format=".3g")])
        .properties(height=280)
    )
    loss = (
        alt.Chart(train, title=t("learn.loss_chart"))
        .mark_line(strokeWidth=1.2, opacity=0.85)
        .encode(x=x, y=alt.Y("loss:Q", title=t("learn.loss"), scale=alt.Scale(type="log")), color=colour,
                tooltip=[alt.Tooltip("setting:N", title=t("learn.arm")), alt.Tooltip("step:Q", title=t("learn.step")),
                         alt.Tooltip("loss:Q", title=t("learn.loss"), format=".3g")])
        .properties(height=280)
    )
    left, right = st.columns(2)
    left.altair_chart(accuracy, width="stretch")
    right.altair_chart(loss, width="stretch")


def _table(t: Translator, exp: tips.Experiment, result: dict, stated: dict[str, str]) -> None:
    """Every measured figure of every arm (the sentence above picks the ones the tip is about)."""
    header = [t("learn.arm"), t("learn.col_final_accuracy"), t("learn.col_final_loss"),
              t("learn.col_steps_to_target", target=stated["target"]), t("learn.col_ms_per_step"),
              t("learn.col_max_train_loss"), t("learn.col_params")]
    rows = []
    for arm in exp.arms:
        if arm.name not in result["arms"]:
            continue
        n = arm.name
        params = _params(exp.model, json.dumps({**exp.overrides, **arm.overrides}))
        rows.append([t(f"learn.arm_{n}"), stated[f"{n}_acc"], stated[f"{n}_loss"], stated[f"{n}_steps"],
                     stated[f"{n}_ms"], stated[f"{n}_max_loss"], f"{params:,}"])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    st.markdown("\n".join(lines))


def _call(exp: tips.Experiment) -> str:
    args = ", ".join(f"{k}={v!r}" for k, v in exp.overrides.items())
    return f'zoo.create_model("{exp.model}", {args})'


def _measured(t: Translator, result: dict) -> str:
    m = result.get("measured") or {}
    load = m.get("load_before")
    at = m.get("at", "?")  # ISO 8601 in UTC, e.g. 2026-11-30T13:18:50+00:00
    return t("learn.measured", at=f"{at[:10]} {at[11:16]} UTC" if len(at) >= 16 else at, cpu=m.get("cpu", "?"), cores=m.get("usable_cores", "?"),
             torch=m.get("torch", "?"), load="?" if load is None else f"{load:.1f}", seconds=_number(result.get("seconds", "?")))


# ----------------------------------------------------------------------------------------- one experiment's section


def _run_key(key: str) -> str:
    return f"learn_run_{key}"


def _active_run() -> str | None:
    """The experiment this session is rerunning now, if any (one at a time per visitor)."""
    for key in tips.EXPERIMENTS:
        run = st.session_state.get(_run_key(key))
        if run is not None and not run.finished:
            return key
    return None


def _start(key: str) -> None:
    if _active_run() is not None:
        st.session_state["learn_busy"] = key
        return
    st.session_state[_run_key(key)] = tips.ExperimentRun.start(tips.EXPERIMENTS[key])


def _forget(key: str) -> None:
    run = st.session_state.pop(_run_key(key), None)
    if run is not None:
        run.cancel()


def _experiment(key: str, stored: dict | None) -> None:
    exp = tips.EXPERIMENTS[key]
    run: tips.ExperimentRun | None = st.session_state.get(_run_key(key))
    if run is not None and not run.finished:
        st.fragment(_live, run_every=POLL_SECONDS)(key)
        return
    result = stored
    note = None
    if run is not None and run.state == "done" and run.result is not None:
        result, note = run.result, t("learn.measured_here", seconds=_number(run.result["seconds"]))
    elif run is not None:
        st.info(t("learn.rerun_failed") if run.state == "failed" else t("learn.rerun_cancelled"))
    if result is None:
        st.info(t("learn.missing_one", key=key))
    else:
        stated = _stated(t, result)
        _charts(t, result)
        st.markdown(t(f"learn.{key}.finding", **stated))
        _table(t, exp, result, stated)
        st.caption(note or _measured(t, result))
    c1, c2 = st.columns([1, 4])
    seconds = _number(stored["seconds"]) if stored else "?"
    c1.button(t("learn.rerun"), key=f"learn_rerun_{key}", on_click=_start, args=(key,), help=t("learn.rerun_help", seconds=seconds),
              icon=":material/replay:")
    if run is not None:
        c2.button(t("learn.show_stored"), key=f"learn_stored_{key}", on_click=_forget, args=(key,))
    if st.session_state.get("learn_busy") == key:
        st.warning(t("learn.rerun_busy"))
        st.session_state.pop("learn_busy")


def _live(key: str) -> None:
    """A rerun in progress: its curves so far, redrawn every POLL_SECONDS; a full rerun once it ends (which
    stops the polling and draws the finished section)."""
    run: tips.ExperimentRun | None = st.session_state.get(_run_key(key))
    if run is None or run.finished:
        st.rerun()
    if run.state == "waiting":
        st.info(t("learn.rerun_waiting", position=run.position or 1), icon="⏳")
    else:
        snap = run.snapshot()
        arm = run.arm or tips.EXPERIMENTS[key].arms[0].name
        steps = snap["arms"].get(arm, {}).get("train") or [[0]]
        st.info(t("learn.rerun_running", arm=t(f"learn.arm_{arm}"), step=steps[-1][0]), icon="⏳")
        if snap["arms"]:
            _charts(t, snap)
    st.button(t("learn.rerun_cancel"), key=f"learn_cancel_{key}", on_click=run.cancel, icon=":material/stop:")


# ---------------------------------------------------------------------------------------------------- distributed


def _ddp(t: Translator) -> None:
    """The measured 1-process and 2-process throughput (`bench/ddp.py`); the section is left out without it."""
    try:
        data = json.loads(DDP_RESULTS.read_text(encoding="utf-8"))
        rows = data["rows"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    st.header(t("learn.ddp_title"), anchor="ddp")
    st.markdown(t("learn.ddp.why"))
    table = pd.DataFrame([{
        t("learn.ddp.col_setup"): _setup(t, row),
        t("learn.ddp.col_throughput"): f"{row['samples_per_second']:,.1f}",
        t("learn.ddp.col_train_seconds"): f"{row['train_seconds']:,.1f}",
        t("learn.ddp.col_steps"): str(row["steps"]),
    } for row in rows])
    st.markdown(t("learn.ddp.table"))
    st.table(table.set_index(t("learn.ddp.col_setup")))
    single = next((r for r in rows if r["processes"] == 1 and _threads(r) == 1), None)
    ddp = next((r for r in rows if r["processes"] > 1), None)
    if single and ddp:
        st.markdown(t("learn.ddp.finding", processes=ddp["processes"], ddp=f"{ddp['samples_per_second']:g}",
                      single=f"{single['samples_per_second']:g}", ratio=f"{ddp['samples_per_second'] / single['samples_per_second']:.2f}"))
    st.caption(t("learn.ddp.measured", model=data.get("model", "?"), data=data.get("data", "?"), batch=data.get("batch_size", "?"),
                 at=data.get("measured", "?"), cores=data.get("cores", "?"), torch=data.get("torch", "?"),
                 before=data.get("load_before", "?"), after=data.get("load_after", "?")))


def _threads(row: dict) -> int | None:
    """Intra-op threads per process, as the benchmark names its setup ("1 process, 2 threads")."""
    found = re.search(r"(\d+) thread", str(row.get("setup", "")))
    return int(found.group(1)) if found else None


def _setup(t: Translator, row: dict) -> str:
    threads = _threads(row)
    if threads is None:
        return str(row.get("setup", "?"))
    return t("learn.ddp.setup_ddp" if row["processes"] > 1 else "learn.ddp.setup_single", processes=row["processes"], threads=threads)


# ------------------------------------------------------------------------------------------------------------ page

st.title(t("learn.title"))
st.markdown(t("learn.intro"))
stored_data = _stored(tips.RESULTS.stat().st_mtime if tips.RESULTS.exists() else 0.0)
if stored_data is None:
    st.warning(t("learn.missing"))
for exp_key, experiment in tips.EXPERIMENTS.items():
    st.header(t(f"learn.{exp_key}.title"), anchor=exp_key)
    with guarded(t):
        stored_result = tips.stored_result(stored_data, exp_key)
        values = {**{k: _number(v) for k, v in tips.settings(experiment.to_json()).items()},
                  "steps": str(tips.figures(stored_result)["steps"]) if stored_result else "?"}
        st.markdown(t(f"learn.{exp_key}.why", **values))
        st.caption(t("learn.model_line", model=zoo.card(experiment.model).name, call=_call(experiment),
                     side=experiment.data_options.get("image_size", "?")))
        _experiment(exp_key, stored_result)
with guarded(t):
    _ddp(t)
