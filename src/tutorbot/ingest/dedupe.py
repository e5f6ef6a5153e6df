"""Ingestion stage 2b: chunks → the chunks worth indexing, near-duplicates dropped.

A chunk whose character 5-grams all but match an earlier kept chunk's would only add a second,
competing hit for the same text. The whole-corpus ingest (``dedupe_chunks``) and the page-by-page
background indexer (``NearDuplicates``) share this one definition, so both keep the same chunks.
"""

from __future__ import annotations

import zlib

from tutorbot.ingest.corpus import shingles
from tutorbot.schemas import Chunk


class NearDuplicates:
    """The chunks kept so far; ``keep`` admits a chunk unless an earlier kept one is this similar.

    Candidates are found through their four smallest shingle hashes, so only chunks that
    share one are compared; at Jaccard >= 0.95 two chunks all but surely share one. Being
    incremental, it lets the background indexer decide page by page what a whole-corpus
    ``dedupe_chunks`` over the same chunks, in the same order, would.
    """

    def __init__(self, threshold: float = 0.95) -> None:
        self.threshold = threshold
        self.sets: list[set[str]] = []
        self.index: dict[int, list[int]] = {}

    def keep(self, chunk: Chunk) -> bool:
        grams = shingles(chunk.text)
        sketch = sorted(zlib.crc32(g.encode()) for g in grams)[:4]
        seen = {k for h in sketch for k in self.index.get(h, [])}
        if any(len(grams & self.sets[k]) / len(grams | self.sets[k]) >= self.threshold for k in seen):
            return False
        for h in sketch:
            self.index.setdefault(h, []).append(len(self.sets))
        self.sets.append(grams)
        return True


def dedupe_chunks(chunks: list[Chunk], threshold: float = 0.95) -> tuple[list[Chunk], list[Chunk]]:
    """(kept, dropped): a chunk is dropped when an earlier kept one is this similar."""
    kept: list[Chunk] = []
    dropped: list[Chunk] = []
    seen = NearDuplicates(threshold)
    for chunk in chunks:
        (kept if seen.keep(chunk) else dropped).append(chunk)
    return kept, dropped
