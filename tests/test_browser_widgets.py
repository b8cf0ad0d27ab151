"""Embedded Gradio widgets as a person sees them: a frame exactly as tall as the widget (no scrollbar inside
the page), the app's language whatever the browser's, no repeated title, the app's colours and font."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)

# language of the page → (browser locale, the dates widget's label, Gradio's own footer text, the server's note)
CASES = {
    "en": ("zh-CN", "A date", "Use via API", "A real calendar date."),  # a Chinese browser on the English app
    "zh": ("en-US", "日期", "通过 API 使用", "这是一个真实存在的日期。"),
}


def _fits(page) -> dict:
    """The frame's height against the height of what it shows, and whether anything inside can scroll."""
    return page.evaluate("""() => {
        const frame = document.querySelector('iframe.dz-widget');
        const doc = frame.contentDocument.documentElement;
        return {frame: frame.getBoundingClientRect().height, content: doc.scrollHeight, view: doc.clientHeight,
                scrolls: doc.scrollHeight > doc.clientHeight + 1};
    }""")


def _wait_until_fitted(page) -> dict:
    page.wait_for_function("""() => {
        const f = document.querySelector('iframe.dz-widget');
        const d = f && f.contentDocument && f.contentDocument.documentElement;
        return d && d.scrollHeight > 320 && Math.abs(f.getBoundingClientRect().height - d.scrollHeight) <= 2;
    }""", timeout=60_000)
    return _fits(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_widget_fits_its_content_and_speaks_the_apps_language(browser, base_url, lang):
    from playwright.sync_api import expect

    locale, label, footer, note = CASES[lang]
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{base_url}/model?model=seq2seq_attention&tab=try&lang={lang}")
        widget = page.frame_locator("iframe.dz-widget")
        widget.get_by_text(label, exact=True).wait_for(timeout=120_000)  # the widget's own label, translated
        box = widget.get_by_role("textbox").first  # the date to convert
        expect(widget.get_by_text(footer)).to_be_visible()  # Gradio's own text follows the app, not the browser
        expect(widget.locator("div.block.dz-standalone")).to_be_hidden()  # the page above shows title and text
        before = _wait_until_fitted(page)
        assert not before["scrolls"], before

        box.fill("25.12.1999")
        box.press("Enter")
        expect(widget.get_by_text(note)).to_be_visible(timeout=90_000)  # built on the server, in the page's language
        widget.locator("canvas, svg.marks").first.wait_for(timeout=60_000)  # the heat map was drawn
        after = _wait_until_fitted(page)  # the note under the date made the widget taller: the frame followed
        assert not after["scrolls"] and after["frame"] > before["frame"], (before, after)

        look = widget.locator("button.primary").first.evaluate(
            "b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).fontFamily]")
        assert look[0] != "rgb(249, 115, 22)" and "Source Sans 3" in look[1]  # not Gradio's orange; the app's font
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.locator("iframe.dz-widget").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"widget_dates_{lang}.png"))
    finally:
        context.close()


def test_model_choices_follow_the_apps_language(browser, base_url):
    """The text-generation widget's model names are translated too (an English browser on the Chinese app)."""
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    try:
        page.goto(f"{base_url}/gradio/text_generation/?lang=zh")
        page.wait_for_selector("input[type=radio]", timeout=120_000)
        labels = page.locator("label:has(input[type=radio])")
        labels.filter(has_text="字节级").first.wait_for(timeout=60_000)
        assert labels.all_inner_texts() == ["GPT（4 层，字节级）", "字符级 LSTM（2×128，字节级）"]
    finally:
        context.close()
