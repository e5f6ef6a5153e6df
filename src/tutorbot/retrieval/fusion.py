"""Fusion stage: reciprocal-rank fusion of per-language candidate lists, and the roadmap floor.

Most roadmap text is Chinese; an English question's same-language chunks (the ChatGPT answer,
English page lists, linked pages) outscore the right Chinese passage in one global ranking, and
a Chinese question's Chinese chunks bury the English list that answers it. So BM25 and dense each
rank the Chinese and the English chunks separately, and RRF fuses the four lists: the best
passage of each language gets a first place. A side's list weighs by how close its best match
comes to the overall best (BM25: the score ratio; dense: ``exp(-gap / DENSE_GAP)`` of the cosine
gap), so a language with nothing relevant does not win first places for free. The chunks close to
the best BM25 score join as one more list (``lexical_leaders``): ranks alone would let chunks that are
middling everywhere outvote the one that holds every rare word of the question.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tutorbot.schemas import Chunk, Hit

SIDES = ("zh", "en")
# The chunk languages of each list, as stored in the index (a where-filter for the vector store).
# Each chunk competes in exactly one list; a mixed chunk (Chinese notes on English names) in
# the English one, where its names match.
SIDE_LANGS = {"zh": ["zh"], "en": ["en", "mixed"]}
DENSE_GAP = 0.01  # e5 cosines of relevant chunks differ by hundredths: a side 0.01 behind weighs 1/e


def rrf(rankings: list[list[str]], k: int, weights: list[float] | None = None) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights or [1.0] * len(rankings), strict=False):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank + 1)
    return scores


def chunk_side(chunk: Chunk) -> str:
    return next((side for side, langs in SIDE_LANGS.items() if chunk.lang in langs), "zh")


def side_masks(chunks: Sequence[Chunk]) -> dict[str, np.ndarray]:
    return {side: np.array([chunk_side(c) == side for c in chunks], bool) for side in SIDES}


def top_ids(scores: np.ndarray, chunks: Sequence[Chunk], n: int, mask: np.ndarray | None = None) -> list[str]:
    """Ids of the ``n`` best-scoring chunks with a positive score (within ``mask``)."""
    s = np.where(mask, scores, -np.inf) if mask is not None else scores
    order = np.argsort(-s, kind="stable")[:n]
    return [chunks[i].id for i in order if s[i] > 0]


def balanced_lists(lex: np.ndarray, chunks: Sequence[Chunk], masks: dict[str, np.ndarray],
                   dense: dict[str, list[Hit]], n: int) -> tuple[list[list[str]], list[float]]:
    """Per-language BM25 and dense rankings, each weighted by its side's best match."""
    top_lex = float(lex.max(initial=0.0)) or 1.0
    top_cos = max((h.score for hits in dense.values() for h in hits[:1]), default=0.0)
    lists, weights = [], []
    for side in SIDES:
        lists.append(top_ids(lex, chunks, n, masks[side]))
        weights.append(float(lex[masks[side]].max(initial=0.0)) / top_lex)
        lists.append([h.chunk.id for h in dense[side]])
        weights.append(math.exp(-(top_cos - max((h.score for h in dense[side][:1]), default=0.0)) / DENSE_GAP))
    return lists, weights


def lexical_leaders(lex: np.ndarray, chunks: Sequence[Chunk], n: int, share: float) -> list[str]:
    """The chunks within ``share`` of the best BM25 score, best first (none when ``share`` is 0).

    Reciprocal ranks ignore score gaps: a chunk that holds every rare word of the question ("Extrinsic
    Hallucinations in LLMs") is first in one list only, and chunks that are fifth in three lists outvote it.
    These leaders get a list of their own, so a clear lexical match keeps its place."""
    top = float(lex.max(initial=0.0))
    if share <= 0:
        return []
    return top_ids(np.where(lex >= share * top, lex, 0.0), chunks, n)


def global_lists(lex: np.ndarray, chunks: Sequence[Chunk], dense: dict[str, list[Hit]],
                 n: int) -> tuple[list[list[str]], list[float]]:
    """One BM25 and one dense ranking over all chunks (the unbalanced baseline)."""
    return [top_ids(lex, chunks, n), merged_dense(dense)[:n]], [1.0, 1.0]


def merged_dense(dense: dict[str, list[Hit]]) -> list[str]:
    hits = sorted((h for hits in dense.values() for h in hits), key=lambda h: -h.score)
    return list(dict.fromkeys(h.chunk.id for h in hits))


def roadmap_floor(order: list[str], by_id: dict[str, Chunk], k: int, min_roadmap: int) -> list[str]:
    """The top k, with at least ``min_roadmap`` roadmap sections when the pool has them.

    Linked pages are many and long, and on a question like "which benchmark by Percy Liang is
    mentioned?" seven of them outscored the one roadmap line that answers it. A lower linked
    weight fixed that but pushed linked pages out of questions about them; a floor of roadmap
    slots keeps both findable.
    """
    top = order[:k]
    road = [c for c in order if by_id[c].kind == "roadmap"][:min_roadmap]
    missing = [c for c in road if c not in top]
    linked = [c for c in top if by_id[c].kind == "linked"]
    if not missing or not linked:
        return top
    drop = set(linked[-len(missing):])
    rank = {c: i for i, c in enumerate(order)}
    return sorted([c for c in top if c not in drop] + missing[: len(drop)], key=rank.__getitem__)
