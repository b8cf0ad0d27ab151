"""The Train tab as a person uses it: headless Chromium on the real server opens LeNet-5's Train tab, trains it
on the digits to completion, sees both curves drawn, and downloads the weights (a safetensors file that loads
into LeNet-5)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def test_train_lenet5_to_completion(page, base_url, tmp_path):
    from playwright.sync_api import expect
    from safetensors.torch import load_file

    import zoo

    page.goto(f"{base_url}/model?model=lenet5&tab=train")
    train = page.get_by_role("button", name="Train", exact=True)
    train.wait_for(timeout=60_000)
    expect(page.get_by_text("Reduced to train here")).to_be_visible()
    train.click()
    expect(page.get_by_text("Stop", exact=True)).to_be_visible(timeout=30_000)  # running: the page answers meanwhile
    finished = page.get_by_text("Finished:")
    finished.wait_for(timeout=300_000)  # seconds on a quiet machine; minutes when the CPU is shared
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    expect(charts).to_have_count(2)
    for i in range(2):  # each chart drew its line: Vega renders into a canvas or an svg path
        expect(charts.nth(i).locator("canvas, svg path").first).to_be_attached()
    accuracy = page.locator('[data-testid="stMetric"]').filter(has_text="accuracy").locator('[data-testid="stMetricValue"]')
    assert float(accuracy.inner_text().rstrip("%")) > 50  # 3 epochs of LeNet-5 on digits: well above chance (10%)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the weights (safetensors)").click()
    path = tmp_path / "lenet5.safetensors"
    download.value.save_as(path)
    state = load_file(path)
    zoo.create_model("lenet5").load_state_dict(state)  # every weight present, every shape right
    expect(page.get_by_role("button", name="Download the run (JSON)")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "train_lenet5.png"), full_page=True)


def test_train_a_task_module_model_in_chinese(page, base_url):
    """A model whose objective comes from a task module (the KAN fitting its paper's formula): trained from the
    Chinese page, its lower-is-better metric shown as a number, and the picture of its fit drawn under the curves."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/model?model=kan&tab=train&lang=zh")
    train = page.get_by_role("button", name="训练", exact=True)
    train.wait_for(timeout=60_000)
    expect(page.get_by_text("KAN 论文的第一个例子")).to_be_visible()  # the dataset's source, in Chinese
    train.click()
    page.get_by_text("完成：").wait_for(timeout=300_000)
    rmse = page.locator('[data-testid="stMetric"]').filter(has_text="均方根误差").locator('[data-testid="stMetricValue"]')
    assert float(rmse.inner_text()) < 0.2  # the formula's values spread over ±1.35 (std): learned, not guessed
    expect(page.locator('[data-testid="stImage"]')).to_have_count(1)
    expect(page.get_by_text("训练后的 KAN")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "train_kan_zh.png"), full_page=True)
