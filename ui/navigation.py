"""The app's page tree (st.navigation). Pages are files in pages/; titles come from the locale."""

from __future__ import annotations

import streamlit as st

from .browser import page_language
from .common import apply_style, language_picker
from .i18n import Translator


def run() -> None:
    st.set_page_config(page_title="DeepZoo", page_icon=":material/pets:", layout="wide")
    t = Translator(language_picker())
    apply_style()
    page_language(t.lang, t("app.skip_to_main"))
    pages = {
        t("app.section_explore"): [
            st.Page("pages/home.py", title=t("nav.home"), icon=":material/home:", url_path="home", default=True),
            st.Page("pages/gallery.py", title=t("nav.gallery"), icon=":material/grid_view:", url_path="gallery"),
            st.Page("pages/model.py", title=t("nav.model"), icon=":material/schema:", url_path="model"),
            st.Page("pages/demos.py", title=t("nav.demos"), icon=":material/play_circle:", url_path="demos"),
            st.Page("pages/compare.py", title=t("compare.nav"), icon=":material/compare_arrows:", url_path="compare"),
            st.Page("pages/learn.py", title=t("learn.nav"), icon=":material/school:", url_path="learn"),
        ],
        "DeepZoo": [st.Page("pages/about.py", title=t("nav.about"), icon=":material/info:", url_path="about")],
    }
    st.navigation(pages).run()
