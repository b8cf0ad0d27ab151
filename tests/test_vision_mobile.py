"""The defining properties of the efficient-CNN families: MobileNet V1/V3, ShuffleNet V2, MnasNet, RegNet,
GoogLeNet / Inception-v3, EfficientNetV2 — and the EfficientNet BatchNorm settings.

Where `transformers` implements the same network (MobileNetV1, RegNetX/Y), both are built small with
random weights, the weights are copied across tensor by tensor, and the outputs must agree."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import zoo
from zoo.vision import efficientnet as eff
from zoo.vision import efficientnet_v2 as eff2
from zoo.vision import inception, mnasnet, mobilenet, regnet, shufflenet


def _count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _randomize_bn_stats_(model: nn.Module, seed: int = 0) -> None:
    """Non-trivial running statistics, so eval-mode BatchNorm (and its eps) matters in comparisons."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def _copy_in_order_(src: nn.Module, dst: nn.Module) -> None:
    """Copy `src`'s state into `dst` tensor by tensor, in registration order: the layouts must hold the
    same tensors with the same shapes in the same order (the condition for a key-mapping loader)."""
    s, d = src.state_dict(), dst.state_dict()
    assert len(s) == len(d), f"{len(s)} tensors vs {len(d)}"
    mapped = {}
    for (ks, vs), (kd, vd) in zip(s.items(), d.items()):
        assert ks.rsplit(".", 1)[-1] == kd.rsplit(".", 1)[-1], (ks, kd)  # weight ↔ weight, running_mean ↔ …
        assert vs.shape == vd.shape, (ks, vs.shape, kd, vd.shape)
        mapped[kd] = vs
    dst.load_state_dict(mapped, strict=True)


def _assert_close_relative(a: torch.Tensor, b: torch.Tensor, rel: float = 1e-4) -> None:
    assert a.shape == b.shape
    err = (a - b).abs().max().item()
    assert err <= rel * b.abs().max().item(), f"max |Δ| {err:.3g} vs max |ref| {b.abs().max().item():.3g}"


# --------------------------------------------------------------------------- MobileNet V1 vs transformers


@pytest.mark.parametrize("tf_padding", [True, False])
def test_mobilenet_v1_matches_transformers(tf_padding):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    hf_cfg = transformers.MobileNetV1Config(
        depth_multiplier=0.25,
        min_depth=8,
        hidden_act="relu6",
        tf_padding=tf_padding,
        layer_norm_eps=1e-3,
        classifier_dropout_prob=0.0,
        num_labels=10,
    )
    hf = transformers.MobileNetV1ForImageClassification(hf_cfg).eval()
    _randomize_bn_stats_(hf)
    ours = zoo.create_model("mobilenet_v1", width_mult=0.25, activation="relu6", tf_padding=tf_padding, num_classes=10)
    ours.eval()
    _copy_in_order_(hf, ours)
    x = torch.randn(2, 3, 67, 67)  # odd size: TensorFlow "SAME" padding is asymmetric there
    with torch.no_grad():
        _assert_close_relative(ours(x), hf(pixel_values=x).logits)


def test_mobilenet_v1_is_depthwise_separable():
    m = zoo.create_model("mobilenet_v1")
    blocks = list(m.features)
    assert len(blocks) == 13  # 1 + 2·13 + 1 = 28 layers with the stem and the classifier (§4)
    for b in blocks:
        dw, pw = b.depthwise[0], b.pointwise[0]
        assert dw.groups == dw.in_channels == dw.out_channels and dw.kernel_size == (3, 3)
        assert pw.groups == 1 and pw.kernel_size == (1, 1)
    assert [b.pointwise[0].out_channels for b in blocks][-1] == 1024
    assert _count(m) == 4_231_976


# --------------------------------------------------------------------------- MobileNet V3


@pytest.mark.parametrize(
    "key, setting",
    [("mobilenet_v3_large", mobilenet.V3_LARGE_SETTING), ("mobilenet_v3_small", mobilenet.V3_SMALL_SETTING)],
)
def test_mobilenet_v3_follows_its_table(key, setting):
    m = zoo.create_model(key)
    blocks = [b for b in m.features if isinstance(b, mobilenet.V3Bottleneck)]
    assert len(blocks) == len(setting)
    for block, (kernel, _exp, out, se, nl, stride) in zip(blocks, setting):
        dw = block.depthwise[0]
        assert dw.kernel_size == (kernel, kernel) and dw.stride == (stride, stride) and block.out_channels == out
        assert isinstance(block.se, mobilenet.HardSqueezeExcitation) == se
        assert isinstance(block.depthwise[-1], nn.Hardswish if nl == "HS" else nn.ReLU)
    bns = [b for b in m.modules() if isinstance(b, nn.BatchNorm2d)]
    assert {(b.eps, b.momentum) for b in bns} == {(1e-3, 0.01)}


def test_hard_squeeze_excitation_gates_channels_in_unit_interval():
    torch.manual_seed(0)
    se = mobilenet.HardSqueezeExcitation(32, 8)
    for fc in (se.fc1, se.fc2):
        nn.init.normal_(fc.weight, std=2.0)  # large enough to push the hard sigmoid into both flat ends
    x = torch.randn(4, 32, 5, 5)
    gate = se.gate(x)
    assert gate.shape == (4, 32, 1, 1)
    assert gate.min() >= 0 and gate.max() <= 1
    assert (gate == 0).any() or (gate == 1).any()  # piecewise linear: it saturates exactly, unlike a sigmoid
    assert torch.allclose(se(x), x * gate)


def test_h_swish_is_x_relu6_x_plus_3_over_6():
    x = torch.linspace(-6, 6, 101)
    assert torch.allclose(nn.Hardswish()(x), x * torch.clamp(x + 3, 0, 6) / 6)


# --------------------------------------------------------------------------- ShuffleNet V2


def test_channel_shuffle_is_a_permutation():
    c, g = 12, 2
    x = torch.arange(c, dtype=torch.float32).view(1, c, 1, 1).expand(2, c, 3, 3).contiguous()
    y = shufflenet.channel_shuffle(x, g)
    order = y[0, :, 0, 0].long()
    assert sorted(order.tolist()) == list(range(c))  # every channel exactly once
    assert order.tolist() != list(range(c))  # …and actually moved
    assert order.tolist() == [0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11]  # the two halves interleaved
    assert torch.equal(shufflenet.channel_shuffle(y, c // g), x)  # shuffling with C/g groups undoes it


def test_shufflenet_unit_passes_half_the_channels_through():
    torch.manual_seed(0)
    unit = shufflenet.ShuffleUnit(8, 8, stride=1).eval()
    x = torch.randn(1, 8, 6, 6)
    with torch.no_grad():
        y = shufflenet.channel_shuffle(unit(x), 8 // 2)  # undo the unit's shuffle
    assert torch.equal(y[:, :4], x[:, :4])  # channel split: the left half is the identity
    assert not torch.allclose(y[:, 4:], x[:, 4:])
    down = shufflenet.ShuffleUnit(24, 116, stride=2)
    assert down(torch.randn(1, 24, 8, 8)).shape == (1, 116, 4, 4)


# --------------------------------------------------------------------------- MnasNet


def test_mnasnet_b1_stacks():
    m = zoo.create_model("mnasnet1_0")
    assert len(m.stacks) == len(mnasnet.B1_STACKS)
    for stack, (expansion, kernel, out, repeats, stride) in zip(m.stacks, mnasnet.B1_STACKS):
        assert len(stack) == repeats
        first = stack[0].layers
        assert first[0].out_channels == first[0].in_channels * expansion
        assert first[3].kernel_size == (kernel, kernel) and first[3].stride == (stride, stride)
        assert first[3].groups == first[3].in_channels  # depthwise
        assert first[6].out_channels == out
        assert all(b.use_shortcut for b in stack[1:])
    assert all(b.momentum == pytest.approx(3e-4) for b in m.modules() if isinstance(b, nn.BatchNorm2d))


# --------------------------------------------------------------------------- RegNet


def test_regnet_widths_come_from_the_quantized_linear_rule():
    x, y = regnet.REGNET_X_400MF, regnet.REGNET_Y_400MF
    # Eqs. 2–4 before the group-width adjustment …
    assert regnet.block_widths(y) == [48] + [104] * 3 + [208] * 6 + [440] * 6
    assert regnet.block_widths(x) == [24] + [64] * 2 + [152] * 7 + [392] * 12
    # … and the published stages (torchvision's; the paper's pycls rounds X-400MF's last stage to 384).
    assert regnet.regnet_stages(y) == ([48, 104, 208, 440], [1, 3, 6, 6], [8, 8, 8, 8])
    assert regnet.regnet_stages(x) == ([32, 64, 160, 400], [1, 2, 7, 12], [16, 16, 16, 16])
    model = zoo.create_model("regnet_y_400mf")
    assert [len(s) for s in model.stages] == [1, 3, 6, 6]
    assert [s[0].f.c[0].out_channels for s in model.stages] == [48, 104, 208, 440]
    assert all(s[0].f.b[0].groups == s[0].f.b[0].out_channels // 8 for s in model.stages)


def test_regnet_rejects_invalid_parameters():
    with pytest.raises(ValueError):
        regnet.block_widths(regnet.RegNetConfig(w_0=20))  # w_0 must be a multiple of 8


@pytest.mark.parametrize("layer_type", ["x", "y"])
def test_regnet_matches_transformers(layer_type):
    transformers = pytest.importorskip("transformers")
    se_ratio = 0.25 if layer_type == "y" else 0.0
    cfg = regnet.RegNetConfig(depth=6, w_0=16, w_a=10.0, w_m=2.0, group_width=8, se_ratio=se_ratio, stem_width=16, num_classes=10)
    widths, depths, groups = regnet.regnet_stages(cfg)
    assert groups == [8] * len(widths) and len(widths) > 1  # a config transformers' RegNet can express
    torch.manual_seed(0)
    hf_cfg = transformers.RegNetConfig(
        embedding_size=cfg.stem_width,
        hidden_sizes=widths,
        depths=depths,
        groups_width=cfg.group_width,
        layer_type=layer_type,
        hidden_act="relu",
        downsample_in_first_stage=True,
        num_labels=10,
    )
    hf = transformers.RegNetForImageClassification(hf_cfg).eval()
    _randomize_bn_stats_(hf)
    ours = regnet.RegNet(cfg).eval()
    _copy_in_order_(hf, ours)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        _assert_close_relative(ours(x), hf(pixel_values=x).logits)


def test_regnet_y_squeeze_excitation_gate_in_unit_interval():
    torch.manual_seed(0)
    se = regnet.SqueezeExcitation(16, 4)
    gate = se.gate(torch.randn(3, 16, 4, 4) * 10)
    assert gate.shape == (3, 16, 1, 1) and gate.min() >= 0 and gate.max() <= 1


# --------------------------------------------------------------------------- GoogLeNet and Inception-v3


def test_inception_module_concatenates_its_four_branches():
    m = inception.InceptionV1(192, *inception.INCEPTION_V1_MODULES["3a"])
    y = m(torch.randn(1, 192, 8, 8))
    assert y.shape == (1, 64 + 128 + 32 + 32, 8, 8)  # Table 1: inception (3a) outputs 256 channels


def test_googlenet_auxiliary_classifiers_are_optional_and_train_only():
    torch.manual_seed(0)
    plain = zoo.create_model("googlenet")
    with_aux = zoo.create_model("googlenet", aux_logits=True)
    assert _count(plain) == 6_624_904 and _count(with_aux) == 13_004_888  # torchvision, without / with aux
    x = torch.randn(2, 3, 96, 96)
    with torch.no_grad():
        out = with_aux.train()(x)
        assert isinstance(out, inception.GoogLeNetOutputs)
        assert out.logits.shape == out.aux1.shape == out.aux2.shape == (2, 1000)
        assert with_aux.eval()(x).shape == (2, 1000)  # inference: main logits only
    paper_3a = inception.InceptionV1(192, *inception.INCEPTION_V1_MODULES["3a"], branch3_kernel=5)  # the paper's 5×5
    assert paper_3a.branch3[1].conv.kernel_size == (5, 5) and with_aux.inception3a.branch3[1].conv.kernel_size == (3, 3)


@pytest.fixture(scope="module")
def inception_v3():
    torch.manual_seed(0)
    return zoo.create_model("inception_v3")


def test_inception_v3_returns_main_logits_in_eval_and_aux_in_training(inception_v3):
    assert _count(inception_v3) - _count(inception_v3.AuxLogits) == 27_161_264 - 3_326_696
    assert zoo.example_input("inception_v3").shape == (2, 3, 299, 299)  # native size
    with torch.no_grad():
        assert inception_v3.eval()(torch.randn(1, 3, 75, 75)).shape == (1, 1000)  # smallest size it accepts
        out = inception_v3.train()(torch.randn(2, 3, 299, 299))
    inception_v3.eval()
    assert isinstance(out, inception.InceptionV3Outputs) and out.logits.shape == out.aux.shape == (2, 1000)


def test_inception_v3_factorizes_7x7_into_1x7_and_7x1(inception_v3):
    kernels = [m.conv.kernel_size for m in inception_v3.Mixed_6b.branch7x7]
    assert kernels == [(1, 1), (1, 7), (7, 1)]


# --------------------------------------------------------------------------- EfficientNetV2 and the V1 BatchNorm fix


@pytest.fixture(scope="module")
def v2_s():
    torch.manual_seed(0)
    return zoo.create_model("efficientnet_v2_s").eval()


def test_efficientnet_v2_s_fused_stages_then_mbconv_with_se(v2_s):
    kinds = [type(stage[0]) for stage in v2_s.stages]
    assert kinds == [eff2.FusedMBConv] * 3 + [eff.MBConv] * 3
    for stage in v2_s.stages[:3]:  # Fused-MBConv: regular convolutions only, no SE
        convs = [m for m in stage.modules() if isinstance(m, nn.Conv2d)]
        assert all(c.groups == 1 for c in convs)
        assert not any(isinstance(m, eff.SqueezeExcitation) for m in stage.modules())
    for stage in v2_s.stages[3:]:
        assert all(isinstance(block.se, eff.SqueezeExcitation) for block in stage)
        assert all(block.depthwise.conv.groups == block.depthwise.conv.in_channels for block in stage)
    assert [len(s) for s in v2_s.stages] == [2, 4, 4, 6, 9, 15]
    assert {(b.eps, b.momentum) for b in v2_s.modules() if isinstance(b, nn.BatchNorm2d)} == {(1e-3, 0.1)}


def test_efficientnet_v2_s_runs_at_native_384(v2_s):
    with torch.no_grad():
        assert v2_s.features(torch.randn(1, 3, 384, 384)).shape == (1, 1280, 12, 12)


@pytest.mark.parametrize("i", range(8))
def test_efficientnet_batchnorm_matches_the_cited_weights(i):
    """torchvision's B0–B4 weights use PyTorch's BatchNorm defaults, its B5–B7 TensorFlow's eps 1e-3 / momentum 0.01."""
    key = f"efficientnet_b{i}"
    with torch.device("meta"):  # settings only: no memory for B7's 66M parameters
        model = zoo.create_model(key)
    expected = (1e-5, 0.1) if i <= 4 else (1e-3, 0.01)
    assert {(b.eps, b.momentum) for b in model.modules() if isinstance(b, nn.BatchNorm2d)} == {expected}
    card = zoo.card(key)
    eps = "1e-5" if i <= 4 else "1e-3"
    assert f"BatchNorm eps {eps}" in card.config_note and f"BatchNorm eps {eps}" in card.localized("zh").config_note


def test_efficientnet_lite0_keeps_tensorflow_batchnorm():
    with torch.device("meta"):
        model = zoo.create_model("efficientnet_lite0")
    assert {(b.eps, b.momentum) for b in model.modules() if isinstance(b, nn.BatchNorm2d)} == {(1e-3, 0.01)}
