"""XLNet, T5, LLaMA/TinyLlama and Mamba: DeepZoo's from-scratch code against Hugging Face `transformers`.

For each family both implementations are built at a small config with random weights, the weights are copied
through the family's explicit key map (`HF_KEY_MAP` via `zoo.pretrained.load_mapped`: every key used, every shape equal) and the outputs must
agree within 1e-4 relative. The published configs, built by `transformers` on the meta device, must give the
parameter counts on DeepZoo's cards. Property tests: RoPE scores depend only on the offset, Mamba's chunked
scan equals the step-by-step recurrence and is causal, XLNet's sampled factorisation masks are consistent.
"""

from __future__ import annotations

import os

import pytest
import torch

import zoo
from zoo.nlp import llama, mamba, t5, xlnet
from zoo.pretrained import CheckpointMismatch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
transformers = pytest.importorskip("transformers")


def _rel_err(ours: torch.Tensor, ref: torch.Tensor) -> float:
    return ((ours - ref).abs().max() / ref.abs().max()).item()


def _unique_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())  # parameters() yields a tied tensor once


@torch.no_grad()
def _perturb(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """Add noise to every weight, so norm gains ≠ 1 and nothing is left at a symmetric initial value."""
    g = torch.Generator().manual_seed(seed)
    for p in model.parameters():
        p.add_(0.05 * torch.randn(p.shape, generator=g))
    return model.eval()


# --------------------------------------------------------------------------- LLaMA / TinyLlama


@pytest.mark.parametrize("n_kv_heads", [2, 8], ids=["gqa", "mha"])
def test_llama_matches_transformers(n_kv_heads):
    torch.manual_seed(0)
    hf = transformers.LlamaForCausalLM(
        transformers.LlamaConfig(
            vocab_size=101, hidden_size=64, intermediate_size=96, num_hidden_layers=2, num_attention_heads=8,
            num_key_value_heads=n_kv_heads, rms_norm_eps=1e-5, tie_word_embeddings=False, attn_implementation="eager",
        )
    )
    hf = _perturb(hf, 1)
    cfg = llama.LlamaConfig(
        vocab_size=101, dim=64, n_layers=2, n_heads=8, n_kv_heads=n_kv_heads, ffn_dim=96, norm_eps=1e-5
    )
    ours = llama.Llama(cfg)
    llama.load_hf_llama(ours, hf.state_dict())
    ids = torch.randint(0, 101, (2, 16))
    with torch.no_grad():
        ref, out = hf(ids).logits, ours.eval()(ids)
    assert out.shape == ref.shape == (2, 16, 101)
    assert _rel_err(out, ref) < 1e-4


def test_rope_scores_depend_only_on_relative_position():
    """q_m · k_n after rotation is a function of m − n: shifting both positions leaves every score unchanged."""
    torch.manual_seed(0)
    d = 32
    q, k = torch.randn(1, 1, 1, d), torch.randn(1, 1, 1, d)
    positions = torch.arange(64)
    cos, sin = llama.rope_angles(positions, d)
    qs = llama.apply_rope(q.expand(1, 1, 64, d), cos, sin)[0, 0]  # (64, d): q placed at every position
    ks = llama.apply_rope(k.expand(1, 1, 64, d), cos, sin)[0, 0]
    scores = qs @ ks.T  # (m, n)
    for offset in (-7, 0, 3, 20):
        diag = torch.diagonal(scores, offset=offset)  # all (m, n) pairs with n − m = offset
        assert torch.allclose(diag, diag[0].expand_as(diag), atol=1e-4), offset
    assert not torch.allclose(scores[0, 0], scores[0, 5])  # …while different offsets do differ
    assert torch.allclose(qs.norm(dim=-1), q.norm().expand(64), atol=1e-5)  # rotations keep lengths


# --------------------------------------------------------------------------- T5

_T5_SMALL_TEST = dict(d_model=32, d_kv=8, d_ff=48, n_heads=4)


def test_t5_relative_buckets_match_transformers():
    offsets = torch.arange(-300, 301)[None, :]
    bucket = transformers.models.t5.modeling_t5.T5Attention._relative_position_bucket
    for bidirectional in (True, False):
        ours = t5.relative_position_bucket(offsets, bidirectional, 32, 128)
        assert torch.equal(ours, bucket(offsets, bidirectional=bidirectional, num_buckets=32, max_distance=128))
    assert t5.relative_position_bucket(torch.tensor([300]), True, 32, 128).item() == 31  # far right: last bucket


def test_t5_matches_transformers():
    torch.manual_seed(0)
    hf = transformers.T5ForConditionalGeneration(
        transformers.T5Config(
            vocab_size=99, d_model=32, d_kv=8, d_ff=48, num_layers=2, num_heads=4, relative_attention_num_buckets=8,
            relative_attention_max_distance=20, feed_forward_proj="relu", attn_implementation="eager",
        )
    )
    hf = _perturb(hf, 2)
    ours = t5.T5(t5.T5Config(vocab_size=99, n_layers=2, num_buckets=8, max_distance=20, **_T5_SMALL_TEST))
    t5.load_hf_t5(ours, hf.state_dict())
    src, tgt = torch.randint(0, 99, (2, 30)), torch.randint(0, 99, (2, 25))  # longer than max_distance: log buckets
    with torch.no_grad():
        ref, out = hf(input_ids=src, decoder_input_ids=tgt).logits, ours.eval()(src, tgt)
    assert out.shape == ref.shape == (2, 25, 99)
    assert _rel_err(out, ref) < 1e-4
    assert ours.lm_head.weight is ours.shared.weight


# --------------------------------------------------------------------------- Mamba

_MAMBA_TEST = mamba.MambaConfig(vocab_size=64, d_model=32, n_layers=2, d_state=8, expand=2, d_conv=4, dt_rank=4)


@pytest.fixture(scope="module")
def hf_mamba():
    torch.manual_seed(0)
    c = _MAMBA_TEST
    hf = transformers.MambaForCausalLM(
        transformers.MambaConfig(
            vocab_size=c.vocab_size, hidden_size=c.d_model, num_hidden_layers=c.n_layers, state_size=c.d_state,
            expand=c.expand, conv_kernel=c.d_conv, time_step_rank=c.dt_rank, tie_word_embeddings=True,
        )
    )
    return _perturb(hf, 3)


def test_mamba_matches_transformers(hf_mamba):
    ours = mamba.Mamba(_MAMBA_TEST)
    mamba.load_hf_mamba(ours, hf_mamba.state_dict())
    ids = torch.randint(0, _MAMBA_TEST.vocab_size, (2, 21))  # not a power of two: the scan's last round is partial
    with torch.no_grad():
        ref, out = hf_mamba(ids, use_cache=False).logits, ours.eval()(ids)
    assert out.shape == ref.shape == (2, 21, 64)
    assert _rel_err(out, ref) < 1e-4
    assert ours.lm_head.weight is ours.embedding.weight


@pytest.mark.parametrize("T", [1, 2, 7, 16, 37])
def test_parallel_scan_equals_per_step_recurrence(T):
    g = torch.Generator().manual_seed(T)
    Bt, D, N = 2, 6, 5
    u = torch.randn(Bt, D, T, generator=g)
    delta = torch.nn.functional.softplus(torch.randn(Bt, D, T, generator=g))
    A = -torch.rand(D, N, generator=g) * 3
    B, C = torch.randn(Bt, T, N, generator=g), torch.randn(Bt, T, N, generator=g)
    Dskip = torch.randn(D, generator=g)
    ref = mamba.selective_scan_sequential(u, delta, A, B, C, Dskip)
    assert _rel_err(mamba.selective_scan(u, delta, A, B, C, Dskip), ref) < 1e-5


def test_mamba_is_causal():
    """Changing the token at t0 changes no output before t0, and does change outputs from t0 on."""
    torch.manual_seed(0)
    model = mamba.Mamba(_MAMBA_TEST).eval()
    ids = torch.randint(0, 64, (1, 20))
    changed = ids.clone()
    changed[0, 12] = (ids[0, 12] + 1) % 64
    with torch.no_grad():
        a, b = model(ids), model(changed)
    assert torch.equal(a[:, :12], b[:, :12])
    assert not torch.allclose(a[:, 12:], b[:, 12:])


# --------------------------------------------------------------------------- XLNet


@pytest.fixture(scope="module")
def xlnet_pair():
    torch.manual_seed(0)
    hf = transformers.XLNetModel(
        transformers.XLNetConfig(
            vocab_size=77, d_model=32, n_layer=2, n_head=4, d_inner=48, mem_len=None, use_mems_eval=False
        )
    )
    hf = _perturb(hf, 4)
    ours = xlnet.XLNet(xlnet.XLNetConfig(vocab_size=77, d_model=32, n_layer=2, n_head=4, d_head=8, d_inner=48))
    xlnet.load_hf_xlnet(ours, hf.state_dict())
    return ours.eval(), hf


@torch.no_grad()
def test_xlnet_content_stream_matches_transformers(xlnet_pair):
    """The fine-tuning mode: bidirectional content stream, no order, no memory."""
    ours, hf = xlnet_pair
    ids, types = torch.randint(0, 77, (2, 12)), torch.randint(0, 2, (2, 12))
    assert _rel_err(ours(ids)[0], hf(ids).last_hidden_state) < 1e-4
    out = ours(ids, token_type_ids=types)[0]
    assert _rel_err(out, hf(ids, token_type_ids=types).last_hidden_state) < 1e-4
    assert not torch.allclose(out, ours(ids)[0])  # segments are really used


@torch.no_grad()
def test_xlnet_two_streams_match_transformers(xlnet_pair):
    """Pre-training mode: a sampled factorisation order, query stream for the last 4 targets."""
    ours, hf = xlnet_pair
    ids, types = torch.randint(0, 77, (2, 12)), torch.randint(0, 2, (2, 12))
    perm, targets = xlnet.sample_factorization(12, 4, torch.Generator().manual_seed(5))
    perm, targets = perm.expand(2, -1, -1), targets.expand(2, -1, -1)
    out = ours(ids, token_type_ids=types, perm_mask=perm, target_mapping=targets)[0]
    ref = hf(ids, token_type_ids=types, perm_mask=perm, target_mapping=targets).last_hidden_state
    assert out.shape == ref.shape == (2, 4, 32)
    assert _rel_err(out, ref) < 1e-4
    assert _rel_err(ours(ids, perm_mask=perm)[0], hf(ids, perm_mask=perm).last_hidden_state) < 1e-4


@torch.no_grad()
def test_xlnet_segment_memory_matches_transformers(xlnet_pair):
    """Transformer-XL recurrence: the second segment attends to the cached states of the first."""
    ours, hf = xlnet_pair
    first, second = torch.randint(0, 77, (2, 12)), torch.randint(0, 77, (2, 7))
    ours_first, hf_first = ours(first, use_mems=True), hf(first, use_mems=True)
    assert len(ours_first.mems) == 2 and ours_first.mems[0].shape == (2, 12, 32)
    out = ours(second, mems=ours_first.mems)[0]
    assert _rel_err(out, hf(second, mems=hf_first.mems).last_hidden_state) < 1e-4
    assert not torch.allclose(out, ours(second)[0])  # the memory changes the result


def test_xlnet_factorization_masks():
    perm, targets = xlnet.sample_factorization(10, 3, torch.Generator().manual_seed(0))
    perm, targets = perm[0].bool(), targets[0]
    order = targets.argmax(-1)  # target positions in prediction order
    context = [p for p in range(10) if p not in order.tolist()]
    for c in context:  # the context sees the whole context and no target
        assert not perm[c, context].any() and perm[c, order].all()
    for t, pos in enumerate(order.tolist()):  # target t sees the context and the targets before it
        assert not perm[pos, context].any()
        assert (~perm[pos, order]).tolist() == [s < t for s in range(3)]


def test_key_maps_fail_loudly(hf_mamba):
    """The loader must refuse a checkpoint with a key the map does not know or a tensor of the wrong shape."""
    state = hf_mamba.state_dict()
    with pytest.raises(CheckpointMismatch, match="unused checkpoint tensor: 'backbone.extra.weight'"):
        mamba.load_hf_mamba(mamba.Mamba(_MAMBA_TEST), {**state, "backbone.extra.weight": torch.zeros(1)})
    with pytest.raises(CheckpointMismatch, match="norm_f"):
        mamba.load_hf_mamba(mamba.Mamba(_MAMBA_TEST), {**state, "backbone.norm_f.weight": torch.zeros(5)})
    with pytest.raises(CheckpointMismatch, match=r"missing in checkpoint: 'backbone.layers.0.mixer.D'"):
        mamba.load_hf_mamba(mamba.Mamba(_MAMBA_TEST), {k: v for k, v in state.items() if not k.endswith(".D")})


# --------------------------------------------------------------------------- published configs → published counts


def _published_hf_models():
    """The published configs, written out by hand (no downloads), built by transformers."""
    T = transformers
    return {
        "xlnet_base": lambda: T.XLNetModel(
            T.XLNetConfig(vocab_size=32000, d_model=768, n_layer=12, n_head=12, d_inner=3072)
        ),
        "t5_small": lambda: T.T5ForConditionalGeneration(
            T.T5Config(
                vocab_size=32128, d_model=512, d_kv=64, d_ff=2048, num_layers=6, num_heads=8, feed_forward_proj="relu"
            )
        ),
        "llama_7b": lambda: T.LlamaForCausalLM(
            T.LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                          num_attention_heads=32, num_key_value_heads=32, rms_norm_eps=1e-6, tie_word_embeddings=False)
        ),
        "tinyllama_1_1b": lambda: T.LlamaForCausalLM(
            T.LlamaConfig(vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=22,
                          num_attention_heads=32, num_key_value_heads=4, rms_norm_eps=1e-5, tie_word_embeddings=False)
        ),
        "mamba_130m": lambda: T.MambaForCausalLM(
            T.MambaConfig(
                vocab_size=50280, hidden_size=768, num_hidden_layers=24, state_size=16, expand=2, conv_kernel=4,
                tie_word_embeddings=True,
            )
        ),
    }


@pytest.mark.parametrize("key", ["xlnet_base", "t5_small", "llama_7b", "tinyllama_1_1b", "mamba_130m"])
def test_published_config_gives_card_count(key):
    with torch.device("meta"):
        hf = _published_hf_models()[key]()
        ours = zoo.create_model(key)
    published = zoo.card(key).params.value
    assert _unique_params(hf) == published
    assert _unique_params(ours) == published
    # and tensor for tensor the same sizes (tied weights once on both sides)
    assert sorted(p.numel() for p in hf.parameters()) == sorted(p.numel() for p in ours.parameters())
