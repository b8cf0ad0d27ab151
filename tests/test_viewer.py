"""The architecture viewer's Python side (ui/viewer): folding repeated blocks, the edges of a collapsed view,
the payload sent to the browser, and that the browser's mirror of `visible` agrees with Python's."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ui.i18n import languages, strings
from ui.viewer import STATIC, default_expanded, folds, kind_class, labels_for, prepare, visible

FIXTURE = json.loads((Path(__file__).resolve().parent.parent / "ui/viewer/fixture.json").read_text(encoding="utf-8"))
TOY = FIXTURE["graph"]
EXPECT = FIXTURE["expect"]


def _edges(view):
    return sorted([e["src"], e["dst"]] for e in view["edges"])


def _groups(graph):
    return {n["id"] for n in graph["nodes"] if n["kind"] == "module" and not n["leaf"]}


def test_fixture_folds_identical_blocks_after_the_different_first():
    got = folds(TOY)
    assert [{"id": f["id"], "members": f["members"], "count": f["count"]} for f in got] == EXPECT["folds"]
    assert got[0]["parent"] == "model" and got[0]["type"] == "Block"


def test_fixture_default_view():
    assert sorted(default_expanded(TOY)) == EXPECT["default_expanded"]
    view = visible(TOY, default_expanded(TOY))
    assert view["nodes"] == EXPECT["default_view"]["nodes"]
    assert _edges(view) == EXPECT["default_view"]["edges"]
    # the root (the model itself) is never a box; open groups are boxes inside their parent box
    assert "model" not in view["clusters"] and view["clusters"] == {"stem": None, "blocks.0": None}
    assert view["parent"]["stem.1"] == "stem" and view["parent"]["fold:blocks.1"] is None


def test_fixture_collapsed_edges_are_redrawn_to_the_group_and_deduplicated():
    view = visible(TOY, set())
    assert view["nodes"] == EXPECT["collapsed_view"]["nodes"]
    assert _edges(view) == EXPECT["collapsed_view"]["edges"]
    # stem.2 -> blocks.0.conv and stem.2 -> blocks.0.down become one edge stem -> blocks.0, shape kept once
    stem_to_block = [e for e in view["edges"] if (e["src"], e["dst"]) == ("stem", "blocks.0")]
    assert stem_to_block == [{"src": "stem", "dst": "blocks.0", "shapes": [[1, 4, 8, 8]]}]
    # edges inside a folded run (block 1 -> block 2 ...) vanish rather than loop
    assert all(e["src"] != e["dst"] for e in view["edges"])


def test_fixture_unfolding_and_expanding_everything():
    fold_ids = {f["id"] for f in folds(TOY)}
    view = visible(TOY, _groups(TOY), fold_ids)
    assert len(view["nodes"]) == EXPECT["full_view_nodes"] and len(view["edges"]) == EXPECT["full_view_edges"]
    assert len(view["edges"]) == len(TOY["edges"])  # all leaves shown: every edge drawn as traced
    # unfolded but collapsed: each block is one box again
    view = visible(TOY, {"model"}, fold_ids)
    assert ["blocks.1", "blocks.2", "blocks.3"] == [n for n in view["nodes"] if n.startswith("blocks.") and n != "blocks.0"]
    assert ["blocks.2", "blocks.3"] in _edges(view)


def test_payload_is_data_only_and_links_lines_of_the_model_file():
    data = prepare(TOY, FIXTURE["source_path"])
    rows = {r[0]: dict(zip(data["fields"], r)) for r in data["nodes"]}
    assert rows["blocks.1"]["line"] == 10  # the Block class is defined in the model's file
    assert rows["blocks.1.conv"]["line"] == 20  # Conv2d is torch's: the line of the model that calls it
    assert rows["stem.0"]["line"] is None  # called by nn.Sequential, defined in torch: no line to open
    assert rows["stem.0"]["cls"] == "conv" and rows["head"]["cls"] == "linear" and rows["stem"]["cls"] == "container"
    assert data["expanded"] == EXPECT["default_expanded"]
    json.dumps(data)  # JSON-serializable


@pytest.mark.parametrize("type_, kind, leaf, cls", [
    ("Conv2d", "module", True, "conv"), ("BatchNorm2d", "module", True, "norm"), ("LayerNorm", "module", True, "norm"),
    ("MultiHeadAttention", "module", False, "attention"), ("GELU", "module", True, "activation"),
    ("softmax", "op", True, "activation"), ("AdaptiveAvgPool2d", "module", True, "pooling"),
    ("Linear", "module", True, "linear"), ("Sequential", "module", False, "container"), ("add", "op", True, "op"),
    ("input", "input", True, "io"),
])
def test_kind_classes(type_, kind, leaf, cls):
    assert kind_class({"type": type_, "kind": kind, "leaf": leaf}) == cls


def test_labels_in_every_language():
    en = labels_for(strings("en"))
    assert {"fit", "expand_all", "collapse_all", "search", "open_code", "kind_conv"} <= set(en)
    for lang in languages():
        assert set(labels_for(strings(lang))) == set(en)
    assert labels_for(strings("zh"))["expand_all"] == "全部展开"


def test_bundle_is_small_enough():
    """Everything the viewer sends to the browser (the page module, the layout worker with Graphviz's
    WebAssembly, the styles) stays under 2 MB before compression."""
    files = {p.name: p.stat().st_size for p in STATIC.iterdir()}
    assert {"viewer.js", "layout.js", "viewer.css"} <= set(files)
    assert sum(files.values()) <= 2 * 2**20


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_browser_mirror_agrees_with_python(tmp_path):
    """The bundle's `visible` (what the browser draws) gives the same nodes and edges as Python's."""
    states = {
        "default": (sorted(default_expanded(TOY)), []),
        "collapsed": ([], []),
        "full": (sorted(_groups(TOY)), [f["id"] for f in folds(TOY)]),
        "unfolded": (["model"], ["fold:blocks.1"]),
    }
    (tmp_path / "in.json").write_text(json.dumps({"data": prepare(TOY, FIXTURE["source_path"]), "states": states}))
    script = tmp_path / "mirror.mjs"
    script.write_text(
        'import { readFileSync } from "node:fs";\n'
        'const { buildModel, visible } = await import(process.argv[2]);\n'
        'const inp = JSON.parse(readFileSync(process.argv[3], "utf8"));\n'
        'const M = buildModel(inp.data);\n'
        'const out = {};\n'
        'for (const [k, [e, u]] of Object.entries(inp.states)) {\n'
        '  const v = visible(M, new Set(e), new Set(u));\n'
        '  out[k] = { nodes: v.nodes, edges: v.edges.map((x) => [x.src, x.dst]).sort() };\n'
        '}\n'
        'console.log(JSON.stringify(out));\n'
    )
    run = subprocess.run(["node", str(script), (STATIC / "viewer.js").as_uri(), str(tmp_path / "in.json")],
                         capture_output=True, text=True, timeout=60, check=True)
    got = json.loads(run.stdout)
    for name, (e, u) in states.items():
        view = visible(TOY, set(e), set(u))
        assert got[name]["nodes"] == view["nodes"], name
        assert sorted(got[name]["edges"]) == _edges(view), name


# ----------------------------------------------------------------------------- real models
@pytest.fixture(scope="module")
def real_graphs():
    from zoo import introspect

    return {key: introspect.graph_json(key) for key in ("bert_base", "resnet50", "gpt2")}


def test_bert_layers_fold_to_x12(real_graphs):
    g = real_graphs["bert_base"]
    (fold,) = folds(g)
    assert fold["count"] == 12 and fold["members"][0] == "layers.0" and fold["members"][-1] == "layers.11"
    view = visible(g, default_expanded(g))
    assert fold["id"] in view["nodes"] and "layers.5" not in view["nodes"]


def test_gpt2_blocks_fold_to_x12(real_graphs):
    assert [f["count"] for f in folds(real_graphs["gpt2"])] == [12]


def test_resnet50_layer3_is_a_block_then_bottleneck_x5(real_graphs):
    g = real_graphs["resnet50"]
    by_parent = {f["parent"]: f for f in folds(g)}
    assert {p: f["count"] for p, f in by_parent.items()} == {"layer1": 2, "layer2": 3, "layer3": 5, "layer4": 2}
    assert by_parent["layer3"]["members"][0] == "layer3.1" and by_parent["layer3"]["type"] == "Bottleneck"
    view = visible(g, default_expanded(g))
    assert "layer3.0" in view["nodes"] and "fold:layer3.1" in view["nodes"] and view["parent"]["fold:layer3.1"] == "layer3"
    assert any(e["src"] == "layer3.0" and e["dst"] == "fold:layer3.1" for e in view["edges"])
