"""Segmentation models and the "Segment it" demo: the properties that define each architecture (small
configs, so the file runs in seconds), and the demo's trained U-Net against the generated ground truth."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

import zoo
from zoo import weights
from zoo.demos import BadInput
from zoo.demos import segmentation as demo
from zoo.train import segmentation as recipe
from zoo.vision._dilated_resnet import DilatedResNet
from zoo.vision.deeplabv3 import ASPP, ASPPPooling, DeepLabV3, DeepLabV3Config
from zoo.vision.fcn import FCN, FCNConfig
from zoo.vision.resnet import RESNET50, ResNet
from zoo.vision.segnet import SegNet, SegNetConfig
from zoo.vision.unet import UNet, UNetConfig, output_size, valid_input_size

TINY_RESNET = replace(RESNET50, layers=(1, 2, 2, 2), widths=(4, 8, 16, 32), stem_width=8)  # same code paths, ~1/1000 the size


def _params(m: torch.nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


# ----------------------------------------------------------------------------- U-Net


def test_unpadded_unet_output_follows_the_size_formula():
    assert output_size(572) == 388  # the paper's tile (Figure 1)
    assert [s for s in range(150, 260) if valid_input_size(s)] == [188, 204, 220, 236, 252]  # 16k + 124
    assert not valid_input_size(190) and not valid_input_size(140)  # odd pooling; no output left
    net = UNet(UNetConfig(base_width=2)).eval()  # the paper's layout, 1/32 of its width
    with torch.no_grad():
        for side in (188, 204):
            assert net(torch.randn(1, 1, side, side)).shape == (1, 2, output_size(side), output_size(side))
    assert output_size(204) == 20


def test_padded_unet_keeps_the_input_size_and_widths_scale():
    net = UNet(UNetConfig(in_channels=3, num_classes=4, base_width=4, depth=3, padding=True)).eval()
    with torch.no_grad():
        assert net(torch.randn(2, 3, 48, 40)).shape == (2, 4, 48, 40)
    assert net.bottom[0].out_channels == 4 * 2**3  # base_width · 2^depth at the bottom of the U
    assert _params(UNet(UNetConfig(base_width=8))) < _params(UNet(UNetConfig(base_width=16))) / 3.9  # ~width² scaling


# ----------------------------------------------------------------------------- SegNet


def test_segnet_unpools_each_value_back_to_its_argmax_position():
    net = SegNet(SegNetConfig(stages=((3,), (5,)), in_channels=2, num_classes=3)).eval()
    enc, dec = net.encoder[0], net.decoder[0]
    x = torch.randn(1, 2, 7, 9)  # odd sides: pooling floors, unpooling must return to 7×9 exactly
    with torch.no_grad():
        features = enc.convs(x)  # (1, 3, 7, 9), what the max-pool saw
        pooled, indices, size = enc(x)  # (1, 3, 3, 4)
        up = dec.unpool(pooled, indices, output_size=size)
    assert up.shape == features.shape
    for c in range(3):
        for i in range(3):
            for j in range(4):
                window = features[0, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                back = up[0, c, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2]
                k = int(window.argmax())
                assert back.flatten()[k] == window.max()  # the max goes back where it came from …
                assert (back.flatten()[torch.arange(4) != k] == 0).all()  # … and nowhere else
    assert (up[0, :, 6, :] == 0).all() and (up[0, :, :, 8] == 0).all()  # rows/columns the pool never read


def test_segnet_output_matches_input_and_decoder_mirrors_encoder():
    net = SegNet(SegNetConfig(stages=((4, 4), (8, 8), (16, 16, 16)), num_classes=5)).eval()
    with torch.no_grad():
        assert net(torch.randn(1, 3, 30, 44)).shape == (1, 5, 30, 44)
    enc = sum(isinstance(m, torch.nn.Conv2d) for m in net.encoder.modules())
    dec = sum(isinstance(m, torch.nn.Conv2d) for m in net.decoder.modules()) + 1  # + the classifier
    assert enc == dec == 7
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in net.modules())  # nothing learned to upsample


# ----------------------------------------------------------------------------- dilated ResNet, FCN, DeepLabV3


def test_dilated_trunk_has_output_stride_8_and_exactly_resnet50s_weights():
    with torch.device("meta"):  # the real ResNet-50 trunk, counted without allocating it
        trunk = DilatedResNet()  # dilation adds no parameters
        plain = ResNet(RESNET50)
    assert _params(trunk) == _params(plain) - _params(plain.fc) == 23_508_032
    assert trunk.layer3[0].conv2.dilation == (1, 1) and trunk.layer3[1].conv2.dilation == (2, 2)
    assert trunk.layer4[0].conv2.dilation == (2, 2) and trunk.layer4[2].conv2.dilation == (4, 4)
    tiny = DilatedResNet(TINY_RESNET).eval()
    undilated = DilatedResNet(TINY_RESNET, (False, False, False)).eval()
    assert tiny.output_stride == 8 and undilated.output_stride == 32
    with torch.no_grad():
        f, g = tiny(torch.randn(1, 3, 64, 64)), undilated(torch.randn(1, 3, 64, 64))
    assert f["aux"].shape[-2:] == f["out"].shape[-2:] == (8, 8)  # 64 / 8
    assert g["aux"].shape[-2:] == (4, 4) and g["out"].shape[-2:] == (2, 2)  # 64 / 16, 64 / 32


@pytest.mark.parametrize("build", [FCN, DeepLabV3], ids=["fcn", "deeplabv3"])
def test_segmenters_return_full_size_out_and_aux_in_eval(build):
    config = FCNConfig if build is FCN else DeepLabV3Config
    net = build(config(backbone=TINY_RESNET, num_classes=5)).eval()
    with torch.no_grad():
        out = net(torch.randn(2, 3, 50, 70))
    assert set(out) == {"out", "aux"}
    assert out["out"].shape == out["aux"].shape == (2, 5, 50, 70)  # bilinearly upsampled to the input
    assert not torch.equal(out["out"], out["aux"])  # two heads on two different stages
    without = build(config(backbone=TINY_RESNET, num_classes=5, aux_loss=False)).eval()
    with torch.no_grad():
        assert set(without(torch.randn(1, 3, 32, 32))) == {"out"}
    # the auxiliary head is the only difference in weights
    assert _params(net) - _params(without) == _params(net.aux_classifier)


def test_aspp_has_a_1x1_branch_three_atrous_branches_and_image_pooling():
    aspp = ASPP(16, (12, 24, 36), out_channels=8).eval()
    b = aspp.branches
    assert len(b) == 5 and b[0][0].kernel_size == (1, 1)
    for branch, rate in zip(b[1:4], (12, 24, 36)):
        assert branch[0].kernel_size == (3, 3) and branch[0].dilation == (rate, rate) and branch[0].padding == (rate, rate)
    assert isinstance(b[4], ASPPPooling) and aspp.project[0].in_channels == 5 * 8
    x = torch.randn(1, 16, 9, 11)
    with torch.no_grad():
        pooled = b[4](x)
        assert pooled.shape == (1, 8, 9, 11) and torch.allclose(pooled, pooled[..., :1, :1].expand_as(pooled))
        # A rate-12 tap never reaches a neighbour 1 pixel away: changing it leaves that branch's centre unchanged.
        y = x.clone()
        y[..., 4, 6] += 10
        assert torch.equal(b[1](x)[..., 4, 5], b[1](y)[..., 4, 5])
        assert not torch.equal(b[0](x)[..., 4, 6], b[0](y)[..., 4, 6])
        assert aspp(x).shape == (1, 8, 9, 11)


def test_full_size_heads_match_torchvision_shapes():
    with torch.device("meta"):  # shapes only: nothing allocated
        fcn, deeplab = zoo.create_model("fcn_resnet50"), zoo.create_model("deeplabv3_resnet50")
    assert fcn.classifier[0].in_channels == 2048 and fcn.classifier[0].out_channels == 512
    assert fcn.aux_classifier[0].in_channels == 1024 and fcn.aux_classifier[0].out_channels == 256
    assert fcn.classifier[-1].out_channels == deeplab.classifier[-1].out_channels == 21
    assert deeplab.classifier[0].project[0].in_channels == 5 * 256


# ----------------------------------------------------------------------------- the demo and its weights


def _png(arr: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_scenes_are_reproducible_and_their_masks_mark_what_was_painted():
    a, b = recipe.scene(123), recipe.scene(123)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    image, mask = recipe.scene(7, 96)
    assert image.shape == (96, 96, 3) and mask.shape == (96, 96) and 0 < mask.mean() < 1


def test_sample_scenes_are_segmented_close_to_their_true_masks():
    scenes = demo.samples()
    assert len(scenes) >= 3
    ious = []
    for name, path in scenes.items():
        r = demo.run(path.read_bytes())
        truth = demo.sample_mask(name)
        assert r.mask.shape == truth.shape == r.probability.shape == r.overlay.shape[:2]
        ious.append(demo.iou(r.mask, truth))
        assert (r.overlay[r.mask] != r.image[r.mask]).any()  # the mask is visible on the overlay
    assert min(ious) >= 0.7 and np.mean(ious) >= 0.8, ious


def test_a_drawing_on_a_transparent_canvas_is_found():
    canvas = np.zeros((200, 200, 4), np.uint8)  # RGBA, transparent where nothing is drawn
    canvas[60:140, 50:150] = (30, 60, 150, 255)  # a filled blue rectangle
    r = demo.run(canvas)
    truth = np.zeros((200, 200), bool)
    truth[60:140, 50:150] = True
    assert demo.iou(r.mask, truth) >= 0.8


@pytest.mark.parametrize(
    "bad, key",
    [
        (b"", "image_empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image_unreadable"),
        ("huge", "image_too_many_pixels"),
        (np.zeros((5, 5, 3), np.uint8), "image_too_small"),
        (np.zeros((8, 400, 3), np.uint8), "image_too_elongated"),
        (np.zeros((20, 20, 2), np.uint8), "picture_shape"),
        (np.full((20, 20), np.nan), "picture_not_finite"),
        (np.full((64, 64, 3), 200, np.uint8), "segmentation_blank"),
    ],
    ids=["empty", "corrupt", "huge", "tiny", "elongated", "two-channel", "nan", "blank"],
)
def test_bad_inputs_are_refused_with_a_message(bad, key):
    from PIL import Image

    if isinstance(bad, str):  # 8000×6000 = 48 megapixels, a 1-bit PNG of a few kB: refused from its header
        buf = io.BytesIO()
        Image.new("1", (8000, 6000)).save(buf, format="PNG")
        bad = buf.getvalue()
    with pytest.raises(BadInput) as e:
        demo.run(bad)
    assert e.value.key == key


def test_manifest_metric_is_what_the_shipped_weights_give():
    w = weights.get("unet")
    manifest = json.loads(w.path.with_name(w.file + ".json").read_text())
    assert manifest["model"] == "unet" and manifest["recipe"] == w.recipe and manifest["config"] == dict(w.config)
    metric = manifest["metric"]
    assert metric["mean IoU %"] >= 80 and metric["object IoU %"] >= 70
    assert w.metrics == {"held-out mean IoU %": metric["mean IoU %"], "held-out object IoU %": metric["object IoU %"]}
    model = zoo.create_model("unet", weights="default")
    recomputed = recipe.evaluate(model, n=recipe.CHECK)  # the first CHECK held-out scenes, a few seconds
    assert recomputed["mean IoU %"] == pytest.approx(metric[f"mean IoU % (first {recipe.CHECK} held-out scenes)"], abs=0.05)
    assert w.path.stat().st_size < 2 * 2**20
