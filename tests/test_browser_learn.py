"""The Learn page in a real browser: every tuning-tip experiment shows its two curves and the difference measured
from the stored results, in English and in Chinese; a rerun can be started and stopped; model pages offer the
notebook."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui.i18n import Translator
from zoo.learn import tips

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)
CHART = '[data-testid="stVegaLiteChart"]'
DDP_RESULTS = Path(__file__).resolve().parent.parent / "assets" / "learn" / "ddp.json"


def _finding(lang: str, key: str) -> str:
    """The sentence the page must show for `key`, from the stored curves, without its Markdown bold."""
    t = Translator(lang)
    result = tips.stored_result(tips.load_results(), key)
    values = tips.stated(result, lambda steps: t("learn.not_reached", steps=steps), t("learn.diverged"))
    return t(f"learn.{key}.finding", **values).replace("**", "")


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_experiment_shows_two_curves_and_its_measured_difference(page, base_url, lang):
    from playwright.sync_api import expect

    t = Translator(lang)
    page.goto(f"{base_url}/learn?lang={lang}")
    expect(page.get_by_role("heading", name=t("learn.title"))).to_be_visible(timeout=60_000)
    charts = page.locator(CHART)
    charts.nth(2 * len(tips.EXPERIMENTS) - 1).wait_for()  # accuracy and loss, side by side, per experiment
    assert charts.count() == 2 * len(tips.EXPERIMENTS)
    for i in range(charts.count()):  # drawn, not just placed: Vega renders a canvas or an svg
        expect(charts.nth(i).locator("canvas, svg").first).to_be_attached()
    body = _normalised(page.locator('[data-testid="stMain"]').inner_text())
    for key, exp in tips.EXPERIMENTS.items():
        assert t(f"learn.{key}.title") in body, key
        assert _normalised(_finding(lang, key)) in body, key
        for arm in exp.arms:
            assert t(f"learn.arm_{arm.name}") in body, (key, arm.name)
    if DDP_RESULTS.exists():  # the distributed-training section shows what bench/ddp.py measured
        assert t("learn.ddp_title") in body and t("learn.ddp.col_throughput") in body
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"learn_{lang}.png"))


def test_a_rerun_starts_and_stops(page, base_url):
    from playwright.sync_api import expect

    t = Translator("en")
    page.goto(f"{base_url}/learn")
    page.locator(CHART).nth(2 * len(tips.EXPERIMENTS) - 1).wait_for()
    page.get_by_role("button", name=t("learn.rerun")).first.click()
    stop = page.get_by_role("button", name=t("learn.rerun_cancel"))
    expect(stop).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile("Training “|Waiting for a free training place"))).to_be_visible(timeout=60_000)
    # the running section redraws every few seconds and fades while it does: Playwright would wait for it to
    # hold still, a person just clicks
    stop.click(force=True)
    expect(page.get_by_text(t("learn.rerun_cancelled"))).to_be_visible(timeout=60_000)
    expect(page.get_by_role("button", name=t("learn.show_stored"))).to_be_visible(timeout=60_000)


def test_model_page_offers_the_notebook(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/model?model=gcn&tab=code&lang=zh")
    button = page.get_by_role("button", name=re.compile("下载笔记本（gcn.ipynb）"))  # after the icon's name
    expect(button).to_be_visible(timeout=60_000)
    with page.expect_download() as info:
        button.click()
    path = info.value.path()
    import nbformat

    nb = nbformat.read(path, as_version=4)
    assert nb.metadata["deepzoo"] == {"model": "gcn", "lang": "zh"}
