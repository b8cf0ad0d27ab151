"""What the viewer draws, computed from the module-hierarchy graph JSON (`zoo.introspect.graph_json`).

Pure functions, no Streamlit: the browser mirrors `visible()` (ui/viewer/frontend/src/viewer.js, `visible`)
and the Python tests check both against the shared fixture `ui/viewer/fixture.json`.

- `folds(graph)`: runs of consecutive, structurally identical sibling modules ("EncoderLayer ×12");
- `kind_class(node)`: the colour class of a node (conv, linear, norm, attention, activation, ...);
- `visible(graph, expanded, unfolded)`: the nodes, clusters and deduplicated edges of one view, where a
  collapsed group or a folded run stands for everything inside it;
- `prepare(graph, source_path)`: the compact payload sent to the browser (no weights, only the graph).
"""

from __future__ import annotations

from typing import Any, Iterable

DEFAULT_DEPTH = 2  # groups above this depth start expanded

# colour classes, first match wins (lower-cased type name contains one of the words)
KIND_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("attention", ("attention", "attn", "multihead")),
    ("norm", ("norm",)),
    ("conv", ("conv",)),
    ("pooling", ("pool",)),
    ("embedding", ("embedding",)),
    ("activation", ("relu", "gelu", "silu", "sigmoid", "tanh", "softmax", "swish", "mish", "elu", "hardswish",
                    "activation", "glu", "softplus")),
    ("linear", ("linear", "dense", "matmul", "bilinear", "addmm", "lmhead", "classifier")),
    ("dropout", ("dropout",)),
    ("recurrent", ("lstm", "gru", "rnn")),
)


def kind_class(node: dict) -> str:
    """Colour class of a node: io, op, conv, linear, norm, attention, activation, pooling, embedding,
    dropout, recurrent, container (a group that is none of these) or module (any other leaf module)."""
    if node["kind"] in ("input", "output"):
        return "io"
    name = str(node.get("type", "")).lower()
    for cls, words in KIND_WORDS:
        if any(w in name for w in words):
            return cls
    if node["kind"] == "op":
        return "op"
    return "module" if node.get("leaf", True) else "container"


def is_group(node: dict) -> bool:
    return node["kind"] == "module" and not node.get("leaf", True)


def roots(graph: dict) -> set[str]:
    """Top-level groups (the model itself): always open and never drawn as a box."""
    return {n["id"] for n in graph["nodes"] if n.get("parent") is None and is_group(n)}


def children(graph: dict) -> dict[str | None, list[str]]:
    out: dict[str | None, list[str]] = {}
    for n in graph["nodes"]:
        out.setdefault(n.get("parent"), []).append(n["id"])
    return out


def _signatures(graph: dict) -> dict[str, tuple]:
    """A hashable structure of each node: type, parameter count, output shapes and its children's
    signatures in call order. Equal signatures = the same block repeated."""
    by_id = {n["id"]: n for n in graph["nodes"]}
    kids = children(graph)
    memo: dict[str, tuple] = {}

    def sig(nid: str) -> tuple:
        if nid not in memo:
            n = by_id[nid]
            memo[nid] = (n["kind"], n["type"], n.get("params", 0), _shapes(n.get("inputs")), _shapes(n.get("outputs")),
                         tuple(sig(c) for c in kids.get(nid, ())))
        return memo[nid]

    for n in graph["nodes"]:
        sig(n["id"])
    return memo


def _shapes(shapes: Iterable | None) -> tuple:
    return tuple(tuple(s) if isinstance(s, list) else s for s in (shapes or ()))


def folds(graph: dict, min_run: int = 2) -> list[dict]:
    """Runs of at least `min_run` consecutive sibling groups with the same structure, in node order:
    [{"id": "fold:<first member>", "parent", "members": [ids], "count", "type"}]. ResNet-50's layer3 gives
    its first (downsampling) Bottleneck alone, then one fold of the other 5; BERT's 12 encoder layers, one."""
    by_id = {n["id"]: n for n in graph["nodes"]}
    sigs = _signatures(graph)
    out = []
    for parent, kids in children(graph).items():
        run: list[str] = []
        for nid in kids + [None]:  # a sentinel closes the last run
            if nid is not None and is_group(by_id[nid]) and run and sigs[nid] == sigs[run[0]]:
                run.append(nid)
                continue
            if len(run) >= min_run:
                out.append({"id": f"fold:{run[0]}", "parent": parent, "members": run, "count": len(run),
                            "type": by_id[run[0]]["type"]})
            run = [nid] if nid is not None and is_group(by_id[nid]) else []
    order = {n["id"]: i for i, n in enumerate(graph["nodes"])}
    return sorted(out, key=lambda f: order[f["members"][0]])


def default_expanded(graph: dict, depth: int = DEFAULT_DEPTH) -> set[str]:
    """Groups open in the first view: those above `depth` (depth 2 shows the model's blocks and their parts)."""
    return {n["id"] for n in graph["nodes"] if is_group(n) and n.get("depth", 0) < depth}


def visible(graph: dict, expanded: set[str], unfolded: set[str] = frozenset(), fold_list: list[dict] | None = None) -> dict:
    """One view of the graph.

    A leaf is drawn as itself unless an ancestor stands for it: the outermost ancestor that is a collapsed
    group (not in `expanded`) or a member of a fold not in `unfolded` (then the fold is drawn). Edges join
    what stands for their ends; an edge whose ends fall into the same box disappears; parallel edges are
    merged, keeping each distinct shape once.

    Returns {"nodes": [ids of drawn nodes, groups and folds], "clusters": {group id: parent cluster or None},
             "parent": {drawn id: the cluster it sits in or None}, "edges": [{"src", "dst", "shapes"}]}."""
    fold_list = folds(graph) if fold_list is None else fold_list
    by_id = {n["id"]: n for n in graph["nodes"]}
    top = roots(graph)
    fold_of = {m: f["id"] for f in fold_list for m in f["members"]}
    rep_memo: dict[str, str] = {}

    def chain(nid: str) -> list[str]:
        out = []
        while nid is not None:
            out.append(nid)
            nid = by_id[nid].get("parent")
        return out[::-1]

    def rep(nid: str) -> str:
        if nid not in rep_memo:
            found = nid
            for a in chain(nid):
                if a in top:
                    continue
                f = fold_of.get(a)
                if f is not None and f not in unfolded:
                    found = f
                    break
                if is_group(by_id[a]) and a not in expanded:
                    found = a
                    break
            rep_memo[nid] = found
        return rep_memo[nid]

    def cluster_of(nid: str) -> str | None:
        """The drawn box that holds `nid`: its nearest ancestor that is an open, non-root group."""
        p = by_id[nid].get("parent") if nid in by_id else _fold_parent(nid)
        while p is not None and p in top:
            p = by_id[p].get("parent")
        return p

    def _fold_parent(fid: str) -> str | None:
        return next(f["parent"] for f in fold_list if f["id"] == fid)

    nodes: list[str] = []
    seen: set[str] = set()
    for n in graph["nodes"]:
        if n["leaf"] or n["kind"] != "module":
            r = rep(n["id"])
            if r not in seen:
                seen.add(r)
                nodes.append(r)
    parent = {r: cluster_of(r) for r in nodes}
    clusters: dict[str, str | None] = {}
    for r in nodes:
        c = parent[r]
        while c is not None and c not in clusters:
            clusters[c] = cluster_of(c)
            c = clusters[c]
    edges: dict[tuple[str, str], list] = {}
    for e in graph["edges"]:
        s, d = rep(e["src"]), rep(e["dst"])
        if s == d:
            continue
        shapes = edges.setdefault((s, d), [])
        if e.get("shape") not in shapes:
            shapes.append(e.get("shape"))
    return {"nodes": nodes, "clusters": clusters, "parent": parent,
            "edges": [{"src": s, "dst": d, "shapes": sh} for (s, d), sh in edges.items()]}


def code_line(node: dict, source_path: str | None) -> int | None:
    """The line of the model's own file (the Code tab) to open for this node: where its class is defined if
    that is in the file, else the line of the file that called it."""
    if source_path:
        if node.get("class_file") == source_path and node.get("class_line"):
            return node["class_line"]
        if node.get("call_file") == source_path and node.get("call_line"):
            return node["call_line"]
    return None


def prepare(graph: dict, source_path: str | None = None, depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
    """The payload for the browser: nodes as short lists (see `FIELDS`), edges, folds, the default view."""
    nodes = []
    for n in graph["nodes"]:
        where = ":".join(str(x) for x in (n.get("class_file"), n.get("class_line")) if x)
        called = ":".join(str(x) for x in (n.get("call_file"), n.get("call_line")) if x)
        nodes.append([n["id"], n["kind"], n["type"], n.get("path") or "", n.get("parent"), n.get("depth", 0),
                      bool(n.get("leaf", True)), n.get("inputs") or [], n.get("outputs") or [], n.get("params", 0),
                      n.get("macs", 0), kind_class(n), where, called, code_line(n, source_path)])
    return {
        "fields": list(FIELDS),
        "nodes": nodes,
        "edges": [[e["src"], e["dst"], e.get("shape")] for e in graph["edges"]],
        "folds": folds(graph),
        "expanded": sorted(default_expanded(graph, depth)),
    }


FIELDS = ("id", "kind", "type", "path", "parent", "depth", "leaf", "inputs", "outputs", "params", "macs", "cls",
          "where", "called", "line")
