"""A Jupyter notebook for any registered model: install, build, summary, example input, a few training steps,
inference.

    python -m zoo notebook lenet5 -o lenet5.ipynb            # English prose
    python -m zoo notebook gpt2 -o gpt2.ipynb --lang zh       # 简体中文 prose

The code cells call the same public API everything else in DeepZoo uses (`zoo.introspect`, `zoo.learn`), so a
notebook shows how to use the library, not a copy of it. The prose (markdown cells) comes from
`notebook.toml`, one table per language; the code is the same in every language. Training follows the model's
first `zoo.learn` plan (dataset, reduced size, suggested settings); a model without one gets a markdown cell
saying why instead of the training and inference cells.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tomllib
from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

__all__ = ["LANGUAGES", "make_notebook", "notebook_bytes", "texts"]

TEXT_FILE = Path(__file__).with_name("notebook.toml")
DEFAULT_STEPS = 30  # training steps in the notebook: seconds on a CPU for every covered model


@functools.cache
def _all_texts() -> dict[str, dict[str, Any]]:
    return tomllib.loads(TEXT_FILE.read_text(encoding="utf-8"))


LANGUAGES = ("en", "zh")


def texts(lang: str) -> dict[str, Any]:
    """The prose of `lang` (English for a language without a table)."""
    table = _all_texts()
    return table.get(lang) or table["en"]


def _code(source: str) -> nbformat.NotebookNode:
    return new_code_cell(source.strip("\n"))


INSTALL = '''
import importlib.util
import sys

DEEPZOO_CHECKOUT = "."  # a DeepZoo checkout: the folder that holds pyproject.toml and requirements.txt
if importlib.util.find_spec("zoo") is None:  # zoo not importable yet: install what it needs, then use the checkout
    %pip install --quiet -r {DEEPZOO_CHECKOUT}/requirements.txt
    sys.path.insert(0, DEEPZOO_CHECKOUT)
'''

CARD = '''
import torch

import zoo
from zoo import introspect, learn
from zoo.cli import render_card

KEY = {key!r}
print(render_card(KEY))
'''

BUILD = '''
model, example = introspect.build(KEY)  # eval mode; big models on the meta device (shapes only)
summary = introspect.summary(KEY, depth=2, model=model, inputs=example)
print(summary.text)
'''

EXAMPLE = '''
with torch.no_grad():
    output = zoo.call_model(model, example)
print("input: ", introspect.shape_text(example))
print("output:", introspect.shape_text(output))
'''

TRAIN = '''
STEPS = {steps}
plan = learn.plans_for(KEY)[0]
data = learn.load_dataset(plan.dataset, **plan.data_options)
print("data:   ", learn.dataset_info(plan.dataset).source)
print("reduced:", plan.note())


def report(event):
    if event.kind == "eval":
        print(f"step {{event.step:>4}}  " + "  ".join(f"{{name}} {{value:.4g}}" for name, value in event.metrics.items()))


trained = learn.build(plan, seed=0)
config = learn.FitConfig(**{{**plan.defaults, "max_steps": STEPS, "seed": 0}})
result = learn.fit(trained, data, config, on_event=report)
print(f"{{result.steps}} steps in {{result.seconds:.1f}} s ({{result.stopped}})")
'''

INFER_CLASSES = '''
from zoo.learn.datasets import logits_of

x, y = data.x_val[:8], data.y_val[:8]
with torch.no_grad():
    predicted = logits_of(trained(x)).argmax(1)
for p, truth in zip(predicted.tolist(), y.tolist()):
    print(f"predicted {data.classes[p]:>10}    true {data.classes[truth]}")
print(data.evaluate(trained))
'''

INFER_TEXT = '''
from zoo.learn.datasets import logits_of

ids = torch.tensor([list("The ".encode())])
with torch.no_grad():
    for _ in range(80):
        scores = logits_of(trained(ids[:, -data.seq_len:]))  # (1, T, 256): the next byte's scores at each place
        ids = torch.cat([ids, scores[:, -1].argmax(-1, keepdim=True)], dim=1)
print(repr(bytes(ids[0].tolist()).decode("utf-8", errors="replace")))
print(data.evaluate(trained))
'''

INFER_NODES = '''
from zoo.learn.datasets import logits_of

with torch.no_grad():
    predicted = logits_of(trained(data.x, data.matrix)).argmax(1)
for node in data.val_mask.nonzero().flatten()[:10].tolist():
    print(f"node {node:>3}: predicted {data.classes[predicted[node]]:<12} true {data.classes[data.y[node]]}")
print(data.evaluate(trained))
'''

INFER_EVALUATE = '''
print(data.evaluate(trained))
'''

INFERENCE = {  # dataset task → (prose key, code); other tasks: the held-out evaluation (INFER_EVALUATE)
    "image_classification": ("infer_classes", INFER_CLASSES),
    "audio_classification": ("infer_classes", INFER_CLASSES),
    "language_modelling": ("infer_text", INFER_TEXT),
    "node_classification": ("infer_nodes", INFER_NODES),
}


def make_notebook(key: str, lang: str = "en", steps: int = DEFAULT_STEPS) -> nbformat.NotebookNode:
    """The notebook of `key` with prose in `lang`. Raises KeyError for an unknown key."""
    import zoo
    from . import plans as learn_plans
    from .datasets import dataset_info

    card = zoo.card(key)
    loc = card.localized(lang)
    tx = texts(lang)
    cells = [
        new_markdown_cell(tx["title"].format(name=card.name)),
        new_markdown_cell(tx["intro"].format(key=key, task=loc.task, year=card.year, summary=loc.summary,
                                             paper=card.paper.title, url=card.paper.url)),
        new_markdown_cell(tx["install"]),
        _code(INSTALL),
        new_markdown_cell(tx["card"]),
        _code(CARD.format(key=key)),
        new_markdown_cell(tx["build"]),
        _code(BUILD),
        new_markdown_cell(tx["example"]),
        _code(EXAMPLE),
    ]
    plans = learn_plans.plans_for(key)
    if plans:
        plan = plans[0]
        prose, code = INFERENCE.get(dataset_info(plan.dataset).task, ("infer_evaluate", INFER_EVALUATE))
        cells += [
            new_markdown_cell(tx["train"].format(key=key, dataset=plan.dataset, steps=steps)),
            _code(TRAIN.format(steps=int(steps))),
            new_markdown_cell(tx[prose]),
            _code(code),
        ]
    else:
        code = learn_plans.reason_for(key)
        # a reason code this table does not know yet: the training module's own English words
        reason = tx["reasons"].get(code) or learn_plans.REASONS.get(code) or tx["reasons"]["other"]
        cells.append(new_markdown_cell(tx["not_covered"].format(key=key, reason=reason)))
    cells.append(new_markdown_cell(tx["next"].format(key=key)))
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["deepzoo"] = {"model": key, "lang": lang if lang in LANGUAGES else "en"}
    return nb


def notebook_bytes(key: str, lang: str = "en", steps: int = DEFAULT_STEPS) -> bytes:
    """The notebook as .ipynb bytes (what a download button offers)."""
    return nbformat.writes(make_notebook(key, lang, steps)).encode("utf-8")


# ---------------------------------------------------------------------------------------------------------- CLI


def _cmd_notebook(args: argparse.Namespace) -> int:
    out = Path(args.output or f"{args.key}.ipynb")
    nb = make_notebook(args.key, args.lang, args.steps)  # KeyError for an unknown key: the CLI prints it
    nbformat.validate(nb)
    out.write_text(nbformat.writes(nb), encoding="utf-8")
    print(f"wrote {out} ({len(nb.cells)} cells)")
    return 0


def add_commands(subparsers) -> None:
    p = subparsers.add_parser("notebook", help="write a Jupyter notebook that builds, trains and runs a model")
    p.add_argument("key")
    p.add_argument("-o", "--output", help="file to write (default KEY.ipynb)")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="language of the prose cells")
    p.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="training steps in the notebook")
    p.set_defaults(func=_cmd_notebook)


if __name__ == "__main__":
    from zoo.cli import main

    sys.exit(main(["notebook", *sys.argv[1:]]))
