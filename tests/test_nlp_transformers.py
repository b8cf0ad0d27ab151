"""BERT-large, RoBERTa, DistilBERT, ALBERT and GPT-2 medium against Hugging Face `transformers`.

- Equivalence: each zoo model and its `transformers` twin are built at a SMALL config (the same structure as
  the registered variant, toy sizes), the twin's random (and perturbed) weights are copied into the zoo model
  through the family's own checkpoint map (`hf_*_key_map` + `zoo.pretrained.load_mapped`, which refuses
  missing, unused or mis-shaped tensors), and the outputs must agree within 1e-4 relative in eval mode.
  Batches include padding, so masks and RoBERTa's padding-aware positions are exercised.
- Published counts: the full published configs, built by `transformers` on the meta device, have exactly
  the parameter counts written on the cards, and so do the zoo models.
- GPT-4: no model is invented; the GPT cards explain why and are found by a search for "GPT-4".
"""

from __future__ import annotations

import os

import pytest
import torch

import zoo
from zoo.catalog import Filters, search
from zoo.nlp import albert, bert, distilbert, gpt, roberta
from zoo.pretrained import CheckpointMismatch, KeyMap, load_mapped

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here downloads; fail fast if something tries
transformers = pytest.importorskip("transformers")

B, T, VOCAB = 2, 12, 100


# --------------------------------------------------------------------------- helpers


def _perturbed(model: torch.nn.Module, std: float = 0.05) -> torch.nn.Module:
    """Random values everywhere, so unit LayerNorms or zero biases cannot hide a wrong map."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * std)
    return model.eval()


def _assert_close(ours: torch.Tensor, ref: torch.Tensor) -> None:
    assert ours.shape == ref.shape
    rel = ((ours - ref).abs().max() / ref.abs().max()).item()
    assert rel < 1e-4, f"relative difference {rel:.2e}"


def _batch(pad_id: int = 0, first_word: int = 5) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T) ids and mask; the second sequence ends in 4 padding tokens."""
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(first_word, VOCAB, (B, T), generator=g)
    mask = torch.ones(B, T, dtype=torch.long)
    ids[1, -4:], mask[1, -4:] = pad_id, 0
    return ids, mask


# --------------------------------------------------------------------------- equivalence at small configs


def test_bert_large_structure_matches_transformers():
    small = dict(vocab_size=VOCAB, hidden_size=64, num_layers=3, num_heads=4, intermediate_size=128, max_position=32)
    ours = bert.bert_large(**small)
    hf = _perturbed(
        transformers.BertModel(
            transformers.BertConfig(
                vocab_size=VOCAB, hidden_size=64, num_hidden_layers=3, num_attention_heads=4, intermediate_size=128,
                max_position_embeddings=32, type_vocab_size=2, hidden_act="gelu", layer_norm_eps=1e-12,
            )
        )
    )
    load_mapped(ours, hf.state_dict(), KeyMap(bert.hf_bert_key_map(ours.cfg), ignore=bert.HF_BERT_IGNORED))
    ours.eval()
    ids, mask = _batch()
    segments = (torch.arange(T) >= T // 2).long().expand(B, T)  # sentence A, then sentence B
    with torch.no_grad():
        out = ours(ids, attention_mask=mask, token_type_ids=segments)
        ref = hf(input_ids=ids, attention_mask=mask, token_type_ids=segments)
    _assert_close(out.last_hidden_state, ref.last_hidden_state)
    _assert_close(out.pooler_output, ref.pooler_output)


def test_roberta_matches_transformers_with_padding_offset_positions():
    # max_position = T + 2: the last real token of a full row uses the very last row of the table
    small = dict(vocab_size=VOCAB, hidden_size=64, num_layers=2, num_heads=4, intermediate_size=128, max_position=T + 2)
    ours = roberta.roberta_base(**small)
    hf = _perturbed(
        transformers.RobertaModel(
            transformers.RobertaConfig(
                vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                max_position_embeddings=T + 2, type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=1,
                hidden_act="gelu",
            )
        )
    )
    load_mapped(ours, hf.state_dict(), KeyMap(roberta.hf_roberta_key_map(ours.cfg), ignore=bert.HF_BERT_IGNORED))
    ours.eval()
    ids, mask = _batch(pad_id=1, first_word=3)
    with torch.no_grad():
        out = ours(ids, attention_mask=mask)
        ref = hf(input_ids=ids, attention_mask=mask)
    _assert_close(out.last_hidden_state, ref.last_hidden_state)
    _assert_close(out.pooler_output, ref.pooler_output)


def test_roberta_positions_start_after_padding_index():
    emb = roberta.roberta_base(vocab_size=VOCAB, hidden_size=8, num_layers=1, num_heads=2, max_position=T + 2)
    seen = []
    hook = emb.embeddings.position.register_forward_hook(lambda m, args, out: seen.append(args[0]))
    ids, mask = _batch(pad_id=1, first_word=3)
    emb(ids, attention_mask=mask)
    hook.remove()
    assert seen[0][0].tolist() == list(range(2, T + 2))  # 2 … T+1 for a full row
    assert seen[0][1].tolist() == list(range(2, T - 2)) + [1] * 4  # padding keeps the padding row


def test_distilbert_matches_transformers():
    small = dict(vocab_size=VOCAB, dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position=32)
    ours = distilbert.distilbert(**small)
    hf = _perturbed(
        transformers.DistilBertModel(
            transformers.DistilBertConfig(
                vocab_size=VOCAB, dim=64, n_layers=2, n_heads=4, hidden_dim=128, max_position_embeddings=32,
                activation="gelu",
            )
        )
    )
    load_mapped(ours, hf.state_dict(), distilbert.hf_distilbert_key_map(ours.cfg))
    ours.eval()
    ids, mask = _batch()
    with torch.no_grad():
        out = ours(ids, attention_mask=mask)
        ref = hf(input_ids=ids, attention_mask=mask).last_hidden_state
    _assert_close(out, ref)


@pytest.mark.parametrize("groups", [1, 2])
def test_albert_matches_transformers(groups):
    layers = 4
    small = dict(
        vocab_size=VOCAB, embedding_size=16, hidden_size=64, num_layers=layers, num_groups=groups, num_heads=4,
        intermediate_size=128, max_position=32,
    )
    ours = albert.albert_base(**small)
    hf = _perturbed(
        transformers.AlbertModel(
            transformers.AlbertConfig(
                vocab_size=VOCAB, embedding_size=16, hidden_size=64, num_hidden_layers=layers,
                num_hidden_groups=groups, inner_group_num=1, num_attention_heads=4, intermediate_size=128,
                max_position_embeddings=32, type_vocab_size=2, hidden_act="gelu_new", layer_norm_eps=1e-12,
                hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
            )
        )
    )
    load_mapped(ours, hf.state_dict(), KeyMap(albert.hf_albert_key_map(ours.cfg), ignore=bert.HF_BERT_IGNORED))
    ours.eval()
    ids, mask = _batch()
    segments = (torch.arange(T) >= T // 2).long().expand(B, T)
    with torch.no_grad():
        out = ours(ids, attention_mask=mask, token_type_ids=segments)
        ref = hf(input_ids=ids, attention_mask=mask, token_type_ids=segments)
    _assert_close(out.last_hidden_state, ref.last_hidden_state)
    _assert_close(out.pooler_output, ref.pooler_output)
    # cross-layer sharing: `layers` layers of compute, `groups` layers of parameters
    one_layer = sum(p.numel() for p in ours.shared[0].parameters())
    assert sum(p.numel() for p in ours.shared.parameters()) == groups * one_layer


def test_gpt2_medium_structure_matches_transformers():
    small = dict(vocab_size=VOCAB, block_size=32, n_layer=3, n_head=4, d_model=64)
    ours = gpt.gpt2_medium(**small)
    hf = _perturbed(
        transformers.GPT2LMHeadModel(
            transformers.GPT2Config(
                vocab_size=VOCAB, n_positions=32, n_layer=3, n_head=4, n_embd=64, activation_function="gelu_new",
                layer_norm_epsilon=1e-5, bos_token_id=0, eos_token_id=0,
            )
        )
    )
    assert hf.lm_head.weight is hf.transformer.wte.weight  # tied there as here, so one map entry serves both
    load_mapped(ours, hf.state_dict(), KeyMap(gpt.hf_gpt2_key_map(ours.cfg), ignore=gpt.HF_GPT2_IGNORED))
    ours.eval()
    ids = torch.randint(0, VOCAB, (B, T), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        _assert_close(ours(ids), hf(input_ids=ids).logits)


# --------------------------------------------------------------------------- the checkpoint loader's checks


def test_checkpoint_loader_refuses_missing_unused_and_misshaped_tensors():
    cfg = distilbert.DistilBertConfig(vocab_size=VOCAB, dim=16, n_layers=1, n_heads=2, hidden_dim=32, max_position=8)
    model = distilbert.DistilBERT(cfg)
    key_map = distilbert.hf_distilbert_key_map(cfg)
    source = {theirs: torch.zeros_like(p) for ours, p in model.named_parameters() for theirs in [key_map[ours]]}
    load_mapped(model, source, key_map)  # the complete, well-shaped checkpoint loads
    assert all((p == 0).all() for p in model.parameters())

    missing = dict(source)
    del missing["transformer.layer.0.ffn.lin1.weight"]
    with pytest.raises(CheckpointMismatch, match="lin1"):
        load_mapped(model, missing, key_map)
    extra = {**source, "vocab_projector.bias": torch.zeros(VOCAB)}
    with pytest.raises(CheckpointMismatch, match="vocab_projector"):
        load_mapped(model, extra, key_map)
    load_mapped(model, extra, KeyMap(key_map, ignore=("vocab_projector.bias",)))  # unless declared ignorable
    wrong = {**source, "embeddings.position_embeddings.weight": torch.zeros(9, 16)}
    with pytest.raises(CheckpointMismatch, match=r"embeddings.position_embeddings.weight.*\(9, 16\)"):
        load_mapped(model, wrong, key_map)


# --------------------------------------------------------------------------- published counts


def _hf_published():
    t = transformers
    return {
        "bert_base": lambda: t.BertModel(t.BertConfig()),
        "bert_large": lambda: t.BertModel(
            t.BertConfig(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096)
        ),
        "minilm_l6": lambda: t.BertModel(
            t.BertConfig(hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536)
        ),
        "roberta_base": lambda: t.RobertaModel(
            t.RobertaConfig(vocab_size=50_265, max_position_embeddings=514, type_vocab_size=1, layer_norm_eps=1e-5)
        ),
        "distilbert": lambda: t.DistilBertModel(t.DistilBertConfig()),  # defaults = distilbert-base-uncased
        "albert_base": lambda: t.AlbertModel(
            t.AlbertConfig(
                vocab_size=30_000, embedding_size=128, hidden_size=768, num_hidden_layers=12, num_hidden_groups=1,
                inner_group_num=1, num_attention_heads=12, intermediate_size=3072, hidden_act="gelu_new",
                max_position_embeddings=512, type_vocab_size=2,
            )
        ),
        "gpt2": lambda: t.GPT2LMHeadModel(t.GPT2Config()),
        "gpt2_medium": lambda: t.GPT2LMHeadModel(t.GPT2Config(n_embd=1024, n_layer=24, n_head=16)),
    }


PUBLISHED_KEYS = [
    "bert_base", "bert_large", "minilm_l6", "roberta_base", "distilbert", "albert_base", "gpt2", "gpt2_medium"
]


@pytest.mark.parametrize("key", PUBLISHED_KEYS)
def test_card_counts_are_what_transformers_builds(key):
    with torch.device("meta"):  # shapes only: seconds instead of gigabytes
        hf = _hf_published()[key]()
        ours = zoo.create_model(key)
    hf_count = sum(p.numel() for p in hf.parameters())  # parameters() yields tied tensors once
    zoo_count = sum(p.numel() for p in ours.parameters())
    assert hf_count == zoo.card(key).params.value == zoo_count, (key, hf_count, zoo_count)


# --------------------------------------------------------------------------- GPT-4: found, explained, not invented


def test_gpt4_search_finds_the_gpt_cards_and_no_invented_model():
    gpt_family = {"gpt2", "gpt2_medium", "gpt3"}
    assert gpt_family <= set(zoo.list_models(query="GPT-4"))
    assert gpt_family <= {c.key for c in search(Filters(query="gpt-4"))}
    assert not [k for k in zoo.list_models() if k.replace("_", "").replace("-", "").startswith("gpt4")]
    for key in sorted(gpt_family):
        card = zoo.card(key)
        zh = card.localized("zh").config_note
        for text in (card.config_note, zh):
            assert "2303.08774" in text and "SemiAnalysis" in text, key
        assert "unconfirmed" in card.config_note and "未经证实" in zh, key
