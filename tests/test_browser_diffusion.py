"""Diffusion you can watch, in a real browser: open the DDPM's Try-it tab, denoise, see the digits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


def test_ddpm_denoises_noise_into_a_grid_of_digits(page, base_url):
    page.goto(f"{base_url}/model?model=ddpm_unet&tab=try")
    page.get_by_text(re.compile("Press .Denoise.")).wait_for(timeout=120_000)
    page.get_by_role("button", name="Denoise", exact=True).click()
    page.get_by_text(re.compile(r"16 digits \(8×8, shown enlarged\) from noise seed 0 after 50 DDIM steps")).wait_for(
        timeout=120_000
    )
    page.get_by_text("Watch one digit appear").wait_for()
    # Both pictures (the grid and the strip) arrive and decode asynchronously: poll for loaded images.
    page.wait_for_function(
        """() => {
            const imgs = [...document.querySelectorAll("[data-testid='stImage'] img")];
            return imgs.length >= 2 && imgs.every(i => i.complete && i.naturalWidth > 100);
        }""",
        timeout=60_000,
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "diffusion.png"), full_page=True)
    assert "Traceback" not in page.content()
