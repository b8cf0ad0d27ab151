"""Heavy work started from a Streamlit page (live training) waits in the server's line, showing its place.

The line is `zoo.runtime.heavy_job`, shared with the Gradio widgets: at most one job per usable core runs at
once, whichever part of the app started it.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Iterator

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


def visitor_present() -> Callable[[], bool]:
    """For work that outlives the script that started it (a training run in a thread): a question it can ask
    from any thread — is the visitor whose page started it still connected? False once they closed the tab or
    the connection dropped, so the work can stop and give its place in line to someone else."""
    from streamlit.runtime import get_instance
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:  # not in a Streamlit script (a test calling the page's code): nobody to ask about
        return lambda: True
    runtime_, session_id = get_instance(), ctx.session_id
    return lambda: runtime_.is_active_session(session_id)
