"""Turning a user's file or text into something a model can take — or a clear `BadInput` message.

Every limit a user can hit is a named constant here, and only here: the checks below, the upload caps
of both web servers (`ui/server.py`, `.streamlit/config.toml`), the texts that state the limits
(`stated_limits`) and the README's "Limits" section all follow these numbers. Each input has a
minimum as well as a maximum.
"""

from __future__ import annotations

import io
import math
import unicodedata
import warnings
from typing import Any

import numpy as np

from . import BadInput

# ----------------------------------------------------------------------------- images
MAX_IMAGE_BYTES = 25 * 1024 * 1024  # 25 MB file
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels; bigger is refused before decoding (decompression bombs)
MIN_IMAGE_SIDE = 8  # px; a smaller side holds nothing to recognise (and 1-px lines break resizing)
MAX_IMAGE_ASPECT = 20  # long side / short side; a 10000×1 strip is a line, not a picture
DEMO_IMAGE_SIDE = 1024  # larger images are downscaled to this longest side before any model sees them


def check_image_size(w: int, h: int) -> None:
    """BadInput unless a w×h picture has both sides of MIN_IMAGE_SIDE px or more and a sane aspect ratio."""
    if min(w, h) < MIN_IMAGE_SIDE:
        raise BadInput("image_too_small", w=w, h=h, min_side=MIN_IMAGE_SIDE)
    if max(w, h) > MAX_IMAGE_ASPECT * min(w, h):
        raise BadInput("image_too_elongated", w=w, h=h, max_aspect=MAX_IMAGE_ASPECT)


def load_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS):
    """Decode image bytes into an RGB PIL image, whatever the file's mode (RGBA, CMYK, 16-bit, P, L).

    Raises BadInput for empty, corrupt, non-image, too large, too small, too elongated or animated-bomb
    files; the size checks read the header only, before any pixel is decoded.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise BadInput("image_empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise BadInput("image_file_too_big", mb=f"{len(data) / 2**20:.1f}", max_mb=MAX_IMAGE_BYTES // 2**20)

    def too_big(w: int, h: int) -> BadInput:
        return BadInput("image_too_many_pixels", w=w, h=h, mp=f"{w * h / 1e6:.1f}", max_mp=f"{max_pixels / 1e6:.0f}")

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = Image.open(io.BytesIO(data))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
                # Pillow refuses huge images itself while opening; report them like any over-size image.
                size = _header_size(data)
                if size is None:
                    raise BadInput("image_too_many_pixels_unknown", max_mp=f"{max_pixels / 1e6:.0f}") from e
                raise too_big(*size) from e
            w, h = img.size  # read from the header: nothing decoded yet
            if w * h > max_pixels:
                raise too_big(w, h)
            check_image_size(w, h)
            img.draft("RGB", (DEMO_IMAGE_SIDE, DEMO_IMAGE_SIDE))  # JPEG: decode at reduced size, cheaply
            img.load()
    except BadInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadInput("image_unreadable") from e
    except (OSError, SyntaxError, ValueError) as e:  # the decoder's own words stay in the chained cause
        raise BadInput("image_damaged") from e
    img = ImageOps.exif_transpose(img)  # phone photos: honour the orientation tag
    return to_rgb(img)


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from an image header, without Pillow's size check (for the error message)."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(io.BytesIO(data)) as img:
            return img.size
    except Exception:  # noqa: BLE001 — only used to word an error
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def picture(image: Any, numbers: str = "stretch"):
    """Bytes (a user's file, checked by `load_image`), a PIL image or an array (H×W or H×W×1/3/4) → PIL image,
    or BadInput (empty, corrupt, huge, tiny, elongated, wrong shape, NaN/inf).

    Arrays of uint8 are taken as they are, floats in [0, 1] are scaled by 255. Other numbers: `numbers="stretch"`
    rescales them from their own range (a digit's contrast is what matters), `numbers="clip"` reads them as
    0–255 levels and clips (a scene's brightness is part of the picture)."""
    from PIL import Image

    if numbers not in ("stretch", "clip"):
        raise ValueError(f"numbers must be 'stretch' or 'clip', not {numbers!r}")
    if isinstance(image, (bytes, bytearray)):
        return load_image(bytes(image))
    if isinstance(image, Image.Image):
        check_image_size(*image.size)
        return image
    arr = np.asarray(image)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or 0 in arr.shape or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise BadInput("picture_shape", shape=tuple(arr.shape))
    check_image_size(arr.shape[1], arr.shape[0])
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
        if not np.isfinite(arr).all():
            raise BadInput("picture_not_finite")
        if arr.min() >= 0 and arr.max() <= 1:
            arr = np.round(arr * 255)
        elif numbers == "stretch":
            lo, hi = arr.min(), arr.max()
            arr = np.round((arr - lo) / ((hi - lo) or 1.0) * 255)
        arr = np.clip(np.round(arr), 0, 255).astype(np.uint8)
    return Image.fromarray(arr)


def to_rgb(img):
    """Any PIL mode → 8-bit RGB. 16-bit and float images are rescaled to their own range;
    transparency is composited on white (how the image looks on a page)."""
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        lo, hi = float(arr.min()), float(arr.max())
        arr = (arr - lo) / (hi - lo) * 255 if hi > lo else np.zeros_like(arr)
        img = Image.fromarray(arr.astype(np.uint8), mode="L")
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, img)
    img = img.convert("RGB")
    if max(img.size) > DEMO_IMAGE_SIDE:
        img.thumbnail((DEMO_IMAGE_SIDE, DEMO_IMAGE_SIDE))
    return img


# ----------------------------------------------------------------------------- audio
MAX_AUDIO_BYTES = 20 * 1024 * 1024
MAX_AUDIO_SECONDS = 30.0
MIN_AUDIO_SECONDS = 0.1  # a spoken digit lasts ≥ 0.2 s; shorter clips hold no word (a 1-sample file got "four, 96%")
SILENCE_RMS = 1e-3  # below this (full scale = 1.0) a clip counts as silent
AUDIO_FORMATS = "WAV, FLAC, OGG/Vorbis, Opus or MP3"


def load_audio(data: bytes, max_seconds: float = MAX_AUDIO_SECONDS) -> tuple[np.ndarray, int]:
    """Decode audio bytes to mono float32 in [-1, 1] and its sample rate (no ffmpeg: libsndfile).

    Raises BadInput for empty, unsupported, corrupt, too short, too long or silent audio; the length is
    checked from the header, before any sample is decoded.
    """
    import soundfile as sf

    if not data:
        raise BadInput("audio_empty")
    if len(data) > MAX_AUDIO_BYTES:
        raise BadInput("audio_file_too_big", mb=f"{len(data) / 2**20:.1f}", max_mb=MAX_AUDIO_BYTES // 2**20)
    try:
        info = sf.info(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise BadInput("audio_unreadable", formats=AUDIO_FORMATS) from e
    if info.frames <= 0 or info.samplerate <= 0:
        raise BadInput("audio_no_samples")
    check_duration(info.duration, max_seconds)
    try:
        wave, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:  # libsndfile's words stay in the chained cause
        raise BadInput("audio_damaged") from e
    return check_wave(wave, sr, max_seconds)


def check_duration(seconds: float, max_seconds: float = MAX_AUDIO_SECONDS) -> None:
    """BadInput unless a clip lasts from MIN_AUDIO_SECONDS to `max_seconds`."""
    if seconds < MIN_AUDIO_SECONDS:
        raise BadInput("audio_too_short", seconds=f"{seconds:.2g}", min_seconds=f"{MIN_AUDIO_SECONDS:g}")
    if seconds > max_seconds:
        raise BadInput("audio_too_long", seconds=f"{seconds:.0f}", max_seconds=f"{max_seconds:.0f}")


def check_wave(wave: np.ndarray, sr: int, max_seconds: float = MAX_AUDIO_SECONDS) -> tuple[np.ndarray, int]:
    """Mono-mix, clean and sanity-check a decoded waveform (from a file or the microphone)."""
    if not sr or int(sr) <= 0:
        raise BadInput("audio_no_rate")
    wave = np.asarray(wave)
    if np.issubdtype(wave.dtype, np.integer):  # integer PCM (e.g. a microphone widget): to [-1, 1] by its full scale
        wave = wave.astype(np.float32) / float(np.iinfo(wave.dtype).max)
    wave = wave.astype(np.float32)
    if wave.ndim == 2:  # (frames, channels) → mono: average the channels
        wave = wave.mean(axis=1)
    if wave.size == 0:
        raise BadInput("audio_no_samples")
    check_duration(len(wave) / int(sr), max_seconds)
    if not np.isfinite(wave).all():
        raise BadInput("audio_invalid_samples")
    if np.abs(wave).max() > 1.0:  # float audio that overshoots full scale
        wave = wave / np.abs(wave).max()
    rms = float(np.sqrt(np.mean(wave.astype(np.float64) ** 2)))
    if rms < SILENCE_RMS:
        raise BadInput("audio_silent")
    return wave, int(sr)


# ----------------------------------------------------------------------------- text
MAX_TEXT_CHARS = 2_000  # any text, unless a demo sets its own limit below
MAX_PROMPT_CHARS = 1_000  # text generation
MAX_SENTENCES = 50  # sentence similarity: lines compared at once
MAX_SENTENCE_CHARS = 500  # ≈ 100 words; MiniLM reads at most 256 tokens and was trained on ≤ 128
MAX_TOTAL_CHARS = 10_000  # all the lines together
_TOO_LONG = {"text": "text_too_long", "query": "query_too_long"}  # the message names the field


def clean_text(text: str | bytes | None, max_chars: int = MAX_TEXT_CHARS, what: str = "text") -> str:
    """Strip and validate user text: not empty, valid Unicode, not binary, not too long.
    `what` ("text" or "query") names the field in the too-long message."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadInput("text_not_utf8") from e
    text = (text or "").strip()
    if not text:
        raise BadInput("text_missing")
    # a lone surrogate (possible through the API, never typed) cannot be encoded to UTF-8 by any model
    broken = next((ch for ch in text if unicodedata.category(ch) == "Cs"), None)
    if broken is not None:
        raise BadInput("text_invalid_unicode", code=f"{ord(broken):04X}")
    control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Co") and ch not in "\n\r\t")
    if "\x00" in text or control > max(2, len(text) // 20):
        raise BadInput("text_binary")
    if len(text) > max_chars:
        raise BadInput(_TOO_LONG[what], n=f"{len(text):,}", max=f"{max_chars:,}")
    return text


# ----------------------------------------------------------------------------- seeds
MAX_SEED = 2**32 - 1  # what numpy and every RNG here accept; a larger number is not a seed anyone needs


def check_seed(seed: object, max_seed: int = MAX_SEED) -> int:
    """A seed as an int in 0…max_seed, or BadInput (a huge or fractional number from the API included)."""
    try:
        value = float(seed) if isinstance(seed, float) else int(seed)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        raise BadInput("seed_range", max=f"{max_seed:,}") from None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise BadInput("seed_range", max=f"{max_seed:,}")
    if not 0 <= value <= max_seed:
        raise BadInput("seed_range", max=f"{max_seed:,}")
    return int(value)


# ----------------------------------------------------------------------------- uploads
# What each web server lets through, by the demo's input kind; the checks above then look inside.
UPLOAD_BYTES = {"image": MAX_IMAGE_BYTES, "drawing": MAX_IMAGE_BYTES, "audio": MAX_AUDIO_BYTES}
MAX_UPLOAD_BYTES = max(UPLOAD_BYTES.values())  # Streamlit has one cap for all its uploads
NO_FILE_UPLOAD_BYTES = 2**20  # a widget that takes no file still has an upload route: keep it small


def upload_limit(input_kind: str) -> int:
    """Largest file, in bytes, a Gradio widget for this kind of input accepts (refused while streaming)."""
    return UPLOAD_BYTES.get(input_kind, NO_FILE_UPLOAD_BYTES)


def stated_limits() -> dict[str, str]:
    """Every limit above, formatted for people. Locale texts name them as placeholders ({max_audio_seconds}),
    filled by `ui.i18n`, so what the UI states is what the code checks."""
    return {
        "max_image_mb": f"{MAX_IMAGE_BYTES // 2**20}",
        "max_image_mp": f"{MAX_IMAGE_PIXELS // 10**6}",
        "min_image_side": f"{MIN_IMAGE_SIDE}",
        "max_image_aspect": f"{MAX_IMAGE_ASPECT}",
        "max_audio_mb": f"{MAX_AUDIO_BYTES // 2**20}",
        "min_audio_seconds": f"{MIN_AUDIO_SECONDS:g}",
        "max_audio_seconds": f"{MAX_AUDIO_SECONDS:g}",
        "max_text_chars": f"{MAX_TEXT_CHARS:,}",
        "max_prompt_chars": f"{MAX_PROMPT_CHARS:,}",
        "max_sentences": f"{MAX_SENTENCES:,}",
        "max_sentence_chars": f"{MAX_SENTENCE_CHARS:,}",
        "max_total_chars": f"{MAX_TOTAL_CHARS:,}",
        "max_seed": f"{MAX_SEED:,}",
        "max_upload_mb": f"{MAX_UPLOAD_BYTES // 2**20}",
    }
