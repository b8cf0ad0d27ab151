"""Compare and choose: the measurement (worker process, warm-up, median, threads, cache, giants), the comparison
table and its CSV, the Pareto front, and the guide's ranking on a fixed subset of the registry."""

from __future__ import annotations

import csv
import io
import statistics

import pytest
import torch

import zoo
from zoo import compare, measurement
from zoo.measurement import Measurement, Request

FAST = dict(threads=1, runs=5, warmup=2)  # small and steady: one thread, five timed runs


@pytest.fixture(scope="module")
def measured():
    """LeNet-5 and ResNet-50 at batch 1 (and 8 for LeNet-5), and GCN, measured once for the module."""
    got = measurement.measure([
        Request("lenet5", (1, 8), **FAST),
        Request("resnet50", (1,), **FAST),
        Request("gcn", (1, 8), **FAST),
    ])
    return {(m.key, m.batch): m for m in got}


def test_measurement_records_warmup_runs_median_and_threads(measured):
    m = measured[("lenet5", 1)]
    assert m.ok and m.runnable and not m.cached
    assert m.threads == 1 and m.warmup == 2
    assert m.runs == len(m.times_ms) and measurement.MIN_RUNS <= m.runs <= 5
    assert m.median_ms == pytest.approx(statistics.median(m.times_ms), abs=1e-3)
    assert m.input == "1×1×32×32" and m.peak_mb is not None and m.peak_mb >= 0
    assert m.machine == measurement.machine() and m.torch == torch.__version__ and m.load is not None
    assert measured[("lenet5", 8)].input == "8×1×32×32"


def test_a_bigger_model_measures_slower(measured):
    lenet, resnet = measured[("lenet5", 1)], measured[("resnet50", 1)]
    assert resnet.median_ms > 5 * lenet.median_ms  # 4.1 GMACs against 0.4 MMACs
    assert resnet.peak_mb > lenet.peak_mb  # 98 MB of weights against 0.25 MB


def test_a_graph_is_one_sample(measured):
    """GCN's leading dimension counts nodes: batch 1 is the whole graph, batch 8 does not apply."""
    assert measured[("gcn", 1)].ok and measured[("gcn", 1)].input == "20×1433, 20×20"
    b8 = measured[("gcn", 8)]
    assert not b8.ok and b8.error.startswith("batch 8 not applicable")


def test_second_call_reads_the_cache(measured, monkeypatch):
    monkeypatch.setattr(measurement, "_run_worker", lambda r: pytest.fail("measured again instead of reading the cache"))
    again = zoo.benchmark("lenet5", **FAST)
    assert again.cached and again.median_ms == measured[("lenet5", 1)].median_ms
    assert measurement.cached("lenet5", 8, threads=1, runs=5, warmup=2).times_ms == measured[("lenet5", 8)].times_ms
    assert measurement.cached("lenet5", 1, threads=1, runs=4, warmup=2) is None  # other conditions, other entry


def test_giants_are_not_run(monkeypatch):
    monkeypatch.setattr(measurement, "_run_worker", lambda r: pytest.fail("a meta-device giant was run"))
    m = zoo.benchmark("yolov1")
    assert zoo.card("yolov1").big and not m.runnable and not m.ok
    assert m.params == 271_703_550 and m.macs > 0 and m.example_input == "1×3×448×448"


def test_batched_and_resized_inputs():
    x = torch.arange(6.0).reshape(2, 3)
    b = measurement.batched(x, 4)
    assert b.shape == (4, 3) and torch.equal(b[3], x[0])
    with pytest.raises(measurement.NotBatchable):
        measurement.batched((torch.zeros(20, 5), torch.zeros(3)), 8)
    img, ok = measurement.resized(torch.zeros(1, 3, 224, 224), 96)
    assert ok and img.shape == (1, 3, 96, 96)
    ids, ok = measurement.resized((torch.tensor([[5, 6, 7]]), torch.ones(1, 3, dtype=torch.long)), 7)
    assert ok and ids[0].tolist() == [[5, 6, 7, 5, 6, 7, 5]] and ids[1].shape == (1, 7)
    same, ok = measurement.resized(torch.zeros(1, 8000), 100)  # audio: no size to change
    assert not ok and same.shape == (1, 8000)


# ----------------------------------------------------------------------------- table and CSV


def _m(key: str, batch: int, ms: float | None, error: str = "") -> Measurement:
    return Measurement(key, batch, runnable=True, threads=1, warmup=2, runs=5 if ms else 0, times_ms=(ms,) * 5 if ms else (),
                       median_ms=ms, peak_mb=10.0 if ms else None, input="1×3×224×224", load=0.5, error=error)


ARTIFACT = {"example_input": "1×3×224×224", "device": "cpu",
            "summary": {"params": {"unique": 25_557_032}, "macs": 4_089_184_256,
                        "memory": {"params": 102_228_128, "total": 214_800_000}}}


def test_comparison_rows_and_csv_export():
    measurements = {("resnet50", 1): _m("resnet50", 1, 40.0), ("resnet50", 8): _m("resnet50", 8, 250.0)}
    rows = compare.comparison(["resnet50", "lenet5", "gpt3"], "zh", {"resnet50": ARTIFACT}, measurements)
    resnet, lenet, gpt3 = rows
    assert resnet.macs == 4_089_184_256 and resnet.macs_input == "1×3×224×224" and resnet.status == "measured"
    assert resnet.latency_b1_ms == 40.0 and resnet.latency_b8_ms == 250.0 and resnet.threads == 1
    assert resnet.metric == "top-1 accuracy 76.13% (ImageNet-1k val)" and "torchvision" in resnet.metric_source
    assert resnet.task == zoo.card("resnet50").localized("zh").task  # prose in the asked language
    assert lenet.macs is None and lenet.status == "unmeasured" and lenet.latency_b1_ms is None  # nothing guessed
    assert gpt3.status == "not_runnable" and not gpt3.runnable

    table = list(csv.DictReader(io.StringIO(compare.to_csv(rows))))
    assert [r["key"] for r in table] == ["resnet50", "lenet5", "gpt3"]
    assert table[0]["latency_b8_ms"] == "250.0" and table[0]["macs"] == "4089184256"
    assert table[1]["latency_b1_ms"] == "" and table[2]["runnable"] == "False"
    assert table[0]["strengths"] == " | ".join(zoo.card("resnet50").localized("zh").strengths)
    assert "ResNet-50" in compare.table_text(rows)


def test_pareto_front():
    pts = [compare.Point("a", "A", 70, 1), compare.Point("b", "B", 75, 5), compare.Point("c", "C", 72, 6),
           compare.Point("d", "D", 80, 10), compare.Point("e", "E", 70, 2)]
    assert compare.pareto_front(pts) == {"a", "b", "d"}  # c: b is cheaper and better; e: a is as good, cheaper
    assert compare.pareto_front(pts, higher_better=False) == {"a"}  # error rates: 70 at cost 1 beats everything


def test_metric_groups_know_which_way_is_better():
    groups = compare.metric_groups("image classification")
    top = groups[0]
    assert top.name == "top-1 accuracy" and top.higher_better and "resnet50" in top.keys
    capsnet = next(g for g in groups if "capsnet" in g.keys)
    assert not capsnet.higher_better  # MNIST test error


# ----------------------------------------------------------------------------- the guide on a fixed subset

SUBSET = ["resnet50", "mobilenet_v3_large", "efficientnet_b0", "vgg16", "lenet5", "gpt2", "gpt3"]
LATENCY = {"resnet50": _m("resnet50", 1, 60.0), "mobilenet_v3_large": _m("mobilenet_v3_large", 1, 12.0),
           "efficientnet_b0": _m("efficientnet_b0", 1, 20.0), "vgg16": _m("vgg16", 1, 150.0), "lenet5": _m("lenet5", 1, 0.3)}


def _guide(**q) -> compare.GuideResult:
    return compare.guide(compare.GuideQuery(task=q.pop("task", "image classification"), **q), "en", {}, LATENCY,
                         weights_of=lambda k: [type("W", (), {"name": "digits"})()] if k == "lenet5" else [], keys=SUBSET)


def _keys(result) -> list[str]:
    return [c.key for c in result.ranked]


def test_guide_ranks_by_accuracy_then_puts_models_without_the_metric_last():
    r = _guide()
    # top-1: EfficientNet-B0 77.1, ResNet-50 76.13, MobileNetV3-L 74.04, VGG-16 71.59; LeNet-5 publishes none
    assert _keys(r) == ["efficientnet_b0", "resnet50", "mobilenet_v3_large", "vgg16", "lenet5"]
    assert r.metric == "top-1 accuracy (ImageNet-1k val)"


def test_guide_ranks_by_speed_and_size():
    assert _keys(_guide(priority="speed")) == ["lenet5", "mobilenet_v3_large", "efficientnet_b0", "resnet50", "vgg16"]
    assert _keys(_guide(priority="size")) == ["lenet5", "efficientnet_b0", "mobilenet_v3_large", "resnet50", "vgg16"]


def test_guide_constraints_exclude_with_a_reason():
    r = _guide(max_params_m=10, max_latency_ms=15)
    assert _keys(r) == ["mobilenet_v3_large", "lenet5"]
    why = {x.key: (x.why, x.value) for x in r.excluded}
    assert why["resnet50"] == ("params", "25.6M") and why["efficientnet_b0"] == ("latency", "20.0 ms")
    assert _keys(_guide(pretrained=True)) == ["lenet5"]
    # no artifacts handed in: published parameters × 4 bytes (EfficientNet-B0 20.2 MB, MobileNetV3-L 20.9 MB)
    assert _keys(_guide(max_file_mb=20.5)) == ["efficientnet_b0", "lenet5"]


def test_guide_lists_unmeasured_models_and_giants_apart():
    r = _guide(task="language modelling", max_latency_ms=1000)
    assert r.ranked == [] and r.unmeasured == ["gpt2"]
    assert [(x.key, x.why) for x in r.excluded] == [("gpt3", "not_runnable")]
    assert _keys(_guide(task="language modelling", runnable_here=True)) == ["gpt2"]


def test_guide_reason_line_comes_from_the_card_and_the_figures():
    first = _guide(priority="speed").ranked[0]
    line = compare.reason(first)
    assert line.startswith(zoo.card("lenet5").scenarios[0])
    assert "61.7K parameters" in line and "0.300 ms on this machine (threads: 1, input 1×3×224×224)" in line and "trained weights: digits" in line
    zh = compare.guide(compare.GuideQuery(task="image classification"), "zh", keys=["resnet50"]).ranked[0]
    assert zh.scenario == zoo.card("resnet50").localized("zh").scenarios[0]


def test_guide_refuses_a_bad_query():
    with pytest.raises(ValueError):
        compare.GuideQuery(task="image classification", priority="cheapest")
    with pytest.raises(ValueError):
        compare.GuideQuery(task="image classification", input_size=100_000)


def test_cli_prints_the_table_and_writes_csv(tmp_path, capsys, measured):
    from zoo.cli import main

    out = tmp_path / "cmp.csv"
    assert main(["compare", "lenet5", "kan", "--threads", "1", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    assert "LeNet-5" in text and "KAN" in text and "published metric" in text
    assert [r["key"] for r in csv.DictReader(out.open())] == ["lenet5", "kan"]
