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

Two more ways to drive a run:
- `fit_events(...)` is the same loop as a generator of events (a notebook's `for event in …`, a server that
  streams): `fit` is that generator driven to its end, calling `on_event` for each event.
- checkpoints: with `config.checkpoint_every` and `checkpoint_dir`, rank 0 writes the weights (safetensors) and
  the optimizer state, the dropout generator and the curves so far (a `weights_only` file) every N steps, after
  each epoch on such a step, and when the run stops early. `resume=` continues from one: the batch order and
  the schedule are functions of the seed and the step, so a run resumed at step k ends where the uninterrupted
  run ends. (Under DDP each process restores rank 0's dropout generator; datasets with state of their own —
  environments, replay buffers — start that state afresh.)
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Generator, Literal

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
    checkpoint_every: int | None = None  # write a checkpoint every N steps and at the end (fit's checkpoint_dir)
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
            (self.checkpoint_every is None or self.checkpoint_every >= 1, "checkpoint_every must be ≥ 1"),
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
    checkpoint_dir: str | Path | None = None,
    resume: str | Path | None = None,
) -> FitResult:
    """Train `model` on `data` (a `zoo.learn.datasets.TrainData`) as `config` says; see the module docstring.

    `on_event(event)` is called in this thread after every step, evaluation and once at the end: keep it
    cheap (append to a list, update a bar). Raises ValueError on a config that does not fit the data
    (e.g. a DDP batch that does not split evenly) and whatever the model raises on the data.

    `checkpoint_dir`: with `config.checkpoint_every`, a checkpoint is written there every that many steps and
    at the end (rank 0 only); `resume`: a checkpoint file (or a directory: its latest) to continue from."""
    run = fit_events(model, data, config, cancel=cancel, checkpoint_dir=checkpoint_dir, resume=resume)
    while True:
        try:
            event = next(run)
        except StopIteration as done:
            return done.value
        if on_event is not None:
            on_event(event)


def fit_events(
    model: torch.nn.Module,
    data,
    config: FitConfig = FitConfig(),
    *,
    cancel: threading.Event | None = None,
    checkpoint_dir: str | Path | None = None,
    resume: str | Path | None = None,
) -> Generator[FitEvent, None, FitResult]:
    """`fit` as a generator: yields each `FitEvent` as it happens (rank 0 only) and returns the `FitResult`
    (`StopIteration.value`; `fit` is this generator driven to its end). Training advances only while the
    caller asks for the next event, so a loop that stops asking pauses the run, and `close()` ends it.

        for event in learn.fit_events(model, data, config):
            if event.kind == "eval":
                print(event.step, event.metrics)
    """
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
    cancelled = (lambda: cancel.is_set()) if cancel is not None else (lambda: False)
    main = rank == 0
    begin = getattr(data, "begin", None)
    if begin is not None:
        begin(config.seed, rank)

    start = time.perf_counter()
    h = _History()
    if resume is not None:
        h = _restore(resume, model, opt, schedule, draws, config)
    step, epoch = h.step, h.epoch
    # a checkpoint inside epoch `epoch` resumes it after the batches already done; one at its end starts the next
    skip = step - (epoch - 1) * steps_per_epoch if step else 0
    if skip >= steps_per_epoch:
        skip = 0
    stopped = "completed"
    in_steps = 0.0
    every = config.checkpoint_every if checkpoint_dir is not None else None

    def evaluate() -> FitEvent | None:
        """Held-out metrics as an event (rank 0 only; other ranks None); None as well if cancelled meanwhile."""
        if not main:
            return None
        with _autocast(config):
            metrics = data.evaluate(model, cancel=cancel)
        if metrics is None:
            return None
        metrics = {k: float(v) for k, v in metrics.items()}
        h.evals.append({"step": step, "epoch": epoch, **metrics})
        value = metrics[data.metric]
        better = h.best is None or (value > h.best + config.min_delta if data.higher_is_better else value < h.best - config.min_delta)
        if better:
            h.best, h.since_best = value, 0
        else:
            h.since_best += 1
        return FitEvent("eval", step, epoch, total, metrics=metrics, elapsed=time.perf_counter() - start)

    def stop_early() -> bool:
        """Every process must agree to stop, or DDP's next all-reduce would wait forever: rank 0 decides."""
        decision = config.early_stopping is not None and h.since_best >= config.early_stopping
        if world > 1:
            import torch.distributed as dist

            flag = torch.tensor([1 if decision else 0])
            dist.broadcast(flag, src=0)
            decision = bool(flag.item())
        return decision

    def save() -> None:
        if main:
            h.step, h.epoch = step, epoch
            _save_checkpoint(Path(checkpoint_dir), model, opt, draws, h, config)

    while step < total and stopped == "completed":
        if not skip:
            epoch += 1
        sampler.set_epoch(epoch - 1)
        order = torch.tensor(list(iter(sampler)), dtype=torch.long)
        net.train()
        for i in range(skip * per_rank, len(order), per_rank):
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
            h.losses.append(value)
            h.lrs.append(lr)
            elapsed = time.perf_counter() - start
            if main:
                yield FitEvent("step", step, epoch, total, loss=value, lr=lr, grad_norm=grad_norm, elapsed=elapsed,
                               eta=elapsed / max(step - h.resumed_at, 1) * (total - step))
            # every eval_every steps, except the last step of an epoch, which the epoch's own evaluation covers
            if config.eval_every and step % config.eval_every == 0 and step < total and step % steps_per_epoch:
                event = evaluate()
                if event is not None:
                    yield event
                net.train()
                if stop_early():
                    stopped = "early_stopping"
                    break
            if every and step % every == 0 and step < total and step % steps_per_epoch:
                save()  # inside an epoch (an epoch's last step is saved after its evaluation)
        skip = 0
        if stopped != "completed":
            break
        if cancelled():
            stopped = "cancelled"
            break
        event = evaluate()
        if event is not None:
            yield event
        if every and (step % every == 0 or step >= total):
            save()
        if stop_early():
            stopped = "early_stopping"
    if stopped == "completed" and config.max_steps is not None and step >= config.max_steps and step < config.epochs * steps_per_epoch:
        stopped = "max_steps"
    if every and stopped != "completed" and (not h.saved_at or h.saved_at != step):
        save()  # the last step done, whatever ended the run
    model.eval()
    final = dict(h.evals[-1]) if h.evals else {}
    final.pop("step", None)
    final.pop("epoch", None)
    seconds = time.perf_counter() - start
    if main:
        yield FitEvent("end", step, epoch, total, metrics=final, elapsed=seconds, eta=0.0, reason=stopped)
    return FitResult(model=model, config=config, steps=step, epochs_run=epoch, seconds=seconds, stopped=stopped,
                     losses=h.losses, lrs=h.lrs, evals=h.evals, final_metrics=final, best_metric=h.best,
                     data_name=getattr(data, "name", ""), world_size=world, train_seconds=in_steps)


# ------------------------------------------------------------------------------------------------- checkpoints


@dataclass
class _History:
    """What a run has done so far, beyond the weights: what a checkpoint keeps so that a resumed run goes on
    with the same curves, the same best metric and the same patience left."""

    step: int = 0
    epoch: int = 0  # epochs completed, or begun if `step` is inside one
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)
    best: float | None = None
    since_best: int = 0
    resumed_at: int = 0  # the step this process started from (for the time-left estimate)
    saved_at: int = 0


CHECKPOINT_FORMAT = 1


def _save_checkpoint(directory: Path, model, opt, draws: torch.Generator, h: _History, config: FitConfig) -> Path:
    """`step-NNNNNN.safetensors` (the weights, loadable alone) and `step-NNNNNN.state.pt` (optimizer state,
    the dropout generator, the history): only tensors, numbers, strings, lists and dicts, so that
    `torch.load(weights_only=True)` reads it back."""
    from .runs import state_bytes

    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"step-{h.step:06d}"
    Path(f"{stem}.safetensors").write_bytes(state_bytes(model))
    torch.save({"format": CHECKPOINT_FORMAT, "config": config.to_json(), "optimizer": opt.state_dict(),
                "draws": draws.get_state(), "step": h.step, "epoch": h.epoch, "losses": h.losses, "lrs": h.lrs,
                "evals": h.evals, "best": h.best, "since_best": h.since_best}, f"{stem}.state.pt")
    h.saved_at = h.step
    return Path(f"{stem}.safetensors")


def latest_checkpoint(path: str | Path) -> Path:
    """The `.safetensors` of the latest checkpoint in a directory (or the file itself)."""
    path = Path(path)
    if path.is_dir():
        found = sorted(path.glob("step-*.safetensors"))
        if not found:
            raise FileNotFoundError(f"no checkpoint (step-*.safetensors) in {path}")
        return found[-1]
    if not (path.is_file() and Path(str(path).removesuffix(".safetensors") + ".state.pt").is_file()):
        raise FileNotFoundError(f"no checkpoint at {path}: give a step-*.safetensors written with its .state.pt, "
                                "or the directory that holds them")
    return path


def _restore(path, model, opt, schedule, draws: torch.Generator, config: FitConfig) -> _History:
    """Load a checkpoint into the model, optimizer and generator, and replay the schedule to its step."""
    from safetensors.torch import load_file

    weights = latest_checkpoint(path)
    state = torch.load(str(weights).removesuffix(".safetensors") + ".state.pt", weights_only=True)
    if state.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{weights} is not a checkpoint this version can resume")
    saved = {k: v for k, v in state["config"].items() if k not in RESUMABLE_CHANGES}
    now = {k: v for k, v in config.to_json().items() if k not in RESUMABLE_CHANGES}
    if saved != now:
        differ = sorted(k for k in now if saved.get(k) != now[k])
        raise ValueError(f"the checkpoint was made with other settings ({', '.join(differ)}); resume with the same ones")
    model.load_state_dict(load_file(str(weights)))
    opt.load_state_dict(state["optimizer"])
    draws.set_state(state["draws"])
    # schedules are functions of the step: replaying them is exact and cheap (SequentialLR's own state_dict does
    # not restore the rate of the schedule it is in). The optimizer did step, in the run that saved this: tell
    # torch's check for "scheduler stepped before the optimizer", which looks at this flag, so it does not warn
    opt._opt_called = True
    for _ in range(state["step"]):
        schedule.step()
    return _History(step=state["step"], epoch=state["epoch"], losses=list(state["losses"]), lrs=list(state["lrs"]),
                    evals=list(state["evals"]), best=state["best"], since_best=state["since_best"],
                    resumed_at=state["step"], saved_at=state["step"])


RESUMABLE_CHANGES = ("checkpoint_every", "early_stopping", "min_delta", "eval_every", "device")
