"""The dates demo: the shipped seq2seq model really reaches the held-out accuracy its manifest states, its
attention is a distribution over the input, and bad input is refused with a clear message."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest

from zoo.demos import BadInput, dates
from zoo.train import dates as data
from zoo.weights import manifest


@pytest.fixture(scope="module")
def model():
    return dates.load()


@pytest.fixture(scope="module")
def shipped() -> dict:
    return manifest()["seq2seq_dates.safetensors"]


def test_manifest_states_the_target_accuracy(shipped):
    assert shipped["model"] == "seq2seq_attention" and shipped["recipe"] == "seq2seq_dates"
    assert shipped["metric"]["held-out dates exact match %"] >= 95.0
    assert shipped["params"] < 300_000  # the tiny char-level configuration of the weights' config


def test_held_out_accuracy_recomputed_matches_the_manifest(model, shipped):
    """The first 300 pairs of the manifest's own held-out sample (dates never trained on, every format)."""
    pairs = data.evaluation_sets()["held-out dates"][:300]
    assert all(data.held_out(dt.date.fromisoformat(iso)) for _, iso in pairs)
    acc = data.exact_match(model, pairs)
    assert abs(acc - shipped["metric"]["held-out dates exact match %"]) <= 3.0, acc


def test_training_never_sees_a_held_out_date():
    r = random.Random(7)
    for _ in range(3000):
        _, iso = data.sample(r, "train")
        assert not data.held_out(dt.date.fromisoformat(iso))


@pytest.mark.parametrize(
    "text, iso",
    [
        ("3rd of March 2021", "2021-03-03"),
        ("March 3, 21", "2021-03-03"),
        ("2021/3/3", "2021-03-03"),
        ("星期三 2021年3月3日", "2021-03-03"),
        ("二〇二一年三月三日", "2021-03-03"),
        ("25.12.1999", "1999-12-25"),
        ("July 4th, 1976", "1976-07-04"),
        ("  ＭＡＲＣＨ  ３,  ２０２１ ", "2021-03-03"),  # full-width and extra spaces are normalised away
    ],
)
def test_examples_become_iso_dates(text, iso):
    r = dates.run(text)
    assert r.iso == iso and r.valid


def test_attention_rows_are_distributions_over_the_input():
    r = dates.run("Wednesday, March 3, 2021")
    assert r.attention.shape == (len(r.output), len(r.source)) == (11, len("wednesday, march 3, 2021"))
    np.testing.assert_allclose(r.attention.sum(1), 1.0, atol=1e-5)
    assert (r.attention >= 0).all()
    # writing the year's last digit, the model looks at the input's last characters (the year), not the weekday
    assert r.attention[3].argmax() >= len(r.source) - 4


@pytest.mark.parametrize(
    "text, key",
    [
        ("", "text_missing"),
        ("   \n ", "text_missing"),
        (None, "text_missing"),
        ("3 March 2021 " * 6, "text_too_long"),  # 77 characters > 64
        ("3 March\x07 2021", "date_control"),
        ("2021\u200b/3/3", "date_control"),  # a zero-width space
        ("\x00\x01\x02\x03binary", "text_binary"),
        (b"\xff\xfe\x00", "text_not_utf8"),
        ("🙂🙂🙂 ☃", "date_unknown_chars"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(text, key):
    with pytest.raises(BadInput) as e:
        dates.run(text)
    assert e.value.key == key and str(e.value)


def test_stated_limit_is_the_checked_limit():
    from ui.i18n import strings

    for lang in ("en", "zh"):
        assert str(data.MAX_SOURCE_CHARS) in strings(lang)["demo.dates.limits"]
    dates.check("x" * data.MAX_SOURCE_CHARS)
    with pytest.raises(BadInput):
        dates.check("x" * (data.MAX_SOURCE_CHARS + 1))
