"""`python -m zoo fit` — train a registered model on a small offline dataset from the terminal.

    python -m zoo fit lenet5 --data digits --epochs 3 --lr 3e-3 --schedule onecycle
    python -m zoo fit gpt2 --data pydoc_bytes --max-steps 300 --optimizer adamw --schedule cosine --warmup 20 --clip 1
    torchrun --standalone --nproc_per_node=2 -m zoo fit lenet5 --data digits --ddp
    python -m zoo fit lenet5 --epochs 10 --checkpoint-every 50     then, after a stop:
    python -m zoo fit lenet5 --epochs 10 --checkpoint-every 50 --resume runs/lenet5-digits/checkpoints
    python -m zoo fit-plans [KEY]          which models train on which data, what is reduced, what is not covered

Writes `<out>/<key>.safetensors` (the trained weights) and `<out>/<key>.run.json` (plan, config, curves,
metrics). Settings not given come from the model's plan (`zoo.learn.plans`), then from `FitConfig`.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from .engine import AMP_MODES, OPTIMIZERS, SCHEDULES, FitConfig

# command-line flag → FitConfig field
FLAGS = {
    "epochs": "epochs", "max_steps": "max_steps", "batch_size": "batch_size", "optimizer": "optimizer", "lr": "lr",
    "weight_decay": "weight_decay", "schedule": "schedule", "warmup": "warmup_steps", "clip": "clip_norm",
    "amp": "amp", "early_stopping": "early_stopping", "seed": "seed", "eval_every": "eval_every",
    "checkpoint_every": "checkpoint_every",
}


def add_commands(sub) -> None:
    p = sub.add_parser("fit", help="train a model on a small offline dataset (see fit-plans)")
    p.add_argument("key")
    p.add_argument("--data", help="dataset name (default: the model's first plan)")
    p.add_argument("--epochs", type=int)
    p.add_argument("--max-steps", type=int)
    p.add_argument("--batch-size", type=int, help="global batch (split over DDP processes)")
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--schedule", choices=SCHEDULES)
    p.add_argument("--warmup", type=int, help="linear warm-up steps")
    p.add_argument("--clip", type=float, help="clip the gradient norm to this")
    p.add_argument("--amp", choices=AMP_MODES)
    p.add_argument("--early-stopping", type=int, help="stop after N evaluations without improvement")
    p.add_argument("--eval-every", type=int, help="evaluate every N steps as well as after each epoch")
    p.add_argument("--seed", type=int)
    p.add_argument("--checkpoint-every", type=int, help="write a checkpoint into OUT/checkpoints every N steps")
    p.add_argument("--resume", help="continue from a checkpoint (a step-*.safetensors, or a directory: its latest)")
    p.add_argument("--batch-norm", choices=("on", "off"), help="models whose config has a batch-norm switch (VGG)")
    p.add_argument("--out", default=None, help="directory for the weights and the run JSON (default runs/KEY-DATA)")
    p.add_argument("--ddp", action="store_true", help="DistributedDataParallel (gloo); start with torchrun")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_fit)
    p = sub.add_parser("fit-plans", help="which models can train here, on which data, and what is reduced")
    p.add_argument("key", nargs="?")
    p.set_defaults(func=cmd_plans)


def config_from(args: argparse.Namespace, defaults: dict) -> FitConfig:
    """Flags given win over the plan's suggestions, which win over FitConfig's defaults."""
    values = dict(defaults)
    for flag, name in FLAGS.items():
        v = getattr(args, flag, None)
        if v is not None:
            values[name] = v
    if args.max_steps is not None and args.epochs is None:
        values["epochs"] = 10_000  # --max-steps alone: the steps decide
    known = {f.name for f in dataclasses.fields(FitConfig)}
    return FitConfig(**{k: v for k, v in values.items() if k in known})


def cmd_fit(args: argparse.Namespace) -> int:
    from . import ddp
    from .datasets import load_dataset
    from .engine import fit
    from .plans import build, plan_for
    from .runs import save_run

    try:
        plan = plan_for(args.key, args.data)
        config = config_from(args, plan.defaults)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    overrides = {}
    if args.batch_norm is not None:
        if plan.batch_norm_field is None:
            print(f"error: {args.key}'s config has no batch-norm switch", file=sys.stderr)
            return 2
        overrides[plan.batch_norm_field] = args.batch_norm == "on"
    rank, world = ddp.init() if args.ddp else (0, 1)
    main = rank == 0
    if main and not args.quiet:
        print(f"{args.key} on {plan.dataset} — reduced: {plan.note()}" + (f"; {world} processes (DDP, gloo)" if world > 1 else ""))
    data = load_dataset(plan.dataset, **plan.data_options)
    model = build(plan, config.seed, **overrides)
    out = Path(args.out or Path("runs") / f"{args.key}-{plan.dataset}")
    bar = _bar(not main or args.quiet)
    try:
        result = fit(model, data, config, on_event=bar.update if bar else None,
                     checkpoint_dir=out / "checkpoints" if config.checkpoint_every else None, resume=args.resume)
    except (ValueError, FileNotFoundError) as e:
        if args.resume is None or isinstance(e, ValueError) and "checkpoint" not in str(e):
            raise
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if bar:
            bar.close()
    if main:
        weights, meta = save_run(result, out, plan, overrides=overrides)
        if not args.quiet:
            metrics = ", ".join(f"{k} {v:.4g}" for k, v in result.final_metrics.items())
            print(f"{result.steps} steps in {result.seconds:.1f} s ({result.stopped}); held-out: {metrics}")
            print(f"wrote {weights} and {meta}")
    if args.ddp:
        ddp.shutdown()
    return 0


class _Bar:
    """A tqdm bar over optimizer steps, with the loss, lr and the last held-out metric beside it."""

    def __init__(self):
        from tqdm import tqdm

        self._tqdm = tqdm
        self.bar = None
        self.metric = ""

    def update(self, event) -> None:
        if self.bar is None:
            done = event.step - 1 if event.kind == "step" else event.step  # a resumed run starts part way
            self.bar = self._tqdm(total=event.total_steps, initial=done, unit="step", desc="fit")
        if event.kind == "step":
            self.bar.update(1)
            self.bar.set_postfix_str(f"loss {event.loss:.4f} lr {event.lr:.2e}{self.metric}", refresh=False)
        elif event.kind == "eval":
            self.metric = "".join(f" {k} {v:.4g}" for k, v in event.metrics.items() if k != "loss")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _bar(quiet: bool):
    if quiet:
        return None
    try:
        return _Bar()
    except ImportError:
        return None


def cmd_plans(args: argparse.Namespace) -> int:
    import zoo

    from .plans import REASONS, covered_models, not_covered, plans_for

    keys = [args.key] if args.key else zoo.list_models()
    covered = 0
    for key in keys:
        plans = plans_for(key)
        covered += bool(plans)
        for p in plans:
            print(f"{key:24s} {p.dataset:14s} {p.note()}")
    missing = not_covered()
    for key in keys:
        if key in missing:
            print(f"{key:24s} {'—':14s} not covered: {REASONS[missing[key]]}")
    if not args.key:
        print(f"{len(covered_models())} of {len(keys)} models can train here")
    return 0
