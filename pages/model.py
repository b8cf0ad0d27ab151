"""Model page: one parametric page, deep-linkable as /model?model=<key>."""

import streamlit as st

import zoo
from ui import common
from ui.common import domain_label, guarded, model_link, translator
from zoo import demos as demo_registry
from zoo import weights as zoo_weights
from zoo.catalog import human_count
from zoo.introspect import MAX_READABLE_EDGES

t = translator()
lang = t.lang
keys = zoo.list_models()

requested = st.query_params.get("model")
if requested is not None and requested not in keys:
    st.error(t("model.unknown", key=requested))
    suggestions = zoo.suggest(requested)
    if suggestions:
        st.write(t("model.suggest"))
        for k in suggestions:
            model_link(k, f"{zoo.card(k).name} ({k})")
    st.page_link("pages/gallery.py", label=t("model.browse"), icon=":material/grid_view:")
    st.stop()


def _on_pick() -> None:
    st.query_params["model"] = st.session_state.model_pick


key = requested or keys[0]
st.query_params["model"] = key  # the URL always names the model shown, so it can be shared
st.sidebar.selectbox(
    t("model.pick"),
    keys,
    index=keys.index(key),
    format_func=lambda k: f"{zoo.card(k).name} · {domain_label(t, zoo.card(k).domain)}",
    key="model_pick",
    on_change=_on_pick,
)
card = zoo.card(key)
loc = card.localized(lang)

st.title(card.name)
st.caption(f"{domain_label(t, card.domain)} · {loc.task} · {card.year} · {t(f'level.{card.level}')} · `{key}`")

tab_overview, tab_arch, tab_layers, tab_code, tab_try = st.tabs(
    [t("model.tab_overview"), t("model.tab_architecture"), t("model.tab_layers"), t("model.tab_code"), t("model.tab_try")]
)

with tab_overview:
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
            measured = common.layer_summary(key, 3)["params"]["unique"]  # same cache entry as the Layers tab
            if fig.matches(measured):
                note = t("model.params_approx", pct=int(fig.tolerance * 100)) if fig.approx else t("model.params_match")
                st.success(f"{t('model.measured_params')}: {measured:,} — {note}")
            else:
                st.warning(f"{t('model.measured_params')}: {measured:,} — {t('model.params_mismatch')}")
        if card.metric:
            m = card.metric
            st.metric(t("model.metric"), f"{m.value:g}{'' if m.unit == '%' else ' '}{m.unit}", help=f"{m.name}, {m.dataset} — {m.source}")
            st.caption(f"{m.name} · {m.dataset}")
        st.markdown(f"**{t('model.input')}:** {loc.input}  \n**{t('model.output')}:** {loc.output}")
        if card.config_note:
            st.markdown(f"**{t('model.config')}:** {card.config_note}")
        st.markdown(f"**{t('model.family')}:** {card.family}")
        trained = zoo_weights.available(key)
        if trained:
            st.markdown(f"**{t('model.weights')}**")
            for w in trained:
                metrics = ", ".join(f"{k} {v:g}" for k, v in w.metrics.items())
                origin = t("model.weights_shipped") if w.source == "shipped" else t("model.weights_package")
                st.markdown(f"- `{w.name}` — {w.dataset} · {origin}" + (f" · {metrics}" if metrics else ""))
            st.code(f'zoo.create_model("{key}", weights="{trained[0].name}")', language="python")

with tab_arch:
    c1, c2 = st.columns([3, 2])
    depth = c1.slider(t("model.depth"), 1, 4, 2, key="graph_depth", help=t("model.depth_help"))
    direction = c2.segmented_control(
        t("model.direction"), ["TB", "LR"], default="TB", key="graph_dir", required=True,
        format_func=lambda d: t("model.direction_tb") if d == "TB" else t("model.direction_lr"),
    )
    with guarded(t), st.spinner(t("model.computing")):
        dot, drawn_depth = common.graph_dot(key, depth, direction or "TB")
        st.caption(t("model.graph_caption", shape=common.example_shape(key)))
        if drawn_depth < depth:
            st.info(t("model.graph_reduced", asked=depth, shown=drawn_depth))
        if card.big:
            st.info(t("model.graph_meta"))
        edges = dot.count("->")
        if edges > 2 * MAX_READABLE_EDGES:  # even the top level is too big to lay out in a browser
            st.warning(t("model.graph_too_big", edges=edges))
        else:
            st.graphviz_chart(dot)  # natural size: small graphs stay small, big ones scroll
        st.download_button(t("model.download_dot"), dot, file_name=f"{key}_depth{drawn_depth}.dot", mime="text/vnd.graphviz", on_click="ignore")

with tab_layers:
    sdepth = st.slider(t("model.summary_depth"), 1, 5, 3, key="summary_depth")
    with guarded(t), st.spinner(t("model.computing")):
        s = common.layer_summary(key, sdepth)
        p = s["params"]
        m1, m2, m3, m4, m5 = st.columns(5)
        m1.metric(t("model.total_params"), human_count(p["unique"]), help=f"{p['unique']:,}")
        m2.metric(t("model.trainable"), human_count(p["trainable"]), help=f"{p['trainable']:,}")
        m3.metric(t("model.macs"), human_count(s["macs"]), help=t("model.macs_help"))
        m4.metric(t("model.flops"), human_count(s["flops"]), help=t("model.flops_help"))
        m5.metric(t("model.memory"), f"{s['memory_mb']:,.1f}", help=t("model.memory_help"))
        import pandas as pd

        df = pd.DataFrame(s["rows"])
        df = df.rename(columns={"name": t("model.col_name"), "type": t("model.col_type"), "depth": t("model.col_depth"),
                                "output_shape": t("model.col_shape"), "params": t("model.col_params"), "macs": t("model.col_macs")})
        st.dataframe(df.drop(columns=["trainable"]), hide_index=True, width="stretch",
                     column_config={t("model.col_params"): st.column_config.NumberColumn(format="localized"),
                                    t("model.col_macs"): st.column_config.NumberColumn(format="localized")})
        with st.expander(t("model.torchinfo_text")):
            st.code(s["text"], language=None)

with tab_code:
    with guarded(t):
        src = common.source(key)
        st.caption(t("model.code_caption", path=src["path"], lines=src["lines"], line=src["line"]))
        file_name = src["path"].rsplit("/", 1)[-1]
        st.download_button(t("model.download_code", file=file_name), src["text"], file_name=file_name, mime="text/x-python", on_click="ignore")
        st.code(src["text"], language="python", line_numbers=True)

with tab_try:
    demos = demo_registry.for_model(key)
    if not demos:
        others = sorted({m for d in demo_registry.all_demos() for m in d.models})
        st.info(t("model.no_demo", name=card.name, models=", ".join(others)) if others else t("model.no_demos_yet"))
    else:
        from ui.demo_views import render_demo

        for d in demos:
            with guarded(t):
                render_demo(d, key, t)
