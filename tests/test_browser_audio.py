"""The spoken-digit widget through the app's one port: a Gradio API call with a real audio file, and the page in Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples" / "audio"


def _client(base_url: str):
    from gradio_client import Client

    return Client(f"{base_url}/gradio/spoken_digits/", verbose=False)


@pytest.mark.parametrize("name", ["three.wav", "five.flac"])
def test_api_names_the_digit_in_a_sample_file(base_url, name):
    from gradio_client import handle_file

    from zoo.weights import get as get_weights

    label, note, wave, mel = _client(base_url).predict(handle_file(str(SAMPLES / name)), api_name="/classify")
    assert label["label"] == Path(name).stem
    assert {c["label"] for c in label["confidences"]} <= set(get_weights("m5").labels)
    assert "zero-padded" in note
    assert Path(wave).stat().st_size > 1000 and Path(mel).stat().st_size > 1000  # the two pictures came back


def test_api_explains_a_file_that_is_not_audio(base_url, tmp_path):
    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    bad = tmp_path / "notes.wav"
    bad.write_text("these are notes, not sound\n" * 20)
    with pytest.raises(AppError, match="not audio DeepZoo can read"):
        _client(base_url).predict(handle_file(str(bad)), api_name="/classify")


def test_widget_page_and_a_sample(page, base_url):
    from playwright.sync_api import expect

    page.goto(base_url + "/gradio/spoken_digits/")
    page.get_by_text("Say a digit from").first.wait_for()
    assert page.title() == "DeepZoo · Spoken digits"
    page.get_by_text("seven.wav").first.click()  # an example: loads the clip and runs the model
    expect(page.get_by_label("What the model heard")).to_have_value(
        re.compile("zero-padded around the speech"), timeout=90_000
    )
    expect(page.get_by_text("seven", exact=True).first).to_be_visible()  # the Label's headline
    # the waveform and spectrogram pictures; Gradio may draw them a moment after the label
    page.wait_for_function("() => document.querySelectorAll(\"img[src*='file=']\").length >= 2")


def test_model_page_embeds_the_widget(page, base_url):
    page.goto(base_url + "/model?model=m5")
    page.get_by_role("heading", name="M5").first.wait_for()
    page.get_by_role("tab", name="Try it").click()
    frame = page.frame_locator("iframe[src*='/gradio/spoken_digits/']")
    frame.get_by_role("button", name="Recognise").wait_for(timeout=90_000)  # the intro is the page's, not repeated
