"""About: what DeepZoo is, how models are verified, how to run it."""

import streamlit as st

import zoo
from ui.common import translator

t = translator()
st.title(t("about.title"))
keys = zoo.list_models()
c1, c2 = st.columns(2)
c1.metric(t("about.models"), len(keys))
c2.metric(t("about.domains"), len({zoo.card(k).domain for k in keys}))
st.markdown(t("about.body"))
