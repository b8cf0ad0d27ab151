"""Benchmark: training throughput of one process against two DDP processes (gloo) on this machine.

Trains the same model on the same data for --steps optimizer steps of one global batch, three ways:
1 process on 1 intra-op thread, 1 process on every core (torch's default), and 2 processes under torchrun
with DistributedDataParallel (1 thread each, torchrun's default). Throughput is training samples per second
over the training steps only (evaluation excluded), from each run's JSON. The table states the machine's
load average before and after, since other work on the machine skews every figure.

    python bench/ddp.py [--key resnet18] [--data digits] [--steps 40] [--batch-size 64]

Writes assets/learn/ddp.json (committed; the Learn page shows it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "assets" / "learn" / "ddp.json"  # committed: the Learn page shows it


def run(setup: str, cmd: list[str], env: dict[str, str], out: Path) -> dict:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{setup} failed:\n{done.stderr[-2000:]}")
    info = json.loads(next(out.glob("*.run.json")).read_text())
    samples = info["steps"] * info["config"]["batch_size"]
    return {"setup": setup, "processes": info["world_size"], "steps": info["steps"],
            "train_seconds": info["train_seconds"], "samples_per_second": round(samples / info["train_seconds"], 1),
            "wall_seconds": round(wall, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--key", default="resnet18")
    ap.add_argument("--data", default="digits")
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    fit = ["fit", args.key, "--data", args.data, "--max-steps", str(args.steps), "--batch-size", str(args.batch_size),
           "--schedule", "constant", "--quiet"]
    torchrun = [shutil.which("torchrun") or sys.executable, *([] if shutil.which("torchrun") else ["-m", "torch.distributed.run"])]
    cores = len(os.sched_getaffinity(0))
    base = {**os.environ, "PYTHONPATH": str(ROOT)}
    base.pop("OMP_NUM_THREADS", None)
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        setups = [
            ("1 process, 1 thread", [sys.executable, "-m", "zoo"], {"OMP_NUM_THREADS": "1"}, []),
            (f"1 process, {cores} threads", [sys.executable, "-m", "zoo"], {"OMP_NUM_THREADS": str(cores)}, []),
            ("2 processes (DDP), 1 thread each", [*torchrun, "--standalone", "--nproc_per_node=2", "-m", "zoo"],
             {"OMP_NUM_THREADS": "1"}, ["--ddp"]),
        ]
        for i, (setup, launcher, env, extra) in enumerate(setups):
            out = Path(tmp) / str(i)
            rows.append(run(setup, [*launcher, *fit, *extra, "--out", str(out)], {**base, **env}, out))
            print(f"{setup:34s} {rows[-1]['samples_per_second']:8.1f} samples/s  ({rows[-1]['train_seconds']:.1f} s "
                  f"for {rows[-1]['steps']} steps)", flush=True)
    load_after = os.getloadavg()[0]
    result = {"model": args.key, "data": args.data, "batch_size": args.batch_size, "steps": args.steps,
              "cores": cores, "load_before": round(load_before, 2), "load_after": round(load_after, 2),
              "torch": __import__("torch").__version__, "measured": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
              "rows": rows}
    print(f"\n{args.key} on {args.data}, global batch {args.batch_size}, {cores} cores; "
          f"load average {load_before:.2f} before, {load_after:.2f} after")
    print(f"{'setup':34s} {'samples/s':>10s} {'vs 1 thread':>12s}")
    for r in rows:
        print(f"{r['setup']:34s} {r['samples_per_second']:10.1f} {r['samples_per_second'] / rows[0]['samples_per_second']:11.2f}×")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1))
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
