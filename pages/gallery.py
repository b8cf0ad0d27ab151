"""Gallery (home): every model as a card, grouped by domain, with filters, search and sorting."""

import streamlit as st

import zoo
from ui.common import domain_label, model_link, params_text, translator
from zoo.catalog import SORTS, Filters, facets, search

t = translator()
lang = t.lang
all_keys = zoo.list_models()
f = facets()

st.title(t("gallery.title"))
st.caption(t("gallery.subtitle", n=len(all_keys), d=len({zoo.card(k).domain for k in all_keys})))

query = st.text_input(t("gallery.search"), key="q", placeholder=t("gallery.search_placeholder"), bind="query-params")
counts = {d: sum(zoo.card(k).domain == d for k in all_keys) for d in zoo.DOMAINS}
domains = st.pills(
    t("gallery.domains"),
    [d for d in zoo.DOMAINS if counts[d]],
    selection_mode="multi",
    format_func=lambda d: f"{domain_label(t, d)} · {counts[d]}",
    key="domains",
)
c1, c2, c3, c4 = st.columns([3, 2, 3, 2])
tasks = c1.multiselect(t("gallery.tasks"), f["tasks"], key="tasks", placeholder=t("gallery.any"))
levels = c2.multiselect(t("gallery.levels"), f["levels"], format_func=lambda lv: t(f"level.{lv}"), key="levels", placeholder=t("gallery.any"))
lo, hi = f["years"]
years = c3.slider(t("gallery.years"), lo, hi, (lo, hi), key="years") if lo < hi else (lo, hi)
sort = c4.selectbox(t("gallery.sort"), SORTS, format_func=lambda s: t(f"gallery.sort_{s}"), key="sort")

cards = search(Filters(query or "", tuple(domains or ()), tuple(tasks), tuple(levels), tuple(years), sort), lang=lang)
st.caption(t("gallery.showing", shown=len(cards), total=len(all_keys)))
if not cards:
    st.info(t("gallery.none"))

for domain in zoo.DOMAINS:
    in_domain = [c for c in cards if c.domain == domain]
    if not in_domain:
        continue
    st.subheader(f"{domain_label(t, domain)} ({len(in_domain)})")
    for i, c in enumerate(in_domain):
        if i % 3 == 0:  # one row of three cards at a time, so reading order follows the sort
            cols = st.columns(3)
        loc = c.localized(lang)
        with cols[i % 3].container(border=True):
            st.markdown(f"**{c.name}**  \n{loc.task} · {c.year} · {params_text(t, c.key)}")
            st.badge(t(f"level.{c.level}"), color={"basic": "green", "intermediate": "orange", "advanced": "red"}[c.level])
            summary = loc.summary if len(loc.summary) < 180 else loc.summary[:177].rsplit(" ", 1)[0] + "…"
            st.caption(summary)
            model_link(c.key, f"{t('gallery.open')} {c.name} →")
