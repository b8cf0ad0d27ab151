"""State-space, mixture-of-experts and speech models: the property that defines each one, and weight-copy
equivalence with Hugging Face transformers where it implements the same architecture (small configs)."""

from __future__ import annotations

import math
import os
from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F

from zoo.audio import crnn, deepspeech2, tacotron2, wav2vec2, whisper
from zoo.nlp import moe, s4

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _close(a: torch.Tensor, b: torch.Tensor, rel: float = 1e-4) -> None:
    err = (a - b).abs().max().item()
    assert err <= rel * max(b.abs().max().item(), 1e-6), f"max abs error {err:.3g} (scale {b.abs().max().item():.3g})"


# --------------------------------------------------------------------------- S4


def test_s4_convolution_and_recurrence_agree():
    """y = K ∗ u + D u (FFT of the NPLR kernel) equals stepping x_k = Ā x_{k−1} + B̄ u_k, y_k = Re(C x_k) + D u_k."""
    torch.manual_seed(0)
    layer = s4.S4Layer(s4.S4Config(d_model=3, d_state=16)).double()
    u = torch.randn(2, 3, 100, dtype=torch.float64)
    with torch.no_grad():
        conv, rnn = layer(u), layer.step_through(u)
    _close(conv, rnn, 1e-8)
    # the registered model's size (N = 64) in float32, against the recurrence in float64
    layer = s4.S4Layer(s4.S4Config(d_model=2, d_state=64))
    u = torch.randn(1, 2, 256)
    ref = s4.S4Layer(s4.S4Config(d_model=2, d_state=64)).double()
    ref.load_state_dict({k: v.double() for k, v in layer.state_dict().items()})
    with torch.no_grad():
        _close(layer(u).double(), ref.step_through(u.double()), 1e-4)


def test_s4_hippo_nplr_has_the_legs_spectrum():
    """Λ − P̃P̃* is HiPPO-LegS in another basis: same eigenvalues, −1, −2, …, −N (A is triangular)."""
    lam, p, _ = s4.hippo_legs_nplr(8)
    eig = torch.linalg.eigvals(torch.diag(lam) - p[:, None] * p.conj()[None, :])
    assert torch.allclose(eig.real.sort().values, -torch.arange(8, 0, -1, dtype=torch.float64), atol=1e-6)
    assert eig.imag.abs().max() < 1e-6


# --------------------------------------------------------------------------- mixture of experts

SMALL_MOE = moe.MoEConfig(
    vocab_size=300, d_model=64, d_expert=96, n_layers=2, n_heads=4, n_kv_heads=2, n_experts=4, top_k=2
)


def test_moe_output_is_gate_weighted_sum_of_k_experts():
    torch.manual_seed(0)
    layer = moe.SparseMoE(replace(SMALL_MOE, n_experts=6, top_k=2)).eval()
    x = torch.randn(1, 9, 64)
    with torch.no_grad():
        y, _ = layer(x)
        probs = F.softmax(x[0] @ layer.router.weight.T, dim=-1)  # (9, 6)
        for n in range(9):
            top = probs[n].argsort(descending=True)[:2]  # exactly k experts
            g = probs[n, top] / probs[n, top].sum()  # renormalised gates
            by_hand = sum(g[i] * layer.experts[int(e)](x[0, n]) for i, e in enumerate(top))
            _close(y[0, n], by_hand, 1e-5)


def test_moe_balance_loss_is_one_when_uniform_and_grows_when_not():
    E, k, N = 4, 2, 8
    layer = moe.SparseMoE(replace(SMALL_MOE, n_experts=E, top_k=k))
    uniform = moe.Routing(
        probs=torch.full((N, E), 1 / E),
        experts=torch.tensor([[i % E, (i + 1) % E] for i in range(N)]),  # every expert gets N·k/E slots
        weights=torch.full((N, k), 0.5),
    )
    assert layer.balance_loss(uniform).item() == pytest.approx(1.0)
    peaked = torch.tensor([[0.7, 0.2, 0.05, 0.05]]).repeat(N, 1)  # everyone prefers experts 0 and 1
    skewed = moe.Routing(peaked, torch.tensor([[0, 1]]).repeat(N, 1), torch.full((N, k), 0.5))
    assert layer.balance_loss(skewed).item() == pytest.approx(E * (0.5 * 0.7 + 0.5 * 0.2))
    # Hugging Face's Mixtral loss counts per slot row, i.e. k × ours, on real router logits
    modeling = pytest.importorskip("transformers.models.mixtral.modeling_mixtral")
    x = torch.randn(N, SMALL_MOE.d_model)
    ours = layer.balance_loss(layer.route(x)).item()
    theirs = modeling.load_balancing_loss_func((layer.router(x),), E, k).item()
    assert ours * k == pytest.approx(theirs, rel=1e-5)


def test_moe_matches_transformers_mixtral():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    c = SMALL_MOE
    hf_cfg = transformers.MixtralConfig(
        vocab_size=c.vocab_size, hidden_size=c.d_model, intermediate_size=c.d_expert, num_hidden_layers=c.n_layers,
        num_attention_heads=c.n_heads, num_key_value_heads=c.n_kv_heads, num_local_experts=c.n_experts,
        num_experts_per_tok=c.top_k, rms_norm_eps=c.norm_eps, sliding_window=None,
    )  # fmt: skip
    ref = transformers.MixtralForCausalLM(hf_cfg).eval()
    ours = moe.MoETransformer(c).eval()
    moe.load_hf_state_dict(ours, ref.state_dict())
    ids = torch.randint(0, c.vocab_size, (2, 13))
    with torch.no_grad():
        _close(ours(ids).logits, ref(ids).logits)


# --------------------------------------------------------------------------- Deep Speech 2


def test_deepspeech2_greedy_ctc_decoding():
    labels = deepspeech2.LABELS
    path = "_CC_A_AT T__"  # repeats merge, blanks separate: C, A, A, T, space, T
    logits = torch.full((1, len(path), len(labels)), -5.0)
    for t, ch in enumerate(path):
        logits[0, t, labels.index(ch)] = 5.0
    assert deepspeech2.greedy_ctc_decode(logits) == ["CAAT T"]


def test_deepspeech2_output_length_follows_the_conv_strides():
    model = deepspeech2.deepspeech2(rnn_hidden=16, rnn_layers=2).eval()  # small RNNs; same convolutions
    for frames in (20, 21, 40):
        with torch.no_grad():
            out = model(torch.randn(1, 1, 161, frames))
        # time: kernel 11, padding 5, stride 2 then stride 1 → ⌊(T − 1)/2⌋ + 1
        assert out.shape == (1, (frames - 1) // 2 + 1, 29)
        assert int(model.output_lengths(torch.tensor(frames))) == out.shape[1]


# --------------------------------------------------------------------------- Tacotron 2

SMALL_TACOTRON = tacotron2.Tacotron2Config(
    embedding_dim=32, prenet_dim=16, attention_rnn_dim=48, decoder_rnn_dim=48, attention_dim=16,
    location_filters=4, postnet_dim=16, prenet_dropout_at_inference=False,
)  # fmt: skip


def test_tacotron2_attention_weights_sum_to_one_and_decoder_is_autoregressive():
    torch.manual_seed(0)
    model = tacotron2.Tacotron2(SMALL_TACOTRON).eval()
    text = tacotron2.text_to_ids("Hi there.")
    mels = torch.randn(1, 80, 8)
    with torch.no_grad():
        out = model(text, mels)
        assert torch.allclose(out.alignments.sum(-1), torch.ones(1, 8), atol=1e-6)
        assert (out.alignments >= 0).all()
        t = 4
        changed = mels.clone()
        changed[:, :, t:] = torch.randn(1, 80, 8 - t)  # rewrite target frames t, t+1, …
        again = model(text, changed)
    # step s reads target frame s − 1, so decoder outputs 0 … t do not see the rewritten frames
    assert torch.equal(out.mel[..., : t + 1], again.mel[..., : t + 1])
    assert torch.equal(out.stop_logits[:, : t + 1], again.stop_logits[:, : t + 1])
    assert not torch.allclose(out.mel[..., t + 1 :], again.mel[..., t + 1 :])


# --------------------------------------------------------------------------- wav2vec 2.0


def test_wav2vec2_matches_transformers():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    hf_cfg = transformers.Wav2Vec2Config(
        hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128, conv_dim=(32,) * 7,
        num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4,
    )  # fmt: skip
    ref = transformers.Wav2Vec2Model(hf_cfg).eval()
    cfg = wav2vec2.Wav2Vec2Config(conv_dim=32, d_model=64, n_layers=2, n_heads=4, d_ff=128, pos_kernel=16, pos_groups=4)
    ours = wav2vec2.Wav2Vec2(cfg).eval()
    wav2vec2.load_hf_state_dict(ours, ref.state_dict())
    wave = torch.randn(2, 4000)
    mask = torch.zeros(2, ours.num_frames(4000), dtype=torch.bool)
    mask[:, 3:7] = True
    with torch.no_grad():
        _close(ours(wave), ref(wave).last_hidden_state)
        _close(ours(wave, mask), ref(wave, mask_time_indices=mask).last_hidden_state)


# --------------------------------------------------------------------------- Whisper


def test_whisper_matches_transformers():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    hf_cfg = transformers.WhisperConfig(
        vocab_size=500, num_mel_bins=16, encoder_layers=2, decoder_layers=2, d_model=64, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=256, decoder_ffn_dim=256, max_source_positions=40,
        max_target_positions=32, pad_token_id=0, bos_token_id=1, eos_token_id=2, decoder_start_token_id=1,
    )  # fmt: skip
    ref = transformers.WhisperForConditionalGeneration(hf_cfg).eval()
    cfg = whisper.WhisperConfig(
        n_mels=16, n_audio_ctx=40, n_text_ctx=32, d_model=64, n_heads=4, n_audio_layers=2, n_text_layers=2,
        vocab_size=500,
    )  # fmt: skip
    ours = whisper.Whisper(cfg).eval()
    # a fresh model already has the reference's fixed sinusoidal encoder positions
    assert torch.allclose(ours.encoder.positional_embedding, ref.model.encoder.embed_positions.weight, atol=1e-6)
    whisper.load_hf_state_dict(ours, ref.state_dict())
    mel, tokens = torch.randn(2, 16, 80), torch.randint(0, 500, (2, 7))
    with torch.no_grad():
        _close(ours(mel, tokens), ref(input_features=mel, decoder_input_ids=tokens).logits)


# --------------------------------------------------------------------------- CRNN


def test_crnn_gives_tag_probabilities_and_summarises_any_length():
    torch.manual_seed(0)
    model = crnn.crnn_audio_tagging(channels=(8, 16, 16, 16), gru_hidden=8).eval()  # same layout, narrower
    seen = []
    model.gru.register_forward_hook(lambda m, args, out: seen.append(args[0].shape[1]))
    logits = []
    model.classifier.register_forward_hook(lambda m, args, out: logits.append(out))
    for frames in (96, 300, 1366):
        with torch.no_grad():
            probs = model(torch.randn(2, 96, frames))
        assert probs.shape == (2, 50)
        assert torch.equal(probs, torch.sigmoid(logits[-1]))  # independent per-tag sigmoids, not a softmax
        assert ((probs > 0) & (probs < 1)).all()
    assert seen == [1, math.ceil(300 / 96), 15]  # one GRU step per 96 frames; 1,366 → 1,440 as in the paper
