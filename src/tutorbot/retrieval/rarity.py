"""Rarity: how rare a word is in the index, counted among the chunks written in its script.

Stage: index snapshot → **rarity** → scopes (a one-word name must be rare to name a document) and
grounding (a setting must be stated beside one of the question's rare words).

A word is rare when at most ``RARE`` of the chunks that could hold it do: the Chinese chunks for a
Chinese word, all chunks for any other. Counting Chinese words against every chunk made them all rare
once two thousand English pages were indexed ("复习基础" named relearn-AI's part 基础). Counts are of the
chunks' own text (headings and URLs aside): a word only a link writes says nothing of the text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from tutorbot.lang import has_cjk
from tutorbot.schemas import Chunk

RARE = 0.05  # the share of its script's chunks a word may occur in and still be rare


class Rarity:
    """Document frequencies with the number of chunks of each script."""

    def __init__(self, chunks: Sequence[Chunk], df: dict[str, int]):
        """``df``: in how many chunks' own text each token occurs."""
        self.df = df
        self.n = max(len(chunks), 1)
        self.n_cjk = max(sum(1 for c in chunks if has_cjk(c.text)), 1)

    def among(self, word: str) -> int:
        """How many chunks are written in ``word``'s script (what its rarity is counted against)."""
        return self.n_cjk if has_cjk(word) else self.n

    def is_rare(self, word: str) -> bool:
        """Whether ``word`` occurs in at most ``RARE`` of the chunks written in its script (never: rare)."""
        return self.df.get(word, 0) / self.among(word) <= RARE

    def weight(self, word: str) -> float:
        """How much ``word`` says: the log of how few of its script's chunks hold it."""
        return math.log((self.among(word) + 1) / (self.df.get(word, 0) + 1))
