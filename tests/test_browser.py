"""The product as a person sees it: the real server on one port, driven by headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest


pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_deep_link_survives_reload(page, base_url):
    """Runs first on a fresh server: a first visit straight to a model page gets the whole app."""
    page.goto(base_url + "/model?model=gpt2&lang=zh")
    page.get_by_role("heading", name=re.compile("GPT-2")).wait_for()
    page.get_by_role("link", name="模型库").wait_for()  # the app's navigation, in the language of the link
    page.reload()
    page.get_by_role("heading", name=re.compile("GPT-2")).wait_for()
    assert "model=gpt2" in page.url


def test_gallery_search_click_graph_and_code(page, base_url):
    page.goto(base_url + "/gallery")  # the home page is the default; the gallery has its own address
    page.get_by_role("heading", name="Model gallery").wait_for()
    search = page.get_by_label("Search")
    search.wait_for()  # the widgets are drawn: the screenshot shows the filters, not their placeholders
    _shot(page, "gallery")
    search.fill("residual")
    search.press("Enter")
    page.get_by_text(re.compile(r"Showing \d+ of \d+ models")).wait_for()
    page.wait_for_function("() => !document.body.innerText.includes('Open LeNet-5')")
    page.get_by_role("link", name="50", exact=True).click()  # the ResNet family card's chip for ResNet-50
    page.wait_for_url(re.compile(r"model=resnet50"))
    page.get_by_role("heading", name="ResNet-50").wait_for()
    page.get_by_role("tab", name="Architecture").click()
    page.wait_for_function("() => document.querySelectorAll('svg g.node').length > 5", timeout=90_000)
    assert page.locator("svg g.node").count() > 5
    _shot(page, "model_architecture")
    page.get_by_role("tab", name="Code").click()
    page.get_by_text("class Bottleneck", exact=False).first.wait_for()
    _shot(page, "model_code")


def test_open_tab_is_in_the_link(page, base_url):
    """Clicking a tab puts it in the URL; opening that URL opens the same tab (and only it runs)."""
    page.goto(base_url + "/model?model=lenet5")
    page.get_by_role("heading", name="LeNet-5").wait_for()
    page.get_by_role("tab", name="Layers").click()
    page.wait_for_url(re.compile(r"tab=layers"))
    link = page.url
    page.goto(base_url + "/about")
    page.goto(link)
    page.get_by_role("tab", name="Layers", selected=True).wait_for()
    page.get_by_text("Each row includes everything that ran inside it").wait_for()
    assert page.locator("svg g.node").count() == 0  # the Architecture tab did not run
    _shot(page, "model_layers")


def test_bad_model_key_is_explained(page, base_url):
    page.goto(base_url + "/model?model=resnet5")
    page.get_by_text("There is no model called").wait_for()
    page.get_by_role("link", name=re.compile("ResNet-50")).first.wait_for()
    assert "Traceback" not in page.content()


def test_chinese_interface(page, base_url):
    page.goto(base_url + "/?lang=zh")  # the home page
    page.get_by_role("heading", name="DeepZoo").wait_for()
    page.get_by_role("link", name=re.compile(r"浏览全部 \d+ 个模型")).first.wait_for()
    page.goto(base_url + "/gallery?lang=zh")
    page.get_by_role("heading", name="模型库").wait_for()


def test_gradio_widget_on_the_same_port(page, base_url):
    page.goto(base_url + "/gradio/explorer/")
    page.get_by_text("DeepZoo model explorer").wait_for()
    from gradio_client import Client

    client = Client(base_url + "/gradio/explorer/", verbose=False)
    card, table = client.predict("resnet18", api_name="/show")
    assert "ResNet-18" in card and "11,689,512" in table
