"""Sentence similarity and semantic search with all-MiniLM-L6-v2 (real pretrained weights, offline).

Each line becomes a unit-length 384-d vector (`zoo.nlp.bert.embed_sentences`), so the cosine
similarity of two sentences is the dot product of their vectors. With a query, the lines are ranked by
their similarity to it: semantic search, which matches meaning rather than shared words.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import BadInput, Demo, register_demo
from .inputs import MAX_SENTENCE_CHARS, MAX_SENTENCES, MAX_TOTAL_CHARS, clean_text

TOP_K = 5

EXAMPLES = (
    (
        "A man is playing a guitar.\n"
        "Someone is performing music on a string instrument.\n"
        "The stock market fell sharply after the interest-rate decision.\n"
        "Shares dropped when the central bank raised rates.\n"
        "A cat is sleeping on the windowsill.\n"
        "The kitten naps in the sun by the window.",
        "investors lost money",
    ),
    (
        "How do I reset my password?\n"
        "I forgot my login credentials.\n"
        "What are your opening hours?\n"
        "When is the shop open?\n"
        "Can I get a refund for my order?\n"
        "I want my money back.",
        "I can't sign in to my account",
    ),
)


@dataclass(frozen=True)
class Similarity:
    sentences: list[str]
    matrix: np.ndarray  # (N, N) cosine similarities, 1 on the diagonal
    query: str | None
    matches: list[tuple[int, float]]  # (sentence index, cosine to the query), most similar first
    closest_pair: tuple[int, int, float] | None  # the two most similar different lines


def parse_sentences(text: str | bytes | None) -> list[str]:
    """One sentence per non-empty line, within the limits (BadInput otherwise)."""
    text = clean_text(text, MAX_TOTAL_CHARS, what="text")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_SENTENCES:
        raise BadInput("too_many_lines", n=len(lines), max=MAX_SENTENCES)
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_SENTENCE_CHARS:
            raise BadInput("line_too_long", line=n, n=f"{len(line):,}", max=MAX_SENTENCE_CHARS)
    return lines


def run(sentences: str | bytes | list[str], query: str | None = None, top_k: int = TOP_K) -> Similarity:
    """Cosine similarity of every pair of lines, and the lines nearest the query if one is given."""
    from ..nlp.bert import embed_sentences

    lines = parse_sentences("\n".join(sentences) if isinstance(sentences, list) else sentences)
    q = clean_text(query, MAX_SENTENCE_CHARS, what="query") if query and str(query).strip() else None
    if len(lines) < 2 and q is None:
        raise BadInput("too_few_sentences")
    emb = embed_sentences(lines + ([q] if q else [])).numpy()  # unit vectors: dot product = cosine
    matrix = emb[: len(lines)] @ emb[: len(lines)].T
    matches: list[tuple[int, float]] = []
    if q is not None:
        scores = emb[: len(lines)] @ emb[-1]
        matches = [(int(i), float(scores[i])) for i in np.argsort(-scores, kind="stable")[:top_k]]
    closest = None
    if len(lines) >= 2:
        off = matrix - 2 * np.eye(len(lines))  # hide each line's similarity to itself
        i, j = np.unravel_index(int(np.argmax(off)), off.shape)
        closest = (int(min(i, j)), int(max(i, j)), float(matrix[i, j]))
    return Similarity(lines, matrix, q, matches, closest)


register_demo(
    Demo(
        name="sentence_similarity",
        title="Sentence similarity and semantic search",
        models=("minilm_l6",),
        input_kind="text",
        description=(
            f"Type up to {MAX_SENTENCES} sentences, one per line, and optionally a query. all-MiniLM-L6-v2 turns each "
            "into a 384-d vector; the table shows the cosine similarity of every pair, and the search ranks the "
            "lines by meaning, not by shared words. English works best."
        ),
        run=run,
        gradio=True,
        i18n={
            "zh": {
                "title": "句子相似度与语义搜索",
                "description": f"每行输入一个句子（最多 {MAX_SENTENCES} 句），可再输入一个查询。all-MiniLM-L6-v2 把每句变成一个 "
                "384 维向量；表格给出每两句之间的余弦相似度，搜索则按含义（而非相同的词）对各行排序。英文效果最好。",
            }
        },
    )
)
