"""The interactive architecture viewer (ui/viewer) in a real Chromium: it draws, opens and closes modules,
folds repeated blocks, searches, links a node to its source line, exports SVG and speaks Chinese."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "bench" / "results"  # screenshots to look at (git-ignored)
DRAWN = ".dzv[data-state=drawn]"
WAIT = 90_000  # a first visit may wait for the artifact and the server's first run


def _open(page, base_url, key, lang=None):
    page.goto(f"{base_url}/model?model={key}&tab=architecture" + (f"&lang={lang}" if lang else ""))
    page.wait_for_selector(DRAWN, timeout=WAIT)
    return page.locator(".dzv")


def _node(page, node_id):
    return page.locator(f'.dzv g.node[data-id="{node_id}"]')


def _cluster(page, node_id):
    return page.locator(f'.dzv g.cluster[data-id="{node_id}"]')


def _show(page, node_id):
    """Centre the view on a node (as a search would), so a click lands on it."""
    page.locator(".dzv").evaluate("(el, id) => el.dzViewer.centreOn(id, true)", node_id)


def _shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"viewer_{name}.png"))


def test_graph_draws_and_a_module_expands_and_collapses(page, base_url):
    box = _open(page, base_url, "resnet50")
    assert page.locator(".dzv g.node").count() > 5
    # default view at depth 2: stages are open boxes, their blocks closed; layer3 = a block, then Bottleneck ×5
    expect(_cluster(page, "layer3")).to_have_count(1)
    expect(_node(page, "layer3.0")).to_have_count(1)
    expect(_node(page, "fold:layer3.1")).to_contain_text("Bottleneck ×5")
    _shot(page, "resnet50_default")
    _show(page, "layer1.0")
    _node(page, "layer1.0").click()
    expect(_cluster(page, "layer1.0")).to_have_count(1)
    expect(_node(page, "layer1.0.conv1")).to_have_count(1)
    expect(_node(page, "layer1.0")).to_have_count(0)
    _shot(page, "resnet50_expanded")
    _show(page, "layer1.0")
    _cluster(page, "layer1.0").locator("text.dzv-cluster-label").click()
    expect(_node(page, "layer1.0")).to_have_count(1)
    expect(_node(page, "layer1.0.conv1")).to_have_count(0)
    # expand all / collapse all
    box.locator("button[data-action=expand-all]").click()
    expect(_node(page, "layer4.2.conv3")).to_have_count(1)
    box.locator("button[data-action=collapse-all]").click()
    expect(_node(page, "layer4")).to_have_count(1)
    expect(_node(page, "layer4.2.conv3")).to_have_count(0)


def test_bert_layers_are_folded_x12_and_unfold(page, base_url):
    _open(page, base_url, "bert_base")
    fold = _node(page, "fold:layers.0")
    expect(fold).to_contain_text("EncoderLayer ×12")
    expect(page.locator('.dzv [data-id="layers.5"]')).to_have_count(0)
    _shot(page, "bert_folded")
    _show(page, "fold:layers.0")
    fold.click()
    expect(fold).to_have_count(0)
    for i in (0, 5, 11):
        expect(page.locator(f'.dzv [data-id="layers.{i}"]')).to_have_count(1)
    _shot(page, "bert_unfolded")


def test_search_finds_layer3_and_centres_it(page, base_url):
    box = _open(page, base_url, "resnet50")
    box.locator(".dzv-search").fill("layer3")
    expect(box).to_have_attribute("data-current", "layer3")
    expect(box.locator(".dzv-count")).to_have_text(re.compile(r"^1 / \d+$"))
    target = _cluster(page, "layer3")
    expect(target).to_have_class(re.compile("dzv-current"))
    canvas = box.locator(".dzv-canvas").bounding_box()
    found = target.bounding_box()
    cx, cy = found["x"] + found["width"] / 2, found["y"] + found["height"] / 2
    assert abs(cx - (canvas["x"] + canvas["width"] / 2)) < 0.1 * canvas["width"]
    assert abs(cy - (canvas["y"] + canvas["height"] / 2)) < 0.1 * canvas["height"]
    matches = page.locator(".dzv .dzv-match").count()
    assert matches >= 2  # layer3, its first block and its fold
    box.locator("button[data-action=next]").click()
    expect(box).not_to_have_attribute("data-current", "layer3")
    box.locator("button[data-action=prev]").click()
    expect(box).to_have_attribute("data-current", "layer3")
    # a regex: every 1×1 projection shortcut
    box.locator("input[data-action=regex]").check()
    box.locator(".dzv-search").fill(r"^layer[2-4]\.0$")
    expect(box.locator(".dzv-count")).to_have_text("1 / 3")
    _shot(page, "resnet50_search")


def test_node_panel_links_to_the_code_line(page, base_url):
    box = _open(page, base_url, "resnet50")
    _show(page, "layer2.0")
    _node(page, "layer2.0").click()  # a Bottleneck: defined in the model's own file
    panel = box.locator(".dzv-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("h4")).to_have_text("Bottleneck")
    expect(panel).to_contain_text("layer2.0")
    expect(panel).to_contain_text("1×256×56×56")  # its input shape
    link = panel.locator("a.dzv-code-link")
    href = link.get_attribute("href")
    line = int(re.search(r"line=(\d+)", href).group(1))
    source = (ROOT / "zoo/vision/resnet.py").read_text(encoding="utf-8").splitlines()
    assert source[line - 1].startswith("class Bottleneck")
    _shot(page, "resnet50_panel")
    link.click()
    page.wait_for_url(re.compile(rf"tab=code.*line={line}|line={line}.*tab=code"))
    page.get_by_text(f"Line {line} of zoo/vision/resnet.py").wait_for(timeout=WAIT)
    expect(page.get_by_role("tab", name="Code")).to_have_attribute("aria-selected", "true")
    page.get_by_text(re.compile(rf"▶\s+{line}\s+class Bottleneck")).first.wait_for(timeout=WAIT)
    _shot(page, "code_line")


def test_svg_export_is_valid_svg_with_the_visible_nodes(page, base_url):
    box = _open(page, base_url, "resnet50")
    shown = int(box.get_attribute("data-nodes"))
    with page.expect_download() as dl:
        box.locator("button[data-action=export-svg]").click()
    path = dl.value.path()
    assert dl.value.suggested_filename == "resnet50.svg"
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    nodes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "node" in (g.get("class") or "").split()]
    assert len(nodes) == shown
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "Bottleneck ×5" in text and "Conv2d" in text
    with page.expect_download() as dl:
        box.locator("button[data-action=export-png]").click()
    assert Path(dl.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chinese_page_shows_chinese_labels(page, base_url):
    box = _open(page, base_url, "bert_base", lang="zh")
    expect(box.locator("button[data-action=expand-all]")).to_have_text("全部展开")
    expect(box.locator("button[data-action=fit]")).to_have_text("适应窗口")
    expect(box.locator(".dzv-search")).to_have_attribute("placeholder", "搜索路径或类型…")
    expect(_node(page, "fold:layers.0")).to_contain_text("点击展开")
    expect(box.locator(".dzv-legend")).to_contain_text("卷积")
    _shot(page, "bert_zh")


def test_overview_preloads_the_viewer_and_its_layout_worker(page, base_url):
    """While a person reads the Overview, the browser already fetches the viewer's code and the Graphviz worker,
    so the first opening of the Architecture tab waits only for the layout — and the preload draws nothing."""
    page.goto(f"{base_url}/model?model=lenet5&tab=overview")
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some((e) => e.name.includes('/deepzoo.viewer/layout.js'))",
        timeout=WAIT, polling=100)
    expect(page.locator(".dzv")).to_have_count(0)  # nothing drawn on the Overview
    page.get_by_role("tab").nth(1).click()
    page.wait_for_selector(DRAWN, timeout=WAIT)
    assert page.locator(".dzv g.node").count() > 3
