"""Generated notebooks (zoo.learn.notebook): valid for every model in both languages, and executed with nbclient
for one model per domain — with training and inference where the model has a training plan."""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path

import nbformat
import pytest

import zoo
from zoo import learn
from zoo.learn import notebook

ROOT = Path(__file__).resolve().parent.parent
# one model per domain; lenet5, char_lstm and gcn train (image, text, graph data), the others have no plan here
EXECUTED = {"vision": "lenet5", "nlp": "char_lstm", "graph": "gcn", "audio": "crnn_audio_tagging", "rl": "dqn",
            "generative": "vae"}


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_prose_has_the_same_keys_and_placeholders_in_every_language():
    tables = tomllib.loads(notebook.TEXT_FILE.read_text(encoding="utf-8"))
    assert set(tables) == set(notebook.LANGUAGES)

    def flat(d: dict, prefix: str = "") -> dict[str, str]:
        out = {}
        for k, v in d.items():
            out |= flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}": v}
        return out

    en = flat(tables["en"])
    for lang in notebook.LANGUAGES:
        other = flat(tables[lang])
        assert set(other) == set(en), lang
        for key, text in other.items():
            assert _placeholders(text) == _placeholders(en[key]), (lang, key)
    from zoo.learn.plans import REASONS

    assert set(REASONS) <= set(tables["en"]["reasons"])  # every reason a model can lack a plan for, in every language


def test_a_valid_notebook_for_models_with_and_without_a_training_plan():
    """The executed models (three train, three do not) and a few more without a plan, in both languages."""
    from zoo.learn.plans import plans_for

    for key in [*EXECUTED.values(), "bert_base", "unet", "yolov1", "gpt3"]:
        for lang in notebook.LANGUAGES:
            nb = notebook.make_notebook(key, lang)
            nbformat.validate(nb)
            code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
            assert f"KEY = {key!r}" in code
            assert ("learn.fit(" in code) == bool(plans_for(key)), key


def test_prose_follows_the_language_and_code_does_not():
    en, zh = notebook.make_notebook("lenet5", "en"), notebook.make_notebook("lenet5", "zh")
    assert [c.source for c in en.cells if c.cell_type == "code"] == [c.source for c in zh.cells if c.cell_type == "code"]
    zh_prose = "\n".join(c.source for c in zh.cells if c.cell_type == "markdown")
    assert re.search(r"[\u4e00-\u9fff]", zh_prose) and "训练几步" in zh_prose
    assert zh.metadata["deepzoo"] == {"model": "lenet5", "lang": "zh"}


def test_cli_writes_a_notebook(tmp_path):
    from zoo.cli import main as cli_main

    out = tmp_path / "gcn.ipynb"
    assert cli_main(["notebook", "gcn", "-o", str(out), "--lang", "zh", "--steps", "5"]) == 0
    nb = nbformat.read(out, as_version=4)
    assert "STEPS = 5" in "\n".join(c.source for c in nb.cells)
    assert cli_main(["notebook", "no_such_model", "-o", str(tmp_path / "x.ipynb")]) == 2


@pytest.fixture(scope="module")
def kernel_env():
    """Kernels on one intra-op thread each: they run beside the rest of the tests on a small machine."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("OMP_NUM_THREADS", "1")
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield


@pytest.mark.parametrize("domain", list(EXECUTED))
def test_notebook_executes(kernel_env, domain):
    from nbclient import NotebookClient

    key = EXECUTED[domain]
    assert zoo.card(key).domain == domain
    nb = notebook.make_notebook(key, "en", steps=3)
    # run from the checkout, as the install cell expects: `zoo` is importable, so it installs nothing
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            outputs[cell.source.splitlines()[0]] = "".join(o.get("text", "") for o in cell.outputs)
    text = "\n".join(outputs.values())
    assert f"[{key}]" in text  # the card
    assert "Total params" in text  # the summary
    assert "output:" in text  # the example input ran
    if "STEPS = 3" in outputs:
        assert "3 steps in" in outputs["STEPS = 3"]
        metric = learn.dataset_info(learn.plans_for(key)[0].dataset).metric
        assert f"'{metric}'" in text  # inference evaluated the trained model
