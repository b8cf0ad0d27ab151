"""Model page: one parametric page, deep-linkable as /model?model=<key>&tab=<tab>."""

import json

import streamlit as st

import zoo
from ui import common, model_tabs
from ui.safe import md, shorten
from ui.common import (config_note, domain_label, guarded, metric_dataset, metric_label, metric_value, model_link,
                       page_link, translator)
from zoo import demos as demo_registry
from zoo import introspect
from zoo import path as learning_path
from zoo import weights as zoo_weights
from zoo.catalog import human_count

t = translator()
lang = t.lang
keys = zoo.list_models()

requested = st.query_params.get("model")
if requested is not None and requested not in keys:
    # the key comes from the URL, i.e. from whoever wrote the link: shown as text, never as Markdown
    st.error(t("model.unknown", key=md(requested)))
    suggestions = zoo.suggest(shorten(requested, 64))
    if suggestions:
        st.write(t("model.suggest"))
        for k in suggestions:
            model_link(k, f"{zoo.card(k).name} ({k})")
    page_link("pages/gallery.py", t("model.browse"), icon=":material/grid_view:")
    st.stop()


def _model_label(k: str) -> str:
    return f"{zoo.card(k).name} · {domain_label(t, zoo.card(k).domain)}"


def _on_pick() -> None:
    if st.session_state.model_pick:
        st.query_params["model"] = st.session_state.model_pick


# The bare "Model" entry opens the model viewed last in this session, or a chooser — never an arbitrary model.
if requested is None:
    requested = st.session_state.get("last_model")
if requested is None:
    st.title(t("model.choose_title"))
    st.caption(t("model.choose_hint", n=len(keys)))
    st.selectbox(t("model.pick"), keys, index=None, placeholder=t("model.choose_placeholder"),
                 format_func=_model_label, key="model_pick", on_change=_on_pick)
    st.header(t("model.choose_path"), anchor=False)
    with st.container(horizontal=True, gap="small"):
        for k in learning_path.steps()[:6]:
            model_link(k, zoo.card(k).name)
    page_link("pages/gallery.py", t("model.browse"), icon=":material/grid_view:")
    st.stop()

key = requested
st.session_state.last_model = key
st.query_params["model"] = key  # the URL always names the model shown, so it can be shared
with st.sidebar, guarded(t):
    from ui import viewer as arch_viewer

    # the Architecture tab's code and Graphviz worker, fetched while any other tab is read: an empty, invisible
    # instance at the foot of the sidebar, sent first so the browser starts on it as soon as the page arrives
    arch_viewer.preload(key="arch_viewer_preload")
card = zoo.card(key)
loc = card.localized(lang)

st.title(card.name)
st.caption(f"{domain_label(t, card.domain)} · {loc.task} · {card.year} · {t(f'level.{card.level}')} · `{key}`")
# in the page, not in the sidebar: a phone's sidebar is collapsed, and the picker must stay in reach
st.selectbox(t("model.switch"), keys, index=keys.index(key), format_func=_model_label, key="model_pick",
             on_change=_on_pick, width=420)

# Tabs are lazy (only the open one runs) and named in the URL: /model?model=gpt2&tab=layers opens Layers.
# Features with their own module (ui/model_tabs) add tabs after the five built-in ones where they apply.
TABS = ("overview", "architecture", "layers", "code", "try", *model_tabs.extra_tabs(key))
labels = [t(f"model.tab_{name}") for name in TABS]
wanted = st.query_params.get("tab", TABS[0])
wanted = wanted if wanted in TABS else TABS[0]


def _on_tab() -> None:
    name = TABS[labels.index(st.session_state.model_tab)] if st.session_state.model_tab in labels else TABS[0]
    st.query_params["tab"] = name


tab_overview, tab_arch, tab_layers, tab_code, tab_try, *tabs_extra = st.tabs(
    labels, key="model_tab", default=labels[TABS.index(wanted)], on_change=_on_tab
)


def tab_heading(name: str) -> None:
    """The open tab's name as a heading for screen readers (h1 title → h2 tab → h3 sections), not drawn twice."""
    common.hidden_heading(t(f"model.tab_{name}"))


def artifact() -> dict | None:
    """This model's introspection artifact; a first visit builds it in a worker process meanwhile.
    None, with a message shown, if the model cannot be inspected or the build failed."""
    with guarded(t):  # anything unexpected: a clear message, logged once
        try:
            if common.artifact_ready(key):
                return common.model_artifact(key)
            with st.spinner(t("model.building", name=card.name)):
                return common.model_artifact(key)
        except common.IntrospectionError:  # the reason is in the server log (ui.common), not shown raw
            st.error(t("model.introspect_failed"))
    return None


if tab_overview.open:
    with tab_overview:
        tab_heading("overview")
        left, right = st.columns([3, 2])
        with left:
            st.markdown(loc.summary)
            st.markdown(f"**{t('model.paper')}:** [{card.paper.title}]({card.paper.url})" + (f" — {card.paper.authors}" if card.paper.authors else ""))
            for title, items in (("scenarios", loc.scenarios), ("strengths", loc.strengths), ("weaknesses", loc.weaknesses)):
                st.markdown(f"**{t(f'model.{title}')}**")
                st.markdown("\n".join(f"- {s}" for s in items))
        with right:
            fig = card.params
            st.metric(t("model.published_params"), ("≈" if fig.approx else "") + f"{fig.value:,.0f}", help=fig.source)
            with guarded(t):
                art = artifact()
                measured = art["summary"]["params"]["unique"] if art else None
                if measured is not None and fig.matches(measured):
                    note = t("model.params_approx", pct=int(fig.tolerance * 100)) if fig.approx else t("model.params_match")
                    st.success(f"{t('model.measured_params')}: {measured:,} — {note}")
                elif measured is not None:
                    st.warning(f"{t('model.measured_params')}: {measured:,} — {t('model.params_mismatch')}")
            if card.metric:
                name, dataset = metric_label(t, card), metric_dataset(t, card)
                st.metric(t("model.metric"), metric_value(card), help=t("model.metric_help", name=name, dataset=dataset,
                                                                        source=card.metric.source))
                st.caption(f"{name} · {dataset}")
            st.markdown(f"**{t('model.input')}:** {loc.input}  \n**{t('model.output')}:** {loc.output}")
            note = config_note(t, card, loc)
            if note:
                st.markdown(f"**{t('model.config')}:** {note}")
            st.markdown(f"**{t('model.family')}:** {card.family}")
            trained = zoo_weights.available(key)
            if trained:
                st.markdown(f"**{t('model.weights')}**")
                for w in trained:
                    metrics = ", ".join(f"{k} {v:g}" for k, v in w.metrics.items())
                    origin = t("model.weights_shipped") if w.source == "shipped" else t("model.weights_package")
                    st.markdown(f"- `{w.name}` — {w.dataset} · {origin}" + (f" · {metrics}" if metrics else ""))
                st.code(f'zoo.create_model("{key}", weights="{trained[0].name}")', language="python", wrap_lines=True)
        with guarded(t):
            model_tabs.render_sections(model_tabs.OVERVIEW, key, t)

if tab_arch.open:
    with tab_arch:
        tab_heading("architecture")
        from urllib.parse import urlencode

        from ui import viewer as arch_viewer
        from ui.i18n import strings as locale_strings

        # the interactive viewer (ui/viewer) by default; the static torchview picture stays as a fallback
        mode = st.segmented_control(
            t("viewer.mode"), ["interactive", "static"], key="graph_mode", required=True,
            default="static" if st.query_params.get("graph") == "static" else "interactive",
            format_func=lambda m: t(f"viewer.mode_{m}"),
        )
        if mode != "static":
            art = artifact()
            if art is not None:
                with guarded(t):
                    st.caption(t("viewer.help"))
                    if art["device"] == "meta":
                        st.info(t("model.graph_meta"))
                    arch_viewer.viewer(
                        art["graph"], key=f"arch_viewer_{key}", labels=arch_viewer.labels_for(locale_strings(lang)),
                        name=key, code_href="?" + urlencode({"model": key, "tab": "code", "lang": lang}),
                        source_path=(art.get("source") or {}).get("path"), height=680,
                    )
                    st.download_button(t("model.download_graph_json"), json.dumps(art["graph"], ensure_ascii=False),
                                       file_name=f"{key}_graph.json", mime="application/json", on_click="ignore",
                                       help=t("model.graph_json_help"), key="graph_json_interactive")
        if mode == "static":
            c1, c2 = st.columns([3, 2])
            depth = c1.slider(t("model.depth"), 1, max(introspect.DEPTHS), 2, key="graph_depth", help=t("model.depth_help"))
            direction = c2.segmented_control(
                t("model.direction"), ["TB", "LR"], default="TB", key="graph_dir", required=True,
                format_func=lambda d: t("model.direction_tb") if d == "TB" else t("model.direction_lr"),
            )
            art = artifact()
            if art is not None:
                with guarded(t):
                    drawn_depth = introspect.readable_depth(art["dot"], depth)
                    graph = art["dot"][str(drawn_depth)]
                    dot = introspect.with_direction(graph["dot"], direction or "TB")
                    st.caption(t("model.graph_caption", shape=art["example_input"]))
                    if drawn_depth < depth:
                        st.info(t("model.graph_reduced", asked=depth, shown=drawn_depth))
                    if art["device"] == "meta":
                        st.info(t("model.graph_meta"))
                    if graph["edges"] > 2 * introspect.MAX_READABLE_EDGES:  # even the top level is too big to lay out
                        st.warning(t("model.graph_too_big", edges=graph["edges"]))
                    else:
                        st.graphviz_chart(dot)  # natural size: small graphs stay small, big ones scroll
                    d1, d2 = st.columns(2)
                    d1.download_button(t("model.download_dot"), dot, file_name=f"{key}_depth{drawn_depth}.dot",
                                       mime="text/vnd.graphviz", on_click="ignore")
                    d2.download_button(t("model.download_graph_json"), json.dumps(art["graph"], ensure_ascii=False),
                                       file_name=f"{key}_graph.json", mime="application/json", on_click="ignore",
                                       help=t("model.graph_json_help"))

if tab_layers.open:
    with tab_layers:
        tab_heading("layers")
        art = artifact()
        if art is not None:
            with guarded(t):
                s = art["summary"]
                deepest = max((r["depth"] for r in s["rows"]), default=1)
                sdepth = deepest  # a flat model (LeNet-5) has nothing to fold
                if deepest > 1:
                    sdepth = st.slider(t("model.summary_depth"), 1, deepest, min(3, deepest), key="summary_depth")
                p, mem = s["params"], s["memory"]
                # five compact metrics that wrap onto a second row where the page is narrow, instead of clipping
                row = st.container(horizontal=True, gap="small")
                m1, m2, m3, m4, m5 = (row.container(width=150) for _ in range(5))
                m1.metric(t("model.total_params"), human_count(p["unique"]), help=t("model.params_help", n=f"{p['unique']:,}", tied=f"{p['total'] - p['unique']:,}"))
                m2.metric(t("model.trainable"), human_count(p["trainable"]), help=f"{p['trainable']:,}")
                m3.metric(t("model.macs"), human_count(s["macs"]), help=t("model.macs_help", n=f"{s['macs']:,}"))
                m4.metric(t("model.flops"), human_count(s["flops"]), help=t("model.flops_help", n=f"{s['flops']:,}"))
                m5.metric(t("model.memory"), f"{mem['total'] / 2**20:,.1f}",
                          help=t("model.memory_help", params=f"{mem['params'] / 2**20:,.1f}", buffers=f"{mem['buffers'] / 2**20:,.1f}",
                                 inputs=f"{mem['inputs'] / 2**20:,.2f}", activations=f"{mem['activations'] / 2**20:,.1f}"))
                st.caption(t("model.rows_rule"))
                import pandas as pd

                rows = [r for r in s["rows"] if r["depth"] <= sdepth]
                df = pd.DataFrame(rows, columns=["name", "type", "depth", "input_shape", "output_shape", "params", "macs", "flops"])
                df = df.rename(columns={"name": t("model.col_name"), "type": t("model.col_type"), "depth": t("model.col_depth"),
                                        "input_shape": t("model.col_input"), "output_shape": t("model.col_shape"),
                                        "params": t("model.col_params"), "macs": t("model.col_macs"), "flops": t("model.col_flops")})
                number = st.column_config.NumberColumn(format="localized")
                st.dataframe(df, hide_index=True, width="stretch",
                             column_config={t(f"model.col_{c}"): number for c in ("params", "macs", "flops")})
                with st.expander(t("model.torchinfo_text")):
                    st.code(s["text"], language=None)

if tab_code.open:
    with tab_code, guarded(t):
        tab_heading("code")
        model_tabs.render_sections(model_tabs.CODE, key, t)
        src = common.source(key)
        st.caption(t("model.code_caption", path=src["path"], lines=src["lines"], line=src["line"]))
        file_name = src["path"].rsplit("/", 1)[-1]
        st.download_button(t("model.download_code", file=file_name), src["text"], file_name=file_name, mime="text/x-python", on_click="ignore")
        # ?line=N (the architecture viewer's node links): that line, marked, with a few around it, above the file
        wanted_line = st.query_params.get("line", "")
        code_lines = src["text"].splitlines()
        if wanted_line.isdigit() and 1 <= int(wanted_line) <= len(code_lines):
            at_line = int(wanted_line)
            first, last = max(1, at_line - 4), min(len(code_lines), at_line + 8)
            width = len(str(last))
            st.caption(t("viewer.code_excerpt", line=at_line, path=src["path"]))
            st.code("\n".join(f"{'▶' if i == at_line else ' '} {i:>{width}}  {code_lines[i - 1]}" for i in range(first, last + 1)),
                    language="python", wrap_lines=True)
        # wrapped, not scrolled sideways: a phone reads it without a second scroll bar, and a keyboard user
        # needs no way into a scrolling region that takes no focus
        st.code(src["text"], language="python", line_numbers=True, wrap_lines=True)

if tab_try.open:
    with tab_try:
        tab_heading("try")
        demos = demo_registry.for_model(key)
        if not demos:
            others = sorted({m for d in demo_registry.all_demos() for m in d.models})
            st.info(t("model.no_demo_short", name=card.name) if others else t("model.no_demos_yet"))
            if others:
                with st.container(horizontal=True, gap="small"):
                    for other in others:
                        model_link(other, zoo.card(other).name, tab="try")
        else:
            from ui.demo_views import render_demo

            for d in demos:
                with guarded(t):
                    render_demo(d, key, t)

for name, tab in zip(TABS[5:], tabs_extra):
    if tab.open:
        with tab, guarded(t):
            tab_heading(name)
            model_tabs.render_tab(name, key, t)
