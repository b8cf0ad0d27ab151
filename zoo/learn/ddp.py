"""DistributedDataParallel on CPU: several processes train one model, each on its share of every batch.

    torchrun --standalone --nproc_per_node=2 -m zoo fit lenet5 --data digits --ddp --epochs 3

`torchrun` starts the processes and gives each its RANK, WORLD_SIZE and a local rendezvous (nothing leaves the
machine: `--standalone` uses a TCP store on localhost). `init()` joins the process group on the gloo backend
(CPU); `zoo.learn.fit` then sees `torch.distributed` initialised and wraps the model in
`DistributedDataParallel`, which all-reduces (averages) the gradients of every step, so each process applies
the same update. The global batch (`--batch-size`) is split evenly: with the same seed, 2 processes make the
same steps as 1 process with the whole batch (checked by tests/test_ddp.py within float tolerance).

Only rank 0 logs, evaluates and writes files. When does it help? When one process cannot use the cores on its
own: each process here runs one intra-op thread (torchrun sets OMP_NUM_THREADS=1), so 2 processes on 2 cores
can beat 1 process on 1 thread; against 1 process that already uses both cores, DDP on one machine mostly adds
the all-reduce. `bench/ddp.py` measures it.
"""

from __future__ import annotations

import os

import torch.distributed as dist

__all__ = ["init", "is_main", "launched_by_torchrun", "shutdown"]


def launched_by_torchrun() -> bool:
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def init(backend: str = "gloo") -> tuple[int, int]:
    """Join the process group torchrun set up; returns (rank, world size). Raises RuntimeError when the
    process was not started by torchrun (no RANK/WORLD_SIZE in the environment)."""
    if not launched_by_torchrun():
        raise RuntimeError("--ddp needs torchrun: torchrun --standalone --nproc_per_node=2 -m zoo fit KEY --ddp ...")
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def is_main() -> bool:
    return not dist.is_initialized() or dist.get_rank() == 0


def shutdown() -> None:
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
