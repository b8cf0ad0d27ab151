"""Overview section: the published checkpoints a model can load (`zoo.pretrained`), with a copyable snippet,
and — only when this server can reach the Hugging Face Hub — a button that loads one here. It sits in a
closed expander that draws nothing until opened, so the Overview stays as light as before.

Whether the Hub answers is decided by `zoo.pretrained.hub_online`: at once under HF_HUB_OFFLINE, else one TCP
probe bounded to 1.5 s whose answer is kept for a minute, so the page never hangs on a dead network.
"""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

import zoo
from zoo import pretrained

from ..heavy import heavy_job
from ..i18n import Translator
from ..safe import md

# The button loads models up to this size (the published parameter count on the card): bigger ones would
# download gigabytes and fill this server's memory; their snippet still works on your own machine.
HUB_LOAD_LIMIT = 150_000_000


def render(key: str, t: Translator) -> None:
    found = pretrained.layouts(key)
    if not found:
        return
    known = pretrained.known_checkpoints(key)
    # lazy: the list, the snippet and the Hub probe are drawn only once the visitor opens it
    section = st.expander(
        t("pretrained.title", n=len(known)), key=f"pretrained_{key}", icon=":material/cloud_download:", on_change="rerun"
    )
    if section.open:
        with section:
            _render_open(key, found, known, t)


def _render_open(key: str, found: list[pretrained.Layout], known: list[pretrained.KnownCheckpoint], t: Translator) -> None:
    titles = ", ".join(pretrained.LAYOUT_TITLES.get(lay.name, lay.name) for lay in found)
    st.caption(t("pretrained.layouts", layouts=titles))
    if known:
        st.dataframe(_table(known, t), hide_index=True, width="stretch")
        st.code(_snippet(key, known), language="python")
    else:
        st.caption(t("pretrained.none_known"))
    hub = [c for c in known if c.source.startswith("hf://")]
    if not hub:
        return
    if not pretrained.hub_online():
        st.caption(t("pretrained.offline"))
        return
    if zoo.card(key).params.value > HUB_LOAD_LIMIT:
        st.caption(t("pretrained.too_big", limit=f"{HUB_LOAD_LIMIT / 1e6:.0f}M"))
        return
    _load_from_hub(key, hub, t)


def _table(known: list[pretrained.KnownCheckpoint], t: Translator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("pretrained.col_source"): [c.source for c in known],
            t("pretrained.col_layout"): [pretrained.LAYOUT_TITLES.get(c.layout, c.layout) for c in known],
            t("pretrained.col_licence"): [c.licence or t("pretrained.licence_unknown") for c in known],
            t("pretrained.col_dataset"): [c.dataset for c in known],
            t("pretrained.col_metric"): [c.metric_text() or "—" for c in known],
        }
    )


def _snippet(key: str, known: list[pretrained.KnownCheckpoint]) -> str:
    lines = ["import zoo", ""]
    for c in known:
        if c.url:  # a torchvision file: download it first, then pass its path
            lines.append(f"# {c.url}")
        lines.append(f'model = zoo.create_model("{key}", weights="{c.source}")')
    return "\n".join(lines)


def _load_from_hub(key: str, hub: list[pretrained.KnownCheckpoint], t: Translator) -> None:
    sources = [c.source for c in hub]
    source = st.selectbox(t("pretrained.pick"), sources, key=f"pretrained_pick_{key}") if len(sources) > 1 else sources[0]
    if not st.button(t("pretrained.load", source=md(source)), key=f"pretrained_load_{key}", icon=":material/download:"):
        return
    with heavy_job(t), st.spinner(t("pretrained.loading", source=md(source))):
        start = time.perf_counter()
        try:
            model = zoo.create_model(key, weights=source)
        except pretrained.PretrainedUnavailable:
            st.warning(t("pretrained.failed_download", source=md(source)))
            return
        except (pretrained.CheckpointMismatch, pretrained.PretrainedError):
            st.error(t("pretrained.failed_mismatch", source=md(source)))
            return
        seconds = time.perf_counter() - start
    params = sum(p.numel() for p in model.parameters())
    st.success(t("pretrained.loaded", source=md(source), params=f"{params:,}", seconds=f"{seconds:.1f}"))
