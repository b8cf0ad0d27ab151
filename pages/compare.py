"""Compare and choose: 2–6 models side by side (/compare?models=a,b,c), charts of published metric against
cost, and the "choose a model" guide (/compare?tab=guide).

Everything shown comes from `zoo.compare` (pure functions), the introspection artifacts and the measured
figures of `zoo.measurement`; measuring runs in a worker process, one model at a time, in the server's line
of heavy jobs.
"""

import json
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

import zoo
from ui import common
from ui.common import domain_label, guarded, model_link, translator
from ui.heavy import heavy_job
from ui.safe import md
from zoo import compare, runtime
from zoo.catalog import human_count
from zoo.introspect.artifacts import stored_path
from zoo.measurement import Request, cached, machine, measure

t = translator()
lang = t.lang
keys = zoo.list_models()
budget = runtime.budget()
THREADS = budget.threads if budget else None  # what one heavy job gets on this server (None: every core)
MEASURE_AT_ONCE = 8  # the guide measures at most this many models per click (each takes a worker process)

st.title(t("compare.title"))
st.caption(t("compare.subtitle"))

TABS = ("compare", "guide")
labels = [t(f"compare.tab_{name}") for name in TABS]
wanted = st.query_params.get("tab", TABS[0])
wanted = wanted if wanted in TABS else TABS[0]


def _on_tab() -> None:
    chosen = st.session_state.compare_tab
    st.query_params["tab"] = TABS[labels.index(chosen)] if chosen in labels else TABS[0]


tab_compare, tab_guide = st.tabs(labels, key="compare_tab", default=labels[TABS.index(wanted)], on_change=_on_tab)


def ms_text(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v:,.1f} ms" if v >= 1 else f"{v:.3f} ms"


@st.cache_data(show_spinner=False, max_entries=1024)
def _figures_of(path: str, mtime_ns: int) -> dict:
    """The few fields of a stored artifact that the table, the charts and the guide read (an artifact holds the
    whole graph too, ~0.4 MB for ResNet-50): read once per artifact file, not on every rerun."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if "error" in data:
        return {"error": data["error"]}
    s = data["summary"]
    return {"example_input": data.get("example_input", ""), "device": data.get("device", "cpu"),
            "summary": {"params": {"unique": s["params"]["unique"]}, "macs": s["macs"],
                        "memory": {"params": s["memory"]["params"], "total": s["memory"]["total"]}}}


def ready_artifacts(model_keys) -> dict:
    """Figures from the artifacts already on disk (nothing is built): for charts over a whole task."""
    out = {}
    for k in model_keys:
        path = stored_path(k)
        if path is not None:
            with guarded(t):
                out[k] = _figures_of(str(path), path.stat().st_mtime_ns)
    return out


def artifacts_for(model_keys) -> dict:
    """Artifacts of the compared models; missing ones are built by the worker meanwhile (a spinner says so)."""
    out = ready_artifacts(model_keys)
    missing = [k for k in model_keys if k not in out]
    if missing:
        with st.spinner(t("compare.building", names=", ".join(zoo.card(k).name for k in missing))):
            for k in missing:
                try:
                    out[k] = common.model_artifact(k)
                except common.IntrospectionError:  # logged by ui.common; its cells stay empty
                    out[k] = None
    return out


def run_measurements(requests: list[Request]) -> None:
    """Measure in the server's line of heavy jobs, with a progress bar (one worker process per model)."""
    total = sum(len(r.batches) for r in requests)
    with heavy_job(t):
        bar = st.progress(0.0, text=t("compare.measuring_start", total=total))

        def progress(done: int, total: int, m) -> None:
            bar.progress(done / total, text=t("compare.measuring", done=done, total=total, name=zoo.card(m.key).name, batch=m.batch))

        measure(requests, progress=progress)
        bar.empty()


# ----------------------------------------------------------------------------- the comparison


def _models_from_url() -> list[str]:
    raw = st.query_params.get("models", "")
    asked = [k.strip() for k in raw.split(",") if k.strip()]
    unknown = [k for k in asked if k not in keys]
    if unknown:
        st.warning(t("compare.unknown", keys=", ".join(md(k, 40) for k in unknown[:5])))
    picked = list(dict.fromkeys(k for k in asked if k in keys))
    if len(picked) > compare.MAX_MODELS:
        st.info(t("compare.too_many", n=compare.MAX_MODELS))
    return picked[: compare.MAX_MODELS]


def _on_models() -> None:
    st.query_params["models"] = ",".join(st.session_state.compare_models)


def _preset(name: str) -> None:
    st.session_state.compare_models = list(compare.PRESETS[name])
    _on_models()


def render_table(rows: list[compare.Row]) -> None:
    names = [r.name for r in rows]
    facts = {
        t("compare.row_domain"): [domain_label(t, r.domain) for r in rows],
        t("compare.row_task"): [r.task for r in rows],
        t("compare.row_year"): [str(r.year) for r in rows],
        t("compare.row_params"): [("≈" if zoo.card(r.key).params.approx else "") + human_count(r.params_published) for r in rows],
        t("compare.row_macs"): [t("compare.macs_at", macs=human_count(r.macs), input=r.macs_input) if r.macs is not None else "—" for r in rows],
        t("compare.row_memory"): [f"{r.memory_mb:,.1f} MB" if r.memory_mb is not None else "—" for r in rows],
        t("compare.row_metric"): [r.metric or "—" for r in rows],
        t("compare.row_latency_b1"): [ms_text(r.latency_b1_ms) for r in rows],
        t("compare.row_latency_b8"): [ms_text(r.latency_b8_ms) for r in rows],
        t("compare.row_runs"): [t("compare.runs_value", threads=r.threads, b1=r.runs_b1, b8=r.runs_b8) if r.threads else "—" for r in rows],
        t("compare.row_peak"): [f"{r.peak_mb:,.1f} MB" if r.peak_mb is not None else "—" for r in rows],
        t("compare.row_load"): [f"{r.load:.2f}" if r.load is not None else "—" for r in rows],
        t("compare.row_note"): [_note(r) for r in rows],
    }
    df = pd.DataFrame(facts, index=names).T  # models side by side: one column each
    with st.container(key="compare_table"):
        st.table(df)
    st.caption(t("compare.table_rules"))
    cols = st.columns(len(rows))
    for col, r in zip(cols, rows):
        with col.container(border=True):
            st.markdown(f"**{r.name}**")
            for title in ("scenarios", "strengths", "weaknesses"):
                st.markdown(f"**{t(f'model.{title}')}**")
                st.markdown("\n".join(f"- {s}" for s in getattr(r, title)))
            if r.metric_source:
                st.caption(t("compare.metric_source", source=r.metric_source))
            model_link(r.key, t("compare.open", name=r.name), icon=":material/schema:")


def _note(r: compare.Row) -> str:
    return "" if r.status == "measured" else t(f"compare.status_{r.status}")


def render_chart(task: str, highlight: list[str]) -> None:
    """Published metric against MACs and against measured latency, for every model of `task` with one."""
    groups = compare.metric_groups(task)
    if not groups:
        st.info(t("compare.chart_no_metric", task=zoo.card(highlight[0]).localized(lang).task))
        return
    group = groups[0]
    if len(groups) > 1:
        group = st.selectbox(t("compare.chart_metric"), groups, key=f"chart_metric_{task}",
                             format_func=lambda g: f"{g.name} · {g.dataset} ({len(g.keys)})")
    arts = ready_artifacts(group.keys)
    macs = {k: (figures.macs if (figures := compare.analytic(a)) else None) for k, a in arts.items()}
    latency = {}
    for k in group.keys:
        m = cached(k, 1, THREADS)
        latency[k] = m.median_ms if m is not None and m.ok else None
    direction = t("compare.higher_better") if group.higher_better else t("compare.lower_better")
    st.caption(t("compare.chart_caption", metric=group.name, dataset=group.dataset, direction=direction))
    left, right = st.columns(2)
    for col, cost, title, unit in ((left, macs, t("compare.axis_macs"), "macs"), (right, latency, t("compare.axis_latency", threads=THREADS or runtime.usable_cores()), "ms")):
        points = compare.chart_points(group, cost)
        with col:
            if len(points) < 2:
                st.info(t("compare.chart_too_few", shown=len(points), total=len(group.keys)))
                continue
            front = compare.pareto_front(points, group.higher_better)
            df = pd.DataFrame([{
                "model": p.name, "key": p.key, "metric": p.metric, "cost": p.cost,
                "front": t("compare.on_front") if p.key in front else t("compare.off_front"),
                "picked": p.key in highlight,
                "cost_text": human_count(p.cost) if unit == "macs" else ms_text(p.cost),
            } for p in points])
            base = alt.Chart(df)
            dots = base.mark_circle(opacity=0.85).encode(
                x=alt.X("cost:Q", scale=alt.Scale(type="log"), title=title, axis=alt.Axis(format="~s")),
                y=alt.Y("metric:Q", scale=alt.Scale(zero=False), title=f"{group.name} ({group.unit})"),
                color=alt.Color("front:N", title=t("compare.front_legend"),
                                scale=alt.Scale(domain=[t("compare.on_front"), t("compare.off_front")], range=["#d62728", "#9aa5b1"])),
                size=alt.Size("picked:N", scale=alt.Scale(domain=[True, False], range=[220, 60]), legend=None),
                tooltip=[alt.Tooltip("model:N", title=t("compare.tip_model")), alt.Tooltip("metric:Q", title=group.name),
                         alt.Tooltip("cost_text:N", title=title)],
            )
            line = alt.Chart(df[df["key"].isin(front)].sort_values("cost")).mark_line(color="#d62728", strokeDash=[4, 3]).encode(
                x="cost:Q", y="metric:Q")
            labels_layer = base.transform_filter(alt.datum.picked).mark_text(align="left", dx=8, dy=-6).encode(
                x="cost:Q", y="metric:Q", text="model:N")
            st.altair_chart((line + dots + labels_layer).properties(height=340), width="stretch")
            st.caption(t("compare.chart_count", shown=len(points), total=len(group.keys), front=len(front)))


if tab_compare.open:
    with tab_compare:
        # a link opened in this session (the gallery's compare toggle, the guide) names other models than the
        # page last showed: the link wins; otherwise the visitor's own picks stay
        if "compare_models" not in st.session_state or st.session_state.get("compare_models_shown") != st.query_params.get("models", ""):
            st.session_state.compare_models = _models_from_url()
        c1, c2 = st.columns([4, 1])
        c1.multiselect(
            t("compare.pick", lo=compare.MIN_MODELS, hi=compare.MAX_MODELS), keys, key="compare_models",
            max_selections=compare.MAX_MODELS, on_change=_on_models, placeholder=t("compare.pick_placeholder"),
            format_func=lambda k: f"{zoo.card(k).name} · {k}",
        )
        c2.button(t("compare.preset_landmarks"), on_click=_preset, args=("landmarks",), help=t("compare.preset_help"),
                  width="stretch")
        chosen = list(st.session_state.compare_models)
        if chosen:
            st.query_params["models"] = ",".join(chosen)  # the URL names what is shown, so it can be shared
        else:
            st.query_params.pop("models", None)
        st.session_state.compare_models_shown = st.query_params.get("models", "")
        if len(chosen) < compare.MIN_MODELS:
            st.info(t("compare.pick_more", lo=compare.MIN_MODELS, hi=compare.MAX_MODELS))
        else:
            with guarded(t):
                if tuple(chosen) == compare.PRESETS["landmarks"]:
                    st.info(t("compare.preset_note"))
                arts = artifacts_for(chosen)
                runnable = [k for k in chosen if not zoo.card(k).big]
                to_measure = [k for k in runnable if any(cached(k, b, THREADS) is None for b in compare.BATCHES)]
                threads_shown = THREADS or runtime.usable_cores()
                b1, b2 = st.columns([2, 5])
                if to_measure and b1.button(t("compare.measure", n=len(to_measure)), type="primary", key="measure_compare"):
                    run_measurements([Request(k, compare.BATCHES, threads=THREADS) for k in to_measure])
                b2.caption(t("compare.measure_help", threads=threads_shown, machine=machine()))
                measurements = {(k, b): m for k in runnable for b in compare.BATCHES if (m := cached(k, b, THREADS)) is not None}
                rows = compare.comparison(chosen, lang, arts, measurements)
                render_table(rows)
                st.download_button(t("compare.csv"), compare.to_csv(rows), file_name="deepzoo-compare.csv", mime="text/csv",
                                   on_click="ignore", icon=":material/download:")
            st.subheader(t("compare.chart_title"))
            with guarded(t):
                chart_tasks = list(dict.fromkeys(zoo.card(k).task for k in chosen))
                task = chart_tasks[0]
                if len(chart_tasks) > 1:
                    task = st.selectbox(t("compare.chart_task"), chart_tasks, key="chart_task",
                                        format_func=lambda x: next(zoo.card(k).localized(lang).task for k in chosen if zoo.card(k).task == x))
                render_chart(task, chosen)


# ----------------------------------------------------------------------------- the guide


def _guide_form() -> compare.GuideQuery | None:
    all_tasks = compare.tasks()
    task_names = {x: next(zoo.card(k).localized(lang).task for k in zoo.list_models(task=x)) for x in all_tasks}
    with st.form("guide_form"):
        task = st.selectbox(t("compare.guide_task"), all_tasks, index=all_tasks.index("image classification") if "image classification" in all_tasks else 0,
                            format_func=task_names.get, key="guide_task")
        c1, c2, c3, c4 = st.columns(4)
        size = c1.number_input(t("compare.guide_size"), min_value=compare.MIN_INPUT_SIZE, max_value=compare.MAX_INPUT_SIZE,
                               value=None, step=1, key="guide_size", help=t("compare.guide_size_help"), placeholder=t("compare.guide_any"))
        latency = c2.number_input(t("compare.guide_latency"), min_value=0.01, max_value=600_000.0, value=None, key="guide_latency",
                                  help=t("compare.guide_latency_help"), placeholder=t("compare.guide_any"))
        params = c3.number_input(t("compare.guide_params"), min_value=0.0001, max_value=1e6, value=None, key="guide_params",
                                 placeholder=t("compare.guide_any"))
        file_mb = c4.number_input(t("compare.guide_file"), min_value=0.001, max_value=1e7, value=None, key="guide_file",
                                  help=t("compare.guide_file_help"), placeholder=t("compare.guide_any"))
        d1, d2, d3 = st.columns([1, 1, 2])
        runnable = d1.checkbox(t("compare.guide_runnable"), key="guide_runnable", help=t("compare.guide_runnable_help"))
        pretrained = d2.checkbox(t("compare.guide_pretrained"), key="guide_pretrained", help=t("compare.guide_pretrained_help"))
        priority = d3.radio(t("compare.guide_priority"), compare.PRIORITIES, horizontal=True, key="guide_priority",
                            format_func=lambda p: t(f"compare.priority_{p}"))
        submitted = st.form_submit_button(t("compare.guide_go"), type="primary")
    if submitted:
        st.session_state.guide_query = compare.GuideQuery(
            task=task, input_size=int(size) if size is not None else None, max_latency_ms=latency, max_params_m=params,
            max_file_mb=file_mb, runnable_here=runnable, pretrained=pretrained, priority=priority)
    return st.session_state.get("guide_query")


def _latency_for(query: compare.GuideQuery) -> dict:
    out = {}
    for k in zoo.list_models(task=query.task):
        if not zoo.card(k).big and (m := cached(k, 1, THREADS, query.input_size)) is not None:
            out[k] = m
    return out


def render_guide() -> None:
    st.markdown(t("compare.guide_intro"))
    query = _guide_form()
    if query is None:
        return
    candidates = zoo.list_models(task=query.task)
    arts = ready_artifacts(candidates)
    result = compare.guide(query, lang, arts, _latency_for(query))
    # models that fit but have no latency at this input size yet: with a latency limit they wait apart
    # (`unmeasured`); without one they are ranked, and measuring also checks that they take the input size
    todo = result.unmeasured + [ch.key for ch in result.ranked if ch.latency_ms is None and not zoo.card(ch.key).big]
    if todo:
        names = ", ".join(zoo.card(k).name for k in todo[:10]) + (" …" if len(todo) > 10 else "")
        st.warning(t("compare.guide_unmeasured", n=len(todo), names=names))
        batch = todo[:MEASURE_AT_ONCE]
        if st.button(t("compare.guide_measure", n=len(batch)), key="guide_measure"):
            run_measurements([Request(k, (1,), threads=THREADS, input_size=query.input_size) for k in batch])
            result = compare.guide(query, lang, ready_artifacts(candidates), _latency_for(query))
    st.subheader(t("compare.guide_results", n=len(result.ranked)))
    if result.metric and query.priority == "accuracy":
        st.caption(t("compare.guide_metric", metric=result.metric))
    if not result.ranked:
        st.info(t("compare.guide_none"))

    def part(name: str, **kw) -> str:
        return t(f"compare.reason_{name}", **kw)

    with st.container(key="guide_results"):
        for i, ch in enumerate(result.ranked, 1):
            with st.container(border=True):
                model_link(ch.key, f"{i}. {ch.name}", icon=":material/schema:")
                st.caption(compare.reason(ch, part))
    picked = [ch.key for ch in result.ranked[: compare.MAX_MODELS]]
    if len(picked) >= compare.MIN_MODELS:
        st.page_link("pages/compare.py", label=t("compare.guide_compare_top", n=len(picked)), icon=":material/compare_arrows:",
                     query_params={"models": ",".join(picked)})
    if result.excluded:
        with st.expander(t("compare.guide_excluded", n=len(result.excluded))):
            st.markdown("\n".join(f"- **{zoo.card(x.key).name}** — {t(f'compare.why_{x.why}', value=x.value)}" for x in result.excluded))


if tab_guide.open:
    with tab_guide, guarded(t):
        render_guide()
