"""Models side by side, and a "which model for my job" guide: pure functions over the registry's cards, the
introspection artifacts and the measured figures (`zoo.measurement`).

Nothing here measures, traces or reads the disk: the caller hands in the artifacts (`zoo.introspect`) and the
measurements it has, so the same functions serve the compare page, `python -m zoo compare` and the tests (on
a fixed subset of the registry, with figures they choose).

    rows = comparison(["resnet50", "lenet5"], artifacts={...}, measurements={("resnet50", 1): m, ...})
    to_csv(rows)
    guide(GuideQuery(task="image classification", max_params_m=10, priority="speed"), artifacts=..., latency=...)

Figures and their sources, stated once:
- parameters: the card's published figure (with its source); "counted" is the artifact's unique parameters;
- MACs: the artifact's count for one forward pass on the example input it names (e.g. "1×3×224×224");
- memory: the artifact's estimate for that pass (weights + buffers + input + every activation, none freed);
- weights file: the artifact's bytes of unique parameters (float32 safetensors hold that much, plus a header),
  or the published count × 4 bytes where no artifact was handed in;
- latency and peak memory: measured on this machine in a worker process (`zoo.measurement`), threads stated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable, Mapping

from .card import Metric, ModelCard
from .catalog import human_count
from .measurement import Measurement
from .registry import card, list_models

__all__ = [
    "BATCHES", "PRESETS", "PRIORITIES", "Analytic", "Choice", "Exclusion", "GuideQuery", "GuideResult", "MetricGroup",
    "Point", "Row", "analytic", "comparison", "guide", "higher_is_better", "metric_groups", "pareto_front", "reason",
    "table_text", "tasks", "to_csv",
]

BATCHES = (1, 8)  # the batch sizes the comparison measures
MIN_MODELS, MAX_MODELS = 2, 6  # a comparison names this many models
# The source material's comparison table (scenario, strengths, weaknesses of four landmark models).
PRESETS: dict[str, tuple[str, ...]] = {"landmarks": ("lenet5", "resnet50", "bert_base", "wavenet")}
PRIORITIES = ("accuracy", "speed", "size")
# Guide input sizes: an image side in pixels, or a sequence length in tokens
MIN_INPUT_SIZE, MAX_INPUT_SIZE = 8, 1024

# metrics where a smaller number is better (matched against the metric's name and unit, lower case)
_LOWER_IS_BETTER = ("error", "wer", "fid", "perplexity", "ppl", "negative log-likelihood", "bits", "bpc", "nats")


# ----------------------------------------------------------------------------- analytic figures


@dataclass(frozen=True)
class Analytic:
    """What the introspection artifact says about one forward pass on the example input."""

    params: int  # unique parameters counted in the built model
    macs: int
    example_input: str
    memory_bytes: int  # weights + buffers + input + activations
    weight_bytes: int  # unique parameters, as stored
    device: str  # "cpu", or "meta" for the giants


def analytic(artifact: Mapping | None) -> Analytic | None:
    """The figures of an artifact, or None when there is none (not built yet, or the model failed)."""
    if not artifact or "error" in artifact or "summary" not in artifact:
        return None
    s = artifact["summary"]
    return Analytic(params=int(s["params"]["unique"]), macs=int(s["macs"]), example_input=artifact.get("example_input", ""),
                    memory_bytes=int(s["memory"]["total"]), weight_bytes=int(s["memory"]["params"]),
                    device=artifact.get("device", s.get("device", "cpu")))


# ----------------------------------------------------------------------------- the comparison table


@dataclass(frozen=True)
class Row:
    """One model of a comparison: every column of the table and of the CSV."""

    key: str
    name: str
    domain: str
    task: str  # in the asked language
    year: int
    params_published: float
    params_source: str
    params_counted: int | None
    macs: int | None
    macs_input: str  # the input the MACs are counted at
    memory_mb: float | None  # analytic estimate of one forward pass
    metric: str  # "top-1 accuracy 76.13% (ImageNet-1k val)", or ""
    metric_source: str
    runnable: bool
    latency_b1_ms: float | None
    latency_b8_ms: float | None
    runs_b1: int
    runs_b8: int
    threads: int | None
    peak_mb: float | None  # measured, batch 1
    load: float | None  # 1-minute load average when measured
    status: str  # "measured", "partial" (a batch not applicable), "failed", "unmeasured" or "not_runnable"
    measure_note: str  # why a figure is missing ("not measured yet", "batch 8 not applicable: ...")
    scenarios: tuple[str, ...]
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    paper_url: str
    page: str  # the model's page, relative to the app's root

    def csv_dict(self) -> dict:
        d = asdict(self)
        for k in ("scenarios", "strengths", "weaknesses"):
            d[k] = " | ".join(d[k])
        return d


def metric_text(m: Metric | None) -> str:
    if m is None:
        return ""
    unit = m.unit if m.unit in ("%", "") else f" {m.unit}"
    return f"{m.name} {m.value:g}{unit} ({m.dataset})"


def comparison(
    keys: Iterable[str],
    lang: str = "en",
    artifacts: Mapping[str, Mapping | None] | None = None,
    measurements: Mapping[tuple[str, int], Measurement] | None = None,
) -> list[Row]:
    """One row per model, in the order given. Missing artifacts or measurements leave their cells empty
    (`measure_note` says why), never guessed."""
    artifacts, measurements = artifacts or {}, measurements or {}
    rows = []
    for key in keys:
        c = card(key)
        loc = c.localized(lang)
        a = analytic(artifacts.get(key))
        m1, m8 = measurements.get((key, 1)), measurements.get((key, 8))
        notes = [m.error for m in (m1, m8) if m is not None and m.error]
        if c.big:
            notes = ["built on the meta device: not runnable here"]
        elif m1 is None and m8 is None:
            notes = ["not measured yet"]
        figures = m1 if m1 is not None and m1.ok else m8 if m8 is not None and m8.ok else None
        taken = [m for m in (m1, m8) if m is not None]
        status = ("not_runnable" if c.big else "unmeasured" if not taken else "failed" if figures is None
                  else "partial" if len(taken) < 2 or not all(m.ok for m in taken) else "measured")
        rows.append(Row(
            key=key, name=c.name, domain=c.domain, task=loc.task, year=c.year,
            params_published=c.params.value, params_source=c.params.source,
            params_counted=a.params if a else None, macs=a.macs if a else None, macs_input=a.example_input if a else "",
            memory_mb=round(a.memory_bytes / 2**20, 1) if a else None,
            metric=metric_text(c.metric), metric_source=c.metric.source if c.metric else "",
            runnable=not c.big,
            latency_b1_ms=m1.median_ms if m1 is not None else None, latency_b8_ms=m8.median_ms if m8 is not None else None,
            runs_b1=m1.runs if m1 is not None else 0, runs_b8=m8.runs if m8 is not None else 0,
            threads=figures.threads if figures else None,
            peak_mb=m1.peak_mb if m1 is not None else None,
            load=figures.load if figures else None,
            status=status, measure_note="; ".join(dict.fromkeys(notes)),
            scenarios=tuple(loc.scenarios), strengths=tuple(loc.strengths), weaknesses=tuple(loc.weaknesses),
            paper_url=c.paper.url, page=f"model?model={key}",
        ))
    return rows


def to_csv(rows: Iterable[Row]) -> str:
    """The comparison as CSV: one line per model, every column of `Row` (lists joined with " | ")."""
    out = io.StringIO()
    names = list(Row.__dataclass_fields__)
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow(r.csv_dict())
    return out.getvalue()


def _ms(v: float | None) -> str:
    return "—" if v is None else f"{v:,.1f} ms" if v >= 1 else f"{v:.3f} ms"


def table_text(rows: list[Row]) -> str:
    """The comparison as plain text, models side by side (the CLI's output)."""
    lines = [
        ("domain", [r.domain for r in rows]),
        ("task", [r.task for r in rows]),
        ("year", [str(r.year) for r in rows]),
        ("params (published)", [human_count(r.params_published) for r in rows]),
        ("MACs", [f"{human_count(r.macs)} at {r.macs_input}" if r.macs is not None else "—" for r in rows]),
        ("memory (estimate)", [f"{r.memory_mb:,.1f} MB" if r.memory_mb is not None else "—" for r in rows]),
        ("published metric", [r.metric or "—" for r in rows]),
        ("latency, batch 1", [_ms(r.latency_b1_ms) for r in rows]),
        ("latency, batch 8", [_ms(r.latency_b8_ms) for r in rows]),
        ("threads · runs", [f"{r.threads} · {r.runs_b1}/{r.runs_b8}" if r.threads else "—" for r in rows]),
        ("peak memory (measured)", [f"{r.peak_mb:,.1f} MB" if r.peak_mb is not None else "—" for r in rows]),
        ("load when measured", [f"{r.load:.2f}" if r.load is not None else "—" for r in rows]),
        ("note", [r.measure_note or "" for r in rows]),
    ]
    width = [max(len(r.name), *(len(v[i]) for _, v in lines)) for i, r in enumerate(rows)]
    width = [min(w, 44) for w in width]
    label = max(len(name) for name, _ in lines)
    out = [" " * label + "  " + "  ".join(f"{r.name[:w]:<{w}}" for r, w in zip(rows, width))]
    for name, values in lines:
        out.append(f"{name:<{label}}  " + "  ".join(f"{v[:w]:<{w}}" for v, w in zip(values, width)))
    for title in ("scenarios", "strengths", "weaknesses"):
        out.append(f"\n{title}:")
        for r in rows:
            out.append(f"  {r.name}: " + "; ".join(getattr(r, title)))
    return "\n".join(out)


# ----------------------------------------------------------------------------- charts: metric against cost


@dataclass(frozen=True)
class MetricGroup:
    """Models of one task whose published metrics can be put on one axis (same name, dataset and unit)."""

    task: str
    name: str
    dataset: str
    unit: str
    higher_better: bool
    keys: tuple[str, ...]


def higher_is_better(m: Metric) -> bool:
    words = f"{m.name} {m.unit}".lower()
    return not any(w in words for w in _LOWER_IS_BETTER)


def tasks(keys: Iterable[str] | None = None) -> list[str]:
    """The registry's tasks (English, as cards state them), sorted."""
    return sorted({card(k).task for k in (list_models() if keys is None else keys)})


def metric_groups(task: str, keys: Iterable[str] | None = None) -> list[MetricGroup]:
    """The task's comparable metric groups, largest first (ties by metric name)."""
    keys = list_models(task=task) if keys is None else [k for k in keys if card(k).task == task]
    groups: dict[tuple[str, str, str], list[str]] = {}
    for k in keys:
        m = card(k).metric
        if m is not None:
            groups.setdefault((m.name, m.dataset, m.unit), []).append(k)
    out = [MetricGroup(task, n, d, u, higher_is_better(card(ks[0]).metric), tuple(sorted(ks)))
           for (n, d, u), ks in groups.items()]
    return sorted(out, key=lambda g: (-len(g.keys), g.name))


@dataclass(frozen=True)
class Point:
    key: str
    name: str
    metric: float
    cost: float  # MACs or milliseconds: smaller is cheaper


def pareto_front(points: Iterable[Point], higher_better: bool = True) -> set[str]:
    """Keys of the points no other point beats: none is at least as cheap and at least as good, and strictly
    better in one of the two."""
    pts = list(points)

    def good(p: Point) -> float:
        return p.metric if higher_better else -p.metric

    front = set()
    for p in pts:
        dominated = any(
            q.cost <= p.cost and good(q) >= good(p) and (q.cost < p.cost or good(q) > good(p)) for q in pts if q is not p
        )
        if not dominated:
            front.add(p.key)
    return front


def chart_points(group: MetricGroup, cost: Mapping[str, float | None]) -> list[Point]:
    """The group's models that have a cost figure (the others are left out: nothing is guessed)."""
    return [Point(k, card(k).name, card(k).metric.value, float(cost[k])) for k in group.keys if cost.get(k) is not None]


# ----------------------------------------------------------------------------- the guide


@dataclass(frozen=True)
class GuideQuery:
    task: str
    input_size: int | None = None  # image side (px) or sequence length; None: each model's stated input
    max_latency_ms: float | None = None  # batch 1, on this machine
    max_params_m: float | None = None  # millions
    max_file_mb: float | None = None  # the weights as stored (float32)
    runnable_here: bool = False  # must run on this machine (not a meta-device giant)
    pretrained: bool = False  # must have trained weights in DeepZoo
    priority: str = "accuracy"

    def __post_init__(self) -> None:
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {PRIORITIES}")
        if self.input_size is not None and not MIN_INPUT_SIZE <= self.input_size <= MAX_INPUT_SIZE:
            raise ValueError(f"input size must be between {MIN_INPUT_SIZE} and {MAX_INPUT_SIZE}")


@dataclass(frozen=True)
class Choice:
    key: str
    name: str
    scenario: str  # the card's first scenario, in the asked language
    metric: str
    in_main_group: bool  # its metric is the one most candidates share (accuracy ranks on it)
    params: float  # published
    file_mb: float
    macs: int | None
    macs_input: str
    latency_ms: float | None  # measured, batch 1, at the query's input size
    measured_input: str
    threads: int | None
    weights: tuple[str, ...]  # names of trained weights in DeepZoo


@dataclass(frozen=True)
class Exclusion:
    key: str
    why: str  # "not_runnable", "no_weights", "params", "file", "latency", "input"
    value: str = ""  # the figure that failed the constraint


@dataclass(frozen=True)
class GuideResult:
    query: GuideQuery
    ranked: list[Choice]
    unmeasured: list[str] = field(default_factory=list)  # fit every other constraint; latency not measured yet
    excluded: list[Exclusion] = field(default_factory=list)
    metric: str = ""  # the metric accuracy ranks on ("" when no candidate has one)


def _file_mb(c: ModelCard, a: Analytic | None) -> float:
    """The weights as stored: the artifact's bytes of unique parameters, else the published count × 4 bytes."""
    return round((a.weight_bytes if a is not None else c.params.value * 4) / 2**20, 1)


def guide(
    query: GuideQuery,
    lang: str = "en",
    artifacts: Mapping[str, Mapping | None] | None = None,
    latency: Mapping[str, Measurement] | None = None,
    weights_of: Callable[[str], list] | None = None,
    keys: Iterable[str] | None = None,
) -> GuideResult:
    """The models of `query.task` that meet every constraint, best first for the priority.

    `latency` holds batch-1 measurements at the query's input size (key → Measurement); a model without one is
    ranked when no latency limit is set and listed as `unmeasured` otherwise. `keys` limits the candidates
    (the tests use a fixed subset); `weights_of(key)` lists a model's trained weights (default `zoo.weights`)."""
    if weights_of is None:
        from .weights import available as weights_of
    artifacts, latency = artifacts or {}, latency or {}
    candidates = list_models(task=query.task) if keys is None else [k for k in keys if card(k).task == query.task]
    groups = metric_groups(query.task, candidates)
    main = groups[0] if groups else None
    fits: list[Choice] = []
    unmeasured: list[str] = []
    excluded: list[Exclusion] = []
    for key in candidates:
        c = card(key)
        a = analytic(artifacts.get(key))
        m = latency.get(key)
        weights = tuple(w.name for w in weights_of(key))
        file_mb = _file_mb(c, a)
        if query.runnable_here and c.big:
            excluded.append(Exclusion(key, "not_runnable"))
            continue
        if query.pretrained and not weights:
            excluded.append(Exclusion(key, "no_weights"))
            continue
        if query.max_params_m is not None and c.params.value > query.max_params_m * 1e6:
            excluded.append(Exclusion(key, "params", human_count(c.params.value)))
            continue
        if query.max_file_mb is not None and file_mb > query.max_file_mb:
            excluded.append(Exclusion(key, "file", f"{file_mb:,.1f} MB"))
            continue
        if m is not None and not m.ok and m.runnable and m.error.startswith("input size"):
            excluded.append(Exclusion(key, "input", str(query.input_size)))
            continue
        if query.max_latency_ms is not None:
            if c.big:
                excluded.append(Exclusion(key, "not_runnable"))
                continue
            if m is None or not m.ok:
                unmeasured.append(key)
                continue
            if m.median_ms > query.max_latency_ms:
                excluded.append(Exclusion(key, "latency", _ms(m.median_ms)))
                continue
        fits.append(Choice(
            key=key, name=c.name, scenario=(c.localized(lang).scenarios or ("",))[0], metric=metric_text(c.metric),
            in_main_group=main is not None and key in main.keys, params=c.params.value, file_mb=file_mb,
            macs=a.macs if a else None, macs_input=a.example_input if a else "",
            latency_ms=m.median_ms if m is not None and m.ok else None, measured_input=m.input if m is not None else "",
            threads=m.threads if m is not None and m.ok else None, weights=weights,
        ))
    return GuideResult(query, _ranked(fits, query.priority, main), unmeasured, excluded,
                       metric=f"{main.name} ({main.dataset})" if main else "")


def _ranked(choices: list[Choice], priority: str, main: MetricGroup | None) -> list[Choice]:
    inf = float("inf")

    def accuracy(ch: Choice) -> tuple:
        if not ch.in_main_group:
            return (1, 0.0)
        value = card(ch.key).metric.value
        return (0, -value if main.higher_better else value)

    def speed(ch: Choice) -> tuple:  # measured first, by latency; then by MACs (a count, not a time)
        if ch.latency_ms is not None:
            return (0, ch.latency_ms)
        return (1, ch.macs if ch.macs is not None else inf)

    def size(ch: Choice) -> tuple:
        return (ch.params,)

    order = {"accuracy": (accuracy, speed, size), "speed": (speed, accuracy, size), "size": (size, accuracy, speed)}[priority]
    return sorted(choices, key=lambda ch: (*(f(ch) for f in order), ch.name))


# English templates of a reason line; the app passes its translator (keys `compare.reason_<part>`)
REASON_EN = {
    "metric": "{metric}",
    "params": "{params} parameters",
    "macs": "{macs} MACs at {input}",
    "latency": "{ms} on this machine (threads: {threads}, input {input})",
    "unmeasured": "latency not measured yet",
    "weights": "trained weights: {names}",
}


def reason(ch: Choice, text: Callable[..., str] | None = None) -> str:
    """One line on why a choice fits: its card's first scenario and its figures."""
    text = text or (lambda part, **kw: REASON_EN[part].format(**kw))
    parts = [ch.scenario] if ch.scenario else []
    if ch.metric:
        parts.append(text("metric", metric=ch.metric))
    parts.append(text("params", params=human_count(ch.params)))
    if ch.macs is not None:
        parts.append(text("macs", macs=human_count(ch.macs), input=ch.macs_input))
    if ch.latency_ms is not None:
        parts.append(text("latency", ms=_ms(ch.latency_ms), threads=ch.threads, input=ch.measured_input))
    else:
        parts.append(text("unmeasured"))
    if ch.weights:
        parts.append(text("weights", names=", ".join(ch.weights)))
    return " · ".join(parts)


# ----------------------------------------------------------------------------- python -m zoo compare


def add_commands(sub) -> None:
    p = sub.add_parser("compare", help="models side by side: card facts, MACs, published metric, measured latency")
    p.add_argument("keys", nargs="+", metavar="KEY")
    p.add_argument("--measure", action="store_true", help="measure what is not cached yet (a worker process per model)")
    p.add_argument("--threads", type=int, help="torch threads of the measurement (default: every usable core)")
    p.add_argument("--csv", metavar="FILE", help="also write the table as CSV ('-' for stdout)")
    p.set_defaults(func=_cmd_compare)


def _cmd_compare(args) -> int:
    import sys

    from . import introspect
    from .measurement import Request, cached, measure

    for k in args.keys:
        card(k)  # unknown keys fail before any work, with suggestions
    artifacts = {k: introspect.artifact(k) for k in args.keys}
    if args.measure:
        def progress(done: int, total: int, m: Measurement) -> None:
            print(f"[{done}/{total}] {m.key} batch {m.batch}: {_ms(m.median_ms)} {m.error}".rstrip(), file=sys.stderr)

        got = measure([Request(k, BATCHES, threads=args.threads) for k in args.keys], progress=progress)
        measurements = {(m.key, m.batch): m for m in got}
    else:
        measurements = {(k, b): m for k in args.keys for b in BATCHES if (m := cached(k, b, args.threads)) is not None}
    rows = comparison(args.keys, artifacts=artifacts, measurements=measurements)
    print(table_text(rows))
    if not args.measure and any(r.runnable and r.latency_b1_ms is None for r in rows):
        print("\n(latency: run with --measure to measure what is not cached)")
    if args.csv == "-":
        sys.stdout.write(to_csv(rows))
    elif args.csv:
        with open(args.csv, "w", encoding="utf-8", newline="") as f:
            f.write(to_csv(rows))
        print(f"CSV written to {args.csv}")
    return 0
