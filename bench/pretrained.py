"""Benchmark: how fast pretrained sources fail offline, and how long loading takes.

Prints a table:
- a hub id that is not cached, with HF_HUB_OFFLINE=1 (no network call at all) and without it (the cache is
  looked up, then one bounded probe of the Hub's host decides "offline");
- the bare huggingface_hub call the loader avoids (`hf_hub_download` of an uncached file, offline env unset),
  for comparison;
- loading folders written by `transformers.save_pretrained` (tiny BERT, GPT-2) and a torchvision-layout file
  of ResNet-18 at full size, end to end through `zoo.create_model(key, weights=...)`.

    python bench/pretrained.py [--skip-bare-hub]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

import zoo  # noqa: E402
from zoo.pretrained import PretrainedUnavailable, reverse, sources  # noqa: E402


def timed(fn) -> tuple[float, str]:
    t0 = time.perf_counter()
    try:
        fn()
        outcome = "loaded"
    except Exception as e:  # the figure is the point; the outcome column says what happened
        outcome = f"{type(e).__name__}"
    return time.perf_counter() - t0, outcome


def offline_rows() -> list[tuple[str, float, str]]:
    rows = []
    missing = "hf://deepzoo-bench/never-cached"
    zoo.list_models()  # import every family first: the rows time the source handling, not the registry
    os.environ["HF_HUB_OFFLINE"] = "1"
    rows.append(("uncached hub id, HF_HUB_OFFLINE=1", *timed(lambda: zoo.create_model("bert_base", weights=missing))))
    del os.environ["HF_HUB_OFFLINE"]
    sources._probe = None  # a cold probe
    rows.append((f"uncached hub id, offline env unset (probe of {sources._hub_host()})", *timed(lambda: zoo.create_model("bert_base", weights=missing))))
    rows.append(("same again (probe answer kept 60 s)", *timed(lambda: zoo.create_model("bert_base", weights=missing))))
    return rows


def bare_hub_row() -> tuple[str, float, str]:
    """In a fresh process: huggingface_hub reads HF_HUB_OFFLINE once, at import."""
    import subprocess

    code = (
        "import time; from huggingface_hub import hf_hub_download\n"
        "t0 = time.perf_counter()\n"
        "try:\n    hf_hub_download('deepzoo-bench/never-cached', 'config.json'); out = 'loaded'\n"
        "except Exception as e:\n    out = type(e).__name__\n"
        "print(f'{time.perf_counter() - t0:.3f} {out}')"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    seconds, outcome = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.split()
    return ("bare hf_hub_download, offline env unset (fresh process)", float(seconds), outcome)


def load_rows(tmp: Path) -> list[tuple[str, float, str]]:
    import transformers as T

    rows = []
    small = dict(vocab_size=1000, hidden_size=128, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256)
    T.BertModel(T.BertConfig(**small)).save_pretrained(tmp / "bert")
    rows.append(("tiny BERT folder (config.json + safetensors)", *timed(lambda: zoo.create_model("bert_base", weights=str(tmp / "bert")))))
    T.GPT2LMHeadModel(T.GPT2Config(vocab_size=1000, n_layer=2, n_embd=128, n_head=4)).save_pretrained(tmp / "gpt2", max_shard_size="200KB")
    rows.append(("tiny GPT-2, sharded folder", *timed(lambda: zoo.create_model("gpt2", weights=str(tmp / "gpt2")))))
    model = zoo.create_model("resnet18")
    layout = next(lay for lay in zoo.pretrained.layouts("resnet18") if lay.name == "torchvision")
    torch.save(reverse(model, layout.key_map(model)), tmp / "resnet18.pth")
    rows.append(("ResNet-18 torchvision .pth (11.7M params)", *timed(lambda: zoo.create_model("resnet18", weights=str(tmp / "resnet18.pth")))))
    return rows


def main() -> int:
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    rows = offline_rows()
    if "--skip-bare-hub" not in sys.argv:
        rows.append(bare_hub_row())
    with tempfile.TemporaryDirectory() as d:
        rows += load_rows(Path(d))
    print("\n| case | seconds | outcome |\n| --- | ---: | --- |")
    for name, seconds, outcome in rows:
        print(f"| {name} | {seconds:.3f} | {outcome} |")
    assert PretrainedUnavailable  # the offline rows above end in this error
    return 0


if __name__ == "__main__":
    sys.exit(main())
