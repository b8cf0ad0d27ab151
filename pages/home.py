"""Home: what DeepZoo is in one line, a learning path from basic to advanced, and entry points by task."""

import streamlit as st

import zoo
from ui.browser import stored_list
from ui.common import model_link, page_link, translator
from zoo import demos as demo_registry
from zoo import path as learning_path
from zoo.card import LEVELS
from zoo.catalog import PICKS, Filters, search

t = translator()
keys = zoo.list_models()
steps = learning_path.steps()
with_demo = {m for d in demo_registry.all_demos() for m in d.models}

# Progress lives in the browser (localStorage), not on the server: the first run asks the browser what it holds;
# its answer arrives as a rerun, which ticks the steps already done.
if "path_done" not in st.session_state:
    held = stored_list("path")
    if held is not None:
        st.session_state.path_done = set(held) & set(steps)
        for k in st.session_state.path_done:
            st.session_state[f"path_step_{k}"] = True
done: set[str] = st.session_state.get("path_done", set())


def _mark(key: str) -> None:
    marked = set(st.session_state.get("path_done", set()))
    (marked.add if st.session_state[f"path_step_{key}"] else marked.discard)(key)
    st.session_state.path_done = marked
    st.session_state.path_save = sorted(marked)


if "path_save" in st.session_state:  # a tick changed: the browser keeps the new list
    stored_list("path", save=st.session_state.pop("path_save"))

st.title(t("app.title"))
st.markdown(f"**{t('home.lead', n=len(keys))}**")
nxt = learning_path.next_step(done)
with st.container(horizontal=True, gap="small"):
    if nxt is not None:
        label = t("home.start_path") if not done else t("home.continue_path", name=zoo.card(nxt).name)
        model_link(nxt, label, icon=":material/school:")
    page_link("pages/gallery.py", t("home.browse", n=len(keys)), icon=":material/grid_view:")
    page_link("pages/demos.py", t("home.demos"), icon=":material/play_circle:")

st.header(t("home.path_title"), anchor=False)
st.caption(t("home.path_intro", n=len(steps)))
st.progress(len(done) / len(steps), text=t("home.progress", done=len(done), total=len(steps)))
for i, key in enumerate(steps, 1):
    c = zoo.card(key)
    mark = "✓ " if key in done else ""
    with st.expander(f"{mark}{i}. {c.name} · {t(f'level.{c.level}')} · {c.year}", expanded=key == nxt):
        st.markdown(f"**{t('home.why')}** {t(f'home.step.{key}.why')}")
        st.markdown(f"**{t('home.changed')}** {t(f'home.step.{key}.changed')}")
        with st.container(horizontal=True, gap="small", vertical_alignment="center"):
            model_link(key, t("home.open", name=c.name), icon=":material/schema:")
            if key in with_demo:
                model_link(key, t("home.try"), tab="try", icon=":material/play_circle:")
            st.checkbox(t("home.done"), key=f"path_step_{key}", on_change=_mark, args=(key,))
st.caption(t("home.progress_kept"))

st.header(t("home.pick_title"), anchor=False)
picks = st.container(horizontal=True, key="cardgrid_picks")
for entry in PICKS:
    found = search(Filters(pick=entry.name, sort="size_asc"), lang=t.lang)
    if not found:
        continue
    first = min(found, key=lambda c: (LEVELS.index(c.level), c.year))  # the gentlest way in
    with picks.container(border=True):
        st.markdown(f"**{t(f'home.pick.{entry.name}.title')}**")
        st.caption(t(f"home.pick.{entry.name}.blurb"))
        page_link("pages/gallery.py", t("home.pick_see", n=len(found)), {"pick": entry.name},
                  icon=":material/filter_list:")
        model_link(first.key, t("home.pick_start", name=first.name), icon=":material/school:")
