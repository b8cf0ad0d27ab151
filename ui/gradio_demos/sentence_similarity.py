"""Gradio widget: sentences in, a cosine-similarity heatmap and the nearest lines to a query out."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from ui.gradio_demos import DELETE_CACHE, STANDALONE, heavy_job, i18n, page_language, user_error
from zoo import workers
from zoo.demos import sentence_similarity as demo


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def heatmap(result: demo.Similarity):
    """Altair heatmap of the similarity matrix, rows and columns labelled by line number and sentence."""
    import altair as alt

    names = [f"{i + 1}. {_short(s)}" for i, s in enumerate(result.sentences)]
    cells = pd.DataFrame(
        [(names[i], names[j], round(float(result.matrix[i, j]), 2)) for i in range(len(names)) for j in range(len(names))],
        columns=["a", "b", "cosine"],
    )
    base = alt.Chart(cells).encode(
        x=alt.X("b:N", sort=names, title=None, axis=alt.Axis(labelAngle=-40, labelLimit=220)),
        y=alt.Y("a:N", sort=names, title=None, axis=alt.Axis(labelLimit=260)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("cosine:Q", scale=alt.Scale(domain=[-0.2, 1], scheme="viridis")),
        tooltip=["a", "b", "cosine"],
    )
    side = max(160, min(560, 28 * len(names)))
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text("cosine:Q", format=".2f"),
        color=alt.condition("datum.cosine > 0.6", alt.value("black"), alt.value("white")),
    )
    layers = rect + text if len(names) <= 15 else rect  # numbers only while they fit in the cells
    return layers.properties(width=side, height=side)


def compare(sentences: str, query: str, request: gr.Request = None, progress: gr.Progress = gr.Progress()):
    """(matches table, heatmap, matrix table) for the widget, or a gr.Error the user can act on."""
    try:
        with heavy_job(request, progress):
            r = workers.pool().run(f"{demo.__name__}:run", sentences, query)  # in a worker process: see zoo.workers
    except Exception as e:  # noqa: BLE001 — every failure becomes a clear message, logged once by user_error
        raise user_error(request, e) from None
    t = page_language(request)  # the tables' headers in the page's language
    columns = [t(f"demo.sentence_similarity.col_{name}") for name in ("rank", "line", "sentence", "cosine")]
    matches = pd.DataFrame(
        [(rank, i + 1, r.sentences[i], round(score, 3)) for rank, (i, score) in enumerate(r.matches, 1)],
        columns=columns,
    )
    matrix = pd.DataFrame(r.matrix.astype(float).round(3), columns=[str(i + 1) for i in range(len(r.sentences))])
    matrix.insert(0, columns[2], [f"{i + 1}. {s}" for i, s in enumerate(r.sentences)])
    return matches, heatmap(r), matrix


def build() -> gr.Blocks:
    L = i18n()
    with gr.Blocks(title="DeepZoo · Sentence similarity", delete_cache=DELETE_CACHE) as blocks:
        gr.Markdown(L("demo.sentence_similarity.intro"), elem_classes=[STANDALONE])
        with gr.Row():
            with gr.Column(scale=3):
                sentences = gr.Textbox(
                    value=demo.EXAMPLES[0][0],
                    lines=8,
                    max_lines=20,
                    label=L("demo.sentence_similarity.sentences"),
                    info=L("demo.sentence_similarity.limits"),
                )
                query = gr.Textbox(value=demo.EXAMPLES[0][1], label=L("demo.sentence_similarity.query"), max_lines=2)
                button = gr.Button(L("demo.sentence_similarity.compare"), variant="primary")
                gr.Examples(
                    [list(e) for e in demo.EXAMPLES],
                    [sentences, query],
                    label=L("demo.sentence_similarity.examples"),
                    example_labels=[e[1] for e in demo.EXAMPLES],  # the query names each example
                )
            with gr.Column(scale=4):
                matches = gr.Dataframe(
                    label=L("demo.sentence_similarity.matches"),
                    wrap=True,
                    interactive=False,
                    column_widths=["17%", "18%", "42%", "23%"],  # each header whole on a phone (390 px)
                )
                plot = gr.Plot(label=L("demo.sentence_similarity.heatmap"))
        matrix = gr.Dataframe(label=L("demo.sentence_similarity.matrix"), wrap=True, interactive=False)
        outputs = [matches, plot, matrix]
        button.click(compare, [sentences, query], outputs, api_name="compare")
        query.submit(compare, [sentences, query], outputs, api_name=False)
        # show the first example's result at once; unqueued (a plain request), so that no queue stream is
        # closing when the first click joins the queue (see text_generation.py)
        blocks.load(compare, [sentences, query], outputs, api_name=False, queue=False)
    return blocks
