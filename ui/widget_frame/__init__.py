"""An embedded Gradio widget whose frame is exactly as tall as its content: no scrollbar inside the page.

Gradio's pages already carry the content side of iframe-resizer (v4.3.1, `iframeResizer.contentWindow.min.js`)
and report their height through it whenever their layout changes (an output appears, a table grows). This
Streamlit components-v2 element is the host side: it creates the <iframe> and runs iframe-resizer's host script
(`static/iframeResizer.min.js`, MIT, same version, built from `frontend/`, see README.md) on it, which sets
the frame's height to each reported height; the element has `height="content"`, so Streamlit's layout follows.
Gradio's report is an estimate that can fall a few pixels short (seen: 15 px, a note under an output), so the
host also measures what overflows the (same-origin) frame and grows it to fit.

Python sends data only (the widget's URL, built from our own constants, and a translated title); nothing is
put into HTML or JavaScript source.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
NAME = "deepzoo.widget_frame"
MIN_HEIGHT = 320  # px before the widget reports its height (Gradio never asks for less either)

_GLUE = """
export default function (component) {
  const { data, parentElement } = component;
  if (!data || !data.src) return;
  let frame = parentElement.querySelector("iframe.dz-widget");
  if (frame && frame.dataset.src === data.src) return;
  if (frame) {
    if (frame.iFrameResizer) frame.iFrameResizer.removeListeners();
    frame.remove();
  }
  frame = document.createElement("iframe");
  frame.className = "dz-widget";
  frame.dataset.src = data.src;
  frame.title = data.title;
  frame.setAttribute("scrolling", "no");
  frame.style.cssText = `display:block;width:100%;border:0;height:${data.minHeight}px`;
  frame.src = data.src;
  parentElement.appendChild(frame);
  // Gradio's estimate of its height can fall a few pixels short of its content (a note under an output, the
  // footer): the frame is same-origin, so whatever overflows it is measured here too and the frame grows to it
  let queued = false;
  const fit = () => {
    queued = false;
    const doc = frame.contentDocument && frame.contentDocument.documentElement;
    if (doc && doc.scrollHeight > frame.getBoundingClientRect().height + 1) frame.style.height = `${doc.scrollHeight}px`;
  };
  const soon = () => { if (!queued) { queued = true; requestAnimationFrame(fit); } };
  frame.addEventListener("load", () => {
    const body = frame.contentDocument && frame.contentDocument.body;
    if (!body) return;
    new MutationObserver(soon).observe(body, { subtree: true, childList: true, attributes: true, characterData: true });
    new ResizeObserver(soon).observe(body);
  });
  // the widget is served by this server under /gradio/<name>/ (same origin)
  window.iFrameResize({ checkOrigin: [window.location.origin], scrolling: false, warningTimeout: 0,
                        minHeight: data.minHeight, onResized: soon }, frame);
}
"""
_lock = threading.Lock()
_renderer: Callable[..., Any] | None = None


def _script() -> str:
    library = (HERE / "static" / "iframeResizer.min.js").read_text(encoding="utf-8")
    library = "\n".join(line for line in library.splitlines() if not line.startswith("//# sourceMappingURL"))
    return library + "\n" + _GLUE  # the library defines window.iFrameResize; the glue is the module's export


def _component() -> Callable[..., Any]:
    global _renderer
    import streamlit as st

    with _lock:
        if _renderer is None:
            # in the page's own DOM (not a shadow root), so page-level tools and tests find the frame
            _renderer = st.components.v2.component(NAME, js=_script(), isolate_styles=False)
    return _renderer


def widget_frame(src: str, *, key: str, title: str, min_height: int = MIN_HEIGHT) -> Any:
    """Embed the widget page at `src` (same origin), sized to its content."""
    return _component()(key=key, data={"src": src, "title": title, "minHeight": int(min_height)})
