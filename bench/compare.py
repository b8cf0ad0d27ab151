"""Benchmark: measure models on this machine the way the compare page does, and print the comparison table.

Each model runs in a worker process of its own (`zoo.measurement`): latency at batch 1 and 8 (median of the
timed runs after warm-up, threads stated) and peak memory. Figures land in the per-machine cache the compare
page and the guide read, so running this once fills their latency charts. Meta-device giants are listed with
their counted figures and not run. The machine's load is printed before and after: on a busy machine every
latency is inflated.

    python bench/compare.py --task "image classification" [--threads 1] [--csv out.csv]
    python bench/compare.py --keys lenet5,resnet50,bert_base,wavenet
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zoo  # noqa: E402
from zoo import compare, introspect  # noqa: E402
from zoo.measurement import Request, machine, measure  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group(required=True)
    which.add_argument("--keys", help="comma-separated model keys")
    which.add_argument("--task", help="every model of this task (as `python -m zoo list` names it)")
    which.add_argument("--all", action="store_true", help="every registered model (long)")
    ap.add_argument("--threads", type=int, help="torch threads per measurement (default: every usable core)")
    ap.add_argument("--csv", help="write the table as CSV here")
    args = ap.parse_args()
    keys = args.keys.split(",") if args.keys else zoo.list_models(task=args.task) if args.task else zoo.list_models()
    if not keys:
        print("no models match", file=sys.stderr)
        return 2
    print(f"{machine()} · torch threads {args.threads or 'all usable cores'} · load {os.getloadavg()[0]:.2f}", flush=True)
    t0 = time.perf_counter()

    def progress(done: int, total: int, m) -> None:
        figure = f"{m.median_ms:,.2f} ms ({m.runs} runs)" if m.ok else m.error
        print(f"[{done}/{total}] {m.key:30s} batch {m.batch}: {figure}", flush=True)

    got = measure([Request(k, compare.BATCHES, threads=args.threads) for k in keys], progress=progress)
    artifacts = {k: introspect.artifact(k) for k in keys}
    rows = compare.comparison(keys, artifacts=artifacts, measurements={(m.key, m.batch): m for m in got})
    print()
    for r in rows:
        macs = f"{r.macs / 1e6:,.1f}M MACs at {r.macs_input}" if r.macs is not None else "MACs —"
        b1 = f"{r.latency_b1_ms:10,.2f} ms" if r.latency_b1_ms is not None else f"{'—':>13s}"
        b8 = f"{r.latency_b8_ms:10,.2f} ms" if r.latency_b8_ms is not None else f"{'—':>13s}"
        peak = f"{r.peak_mb:8,.1f} MB" if r.peak_mb is not None else f"{'—':>11s}"
        print(f"{r.key:30s} b1 {b1}  b8 {b8}  peak {peak}  {macs}  {r.measure_note}")
    print(f"\n{len(keys)} models in {time.perf_counter() - t0:,.0f} s; load now {os.getloadavg()[0]:.2f}")
    if args.csv:
        Path(args.csv).write_text(compare.to_csv(rows), encoding="utf-8")
        print(f"CSV written to {args.csv}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
