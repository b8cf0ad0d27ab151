"""A fix for Gradio 6.31 that concurrent users need: image outputs written to its cache atomically.

`gradio.processing_utils.save_pil_to_cache` (what every gr.Image output goes through) writes the image to
`<cache>/<hash of its bytes>/image.webp` with `Path.write_bytes`, every time, even when the file is there. Two
requests with the same output (everyone trying the same sample clip) then rewrite the file while the first
one's browser is downloading it: the download gets a truncated file ("peer closed connection without sending
complete message body (received 0 bytes, expected 2950)": 6 of 20 concurrent spoken-digit calls in
bench/load.py). Gradio already writes plain files to its cache the safe way (`save_file_to_cache`: a staging
file renamed into place); this does the same for images. The path is content-addressed, so a file that
exists already holds these very bytes and is left alone.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from gradio import processing_utils


def _save_pil_to_cache(img, cache_dir: str, name: str = "image", format: str = "webp") -> str:
    data = processing_utils.encode_pil_to_bytes(img, format)  # raises for a format PIL cannot write, as before
    folder = Path(cache_dir) / processing_utils.hash_bytes(data)
    folder.mkdir(exist_ok=True, parents=True)
    path = (folder / f"{name}.{format}").resolve()
    if not path.exists():
        fd, staging = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(staging, path)  # readers see the old complete file or the new complete file, never half
        except BaseException:
            Path(staging).unlink(missing_ok=True)
            raise
    return str(path)


def write_images_atomically() -> None:
    """Install the fix (idempotent). gr.Image looks the function up on the module at every call."""
    processing_utils.save_pil_to_cache = _save_pil_to_cache
