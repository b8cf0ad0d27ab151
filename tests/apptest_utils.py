"""Shared AppTest set-up for the app tests."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def open_page(page: str, timeout: float = 120, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=timeout)
    for k, v in query.items():  # as if the user opened a link carrying these parameters
        at.query_params[k] = v
    at.run()
    if page != "pages/home.py":  # the default page
        at.switch_page(page)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything a person reads on the page, as one string."""
    parts = []
    for kind in ("title", "subheader", "markdown", "caption", "error", "info", "success", "warning"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)
