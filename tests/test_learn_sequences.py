"""zoo.learn.tasks.sequences: dates → ISO (RNNsearch, Transformer, T5), date-string tagging (BiLSTM-CRF), Python
help-text chapters (TextCNN, LSTM classifier) and digits read row by row (bare RNN/GRU/LSTM with a read-out).

Each objective trains for a few seconds and must beat the untrained model on its held-out split."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
import torch

from zoo import learn
from zoo.learn.tasks import sequences as seq
from zoo.runtime import single_threaded
from zoo.train import dates


def _train(key: str, steps: int, batch_size: int, data_options: dict | None = None, **config):
    plan = learn.plans_for(key)[0]
    data = learn.load_dataset(plan.dataset, **{**plan.data_options, **(data_options or {})})
    model = learn.build(plan, seed=0)
    with single_threaded():
        before = data.evaluate(model)
        fit_config = learn.FitConfig(**{**plan.defaults, "max_steps": steps, "epochs": 10_000, "batch_size": batch_size,
                                        "warmup_steps": 0, "seed": 0, **config})
        result = learn.fit(model, data, fit_config)
    return data, before, result


@pytest.mark.parametrize("key", ["seq2seq_attention", "transformer_base", "t5_small"])
def test_translation_learns(key):
    """A few seconds are too few for whole dates to come out right: the held-out teacher-forced loss must fall."""
    _, before, result = _train(key, 25, 32, {"eval_pairs": 40}, lr=3e-3)
    assert result.final_metrics["loss"] < 0.75 * before["loss"], (before, result.final_metrics)
    assert 0 <= result.final_metrics["exact_match"] <= 100


def test_tagger_learns():
    _, before, result = _train("bilstm_crf", 25, 32, {"eval_strings": 100})
    assert before["span_f1"] < 10 and result.final_metrics["span_f1"] > before["span_f1"] + 20, (before, result.final_metrics)
    assert result.final_metrics["tag_accuracy"] > before["tag_accuracy"] + 20


@pytest.mark.parametrize("key", ["textcnn", "lstm_classifier"])
def test_chapter_classifiers_learn(key):
    data, before, result = _train(key, 40 if key == "textcnn" else 25, 32)
    majority = float(torch.bincount(data.y_val).max()) / len(data.y_val)
    assert result.final_metrics["accuracy"] > max(before["accuracy"], majority) + 0.03, (before, result.final_metrics)


@pytest.mark.parametrize("key", ["rnn", "gru", "lstm"])
def test_recurrent_layers_learn(key):
    _, before, result = _train(key, 40, 64, lr=3e-3)
    assert result.final_metrics["accuracy"] > before["accuracy"] + 0.3, (before, result.final_metrics)


def test_same_seed_same_losses():
    """The Transformer draws dropout: the engine routes it to the run's generator, so two runs agree."""
    runs = [_train("transformer_base", 3, 8, {"eval_pairs": 4})[2].losses for _ in range(2)]
    assert runs[0] == runs[1]
    plan = learn.plans_for("bilstm_crf")[0]
    data = learn.load_dataset(plan.dataset, eval_strings=8)
    assert all(torch.equal(a, b) for a, b in zip(data.batch(torch.tensor([3, 7])), data.batch(torch.tensor([3, 7]))))


@pytest.mark.parametrize("key", ["seq2seq_attention", "t5_small", "bilstm_crf", "textcnn", "rnn"])
def test_evaluate_stops_when_cancelled(key):
    plan = learn.plans_for(key)[0]
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    cancel = threading.Event()
    cancel.set()
    assert data.evaluate(learn.build(plan, 0), cancel=cancel) is None


def test_tagged_strings_are_tagged_by_construction():
    r = random.Random(0)
    for _ in range(200):
        text, tags = seq.tagged_sample(r, "held_out")
        assert len(text) == len(tags)
        found = {field: text[a : b + 1] for field, a, b in seq.spans([seq.TAG_IDS[t] for t in tags])}
        assert {"DAY", "MONTH", "YEAR"} <= set(found), (text, tags)
        assert found["YEAR"].isdigit() or set(found["YEAR"]) <= set(dates.ZH_DIGITS)
    ids = [seq.TAG_IDS[t] for t in ["B-YEAR", "I-YEAR", "I-YEAR", "I-YEAR", "O", "B-MONTH", "O", "B-DAY"]]
    assert seq.spans(ids) == {("YEAR", 0, 3), ("MONTH", 5, 5), ("DAY", 7, 7)}
    assert seq.spans([seq.TAG_IDS["I-DAY"], seq.TAG_IDS["I-DAY"]]) == {("DAY", 0, 1)}  # I without B opens a span


def test_dates_are_held_out_and_vocabularies_agree():
    data = learn.load_dataset("dates", interface="transformer", eval_pairs=20)
    x, tgt_in, y = data.batch(torch.arange(16))
    assert int(x.max()) < seq.SHARED_VOCAB and int(y.max()) < seq.SHARED_VOCAB and (tgt_in[:, 0] == seq.SHARED_BOS).all()
    assert seq._shared_decode(y[0].tolist()) == seq._train_pair(0)[1]
    assert not any(dates.held_out(dt.date.fromisoformat(seq._train_pair(i)[1])) for i in range(200))
    assert all(dates.held_out(dt.date.fromisoformat(iso)) for _, iso in data.held_out_dates)


def test_chapters_label_every_topic_but_pdb():
    from pydoc_data.topics import topics

    assert set(topics) - set(seq.TOPIC_CHAPTERS) <= {"debugger"}
    data = learn.load_dataset("python_help_topics")
    assert data.x_train.shape[1] == seq.PASSAGE_TOKENS and set(data.y_val.tolist()) == set(range(len(seq.CHAPTERS)))
    train = {tuple(r.tolist()) for r in data.x_train}
    # passages are unique; a held-out one reads like a training one only where its differing word is unknown (id 1)
    alike = [r for r in data.x_val if tuple(r.tolist()) in train]
    assert len(alike) <= 0.01 * len(data.x_val) and all((r == 1).any() for r in alike)


def test_plans_and_reductions():
    expected = {"seq2seq_attention": ("dates", None), "transformer_base": ("dates", None), "t5_small": ("dates", None),
                "bilstm_crf": ("date_tags", "char_tagger"), "textcnn": ("python_help_topics", "cnn_rand"),
                "lstm_classifier": ("python_help_topics", None), "rnn": ("digit_rows", "last_state_classifier"),
                "gru": ("digit_rows", "last_state_classifier"), "lstm": ("digit_rows", "last_state_classifier")}
    for key, (dataset, builder) in expected.items():
        plan = learn.plans_for(key)[0]
        assert plan.dataset == dataset and (plan.builder or "").endswith(builder or ""), key
        assert plan.builder is None or builder is not None, key
        codes = {r.code for r in plan.reductions}
        assert codes and plan.note(), key
        d = plan.defaults
        assert d.get("max_steps") is None or (d["max_steps"] % 50 == 0 and 50 <= d["max_steps"] <= 2000)
        assert d.get("max_steps") is not None or d["epochs"] <= 20
    assert {"sequences_chars", "sequences_t5_no_mask", "layers"} <= {r.code for r in learn.plans_for("t5_small")[0].reductions}
    assert learn.plans_for("rnn")[0].overrides == {"input_size": 8}
    assert learn.plans_for("bilstm_crf")[0].overrides == {"num_tags": 9}
