"""ConvNeXt, ViT/DeiT, Swin, MLP-Mixer and MaxViT beyond the registry-wide checks of test_models.py.

Where Hugging Face `transformers` implements the same architecture (ConvNeXt, ViT, Swin), both are built
at a small config with random weights, the weights are copied across by an explicit key map, and the
logits must agree within 1e-4 relative. Mixer and MaxViT have no `transformers` twin: their tests check
the property that defines them. Everything runs at toy sizes (well under a second each).
"""

from __future__ import annotations

import re

import pytest
import torch

from zoo.vision import convnext, maxvit, mlp_mixer, swin, vit

transformers = pytest.importorskip("transformers")


# --------------------------------------------------------------------------- helpers


def _perturbed(model: torch.nn.Module, std: float = 0.05) -> torch.nn.Module:
    """Random weights everywhere, so unit LayerNorms, zero biases or a zero head cannot hide a wrong map."""
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * std)
    return model.eval()


def _fuse_qkv(sd: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Hugging Face keeps q/k/v projections apart; the zoo (like torchvision) stacks them as one [Q; K; V]."""
    out = {}
    for key, value in sd.items():
        m = re.fullmatch(r"(.*)\.([qkv])_proj\.(weight|bias)", key)
        if m is None:
            out[key] = value
        elif m.group(2) == "q":
            prefix, kind = m.group(1), m.group(3)
            out[f"{prefix}.qkv.{kind}"] = torch.cat([sd[f"{prefix}.{c}_proj.{kind}"] for c in "qkv"])
    return out


def _renamed(sd: dict[str, torch.Tensor], rules: list[tuple[str, str]]) -> dict[str, torch.Tensor]:
    out = {}
    for key, value in sd.items():
        for pattern, repl in rules:
            key = re.sub(pattern, repl, key)
        out[key] = value
    return out


def _load(zoo_model: torch.nn.Module, sd: dict[str, torch.Tensor]) -> torch.nn.Module:
    zoo_model.load_state_dict(sd, strict=True)  # nothing missing, nothing left over, every shape equal
    return zoo_model.eval()


def _assert_close(ours: torch.Tensor, ref: torch.Tensor) -> None:
    assert ours.shape == ref.shape
    rel = ((ours - ref).abs().max() / ref.abs().max()).item()
    assert rel < 1e-4, f"relative difference {rel:.2e}"


# --------------------------------------------------------------------------- ConvNeXt


def test_convnext_matches_transformers():
    widths, depths = (8, 16, 32, 64), (1, 1, 2, 1)
    hf = transformers.ConvNextForImageClassification(
        transformers.ConvNextConfig(
            hidden_sizes=list(widths), depths=list(depths), layer_scale_init_value=1.0, drop_path_rate=0.0,
            layer_norm_eps=1e-6, num_labels=10, image_size=32,
        )
    )
    hf = _perturbed(hf)
    cfg = convnext.ConvNeXtConfig(depths=depths, widths=widths, stochastic_depth=0.0, num_classes=10)
    sd = _renamed(
        hf.state_dict(),
        [
            (r"^convnext\.embeddings\.patch_embeddings\.", "features.stem.0."),
            (r"^convnext\.embeddings\.layernorm\.", "features.stem.1."),
            (r"^convnext\.encoder\.stages\.(\d)\.downsampling_layer\.",
             lambda m: f"features.downsample{int(m[1]) + 1}."),
            (r"^convnext\.encoder\.stages\.(\d)\.layers\.", lambda m: f"features.stage{int(m[1]) + 1}."),
            (r"^convnext\.layernorm\.", "norm."),
            (r"\.layer_scale_parameter$", ".layer_scale"),
            (r"\.layernorm\.", ".norm."),
            (r"^classifier\.", "head."),
        ],
    )
    sd = {k: v.view(-1, 1, 1) if k.endswith("layer_scale") else v for k, v in sd.items()}
    ours = _load(convnext.ConvNeXt(cfg), sd)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _assert_close(ours(x), hf(pixel_values=x).logits)


def test_convnext_stochastic_depth_schedule_and_behaviour():
    cfg = convnext.ConvNeXtConfig(depths=(2, 1, 2, 1), widths=(8, 16, 32, 64), stochastic_depth=0.3)
    model = convnext.ConvNeXt(cfg)
    probs = [m.p for m in model.modules() if isinstance(m, convnext.StochasticDepth)]
    assert probs == pytest.approx([0.0, 0.06, 0.12, 0.18, 0.24, 0.3])  # linear in block index, last = 0.3
    sd = convnext.StochasticDepth(0.5)
    x = torch.ones(1000, 3, 2, 2)
    torch.manual_seed(0)
    y = sd.train()(x)
    per_sample = y.flatten(1)
    assert set(per_sample.unique().tolist()) == {0.0, 2.0}  # whole samples dropped, survivors scaled by 1/(1-p)
    assert (per_sample == per_sample[:, :1]).all()
    assert 0.4 < (per_sample[:, 0] == 0).float().mean() < 0.6
    assert torch.equal(sd.eval()(x), x)


# --------------------------------------------------------------------------- ViT / DeiT


def test_vit_matches_transformers():
    cfg = vit.ViTConfig(image_size=32, patch_size=8, width=48, depth=2, heads=3, mlp_dim=96, num_classes=10)
    hf = transformers.ViTForImageClassification(
        transformers.ViTConfig(
            image_size=32, patch_size=8, hidden_size=48, num_hidden_layers=2, num_attention_heads=3,
            intermediate_size=96, hidden_act="gelu", layer_norm_eps=1e-6, qkv_bias=True, num_labels=10,
        )
    )
    hf = _perturbed(hf)
    sd = _renamed(
        _fuse_qkv(hf.state_dict()),
        [
            (r"^vit\.embeddings\.cls_token$", "class_token"),
            (r"^vit\.embeddings\.position_embeddings$", "encoder.pos_embedding"),
            (r"^vit\.embeddings\.patch_embeddings\.projection\.", "patch_embedding."),
            (r"^vit\.layers\.", "encoder.layers."),
            (r"\.attention\.o_proj\.", ".attn.proj."),
            (r"\.attention\.qkv\.", ".attn.qkv."),
            (r"\.layernorm_before\.", ".ln_1."),
            (r"\.layernorm_after\.", ".ln_2."),
            (r"\.mlp\.fc1\.", ".mlp.w1."),
            (r"\.mlp\.fc2\.", ".mlp.w2."),
            (r"^vit\.layernorm\.", "encoder.norm."),
            (r"^classifier\.", "head."),
        ],
    )
    ours = _load(vit.VisionTransformer(cfg), sd)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        _assert_close(ours(x), hf(pixel_values=x).logits)


def test_deit_tiny_is_vit_at_width_192_without_distillation_token():
    cfg = vit.DEIT_TINY
    assert (cfg.width, cfg.heads, cfg.depth, cfg.mlp_dim) == (192, 3, 12, 768)
    with torch.device("meta"):
        model = vit.VisionTransformer(cfg)
    assert model.encoder.pos_embedding.shape == (1, 197, 192)  # 196 patches + one class token, no dist token


# --------------------------------------------------------------------------- Swin


@pytest.mark.parametrize("size", [32, 40])  # 40: odd maps and partial windows exercise the padding
def test_swin_matches_transformers(size):
    hf = transformers.SwinForImageClassification(
        transformers.SwinConfig(
            image_size=size, patch_size=4, embed_dim=16, depths=[2, 2, 2], num_heads=[1, 2, 4], window_size=2,
            mlp_ratio=4.0, qkv_bias=True, drop_path_rate=0.0, layer_norm_eps=1e-5, num_labels=10,
        )
    )
    hf = _perturbed(hf)
    sd = _renamed(
        _fuse_qkv(hf.state_dict()),
        [
            (r"^swin\.embeddings\.patch_embeddings\.projection\.", "features.patch_embed.proj."),
            (r"^swin\.embeddings\.norm\.", "features.patch_embed.norm."),
            (r"^swin\.encoder\.layers\.(\d)\.blocks\.", lambda m: f"features.stage{int(m[1]) + 1}."),
            (r"^swin\.encoder\.layers\.(\d)\.downsample\.", lambda m: f"features.merge{int(m[1]) + 2}."),
            (r"\.attention\.relative_position_bias\.", ".attn."),
            (r"\.attention\.o_proj\.", ".attn.proj."),
            (r"\.attention\.qkv\.", ".attn.qkv."),
            (r"\.layernorm_before\.", ".norm1."),
            (r"\.layernorm_after\.", ".norm2."),
            (r"\.mlp\.fc1\.", ".mlp.w1."),
            (r"\.mlp\.fc2\.", ".mlp.w2."),
            (r"^swin\.layernorm\.", "norm."),
            (r"^classifier\.", "head."),
        ],
    )
    cfg = swin.SwinConfig(
        embed_dim=16, depths=(2, 2, 2), heads=(1, 2, 4), window=2, stochastic_depth=0.0, num_classes=10
    )
    ours = _load(swin.SwinTransformer(cfg), sd)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        _assert_close(ours(x), hf(pixel_values=x).logits)


def _changed_tokens(block: torch.nn.Module, x: torch.Tensor, i: int, j: int) -> set[tuple[int, int]]:
    """Positions (row, col) of a channels-last (1, H, W, C) map whose output moves when token (i, j) moves."""
    with torch.no_grad():
        base = block(x)
        x2 = x.clone()
        x2[0, i, j] += torch.randn(x.shape[-1])  # random, not constant: LayerNorm would erase a constant shift
        moved = (block(x2) - base).abs().amax(-1)[0] > 1e-6  # (H, W)
    return {tuple(p) for p in moved.nonzero().tolist()}


def _square(rows: range, cols: range) -> set[tuple[int, int]]:
    return {(r, c) for r in rows for c in cols}


def test_swin_shifted_window_mask_blocks_attention_across_window_boundaries():
    """8×8 map, 4×4 windows, shift 2. After the cyclic roll the bottom-right window holds image rows/cols
    6, 7, 0, 1; the mask must keep the wrapped pieces apart, so the shifted windows seen in the image are
    rows/cols cut at 2 and 6: [0, 2), [2, 6), [6, 8)."""
    torch.manual_seed(0)
    cfg = swin.SwinConfig(window=4, stochastic_depth=0.0)
    shifted = _perturbed(swin.SwinBlock(dim=8, heads=2, shift=2, drop=0.0, cfg=cfg))
    x = torch.randn(1, 8, 8, 8)
    assert _changed_tokens(shifted, x, 0, 0) == _square(range(0, 2), range(0, 2))  # not (6..7, 6..7)
    assert _changed_tokens(shifted, x, 7, 7) == _square(range(6, 8), range(6, 8))  # not (0..1, 0..1)
    assert _changed_tokens(shifted, x, 7, 3) == _square(range(6, 8), range(2, 6))
    assert _changed_tokens(shifted, x, 3, 3) == _square(range(2, 6), range(2, 6))  # a whole shifted window
    # the regular (unshifted) block: the four 4×4 windows of the plain grid
    regular = _perturbed(swin.SwinBlock(dim=8, heads=2, shift=0, drop=0.0, cfg=cfg))
    assert _changed_tokens(regular, x, 0, 0) == _square(range(0, 4), range(0, 4))
    assert _changed_tokens(regular, x, 5, 2) == _square(range(4, 8), range(0, 4))


def test_swin_mask_is_zero_inside_regions_and_minus_infinity_across():
    mask = swin.shifted_window_mask(8, 8, 4, (2, 2), torch.device("cpu"))  # (nW, 16, 16)
    assert mask.shape == (4, 16, 16)
    assert (mask[0] == 0).all()  # the top-left window holds no wrapped pieces
    assert torch.isinf(mask[3]).sum() > 0 and (mask[3].diagonal() == 0).all()
    assert ((mask == 0) | torch.isneginf(mask)).all()


# --------------------------------------------------------------------------- MLP-Mixer


@pytest.fixture(scope="module")
def mixer_block() -> mlp_mixer.MixerBlock:
    cfg = mlp_mixer.MixerConfig(hidden=12, tokens_mlp_dim=6, channels_mlp_dim=24)
    return _perturbed(mlp_mixer.MixerBlock(cfg, tokens=10))


def test_mixer_token_mixing_is_one_mlp_shared_by_every_channel(mixer_block):
    """Permuting channels commutes with token mixing: each channel column goes through the same MLP."""
    torch.manual_seed(1)
    x = torch.randn(2, 10, 12)  # (B, S, C)
    perm = torch.randperm(12)
    with torch.no_grad():
        torch.testing.assert_close(mixer_block.token_mixing(x[..., perm]), mixer_block.token_mixing(x)[..., perm])
        # ... while it does depend on which patch is where (it mixes patches, position by position)
        tperm = torch.randperm(10)
        moved = mixer_block.token_mixing(x[:, tperm])
        assert not torch.allclose(moved, mixer_block.token_mixing(x)[:, tperm], atol=1e-4)
    # its size depends on S and D_S only, not on the number of channels C
    assert sum(p.numel() for p in mixer_block.token_mixing.parameters()) == 10 * 6 + 6 + 6 * 10 + 10


def test_mixer_channel_mixing_is_one_mlp_shared_by_every_patch(mixer_block):
    """Permuting patches commutes with channel mixing (LayerNorm included): every patch, same MLP."""
    torch.manual_seed(2)
    x = torch.randn(2, 10, 12)
    perm = torch.randperm(10)
    with torch.no_grad():
        f = lambda t: mixer_block.channel_mixing(mixer_block.norm2(t))  # noqa: E731
        torch.testing.assert_close(f(x[:, perm]), f(x)[:, perm])


# --------------------------------------------------------------------------- MaxViT


@pytest.mark.parametrize("kind", ["block", "grid"])
def test_maxvit_block_attention_is_local_and_grid_attention_is_dilated_global(kind):
    """6×6 map, partition size 2. Block attention mixes a pixel only with its own 2×2 window; grid
    attention mixes it with the pixels 3 apart (same offset inside every cell of a 2×2 grid), i.e.
    a sparse pattern that spans the whole map."""
    cfg = maxvit.MaxViTConfig(head_dim=4, partition_size=2)
    layer = _perturbed(maxvit.PartitionAttention(dim=8, kind=kind, drop=0.0, cfg=cfg))
    torch.manual_seed(3)
    x = torch.randn(1, 8, 6, 6)  # (B, C, H, W)
    with torch.no_grad():
        base = layer(x)
        for i, j in [(0, 0), (4, 1), (5, 5)]:
            x2 = x.clone()
            x2[0, :, i, j] += torch.randn(x.shape[1])  # random: LayerNorm would erase a constant shift
            moved = (layer(x2) - base).abs().amax(1)[0] > 1e-6  # (H, W)
            got = {tuple(p) for p in moved.nonzero().tolist()}
            if kind == "block":
                want = _square(range(i // 2 * 2, i // 2 * 2 + 2), range(j // 2 * 2, j // 2 * 2 + 2))
            else:
                want = _square(range(i % 3, 6, 3), range(j % 3, 6, 3))
            assert got == want, (kind, (i, j), sorted(got))


def test_maxvit_partitions_invert_exactly():
    x = torch.randn(2, 5, 14, 21)
    assert torch.equal(maxvit.block_merge(maxvit.block_partition(x, 7), 7, 14, 21), x)
    assert torch.equal(maxvit.grid_merge(maxvit.grid_partition(x, 7), 7, 14, 21), x)
    g = maxvit.grid_partition(x, 7)  # (B, groups, 49, C): group 0 = pixels (2a, 3b)
    torch.testing.assert_close(g[:, 0], x[:, :, ::2, ::3].flatten(2).transpose(1, 2))
