"""Showing text a user controls (query parameters, file names, typed text, values echoed in error messages)
without letting it become markup.

Streamlit renders `st.markdown`, `st.error`, `st.info`, `st.caption`… as Markdown (GitHub-flavoured, with
Streamlit's `:color[…]` directives and `$…$` maths); Gradio renders `gr.Error` messages as HTML. A query
parameter such as `[Session expired](https://evil.example/login)` would otherwise show a clickable outside
link inside the app, and `![t](https://evil.example/p.png)` would make the browser fetch an outside image.
So user text goes through `md` (or `html`) on its way into any of them; our own locale texts do not.
"""

from __future__ import annotations

import html as _html
import logging
import re

from zoo.demos import BadInput
from zoo.weights import WeightsUnavailable

from .i18n import Translator

log = logging.getLogger("deepzoo")

SHOWN_CHARS = 120  # user text echoed back in a message is cut to this: enough to recognise, not a page
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")  # newlines included: one line, no new blocks
# Words, numbers and plain punctuation: mid-sentence, nothing in them that Markdown (or Streamlit's
# extensions) acts on — no brackets, emphasis, code, maths, HTML, shortcodes — and no autolink (www., ://).
_PLAIN = re.compile(r"[0-9A-Za-z ,.×%'+()/-]*")
_AUTOLINK = re.compile(r"www\.|://", re.IGNORECASE)


def shorten(text: object, limit: int = SHOWN_CHARS) -> str:
    """`text` as one line of at most `limit` characters (an ellipsis marks a cut)."""
    s = _CONTROL.sub(" ", str(text))
    return s if len(s) <= limit else s[: limit - 1] + "…"


def md(text: object, limit: int = SHOWN_CHARS) -> str:
    """User text, shortened, as Markdown that renders as exactly that text: plain words and numbers as
    they are, anything else as inline code. Backslash-escaping is not enough: Streamlit still turns an
    escaped `https\\://…` or `www\\.…` into a link (GFM autolinks), but nothing inside a code span is
    parsed — no link, image, directive, maths or HTML."""
    s = shorten(text, limit)
    if _PLAIN.fullmatch(s) and not _AUTOLINK.search(s):
        return s
    fence = "`" * (max((len(run) for run in re.findall("`+", s)), default=0) + 1)  # longer than any run inside
    pad = " " if s[0] in "` " or s[-1] in "` " else ""  # CommonMark strips one space each side: keep the text's own
    return f"{fence}{pad}{s}{pad}{fence}"


def html(text: object, limit: int = SHOWN_CHARS) -> str:
    """User text, shortened, as HTML that renders as exactly that text."""
    return _html.escape(shorten(text, limit), quote=True)


def report_error(t: Translator, e: Exception, escape=md) -> str:
    """Log `e` once on the server and return what the user reads, in their language: what was wrong with
    their input (a BadInput; its values, which may echo that input, escaped by `escape`), that the weights
    are missing here, or — for anything else — a generic message naming at most the error's class. An
    exception's own text never reaches the user: it may hold paths, internals or the user's own markup."""
    if isinstance(e, BadInput):  # the user's mistake, not the server's: one line, no traceback
        log.info("refused input: %s", e)
        return t(f"input.{e.key}", **{name: escape(value) for name, value in e.params.items()})
    if isinstance(e, WeightsUnavailable):
        log.error("weights unavailable: %s", e, exc_info=e)
        return t("error.weights")
    log.error("unexpected %s", type(e).__name__, exc_info=e)
    return t("error.unexpected", kind=type(e).__name__)
