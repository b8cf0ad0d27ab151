"""Spoken digits: say a number from zero to nine and M5 names it, straight from the raw waveform.

M5 was trained (recipe `spoken_digits`) on digits spoken by espeak-ng's synthetic voices, so it
hears one second at 8 kHz. Any recording is brought to that shape the same way the training clips
were (`prepare`): mono, resampled to 8 kHz, cut or zero-padded to the one second centred on the
speech energy, peak-normalised. A longer clip (up to the 30 s limit) is reduced to its loudest
second, and the result says which second that was.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from . import BadInput, Demo, register_demo
from .inputs import MAX_AUDIO_SECONDS, check_wave, load_audio

SAMPLE_RATE = 8_000  # M5's rate
WINDOW = SAMPLE_RATE  # one second of samples: the model's input length
MEL = {"n_fft": 200, "hop": 80, "n_mels": 40}  # 25 ms windows every 10 ms at 8 kHz, for display only


def speech_window(wave: np.ndarray, length: int) -> tuple[np.ndarray, int]:
    """The `length` samples of `wave` centred on its speech, and where they start (negative = padded).

    A short clip is zero-padded around the centroid of its energy (kept whole); a long one first
    picks the window with the most energy, then centres on the energy inside it, so a word
    followed by silence or by a quieter word still lands in the middle.
    """
    energy = wave.astype(np.float64) ** 2
    n = len(wave)
    if n <= length:
        lo, hi, best = n - length, 0, 0
    else:
        sums = np.concatenate(([0.0], np.cumsum(energy)))
        best = int(np.argmax(sums[length:] - sums[:-length]))  # start of the loudest window
        lo, hi = 0, n - length
    part = energy[best : best + length]
    centre = best + (np.arange(len(part)) @ part / part.sum() if part.sum() > 0 else len(part) / 2)
    start = int(np.clip(round(centre - length / 2), lo, hi))
    out = np.zeros(length, dtype=np.float32)
    a, b = max(start, 0), min(start + length, n)
    out[a - start : b - start] = wave[a:b]
    return out, start


def prepare(wave: np.ndarray, sr: int) -> tuple[np.ndarray, float]:
    """A mono recording at any rate → M5's input (one second at 8 kHz, peak 1) and its start in seconds.

    The training recipe runs every synthetic clip through this same function (resampled in batches first).
    """
    from zoo.audio.features import resample

    wave = np.asarray(wave, dtype=np.float32)
    wave = wave - wave.mean()  # microphones often add a DC offset
    offset = 0
    # Cut the loudest second (plus filter margin) at the original rate first: resampling costs
    # grow with the clip, and 30 s at 48 kHz would be slow for one second the model uses.
    if len(wave) > 1.5 * sr:
        margin = sr // 4
        _, s = speech_window(wave, sr)
        offset = max(s - margin, 0)
        wave = wave[offset : s + sr + margin]
    wave = resample(torch.from_numpy(np.ascontiguousarray(wave)), sr, SAMPLE_RATE).numpy()
    window, start = speech_window(wave, WINDOW)
    peak = np.abs(window).max()
    return (window / peak if peak > 0 else window).astype(np.float32), offset / sr + start / SAMPLE_RATE


@dataclass(frozen=True)
class DigitResult:
    digit: str  # the most probable label, e.g. "seven"
    probabilities: dict[str, float]  # every digit's probability, summing to 1
    waveform: np.ndarray  # (8000,) the second the model heard, 8 kHz, peak 1
    log_mel: np.ndarray  # (101, 40) natural-log mel power of that second, for display
    start: float  # where that second starts in the clip, in seconds (negative: padded before)
    duration: float  # length of the whole clip, in seconds
    sample_rate: int = SAMPLE_RATE

    @property
    def cropped(self) -> bool:
        """True when the clip was longer than a second and only its loudest second was used."""
        return self.duration > WINDOW / SAMPLE_RATE


@functools.lru_cache(maxsize=1)
def model() -> torch.nn.Module:
    import zoo

    return zoo.create_model("m5", weights="default")


def labels() -> tuple[str, ...]:
    from zoo.weights import get

    return get("m5").labels


def classify(wave: np.ndarray, sr: int) -> DigitResult:
    """Name the digit in a decoded, checked mono recording (float samples in [-1, 1])."""
    from zoo.audio.features import log_mel_spectrogram

    x, start = prepare(wave, sr)
    with torch.inference_mode():
        probs = model()(torch.from_numpy(x)[None, None]).softmax(-1)[0]
    names = labels()
    mel = log_mel_spectrogram(torch.from_numpy(x), SAMPLE_RATE, **MEL)
    return DigitResult(
        digit=names[int(probs.argmax())],
        probabilities={name: float(p) for name, p in zip(names, probs)},
        waveform=x,
        log_mel=mel.numpy(),
        start=start,
        duration=len(wave) / sr,
    )


def run(audio: bytes | tuple[int, np.ndarray]) -> DigitResult:
    """Audio file bytes (WAV, FLAC, OGG, MP3…) or a microphone's (sample_rate, samples) → DigitResult.

    Raises BadInput for empty, unsupported, damaged, silent, too short (under 0.1 s) or too long
    (over 30 s) audio.
    """
    if isinstance(audio, (bytes, bytearray, memoryview)):
        wave, sr = load_audio(bytes(audio))
    elif isinstance(audio, tuple) and len(audio) == 2:
        sr, samples = audio
        wave, sr = check_wave(np.asarray(samples), sr)  # integer PCM is scaled by its full scale there
    else:
        raise BadInput("audio_missing")
    return classify(wave, sr)


register_demo(
    Demo(
        name="spoken_digits",
        title="Spoken digits",
        models=("m5",),
        input_kind="audio",
        description=(
            "Say a digit from zero to nine (English) or upload a clip: M5 names it from the raw 8 kHz waveform. "
            "It learned from espeak-ng's synthetic voices only, so clear, close speech works best. Clips up to "
            f"{MAX_AUDIO_SECONDS:.0f} s; from a longer clip the loudest second is used."
        ),
        run=run,
        gradio=True,
        i18n={
            "zh": {
                "title": "英语数字语音识别",
                "description": "用英语说出 zero 到 nine 中的一个数字，或上传一段音频：M5 直接从 8 kHz 原始波形识别它。"
                "模型只用 espeak-ng 合成语音训练过，所以清晰、靠近麦克风的发音效果最好。音频最长 "
                f"{MAX_AUDIO_SECONDS:.0f} 秒；较长的音频只取能量最大的那一秒。",
            }
        },
    )
)
