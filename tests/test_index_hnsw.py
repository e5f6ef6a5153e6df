"""HNSW search vs exact cosine: the index must return brute force's top-10 on the dev questions, and the
retriever's exact dense ranking must give what Chroma gives."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import DEV_QA

from tutorbot.retrieval.fusion import SIDE_LANGS, SIDES

pytestmark = pytest.mark.integration  # real embeddings + Chroma (session fixture ``indexed``)
K = 10


def dev_questions() -> list[str]:
    return [json.loads(line)["question"] for line in DEV_QA.read_text(encoding="utf-8").splitlines() if line.strip()]


def exact_scores(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit @ (query / np.linalg.norm(query))


@pytest.mark.skipif(not DEV_QA.exists(), reason="the evaluation set (dev_qa.jsonl) is not beside the checkout")
def test_hnsw_top10_equals_brute_force_on_dev_questions(indexed):
    got = indexed.index.collection.get(include=["embeddings"])
    ids, vectors = got["ids"], np.asarray(got["embeddings"], dtype=np.float64)
    assert len(ids) > K
    questions = dev_questions()
    assert len(questions) >= 20
    for q in questions:
        vec = indexed.embedder.embed_query(q)
        scores = exact_scores(vectors, vec)
        exact = [ids[i] for i in np.argsort(-scores, kind="stable")[:K]]
        hnsw = [h.chunk.id for h in indexed.index.query(vec, K)]
        if hnsw != exact:
            # Only chunks tied on cosine (to float32 precision) may swap places.
            cos = dict(zip(ids, scores, strict=False))
            assert set(hnsw) == set(exact), q
            assert np.allclose([cos[i] for i in hnsw], [cos[i] for i in exact], atol=1e-6), q


@pytest.mark.skipif(not DEV_QA.exists(), reason="the evaluation set (dev_qa.jsonl) is not beside the checkout")
def test_the_retrievers_exact_dense_ranking_gives_chromas_hits_and_scores_per_language(indexed):
    # Retrieval ranks by exact cosine over the vectors it read from Chroma; the grounding thresholds
    # are on the scale of Chroma's scores, so both must agree chunk for chunk and score for score.
    retriever = indexed.retriever.current
    for q in dev_questions():
        for side in SIDES:
            mine = retriever.dense(q, K, side)
            where = {"lang": {"$in": SIDE_LANGS[side]}}
            chroma = indexed.index.query(np.asarray(indexed.embedder.embed_query(q)), K, where=where)
            assert len(mine) == len(chroma) > 0, (q, side)
            assert np.allclose([h.score for h in mine], [h.score for h in chroma], atol=1e-5), (q, side)
            assert {h.chunk.id for h in mine} == {h.chunk.id for h in chroma} or \
                np.isclose(mine[-1].score, chroma[-1].score, atol=1e-6), (q, side)  # only ties at the cut may differ
