"""Gradio widgets, mounted by the server at /gradio/<name>/ on the same port as Streamlit.

`blocks()` returns {name: gr.Blocks}. The model explorer is always there; each demo registered
with `gradio=True` gets its widget from `ui.gradio_demos` (built only when the server starts).
"""

from __future__ import annotations

import logging

import gradio as gr

import zoo
from zoo.cli import render_card

from .gradio_demos import DELETE_CACHE


def explorer() -> gr.Blocks:
    """A small registry browser: pick a model, read its card and layer summary."""
    from zoo import introspect

    def show(key: str) -> tuple[str, str]:
        if key not in zoo.list_models():  # the API takes any string: never echo it into Markdown
            return "Unknown model: pick one from the list.", ""
        data = introspect.artifact(key)  # from disk, or built once by a worker process — never traced here
        table = data["summary"]["text"] if "error" not in data else "This model could not be inspected (the server log says why)."
        return f"```\n{render_card(key)}\n```", table

    with gr.Blocks(title="DeepZoo model explorer", delete_cache=DELETE_CACHE) as demo:
        gr.Markdown("### DeepZoo model explorer")
        key = gr.Dropdown(zoo.list_models(), value="lenet5", label="Model")
        card = gr.Markdown()
        table = gr.Code(label="Layer summary (torchinfo)", language=None)
        key.change(show, key, [card, table], api_name="show")
        demo.load(show, key, [card, table], queue=False)  # unqueued: see ui/gradio_demos/text_generation.py
    return demo


def blocks(failed: dict[str, str] | None = None) -> dict[str, gr.Blocks]:
    """{name: widget} of every widget that built; `failed` (if given) receives {name: reason} of the others."""
    from . import gradio_demos

    out = {}
    try:
        out["explorer"] = explorer()
    except Exception as e:  # noqa: BLE001 — the demos' widgets still serve
        logging.getLogger(__name__).exception("Gradio widget 'explorer' failed to build; not mounted")
        if failed is not None:
            failed["explorer"] = f"{type(e).__name__}: {e}"
    return {**out, **gradio_demos.blocks(failed)}
