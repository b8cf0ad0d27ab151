"""Every input has a minimum as well as a maximum, refused with a clear message before any costly work:
images too small or too elongated, audio too short, seeds out of range, broken Unicode. The limits
live in zoo/demos/inputs.py; the web servers' upload caps, the UI texts and the README follow them."""

from __future__ import annotations

import ast
import io
import re
import tomllib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageFile

from ui.i18n import Translator, languages
from zoo.demos import BadInput
from zoo.demos import cartpole, digit_generation, digits, imagenet, karate, sentence_similarity, spoken_digits
from zoo.demos import text_generation
from zoo.demos.inputs import (
    MAX_AUDIO_BYTES,
    MAX_IMAGE_ASPECT,
    MAX_IMAGE_BYTES,
    MAX_SEED,
    MAX_UPLOAD_BYTES,
    MIN_AUDIO_SECONDS,
    MIN_IMAGE_SIDE,
    check_seed,
    clean_text,
    load_image,
    stated_limits,
    upload_limit,
)
from zoo.demos.messages import MESSAGES

ROOT = Path(__file__).resolve().parent.parent


def png(w: int, h: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (w, h), 255).save(buf, format="PNG")
    return buf.getvalue()


def tone(seconds: float, sr: int = 8000) -> np.ndarray:
    t = np.arange(int(round(seconds * sr))) / sr
    return (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)


def wav(wave: np.ndarray, sr: int = 8000) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave, sr, format="WAV")
    return buf.getvalue()


# ----------------------------------------------------------------------------- images


def test_a_10000_by_1_image_is_refused_from_its_header(monkeypatch):
    data = png(10000, 1)  # ~100 bytes; it used to get a prediction, then a raw ValueError and +240 MB

    def no_decoding(*a, **k):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(BadInput) as e:
        load_image(data)
    assert e.value.key == "image_too_small"
    assert str(e.value) == f"The image is 10000×1 pixels; each side must be at least {MIN_IMAGE_SIDE} pixels."


@pytest.mark.parametrize("run", [digits.run, imagenet.run], ids=["digits", "imagenet"])
@pytest.mark.parametrize(
    "size, key",
    [((10000, 1), "image_too_small"), ((7, 7), "image_too_small"), ((400, 10), "image_too_elongated")],
)
def test_image_demos_refuse_tiny_and_elongated_files(run, size, key):
    with pytest.raises(BadInput) as e:
        run(png(*size))
    assert e.value.key == key


@pytest.mark.parametrize("array", [np.zeros((1, 10000), np.uint8), np.zeros((3, 300, 3), np.uint8)],
                         ids=["1x10000", "3x300 rgb"])
def test_pictures_as_arrays_have_the_same_minimum(array):
    with pytest.raises(BadInput) as e:
        digits.run(array)
    assert e.value.key in ("image_too_small", "image_too_elongated")


def test_the_limits_themselves_are_accepted():
    w, h = MAX_IMAGE_ASPECT * MIN_IMAGE_SIDE, MIN_IMAGE_SIDE  # 160×8: the smallest side, the widest ratio
    assert load_image(png(w, h)).size == (w, h)
    top5 = imagenet.run(png(w, h))  # and the model copes with it
    assert len(top5.labels) == 5 and imagenet.as_rgb(png(w, h)).size == (w, h)


# ----------------------------------------------------------------------------- audio


def test_a_one_sample_wav_is_refused_not_classified(monkeypatch):
    data = wav(np.array([0.5], dtype=np.float32))  # used to come back "four, 96%"

    def no_decoding(*a, **k):
        raise AssertionError("the clip was decoded")

    monkeypatch.setattr(sf, "read", no_decoding)
    with pytest.raises(BadInput) as e:
        spoken_digits.run(data)
    assert e.value.key == "audio_too_short"
    assert "a clip must last at least 0.1 s" in str(e.value)


def test_a_short_microphone_recording_is_refused():
    with pytest.raises(BadInput, match="at least 0.1 s"):
        spoken_digits.run((8000, (tone(0.09) * 32767).astype(np.int16)))


def test_a_clip_of_exactly_the_minimum_is_classified():
    r = spoken_digits.run(wav(tone(MIN_AUDIO_SECONDS)))
    assert abs(r.duration - MIN_AUDIO_SECONDS) < 1e-9 and abs(sum(r.probabilities.values()) - 1) < 1e-4


# ----------------------------------------------------------------------------- seeds


@pytest.mark.parametrize("seed", [-1, MAX_SEED + 1, 99999999999999999999, 1.5, float("nan"), float("inf"), "x", None])
def test_seeds_outside_the_range_are_refused(seed):
    with pytest.raises(BadInput) as e:
        check_seed(seed)
    assert e.value.key == "seed_range" and "4,294,967,295" in str(e.value)


@pytest.mark.parametrize("seed, value", [(0, 0), (MAX_SEED, MAX_SEED), (3.0, 3), (np.int64(7), 7)])
def test_seeds_inside_the_range_are_ints(seed, value):
    assert check_seed(seed) == value and type(check_seed(seed)) is int


def test_every_seeded_demo_checks_its_seed():
    # text generation used to answer a 20-digit seed with "Overflow when unpacking long long"
    with pytest.raises(BadInput, match="Seed out of range"):
        text_generation.run("Hello", seed=99999999999999999999)
    with pytest.raises(BadInput, match="Seed out of range"):
        karate.classify("gcn", seed=-1)
    with pytest.raises(BadInput, match="Seed out of range"):
        digit_generation.generate("dcgan_generator", seed=MAX_SEED + 1)
    with pytest.raises(BadInput, match="Seed out of range"):
        cartpole.play("random", seed=cartpole.MAX_SEED + 1)
    assert digit_generation.generate("dcgan_generator", seed=MAX_SEED, n=1).images.shape == (1, 16, 16)


# ----------------------------------------------------------------------------- text


def test_a_lone_surrogate_is_refused_clearly():
    # possible through the Gradio API; it used to reach the user as "'utf-8' codec can't encode…"
    with pytest.raises(BadInput) as e:
        clean_text("Hello \ud800 world")
    assert e.value.key == "text_invalid_unicode" and "U+D800" in str(e.value)
    with pytest.raises(BadInput, match="invalid character"):
        text_generation.run("The with statement \udc80")
    with pytest.raises(BadInput, match="invalid character"):
        sentence_similarity.run("One sentence.\nAnother \udfff one.")


def test_empty_and_binary_text_are_refused():
    for text, key in [("", "text_missing"), (" \n\t ", "text_missing"), ("\x00\x01\x02 data", "text_binary"),
                      (b"\xff\xfe\x00", "text_not_utf8")]:
        with pytest.raises(BadInput) as e:
            clean_text(text)
        assert e.value.key == key


# ----------------------------------------------------------------------------- messages and where limits are stated


def _demo_sources() -> dict[str, ast.Module]:
    return {str(p): ast.parse(p.read_text()) for p in (ROOT / "zoo").rglob("*.py") if p.name != "messages.py"}


def test_every_bad_input_names_a_message_and_every_message_is_used():
    used, raised = set(), set()
    for tree in _demo_sources().values():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in MESSAGES:
                used.add(node.value)
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "BadInput" and node.args:
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    raised.add(arg.value)
    assert raised <= set(MESSAGES), raised - set(MESSAGES)
    assert used == set(MESSAGES), set(MESSAGES) - used  # no dead message left to translate


@pytest.mark.parametrize("lang", sorted(languages()))
def test_every_message_is_translated_with_the_same_values(lang):
    t = Translator(lang)
    for key, text in MESSAGES.items():
        params = {name: f"<{name}>" for name in re.findall(r"{(\w+)}", text)}
        shown = t(f"input.{key}", **params)
        assert shown != f"input.{key}" and all(v in shown for v in params.values()), (lang, key, shown)


@pytest.mark.parametrize("lang", sorted(languages()))
def test_the_ui_states_the_limits_the_code_checks(lang):
    t, limits = Translator(lang), stated_limits()
    stated = {
        "demo.spoken_digits.limits": ("min_audio_seconds", "max_audio_seconds", "max_audio_mb"),
        "demo.text_generation.limits": ("max_prompt_chars",),
        "demo.text_generation.seed_info": ("max_seed",),
        "demo.sentence_similarity.limits": ("max_sentences", "max_sentence_chars", "max_total_chars"),
        "demo.imagenet.upload": ("max_image_mb", "max_image_mp", "min_image_side", "max_image_aspect"),
        "demo.digits.upload": ("max_image_mb", "max_image_mp", "min_image_side"),
    }
    for key, names in stated.items():
        text = t(key)
        assert "{" not in text, (key, text)
        for name in names:
            assert re.search(rf"(?<![\d.,]){re.escape(limits[name])}(?![\d.,]*\d)", text), (key, name, text)


def test_upload_caps_follow_the_limits():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == MAX_UPLOAD_BYTES == max(MAX_IMAGE_BYTES, MAX_AUDIO_BYTES)
    assert upload_limit("audio") == MAX_AUDIO_BYTES and upload_limit("image") == MAX_IMAGE_BYTES
    assert upload_limit("text") < MAX_AUDIO_BYTES  # a text widget has an upload route too; it takes no file


def test_the_readme_lists_every_limit():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Limits", 1)[1].split("\n## ", 1)[0]
    for name, value in stated_limits().items():
        assert re.search(rf"(?<![\d.,]){re.escape(value)}(?![\d.,]*\d)", section), (name, value)


def test_gradio_cache_cleanup_keeps_the_sample_files():
    # DELETE_CACHE bounds /tmp; Gradio 6.31 would delete the spoken-digit samples with the uploads, and a click
    # on a sample then failed with FileNotFoundError
    from gradio.route_utils import delete_files_created_by_app

    from ui.gradio_demos import DELETE_CACHE, spoken_digits

    widget = spoken_digits.build()
    assert widget.delete_cache == DELETE_CACHE
    cached = {f for files in widget.temp_file_sets for f in files}
    samples = [f for f in cached if Path(f).name in {p.name for p in spoken_digits.SAMPLES.glob("*")}]
    assert samples and all(Path(f).exists() for f in samples)
    upload = Path(samples[0]).parent.parent / "an-upload" / "clip.wav"  # as an upload would be kept
    upload.parent.mkdir(parents=True, exist_ok=True)
    upload.write_bytes(b"RIFF")
    widget.upload_file_set.add(str(upload))
    delete_files_created_by_app(widget, age=-1)  # what the cleanup does to files past their age
    assert not upload.exists() and all(Path(f).exists() for f in samples)


def test_one_picture_reader_for_every_image_demo():
    """`inputs.picture` serves the digits, photo, segmentation and detection demos: floats in [0, 1] scale by 255;
    other numbers are stretched to 0–255 (digits) or read as levels and clipped (scenes)."""
    import numpy as np

    from zoo.demos import BadInput, inputs

    unit = np.linspace(0, 1, 64).reshape(8, 8)
    assert np.asarray(inputs.picture(unit)).max() == 255 == np.asarray(inputs.picture(unit, numbers="clip")).max()
    levels = np.linspace(0, 200, 64).reshape(8, 8)
    assert np.asarray(inputs.picture(levels)).max() == 255  # stretched
    assert np.asarray(inputs.picture(levels, numbers="clip")).max() == 200  # kept
    with pytest.raises(BadInput):
        inputs.picture(np.full((8, 8), np.nan))
    with pytest.raises(ValueError):
        inputs.picture(unit, numbers="round")
