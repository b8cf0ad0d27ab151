"""The introspection engine: figures that follow one rule, a cache keyed by what the artifact depends
on, and builds isolated from the serving process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

import zoo
from zoo import introspect
from zoo.introspect import artifacts as store
from zoo.introspect import worker

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- figures


def _row(s: introspect.Summary, name: str) -> introspect.LayerRow:
    return next(r for r in s.rows if r.name == name)


def test_linear_on_a_sequence_counts_every_token():
    """torchinfo counts a Linear on (1, T, d_in) once; the rule is T · d_in · d_out MACs."""
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    s, _ = introspect.summarize(model, torch.randn(1, 5, 8))
    assert _row(s, "0").macs == 5 * 8 * 16 and _row(s, "2").macs == 5 * 16 * 4
    assert s.macs == 5 * 8 * 16 + 5 * 16 * 4 and s.flops == 2 * s.macs


def test_attention_matmuls_are_counted_in_their_module():
    """Ops called in a forward (not inside a child module) get rows and add up with the children."""

    class Attention(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.qkv = torch.nn.Linear(8, 24)

        def forward(self, x):
            q, k, v = self.qkv(x).chunk(3, dim=-1)
            return (q @ k.transpose(-2, -1)).softmax(-1) @ v

    s, t = introspect.summarize(Attention(), torch.randn(1, 6, 8))
    qkv, scores, mix = 6 * 8 * 24, 6 * 8 * 6, 6 * 6 * 8
    assert _row(s, "qkv").macs == qkv
    assert _row(s, "model/matmul").macs == scores and _row(s, "model/matmul#2").macs == mix
    assert s.macs == qkv + scores + mix
    ops = [n for n in t.nodes if n.kind == "op"]
    assert [n.type for n in ops] == ["matmul", "softmax", "matmul"]  # chunk/transpose are views: no node


def test_lenet5_by_hand():
    s = introspect.summary("lenet5")
    by_hand = {
        "c1": 6 * 28 * 28 * (1 * 5 * 5),  # 6 maps of 28×28, each a 5×5 window over 1 channel
        "c3": 16 * 10 * 10 * (6 * 5 * 5),
        "f5": 120 * (16 * 5 * 5),
        "f6": 84 * 120,
        "output": 10 * 84,
    }
    for name, macs in by_hand.items():
        assert _row(s, name).macs == macs, name
    assert s.macs == sum(by_hand.values()) == 416_520
    assert s.params.unique == 61_706


def test_resnet50_macs():
    assert introspect.summary("resnet50").macs == 4_089_184_256  # "4.09 G MACs" at 224×224


def test_gpt2_tied_weights_counted_once_and_every_token_counted():
    s = introspect.summary("gpt2")  # example input: 32 tokens
    assert abs(s.macs - s.flops / 2) <= 0.01 * s.macs
    assert 3.9e9 < s.macs < 4.0e9
    assert _row(s, "lm_head").macs == 32 * 768 * 50257
    assert s.params.unique == 124_439_808 and s.params.total - s.params.unique == 50257 * 768
    assert s.memory.params == 4 * s.params.unique  # float32, the tied embedding once
    assert sum(r.flops for r in s.rows if r.depth == 1) == s.flops


def test_graph_json_links_nodes_to_shapes_and_source():
    g = introspect.graph_json("resnet50")
    nodes = {n["id"]: n for n in g["nodes"]}
    residual = nodes["layer1.0/add"]  # out + identity in the first bottleneck
    incoming = [e for e in g["edges"] if e["dst"] == residual["id"]]
    assert len(incoming) == 2 and all(e["shape"] == [1, 256, 56, 56] for e in incoming)
    assert residual["parent"] == "layer1.0" and nodes["layer1.0"]["parent"] == "layer1"
    conv = nodes["layer1.0.conv1"]
    assert conv["type"] == "Conv2d" and conv["class_file"] == "torch/nn/modules/conv.py"
    assert conv["macs"] == 56 * 56 * 64 * 64 and conv["params"] == 64 * 64
    text = (ROOT / conv["call_file"]).read_text().splitlines()
    assert "self.conv1(" in text[conv["call_line"] - 1]
    block = nodes["layer1.0"]
    assert block["class_file"] == "zoo/vision/resnet.py"
    assert "class Bottleneck" in (ROOT / block["class_file"]).read_text().splitlines()[block["class_line"] - 1]
    leaves = {n["id"] for n in g["nodes"] if n["leaf"]}
    assert {e["src"] for e in g["edges"]} <= leaves and {e["dst"] for e in g["edges"]} <= leaves


# --------------------------------------------------------------------------- the cache key


def test_editing_a_family_file_invalidates_only_its_models(tmp_path, monkeypatch):
    keys = zoo.list_models()
    before = {k: store.fingerprint(k) for k in keys}
    real = store.source_file
    family = real("resnet50")
    edited = tmp_path / "resnet.py"
    edited.write_text(family.read_text() + "\n# an edit\n")
    monkeypatch.setattr(store, "source_file", lambda k: edited if real(k) == family else real(k))
    changed = {k for k in keys if store.fingerprint(k) != before[k]}
    assert changed == {k for k in keys if real(k) == family} and {"resnet18", "resnet152"} <= changed


def test_stale_artifact_is_not_served_and_is_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPZOO_CACHE_DIR", str(tmp_path))
    data = store.error_artifact("lenet5", "placeholder written by this test")
    stale = tmp_path / "lenet5-0123456789abcdef.json"
    stale.write_text(store.dumps({**data, "fingerprint": "0123456789abcdef"}))
    assert store.load("lenet5") is None  # another fingerprint: not current
    path = store.save("lenet5", data)
    assert store.load("lenet5") == data and not stale.exists() and path.name.startswith("lenet5-")


def test_unwritable_cache_dir_falls_back_to_temp(tmp_path, monkeypatch):
    """A deployment whose cache dir cannot be written (read-only image) still stores new artifacts."""
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be: mkdir fails even for root")
    monkeypatch.setenv("DEEPZOO_CACHE_DIR", str(blocked / "cache"))
    monkeypatch.setattr(store, "fallback_dir", lambda: tmp_path / "fallback")
    data = store.error_artifact("lenet5", "x")
    assert store.save("lenet5", data).parent == tmp_path / "fallback"
    assert store.load("lenet5") == data


# --------------------------------------------------------------------------- isolation


def test_failures_are_stored_and_not_retried(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DEEPZOO_CACHE_DIR", str(tmp_path))
    from zoo import cli

    monkeypatch.setattr(store, "build_artifact", lambda key: (_ for _ in ()).throw(RuntimeError("shapes do not line up")))
    monkeypatch.setattr(introspect, "build_artifact", store.build_artifact)
    assert cli.main(["introspect", "lenet5", "--quiet"]) == 1
    data = store.load("lenet5")
    assert data["error"] == "RuntimeError: shapes do not line up"
    monkeypatch.setattr(worker, "_build_in_child", lambda key: pytest.fail("an error artifact must not be rebuilt"))
    assert worker.artifact("lenet5")["error"] == data["error"]


def test_concurrent_cold_builds_equal_a_clean_build_and_leave_the_server_untouched(tmp_path, monkeypatch, artifacts):
    """8 sessions asking for 4 cold models at once share one build per model, whose files are byte-for-byte the
    session's clean `--all` build; meanwhile nothing in this process is patched and a seeded
    computation gives the same numbers as on a quiet machine."""
    keys = ["lenet5", "alexnet", "gcn", "m5"]
    monkeypatch.setenv("DEEPZOO_CACHE_DIR", str(tmp_path))
    builds: list[str] = []
    real_build = worker._build_in_child
    monkeypatch.setattr(worker, "_build_in_child", lambda batch: builds.extend(batch) or real_build(batch))

    originals = (torch.nn.Module.__call__, torch.randn, torch.empty, torch.Tensor.__add__)
    model = zoo.create_model("lenet5")

    def seeded() -> torch.Tensor:
        g = torch.Generator().manual_seed(7)
        x = torch.randn(4, 1, 32, 32, generator=g)
        with torch.no_grad():
            return model(x)

    quiet = seeded()
    results, errors, patched, during = {}, [], [], []
    done = threading.Event()

    def user(i: int) -> None:
        try:
            results[i] = worker.artifact(keys[i % len(keys)])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    def watcher() -> None:
        while not done.is_set():
            now = (torch.nn.Module.__call__, torch.randn, torch.empty, torch.Tensor.__add__)
            patched.append(any(a is not b for a, b in zip(now, originals)))
            during.append(torch.equal(seeded(), quiet))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(8)]
    w = threading.Thread(target=watcher)
    w.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    done.set()
    w.join()
    assert not errors, errors
    assert sorted(builds) == sorted(keys)  # one build per key, however many asked
    assert during and all(during) and not any(patched)
    for k in keys:
        mine = (tmp_path / f"{k}-{store.fingerprint(k)}.json").read_bytes()
        clean = (artifacts / f"{k}-{store.fingerprint(k)}.json").read_bytes()
        assert mine == clean, k
        assert json.loads(mine)["key"] == k


def test_serving_a_model_page_never_imports_the_tracers(tmp_path):
    """The model page, with a cold cache, gets its artifact from a child process: torchview and torchinfo
    (which patch torch and keep models alive) are never imported by the serving process."""
    script = f"""
import os, sys
os.environ["DEEPZOO_CACHE_DIR"] = {str(tmp_path)!r}
sys.path.insert(0, {str(ROOT / "tests")!r}); sys.path.insert(0, {str(ROOT)!r})
from apptest_utils import open_page
for tab in ("overview", "architecture", "layers"):
    at = open_page("pages/model.py", model="lenet5", tab=tab)
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
print(sorted(m for m in ("torchview", "torchinfo") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
    assert list(tmp_path.glob("lenet5-*.json"))


def test_lstm_flops_are_counted_like_its_cells():
    """nn.LSTM runs oneDNN's fused layer on CPU, which torch's counter has no formula for: its FLOPs must equal
    those of the same LSTM unrolled step by step with LSTMCell (bidirectional: twice), packed sequences by token."""
    from torch.nn.utils.rnn import pack_padded_sequence

    from zoo.introspect.trace import flop_counter

    def count(fn) -> int:
        counter = flop_counter()
        with torch.no_grad(), counter:
            fn()
        return counter.get_total_flops()

    lstm = torch.nn.LSTM(8, 16, batch_first=True, bidirectional=True)
    cell = torch.nn.LSTMCell(8, 16)

    def unrolled():
        h = (torch.zeros(2, 16), torch.zeros(2, 16))
        for _ in range(5):
            h = cell(torch.randn(2, 8), h)

    assert count(lambda: lstm(torch.randn(2, 5, 8))) == 2 * count(unrolled) > 0
    packed = pack_padded_sequence(torch.randn(5, 2, 8), [5, 3])
    assert count(lambda: torch.nn.LSTM(8, 16)(packed)) == 2 * 8 * (4 * 16) * (8 + 16)  # 8 real tokens


def test_builds_are_reproducible_so_artifacts_are_too():
    """introspect.build draws weights and example input from its own seeded generator (never the process's):
    two builds are identical, so a detector keeps the same boxes, and the same FLOPs, on every build."""
    torch.manual_seed(123)
    m1, x1 = introspect.build("ssdlite320_mobilenet_v3_large")
    torch.rand(7)  # whatever the process draws in between changes nothing
    m2, x2 = introspect.build("ssdlite320_mobilenet_v3_large")
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert torch.equal(x1, x2)
    with torch.no_grad():
        b1, b2 = m1(x1), m2(x2)
    assert [len(d["boxes"]) for d in b1] == [len(d["boxes"]) for d in b2]
