"""Gradio widget: a prompt continued by a small byte-level GPT or char-LSTM, streamed as it is sampled."""

from __future__ import annotations

import json
from typing import Iterator

import gradio as gr

from ui.gradio_demos import DELETE_CACHE, STANDALONE, heavy_job, i18n, user_error
from zoo import workers
from zoo.demos import text_generation as demo


def generate(
    prompt: str,
    model: str,
    temperature: float,
    top_k: int,
    max_new_tokens: int,
    seed: int,
    request: gr.Request = None,
    progress: gr.Progress = gr.Progress(),
) -> Iterator[str]:
    """A Gradio generator: every yield redraws the output box (prompt + continuation), so the text appears
    as it is sampled (up to 20 times a second; the last yield is the whole text). The whole stream is one of
    the server's heavy jobs, run in a worker process."""
    try:
        demo.check(prompt, model, temperature, top_k, max_new_tokens, seed)  # refuse bad input before waiting in line
        with heavy_job(request, progress):
            # sampled in one of the server's worker processes (zoo.workers): streams on threads of this process
            # took turns on the GIL, so two people's generations did not really run at once
            for continuation in workers.pool().stream(f"{demo.__name__}:stream", prompt, model, temperature, top_k,
                                                      max_new_tokens, seed, interval=0.05):
                yield prompt + continuation
    except Exception as e:  # noqa: BLE001 — every failure becomes a clear message, logged once by user_error
        raise user_error(request, e) from None


DEFAULT_MODEL = "gpt2"
# ?model=char_lstm preselects that model (e.g. when embedded on the model's own page); unknown keys keep the default
_MODEL_FROM_URL_JS = (
    "() => { const key = new URLSearchParams(window.location.search).get('model');"
    f" return {json.dumps(list(demo.MODELS))}.includes(key) ? key : {json.dumps(DEFAULT_MODEL)}; }}"
)


def build() -> gr.Blocks:
    L = i18n()
    with gr.Blocks(title="DeepZoo · Text generation", delete_cache=DELETE_CACHE) as blocks:
        gr.Markdown(L("demo.text_generation.intro"), elem_classes=[STANDALONE])
        with gr.Row():
            with gr.Column(scale=2):
                prompt = gr.Textbox(
                    value=demo.EXAMPLES[0],
                    lines=4,
                    max_lines=12,
                    label=L("demo.text_generation.prompt"),
                    info=L("demo.text_generation.limits"),
                )
                model = gr.Radio([(L(f"demo.text_generation.model_{key}"), key) for key in demo.MODELS], value=DEFAULT_MODEL,
                                 label=L("demo.text_generation.model"))
                with gr.Row():
                    temperature = gr.Slider(0, demo.MAX_TEMPERATURE, value=0.8, step=0.05,
                                            label=L("demo.text_generation.temperature"), info=L("demo.text_generation.temperature_info"))
                    top_k = gr.Slider(0, 256, value=40, step=1, label=L("demo.text_generation.top_k"),
                                      info=L("demo.text_generation.top_k_info"))
                with gr.Row():
                    max_new = gr.Slider(1, demo.MAX_NEW_BYTES, value=200, step=1, label=L("demo.text_generation.max_new"))
                    seed = gr.Number(value=0, precision=0, minimum=0, label=L("demo.text_generation.seed"),
                                     info=L("demo.text_generation.seed_info"))
                with gr.Row():
                    button = gr.Button(L("demo.text_generation.generate"), variant="primary")
                    stop = gr.Button(L("demo.text_generation.stop"), variant="stop")
                gr.Examples([[e] for e in demo.EXAMPLES], [prompt], label=L("demo.text_generation.examples"))
            with gr.Column(scale=3):
                output = gr.Textbox(label=L("demo.text_generation.output"), lines=16, max_lines=30, interactive=False)
        event = button.click(generate, [prompt, model, temperature, top_k, max_new, seed], output, api_name="generate")
        stop.click(None, cancels=[event])
        # ?model= is read in the browser, with no server round trip: a queued load event's stream can close
        # just as the first click's job joins the queue, and that job's output is then never delivered
        # (gradio 6.31; reproduced by clicking Generate as soon as the page appears)
        blocks.load(None, None, model, js=_MODEL_FROM_URL_JS)
    return blocks
