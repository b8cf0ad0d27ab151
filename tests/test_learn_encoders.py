"""Pre-training text encoders on pydoc bytes (zoo/learn/tasks/encoders.py): masked LM (with next-sentence and
sentence-order prediction), ELMo's bidirectional LM and XLNet's permutation LM really train, deterministically."""

from __future__ import annotations

import dataclasses
import threading

import pytest
import torch

from zoo import learn
from zoo.learn.plans import build, plans_for
from zoo.learn.tasks import encoders

MLM_KEYS = ("bert_base", "bert_large", "roberta_base", "distilbert", "albert_base", "minilm_l6")
SMALL = {  # a smaller stack than the plans' for a few-second test
    "bert_base": {"hidden_size": 64, "num_layers": 2, "intermediate_size": 128},
    "albert_base": {"hidden_size": 64, "num_layers": 2, "intermediate_size": 128, "embedding_size": 32},
    "roberta_base": {"hidden_size": 64, "num_layers": 2, "intermediate_size": 128},
    "elmo": {"cells": 64, "dim": 32},
    "xlnet_base": {"d_model": 64, "n_layer": 2, "d_head": 16, "d_inner": 128},
}


SHORT = {"elmo": 24, "xlnet_base": 48}  # shorter windows where a step's cost is mostly per position


def _small(key: str, steps: int, seed: int = 0, lr: float | None = None):
    plan = plans_for(key)[0]
    options = {**plan.data_options, **({"seq_len": SHORT[key]} if key in SHORT else {})}
    plan = dataclasses.replace(plan, overrides={**plan.overrides, **SMALL[key]}, data_options=options)
    data = learn.load_dataset(plan.dataset, **plan.data_options)
    model = build(plan, seed=seed)
    config = learn.FitConfig(**{**plan.defaults, "max_steps": steps, "eval_every": None, "batch_size": 16, "seed": seed,
                                **({"lr": lr} if lr else {})})
    return plan, data, model, config


def test_plans_cover_every_encoder_with_its_objective():
    for key in MLM_KEYS:
        (plan,) = plans_for(key)
        assert plan.dataset == "pydoc_mlm" and plan.builder == "zoo.learn.tasks.encoders:masked_lm"
        codes = {r.code for r in plan.reductions}
        assert {"encoders_vocab", "context", "model_width"} <= codes
        assert ("encoders_no_teacher" in codes) == (key in ("distilbert", "minilm_l6"))
        assert plan.data_options["pair"] == {"bert_base": "nsp", "bert_large": "nsp", "albert_base": "sop"}.get(key)
        assert plan.defaults["max_steps"] % 50 == 0 and plan.defaults["epochs"] == 10_000
    assert plans_for("elmo")[0].dataset == "pydoc_bilm"
    assert plans_for("xlnet_base")[0].dataset == "pydoc_plm"
    assert "encoders_no_memory" in {r.code for r in plans_for("xlnet_base")[0].reductions}
    assert encoders.plans("gpt2", None, lambda: None) == []
    for key in (*MLM_KEYS, "elmo", "xlnet_base"):
        plans_for(key)[0].note()  # every reduction has its sentence and placeholders


def test_masking_follows_bert_and_held_out_mask_is_fixed():
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(encoders.SPECIALS, encoders.MLM_VOCAB, (64, 200), generator=g)
    maskable = torch.ones_like(ids, dtype=torch.bool)
    maskable[:, 0] = False
    corrupted, chosen = encoders._mask(ids, maskable, g)
    assert not chosen[:, 0].any()
    share = chosen.float().mean().item()
    assert 0.13 < share < 0.17
    masked = (corrupted == encoders.MASK) & chosen
    assert 0.75 < masked.sum().item() / chosen.sum().item() < 0.85
    assert (corrupted[~chosen] == ids[~chosen]).all()
    a = learn.load_dataset("pydoc_mlm", seq_len=64, pair="nsp")
    encoders._held_out_masked.cache_clear()
    b = learn.load_dataset("pydoc_mlm", seq_len=64, pair="nsp")
    assert all(torch.equal(x, y) for x, y in zip(a.val, b.val))


@pytest.mark.parametrize("key", ["bert_base", "albert_base", "roberta_base"])
def test_masked_lm_trains_and_beats_untrained(key):
    plan, data, model, config = _small(key, 60, lr=3e-3)
    before = data.evaluate(model)
    result = learn.fit(model, data, config)
    after = result.final_metrics
    assert after["masked_accuracy"] > before["masked_accuracy"] + 0.1, (before, after)
    assert after["loss"] < before["loss"] - 1.0
    assert sum(result.losses[-5:]) < sum(result.losses[:5])
    pair = plan.data_options["pair"]
    assert (f"{pair}_accuracy" in after) == (pair is not None)


def test_bilm_trains_and_beats_untrained():
    plan, data, model, config = _small("elmo", 25)
    before = data.evaluate(model)
    after = learn.fit(model, data, config).final_metrics
    assert after["perplexity"] < before["perplexity"] / 4, (before, after)
    assert {"forward_perplexity", "backward_perplexity"} <= set(after)


def test_bilm_directions_do_not_see_their_targets():
    """The forward scores at byte t must not change when byte t or later changes; the backward ones when byte t or
    earlier changes."""
    plan, data, model, _ = _small("elmo", 1)
    model.eval()
    x = data.val[:1].clone()
    y = x.clone()
    t = 10
    y[0, t:] = (y[0, t:] + 7) % 256
    with torch.no_grad():
        (f1, _), (f2, _) = model(x), model(y)
    assert torch.allclose(f1[0, : t + 1], f2[0, : t + 1]) and not torch.allclose(f1[0, t + 1 :], f2[0, t + 1 :])
    y = x.clone()
    y[0, : t + 1] = (y[0, : t + 1] + 7) % 256
    with torch.no_grad():
        (_, b1), (_, b2) = model(x), model(y)
    assert torch.allclose(b1[0, t:], b2[0, t:]) and not torch.allclose(b1[0, :t], b2[0, :t])


def test_permutation_lm_trains_and_beats_untrained():
    plan, data, model, config = _small("xlnet_base", 40, lr=3e-3)
    before = data.evaluate(model)
    after = learn.fit(model, data, config).final_metrics
    assert after["perplexity"] < before["perplexity"] / 3, (before, after)
    perm_mask, target_mapping = data.val[1:]
    assert target_mapping.shape[1] == data.seq_len // encoders.PLM_K


@pytest.mark.parametrize("key", ["bert_base", "elmo", "xlnet_base"])
def test_same_seed_same_losses(key):
    runs = []
    for _ in range(2):
        _, data, model, config = _small(key, 3, seed=5)
        runs.append(learn.fit(model, data, config).losses)
    assert runs[0] == runs[1]
    _, data, model, config = _small(key, 3, seed=6)
    assert learn.fit(model, data, config).losses != runs[0]


@pytest.mark.parametrize("key", ["albert_base", "elmo", "xlnet_base"])
def test_evaluate_returns_none_when_cancelled(key):
    _, data, model, _ = _small(key, 1)
    cancel = threading.Event()
    cancel.set()
    assert data.evaluate(model, cancel=cancel) is None


def test_mlm_head_is_tied_to_the_input_embedding():
    plan = plans_for("albert_base")[0]
    model = build(plan, seed=0)
    names = dict(model.named_parameters())
    assert "encoder.embeddings.word.weight" in names and not any(n.startswith("mlm.embedding") for n in names)
    assert model.mlm.embedding[0].weight is model.encoder.embeddings.word.weight
    assert model.mlm.dense.out_features == model.encoder.cfg.embedding_size  # ALBERT's head ends in E
