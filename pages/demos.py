"""Demos: every live demo, with the models it serves."""

import streamlit as st

import zoo
from ui.common import model_link, translator
from zoo import demos as demo_registry

t = translator()
st.title(t("demos.title"))
st.caption(t("demos.subtitle"))
all_demos = demo_registry.all_demos()
if not all_demos:
    st.info(t("model.no_demos_yet"))
for d in all_demos:
    with st.container(border=True):
        st.subheader(d.text("title", t.lang))
        st.markdown(d.text("description", t.lang))
        cols = st.columns(max(1, len(d.models)))
        for col, key in zip(cols, d.models):
            with col:
                model_link(key, t("demos.open_model", name=zoo.card(key).name))
