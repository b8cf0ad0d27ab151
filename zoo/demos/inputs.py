"""Turning a user's file or text into something a model can take — or a clear `BadInput` message.

Every limit a user can hit is a named constant here, so the UI can state it up front.
"""

from __future__ import annotations

import io
import unicodedata
import warnings

import numpy as np

from . import BadInput

# ----------------------------------------------------------------------------- images
MAX_IMAGE_BYTES = 25 * 1024 * 1024  # 25 MB file
MAX_IMAGE_PIXELS = 40_000_000  # 40 megapixels; bigger is refused before decoding (decompression bombs)
DEMO_IMAGE_SIDE = 1024  # larger images are downscaled to this longest side before any model sees them


def load_image(data: bytes, max_pixels: int = MAX_IMAGE_PIXELS):
    """Decode image bytes into an RGB PIL image, whatever the file's mode (RGBA, CMYK, 16-bit, P, L).

    Raises BadInput for empty, corrupt, non-image, too large or animated-bomb files.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise BadInput("The file is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise BadInput(f"The file is {len(data) / 1e6:.0f} MB; images up to {MAX_IMAGE_BYTES // 2**20} MB are accepted.")
    too_big = "The image is {w}×{h} ({mp:.1f} megapixels); the limit is {limit:.0f} megapixels."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            try:
                img = Image.open(io.BytesIO(data))
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
                # Pillow refuses huge images itself while opening; report them like any over-size image.
                size = _header_size(data)
                if size is None:
                    raise BadInput(f"The image is larger than {max_pixels / 1e6:.0f} megapixels, the limit.") from e
                w, h = size
                raise BadInput(too_big.format(w=w, h=h, mp=w * h / 1e6, limit=max_pixels / 1e6)) from e
            w, h = img.size  # read from the header: nothing decoded yet
            if w * h > max_pixels:
                raise BadInput(too_big.format(w=w, h=h, mp=w * h / 1e6, limit=max_pixels / 1e6))
            img.draft("RGB", (DEMO_IMAGE_SIDE, DEMO_IMAGE_SIDE))  # JPEG: decode at reduced size, cheaply
            img.load()
    except BadInput:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BadInput("This file is not an image DeepZoo can read (PNG, JPEG, WebP, GIF, BMP, TIFF).") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise BadInput(f"The image file is damaged or truncated ({e}).") from e
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
SILENCE_RMS = 1e-3  # below this (full scale = 1.0) a clip counts as silent
AUDIO_FORMATS = "WAV, FLAC, OGG/Vorbis, Opus or MP3"


def load_audio(data: bytes, max_seconds: float = MAX_AUDIO_SECONDS) -> tuple[np.ndarray, int]:
    """Decode audio bytes to mono float32 in [-1, 1] and its sample rate (no ffmpeg: libsndfile).

    Raises BadInput for empty, unsupported, corrupt, too long or silent audio.
    """
    import soundfile as sf

    if not data:
        raise BadInput("The audio file is empty.")
    if len(data) > MAX_AUDIO_BYTES:
        raise BadInput(f"The file is {len(data) / 1e6:.0f} MB; audio up to {MAX_AUDIO_BYTES // 2**20} MB is accepted.")
    try:
        info = sf.info(io.BytesIO(data))
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as e:
        raise BadInput(f"This file is not audio DeepZoo can read. Supported: {AUDIO_FORMATS}.") from e
    if info.frames <= 0 or info.samplerate <= 0:
        raise BadInput("The audio file holds no samples.")
    if info.duration > max_seconds:
        raise BadInput(f"The clip is {info.duration:.0f} s long; clips up to {max_seconds:.0f} s are accepted.")
    try:
        wave, sr = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise BadInput(f"The audio file is damaged ({e}).") from e
    return check_wave(wave, sr)


def check_wave(wave: np.ndarray, sr: int) -> tuple[np.ndarray, int]:
    """Mono-mix, clean and sanity-check a decoded waveform (from a file or the microphone)."""
    wave = np.asarray(wave)
    if np.issubdtype(wave.dtype, np.integer):  # integer PCM (e.g. a microphone widget): to [-1, 1] by its full scale
        wave = wave.astype(np.float32) / float(np.iinfo(wave.dtype).max)
    wave = wave.astype(np.float32)
    if wave.ndim == 2:  # (frames, channels) → mono: average the channels
        wave = wave.mean(axis=1)
    if wave.size == 0:
        raise BadInput("The recording is empty.")
    if not np.isfinite(wave).all():
        raise BadInput("The audio contains invalid samples.")
    if np.abs(wave).max() > 1.0:  # float audio that overshoots full scale
        wave = wave / np.abs(wave).max()
    rms = float(np.sqrt(np.mean(wave.astype(np.float64) ** 2)))
    if rms < SILENCE_RMS:
        raise BadInput("The clip is silent (or nearly). Record again closer to the microphone.")
    return wave, int(sr)


# ----------------------------------------------------------------------------- text
MAX_TEXT_CHARS = 2_000


def clean_text(text: str | bytes | None, max_chars: int = MAX_TEXT_CHARS, what: str = "text") -> str:
    """Strip and validate user text: not empty, not binary, not too long."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BadInput(f"The {what} is not UTF-8 text.") from e
    text = (text or "").strip()
    if not text:
        raise BadInput(f"Please enter some {what}.")
    control = sum(1 for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t")
    if "\x00" in text or control > max(2, len(text) // 20):
        raise BadInput(f"The {what} looks like binary data, not language.")
    if len(text) > max_chars:
        raise BadInput(f"The {what} is {len(text):,} characters long; the limit is {max_chars:,}.")
    return text
