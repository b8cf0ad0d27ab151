"""Compare and choose as a person uses it: a shared compare link shows the table and the chart, measuring fills
in the latency, the guide answers with a ranked list, and the page reads in Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _table(page):
    return page.locator(".st-key-compare_table table")


def test_a_compare_link_shows_the_table_and_the_chart(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/compare?models=resnet50,efficientnet_b0,mobilenet_v3_large")
    table = _table(page)
    expect(table).to_contain_text("MobileNetV3-Large", timeout=120_000)
    for text in ("ResNet-50", "EfficientNet-B0", "top-1 accuracy 76.13% (ImageNet-1k val)", "4.1B at 1×3×224×224"):
        expect(table).to_contain_text(text)
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.locator("canvas, svg").first.wait_for(timeout=60_000)
    expect(page.get_by_text(re.compile(r"\d+ of \d+ models shown; \d+ on the Pareto front"))).to_be_visible()
    expect(page.get_by_role("button", name="Download the table (CSV)")).to_be_visible()
    _shot(page, "compare_table")
    chart.scroll_into_view_if_needed()
    _shot(page, "compare_chart")
    assert "Traceback" not in page.content()


def test_measuring_fills_in_latency(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/compare?models=squeezenet1_1,mobilenet_v3_small")
    expect(_table(page)).to_contain_text("Not measured yet", timeout=120_000)
    page.get_by_role("button", name=re.compile(r"Measure 2 model\(s\) on this machine")).click()
    row = _table(page).locator("tr").filter(has_text="Latency, batch 1")
    expect(row).to_contain_text(re.compile(r"\d ms.*\d ms"), timeout=300_000)  # two worker processes; minutes on a busy machine
    expect(_table(page)).not_to_contain_text("Not measured yet")
    _shot(page, "compare_measured")


def test_the_guide_answers_with_a_ranked_list(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/compare?tab=guide")
    page.get_by_label("Max parameters (millions)").fill("3")
    page.get_by_text("Small size", exact=True).click()
    page.get_by_role("button", name="Find models").click()
    results = page.locator(".st-key-guide_results")
    expect(results).to_contain_text("1. LeNet-5", timeout=60_000)
    expect(results).to_contain_text("2. ODE-Net (MNIST)")  # 208K parameters, then SqueezeNet 1.1 (1.2M)
    expect(results).to_contain_text("61.7K parameters")
    expect(page.get_by_text(re.compile(r"Left out \(\d+\)"))).to_be_visible()
    _shot(page, "compare_guide")
    assert "Traceback" not in page.content()


def test_the_page_reads_in_chinese(page, base_url):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/compare?models=lenet5,resnet50&lang=zh")
    expect(page.get_by_role("heading", name="比较与选择")).to_be_visible(timeout=60_000)
    expect(_table(page)).to_contain_text("参数量（论文公布）", timeout=120_000)
    page.get_by_role("tab", name="选择模型").click()
    expect(page.get_by_role("button", name="查找模型")).to_be_visible()
    _shot(page, "compare_zh")
