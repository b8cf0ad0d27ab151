"""Gradio widget: a date in free form → its ISO form, and the attention heat map of the model that wrote it."""

from __future__ import annotations

import json

import gradio as gr
import pandas as pd

from ui.gradio_demos import DELETE_CACHE, STANDALONE, heavy_job, i18n, page_language, user_error
from zoo.demos import dates as demo


def heatmap(result: demo.Conversion):
    """Altair heat map: output characters (rows) × input characters (columns), cell = attention weight.
    Characters repeat ("2021/3/3"), so the axes are positions labelled with their character."""
    import altair as alt

    src = ["␣" if ch == " " else ch for ch in result.source]
    cells = pd.DataFrame(
        [(i, j, result.output[i], src[j], round(float(result.attention[i, j]), 3))
         for i in range(len(result.output)) for j in range(len(src))],
        columns=["out", "in", "output", "input", "weight"],
    )
    # top padding: Gradio lays the plot's label over the chart's top-left corner
    chart = alt.Chart(cells, padding={"left": 12, "top": 30, "right": 8, "bottom": 4}).mark_rect().encode(
        x=alt.X("in:O", title=None, axis=alt.Axis(labelExpr=f"{json.dumps(src)}[datum.value]", labelAngle=0)),
        y=alt.Y("out:O", title=None, axis=alt.Axis(labelExpr=f"{json.dumps(result.output)}[datum.value]")),
        color=alt.Color("weight:Q", scale=alt.Scale(domain=[0, 1], scheme="viridis"), title="α"),
        tooltip=["output", "input", "weight"],
    )
    return chart.properties(width=max(160, min(460, 18 * len(src))), height=18 * len(result.output))


def convert(text: str, request: gr.Request = None, progress: gr.Progress = gr.Progress()):
    """(ISO date, note, heat map) for the widget, or a gr.Error the user can act on."""
    try:
        demo.check(text)  # refuse bad input before waiting in line
        with heavy_job(request, progress):
            r = demo.run(text)
    except Exception as e:  # noqa: BLE001 — every failure becomes a clear message, logged once by user_error
        raise user_error(request, e) from None
    t = page_language(request)  # the note is built here, so in the page's language
    note = t("demo.dates.valid") if r.valid else t("demo.dates.invalid")
    return r.iso, note, heatmap(r)


def build() -> gr.Blocks:
    L = i18n()
    with gr.Blocks(title="DeepZoo · Dates", delete_cache=DELETE_CACHE) as blocks:
        gr.Markdown(L("demo.dates.intro"), elem_classes=[STANDALONE])
        with gr.Row():
            with gr.Column(scale=2):
                text = gr.Textbox(value=demo.EXAMPLES[0], label=L("demo.dates.input"), info=L("demo.dates.limits"),
                                  max_lines=1)
                button = gr.Button(L("demo.dates.convert"), variant="primary")
                gr.Examples([[e] for e in demo.EXAMPLES], [text], label=L("demo.dates.examples"))
            with gr.Column(scale=3):
                iso = gr.Textbox(label=L("demo.dates.output"), interactive=False)
                note = gr.Markdown()
                plot = gr.Plot(label=L("demo.dates.attention"))
        outputs = [iso, note, plot]
        button.click(convert, [text], outputs, api_name="convert")
        text.submit(convert, [text], outputs, api_name=False)
    return blocks
