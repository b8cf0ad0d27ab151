"""Text a user controls never becomes markup, and no exception's own text reaches a user: `?model=` links
and images, escaped values in error messages, the page guard and the Gradio handlers' errors."""

from __future__ import annotations

import html
import logging
import re
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt

from apptest_utils import open_page
from ui.i18n import Translator
from ui.safe import md, report_error
from zoo.demos import BadInput

LINK = "[Session expired - click here](https://evil.example/login)"
IMAGE = "![t](https://evil.example/p.png)"
NASTY = [
    LINK,
    IMAGE,
    "https://evil.example/x and www.evil.example and a@evil.example",  # GFM autolinks
    "<img src=https://evil.example/p.png> <b>bold</b>",
    ":red[red] $x^2$ **bold** _it_ # heading",
    "a `code` span ``` and ` ticks",
    " `starts and ends with a tick` ",
]


def rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").render(markdown)


def outside_code(rendered_html: str) -> str:
    """The rendered text that is not inside a code span: where a link, autolink or markup could live."""
    return re.sub(r"<code>.*?</code>", "", rendered_html, flags=re.S)


@pytest.mark.parametrize("text", NASTY)
def test_md_shows_user_text_as_literal_text(text):
    out = rendered(f"There is no model called “{md(text)}”.")
    assert "<a" not in out and "<img" not in out and "<b>" not in out and "<h1" not in out
    assert "evil" not in outside_code(out) and "$" not in outside_code(out)  # nothing left for autolinks/maths
    code = re.findall(r"<code>(.*?)</code>", out, flags=re.S)
    assert [html.unescape(c) for c in code] == [text]  # the exact text, shown as is


def test_md_leaves_words_and_numbers_alone():
    for plain in ("4,294,967,295", "0.1", "resnet5", "Mr. Hi", "'gpt9'", "(1, 10000)", "WAV, FLAC, OGG/Vorbis"):
        assert md(plain) == plain
    assert md("see www.evil.example") == "`see www.evil.example`"  # plain characters, but GFM would link it
    assert md("x" * 500).endswith("…`") and len(md("x" * 500)) < 130  # long text is cut
    assert "\n" not in md("one\n# two")  # one line: no new block can start


def _error_markdown(at) -> str:
    assert len(at.error) == 1, [e.value for e in at.error]
    return at.error[0].value


@pytest.mark.parametrize("requested", [LINK, IMAGE], ids=["link", "image"])
def test_model_query_parameter_cannot_inject_a_link_or_image(requested):
    at = open_page("pages/model.py", model=requested)
    assert not at.exception, at.exception
    out = rendered(_error_markdown(at))
    assert "<a" not in out and "<img" not in out, out
    assert "evil.example" not in outside_code(out)  # not even a bare URL for GFM to autolink
    assert requested in html.unescape(out)  # shown, literally, so the person sees what the link said


def test_the_page_guard_shows_a_translated_message_and_logs_once(caplog):
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from ui.common import guarded
        from ui.i18n import Translator

        with guarded(Translator(st.session_state.get("lang", "en"))):
            raise RuntimeError("secret /srv/deepzoo/key [x](https://evil.example)")
        st.write("the rest of the page")

    caplog.set_level(logging.INFO, logger="deepzoo")
    at = AppTest.from_function(script, default_timeout=60).run()
    assert not at.exception
    shown = _error_markdown(at)
    assert "RuntimeError" in shown and "secret" not in shown and "evil" not in shown
    assert shown == Translator("en")("error.unexpected", kind="RuntimeError")
    assert at.markdown[0].value == "the rest of the page"  # one broken view does not stop the page
    records = [r for r in caplog.records if r.name == "deepzoo"]
    assert len(records) == 1 and records[0].levelno == logging.ERROR
    assert records[0].exc_info and "secret /srv/deepzoo/key" in str(records[0].exc_info[1])  # for the maintainer

    caplog.clear()
    at.session_state["lang"] = "zh"
    at.run()
    assert _error_markdown(at) == Translator("zh")("error.unexpected", kind="RuntimeError")
    assert len([r for r in caplog.records if r.name == "deepzoo"]) == 1


def test_a_bad_input_reads_in_the_users_language_with_its_values_escaped():
    e = BadInput("unknown_model", value=repr(LINK), choices="gcn or gat")
    for lang in ("en", "zh"):
        out = rendered(report_error(Translator(lang), e))
        assert "<a" not in out and "evil" not in outside_code(out)
    assert "未知的模型" in report_error(Translator("zh"), e)


# ----------------------------------------------------------------------------- Gradio handlers (no server)


def _request(language: str):
    return SimpleNamespace(headers={"accept-language": language})


def test_gradio_errors_are_translated_escaped_and_logged_once(caplog):
    import gradio as gr

    from ui.gradio_demos import user_error

    caplog.set_level(logging.INFO, logger="deepzoo")
    err = user_error(_request("en-US,en;q=0.9"), BadInput("unknown_model", value="'<img src=x onerror=alert(1)>'",
                                                          choices="gpt2, char_lstm"))
    assert isinstance(err, gr.Error) and not err.print_exception  # Gradio prints no second traceback
    assert "<img" not in err.message and "&lt;img src=x onerror=alert(1)&gt;" in err.message  # rendered as HTML

    err = user_error(_request("zh-CN,zh;q=0.9"), RuntimeError("secret /srv/deepzoo/key"))
    assert err.message == Translator("zh")("error.unexpected", kind="RuntimeError") and "secret" not in err.message
    records = [r for r in caplog.records if r.name == "deepzoo"]
    assert [r.levelno for r in records] == [logging.INFO, logging.ERROR]  # one line each; the traceback once
    assert records[1].exc_info is not None

    already = gr.Error("kept as it is")
    assert user_error(None, already) is already


def test_gradio_handlers_turn_surrogates_and_huge_seeds_into_clear_messages():
    import gradio as gr

    from ui.gradio_demos import sentence_similarity, text_generation

    with pytest.raises(gr.Error, match="invalid character"):
        list(text_generation.generate("Hello \ud800", "gpt2", 0.8, 40, 10, 0, _request("en")))
    with pytest.raises(gr.Error, match="随机种子超出范围"):
        list(text_generation.generate("Hello", "gpt2", 0.8, 40, 10, 99999999999999999999, _request("zh")))
    with pytest.raises(gr.Error, match="invalid character"):
        sentence_similarity.compare("One.\nTwo \udc00.", "", _request("en"))
