"""Compression and export of the shipped weights (zoo.compress): int8 quantisation, global pruning, sparse
storage, ONNX, the recipes' own evaluations, and the committed results the Deploy tab shows."""

from __future__ import annotations

import importlib.util
import math

import pytest
import torch

import zoo
from zoo import compress, weights
from zoo.cli import main
from zoo.runtime import single_threaded
from zoo.train import digits


VARIANTS = ["original", "int8_dynamic", "pruned_30", "pruned_50", "pruned_70", "onnx"]


@pytest.fixture(autouse=True)
def one_thread():
    """Small models on a shared CPU: one intra-op thread, as the CLI measures (no spin-waiting threads)."""
    with single_threaded():
        yield


@pytest.fixture(scope="module")
def lenet5() -> torch.nn.Module:
    return weights.load("lenet5")


@pytest.fixture(scope="module")
def lenet5_result(tmp_path_factory) -> dict:
    """One full measurement of LeNet-5 (every variant, ONNX included), with few timed calls."""
    d = tmp_path_factory.mktemp("lenet5")
    with single_threaded():
        return compress.measure("lenet5", repeats=3, onnx_path=d / "lenet5.onnx",
                                int8_path=d / "lenet5.int8.safetensors")


def _variant(result: dict, name: str) -> dict:
    return next(v for v in result["variants"] if v["variant"] == name)


# ----------------------------------------------------------------------------- quantisation


def test_int8_model_runs_agrees_and_is_smaller_where_it_has_linear_layers(lenet5):
    quantised, counts = compress.quantize(lenet5)
    assert counts == {"Linear": 3}
    x = digits.to_input(digits.split()[1][:64])
    with torch.no_grad():
        assert (quantised(x).argmax(1) == lenet5(x).argmax(1)).float().mean() >= 0.95
    original = len(compress.safetensors_bytes(compress.state_tensors(lenet5)))
    int8 = len(compress.safetensors_bytes(compress.state_tensors(quantised)))
    # LeNet-5's three Linear layers hold 95% of its weights; int8 stores each in a quarter of the bytes
    assert int8 < 0.35 * original
    assert original == weights.get("lenet5").path.stat().st_size  # measured exactly as the shipped file is stored


def test_a_conv_only_model_has_nothing_to_quantise():
    _, counts = compress.quantize(weights.load("dcgan_generator"))
    assert counts == {}


def test_int8_file_reads_back_into_the_same_model(lenet5, lenet5_result, tmp_path_factory):
    path = next(tmp_path_factory.getbasetemp().glob("lenet5*/lenet5.int8.safetensors"))
    restored = compress.load_int8("lenet5", path)
    quantised, _ = compress.quantize(lenet5)
    x = digits.to_input(digits.split()[1][:8])
    assert torch.equal(restored(x), quantised(x))


# ----------------------------------------------------------------------------- pruning and sparse storage


@pytest.mark.parametrize("fraction", [0.3, 0.5, 0.7])
def test_pruning_zeroes_the_requested_fraction_globally_not_per_layer(lenet5, fraction):
    pruned = compress.prune_global(lenet5, fraction)
    tensors = [getattr(m, n) for m, n in compress.prunable(pruned)]
    total = sum(t.numel() for t in tensors)
    zeros = sum(int((t == 0).sum()) for t in tensors)
    assert zeros == round(fraction * total) and compress.sparsity(pruned) == pytest.approx(fraction, abs=1e-4)
    per_layer = [float((t == 0).float().mean()) for t in tensors]
    assert max(per_layer) - min(per_layer) > 0.05  # one global threshold: layers end up with different sparsity
    assert compress.sparsity(lenet5) < 0.01  # the original is untouched (pruning works on a copy)
    assert all(not hasattr(m, f"{n}_mask") for m, n in compress.prunable(pruned))  # made permanent


def test_pruning_keeps_tied_weights_tied():
    gpt = weights.load("gpt2")
    pruned = compress.prune_global(gpt, 0.5)
    assert pruned.lm_head.weight is pruned.wte.weight
    assert compress.sparsity(pruned) == pytest.approx(0.5, abs=1e-4)


def test_sparse_storage_round_trips_exactly_and_is_smaller(lenet5):
    pruned = compress.prune_global(lenet5, 0.7)
    dense = compress.state_tensors(pruned)
    names = [n for n, t in dense.items() if t.dim() >= 2]
    sparse = compress.sparse_tensors(dense, names)
    restored = compress.dense_from_sparse(sparse)
    assert restored.keys() == dense.keys() and all(torch.equal(restored[k], dense[k]) for k in dense)
    # 30% of the values in float32 plus one bit per weight: about 0.3 + 1/32 of the dense bytes
    ratio = len(compress.safetensors_bytes(sparse)) / len(compress.safetensors_bytes(dense))
    assert 0.3 < ratio < 0.36


# ----------------------------------------------------------------------------- the recipes' evaluations


def test_every_shipped_weights_file_has_an_evaluation_named_as_its_manifest_metric():
    shipped = compress.shipped_weights()
    assert {w.file for w in shipped} == set(weights.manifest()) == set(compress.EVALUATIONS)
    for w in shipped:
        assert compress.evaluation(w).metric in weights.manifest()[w.file]["metric"], w.file


def test_lenet5_evaluation_is_the_recipes_held_out_accuracy(lenet5):
    ev = compress.evaluation(weights.get("lenet5"))
    _, x_test, _, y_test = digits.split()
    recipe = 100 * digits.accuracy(lenet5, digits.to_input(x_test), torch.as_tensor(y_test))
    assert ev.measure(lenet5) == recipe
    assert round(recipe, 2) == weights.manifest()["lenet5_digits.safetensors"]["metric"]["held-out accuracy %"]


@pytest.mark.parametrize("key", ["kan", "dqn", "seq2seq_attention"])
def test_evaluation_reproduces_the_manifest_figure(key):
    w = weights.get(key)
    ev = compress.evaluation(w)
    value = ev.measure(weights.load(key))
    stated = weights.manifest()[w.file]["metric"][ev.metric]
    assert value == pytest.approx(stated, rel=1e-3, abs=1e-4)


# ----------------------------------------------------------------------------- ONNX


@pytest.mark.skipif(importlib.util.find_spec("onnxruntime") is None, reason="onnxruntime is not installed")
def test_onnx_export_matches_torch_in_onnx_runtime(lenet5_result):
    onnx = _variant(lenet5_result, "onnx")
    assert "error" not in onnx, onnx
    assert onnx["matches"] and onnx["max_abs_diff"] < compress.ONNX_ATOL and onnx["bytes"] > 0


# ----------------------------------------------------------------------------- one full measurement


def test_measurement_has_every_variant_with_consistent_figures(lenet5_result):
    r = lenet5_result
    assert [v["variant"] for v in r["variants"]] == VARIANTS
    original = _variant(r, "original")
    assert original["metric"] == pytest.approx(r["manifest_metric"], abs=0.01)
    assert original["bytes"] == original["file_bytes"]
    for name, fraction in (("pruned_30", 0.3), ("pruned_50", 0.5), ("pruned_70", 0.7)):
        v = _variant(r, name)
        assert v["sparsity"] == pytest.approx(fraction, abs=1e-4)
        assert v["bytes"] == original["bytes"]  # dense storage of a pruned model is not smaller
        assert v["sparse_bytes"] < original["bytes"]
    assert _variant(r, "int8_dynamic")["bytes"] < original["bytes"]
    for v in r["variants"]:
        if "latency_ms" in v:
            assert v["latency_ms"]["q1"] <= v["latency_ms"]["median"] <= v["latency_ms"]["q3"]
    text = compress.table(r)
    assert "pruned_70" in text and "int8: 3 Linear" in text and f"{original['bytes']:,}" in text


# ----------------------------------------------------------------------------- the committed results


def test_committed_results_cover_every_model_with_shipped_weights():
    doc = compress.committed()
    assert doc["machine"]["torch"] and doc["machine"]["cores"] >= 1 and doc["caveat"]
    assert set(doc["results"]) == {w.file for w in compress.shipped_weights()}
    for w in compress.shipped_weights():
        r = doc["results"][w.file]
        assert (r["model"], r["weights"]) == (w.model, w.name)
        names = [v["variant"] for v in r["variants"]]
        assert names == VARIANTS, w.file
        original = r["variants"][0]
        assert original["file_bytes"] == w.path.stat().st_size, w.file  # measured on the weights shipped now
        assert math.isclose(original["metric"], r["manifest_metric"], rel_tol=0.02, abs_tol=0.01), w.file
        _, counts = compress.quantize(zoo.create_model(w.model, **w.config))
        assert ("skipped" in r["variants"][1]) == (not counts), w.file  # "nothing to quantise" exactly when true


def test_cli_refuses_what_it_cannot_do(capsys):
    assert main(["compress"]) == 2
    assert main(["compress", "lenet5", "--save"]) == 2
    assert main(["compress", "resnet50"]) == 2  # no shipped weights
    assert "no trained weights" in capsys.readouterr().err


def test_deploy_tab_applies_to_models_with_shipped_weights_and_names_their_requests():
    from ui.i18n import languages, strings
    from ui.model_tabs import deploy

    assert deploy.applies("lenet5") and deploy.applies("gpt2")
    assert not deploy.applies("resnet50") and not deploy.applies("efficientnet_lite0")  # none, or from a package
    for lang in languages():
        for w in compress.shipped_weights():
            assert f"deploy.request.{w.file.removesuffix('.safetensors')}" in strings(lang), (lang, w.file)
