"""DistributedDataParallel on gloo: 2 processes on this machine (torchrun, offline) end with the parameters of a
single-process run on the same global batch, within float tolerance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from zoo import cli

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["fit", "lenet5", "--data", "digits", "--max-steps", "6", "--batch-size", "32", "--seed", "3", "--quiet"]


def torchrun() -> list[str]:
    exe = shutil.which("torchrun")
    return [exe] if exe else [sys.executable, "-m", "torch.distributed.run"]


@pytest.mark.timeout(300)
def test_two_processes_equal_one(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    cmd = [*torchrun(), "--standalone", "--nproc_per_node=2", "-m", "zoo", *ARGS, "--ddp", "--out", str(tmp_path / "ddp")]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stderr[-3000:]
    assert cli.main([*ARGS, "--out", str(tmp_path / "one")]) == 0

    two, one = load_file(tmp_path / "ddp" / "lenet5.safetensors"), load_file(tmp_path / "one" / "lenet5.safetensors")
    assert two.keys() == one.keys()
    start = load_file_from_init()
    moved = max(float((one[k] - start[k]).abs().max()) for k in one)
    assert moved > 1e-3  # six steps changed the weights: the comparison below means something
    for k in one:
        torch.testing.assert_close(two[k], one[k], rtol=1e-4, atol=1e-5, msg=k)
    run = json.loads((tmp_path / "ddp" / "lenet5.run.json").read_text())
    assert run["world_size"] == 2 and run["steps"] == 6 and run["config"]["batch_size"] == 32


def load_file_from_init() -> dict[str, torch.Tensor]:
    from zoo import learn

    return learn.build(learn.plans_for("lenet5")[0], 3).state_dict()
