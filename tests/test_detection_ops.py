"""Detection building blocks of zoo/vision/_detection.py against hand-computed cases and brute force:
NMS, box coding, matching, anchors and default boxes, RoIAlign, FPN level mapping, mask pasting."""

from __future__ import annotations

import math

import pytest
import torch

from zoo.vision._detection import (
    BBOX_XFORM_CLIP,
    BELOW_LOW_THRESHOLD,
    BETWEEN_THRESHOLDS,
    AnchorGenerator,
    BoxCoder,
    DefaultBoxGenerator,
    DetectionTransform,
    Matcher,
    MultiScaleRoIAlign,
    SSDMatcher,
    batched_nms,
    batched_nms_fixed_point,
    box_iou,
    nms,
    nms_fixed_point,
    paste_masks_in_image,
    roi_align,
    sample_positive_negative,
    sigmoid_focal_loss,
)

NMS_IMPLS = [(nms, batched_nms), (nms_fixed_point, batched_nms_fixed_point)]


# --------------------------------------------------------------------------- NMS


@pytest.mark.parametrize("single,batched", NMS_IMPLS)
def test_nms_hand_cases(single, batched):
    a = [0.0, 0.0, 10.0, 10.0]
    b = [1.0, 0.0, 11.0, 10.0]  # IoU(a, b) = 90 / 110 = 0.818
    c = [5.0, 0.0, 15.0, 10.0]  # IoU(a, c) = 50 / 150 = 1/3, IoU(b, c) = 60 / 140 = 0.43
    boxes = torch.tensor([a, b, c])
    scores = torch.tensor([0.9, 0.8, 0.7])
    assert single(boxes, scores, 0.5).tolist() == [0, 2]  # b overlaps a above 0.5, c is below for a
    assert single(boxes, scores, 0.85).tolist() == [0, 1, 2]  # nothing above 0.85
    assert single(boxes, scores, 0.3).tolist() == [0]  # c: 1/3 > 0.3 with a
    # Score order, not index order: the best box survives wherever it is.
    assert single(boxes, torch.tensor([0.1, 0.9, 0.2]), 0.5).tolist() == [1, 2]  # b removes a (0.82), not c (0.43)
    # IoU exactly at the threshold is not suppressed (strictly greater suppresses).
    assert single(torch.tensor([a, c]), torch.tensor([0.9, 0.8]), 1 / 3 + 1e-6).tolist() == [0, 1]
    # Ties: equal scores keep the lower index first.
    assert single(torch.tensor([a, a]), torch.tensor([0.5, 0.5]), 0.5).tolist() == [0]
    assert single(torch.tensor([a, c, [50.0, 50, 60, 60]]), torch.tensor([0.5, 0.5, 0.5]), 0.5).tolist() == [0, 1, 2]
    # Empty input.
    empty = single(torch.zeros(0, 4), torch.zeros(0), 0.5)
    assert empty.dtype == torch.long and empty.numel() == 0
    assert batched(torch.zeros(0, 4), torch.zeros(0), torch.zeros(0, dtype=torch.long), 0.5).numel() == 0
    # Batched: the same overlapping pair in two classes is not suppressed; within a class it is.
    assert batched(boxes[:2], torch.tensor([0.9, 0.8]), torch.tensor([1, 2]), 0.5).tolist() == [0, 1]
    assert batched(boxes[:2], torch.tensor([0.9, 0.8]), torch.tensor([3, 3]), 0.5).tolist() == [0]
    keep = batched(torch.tensor([a, b, a, b]), torch.tensor([0.6, 0.9, 0.8, 0.7]), torch.tensor([0, 0, 1, 1]), 0.5)
    assert keep.tolist() == [1, 2]  # best of class 0 (index 1), best of class 1 (index 2), sorted by score


def test_fixed_point_nms_equals_greedy_nms_on_random_boxes():
    g = torch.Generator().manual_seed(0)
    for _ in range(150):
        n = int(torch.randint(1, 80, (), generator=g))
        xy = torch.rand(n, 2, generator=g) * 60
        boxes = torch.cat((xy, xy + torch.rand(n, 2, generator=g) * 30 + 0.5), 1)
        scores = (torch.rand(n, generator=g) * 10).round() / 10  # many ties
        classes = torch.randint(0, 5, (n,), generator=g)
        t = float(torch.rand((), generator=g))
        assert torch.equal(nms_fixed_point(boxes, scores, t), nms(boxes, scores, t))
        assert torch.equal(batched_nms_fixed_point(boxes, scores, classes, t), batched_nms(boxes, scores, classes, t))


def test_fixed_point_nms_on_long_suppression_chains():
    # 300 boxes, each shifted 3 px from the last: every box overlaps its neighbours, so greedy NMS keeps every
    # few and the answer depends on the whole chain (more ranks than one block of the fixed-point solver).
    x = torch.arange(300, dtype=torch.float32) * 3
    boxes = torch.stack((x, torch.zeros(300), x + 10, torch.full((300,), 10.0)), 1)
    scores = torch.linspace(1, 0, 300)
    classes = torch.arange(300) % 2
    for t in (0.3, 0.5, 0.7):
        assert torch.equal(nms_fixed_point(boxes, scores, t), nms(boxes, scores, t))
        assert torch.equal(batched_nms_fixed_point(boxes, scores, classes, t), batched_nms(boxes, scores, classes, t))


# --------------------------------------------------------------------------- box coding, matching, sampling


def test_box_coder_hand_case_and_round_trip():
    anchor = torch.tensor([[0.0, 0.0, 10.0, 10.0]])  # centre (5, 5), 10 × 10
    box = torch.tensor([[5.0, 5.0, 25.0, 15.0]])  # centre (15, 10), 20 × 10
    d = BoxCoder((1, 1, 1, 1)).encode(box, anchor)
    torch.testing.assert_close(d, torch.tensor([[1.0, 0.5, math.log(2), 0.0]]))
    d = BoxCoder((10, 10, 5, 5)).encode(box, anchor)
    torch.testing.assert_close(d, torch.tensor([[10.0, 5.0, 5 * math.log(2), 0.0]]))
    torch.testing.assert_close(BoxCoder((10, 10, 5, 5)).decode(d, anchor), box)

    g = torch.Generator().manual_seed(1)
    xy = torch.rand(50, 2, generator=g) * 100
    refs = torch.cat((xy, xy + torch.rand(50, 2, generator=g) * 50 + 1), 1)
    xy = torch.rand(50, 2, generator=g) * 100
    boxes = torch.cat((xy, xy + torch.rand(50, 2, generator=g) * 50 + 1), 1)
    for w in ((1, 1, 1, 1), (10, 10, 5, 5)):
        coder = BoxCoder(w)
        torch.testing.assert_close(coder.decode(coder.encode(boxes, refs), refs), boxes, rtol=1e-5, atol=1e-4)


def test_box_coder_clamps_log_scale():
    anchor = torch.tensor([[0.0, 0.0, 16.0, 16.0]])
    out = BoxCoder().decode(torch.tensor([[0.0, 0.0, 50.0, 50.0]]), anchor)
    side = out[0, 2] - out[0, 0]
    torch.testing.assert_close(side, torch.tensor(16 * math.exp(BBOX_XFORM_CLIP)))  # = 1000 px
    assert torch.isfinite(out).all()


def test_matcher_thresholds_and_low_quality_matches():
    iou = torch.tensor([[0.9, 0.5, 0.2, 0.35],
                        [0.1, 0.6, 0.1, 0.05]])  # 2 ground-truth boxes × 4 anchors
    m = Matcher(0.7, 0.3)(iou)
    assert m.tolist() == [0, BETWEEN_THRESHOLDS, BELOW_LOW_THRESHOLD, BETWEEN_THRESHOLDS]
    m = Matcher(0.7, 0.3, allow_low_quality_matches=True)(iou)
    assert m.tolist() == [0, 1, BELOW_LOW_THRESHOLD, BETWEEN_THRESHOLDS]  # gt 1's best anchor (0.6) is kept
    m = SSDMatcher(0.5)(torch.tensor([[0.9, 0.4, 0.1], [0.1, 0.45, 0.3]]))
    assert m.tolist() == [0, 1, BELOW_LOW_THRESHOLD]  # gt 1 claims its best anchor below 0.5
    assert Matcher(0.5, 0.4)(torch.zeros(0, 3)).tolist() == [BELOW_LOW_THRESHOLD] * 3  # no objects


def test_sampler_respects_fraction_and_batch_size():
    labels = torch.tensor([1] * 10 + [0] * 100 + [-1] * 5)
    pos, neg = sample_positive_negative(labels, 16, 0.25)
    assert int(pos.sum()) == 4 and int(neg.sum()) == 12
    assert (labels[pos] == 1).all() and (labels[neg] == 0).all()
    pos, neg = sample_positive_negative(torch.tensor([1, 0, 0, -1]), 16, 0.5)  # fewer than asked: all of them
    assert pos.tolist() == [True, False, False, False] and neg.tolist() == [False, True, True, False]


def test_focal_loss_reduces_to_cross_entropy():
    logits, targets = torch.randn(20), (torch.rand(20) > 0.5).float()
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction="sum")
    torch.testing.assert_close(sigmoid_focal_loss(logits, targets, alpha=0.5, gamma=0.0), 0.5 * bce)
    # γ > 0 down-weights confident, correct predictions much more than wrong ones.
    easy = sigmoid_focal_loss(torch.tensor([4.0]), torch.tensor([1.0]))
    hard = sigmoid_focal_loss(torch.tensor([-4.0]), torch.tensor([1.0]))
    assert easy < 1e-4 < hard


# --------------------------------------------------------------------------- anchors and default boxes


def test_anchor_generator_cell_anchors_and_counts():
    gen = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    # size 32: ratio 0.5 → w = 32/√0.5 = 45.25, h = 22.6, corners rounded to whole pixels
    assert gen.cell_anchors[0].tolist() == [[-23, -11, 23, 11], [-16, -16, 16, 16], [-11, -23, 11, 23]]
    sizes = [(80, 80), (40, 40), (20, 20), (10, 10), (5, 5)]  # P2..P6 of a 320 × 320 batch
    anchors = gen((320, 320), sizes)
    per_level = [h * w * 3 for h, w in sizes]
    assert anchors.shape == (sum(per_level), 4) == (25575, 4)
    p3 = anchors[per_level[0] : per_level[0] + per_level[1]].view(40, 40, 3, 4)
    # cell (row 2, column 5) of P3 (stride 8) is the base anchors shifted by (40, 16)
    torch.testing.assert_close(p3[2, 5], gen.cell_anchors[1] + torch.tensor([40.0, 16, 40, 16]))

    retina = AnchorGenerator(tuple((s, int(s * 2 ** (1 / 3)), int(s * 2 ** (2 / 3))) for s in (32, 64, 128, 256, 512)),
                             ((0.5, 1.0, 2.0),) * 5)
    assert retina.num_anchors_per_location() == [9] * 5
    assert retina.sizes[0] == (32, 40, 50)


def test_default_boxes_ssd300_and_ssdlite():
    ssd = DefaultBoxGenerator(((2,), (2, 3), (2, 3), (2, 3), (2,), (2,)),
                              scales=(0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05), steps=(8, 16, 32, 64, 100, 300))
    sizes = [(38, 38), (19, 19), (10, 10), (5, 5), (3, 3), (1, 1)]
    boxes = ssd((300, 300), sizes)
    assert ssd.num_anchors_per_location() == [4, 6, 6, 6, 4, 4]
    assert boxes.shape == (8732, 4)  # the paper's 8,732 default boxes
    # first cell: centre 300 · 0.5/37.5 = 4 px, square of side 0.07 · 300 = 21 px, then √(0.07·0.15)·300
    torch.testing.assert_close(boxes[0], torch.tensor([-6.5, -6.5, 14.5, 14.5]))
    s = math.sqrt(0.07 * 0.15) * 300
    torch.testing.assert_close(boxes[1], torch.tensor([4 - s / 2, 4 - s / 2, 4 + s / 2, 4 + s / 2]))
    # aspect ratio 2 pair: w = 21·√2, h = 21/√2 and the transpose
    w, h = 21 * math.sqrt(2), 21 / math.sqrt(2)
    torch.testing.assert_close(boxes[2], torch.tensor([4 - w / 2, 4 - h / 2, 4 + w / 2, 4 + h / 2]))
    lite = DefaultBoxGenerator(((2, 3),) * 6, min_ratio=0.2, max_ratio=0.95)
    assert lite.scales[0] == pytest.approx(0.2) and lite.scales[5] == pytest.approx(0.95) and lite.scales[6] == 1.0
    assert lite((320, 320), [(20, 20), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)]).shape == (3234, 4)


# --------------------------------------------------------------------------- RoIAlign


def roi_align_reference(x, rois, out, scale, sampling, aligned):
    """torchvision's CPU roi_align, one sample at a time."""
    _, C, H, W = x.shape
    res = torch.zeros(len(rois), C, out, out, dtype=torch.float64)
    for k, (b, x1, y1, x2, y2) in enumerate(rois.tolist()):
        off = 0.5 if aligned else 0.0
        sx, sy, ex, ey = x1 * scale - off, y1 * scale - off, x2 * scale - off, y2 * scale - off
        rw, rh = ex - sx, ey - sy
        if not aligned:
            rw, rh = max(rw, 1.0), max(rh, 1.0)
        bw, bh = rw / out, rh / out
        gh = sampling if sampling > 0 else math.ceil(rh / out)
        gw = sampling if sampling > 0 else math.ceil(rw / out)
        fm = x[int(b)].double()
        for ph in range(out):
            for pw in range(out):
                acc = torch.zeros(C, dtype=torch.float64)
                for iy in range(gh):
                    y = sy + ph * bh + (iy + 0.5) * bh / gh
                    for ix in range(gw):
                        xx = sx + pw * bw + (ix + 0.5) * bw / gw
                        if y < -1.0 or y > H or xx < -1.0 or xx > W:
                            continue
                        yc, xc = max(y, 0.0), max(xx, 0.0)
                        yl, xl = int(yc), int(xc)
                        if yl >= H - 1:
                            yl = yh = H - 1
                            yc = float(yl)
                        else:
                            yh = yl + 1
                        if xl >= W - 1:
                            xl = xh = W - 1
                            xc = float(xl)
                        else:
                            xh = xl + 1
                        ly, lx = yc - yl, xc - xl
                        acc += (1 - ly) * (1 - lx) * fm[:, yl, xl] + (1 - ly) * lx * fm[:, yl, xh] \
                            + ly * (1 - lx) * fm[:, yh, xl] + ly * lx * fm[:, yh, xh]
                res[k, :, ph, pw] = acc / max(gh * gw, 1)
    return res.float()


def test_roi_align_on_a_ramp_gives_bin_centres():
    # f(y, x) = 2x + 3y + 1 is reproduced exactly by bilinear interpolation, so each bin's average is f at
    # the mean of its samples, i.e. at the bin centre.
    H = W = 16
    ys, xs = torch.meshgrid(torch.arange(H, dtype=torch.float32), torch.arange(W, dtype=torch.float32), indexing="ij")
    fmap = (2 * xs + 3 * ys + 1)[None, None]
    roi = torch.tensor([[0, 2.0, 3.0, 10.0, 9.0]])  # x1, y1, x2, y2: 8 wide, 6 high
    out = roi_align(fmap, roi, 2, 1.0, sampling_ratio=2)
    cx = torch.tensor([2 + 2.0, 2 + 6.0])  # bin centres along x (bins of width 4)
    cy = torch.tensor([3 + 1.5, 3 + 4.5])  # along y (bins of height 3)
    torch.testing.assert_close(out[0, 0], 2 * cx[None, :] + 3 * cy[:, None] + 1)
    # spatial_scale: the same roi given in image pixels of a stride-4 map
    torch.testing.assert_close(roi_align(fmap, roi * torch.tensor([1, 4, 4, 4, 4.0]), 2, 0.25, 2), out)


def test_roi_align_single_samples_by_hand():
    fmap = torch.tensor([[[[0.0, 1.0], [2.0, 3.0]]]])
    one = lambda *box: roi_align(fmap, torch.tensor([[0.0, *box]]), 1, 1.0, sampling_ratio=1)[0, 0, 0, 0].item()
    assert one(0.0, 0.0, 1.0, 1.0) == pytest.approx(1.5)  # sample at (0.5, 0.5): mean of the four pixels
    assert one(0.0, 0.5, 1.0, 1.5) == pytest.approx(2.5)  # (x, y) = (0.5, 1.0): between 2 and 3
    assert one(-1.0, -1.0, 0.0, 0.0) == pytest.approx(0.0)  # (−0.5, −0.5): clamped to pixel (0, 0)
    assert one(-4.0, -4.0, -2.0, -2.0) == 0.0  # more than one pixel outside: zero
    assert one(1.0, 1.0, 3.0, 3.0) == pytest.approx(3.0)  # (2, 2) ≤ size: clamped to the last pixel


@pytest.mark.parametrize("sampling,aligned", [(2, False), (-1, False), (2, True), (-1, True)])
def test_roi_align_matches_brute_force(sampling, aligned):
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 3, 12, 15, generator=g)
    xy = torch.rand(9, 2, generator=g) * 50 - 5
    rois = torch.cat((torch.randint(0, 2, (9, 1), generator=g).float(), xy, xy + torch.rand(9, 2, generator=g) * 30), 1)
    rois[0, 1:] = torch.tensor([3.0, 3.0, 3.2, 3.1])  # smaller than a pixel
    got = roi_align(x, rois, 3, 0.25, sampling_ratio=sampling, aligned=aligned)
    torch.testing.assert_close(got, roi_align_reference(x, rois, 3, 0.25, sampling, aligned), rtol=1e-4, atol=1e-5)


def test_multiscale_roi_align_level_mapping():
    pool = MultiScaleRoIAlign(7, 2)
    side = torch.tensor([224.0, 112.0, 111.0, 448.0, 10.0, 2000.0])
    boxes = torch.stack((torch.zeros(6), torch.zeros(6), side, side), 1)
    # FPN Eq. 1: k = ⌊4 + log2(side/224)⌋, clamped to P2..P5 → index k − 2
    assert pool.levels(boxes, 2, 5).tolist() == [2, 1, 0, 3, 0, 3]
    # each roi reads the map of its level: maps filled with their level index
    maps = [torch.full((1, 1, 480 // s, 480 // s), float(i)) for i, s in enumerate((4, 8, 16, 32))]
    boxes = torch.tensor([[0.0, 0, 60, 60], [0, 0, 120, 120], [0, 0, 230, 230], [0, 0, 460, 460]])  # P2, P3, P4, P5
    out = pool(maps, [boxes], [(480, 480)])
    assert out.shape == (4, 1, 7, 7)
    assert out[:, 0].flatten(1).mean(1).tolist() == [0.0, 1.0, 2.0, 3.0]


# --------------------------------------------------------------------------- batching and masks


def test_transform_resizes_pads_and_maps_back():
    t = DetectionTransform(64, 100, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), size_divisible=32)
    images = [torch.rand(3, 40, 60), torch.rand(3, 80, 40)]
    targets = [{"boxes": torch.tensor([[0.0, 0.0, 30.0, 20.0]]), "labels": torch.tensor([1])}] * 2
    batch, sizes, new_targets = t(images, targets)
    assert sizes == [(64, 96), (100, 50)]  # short side 64 unless the long side would pass 100
    assert batch.shape == (2, 3, 128, 96)  # padded to multiples of 32
    torch.testing.assert_close(new_targets[0]["boxes"], torch.tensor([[0.0, 0.0, 48.0, 32.0]]))
    det = t.postprocess([{"boxes": new_targets[0]["boxes"].clone()}], sizes[:1], [(40, 60)])
    torch.testing.assert_close(det[0]["boxes"], targets[0]["boxes"])


def test_paste_masks_fills_the_box_only():
    masks = torch.ones(2, 1, 28, 28)
    boxes = torch.tensor([[2.0, 3.0, 6.0, 9.0], [0.0, 0.0, 10.0, 12.0]])
    out = paste_masks_in_image(masks, boxes, (12, 10))
    assert out.shape == (2, 1, 12, 10)
    inside = torch.zeros(12, 10, dtype=torch.bool)
    inside[4:8, 3:5] = True  # pixel centres well inside box 0 (rows 3..8, columns 2..5)
    assert (out[0, 0][inside] > 0.99).all()
    assert (out[0, 0][:, 7:] == 0).all() and (out[0, 0][:2] == 0).all()  # outside the box
    assert (out[1, 0][1:-1, 1:-1] > 0.99).all()
    assert paste_masks_in_image(torch.zeros(0, 1, 28, 28), torch.zeros(0, 4), (5, 7)).shape == (0, 1, 5, 7)


def test_iou_of_identical_and_disjoint_boxes():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [5.0, 5.0, 6.0, 6.0]])
    torch.testing.assert_close(box_iou(a, a), torch.eye(2))
