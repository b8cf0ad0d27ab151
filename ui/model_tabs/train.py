"""The Train tab: train this model on a small offline dataset, watch the curves, take the weights home.

Training runs in a thread of its own (`zoo.learn.BackgroundRun`), one per visitor's session, in a place of the
server's heavy-job line (`zoo.runtime`): the page never waits on it. A fragment redraws progress and curves
every second while it runs; when the run ends the whole tab reruns once to draw the result without a timer.
Runs are bounded: epochs and steps by the sliders' ranges, time by TIME_LIMIT.
"""

from __future__ import annotations

import dataclasses

import altair as alt
import pandas as pd
import streamlit as st

from zoo import learn
from zoo.learn.runs import result_files

from ..heavy import visitor_present
from ..i18n import Translator

TIME_LIMIT = 300.0  # seconds of training per run; then it is stopped and its result kept
POLL = 1.0  # seconds between redraws while a run goes on
LRS = (1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 3e-2, 1e-1)
BATCHES = (16, 32, 64, 128)
RUN = "train_run"  # session state: this visitor's BackgroundRun (one at a time, whichever model)


def applies(key: str) -> bool:
    return bool(learn.plans_for(key))


def _run() -> learn.BackgroundRun | None:
    return st.session_state.get(RUN)


def render(key: str, t: Translator) -> None:
    st.caption(t("train.intro"))
    plans = {p.dataset: p for p in learn.plans_for(key)}
    run = _run()
    busy = run is not None and not run.finished
    if busy and run.plan.key != key:
        st.info(t("train.other_model_running", model=run.plan.key))

    plan = plans[st.selectbox(t("train.data"), list(plans), key=f"train_data_{key}",
                              format_func=lambda n: t(f"train.data_{n}"), disabled=busy)]
    st.caption(t(f"train.source_{plan.dataset}"))
    st.markdown(f"**{t('train.reduced')}:** " + (t("train.list_sep").join(_reduction(t, r) for r in plan.reductions) or t("train.as_published")))
    config, overrides = _settings(key, plan, t, disabled=busy)

    if busy:
        st.button(t("train.stop"), key=f"train_stop_{key}", icon=":material/stop:", on_click=run.cancel)
    elif st.button(t("train.start"), key=f"train_start_{key}", type="primary", icon=":material/play_arrow:"):
        st.session_state[RUN] = learn.BackgroundRun.start(plan, config, time_limit=TIME_LIMIT,
                                                          watched=visitor_present(), **overrides)
        st.session_state.pop("train_files", None)
        st.rerun()  # drawn again as busy: settings locked, the Stop button in place of Train
    if run is not None and run.plan.key == key:
        if run.finished:
            _show(run, t, final=True)
        else:
            _live(t)


def _settings(key: str, plan: learn.TrainPlan, t: Translator, disabled: bool) -> tuple[learn.FitConfig, dict]:
    d = plan.defaults
    c1, c2, c3 = st.columns(3)
    optimizer = c1.selectbox(t("train.optimizer"), learn.OPTIMIZERS, index=learn.OPTIMIZERS.index(d.get("optimizer", "adam")),
                             format_func=lambda o: t(f"train.opt_{o}"), key=f"train_opt_{key}", disabled=disabled)
    rates = tuple(sorted({*LRS, d.get("lr", 1e-3)}))  # the plan's own rate is always on offer
    lr = c2.select_slider(t("train.lr"), rates, value=d.get("lr", 1e-3),
                          format_func=lambda v: f"{v:g}", key=f"train_lr_{key}", disabled=disabled)
    schedule = c3.selectbox(t("train.schedule"), learn.SCHEDULES, index=learn.SCHEDULES.index(d.get("schedule", "constant")),
                            format_func=lambda s: t(f"train.sched_{s}"), key=f"train_sched_{key}", disabled=disabled)
    c4, c5, c6 = st.columns(3)
    by_steps = d.get("max_steps") is not None
    if by_steps:  # language models: one epoch is thousands of steps; the length is set in steps
        length = c4.slider(t("train.steps"), 50, 2000, d["max_steps"], step=50, key=f"train_steps_{key}", disabled=disabled)
    else:
        top = 20 if learn.dataset_info(plan.dataset).batched else 300
        length = c4.slider(t("train.epochs"), 1, top, d.get("epochs", 3), key=f"train_epochs_{key}", disabled=disabled)
    batch = d.get("batch_size", 64)
    if learn.dataset_info(plan.dataset).batched:  # one whole graph (or an environment) per step: no batch size
        batch = c5.select_slider(t("train.batch"), BATCHES, value=batch if batch in BATCHES else 64,
                                 key=f"train_batch_{key}", disabled=disabled)
    warmup = c6.number_input(t("train.warmup"), 0, 500, d.get("warmup_steps", 0), step=10, key=f"train_warmup_{key}",
                             disabled=disabled, help=t("train.warmup_help"))
    c7, c8, c9 = st.columns(3)
    bf16 = c7.toggle(t("train.amp"), key=f"train_amp_{key}", disabled=disabled, help=t("train.amp_help"))
    norm = d.get("clip_norm") or 1.0
    clip = c8.toggle(t("train.clip", norm=f"{norm:g}"), value=d.get("clip_norm") is not None, key=f"train_clip_{key}",
                     disabled=disabled, help=t("train.clip_help", norm=f"{norm:g}"))
    seed = c9.number_input(t("train.seed"), 0, 2**31 - 1, 0, key=f"train_seed_{key}", disabled=disabled)
    overrides = {}
    if plan.batch_norm_field is not None:
        on = st.toggle(t("train.batch_norm"), value=bool(plan.batch_norm), key=f"train_bn_{key}", disabled=disabled, help=t("train.batch_norm_help"))
        overrides[plan.batch_norm_field] = on
    # the plan's other suggestions (weight decay, evaluation every N steps, step decay's factor) are kept
    known = {f.name for f in dataclasses.fields(learn.FitConfig)}
    config = learn.FitConfig(**{
        **{k: v for k, v in d.items() if k in known},
        "epochs": 10_000 if by_steps else length, "max_steps": length if by_steps else None, "batch_size": batch,
        "optimizer": optimizer, "lr": lr, "schedule": schedule, "warmup_steps": int(warmup),
        "clip_norm": norm if clip else None, "amp": "bf16" if bf16 else "off", "seed": int(seed),
    })
    return config, overrides


def _reduction(t: Translator, r: learn.Reduction) -> str:
    return t(f"train.reduce_{r.code}", **dict(r.values))


@st.fragment(run_every=POLL)
def _live(t: Translator) -> None:
    run = _run()
    if run is None:
        return
    if run.finished:
        st.rerun(scope="app")  # once: the result is drawn by the tab itself, with no timer
    _show(run, t, final=False)


def _show(run: learn.BackgroundRun, t: Translator, final: bool) -> None:
    snap = run.snapshot()
    if snap.state == "waiting":
        st.info(t("train.busy", position=snap.position or 1), icon="⏳")
        return
    if snap.state == "preparing":
        st.info(t("train.preparing"), icon="⏳")
        return
    if snap.state == "failed":
        st.error(t("train.failed"))
        return
    last = snap.last
    if last is not None:
        done = min(last.step / max(last.total_steps, 1), 1.0)
        if final:
            text = t("train.finished", steps=last.step, seconds=f"{last.elapsed:.1f}")
        else:
            text = t("train.progress", step=last.step, total=last.total_steps, eta=_duration(last.eta))
        st.progress(done, text=text)
    if snap.state == "cancelled":
        st.warning(t("train.time_limit", seconds=int(TIME_LIMIT)) if run.timed_out else t("train.stopped"))
    _charts(snap, run, t)
    if final and snap.result is not None:
        _result(run, snap.result, t)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "…"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _charts(snap, run: learn.BackgroundRun, t: Translator) -> None:
    metric = learn.dataset_info(run.plan.dataset).metric
    left, right = st.columns(2)
    if snap.steps:
        steps = pd.DataFrame(snap.steps)
        every = max(1, len(steps) // 1000)  # at most ~1,000 points: the chart stays light however long the run
        loss = alt.Chart(steps.iloc[::every]).mark_line().encode(
            x=alt.X("step:Q", title=t("train.axis_step")), y=alt.Y("loss:Q", title=t("train.axis_loss"))
        ).properties(title=t("train.chart_loss"), height=260)
        left.altair_chart(loss, width="stretch")
    if snap.evals:
        evals = pd.DataFrame(snap.evals)
        chart = alt.Chart(evals).mark_line(point=True).encode(
            x=alt.X("step:Q", title=t("train.axis_step")),
            y=alt.Y(f"{metric}:Q", title=t(f"train.axis_{metric}"), scale=alt.Scale(zero=False)),
        ).properties(title=t("train.chart_metric", metric=t(f"train.metric_{metric}")), height=260)
        right.altair_chart(chart, width="stretch")
    elif snap.steps:
        right.caption(t("train.first_eval"))


def _result(run: learn.BackgroundRun, result: learn.FitResult, t: Translator) -> None:
    metrics = result.final_metrics
    info = learn.dataset_info(run.plan.dataset)
    metric = info.metric
    cols = st.columns(3)
    if metric in metrics:
        value = metrics[metric]
        shown = f"{100 * value:.1f}%" if info.as_percent else f"{value:.3g}"
        at = result.evals[-1]["step"] if result.evals else result.steps
        note = t("train.metric_at_step", step=at) if at != result.steps else None  # stopped after the last evaluation
        cols[0].metric(t("train.chart_metric", metric=t(f"train.metric_{metric}")), shown, help=note)
    cols[1].metric(t("train.steps_done"), f"{result.steps:,}")
    cols[2].metric(t("train.seconds"), f"{result.seconds:.1f}")
    if run.samples is not None:
        st.image(run.samples, caption=t(f"train.samples_{run.plan.dataset}"))
    files = st.session_state.get("train_files")
    if files is None or files[0] is not result:
        weights, meta = result_files(result, run.plan, overrides=run.overrides)
        st.session_state["train_files"] = files = (result, weights, meta)
    name = f"{run.plan.key}-{run.plan.dataset}"
    d1, d2 = st.columns(2)
    d1.download_button(t("train.download_weights"), files[1], file_name=f"{name}.safetensors",
                       mime="application/octet-stream", on_click="ignore", key="train_dl_weights")
    d2.download_button(t("train.download_json"), files[2], file_name=f"{name}.run.json", mime="application/json",
                       on_click="ignore", key="train_dl_json")
    st.caption(t("train.reproduce"))
    st.code(_command(run), language="bash", wrap_lines=True)


def _command(run: learn.BackgroundRun) -> str:
    c = run.config
    parts = ["python -m zoo fit", run.plan.key, "--data", run.plan.dataset]
    parts += ["--max-steps", str(c.max_steps)] if c.max_steps else ["--epochs", str(c.epochs)]
    parts += ["--batch-size", str(c.batch_size), "--optimizer", c.optimizer, "--lr", f"{c.lr:g}", "--schedule", c.schedule]
    if c.warmup_steps:
        parts += ["--warmup", str(c.warmup_steps)]
    if c.clip_norm:
        parts += ["--clip", f"{c.clip_norm:g}"]
    if c.amp != "off":
        parts += ["--amp", c.amp]
    if c.weight_decay:
        parts += ["--weight-decay", f"{c.weight_decay:g}"]
    if c.eval_every:
        parts += ["--eval-every", str(c.eval_every)]
    if run.plan.batch_norm_field in run.overrides:
        parts += ["--batch-norm", "on" if run.overrides[run.plan.batch_norm_field] else "off"]
    parts += ["--seed", str(c.seed)]
    return " ".join(parts)
