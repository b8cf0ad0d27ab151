"""The defining property of each classic CNN family in zoo/vision: VGG, ResNeXt / Wide ResNet, DenseNet,
SqueezeNet. (`transformers` implements none of these, so there is no cross-implementation check; exact
parameter counts, forward and backward passes are in tests/test_models.py.)"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import zoo
from zoo import introspect
from zoo.vision.densenet import DenseBlock, DenseLayer, DenseNet, DenseNetConfig, Transition
from zoo.vision.resnet import Bottleneck
from zoo.vision.squeezenet import Fire


def _meta(key: str, **overrides) -> nn.Module:
    return introspect.build(key, device="meta", **overrides)[0]


def _stages(resnet: nn.Module) -> list[nn.Sequential]:
    return [resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4]


def _randomize_bn_(model: nn.Module) -> None:
    """Non-trivial BatchNorm statistics and affine parameters, so eval-mode BN is not the identity."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)
            nn.init.normal_(m.weight, 1.0, 0.2)
            nn.init.normal_(m.bias, 0.0, 0.2)


# --------------------------------------------------------------------------- VGG


@pytest.mark.parametrize("key", ["vgg11", "vgg11_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"])
def test_vgg_n_has_n_weight_layers_all_convs_3x3(key):
    """VGG-n: n weight layers (n − 3 convs + 3 FC), every conv 3×3/1 padded, five 2×2 pools; the _bn
    variants put a BatchNorm right after every conv and the plain ones have none."""
    depth = int(key.removeprefix("vgg").removesuffix("_bn"))
    model = _meta(key)
    modules = list(model.features)
    convs = [m for m in modules if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.classifier if isinstance(m, nn.Linear)]
    assert len(convs) + len(linears) == depth
    assert all(c.kernel_size == (3, 3) and c.stride == (1, 1) and c.padding == (1, 1) for c in convs)
    pools = [m for m in modules if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 5 and all(p.kernel_size == 2 and p.stride == 2 for p in pools)
    after_conv = [modules[i + 1] for i, m in enumerate(modules) if isinstance(m, nn.Conv2d)]
    with_bn = [isinstance(m, nn.BatchNorm2d) for m in after_conv]
    assert all(with_bn) if key.endswith("_bn") else not any(with_bn)


# --------------------------------------------------------------------------- ResNeXt and Wide ResNet


def test_resnext_bottlenecks_have_cardinality_32_and_width_doubling_per_stage():
    """ResNeXt-50 32×4d (paper Table 1): every 3×3 conv has C = 32 groups of d = 4·2^stage channels."""
    model = _meta("resnext50_32x4d")
    for stage, layer in enumerate(_stages(model)):
        for block in layer:
            assert block.conv2.groups == 32
            assert block.conv2.in_channels // 32 == 4 * 2**stage  # d: 4, 8, 16, 32
            assert block.conv3.out_channels == 256 * 2**stage  # block outputs as in ResNet-50


def test_grouped_bottleneck_equals_sum_of_32_independent_paths():
    """ResNeXt Figure 3: the grouped-conv block (c) computes F(x) = Σ_g T_g(x) of (a), where each path
    T_g is its own 1×1 (4 ch) → 3×3 (4 ch) → 1×1 (256 ch) chain and the paths share nothing."""
    torch.manual_seed(0)
    block = Bottleneck(256, 64, groups=32, width_per_group=4)
    _randomize_bn_(block)
    block.eval()
    x = torch.randn(2, 256, 8, 8)

    def bn(t: torch.Tensor, norm: nn.BatchNorm2d, s: slice) -> torch.Tensor:
        return F.batch_norm(t, norm.running_mean[s], norm.running_var[s], norm.weight[s], norm.bias[s], eps=norm.eps)

    total = 0
    for g in range(32):
        s = slice(4 * g, 4 * g + 4)  # path g owns these 4 of the 128 inner channels
        h = F.relu(bn(F.conv2d(x, block.conv1.weight[s]), block.bn1, s))  # (2, 4, 8, 8)
        h = F.relu(bn(F.conv2d(h, block.conv2.weight[s], padding=1), block.bn2, s))  # (2, 4, 8, 8)
        total = total + F.conv2d(h, block.conv3.weight[:, s])  # (2, 256, 8, 8)
    aggregated = block.bn3(total)
    with torch.no_grad():
        assert torch.allclose(block.residual(x), aggregated, atol=1e-5)


def test_wide_resnet_doubles_the_inner_width_and_keeps_the_outputs():
    """WRN-50-2: every bottleneck's 1×1-3×3 widths are twice ResNet-50's; block outputs are unchanged."""
    wide, plain = _meta("wide_resnet50_2"), _meta("resnet50")
    pairs = [(w, p) for lw, lp in zip(_stages(wide), _stages(plain)) for w, p in zip(lw, lp)]
    assert len(pairs) == 16
    for w, p in pairs:
        assert w.conv1.out_channels == w.conv2.out_channels == 2 * p.conv2.out_channels
        assert w.conv2.groups == 1 and w.conv3.out_channels == p.conv3.out_channels


def test_basic_block_resnets_refuse_groups():
    with pytest.raises(ValueError, match="bottleneck"):
        zoo.create_model("resnet18", groups=32, width_per_group=4)


# --------------------------------------------------------------------------- DenseNet


def test_each_dense_layer_sees_the_concatenation_of_all_earlier_outputs():
    """Eq. 2: layer ℓ's input is [x_0, x_1, …, x_ℓ−1] — the block input followed by every earlier layer's
    k new channels, unchanged — so the channels grow by the growth rate k per layer."""
    torch.manual_seed(0)
    k, c0 = 8, 16
    model = DenseNet(DenseNetConfig(block_layers=(3, 4), growth_rate=k, stem_width=c0, num_classes=5)).eval()
    seen: dict[nn.Module, tuple[torch.Tensor, torch.Tensor]] = {}
    watched = [m for m in model.modules() if isinstance(m, (DenseLayer, DenseBlock))]
    hooks = [m.register_forward_hook(lambda m, i, o: seen.__setitem__(m, (i[0], o))) for m in watched]
    with torch.no_grad():
        model(torch.randn(2, 3, 64, 64))
    for h in hooks:
        h.remove()
    blocks = [m for m in model.modules() if isinstance(m, DenseBlock)]
    assert len(blocks) == 2
    for block in blocks:
        x0, out = seen[block]
        outputs = [seen[layer][1] for layer in block.layers]
        assert all(o.shape[1] == k for o in outputs)
        for ell, layer in enumerate(block.layers):
            inp = seen[layer][0]
            assert inp.shape[1] == x0.shape[1] + ell * k
            assert torch.equal(inp, torch.cat([x0, *outputs[:ell]], dim=1))
        assert torch.equal(out, torch.cat([x0, *outputs], dim=1))  # the block passes everything on


@pytest.mark.parametrize("key, final", [("densenet121", 1024), ("densenet169", 1664)])
def test_densenet_channels_grow_by_k_per_layer_and_transitions_halve_them(key, final):
    """Table 1 arithmetic: a block of L layers adds 32·L channels; a transition keeps ⌊0.5·m⌋."""
    model = _meta(key)
    blocks = [m for m in model.modules() if isinstance(m, DenseBlock)]
    transitions = [m for m in model.modules() if isinstance(m, Transition)]
    assert len(blocks) == 4 and len(transitions) == 3
    channels = 64
    for i, block in enumerate(blocks):
        assert block.layers[0].norm1.num_features == channels
        channels += 32 * len(block.layers)
        assert block.layers[-1].conv2.out_channels == 32 and block.layers[0].conv1.out_channels == 4 * 32
        if i < 3:
            assert transitions[i].conv.in_channels == channels and transitions[i].conv.out_channels == channels // 2
            channels //= 2
    assert channels == final == model.classifier.in_features


# --------------------------------------------------------------------------- SqueezeNet


def test_fire_module_concatenates_its_1x1_and_3x3_expand_paths():
    torch.manual_seed(0)
    fire = Fire(8, s1x1=2, e1x1=3, e3x3=5).eval()
    x = torch.randn(2, 8, 6, 6)
    with torch.no_grad():
        out = fire(x)
        squeezed = F.relu(fire.squeeze(x))
        assert squeezed.shape[1] == 2  # the 3×3 filters see only s1x1 channels
        assert out.shape == (2, 8, 6, 6)
        assert torch.equal(out[:, :3], F.relu(fire.expand1x1(squeezed)))
        assert torch.equal(out[:, 3:], F.relu(fire.expand3x3(squeezed)))


def _conv_macs(model: nn.Module, x: torch.Tensor) -> int:
    macs = 0

    def count(m, i, o):
        nonlocal macs
        macs += o.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return macs


def test_squeezenet_design_squeeze_ratio_no_fc_and_v1_1_cheaper():
    """Paper §3–5: eight Fire modules with squeeze ratio 0.125 and half the expand filters 3×3, no fully
    connected layer (so small inputs work); v1.1 needs about 2.4× less computation than v1.0."""
    models = {k: zoo.create_model(k).eval() for k in ("squeezenet1_0", "squeezenet1_1")}
    for key, model in models.items():
        fires = [m for m in model.modules() if isinstance(m, Fire)]
        assert len(fires) == 8
        for f in fires:
            expand = f.expand1x1.out_channels + f.expand3x3.out_channels
            assert f.squeeze.out_channels / expand == 0.125 and f.expand3x3.out_channels / expand == 0.5
        assert not any(isinstance(m, nn.Linear) for m in model.modules())
        smallest = {"squeezenet1_0": 21, "squeezenet1_1": 17}[key]
        with torch.no_grad():
            assert model(torch.randn(1, 3, smallest, smallest)).shape == (1, 1000)
    x = torch.randn(1, 3, 224, 224)
    ratio = _conv_macs(models["squeezenet1_0"], x) / _conv_macs(models["squeezenet1_1"], x)
    assert 2.2 < ratio < 2.6, ratio
