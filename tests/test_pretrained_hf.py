"""Hugging Face-layout checkpoints into the zoo's own models, through `create_model(key, weights=FOLDER)`.

For every family with a Hugging Face layout, `transformers` builds its model at a tiny config with random
(perturbed) weights and `save_pretrained`s it; the zoo reads that folder — config.json decides the variant —
and its outputs must agree with the reference within 1e-4 (relative). Several references are task models
(`…ForMaskedLM`, `…ForPreTraining`), so prefixes and declared-unneeded heads are exercised too. Then: sharded
checkpoints, damaged and mismatched files, conflicting overrides, and a hub id while offline.
"""

from __future__ import annotations

import json
import os
import time

import pytest
import torch

import zoo
from zoo.pretrained import CheckpointMismatch, PretrainedError, PretrainedUnavailable

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
transformers = pytest.importorskip("transformers")
T = transformers
V = 99  # tiny vocabulary


@torch.no_grad()
def _perturbed(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Noise on every weight, so unit norms or zero biases cannot hide a wrong map."""
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


def _rel(ours: torch.Tensor, ref: torch.Tensor) -> float:
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    return ((ours - ref).abs().max() / ref.abs().max()).item()


def _ids(n: int = 2, t: int = 11, vocab: int = V, first: int = 3) -> torch.Tensor:
    return torch.randint(first, vocab, (n, t), generator=torch.Generator().manual_seed(1))


_BERT = dict(vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48,
             max_position_embeddings=24)  # fmt: skip


def _bert_like(ours, hf_encoder):
    ids = _ids()
    return ours(ids).last_hidden_state, hf_encoder(input_ids=ids).last_hidden_state


# key → (reference builder, (zoo model, reference) → (our output, reference output))
CASES = {
    "bert_base": (
        lambda: T.BertModel(T.BertConfig(**_BERT)),
        lambda ours, hf: (ours(_ids()).pooler_output, hf(input_ids=_ids()).pooler_output),
    ),
    "bert_large": (  # BertForPreTraining: "bert." prefix, MLM + NSP heads ignored, pooler loaded
        lambda: T.BertForPreTraining(T.BertConfig(**_BERT)),
        lambda ours, hf: _bert_like(ours, hf.bert),
    ),
    "minilm_l6": (lambda: T.BertModel(T.BertConfig(**_BERT)), _bert_like),
    "roberta_base": (  # RobertaForMaskedLM: no pooler in the checkpoint, so none is built
        lambda: T.RobertaForMaskedLM(T.RobertaConfig(**{**_BERT, "max_position_embeddings": 16}, type_vocab_size=1, pad_token_id=1, layer_norm_eps=1e-5)),
        lambda ours, hf: _bert_like(ours, hf.roberta),
    ),
    "distilbert": (
        lambda: T.DistilBertForMaskedLM(T.DistilBertConfig(vocab_size=V, dim=32, n_layers=2, n_heads=4, hidden_dim=48, max_position_embeddings=24)),
        lambda ours, hf: (ours(_ids()), hf.distilbert(input_ids=_ids()).last_hidden_state),
    ),
    "albert_base": (
        lambda: T.AlbertForPreTraining(T.AlbertConfig(vocab_size=V, embedding_size=16, hidden_size=32, num_hidden_layers=3, num_hidden_groups=1, num_attention_heads=4, intermediate_size=48, max_position_embeddings=24, hidden_act="gelu_new")),
        lambda ours, hf: (ours(_ids()).pooler_output, hf.albert(input_ids=_ids()).pooler_output),
    ),
    "gpt2": (
        lambda: T.GPT2LMHeadModel(T.GPT2Config(vocab_size=V, n_positions=16, n_layer=2, n_head=4, n_embd=32)),
        lambda ours, hf: (ours(_ids()), hf(input_ids=_ids()).logits),
    ),
    "gpt2_medium": (  # GPT2Model, the layout OpenAI's published files use (no "transformer." prefix)
        lambda: T.GPT2Model(T.GPT2Config(vocab_size=V, n_positions=16, n_layer=2, n_head=4, n_embd=32)),
        lambda ours, hf: (ours(_ids()), hf(input_ids=_ids()).last_hidden_state @ hf.wte.weight.T),
    ),
    "t5_small": (
        lambda: T.T5ForConditionalGeneration(T.T5Config(vocab_size=V, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=20, feed_forward_proj="relu")),
        lambda ours, hf: (ours(_ids(t=13), _ids(t=7)), hf(input_ids=_ids(t=13), decoder_input_ids=_ids(t=7)).logits),
    ),
    "xlnet_base": (  # XLNetLMHeadModel: "transformer." prefix, lm_loss bias ignored
        lambda: T.XLNetLMHeadModel(T.XLNetConfig(vocab_size=V, d_model=32, n_layer=2, n_head=4, d_inner=48, mem_len=None, use_mems_eval=False)),
        lambda ours, hf: (ours(_ids())[0], hf.transformer(_ids()).last_hidden_state),
    ),
    "tinyllama_1_1b": (
        lambda: T.LlamaForCausalLM(T.LlamaConfig(vocab_size=V, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-5, tie_word_embeddings=False)),
        lambda ours, hf: (ours(_ids()), hf(_ids()).logits),
    ),
    "mamba_130m": (
        lambda: T.MambaForCausalLM(T.MambaConfig(vocab_size=64, hidden_size=32, num_hidden_layers=2, state_size=8, expand=2, conv_kernel=4, time_step_rank=4, tie_word_embeddings=True)),
        lambda ours, hf: (ours(_ids(vocab=64)), hf(_ids(vocab=64), use_cache=False).logits),
    ),
    "moe": (
        lambda: T.MixtralForCausalLM(T.MixtralConfig(vocab_size=V, hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, num_local_experts=4, num_experts_per_tok=2, rms_norm_eps=1e-5, sliding_window=None)),
        lambda ours, hf: (ours(_ids()).logits, hf(_ids()).logits),
    ),
    "wav2vec2_base": (  # Wav2Vec2ForPreTraining: "wav2vec2." prefix, quantiser and projections ignored
        lambda: T.Wav2Vec2ForPreTraining(T.Wav2Vec2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, conv_dim=(16,) * 7, num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4, codevector_dim=16, proj_codevector_dim=16, num_codevectors_per_group=8)),
        lambda ours, hf: (ours(_wave()), hf.wav2vec2(_wave()).last_hidden_state),
    ),
    "whisper_tiny": (
        lambda: T.WhisperForConditionalGeneration(T.WhisperConfig(vocab_size=V, num_mel_bins=16, encoder_layers=2, decoder_layers=2, d_model=32, encoder_attention_heads=4, decoder_attention_heads=4, encoder_ffn_dim=128, decoder_ffn_dim=128, max_source_positions=20, max_target_positions=16, pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1)),
        lambda ours, hf: (ours(_mel(), _ids(t=5)), hf(input_features=_mel(), decoder_input_ids=_ids(t=5)).logits),
    ),
    "resnet18": (
        lambda: T.ResNetForImageClassification(T.ResNetConfig(embedding_size=8, hidden_sizes=[8, 16, 24, 32], depths=[1, 2, 1, 1], layer_type="basic", num_labels=5)),
        lambda ours, hf: (ours(_image()), hf(pixel_values=_image()).logits),
    ),
    "resnet50": (
        lambda: T.ResNetForImageClassification(T.ResNetConfig(embedding_size=8, hidden_sizes=[16, 32, 48, 64], depths=[1, 2, 1, 1], layer_type="bottleneck", num_labels=5)),
        lambda ours, hf: (ours(_image()), hf(pixel_values=_image()).logits),
    ),
    "convnext_tiny": (
        lambda: T.ConvNextForImageClassification(T.ConvNextConfig(depths=[1, 2, 1, 1], hidden_sizes=[8, 16, 24, 32], num_labels=5, layer_scale_init_value=0.5)),
        lambda ours, hf: (ours(_image()), hf(pixel_values=_image()).logits),
    ),
    "swin_t": (  # 64×64 input, window 2: every stage's resolution divides into windows, shifted blocks included
        lambda: T.SwinForImageClassification(T.SwinConfig(image_size=64, patch_size=4, embed_dim=8, depths=[2, 2, 2, 2], num_heads=[1, 1, 2, 2], window_size=2, num_labels=5)),
        lambda ours, hf: (ours(_image(64)), hf(pixel_values=_image(64)).logits),
    ),
    "vit_b_16": (
        lambda: T.ViTForImageClassification(T.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, image_size=32, patch_size=8, num_labels=7)),
        lambda ours, hf: (ours(_image()), hf(pixel_values=_image()).logits),
    ),
}  # fmt: skip


def _wave() -> torch.Tensor:
    return torch.randn(2, 4000, generator=torch.Generator().manual_seed(2))


def _mel() -> torch.Tensor:
    return torch.randn(2, 16, 40, generator=torch.Generator().manual_seed(3))


def _image(size: int = 32) -> torch.Tensor:
    return torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(4))


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """key → (folder, reference), made once: every test below reads these folders."""
    out = {}
    for i, (key, (build, _)) in enumerate(CASES.items()):
        torch.manual_seed(i)
        hf = _perturbed(build(), seed=i)
        folder = tmp_path_factory.mktemp(key)
        hf.save_pretrained(folder)
        out[key] = folder, hf
    return out


@pytest.mark.parametrize("key", list(CASES))
def test_hf_folder_loads_into_zoo_model(key, saved):
    folder, hf = saved[key]
    ours = zoo.create_model(key, weights=str(folder))
    assert not ours.training
    with torch.no_grad():
        mine, ref = CASES[key][1](ours, hf)
    assert _rel(mine, ref) < 1e-4


def test_config_json_picks_the_variant(saved):
    folder, _ = saved["bert_large"]
    model = zoo.create_model("bert_large", weights=str(folder))
    assert (model.cfg.hidden_size, model.cfg.num_layers, model.cfg.num_heads) == (32, 2, 4)  # not 1024 / 24 / 16
    assert model.pooler is not None  # BertForPreTraining has a pooler; RobertaForMaskedLM (below) has none
    assert zoo.create_model("roberta_base", weights=str(saved["roberta_base"][0])).pooler is None


def test_sharded_checkpoint(saved, tmp_path):
    _, hf = saved["gpt2"]
    hf.save_pretrained(tmp_path, max_shard_size="40KB")
    index = json.loads((tmp_path / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) > 1  # really several shards
    ours = zoo.create_model("gpt2", weights=str(tmp_path))
    with torch.no_grad():
        assert _rel(ours(_ids()), hf(input_ids=_ids()).logits) < 1e-4
    first = sorted(set(index["weight_map"].values()))[0]
    (tmp_path / first).unlink()
    with pytest.raises(PretrainedError, match=f"shard {first} .* is missing"):
        zoo.create_model("gpt2", weights=str(tmp_path))


def test_damaged_file_is_named(saved, tmp_path):
    folder, _ = saved["bert_base"]
    (tmp_path / "config.json").write_bytes((folder / "config.json").read_bytes())
    data = (folder / "model.safetensors").read_bytes()
    (tmp_path / "model.safetensors").write_bytes(data[: len(data) // 2])  # truncated download
    with pytest.raises(PretrainedError, match="cannot read model.safetensors"):
        zoo.create_model("bert_base", weights=str(tmp_path))
    (tmp_path / "model.safetensors").write_bytes(b"not a checkpoint at all")
    with pytest.raises(PretrainedError, match="cannot read model.safetensors"):
        zoo.create_model("bert_base", weights=str(tmp_path))


def test_mismatched_checkpoint_names_every_tensor(saved, tmp_path):
    from safetensors.torch import load_file, save_file

    folder, _ = saved["bert_base"]
    (tmp_path / "config.json").write_bytes((folder / "config.json").read_bytes())
    state = load_file(str(folder / "model.safetensors"))
    del state["encoder.layer.1.output.dense.weight"]
    state["pooler.dense.bias"] = torch.zeros(31)
    state["decoder.extra"] = torch.zeros(3)
    save_file(state, str(tmp_path / "model.safetensors"))
    with pytest.raises(CheckpointMismatch) as caught:
        zoo.create_model("bert_base", weights=str(tmp_path))
    message = str(caught.value)
    assert "missing in checkpoint: 'encoder.layer.1.output.dense.weight'" in message
    assert "unused checkpoint tensor: 'decoder.extra' (3,)" in message
    assert "'pooler.dense.bias': checkpoint (31,) vs model 'pooler.dense.bias' (32,)" in message


def test_wrong_family_and_conflicting_override(saved):
    with pytest.raises(PretrainedError, match="describes a 'gpt2' model; bert_base reads bert"):
        zoo.create_model("bert_base", weights=str(saved["gpt2"][0]))
    with pytest.raises(PretrainedError, match=r"num_layers=12 \(checkpoint: 2\)"):
        zoo.create_model("bert_base", weights=str(saved["bert_base"][0]), num_layers=12)
    model = zoo.create_model("bert_base", weights=str(saved["bert_base"][0]), dropout=0.0)  # not fixed by it
    assert model.cfg.dropout == 0.0


def test_hf_layout_needs_its_config(saved):
    with pytest.raises(PretrainedError, match="needs its config.json"):
        zoo.create_model("bert_base", weights=str(saved["bert_base"][0] / "model.safetensors"))


def test_offline_hub_id_fails_fast_with_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(PretrainedUnavailable) as caught:
        zoo.create_model("bert_base", weights="hf://deepzoo-test/not-cached-anywhere")
    assert time.monotonic() - start < 10  # a guard against hanging; bench/pretrained.py measures the real figure
    message = str(caught.value)
    assert "hf download deepzoo-test/not-cached-anywhere" in message and "models--deepzoo-test--not-cached-anywhere" in message


def test_shipped_weights_keep_their_names():
    """`weights="default"` is still DeepZoo's own small byte-level GPT for gpt2, not a pretrained source."""
    from zoo import weights

    assert weights.get("gpt2", "default").name == "pydoc-bytes"
    with pytest.raises(weights.WeightsUnavailable, match="no weights named 'nope'"):
        zoo.create_model("gpt2", weights="nope")
