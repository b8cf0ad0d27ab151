"""The Overview's pretrained-weights section: closed (and drawing nothing) until opened; opened, the known
checkpoints with a copyable snippet, and no Hub button on a server that cannot reach the Hub."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from apptest_utils import open_page
from zoo.pretrained import known_checkpoints

SHOTS = Path(__file__).resolve().parent.parent / "bench" / "results"  # screenshots to look at (git-ignored)


@pytest.mark.parametrize("key", ["resnet18"])  # keyed: the prebuild makes this model's artifact only
def test_section_is_listed_and_lazy(monkeypatch, artifacts, key):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    at = open_page("pages/model.py", model=key, tab="overview")
    assert not at.exception
    labels = [e.label for e in at.expander]
    count = len(known_checkpoints(key))  # torchvision's file, timm's A1 weights, Microsoft's conversion
    assert count == 3 and f"Pretrained weights · published checkpoints: {count}" in labels
    assert not at.dataframe and not at.code  # closed: nothing drawn, no Hub probe


def test_no_section_without_a_layout():
    from zoo import pretrained

    assert pretrained.layouts("lenet5") == []  # render() returns before drawing anything


@pytest.mark.browser
@pytest.mark.parametrize("key", ["resnet18"])  # the prebuild then builds this model's artifact only
def test_open_section_lists_sources_offline(page, base_url, key):
    from playwright.sync_api import expect

    page.goto(f"{base_url}/model?model={key}")
    page.get_by_text(f"Pretrained weights · published checkpoints: {len(known_checkpoints(key))}").click()
    section = page.locator('[data-testid="stExpander"]').filter(has_text="Pretrained weights")
    expect(section.locator('[data-testid="stDataFrame"]')).to_be_visible(timeout=60_000)
    code = section.locator('[data-testid="stCode"]')
    expect(code).to_contain_text('zoo.create_model("resnet18", weights="hf://timm/resnet18.a1_in1k")')
    expect(code).to_contain_text("https://download.pytorch.org/models/resnet18-f37072fd.pth")
    expect(section).to_contain_text("cannot reach the Hugging Face Hub")  # this server is offline
    expect(section.get_by_role("button", name="from the Hub")).to_have_count(0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / "pretrained_section.png"))
    assert os.path.getsize(SHOTS / "pretrained_section.png") > 0


def _hub_section(folder: str, lang: str) -> None:
    """The section's Hub action alone, pointed at a local folder standing in for a downloaded hub snapshot."""
    from ui.i18n import Translator
    from ui.model_tabs import pretrained as section
    from zoo.pretrained import KnownCheckpoint

    section._load_from_hub("bert_base", [KnownCheckpoint("bert_base", folder, layout="hf", licence="", dataset="")], Translator(lang))


def test_hub_action_loads_and_reports(tmp_path):
    transformers = pytest.importorskip("transformers")
    from streamlit.testing.v1 import AppTest

    config = transformers.BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32)
    transformers.BertModel(config).save_pretrained(tmp_path)
    at = AppTest.from_function(_hub_section, args=(str(tmp_path), "en"), default_timeout=60)
    at.run()
    assert not at.success  # nothing happens before the click
    at.button[0].click().run()
    assert not at.exception
    params = sum(p.numel() for p in transformers.BertModel(config).parameters())
    assert at.success[0].value.startswith(f"Loaded `{tmp_path}`: {params:,} parameters, every tensor checked")
    (tmp_path / "model.safetensors").write_bytes(b"damaged")
    at.button[0].click().run()
    assert "does not fit" in at.error[0].value  # translated, no traceback
