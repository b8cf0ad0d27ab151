"""The training loop every DeepZoo training surface shares: CLI, Train tab, Learn page, DDP.

`fit(model, data, config)` runs mini-batch training of `model` on a `TrainData` (see `zoo.learn.datasets`)
as `config` says, and reports what happens as a stream of `FitEvent`s.

Shared-server rules, and how this loop keeps them:
- no global seeding: the batch order comes from a `DistributedSampler` seeded with `config.seed` (it draws from
  a `torch.Generator` of its own, seeded `seed + epoch`), and the random draws of each forward pass (dropout,
  stochastic depth) are routed to the run's own generator with `zoo.rng.drawing_from` (per thread);
- no `torch.set_num_threads`: the caller decides the thread budget (`zoo.runtime.single_threaded()` for small
  models in a server thread);
- cancellation is cooperative: `cancel` (a `threading.Event`) is checked before every step and every
  evaluation batch, so a stop takes effect within one step.

Distributed data parallel: when `torch.distributed` is initialised, `fit` wraps the model in
`DistributedDataParallel`, gives each process its `rank`'s share of every global batch (`config.batch_size` is
the global batch, split evenly), and evaluates on rank 0 only. Because single-process runs cut batches with the
same sampler (one replica), a 2-process run sees exactly the samples of the 1-process run, step for step.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Literal

import torch
from torch.utils.data import DistributedSampler

from ..rng import drawing_from, torch_generator

OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
SCHEDULES = ("constant", "step", "cosine", "onecycle")
AMP_MODES = ("off", "bf16")  # bf16 autocast: CPU and CUDA; float16 + GradScaler is not offered (CUDA only)


@dataclass(frozen=True)
class FitConfig:
    """How to train. `epochs` passes over the training split, or fewer if `max_steps` comes first."""

    epochs: int = 3
    max_steps: int | None = None  # stop after this many optimizer steps (None: epochs decide)
    batch_size: int = 64  # global batch: under DDP each of W processes takes batch_size / W
    optimizer: str = "adam"  # one of OPTIMIZERS; "momentum" is SGD with `momentum` (and Nesterov off)
    lr: float = 1e-3  # peak learning rate (after warm-up; one-cycle's maximum)
    momentum: float = 0.9  # for "momentum"
    weight_decay: float = 0.0  # L2 for sgd/momentum/adam, decoupled for adamw
    schedule: str = "constant"  # one of SCHEDULES
    warmup_steps: int = 0  # linear warm-up from lr/100 (for onecycle: the rising phase's length)
    step_every: int = 1  # "step" schedule: multiply the lr by `gamma` every this many epochs
    gamma: float = 0.1
    clip_norm: float | None = None  # clip the global gradient norm to this (None: no clipping)
    amp: str = "off"  # one of AMP_MODES
    early_stopping: int | None = None  # stop after this many evaluations without improvement of data.metric
    min_delta: float = 0.0  # an improvement must beat the best by more than this
    eval_every: int | None = None  # evaluate every N steps too (None: after every epoch only)
    seed: int = 0
    device: str = "cpu"

    def __post_init__(self) -> None:
        checks = [
            (self.optimizer in OPTIMIZERS, f"optimizer must be one of {OPTIMIZERS}"),
            (self.schedule in SCHEDULES, f"schedule must be one of {SCHEDULES}"),
            (self.amp in AMP_MODES, f"amp must be one of {AMP_MODES}"),
            (self.epochs >= 1, "epochs must be ≥ 1"),
            (self.max_steps is None or self.max_steps >= 1, "max_steps must be ≥ 1"),
            (self.batch_size >= 1, "batch_size must be ≥ 1"),
            (self.lr > 0 and math.isfinite(self.lr), "lr must be a positive number"),
            (self.weight_decay >= 0, "weight_decay must be ≥ 0"),
            (self.warmup_steps >= 0, "warmup_steps must be ≥ 0"),
            (self.step_every >= 1, "step_every must be ≥ 1"),
            (self.clip_norm is None or self.clip_norm > 0, "clip_norm must be > 0"),
            (self.early_stopping is None or self.early_stopping >= 1, "early_stopping must be ≥ 1"),
            (self.eval_every is None or self.eval_every >= 1, "eval_every must be ≥ 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FitEvent:
    """One thing that happened. kind "step": after an optimizer step (`loss` is that batch's training loss,
    `lr` the rate it used). "eval": after an evaluation (`metrics` on the held-out split). "end": once, last."""

    kind: Literal["step", "eval", "end"]
    step: int  # optimizer steps done so far
    epoch: int  # 1-based epoch the step belongs to
    total_steps: int  # planned steps (the run may stop earlier)
    loss: float | None = None
    lr: float | None = None
    grad_norm: float | None = None  # before clipping (steps only; None when clipping is off)
    metrics: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0  # seconds since the run started
    eta: float | None = None  # estimated seconds left at the current pace
    reason: str | None = None  # "end" only: why the run stopped (see FitResult.stopped)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None and v != {}}


@dataclass
class FitResult:
    model: torch.nn.Module  # the trained model (unwrapped from DDP), in eval mode
    config: FitConfig
    steps: int
    epochs_run: int
    seconds: float
    stopped: str  # "completed", "max_steps", "early_stopping" or "cancelled"
    losses: list[float]  # training loss of every step
    lrs: list[float]  # learning rate of every step
    evals: list[dict[str, float]]  # per evaluation: {"step", "epoch", metric...}
    final_metrics: dict[str, float]
    best_metric: float | None  # best data.metric over evaluations
    data_name: str = ""
    world_size: int = 1
    train_seconds: float = 0.0  # time in training steps only (no evaluation): what throughput is measured on

    def to_json(self) -> dict[str, Any]:
        return {
            "config": self.config.to_json(),
            "data": self.data_name,
            "world_size": self.world_size,
            "steps": self.steps,
            "epochs_run": self.epochs_run,
            "seconds": round(self.seconds, 3),
            "train_seconds": round(self.train_seconds, 3),
            "stopped": self.stopped,
            "final_metrics": self.final_metrics,
            "best_metric": self.best_metric,
            "evals": self.evals,
            "losses": self.losses,
            "lrs": self.lrs,
        }


def make_optimizer(params, config: FitConfig) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, weight_decay=config.weight_decay)
    if config.optimizer == "momentum":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def make_schedule(opt: torch.optim.Optimizer, config: FitConfig, total_steps: int, steps_per_epoch: int):
    """A per-step `torch.optim.lr_scheduler` for `config.schedule`, preceded by a linear warm-up from lr/100
    over `warmup_steps` (one-cycle has its own rising phase: `warmup_steps` sets its length)."""
    sched = torch.optim.lr_scheduler
    warmup = min(config.warmup_steps, max(total_steps - 1, 0))
    if config.schedule == "onecycle":
        pct = warmup / total_steps if warmup else 0.3  # 0.3: torch's default rising share
        return sched.OneCycleLR(opt, max_lr=config.lr, total_steps=max(total_steps, 2), pct_start=min(max(pct, 1e-3), 0.99))
    rest = max(total_steps - warmup, 1)
    if config.schedule == "constant":
        main = sched.LambdaLR(opt, lambda _: 1.0)
    elif config.schedule == "step":
        main = sched.StepLR(opt, step_size=config.step_every * steps_per_epoch, gamma=config.gamma)
    else:
        main = sched.CosineAnnealingLR(opt, T_max=rest)
    if not warmup:
        return main
    rise = sched.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warmup)
    return sched.SequentialLR(opt, [rise, main], milestones=[warmup])


def _autocast(config: FitConfig):
    device_type = torch.device(config.device).type
    return torch.autocast(device_type=device_type, dtype=torch.bfloat16, enabled=config.amp == "bf16")


def _distributed() -> tuple[int, int]:
    """(rank, world size) of this process; (0, 1) without torch.distributed."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def fit(
    model: torch.nn.Module,
    data,
    config: FitConfig = FitConfig(),
    *,
    on_event: Callable[[FitEvent], None] | None = None,
    cancel: threading.Event | None = None,
) -> FitResult:
    """Train `model` on `data` (a `zoo.learn.datasets.TrainData`) as `config` says; see the module docstring.

    `on_event(event)` is called in this thread after every step, evaluation and once at the end: keep it
    cheap (append to a list, update a bar). Raises ValueError on a config that does not fit the data
    (e.g. a DDP batch that does not split evenly) and whatever the model raises on the data."""
    rank, world = _distributed()
    if config.batch_size % world:
        raise ValueError(f"batch size {config.batch_size} does not split evenly over {world} processes")
    per_rank = config.batch_size // world
    device = torch.device(config.device)
    model = model.to(device)
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model)  # averages gradients over the processes in backward
    sampler = DistributedSampler(range(len(data)), num_replicas=world, rank=rank, shuffle=True, seed=config.seed,
                                 drop_last=False)
    steps_per_epoch = max(1, math.ceil(len(sampler) / per_rank))
    total = config.epochs * steps_per_epoch
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    opt = make_optimizer([p for p in model.parameters() if p.requires_grad], config)
    schedule = make_schedule(opt, config, total, steps_per_epoch)
    draws = torch_generator(config.seed * 1_000_003 + 7919 * rank)  # dropout etc.: the run's own, per process
    emit = on_event if (on_event is not None and rank == 0) else (lambda _e: None)
    cancelled = (lambda: cancel.is_set()) if cancel is not None else (lambda: False)

    start = time.perf_counter()
    losses: list[float] = []
    lrs: list[float] = []
    evals: list[dict[str, float]] = []
    best: float | None = None
    since_best = 0
    step = 0
    epoch = 0
    stopped = "completed"
    in_steps = 0.0

    def evaluate() -> dict[str, float] | None:
        """Held-out metrics (rank 0 only; other ranks return None); None as well if cancelled meanwhile."""
        nonlocal best, since_best
        if rank != 0:
            return None
        with _autocast(config):
            metrics = data.evaluate(model, cancel=cancel)
        if metrics is None:
            return None
        metrics = {k: float(v) for k, v in metrics.items()}
        evals.append({"step": step, "epoch": epoch, **metrics})
        value = metrics[data.metric]
        better = best is None or (value > best + config.min_delta if data.higher_is_better else value < best - config.min_delta)
        if better:
            best, since_best = value, 0
        else:
            since_best += 1
        emit(FitEvent("eval", step, epoch, total, metrics=metrics, elapsed=time.perf_counter() - start))
        return metrics

    def stop_early() -> bool:
        """Every process must agree to stop, or DDP's next all-reduce would wait forever: rank 0 decides."""
        decision = config.early_stopping is not None and since_best >= config.early_stopping
        if world > 1:
            import torch.distributed as dist

            flag = torch.tensor([1 if decision else 0])
            dist.broadcast(flag, src=0)
            decision = bool(flag.item())
        return decision

    while step < total and stopped == "completed":
        epoch += 1
        sampler.set_epoch(epoch - 1)
        order = torch.tensor(list(iter(sampler)), dtype=torch.long)
        net.train()
        for i in range(0, len(order), per_rank):
            if step >= total:
                break
            if cancelled():
                stopped = "cancelled"
                break
            tick = time.perf_counter()
            batch = data.batch(order[i : i + per_rank], device=device)
            with drawing_from(draws), _autocast(config):
                loss = data.loss(net, batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            grad_norm = None
            if config.clip_norm is not None:
                grad_norm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm))
            lr = opt.param_groups[0]["lr"]
            opt.step()
            schedule.step()
            step += 1
            value = float(loss.detach())
            in_steps += time.perf_counter() - tick
            losses.append(value)
            lrs.append(lr)
            elapsed = time.perf_counter() - start
            emit(FitEvent("step", step, epoch, total, loss=value, lr=lr, grad_norm=grad_norm, elapsed=elapsed,
                          eta=elapsed / step * (total - step)))
            # every eval_every steps, except the last step of an epoch, which the epoch's own evaluation covers
            if config.eval_every and step % config.eval_every == 0 and step < total and step % steps_per_epoch:
                evaluate()
                net.train()
                if stop_early():
                    stopped = "early_stopping"
                    break
        if stopped != "completed":
            break
        if cancelled():
            stopped = "cancelled"
            break
        evaluate()
        if stop_early():
            stopped = "early_stopping"
    if stopped == "completed" and config.max_steps is not None and step >= config.max_steps and step < config.epochs * steps_per_epoch:
        stopped = "max_steps"
    model.eval()
    final = dict(evals[-1]) if evals else {}
    final.pop("step", None)
    final.pop("epoch", None)
    seconds = time.perf_counter() - start
    emit(FitEvent("end", step, epoch, total, metrics=final, elapsed=seconds, eta=0.0, reason=stopped))
    return FitResult(model=model, config=config, steps=step, epochs_run=epoch, seconds=seconds, stopped=stopped,
                     losses=losses, lrs=lrs, evals=evals, final_metrics=final, best_metric=best,
                     data_name=getattr(data, "name", ""), world_size=world, train_seconds=in_steps)
