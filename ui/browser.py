"""Two tiny components-v2 elements that reach the browser itself, which Streamlit's own elements cannot:

- `page_language(lang, skip_label)`: sets `<html lang>` to the app's language (screen readers pick their voice
  from it, and axe-core checks it) and translates Streamlit's own "Skip to main content" link;
- `stored_list(name, save)`: a list of strings kept in the browser's localStorage, so a visitor's learning-path
  progress survives a closed tab. The browser reports what it holds once (`.value`); `save` writes a new list.

Neither renders anything visible. Data goes in as data: nothing passed here ends up in HTML or script source.
"""

from __future__ import annotations

import streamlit as st

_LANGUAGE_JS = """
export default function ({ data }) {
  if (!data) return;
  document.documentElement.lang = data.lang;
  const skip = document.querySelector('[data-testid="stSkipToContent"]');
  if (skip && skip.textContent !== data.skip) skip.textContent = data.skip;
}
"""

_STORE_JS = """
export default function ({ data, setStateValue }) {
  if (!data || !data.name) return;
  const slot = "deepzoo." + data.name;
  if (Array.isArray(data.save)) {
    try { localStorage.setItem(slot, JSON.stringify(data.save)); } catch (e) { /* private mode: not kept */ }
    return;
  }
  let held = [];
  try {
    const parsed = JSON.parse(localStorage.getItem(slot) || "[]");
    if (Array.isArray(parsed)) held = parsed.filter((v) => typeof v === "string").slice(0, 200);
  } catch (e) { held = []; }
  setStateValue("value", held);
}
"""

# registered once per process (a component name must be unique); mounting them costs one tiny element each
_language = st.components.v2.component("deepzoo.page_language", js=_LANGUAGE_JS)
_store = st.components.v2.component("deepzoo.stored_list", js=_STORE_JS)


def page_language(lang: str, skip_label: str) -> None:
    _language(key="page_language", data={"lang": lang, "skip": skip_label})


def stored_list(name: str, save: list[str] | None = None) -> list[str] | None:
    """The list the browser holds under `name` (None until the browser has answered, on the next rerun); with
    `save`, writes that list instead and returns None."""
    result = _store(key=f"stored_{name}", data={"name": name, "save": save}, on_value_change=lambda: None)
    held = getattr(result, "value", None)
    return list(held) if isinstance(held, list) else None
