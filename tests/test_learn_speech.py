"""zoo.learn.tasks.speech: the speech and audio objectives on espeak-ng digits really train (a few seconds each on
a few voices), runs repeat with the same seed, and each model gets the plan it should."""

from __future__ import annotations

import math
import shutil
import threading

import numpy as np
import pytest
import torch

from zoo import learn
from zoo.learn.tasks import speech
from zoo.runtime import single_threaded

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

VOICES = 24  # 240 training clips, 60 held-out: synthesised once for the whole file


def _plan(key: str) -> learn.TrainPlan:
    if key in speech.NOT_YET:  # trains, but offers no plan yet (see the module): its plan as it would be
        from zoo.learn.plans import _config

        return speech.NOT_YET[key](key, _config(key))
    return learn.plans_for(key)[0]


def _setup(key: str, **overrides):
    plan = _plan(key)
    data = learn.load_dataset(plan.dataset, **{**plan.data_options, "max_voices": VOICES})
    return plan, data, learn.build(plan, 0, **overrides)


def _fit(key: str, steps: int, overrides: dict | None = None, evaluate: bool = True, **config):
    """(held-out metrics before, after, the FitResult) of a short run; no evaluation inside the run."""
    plan, data, model = _setup(key, **(overrides or {}))
    config = learn.FitConfig(**{**plan.defaults, "max_steps": steps, "eval_every": steps + 1, "seed": 0, **config})
    with single_threaded():
        before = data.evaluate(model) if evaluate else None
        fit = learn.fit(model, data, config)
        after = data.evaluate(fit.model) if evaluate else None
    return before, after, fit


def test_plans_cover_the_speech_models():
    expected = {"deepspeech2": "spoken_words_ctc", "whisper_tiny": "spoken_words_seq2seq", "tacotron2": "spoken_words_tts",
                "crnn_audio_tagging": "spoken_digit_pairs", "wavenet": "spoken_digits_mulaw",
                "wav2vec2_base": "spoken_words_ctc", "conformer_s": "spoken_words_rnnt"}
    for key, dataset in expected.items():
        assert bool(learn.plans_for(key)) == (key not in speech.NOT_YET), key
        plan = _plan(key)
        assert plan.dataset == dataset and plan.reductions, key
        assert {"speech_8khz"} <= {r.code for r in plan.reductions}, key
        assert 50 <= plan.defaults["max_steps"] <= 2000 and plan.defaults["max_steps"] % 50 == 0, key
        assert "{" not in plan.note(), key
    assert _plan("wav2vec2_base").builder == "zoo.learn.tasks.speech:wav2vec2_ctc"
    assert "speech_no_pretraining" in {r.code for r in _plan("wav2vec2_base").reductions}
    assert speech.plans("m5", None, lambda: None) == []  # m5 keeps its plain classification plan


def test_transducer_loss_matches_every_path_summed():
    import itertools

    g = torch.Generator().manual_seed(0)
    t_max, u_max = 3, 2
    logits = torch.randn(1, t_max, u_max + 1, 5, generator=g)
    y = torch.tensor([[2, 3]])
    lp = logits.log_softmax(-1)[0]
    paths = []
    for moves in set(itertools.permutations("b" * (t_max - 1) + "e" * u_max)):
        t = u = 0
        total = torch.zeros(())
        for m in moves:
            if m == "b":
                total, t = total + lp[t, u, 0], t + 1
            else:
                total, u = total + lp[t, u, y[0, u]], u + 1
        paths.append(total + lp[-1, -1, 0])
    assert torch.allclose(speech.transducer_loss(logits, y, torch.tensor([2])), -torch.logsumexp(torch.stack(paths), 0))


def test_ctc_recogniser_learns_and_repeats():
    before, after, fit = _fit("deepspeech2", 60, lr=3e-3)
    assert before["word_accuracy"] == 0.0 and after["char_error_rate"] < before["char_error_rate"] - 0.1, (before, after)
    assert np.mean(fit.losses[-10:]) < 0.5 * np.mean(fit.losses[:5])
    first, second = (_fit("deepspeech2", 4, evaluate=False, lr=3e-3)[2].losses for _ in range(2))
    assert first == second


def test_transducer_and_seq2seq_losses_fall():
    small = {"n_layers": 2}
    _, _, fit = _fit("conformer_s", 40, small, lr=3e-3)
    assert np.mean(fit.losses[-5:]) < 0.5 * np.mean(fit.losses[:3]), fit.losses
    before, after, fit = _fit("whisper_tiny", 60, lr=2e-3)
    assert np.mean(fit.losses[-5:]) < 0.2 * np.mean(fit.losses[:3]), fit.losses
    assert after["char_error_rate"] < before["char_error_rate"], (before, after)


def test_wav2vec2_ctc_head_takes_a_step():
    plan, data, model = _setup("wav2vec2_base")
    x, y = data.batch(torch.arange(4))
    assert x.shape == (4, speech.SAMPLE_RATE) and model(x).shape[-1] == len(speech.LETTERS)
    loss = data.loss(model, (x, y))
    loss.backward()
    assert math.isfinite(loss.item()) and model.ctc_head.weight.grad.abs().sum() > 0


def test_tacotron_learns_the_mel_frames_and_draws_them():
    before, after, _ = _fit("tacotron2", 40)
    assert after["mel_mse"] < 0.5 * before["mel_mse"], (before, after)
    _, data, model = _setup("tacotron2")
    with single_threaded():
        first, second = data.evaluate(model), data.evaluate(model)
        image = data.samples(model)
    assert first == second  # the pre-net's inference dropout is a fixed draw
    assert image.ndim == 3 and image.shape[2] == 3 and image.dtype == np.uint8


def test_tagger_pairs_and_scores():
    _, data, _ = _setup("crnn_audio_tagging")
    x, tags = data.batch(torch.arange(8))
    assert x.shape[:2] == (8, 96) and (tags.sum(1) == 2).all()  # two different digits in every clip
    truth = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    assert speech.tag_scores(truth * 0.9, truth) == {"mean_average_precision": 1.0, "micro_f1": 1.0}


def test_wavenet_bits_per_sample_fall_and_begin_repeats_the_windows():
    before, after, _ = _fit("wavenet", 40)
    assert before["bits_per_sample"] > 7.5 and after["bits_per_sample"] < before["bits_per_sample"] - 0.4, (before, after)
    _, data, _ = _setup("wavenet")
    data.begin(3)
    first = data.batch(torch.arange(4))
    data.begin(3)
    assert torch.equal(first, data.batch(torch.arange(4)))


def test_evaluate_returns_none_when_cancelled():
    stop = threading.Event()
    stop.set()
    for key in ("deepspeech2", "tacotron2", "crnn_audio_tagging", "wavenet"):
        _, data, model = _setup(key)
        assert data.evaluate(model, cancel=stop) is None, key
