"""Accessibility, checked by axe-core (vendored: tests/vendor/axe) in headless Chromium on the real server: no
serious or critical violation on the home page, the gallery (cards and table), every tab of a model page, the
demos, compare, learn and the about page — outside Streamlit's own components, which the app cannot change (listed in
STREAMLIT_OWN, each with the rule it breaks as of Streamlit 1.67)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "vendor" / "axe" / "axe.min.js"

# Streamlit's own markup, left out of the verdict (and reported by the test when it fails):
STREAMLIT_OWN = {
    '[data-testid="stSidebarNav"]': "list, listitem: the page list puts <div> wrappers between <ul> and <li>",
    '[data-testid="stFileUploader"]': "the uploader's drop zone (its texts are Streamlit's, in English)",
    '[data-testid="stCameraInput"]': "the camera widget (its texts are Streamlit's, in English)",
}

_RUN = """async (excluded) => {
  const r = await axe.run(document, {resultTypes: ["violations"]});
  const own = (target) => {
    // a node inside an iframe has one selector per frame: the first names the iframe in this page
    const el = document.querySelector(Array.isArray(target[0]) ? target[0][0] : target[0]);
    return !!(el && excluded.some((sel) => el.closest(sel)));
  };
  return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => ({
    id: v.id, impact: v.impact,
    ours: v.nodes.filter((n) => !own(n.target)).map((n) => n.html.slice(0, 160)),
    theirs: v.nodes.filter((n) => own(n.target)).length,
  }));
}"""


def _settle(page) -> None:
    """The page has run its script: no skeletons left and no rerun running."""
    page.locator('[data-testid="stMain"]').wait_for()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSkeleton]') && document.querySelector('h1')", timeout=90_000)
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=90_000)
    page.wait_for_timeout(500)


def _violations(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate(_RUN, list(STREAMLIT_OWN))


def _check(page, where: str) -> None:
    _settle(page)
    found = _violations(page)
    ours = [v for v in found if v["ours"]]
    assert not ours, f"{where}: {ours}"


@pytest.mark.parametrize("url", ["/?lang=zh", "/gallery", "/gallery?view=table", "/demos", "/about", "/model", "/compare?models=lenet5,alexnet", "/learn"])
def test_pages_have_no_serious_violations(page, base_url, url):
    page.goto(base_url + url)
    _check(page, url)


@pytest.mark.parametrize("tab", ["overview", "architecture", "layers", "code", "try", "train", "deploy"])
def test_every_model_tab_has_no_serious_violations(page, base_url, tab):
    page.goto(f"{base_url}/model?model=lenet5&tab={tab}")
    page.get_by_role("tab", selected=True).wait_for()
    if tab == "architecture":
        page.wait_for_function("() => document.querySelectorAll('svg g.node').length > 3", timeout=90_000)
    _check(page, f"lenet5 {tab}")


def test_keyboard_focus_is_visible(page, base_url):
    """A link reached with the keyboard gets a real outline, not only a faint tint."""
    page.goto(base_url + "/")
    _settle(page)
    link = page.get_by_role("link", name="Start the learning path")
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
    outline = link.evaluate("(a) => [getComputedStyle(a).outlineStyle, parseFloat(getComputedStyle(a).outlineWidth)]")
    assert outline[0] != "none" and outline[1] >= 2
