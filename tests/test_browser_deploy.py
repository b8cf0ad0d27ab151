"""The Deploy tab as a person sees it: headless Chromium opens LeNet-5's page on the real server and reads
the table of compressed variants, drawn from the committed results at once (nothing is measured)."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo import compress

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def test_deploy_tab_of_lenet5_shows_the_variants_table(page, base_url):
    from playwright.sync_api import expect

    result = compress.committed_result("lenet5")
    page.goto(f"{base_url}/model?model=lenet5&tab=deploy")
    table = page.locator('[data-testid="stTable"]')
    expect(table).to_be_visible(timeout=60_000)
    for label in ("Original (float)", "int8, dynamic quantisation", "Pruned 30% (global magnitude)",
                  "Pruned 50% (global magnitude)", "Pruned 70% (global magnitude)", "ONNX, float32 (ONNX Runtime)"):
        expect(table.get_by_text(label, exact=True)).to_be_visible()
    original = result["variants"][0]
    expect(table).to_contain_text(f"{original['bytes'] / 1024:,.1f} KB")  # the committed figure, as stored
    expect(table).to_contain_text(f"{original['metric']:.4g}")
    expect(page.get_by_text("When does each one help on a CPU?")).to_be_visible()
    expect(page.get_by_role("button", name="Measure here")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "deploy_lenet5.png"), full_page=True)
