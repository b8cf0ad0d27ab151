"""The CartPole demo in Chromium through the real server: the shipped DQN plays an animated episode."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def test_shipped_dqn_plays_in_the_try_it_tab(page, base_url):
    page.goto(base_url + "/model?model=dqn")
    page.get_by_role("heading", name="DQN (Nature)").wait_for()
    page.get_by_role("tab", name="Try it").click()
    page.get_by_role("button", name="Play an episode").click()
    caption = page.get_by_text(re.compile(r"DQN \(shipped\) · seed 0 · return 500 in 500 steps"))
    caption.wait_for(timeout=120_000)
    page.wait_for_function(
        """() => {
            const img = document.querySelector("img[src*='.gif']");
            return img !== null && img.complete && img.naturalWidth === 300;
        }"""
    )
    assert "Traceback" not in page.content()
