"""`python -m zoo` — the registry from the terminal.

    python -m zoo list [--domain D] [--query WORDS]
    python -m zoo show KEY [--depth N]        card + layer summary
    python -m zoo graph KEY [--depth N]       Graphviz DOT on stdout
    python -m zoo introspect KEY ... | --all  build the cached introspection artifacts the app serves
"""

from __future__ import annotations

import argparse
import sys
import textwrap

from . import DOMAINS, card, list_models
from .catalog import human_count


def _cmd_list(args: argparse.Namespace) -> int:
    keys = list_models(domain=args.domain, query=args.query)
    width = max((len(k) for k in keys), default=0)
    for domain in DOMAINS:
        in_domain = [k for k in keys if card(k).domain == domain]
        if not in_domain:
            continue
        print(f"{domain} ({len(in_domain)})")
        for k in in_domain:
            c = card(k)
            print(f"  {k:<{width}}  {c.name} — {c.task}, {c.year}, {human_count(c.params.value)} params")
    print(f"{len(keys)} models")
    return 0


def render_card(key: str) -> str:
    c = card(key)
    approx = "≈" if c.params.approx else ""
    lines = [
        f"{c.name}  [{c.key}]",
        f"  family: {c.family}   domain: {c.domain}   task: {c.task}   level: {c.level}   year: {c.year}",
        f"  paper: {c.paper.title}  {c.paper.url}",
        f"  published params: {approx}{c.params.value:,.0f}  ({c.params.source})",
    ]
    if c.metric:
        m = c.metric
        lines.append(f"  published {m.name}: {m.value}{m.unit} on {m.dataset}  ({m.source})")
    lines += [f"  input: {c.input}", f"  output: {c.output}"]
    if c.config_note:
        lines.append(f"  config: {c.config_note}")
    lines.append("")
    lines += textwrap.wrap(c.summary, 100, initial_indent="  ", subsequent_indent="  ")
    for title, items in (("scenarios", c.scenarios), ("strengths", c.strengths), ("weaknesses", c.weaknesses)):
        lines.append(f"  {title}:")
        lines += [f"    - {s}" for s in items]
    return "\n".join(lines)


def _cmd_show(args: argparse.Namespace) -> int:
    from . import introspect

    print(render_card(args.key))
    s = introspect.summary(args.key, depth=args.depth)
    print()
    print(s.text)
    p = s.params
    print(f"Parameters: {p.unique:,} unique ({p.trainable:,} trainable, {p.tied:,} tied), device {s.device}")
    print(f"FLOPs (forward, example input, incl. attention): {s.flops:,} = 2 × {s.macs:,} MACs")
    return 0


def _cmd_introspect(args: argparse.Namespace) -> int:
    """Build artifacts one model after another in this process (nothing else runs here, so torchview's
    process-wide patches harm no one). A model that fails gets an error artifact; the rest go on."""
    from . import introspect

    keys = list_models() if args.all else args.keys
    if not keys:
        print("error: name models or pass --all", file=sys.stderr)
        return 2
    for k in keys:
        card(k)  # unknown keys fail before any work
    if args.jobs > 1:
        return _introspect_in_parallel(keys, args)
    failed = 0
    bar = _progress(keys, quiet=args.quiet)
    for k in bar:
        if not args.force and introspect.load(k) is not None:
            if args.report:
                print(f"built {k}", flush=True)
            continue
        try:
            data = introspect.build_artifact(k)
        except Exception as e:  # noqa: BLE001 — stored as this model's error, shown on its page
            failed += 1
            data = introspect.error_artifact(k, f"{type(e).__name__}: {e}")
            print(f"{k}: {data['error']}", file=sys.stderr)
        introspect.save(k, data)
        if args.report:  # the server's worker answers this model's waiters now
            print(f"built {k}", flush=True)
    if not args.quiet:
        print(f"{len(keys)} artifacts in {introspect.cache_dir()} ({failed} failed)")
    return 1 if failed else 0


def _introspect_in_parallel(keys: list[str], args: argparse.Namespace) -> int:
    """Split the models round-robin over `--jobs` child processes of this same command."""
    import subprocess

    flags = [f for f, on in (("--force", args.force), ("--quiet", True)) if on]
    chunks = [keys[i :: args.jobs] for i in range(args.jobs)]
    procs = [subprocess.Popen([sys.executable, "-m", "zoo", "introspect", *chunk, *flags]) for chunk in chunks if chunk]
    codes = [p.wait() for p in procs]
    if not args.quiet:
        print(f"{len(keys)} artifacts in {len(procs)} processes ({sum(c != 0 for c in codes)} with failures)")
    return max(codes)


def _progress(keys: list[str], quiet: bool):
    if quiet:
        return keys
    try:
        from tqdm import tqdm
    except ImportError:
        return keys
    return tqdm(keys, desc="introspect", unit="model")


def _cmd_graph(args: argparse.Namespace) -> int:
    from . import introspect

    sys.stdout.write(introspect.graph_dot(args.key, depth=args.depth))
    return 0


# Commands that live beside the feature they drive: each module has `add_commands(subparsers)`, which adds
# its sub-commands with `set_defaults(func=...)`. Imported only when the CLI runs, so `import zoo` stays light.
COMMAND_MODULES: tuple[str, ...] = ("zoo.compress", "zoo.space", "zoo.compare", "zoo.learn.notebook", "zoo.learn.tips", "zoo.learn.cli")


def main(argv: list[str] | None = None) -> int:
    import importlib

    parser = argparse.ArgumentParser(prog="python -m zoo", description="DeepZoo model registry")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("list", help="list registered models")
    p.add_argument("--domain", choices=DOMAINS)
    p.add_argument("--query", help="free-text filter over names, tasks and summaries")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("show", help="card and layer summary of one model")
    p.add_argument("key")
    p.add_argument("--depth", type=int, default=3)
    p.set_defaults(func=_cmd_show)
    p = sub.add_parser("graph", help="architecture graph as Graphviz DOT")
    p.add_argument("key")
    p.add_argument("--depth", type=int, default=2)
    p.set_defaults(func=_cmd_graph)
    p = sub.add_parser("introspect", help="build the cached introspection artifacts (graphs, summaries)")
    p.add_argument("keys", nargs="*")
    p.add_argument("--all", action="store_true", help="every registered model")
    p.add_argument("--force", action="store_true", help="rebuild even if a current artifact exists")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--jobs", type=int, default=1, help="build in this many processes at once")
    p.add_argument("--report", action="store_true", help=argparse.SUPPRESS)  # "built KEY" lines for the worker
    p.set_defaults(func=_cmd_introspect)
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_commands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
