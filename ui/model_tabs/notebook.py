"""Code tab section: download a Jupyter notebook of this model (`zoo.learn.notebook`), prose in the page's
language."""

from __future__ import annotations

import streamlit as st

from ..i18n import Translator


@st.cache_data(show_spinner=False, max_entries=256)
def _notebook(key: str, lang: str) -> bytes:
    from zoo.learn.notebook import notebook_bytes

    return notebook_bytes(key, lang)


def render(key: str, t: Translator) -> None:
    file_name = f"{key}.ipynb"
    st.markdown(f"**{t('learn.notebook_title')}** — {t('learn.notebook_caption')}")
    c1, c2 = st.columns([2, 3], vertical_alignment="center")
    c1.download_button(t("learn.notebook_download", file=file_name), _notebook(key, t.lang), file_name=file_name,
                       mime="application/x-ipynb+json", on_click="ignore", icon=":material/download:",
                       key=f"notebook_{key}")
    lang = f" --lang {t.lang}" if t.lang != "en" else ""
    c2.caption(t("learn.notebook_cli"))
    c2.code(f"python -m zoo notebook {key} -o {file_name}{lang}", language="bash")
