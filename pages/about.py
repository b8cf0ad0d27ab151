"""About: what DeepZoo is, how models are verified, how to run it."""

import streamlit as st

import zoo
from ui.common import translator
from zoo.catalog import level_shares

t = translator()
st.title(t("about.title"))
keys = zoo.list_models()
c1, c2 = st.columns(2)
c1.metric(t("about.models"), len(keys))
c2.metric(t("about.domains"), len({zoo.card(k).domain for k in keys}))
st.markdown(t("about.body"))
st.header(t("about.levels_title"), anchor=False)
st.markdown(t("about.levels_body"))
with st.container(horizontal=True, gap="small"):
    for level, share in level_shares(keys).items():
        n = sum(zoo.card(k).level == level for k in keys)
        st.metric(t(f"level.{level}"), n, help=t("about.level_share", pct=f"{share:.0%}"), width=150)
