"""Dense stage: the chunks of one language side nearest a question by the embedder's cosine.

An exact scan over the index snapshot's vectors: the retriever holds every chunk for BM25 already, and a
scan of 2400 vectors takes a fraction of a millisecond where two filtered Chroma queries took 17 ms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tutorbot.retrieval.embed import Embedder, LastQuery
from tutorbot.retrieval.index import IndexMismatch, similarity
from tutorbot.schemas import Chunk, Hit


class DenseScan:
    """The snapshot's unit vectors, and the last query's (one embedding per query, whatever the side)."""

    def __init__(self, chunks: Sequence[Chunk], vectors: np.ndarray, masks: dict[str, np.ndarray],
                 embedder: Embedder):
        self.chunks, self.masks, self.embedder = chunks, masks, embedder
        self._unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self._query_vector = LastQuery(self._unit_query)

    def nearest(self, query: str, k: int, side: str) -> list[Hit]:
        """The ``k`` chunks of ``side`` nearest ``query``, best first (score: ``index.similarity``)."""
        if not self.masks[side].any():
            return []
        cos = np.where(self.masks[side], self._unit @ self._query_vector(query), -np.inf)
        order = np.argsort(-cos, kind="stable")[: min(k, int(self.masks[side].sum()))]
        return [Hit(chunk=self.chunks[i], score=similarity(float(cos[i]))) for i in order]

    def _unit_query(self, query: str) -> np.ndarray:
        vector = np.asarray(self.embedder.embed_query(query), np.float32)
        if vector.shape != self._unit.shape[1:]:
            raise IndexMismatch(f"the index holds {self._unit.shape[1]}-dimensional vectors and the embedding "
                                f"model now configured ({self.embedder.name}) gives "
                                f"{vector.shape[0]}: run `tutorbot index rebuild` to embed it again")
        return vector / max(float(np.linalg.norm(vector)), 1e-12)
