"""torchvision and timm layouts: every mapping checked by a strict round trip, without torchvision or timm.

A checkpoint in the layout's names is written from the zoo model's own tensors through the family's map in
reverse; loading it with `create_model(key, weights=FILE)` must give back every tensor exactly. Small models do
this for real, through .pth and .safetensors files; every variant of every layout is also checked on the meta
device (the map names each tensor once, with the right shape, and the config reader finds the class count).
"""

from __future__ import annotations

import json

import pytest
import torch

import zoo
from zoo.pretrained import CheckpointMismatch, KeyMap, layouts, load_mapped, reverse
from zoo.pretrained.layouts import models_with_layouts

VISION_LAYOUTS = [
    (key, layout.name)
    for key in models_with_layouts()
    for layout in layouts(key)
    if layout.name in ("torchvision", "timm")
]


def _layout(key: str, name: str):
    return next(lay for lay in layouts(key) if lay.name == name)


@pytest.mark.parametrize("key,name", VISION_LAYOUTS, ids=[f"{k}-{n}" for k, n in VISION_LAYOUTS])
def test_every_layout_covers_every_tensor(key, name):
    """On the meta device: the reversed checkpoint loads strictly and implies the model's own class count."""
    layout = _layout(key, name)
    with torch.device("meta"):
        model = zoo.create_model(key)
    key_map = layout.key_map(model)
    theirs = reverse(model, key_map)
    assert len(theirs) == len(key_map.tensors)  # no two zoo tensors read the same checkpoint tensor
    load_mapped(model, theirs, key_map)
    implied = layout.config(None, {n: tuple(t.shape) for n, t in theirs.items()})
    if "num_classes" in implied:
        assert implied["num_classes"] == model.cfg.num_classes


# (key, layout, file type): small models, 10 classes to keep the files small. The others are checked on meta above.
REAL = [
    ("resnet18", "torchvision", ".pth"),
    ("resnet18", "torchvision", ".safetensors"),
    ("mobilenet_v2", "torchvision", ".safetensors"),
    ("squeezenet1_1", "torchvision", ".pth"),
    ("shufflenet_v2_x1_0", "torchvision", ".pth"),
    ("mobilenet_v3_small", "torchvision", ".pth"),
    ("mnasnet1_0", "torchvision", ".pth"),
    ("deit_tiny", "torchvision", ".pth"),
    ("deit_tiny", "timm", ".safetensors"),
]


@torch.no_grad()
def _randomised(model: torch.nn.Module) -> torch.nn.Module:
    g = torch.Generator().manual_seed(0)
    for t in model.state_dict().values():
        if t.is_floating_point():
            t.copy_(torch.randn(t.shape, generator=g))
    return model


@pytest.mark.parametrize("key,name,suffix", REAL, ids=[f"{k}-{n}-{s}" for k, n, s in REAL])
def test_round_trip_through_a_file(key, name, suffix, tmp_path):
    source = _randomised(zoo.create_model(key, num_classes=10))
    theirs = reverse(source, _layout(key, name).key_map(source))
    path = tmp_path / f"checkpoint{suffix}"
    if suffix == ".pth":
        torch.save(theirs, path)
    else:
        from safetensors.torch import save_file

        save_file(theirs, str(path))
    loaded = zoo.create_model(key, weights=str(path))  # class count read from the file, layout from the names
    assert loaded.cfg.num_classes == 10 and not loaded.training
    mine, back = source.state_dict(), loaded.state_dict()
    assert mine.keys() == back.keys()
    assert all(torch.equal(mine[n], back[n]) for n in mine)


def test_shape_errors_are_named(tmp_path):
    model = zoo.create_model("resnet18", num_classes=10)
    theirs = reverse(model, _layout("resnet18", "torchvision").key_map(model))
    theirs["layer2.0.conv1.weight"] = torch.zeros(128, 64, 5, 5)
    del theirs["layer4.1.bn2.running_var"]
    torch.save(theirs, tmp_path / "bad.pth")
    with pytest.raises(CheckpointMismatch) as caught:
        zoo.create_model("resnet18", weights=str(tmp_path / "bad.pth"))
    message = str(caught.value)
    assert "'layer2.0.conv1.weight': checkpoint (128, 64, 5, 5) vs model 'layer2.0.conv1.weight' (128, 64, 3, 3)" in message
    assert "missing in checkpoint: 'layer4.1.bn2.running_var'" in message


def test_pre_2018_files_without_batch_counters_load(tmp_path):
    """torchvision's first ImageNet files have no num_batches_tracked; the strict loader accepts exactly that gap."""
    model = zoo.create_model("resnet18", num_classes=10)
    theirs = {k: v for k, v in reverse(model, _layout("resnet18", "torchvision").key_map(model)).items()
              if not k.endswith("num_batches_tracked")}  # fmt: skip
    torch.save(theirs, tmp_path / "old.pth")
    zoo.create_model("resnet18", weights=str(tmp_path / "old.pth"))


def test_legacy_densenet_names(tmp_path):
    model = zoo.create_model("densenet121", num_classes=10)
    theirs = reverse(model, _layout("densenet121", "torchvision").key_map(model))
    old = {k.replace(".norm1.", ".norm.1.").replace(".conv2.", ".conv.2."): v for k, v in theirs.items()}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old
    torch.save(old, tmp_path / "densenet121-a639ec97.pth")
    loaded = zoo.create_model("densenet121", weights=str(tmp_path / "densenet121-a639ec97.pth"))
    assert torch.equal(loaded.stem[0].weight, model.stem[0].weight)


def test_timm_folder_is_recognised_by_its_config(tmp_path):
    """A timm hub folder: config.json names the architecture, so the timm layout is chosen."""
    from safetensors.torch import save_file

    model = zoo.create_model("resnet18", num_classes=10)
    save_file(reverse(model, _layout("resnet18", "timm").key_map(model)), str(tmp_path / "model.safetensors"))
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "resnet18", "num_classes": 10}))
    assert zoo.create_model("resnet18", weights=str(tmp_path)).cfg.num_classes == 10
    (tmp_path / "config.json").write_text(json.dumps({"architecture": "efficientnet_b0", "num_classes": 10}))
    with pytest.raises(ValueError, match="'efficientnet_b0' model; resnet18 reads"):
        zoo.create_model("resnet18", weights=str(tmp_path))


def test_unpickling_is_refused(tmp_path):
    """A .pth that holds anything but tensors is refused (weights_only), with the file named."""
    import pickle

    (tmp_path / "evil.pth").write_bytes(pickle.dumps({"fc.weight": object()}))
    with pytest.raises(ValueError, match="cannot read evil.pth"):
        zoo.create_model("resnet18", weights=str(tmp_path / "evil.pth"))


def test_inverted_residual_blocks_are_numbered_as_torchvision_does():
    """torchvision numbers the parts a block has: no expansion in the first block, so its depthwise conv is 0."""
    with torch.device("meta"):
        v3, b0 = zoo.create_model("mobilenet_v3_large"), zoo.create_model("efficientnet_b0")
    v3_map = _layout("mobilenet_v3_large", "torchvision").key_map(v3).tensors
    assert v3_map["features.1.depthwise.0.weight"] == "features.1.block.0.0.weight"
    assert v3_map["features.2.expand.0.weight"] == "features.2.block.0.0.weight"
    assert v3_map["features.2.depthwise.0.weight"] == "features.2.block.1.0.weight"
    b0_map = _layout("efficientnet_b0", "torchvision").key_map(b0).tensors
    assert b0_map["stages.0.0.se.reduce.weight"] == "features.1.0.block.1.fc1.weight"
    assert b0_map["stages.1.0.se.expand.weight"] == "features.2.0.block.2.fc2.weight"
    assert b0_map["head.conv.weight"] == "features.8.0.weight"


def test_vit_maps_differ_only_in_names():
    model = zoo.create_model("deit_tiny")
    tv, timm = _layout("deit_tiny", "torchvision").key_map(model), _layout("deit_tiny", "timm").key_map(model)
    assert tv.tensors.keys() == timm.tensors.keys()
    assert tv.tensors["encoder.layers.3.attn.qkv.weight"] == "encoder.layers.encoder_layer_3.self_attention.in_proj_weight"
    assert timm.tensors["encoder.layers.3.attn.qkv.weight"] == "blocks.3.attn.qkv.weight"
    assert isinstance(tv, KeyMap)


def test_a_current_torchvision_detector_state_dict_reads_as_the_v1_files():
    """Names torchvision ≥ 0.13 writes (checked against torchvision 0.29.1's models) become the v1 COCO files'
    names the detectors' maps read; v1 names stay as they are."""
    from zoo.vision._fpn import torchvision_v1_name

    current_to_v1 = {
        "backbone.fpn.inner_blocks.3.0.weight": "backbone.fpn.inner_blocks.3.weight",
        "backbone.fpn.layer_blocks.0.0.bias": "backbone.fpn.layer_blocks.0.bias",
        "rpn.head.conv.0.0.weight": "rpn.head.conv.weight",
        "roi_heads.mask_head.2.0.weight": "roi_heads.mask_head.mask_fcn3.weight",
        "head.classification_head.conv.3.0.bias": "head.classification_head.conv.6.bias",
        "head.regression_head.conv.1.0.weight": "head.regression_head.conv.2.weight",
    }
    for current, v1 in current_to_v1.items():
        assert torchvision_v1_name(current) == v1
        assert torchvision_v1_name(v1) == v1
