"""Interactive architecture viewer: a Streamlit components-v2 element that draws the module-hierarchy graph
of `zoo.introspect` (artifact["graph"]) in the browser.

    from ui.viewer import viewer
    viewer(art["graph"], key="arch", labels=viewer_labels(t), name="resnet50", code_href="?model=resnet50&tab=code")

Layout runs in the browser (Graphviz compiled to WebAssembly, bundled in `static/viewer.js`, built from
`frontend/`, see README.md). Python sends only data: the graph (no weights), the translated labels and the
default view; nothing of it is ever put into HTML or JavaScript source. What is drawn for a given
expanded/folded state is `graph.visible` (the browser has a mirror of it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Mapping

from .graph import DEFAULT_DEPTH, default_expanded, folds, kind_class, prepare, visible

__all__ = ["DEFAULT_DEPTH", "STATIC", "default_expanded", "folds", "kind_class", "labels_for", "preload", "prepare",
           "viewer", "visible"]

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
NAME = "deepzoo.viewer"
_log = logging.getLogger("deepzoo")
_lock = threading.Lock()
_renderer: Callable[..., Any] | None = None
_inline = False


def _declare_assets() -> bool:
    """Declare `static/` as the component's asset directory on the running Streamlit runtime, as an
    installed package's pyproject.toml would (a private API: False if a Streamlit upgrade moved it).
    Checked on every call: each runtime (a server; every AppTest run) has its own component manager."""
    try:
        from streamlit.components.v2 import get_bidi_component_manager
        from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

        manager = get_bidi_component_manager()
        if manager.get_component_asset_root(NAME) is None:
            manifest = ComponentManifest(name="deepzoo", version="1", components=[ComponentConfig(name="viewer", asset_dir="static")])
            manager.register_from_manifest(manifest, HERE)
        return True
    except Exception as e:  # noqa: BLE001
        _log.info("viewer: serving the bundle inline (%s)", e)
        return False


def _component() -> Callable[..., Any]:
    """The component. The bundle is served as a file (/_stcore/bidi-components/deepzoo.viewer/viewer.js,
    fetched once per page and cached) from the declared asset directory; if that cannot be declared the
    bundle goes inline (same behaviour, sent with the element)."""
    global _renderer, _inline
    import streamlit as st

    with _lock:
        file_backed = _declare_assets()
        if _renderer is None or _inline == file_backed:
            _inline = not file_backed
            if file_backed:
                # in the page's own DOM (not a shadow root), so page-level tools and tests see the drawn graph;
                # every class is prefixed dzv- and the styles are scoped under .dzv
                _renderer = st.components.v2.component(NAME, js="viewer.js", css="viewer.css", isolate_styles=False)
            else:
                _renderer = st.components.v2.component(
                    NAME + ".inline", js=(STATIC / "viewer.js").read_text(encoding="utf-8"),
                    css=(STATIC / "viewer.css").read_text(encoding="utf-8"), isolate_styles=False)
    return _renderer


def labels_for(strings: Mapping[str, str]) -> dict[str, str]:
    """The viewer's texts in one language: every `viewer.*` key without its prefix (ui/locales/<lang>.toml)."""
    return {k.removeprefix("viewer."): v for k, v in strings.items() if k.startswith("viewer.")}


def viewer(graph: dict, *, key: str, labels: Mapping[str, str], direction: str = "TB", height: int = 640,
           name: str = "graph", code_href: str | None = None, source_path: str | None = None,
           depth: int = DEFAULT_DEPTH) -> Any:
    """Draw `graph` (schema-1 module-hierarchy graph JSON). `labels`: translated texts (see `labels_for`);
    `code_href`: a link to the Code tab, to which the viewer appends `&line=N`; `source_path`: the file that
    tab shows (nodes defined or called there get the link); `name`: file name of exports."""
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction must be 'TB' or 'LR', not {direction!r}")
    payload = prepare(graph, source_path, depth)
    data = {"graph": payload, "labels": dict(labels), "direction": direction, "height": int(height), "name": name,
            "code_href": code_href}
    data["sig"] = hashlib.sha1(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return _component()(key=key, data=data)


def preload(*, key: str) -> Any:
    """An empty instance of the viewer: the browser loads its code and starts the layout worker (Graphviz
    WebAssembly, 0.8 MB, compiled off the page's thread) while the person reads another tab, so opening the
    Architecture tab then only waits for the layout. It draws nothing (the bundle ignores data without a graph)."""
    return _component()(key=key, data={"preload": True})
