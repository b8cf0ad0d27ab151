"""AppTest: the Streamlit pages render from the registry, filters work, every model page renders."""

from __future__ import annotations

import json
from urllib.parse import parse_qs

import pytest

import zoo
from apptest_utils import open_page, texts

KEYS = zoo.list_models()


def _query(link) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(link.proto.query_string).items()}


def _shown_models(at) -> set[str]:
    return {_query(e)["model"] for e in at.page_link if "model" in _query(e)}


def _see_all(at):
    """Unfold every domain that shows only its first families."""
    for b in [b for b in at.button if b.key and b.key.startswith("toggle_")]:
        at.button(key=b.key).click().run()
    return at


def test_gallery_lists_every_model_grouped_by_domain():
    at = _see_all(open_page("pages/gallery.py"))
    assert not at.exception
    assert _shown_models(at) == set(KEYS)  # every variant has its chip, every family its card
    headers = [s.value for s in at.subheader]
    assert len(headers) == len({zoo.card(k).domain for k in KEYS})
    assert f"Showing {len(KEYS)} of {len(KEYS)} models" in texts(at)


def test_gallery_shows_a_few_families_per_domain_until_asked():
    at = open_page("pages/gallery.py")
    families = {zoo.card(k).family for k in KEYS if zoo.card(k).domain == "vision"}
    leads = [e for e in at.page_link if e.label.startswith("Open ") and zoo.card(_query(e)["model"]).domain == "vision"]
    assert len(families) > 6 and len(leads) == 6
    at.button(key="toggle_vision").click().run()
    leads = [e for e in at.page_link if e.label.startswith("Open ") and zoo.card(_query(e)["model"]).domain == "vision"]
    assert len(leads) == len(families)


def test_gallery_search_narrows_results():
    at = open_page("pages/gallery.py")
    at.text_input(key="q").input("residual").run()
    shown = _shown_models(_see_all(at))
    assert shown == set(zoo.list_models(query="residual"))  # the page shows what the registry search finds
    assert "resnet50" in shown and "lenet5" not in shown


def test_gallery_filters_by_domain_level_and_sort():
    at = open_page("pages/gallery.py")
    at.pills(key="domains").set_value(["graph"]).run()
    assert _shown_models(at) == set(zoo.list_models(domain="graph"))
    at.pills(key="domains").set_value([]).run()
    at.multiselect(key="levels").set_value(["basic"]).run()
    assert _shown_models(_see_all(at)) == {k for k in KEYS if zoo.card(k).level == "basic"}
    at.multiselect(key="levels").set_value([]).run()
    at.selectbox(key="sort").set_value("size_desc").run()
    leads = [_query(e)["model"] for e in at.page_link if e.label.startswith("Open ")]
    sizes = [zoo.card(k).params.value for k in leads if zoo.card(k).domain == "vision"]
    assert sizes == sorted(sizes, reverse=True)  # each family's card leads with its largest variant


def test_gallery_no_match_says_so():
    at = open_page("pages/gallery.py")
    at.text_input(key="q").input("zzzz-no-such-model").run()
    assert not _shown_models(at)
    assert "No model matches" in texts(at)


def test_gallery_in_chinese():
    at = open_page("pages/gallery.py", lang="zh")
    assert at.title[0].value == "模型库"
    assert not at.exception
    assert {_query(e).get("lang") for e in at.page_link} == {"zh"}  # every link keeps the language


TABS = ["Overview", "Architecture", "Layers", "Code", "Try it"]


def _open_tab(key: str, tab: str):
    at = open_page("pages/model.py", model=key, tab=tab)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == zoo.card(key).name
    assert [t.label for t in at.tabs][:5] == TABS  # features may add tabs after these (ui/model_tabs)
    return at


@pytest.mark.parametrize("key", KEYS)
def test_model_page_renders_every_tab(key, artifacts):
    """Each tab, opened by its link (?tab=...), shows its content from the model's artifact."""
    at = _open_tab(key, "overview")  # measured parameters match the card
    assert at.success and ("matches" in at.success[0].value or "within" in at.success[0].value)
    architecture = _open_tab(key, "architecture").tabs[1]  # the interactive viewer, fed the graph JSON
    viewers = architecture.get("bidi_component")
    assert viewers and viewers[0].proto.component_name == "deepzoo.viewer"
    assert json.loads(viewers[0].proto.json)["graph"]["nodes"]
    layers = _open_tab(key, "layers").tabs[2]
    assert len(layers.dataframe) == 1 and len(layers.dataframe[0].value) > 0
    assert len(layers.metric) == 5
    code_tab = _open_tab(key, "code").tabs[3]
    code = [c for c in code_tab.code if c.language == "python"]
    assert code and f"def {key}(" in code[0].value


@pytest.mark.parametrize("key", ["lenet5", "resnet152", "gpt3"])
def test_static_graph_stays_as_a_fallback(key, artifacts):
    at = open_page("pages/model.py", model=key, tab="architecture", graph="static")
    assert not at.exception and not at.error
    architecture = at.tabs[1]
    charts = architecture.get("graphviz_chart")
    too_big = [w for w in architecture.warning if "too many to lay out" in w.value]
    assert too_big or (charts and "digraph" in charts[0].proto.spec)


def _viewers(at) -> list[tuple[str, dict]]:
    """The architecture viewers on the page (every page also mounts ui.browser's invisible helpers)."""
    found = at.get("bidi_component")
    return [(e.key, json.loads(e.proto.json)) for e in found if e.proto.component_name == "deepzoo.viewer"]


def test_model_page_tabs_are_lazy(artifacts):
    """Only the open tab runs: the Overview does not lay out graphs or build tables. Every tab mounts the viewer
    once in the sidebar, only to preload its code: with no graph in it."""
    preload_only = [("arch_viewer_preload", {"preload": True})]
    at = _open_tab("resnet50", "overview")
    assert not at.get("graphviz_chart") and not at.dataframe and not at.code
    assert _viewers(at) == preload_only
    at = _open_tab("resnet50", "layers")
    assert at.dataframe and not at.get("graphviz_chart")
    assert _viewers(at) == preload_only
    at = _open_tab("resnet50", "no-such-tab")  # a bad link opens the Overview
    assert at.success and not at.dataframe


def test_model_page_layers_figures_are_consistent(artifacts):
    """GPT-2 on its 32-token example: MACs are FLOPs / 2 (≈3.97 G, not torchinfo's 187 M), the output
    layer counts every token, and the metrics match the rows."""
    at = _open_tab("gpt2", "layers")
    metrics = {m.label: m for m in at.metric}
    assert metrics["MACs"].value == "4.0B" and "3,971,899,392" in metrics["MACs"].proto.help
    df = at.dataframe[0].value
    lm_head = df[df["Layer"] == "lm_head"].iloc[0]
    assert lm_head["MACs"] == 32 * 768 * 50257
    assert df[df["Depth"] == 1]["FLOPs"].sum() == 2 * 3_971_899_392


def test_model_page_bad_key_suggests():
    at = open_page("pages/model.py", model="resnet5")
    assert not at.exception
    assert "no model called “resnet5”" in at.error[0].value
    links = [e.proto.query_string for e in at.page_link]
    assert any("model=resnet50" in q for q in links)
    assert not at.tabs


def test_model_page_without_key_offers_a_chooser_then_remembers(artifacts):
    """The bare "Model" entry opens a chooser, not an arbitrary model; after a model, it opens that one."""
    at = open_page("pages/model.py")
    assert not at.exception
    assert at.title[0].value == "Choose a model" and not at.tabs
    at.selectbox(key="model_pick").set_value("lenet5").run()
    assert at.title[0].value == zoo.card("lenet5").name
    at.switch_page("pages/about.py").run()
    at.query_params.clear()
    at.switch_page("pages/model.py").run()
    assert at.title[0].value == zoo.card("lenet5").name  # the last model viewed


def test_about_and_demos_pages_render():
    for page in ("pages/about.py", "pages/demos.py"):
        at = open_page(page)
        assert not at.exception
        assert at.title


def test_home_shows_the_learning_path_and_picks_by_task():
    from zoo import path

    at = open_page("pages/home.py", lang="zh")
    assert not at.exception
    steps = [e.label for e in at.expander]
    assert len(steps) == len(path.steps()) and zoo.card("lenet5").name in steps[0]
    assert zoo.card("ddpm_unet").name in steps[-1]
    links = [_query(e) for e in at.page_link]
    assert {q.get("lang") for q in links} == {"zh"}
    assert {q["tab"] for q in links if "tab" in q} == {"try"}  # the steps that have a demo link to it
    assert any(q.get("pick") == "find_objects" for q in links)
    at.checkbox(key="path_step_lenet5").check().run()  # ticking a step moves "continue" to the next one
    assert any(e.label.endswith(zoo.card("alexnet").name) for e in at.page_link)


def test_gallery_pick_and_table_view():
    at = open_page("pages/gallery.py", pick="find_objects")
    detectors = {k for k in KEYS if "detection" in zoo.card(k).task or "instance segmentation" in zoo.card(k).task}
    assert _shown_models(at) == detectors
    at.segmented_control(key="view").set_value("table").run()
    assert at.query_params["view"] == ["table"] or at.query_params["view"] == "table"  # the view is in the link
    df = at.dataframe[0].value
    assert len(df) == len(detectors) and {"Params", "MACs", "Year", "Level", "Published result"} <= set(df.columns)


def test_gallery_table_opens_from_its_link():
    at = open_page("pages/gallery.py", view="table", lang="zh")
    assert at.segmented_control(key="view").value == "table" and len(at.dataframe) == 1


def test_demos_link_to_the_try_it_tab():
    at = open_page("pages/demos.py")
    links = [_query(e) for e in at.page_link if "model" in _query(e)]
    assert links and all(q["tab"] == "try" and q["lang"] == "en" for q in links)
