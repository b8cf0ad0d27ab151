"""Benchmark: one eval forward pass of every registered model on its own example input, on this machine.

The catalogue asks that example inputs stay cheap on a 2-core CPU ("well under a second" for models under
100M parameters): the model page, the introspection build and the test suite all run them. Models that are
built on the `meta` device (card.big) are skipped: they never run real arithmetic here.

Prints the median of --runs after one warm-up, per model, with the torch thread count stated, and lists the
models over --limit seconds.

    python bench/forward.py [--runs 3] [--limit 1.0] [--domain vision] [--keys a,b,c]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zoo  # noqa: E402
from zoo import introspect  # noqa: E402


def forward_seconds(key: str, runs: int) -> float:
    model, inputs = introspect.build(key)
    times = []
    with torch.inference_mode():
        for _ in range(runs + 1):  # the first is a warm-up (allocator, oneDNN primitive caches)
            t0 = time.perf_counter()
            zoo.call_model(model, inputs)
            times.append(time.perf_counter() - t0)
    return statistics.median(times[1:])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--limit", type=float, default=1.0, help="flag models under 100M parameters slower than this")
    ap.add_argument("--domain")
    ap.add_argument("--keys", help="comma-separated keys (default: every model)")
    args = ap.parse_args()
    keys = args.keys.split(",") if args.keys else zoo.list_models(domain=args.domain)
    print(f"eval forward on the example input, median of {args.runs}, torch threads {torch.get_num_threads()}")
    slow = []
    for key in keys:
        card = zoo.card(key)
        if card.big:
            print(f"{key:34s} {'meta':>9s}  {card.params.value / 1e6:9.1f}M params (not run)")
            continue
        s = forward_seconds(key, args.runs)
        flag = "  SLOW" if s > args.limit and card.params.value < 100e6 else ""
        print(f"{key:34s} {s:8.3f}s  {card.params.value / 1e6:9.1f}M params{flag}", flush=True)
        if flag:
            slow.append(key)
    print(f"\n{len(slow)} model(s) under 100M parameters over {args.limit:g} s: {', '.join(slow) or '—'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
