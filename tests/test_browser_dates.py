"""The dates widget in a real browser: embedded on RNNsearch's Try-it tab, a date typed in comes back in ISO form
with its attention heat map; and the widget's API explains bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def _client(base_url: str):
    from gradio_client import Client

    return Client(f"{base_url}/gradio/dates/", verbose=False)


def test_api_converts_and_explains_bad_input(base_url):
    from gradio_client.exceptions import AppError

    iso, note, _plot = _client(base_url).predict("the 25th of December, 1999", api_name="/convert")
    assert iso == "1999-12-25" and "real calendar date" in note
    with pytest.raises(AppError, match="limit is 64"):
        _client(base_url).predict("3 March 2021 " * 6, api_name="/convert")


def test_model_page_widget_turns_a_typed_date_into_iso(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/model?model=seq2seq_attention&tab=try")
    frame = page.frame_locator("iframe[src*='/gradio/dates/']")
    box = frame.get_by_label("A date")
    box.wait_for(timeout=120_000)
    box.fill("星期三 2021年3月3日")
    box.press("Enter")
    expect(frame.get_by_label("ISO 8601 date")).to_have_value("2021-03-03", timeout=90_000)
    frame.get_by_text("A real calendar date.").wait_for()
    frame.locator("canvas, svg.marks").first.wait_for(timeout=60_000)  # the attention heat map was drawn
    box.fill("July 4th, 1976")
    frame.get_by_role("button", name="Convert").click()
    expect(frame.get_by_label("ISO 8601 date")).to_have_value("1976-07-04", timeout=90_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dates.png"), full_page=True)
    assert "Traceback" not in page.content()
