"""Gradio widget: say or upload a digit, see what M5 heard (waveform, log-mel) and what it thinks.

Both pictures are drawn with numpy + PIL (matplotlib is not a dependency): the waveform as a
min/max envelope per pixel column, the spectrogram through a hand-made viridis-like colour map.
The audio arrives as a file path (`type="filepath"`), microphone recordings included: Gradio's
numpy conversion needs ffmpeg for anything but WAV, and a file lets `zoo.demos.inputs.load_audio`
refuse an over-long clip from its header before decoding it.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image, ImageDraw

from ui.gradio_demos import DELETE_CACHE, STANDALONE, heavy_job, i18n, keep_example_files, page_language, user_error
from zoo.demos import spoken_digits as demo

SAMPLES = Path(__file__).resolve().parents[2] / "assets" / "samples" / "audio"
INK, ACCENT, PAPER = (55, 65, 81), (234, 88, 12), (255, 255, 255)
# viridis at five stops (dark blue → green → yellow), interpolated linearly
VIRIDIS = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=np.float64)


def waveform_image(wave: np.ndarray, start: float, sr: int, size: tuple[int, int] = (640, 160)) -> Image.Image:
    """The samples as a min/max envelope per pixel column, with a time axis in seconds of the clip."""
    w, h = size
    top, axis = 8, h - 22  # plot band [top, axis); labels below
    img = Image.new("RGB", size, PAPER)
    draw = ImageDraw.Draw(img)
    cols = np.array_split(wave, w)
    mid, half = (top + axis) / 2, (axis - top) / 2
    for x, c in enumerate(cols):
        if len(c):
            draw.line([(x, mid - c.max() * half), (x, mid - c.min() * half)], fill=ACCENT)
    draw.line([(0, mid), (w, mid)], fill=(209, 213, 219))
    draw.line([(0, axis), (w, axis)], fill=INK)
    seconds = len(wave) / sr
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = min(int(frac * (w - 1)), w - 1)
        draw.line([(x, axis), (x, axis + 4)], fill=INK)
        label = f"{start + frac * seconds:.2f} s"
        tw = draw.textlength(label)
        draw.text((min(max(x - tw / 2, 0), w - tw), axis + 6), label, fill=INK)
    return img


def spectrogram_image(log_mel: np.ndarray, size: tuple[int, int] = (640, 200), top_db: float = 80.0) -> Image.Image:
    """(frames, bands) natural-log power → colour image: time left to right, low bands at the bottom,
    the loudest `top_db` decibels mapped through the colour map."""
    span = top_db / (10 / np.log(10))  # dB → nepers of power: 80 dB = ln(1e8)
    v = np.clip((log_mel - (log_mel.max() - span)) / span, 0.0, 1.0).T[::-1]  # (bands, frames), low at bottom
    pos = v * (len(VIRIDIS) - 1)
    i = np.minimum(pos.astype(int), len(VIRIDIS) - 2)
    t = (pos - i)[..., None]
    rgb = VIRIDIS[i] * (1 - t) + VIRIDIS[i + 1] * t
    return Image.fromarray(rgb.astype(np.uint8)).resize(size, Image.Resampling.BILINEAR)


def classify(path: str | None, request: gr.Request = None, progress: gr.Progress = gr.Progress()):
    t = page_language(request)  # messages with numbers in them are built here, in the page's language
    if not path:
        raise gr.Error(t("demo.spoken_digits.no_audio"), print_exception=False)  # nothing to log: no clip yet
    try:
        with heavy_job(request, progress):
            r = demo.run(Path(path).read_bytes())
    except Exception as e:  # noqa: BLE001 — every failure becomes a clear message, logged once by user_error
        raise user_error(request, e) from None
    if r.cropped:
        note = t(
            "demo.spoken_digits.cropped", duration=f"{r.duration:.1f}", start=f"{r.start:.2f}", end=f"{r.start + 1:.2f}"
        )
    else:
        note = t("demo.spoken_digits.padded", duration=f"{r.duration:.2f}")
    return (
        r.probabilities,
        note,
        waveform_image(r.waveform, r.start if r.cropped else 0.0, r.sample_rate),
        spectrogram_image(r.log_mel),
    )


def build() -> gr.Blocks:
    L = i18n()
    with gr.Blocks(title="DeepZoo · Spoken digits", delete_cache=DELETE_CACHE) as blocks:
        gr.Markdown(L("demo.spoken_digits.intro"), elem_classes=[STANDALONE])
        with gr.Row():
            with gr.Column(scale=2):
                audio = gr.Audio(sources=["microphone", "upload"], type="filepath", label=L("demo.spoken_digits.audio"))
                gr.Markdown(L("demo.spoken_digits.limits"))
                button = gr.Button(L("demo.spoken_digits.run"), variant="primary")
            with gr.Column(scale=3):
                label = gr.Label(num_top_classes=3, label=L("demo.spoken_digits.prediction"))
                note = gr.Textbox(label=L("demo.spoken_digits.note"), interactive=False)
        with gr.Row():
            wave = gr.Image(type="pil", label=L("demo.spoken_digits.waveform"), interactive=False)
            mel = gr.Image(type="pil", label=L("demo.spoken_digits.spectrogram"), interactive=False)
        outputs = [label, note, wave, mel]
        keep_example_files(gr.Examples(
            [[str(p)] for p in sorted(SAMPLES.glob("*")) if p.suffix in (".wav", ".flac", ".ogg", ".mp3")],
            [audio],
            outputs,
            fn=classify,
            run_on_click=True,
            cache_examples=False,
            label=L("demo.spoken_digits.examples"),
        ))
        button.click(classify, audio, outputs, api_name="classify")
    return blocks
