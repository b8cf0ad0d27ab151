"""Karate club: pick a few members whose faction the model may see; GCN or GAT guesses everyone else's.

Trains live (well under a second) with `zoo.train.graph.train_node_classifier`; the result carries a
fixed layout of the graph so a UI can draw it coloured by the predicted faction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

from . import BadInput, Demo, register_demo
from .inputs import check_seed

MODELS = ("gcn", "gat")
LEADERS = (0, 33)  # Mr. Hi and the club's officer: the default labelled nodes
MAX_EPOCHS = 1000


@dataclass
class KarateResult:
    model: str
    labelled: list[int]
    positions: list[tuple[float, float]]  # (x, y) of every node in the drawing
    edges: list[tuple[int, int]]
    factions: tuple[str, ...]  # names of the two factions, indexed by the ints below
    truth: list[int]  # the faction each member really joined
    predicted: list[int]
    confidence: list[float]  # the model's probability for its predicted faction
    accuracy: float  # on the unlabelled members, in [0, 1]
    correct: int  # unlabelled members predicted right ...
    unlabelled: int  # ... out of this many
    losses: list[float]  # training loss per epoch
    seconds: float


@functools.lru_cache(maxsize=1)
def layout() -> list[tuple[float, float]]:
    """Spring layout with a fixed seed: the same drawing every time."""
    import networkx as nx

    pos = nx.spring_layout(nx.karate_club_graph(), seed=7)
    return [(float(pos[i][0]), float(pos[i][1])) for i in range(len(pos))]


def check_labelled(labelled: Sequence[int]) -> list[int]:
    """The labelled node ids, sorted — or BadInput if the model could not learn both factions from them."""
    from ..train.graph import FACTIONS, karate_club

    graph = karate_club()
    n = len(graph.y)
    try:
        nodes = sorted({int(i) for i in labelled})
    except (TypeError, ValueError):
        raise BadInput("karate_member_numbers", last=n - 1) from None
    if not nodes:
        raise BadInput("karate_need_both")
    outside = [i for i in nodes if not 0 <= i < n]
    if outside:
        raise BadInput("karate_no_member", last=n - 1, value=outside[0])
    seen = {int(graph.y[i]) for i in nodes}
    if len(seen) < len(FACTIONS):
        missing = FACTIONS[({0, 1} - seen).pop()]
        raise BadInput("karate_one_faction", missing=missing, node=LEADERS[FACTIONS.index(missing)])
    if len(nodes) == n:
        raise BadInput("karate_all_labelled")
    return nodes


def classify(model: str = "gcn", labelled: Sequence[int] = LEADERS, epochs: int = 200, seed: int = 0) -> KarateResult:
    """Train `model` on the karate club seeing only the factions of `labelled`; predict the rest."""
    from ..train.graph import FACTIONS, karate_club, train_node_classifier

    if model not in MODELS:
        raise BadInput("unknown_model", value=repr(model), choices=" or ".join(MODELS))
    if not 1 <= int(epochs) <= MAX_EPOCHS:
        raise BadInput("train_epochs", max=MAX_EPOCHS, value=epochs)
    seed = check_seed(seed)
    nodes = check_labelled(labelled)
    run = train_node_classifier(model, nodes, epochs=int(epochs), seed=int(seed))
    truth = karate_club().y.tolist()
    unlabelled = len(truth) - len(nodes)
    return KarateResult(
        model=model,
        labelled=nodes,
        positions=layout(),
        edges=list(karate_club().edges),
        factions=FACTIONS,
        truth=truth,
        predicted=run.predictions.tolist(),
        confidence=run.probabilities.max(1).tolist(),
        accuracy=run.accuracy,
        correct=round(run.accuracy * unlabelled),
        unlabelled=unlabelled,
        losses=run.losses,
        seconds=run.seconds,
    )


register_demo(
    Demo(
        name="karate",
        title="Karate club: who joins whom?",
        models=MODELS,
        input_kind="graph",
        description=(
            "Zachary's karate club (34 members, 78 friendships) split into two factions. Tell the network the "
            "faction of a few members — by default only the two leaders — and it infers everyone else's from "
            "the friendships alone, trained live in under a second."
        ),
        run=classify,
        i18n={
            "zh": {
                "title": "空手道俱乐部：谁会跟谁走？",
                "description": "Zachary 的空手道俱乐部（34 名成员、78 段友谊）分裂成两派。只告诉网络少数成员的派别"
                "（默认只有两位领袖），它仅凭友谊关系推断其他所有人的派别，现场训练不到一秒。",
            }
        },
    )
)
