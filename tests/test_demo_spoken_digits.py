"""Spoken digits on real audio: the shipped M5 on fresh espeak-ng clips of voices it never heard,
the shipped sample files, every kind of bad audio a user can send, and the widget's handler."""

from __future__ import annotations

import io
import os
import random
import shutil
import tempfile

import numpy as np
import pytest
import soundfile as sf
import torch

import zoo
from zoo.audio.features import resample
from zoo.demos import BadInput, get
from zoo.demos import spoken_digits as demo
from zoo.demos.inputs import MAX_AUDIO_SECONDS
from zoo.train import spoken_digits as recipe
from zoo.weights import get as get_weights

WORDS = get_weights("m5").labels
SAMPLES = sorted(recipe.SAMPLES.glob("*"))


def require_espeak() -> None:
    """Skip without espeak-ng — except in CI (.ci/run installs it), where a missing one is a failure."""
    if shutil.which("espeak-ng"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI must run the spoken-digit tests: espeak-ng is missing (apt-get install espeak-ng)")
    pytest.skip("espeak-ng is not installed (apt-get install espeak-ng): cannot synthesize held-out voices")


def encode(wave: np.ndarray, sr: int, fmt: str = "WAV", subtype: str | None = None) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, wave, sr, format=fmt, subtype=subtype)
    return buf.getvalue()


def sample(name: str) -> tuple[np.ndarray, int]:
    return sf.read(recipe.SAMPLES / name, dtype="float32")


@pytest.fixture(scope="module")
def one_thread():
    # the tiny model and the sinc resampler run ~10× faster on one thread when the CPU is shared
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- the model and its weights


def test_demo_is_registered_for_m5():
    d = get("spoken_digits")
    assert d.models == ("m5",) and d.input_kind == "audio" and d.gradio
    assert d.text("title", "zh") != d.title


def test_shipped_weights_load_strictly_with_ten_digits():
    model = zoo.create_model("m5", weights="default")
    assert not model.training and model.classifier.out_features == 10
    w = get_weights("m5")
    assert w.labels == ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    assert w.path.stat().st_size < 500_000
    entry = zoo.weights.manifest()["m5_spoken_digits.safetensors"]
    assert entry["metric"]["held-out-voice accuracy %"] >= 90 and entry["config"] == {"num_classes": 10}


def test_held_out_voices_are_new_speakers():
    train, test = set(recipe.voices(False)), set(recipe.voices(True))
    assert train.isdisjoint(test) and len(test) >= 100
    assert not {v.variant for v in train} & set(recipe.HELD_OUT_VARIANTS)
    assert not {v.accent for v in train} & set(recipe.HELD_OUT_ACCENTS)


def test_fresh_clips_of_held_out_voices_reach_90_percent(one_thread):
    require_espeak()
    # every held-out voice, at speeds/pitches/loudness the recipe never drew (another seed)
    x, y = recipe.synthesize(WORDS, recipe.voices(held_out=True), takes=1, seed=2024)
    assert len(x) >= 1000
    acc = recipe.accuracy(demo.model(), x, y)
    assert acc >= 90, f"held-out-voice accuracy {acc:.1f}%"


def test_single_words_through_the_whole_demo(one_thread):
    """espeak-ng's own files (22.05 kHz WAV bytes) through run(): decoding, resampling, centring."""
    require_espeak()
    voice = recipe.Voice("en-029", "m7")  # held out twice over: accent and variant
    rng = random.Random(5)
    right = 0
    with tempfile.TemporaryDirectory() as folder:
        for word in WORDS:
            wave, sr = recipe.speak([word], voice, rng.randint(130, 200), rng.randint(30, 70), 100, folder)
            r = demo.run(encode(wave, sr))
            right += r.digit == word
            assert abs(sum(r.probabilities.values()) - 1) < 1e-4
    assert right >= 9, f"{right}/10"


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_shipped_samples_are_recognised(path, one_thread):
    r = demo.run(path.read_bytes())
    assert r.digit == path.stem
    assert r.waveform.shape == (8000,) and r.log_mel.shape == (101, 40) and np.isfinite(r.log_mel).all()
    info = sf.info(path)
    assert info.samplerate == 8000 and info.channels == 1 and info.duration <= 1.5
    if path.suffix == ".wav":
        assert info.subtype == "PCM_16"


def test_samples_are_tiny_and_in_three_formats():
    assert {p.suffix for p in SAMPLES} >= {".wav", ".flac", ".ogg"} and len(SAMPLES) >= 4
    assert sum(p.stat().st_size for p in SAMPLES) < 200_000


# ----------------------------------------------------------------------------- formats, rates, lengths


@pytest.mark.parametrize("fmt, subtype", [("MP3", None), ("OGG", "VORBIS"), ("FLAC", "PCM_24")])
def test_44k_files_in_other_formats(fmt, subtype, one_thread):
    wave, sr = sample("seven.wav")
    hi = resample(torch.from_numpy(wave), sr, 44_100).clamp(-1, 1).numpy()
    assert demo.run(encode(hi, 44_100, fmt, subtype)).digit == "seven"


def test_stereo_is_mixed_to_mono(one_thread):
    wave, sr = sample("three.wav")
    stereo = np.stack([wave, 0.5 * wave], axis=1)
    assert demo.run(encode(stereo, sr)).digit == "three"


def test_long_clip_uses_its_loudest_second(one_thread):
    wave, sr = sample("zero.wav")
    rng = np.random.default_rng(0)
    clip = rng.normal(0, 0.003, 12 * sr).astype(np.float32)  # 12 s of quiet hiss …
    clip[7 * sr : 7 * sr + len(wave)] += wave  # … with the word at 7 s
    r = demo.run(encode(clip, sr))
    assert r.digit == "zero" and r.cropped and abs(r.duration - 12) < 1e-6
    assert 6.5 < r.start < 7.3  # the chosen second covers the word


def test_microphone_tuple(one_thread):
    wave, sr = sample("nine.ogg")
    mic = (resample(torch.from_numpy(wave), sr, 48_000).clamp(-1, 1).numpy() * 32767).astype(np.int16)
    assert demo.run((48_000, mic)).digit == "nine"
    assert demo.run((48_000, np.stack([mic, mic], 1))).digit == "nine"  # stereo microphone


def test_speech_window_centres_short_clips_and_keeps_them_whole():
    clip = np.zeros(3000, dtype=np.float32)
    clip[1000:1500] = 1.0  # a burst early in a short clip: zero-padded so the burst sits mid-window
    out, start = demo.speech_window(clip, 8000)
    assert -2751 <= start <= -2750 and abs(np.flatnonzero(out).mean() - 4000) <= 1
    clip = np.zeros(7000, dtype=np.float32)
    clip[6500:] = 1.0  # centring on this burst would cut the clip's start: the clip is kept whole instead
    out, start = demo.speech_window(clip, 8000)
    assert start == 0 and out.sum() == 500


def test_speech_window_picks_the_loudest_second():
    wave = np.zeros(40_000, dtype=np.float32)
    wave[5_000:6_000] = 0.1
    wave[30_000:31_000] = 0.5  # louder
    out, start = demo.speech_window(wave, 8000)
    assert abs(start - 26_500) <= 1 and out.max() == 0.5 and (out == 0.5).sum() == 1000


# ----------------------------------------------------------------------------- bad input


def test_empty_file():
    with pytest.raises(BadInput, match="empty"):
        demo.run(b"")


@pytest.mark.parametrize(
    "data",
    [
        b"hello, this is not audio at all\n" * 40,
        b"\x89PNG\r\n\x1a\n" + bytes(500),
        b"\x00\x00\x00\x20ftypM4A " + bytes(500),
    ],
    ids=["text", "png", "m4a"],
)
def test_non_audio_and_unsupported_formats(data):
    with pytest.raises(BadInput, match="not audio DeepZoo can read"):
        demo.run(data)


def test_damaged_file():
    data = encode(sample("three.wav")[0], 8000, "FLAC")
    with pytest.raises(BadInput):
        demo.run(data[:200] + bytes(range(256)) * 8)


def test_silent_clip():
    with pytest.raises(BadInput, match="silent"):
        demo.run(encode(np.zeros(8000, dtype=np.float32), 8000))
    with pytest.raises(BadInput, match="silent"):
        demo.run((16_000, np.zeros(16_000, dtype=np.int16)))


def test_two_hour_clip_is_refused_from_its_header(monkeypatch):
    # a real 2-hour FLAC (1 kHz silence compresses to ~20 KB), refused before any sample is decoded
    buf = io.BytesIO()
    with sf.SoundFile(buf, "w", samplerate=1000, channels=1, format="FLAC", subtype="PCM_16") as f:
        for _ in range(72):
            f.write(np.zeros(100_000, dtype=np.int16))
    data = buf.getvalue()
    assert sf.info(io.BytesIO(data)).duration == 7200 and len(data) < 100_000

    def no_decoding(*a, **k):
        raise AssertionError("the whole file was decoded")

    monkeypatch.setattr(sf, "read", no_decoding)
    with pytest.raises(BadInput, match=f"7200 s long; clips up to {MAX_AUDIO_SECONDS:.0f} s"):
        demo.run(data)


def test_too_long_microphone_recording():
    with pytest.raises(BadInput, match="up to 30 s"):
        demo.run((8000, np.ones(31 * 8000, dtype=np.int16)))


@pytest.mark.parametrize("bad", [None, "a string", (0, np.ones(100))], ids=["none", "str", "no-rate"])
def test_not_audio_at_all(bad):
    with pytest.raises(BadInput):
        demo.run(bad)


# ----------------------------------------------------------------------------- the Gradio handler (no server)


def test_widget_handler_renders_and_explains(tmp_path, one_thread):
    import gradio as gr

    from ui.gradio_demos import spoken_digits as widget

    probs, note, wave_img, mel_img = widget.classify(str(recipe.SAMPLES / "seven.wav"))
    assert max(probs, key=probs.get) == "seven" and "zero-padded" in note
    assert wave_img.size == (640, 160) and mel_img.size == (640, 200)
    assert mel_img.mode == "RGB" and np.asarray(mel_img).std() > 10  # not a flat picture
    bad = tmp_path / "notes.txt"
    bad.write_text("not audio")
    with pytest.raises(gr.Error, match="not audio"):
        widget.classify(str(bad))
    with pytest.raises(gr.Error):
        widget.classify(None)


def test_widget_messages_follow_the_browser_language(one_thread):
    from types import SimpleNamespace

    from ui.gradio_demos import spoken_digits as widget

    zh = SimpleNamespace(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.8"})
    _, note, _, _ = widget.classify(str(recipe.SAMPLES / "three.wav"), zh)
    assert "补了静音" in note


# ----------------------------------------------------------------------------- the recipe


def test_recipe_needs_espeak_and_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(recipe.shutil, "which", lambda name: None)
    with pytest.raises(RuntimeError, match="apt-get install espeak-ng"):
        recipe.synthesize(WORDS, recipe.voices(False)[:1])


def test_recipe_still_trains(one_thread):
    """A shortened recipe (30 voices, 8 epochs, a few seconds) lands far above chance on voices it did not hear."""
    require_espeak()
    rng = random.Random(0)
    x, y = recipe.synthesize(WORDS, rng.sample(recipe.voices(False), 30), seed=3)
    x_test, y_test = recipe.synthesize(WORDS, rng.sample(recipe.voices(True), 8), seed=4)
    torch.manual_seed(0)
    model = zoo.create_model("m5", num_classes=10)
    loss = recipe.train(model, x, y, epochs=8, batch=32)
    assert loss < 1.5 and recipe.accuracy(model, x_test, y_test) > 50
