"""Gallery: every model, one card per family (variants as chips) or one row per model in a sortable table, with
search, filters and a way to pick models to compare."""

import pandas as pd
import streamlit as st

import zoo
from ui.common import (MODEL_PAGE, domain_label, level_badge, metric_label, metric_value, model_link, page_link_or_href,
                       params_text, translator, with_lang)
from zoo.catalog import LEVELS, SORTS, Filters, facets, families, known_macs, pick, search, variant_label

FEW = 6  # families shown per domain until "see all"
t = translator()
lang = t.lang
all_keys = zoo.list_models()
f = facets()
counts = {d: sum(zoo.card(k).domain == d for k in all_keys) for d in zoo.DOMAINS}

# A "pick by task" link from the home page (?pick=find_objects) narrows the gallery until it is cleared.
picked = pick(st.query_params.get("pick", ""))
if picked is None and "pick" in st.query_params:
    del st.query_params["pick"]

st.title(t("gallery.title"))
st.caption(t("gallery.subtitle", n=len(all_keys), d=sum(1 for n in counts.values() if n)))
st.markdown(f"[{t('gallery.skip_to_results')}](#results)")

query = st.text_input(t("gallery.search"), key="q", placeholder=t("gallery.search_placeholder"), bind="query-params")
lo, hi = f["years"]
active = sum(bool(st.session_state.get(k)) for k in ("domains", "tasks", "levels")) + (
    tuple(st.session_state.get("years", (lo, hi))) != (lo, hi)) + (st.session_state.get("sort", SORTS[0]) != SORTS[0])
# collapsed by default, on every screen: the results come first, and a phone does not scroll past four widgets
with st.expander(t("gallery.filters_active", n=active) if active else t("gallery.filters"), icon=":material/tune:"):
    domains = st.pills(
        t("gallery.domains"),
        [d for d in zoo.DOMAINS if counts[d]],
        selection_mode="multi",
        format_func=lambda d: f"{domain_label(t, d)} · {counts[d]}",
        key="domains",
    )
    c1, c2 = st.columns(2)
    tasks = c1.multiselect(t("gallery.tasks"), f["tasks"], key="tasks", placeholder=t("gallery.any"))
    levels = c2.multiselect(t("gallery.levels"), f["levels"], format_func=lambda lv: t(f"level.{lv}"), key="levels",
                            placeholder=t("gallery.any"))
    years = c1.slider(t("gallery.years"), lo, hi, (lo, hi), key="years") if lo < hi else (lo, hi)
    sort = c2.selectbox(t("gallery.sort"), SORTS, format_func=lambda s: t(f"gallery.sort_{s}"), key="sort")

cards = search(Filters(query or "", picked.name if picked else "", tuple(domains or ()), tuple(tasks), tuple(levels),
                       tuple(years), sort), lang=lang)
groups = families(cards)

VIEWS = ("cards", "table")
if "view" not in st.session_state:  # ?view=table opens the table (the same word in every language)
    st.session_state.view = st.query_params.get("view") if st.query_params.get("view") in VIEWS else VIEWS[0]


def _remember_view() -> None:
    st.query_params["view"] = st.session_state.view


st.header(t("gallery.results"), anchor="results")
if picked is not None:
    with st.container(horizontal=True, vertical_alignment="center"):
        st.markdown(t("gallery.picked", what=t(f"home.pick.{picked.name}.title")))
        if st.button(t("gallery.clear_pick"), icon=":material/close:", key="clear_pick"):
            del st.query_params["pick"]
            st.rerun()
with st.container(horizontal=True, vertical_alignment="bottom", gap="medium"):
    view = st.segmented_control(t("gallery.view"), VIEWS, required=True, key="view", on_change=_remember_view,
                                format_func=lambda v: t(f"gallery.view_{v}"))
    shown_text = t("gallery.showing", shown=len(cards), total=len(all_keys))
    st.caption(f"{shown_text} · {t('gallery.in_families', n=len(groups))}")

# Models picked for comparison: the toggle on a card (its lead variant) or rows ticked in the table.
if view == "table":
    table_keys = [c.key for c in cards]
    ticked = st.session_state.get("table", {}).get("selection", {}).get("rows", [])
    chosen = [table_keys[i] for i in ticked if i < len(table_keys)]
else:
    chosen = [c.key for c in cards if st.session_state.get(f"compare_{c.key}")]
with st.container(horizontal=True, gap="medium", vertical_alignment="center"):
    if len(chosen) >= 2:
        page_link_or_href("pages/compare.py", "compare", t("gallery.compare_selected", n=len(chosen)),
                          {"models": ",".join(chosen)}, icon=":material/compare_arrows:")
    else:
        st.caption(t("gallery.compare_hint_table") if view == "table" else t("gallery.compare_hint"))
    page_link_or_href("pages/compare.py", "compare", t("gallery.compare_guide"), {"tab": "guide"},
                      icon=":material/menu_book:")
if not cards:
    st.info(t("gallery.none"))


def _flip(state_key: str) -> None:
    st.session_state[state_key] = not st.session_state.get(state_key, False)


def short_summary(text: str) -> str:
    """About three lines of a card: 180 characters of English, 90 of Chinese (each character is about two
    letters wide), cut at a word where words are spaced."""
    limit = 180 if lang == "en" else 90
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] and lang == "en" else cut) + "…"


def family_card(fam) -> None:
    lead = fam.lead
    loc = lead.localized(lang)
    with st.container(border=True):
        title = lead.name if len(fam.variants) == 1 else f"{fam.name} · {t('gallery.variants_n', n=len(fam.variants))}"
        st.markdown(f"**{title}**  \n{loc.task} · {lead.year} · {params_text(t, lead.key)}")
        level_badge(t, lead.level)
        summary = short_summary(loc.summary)
        st.caption(summary)
        if len(fam.variants) > 1:  # chips: every variant, smallest first, each opening its own page
            with st.container(horizontal=True, gap="small", key=f"chips_{lead.key}"):
                for v in sorted(fam.variants, key=lambda c: c.params.value):
                    model_link(v.key, variant_label(v, fam), help=v.name)
        model_link(lead.key, t("gallery.open_model", name=lead.name))
        st.toggle(t("gallery.compare"), key=f"compare_{lead.key}", help=t("gallery.compare_help", name=lead.name))


if view == "table":
    macs = known_macs([c.key for c in cards])
    rows = pd.DataFrame({
        t("gallery.col_model"): [c.name for c in cards],
        t("gallery.col_family"): [c.family for c in cards],
        t("gallery.col_domain"): [domain_label(t, c.domain) for c in cards],
        t("gallery.col_year"): [str(c.year) for c in cards],  # a label, not a number to format (4 digits sort right)
        t("gallery.col_params"): [c.params.value for c in cards],
        t("gallery.col_macs"): [macs.get(c.key) for c in cards],
        t("gallery.col_metric"): [f"{metric_value(c)} {metric_label(t, c)}" if c.metric else None for c in cards],
        t("gallery.col_level"): [f"{LEVELS.index(c.level) + 1} · {t(f'level.{c.level}')}" for c in cards],
        t("gallery.col_link"): [f"{MODEL_PAGE.removeprefix('pages/').removesuffix('.py')}?"
                                f"model={c.key}&lang={with_lang()['lang']}" for c in cards],
    })
    compact = st.column_config.NumberColumn
    st.dataframe(rows, hide_index=True, width="stretch", key="table", on_select="rerun", selection_mode="multi-row",
                 placeholder="—",
                 column_config={
                     t("gallery.col_params"): compact(format="compact", help=t("gallery.col_params_help")),
                     t("gallery.col_macs"): compact(format="compact", help=t("gallery.col_macs_help")),
                     t("gallery.col_link"): st.column_config.LinkColumn(display_text=t("gallery.open")),
                 })
    st.caption(t("gallery.table_note", known=len(macs), n=len(cards)))
else:
    for domain in zoo.DOMAINS:
        in_domain = [g for g in groups if g.domain == domain]
        if not in_domain:
            continue
        n_models = sum(len(g.variants) for g in in_domain)
        st.subheader(t("gallery.domain_heading", domain=domain_label(t, domain), n=n_models, families=len(in_domain)),
                     anchor=False)
        see_all = st.session_state.get(f"all_{domain}", False) or len(in_domain) <= FEW
        # a grid that fits as many ~280 px cards in a row as the width allows (ui.common.STYLE), in reading order
        with st.container(horizontal=True, key=f"cardgrid_{domain}"):
            for fam in in_domain if see_all else in_domain[:FEW]:
                family_card(fam)
        if len(in_domain) > FEW:
            label = (t("gallery.show_few") if see_all else
                     t("gallery.see_all", n=len(in_domain), domain=domain_label(t, domain)))
            st.button(label, key=f"toggle_{domain}", on_click=_flip, args=(f"all_{domain}",),
                      icon=":material/unfold_less:" if see_all else ":material/unfold_more:")
