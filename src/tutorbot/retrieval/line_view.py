"""Line view stage: the roadmap lines of the question's other language, ranked one sentence at a time by
the second view's model (multilingual USE), for the fusion.

A Chinese question answered by one line of the English ChatGPT answer ("为什么说残差连接很重要？" →
"Residual Connections: Important for training deep networks") loses at chunk level: e5 puts the line
past the 200th, the BM25 of the question's translated words 5th to 19th, behind Chinese sections that
share its other words. One sentence at a time, USE ranks that line first. Fused on its own, such a list
also pulled other-language lines above answers in the question's own language (``bench/RESULTS.md``), so a
chunk joins only where two views agree: it holds one of the first ``sentence_cut`` lines of that
language by USE and is among the first few of that language's BM25 list; and when the question names a
roadmap, part or page, it lies inside what it names. Roadmap lines only: the linked pages' 7000
sentences took 10 s to embed and let questions the corpus does not answer find one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set

import numpy as np

from tutorbot.retrieval.fusion import chunk_side
from tutorbot.retrieval.scopes import SCOPE_LEVELS
from tutorbot.retrieval.sentences import split_sentences
from tutorbot.schemas import Chunk

MIN_CHARS = 4  # shorter lines ("---", a bare label) say nothing to rank


class LineView:
    """Each roadmap line's vector, its chunk, and the chunk's language side and scopes. Never changed once
    built: ``refreshed`` builds a new view when the roadmap chunks change."""

    def __init__(self, embed: Callable[[list[str]], np.ndarray], chunks: Sequence[Chunk]):
        """``embed``: texts → vectors, ``SecondView.embed_lines``, which keeps them in a file. Not held: a view
        kept across refreshes would keep the second view it came from, and that view's chunk vectors, alive."""
        self.ids = tuple(c.id for c in chunks if c.kind == "roadmap")
        lines = [(c, s.text) for c in chunks if c.kind == "roadmap"
                 for s in split_sentences(c.text, code=False) if len(s.text) >= MIN_CHARS]
        self.owners = [c.id for c, _ in lines]
        self.sides = np.array([chunk_side(c) for c, _ in lines], dtype=str)
        self.scopes = {c.id: {level(c) for level in SCOPE_LEVELS} for c, _ in lines}
        self.vectors = np.asarray(embed([text for _, text in lines]), np.float32) if lines else np.zeros((0, 1))

    def refreshed(self, chunks: Sequence[Chunk], embed: Callable[[list[str]], np.ndarray]) -> LineView:
        """This view when the roadmap chunks are the same (a linked page added or dropped), else a new one."""
        same = tuple(c.id for c in chunks if c.kind == "roadmap") == self.ids
        return self if same else LineView(embed, chunks)

    def agreeing(self, vector: np.ndarray, side: str, lexical: list[str], cut: int,
                 named: Set[str] = frozenset()) -> list[str]:
        """Chunks of ``side`` holding one of its ``cut`` lines nearest ``vector`` (a query embedded by this
        view's model), best first, kept when ``lexical`` (that side's BM25 list, cut) holds them too and they
        lie inside every scope in ``named``."""
        if not len(self.owners):
            return []
        cos = np.where(self.sides == side, self.vectors @ vector, -np.inf)
        nearest = [i for i in np.argsort(-cos, kind="stable")[:cut] if np.isfinite(cos[i])]
        allowed = set(lexical)
        found = [self.owners[i] for i in nearest if self.owners[i] in allowed and named <= self.scopes[self.owners[i]]]
        return list(dict.fromkeys(found))
