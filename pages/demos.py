"""Demos: every live demo, with the models it serves; each link opens the model page on its Try-it tab."""

import streamlit as st

import zoo
from ui.common import model_link, translator
from zoo import demos as demo_registry

t = translator()
st.title(t("demos.title"))
st.caption(t("demos.subtitle"))
st.header(t("demos.list"), anchor=False)  # h1 → h2 → h3: each demo's title is one level below
all_demos = demo_registry.all_demos()
if not all_demos:
    st.info(t("model.no_demos_yet"))
for d in all_demos:
    with st.container(border=True):
        st.subheader(d.text("title", t.lang), anchor=False)
        st.markdown(d.text("description", t.lang))
        with st.container(horizontal=True, gap="medium"):
            for key in d.models:
                model_link(key, t("demos.open_model", name=zoo.card(key).name), tab="try",
                           icon=":material/play_circle:")
