"""The Pendulum demo in Chromium through the real server: TD3 and random torques play side by side."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_td3_and_random_swing_the_pendulum_in_the_try_it_tab(page, base_url):
    page.goto(base_url + "/model?model=td3&tab=try")
    page.get_by_role("heading", name="TD3").first.wait_for()
    page.get_by_role("button", name="Run TD3 and random side by side").click()
    trained = page.get_by_text(re.compile(r"TD3 \(shipped\) · seed 0 · return -\d+"))
    trained.wait_for(timeout=120_000)
    page.get_by_text(re.compile(r"Random torques · seed 0 · return -\d+")).wait_for()
    # both animations arrive and decode at the demo's frame size
    page.wait_for_function(
        """() => {
            const imgs = [...document.querySelectorAll("img[src*='.gif']")];
            return imgs.length === 2 && imgs.every(img => img.complete && img.naturalWidth === 240);
        }"""
    )
    returns = [int(re.search(r"return (-?\d+)", t).group(1))
               for t in page.get_by_text(re.compile(r"· seed 0 · return -\d+")).all_inner_texts()]
    assert len(returns) == 2 and returns[0] > returns[1] + 300, returns  # TD3 first, far above random
    assert "Traceback" not in page.content()
