"""Heavy work started from a Streamlit page (live training) waits in the server's line, showing its place.

The line is `zoo.runtime.heavy_job`, shared with the Gradio widgets: at most one job per usable core runs at
once, whichever part of the app started it.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import streamlit as st

from zoo import runtime

from .i18n import Translator


@contextlib.contextmanager
def heavy_job(t: Translator) -> Iterator[None]:
    """Run the block as one of the server's heavy jobs. While all places are taken, a note says where this
    visitor is in line; redrawing it every half second also lets Streamlit stop the wait when they leave or
    click something else."""
    note = st.empty()

    def waiting(position: int) -> None:
        note.info(t("demos.busy", position=position), icon="⏳")

    with runtime.heavy_job(waiting):
        note.empty()  # our turn: the note goes (a wait that ends by the visitor leaving needs no tidying)
        yield
