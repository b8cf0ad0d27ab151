"""The first five seconds and every screen, as a person sees them in headless Chromium at a phone's (390 px),
a tablet's (820 px) and a desktop's (1400 px) width: the home page's learning path, the gallery's family cards and
table view, nothing clipped, the language kept across a click, Try-it links, the canvas toolbar and the model
picker within reach on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)
WIDTHS = {"phone": 390, "tablet": 820, "desktop": 1400}

# Elements whose own box clips its text (scrollWidth > clientWidth) or that stick out of the window
_CLIPPED = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  if (main.scrollWidth > main.clientWidth + 1) out.push('main scrolls sideways: ' + main.scrollWidth + ' > ' + main.clientWidth);
  const sel = 'h1, h2, h3, p, a, a *, button, button *, label, [data-testid="stMetricLabel"], [data-testid="stMetricLabel"] *, [data-testid="stMetricValue"], [data-testid="stMetricValue"] *';
  for (const el of main.querySelectorAll(sel)) {
    const r = el.getBoundingClientRect();
    // scrolling on purpose: code, tables, frames, the graph viewer and the tab bar (it scrolls sideways, with arrows)
    if (!r.width || !r.height || el.closest('[data-testid="stCode"], [data-testid="stDataFrame"], iframe, .dzv, [role="tablist"], .dz-sr-only')) continue;
    if (r.right > window.innerWidth + 1) out.push('outside the window: ' + el.textContent.slice(0, 60));
    const s = getComputedStyle(el);
    if ((s.overflowX !== 'visible' || s.textOverflow === 'ellipsis') && el.scrollWidth > el.clientWidth + 1)
      out.push('clipped: ' + el.textContent.slice(0, 60));
  }
  return out;
}"""


@pytest.fixture(params=list(WIDTHS), scope="module")
def sized(request, browser):
    """A browser context at one of the three widths (touch and a phone's user agent below 900 px)."""
    width = WIDTHS[request.param]
    ctx = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US", has_touch=width < 900,
                              is_mobile=width < 500)
    yield request.param, ctx
    ctx.close()


def _open(ctx, url: str):
    page = ctx.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=stSkeleton]')")
    return page


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"ux-{name}.png"))


def test_home_says_what_deepzoo_is_and_shows_the_path(sized, base_url):
    name, ctx = sized
    page = _open(ctx, base_url + "/")
    page.get_by_role("heading", name="DeepZoo", exact=True).wait_for()
    assert page.get_by_text(re.compile(r"^\d+ deep-learning architectures")).is_visible()
    page.get_by_role("heading", name=re.compile("Start here")).wait_for()
    first = page.get_by_text(re.compile(r"^1\. LeNet-5"))
    assert first.is_visible()
    page.get_by_text(re.compile(r"^15\. DDPM")).scroll_into_view_if_needed()
    page.get_by_role("heading", name="Pick by task").scroll_into_view_if_needed()
    assert page.evaluate(_CLIPPED) == []
    _shot(page, f"home-{name}")
    page.close()


def test_gallery_family_cards_and_table_view(sized, base_url):
    name, ctx = sized
    page = _open(ctx, base_url + "/gallery")
    page.get_by_role("heading", name="Results").wait_for()
    card = page.locator('[data-testid="stVerticalBlockBorderWrapper"], [data-testid="stVerticalBlock"]').filter(
        has_text=re.compile(r"EfficientNet · \d+ variants")).last
    card.scroll_into_view_if_needed()
    assert card.get_by_role("link", name="B7", exact=True).is_visible()  # a chip per variant
    assert page.evaluate(_CLIPPED) == []
    _shot(page, f"gallery-{name}")
    page.get_by_text("Table", exact=True).click()
    page.locator('[data-testid="stDataFrame"]').wait_for()
    page.get_by_text(re.compile(r"MACs are known for \d+ of these")).wait_for()
    page.close()


def test_language_is_kept_across_a_click(page, base_url):
    page.goto(base_url + "/gallery?lang=zh&q=LeNet-5")
    page.get_by_role("heading", name="模型库").wait_for()
    page.get_by_role("link", name=re.compile(r"^打开 LeNet-5")).click()
    page.wait_for_url(re.compile(r"model=lenet5"))
    page.get_by_role("heading", name="LeNet-5").wait_for()
    assert "lang=zh" in page.url
    page.get_by_role("link", name="首页").click()  # a sidebar entry: Streamlit's own link, no query parameters
    page.get_by_role("heading", name=re.compile("从这里开始")).wait_for()
    page.wait_for_url(re.compile(r"lang=zh"))


def test_demos_open_the_try_it_tab(page, base_url):
    page.goto(base_url + "/demos")
    page.get_by_role("link", name="Open LeNet-5").click()
    page.wait_for_url(re.compile(r"model=lenet5.*tab=try|tab=try.*model=lenet5"))
    assert page.get_by_role("tab", name="Try it").get_attribute("aria-selected") == "true"
    page.locator('[data-testid="stRadio"]').filter(has_text="Upload").wait_for()


def test_phone_reaches_the_picker_and_the_canvas_toolbar(browser, base_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True, locale="zh-CN")
    page = _open(ctx, base_url + "/model?model=lenet5&tab=try&lang=zh")
    picker = page.get_by_label("切换模型")  # in the page, not in the collapsed sidebar
    assert picker.is_visible()
    clear = page.get_by_role("button", name="清空画布")
    clear.scroll_into_view_if_needed()
    assert clear.is_visible() and clear.bounding_box()["height"] >= 44
    _shot(page, "try-zh-phone")
    ctx.close()


def test_tablet_metrics_are_not_clipped(browser, base_url):
    ctx = browser.new_context(viewport={"width": 820, "height": 1180}, has_touch=True, locale="en-US")
    page = _open(ctx, base_url + "/model?model=lenet5&tab=layers")
    page.locator('[data-testid="stMetric"]').nth(4).wait_for()
    assert page.evaluate(_CLIPPED) == []
    ctx.close()


def test_path_progress_is_kept_in_the_browser(page, base_url):
    """A ticked step survives a reload (localStorage, not the server's session)."""
    page.goto(base_url + "/")
    page.get_by_text("0 of 15 steps done").wait_for()
    page.get_by_text("Done", exact=True).first.click()  # the open step: LeNet-5
    page.get_by_text("1 of 15 steps done").wait_for()
    page.reload()  # a new session on the server: only the browser remembers
    page.get_by_text("1 of 15 steps done").wait_for()
    page.get_by_role("link", name="Continue the path: AlexNet").wait_for()
