"""Lexical stage: BM25 (bm25s) over the index's chunks, with weighted query terms.

Expansion adds translated terms with weights below one (a word with three dictionary senses
adds a third of a word each), so the score is a weighted sum of per-term BM25 scores rather
than bm25s's unweighted query. The index is in memory, rebuilt from the chunks on refresh.
"""

from __future__ import annotations

import numpy as np


class Lexical:
    """BM25 scores of every chunk for a weighted bag of query tokens."""

    def __init__(self, docs: list[list[str]]):
        import logging

        import bm25s

        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it sets DEBUG on import: a line per index build
        self.n = len(docs)
        self._bm25 = bm25s.BM25()
        if docs:
            self._bm25.index(docs, show_progress=False)
        self.vocab: dict[str, int] = dict(self._bm25.vocab_dict or {}) if docs else {}

    def weighted_sums(self, weightings: list[dict[str, float]]) -> list[np.ndarray]:
        """The scores under each weighting of one bag of tokens (each token's BM25 computed once)."""
        totals = [np.zeros(self.n, np.float32) for _ in weightings]
        for token in dict.fromkeys(t for weighted in weightings for t in weighted):
            if token in self.vocab:
                each = self._bm25.get_scores_from_ids([self.vocab[token]])
                for total, weighted in zip(totals, weightings, strict=True):
                    total += weighted.get(token, 0.0) * each
        return totals
