"""Retrieval, stage 0: the work bound of one question.

Retrieval's cost grows with the question: BM25, expansion and sentence ranking with its tokens, the
embedding with the square of the embedder's tokens (one attention pass; a 4,000-character question
of random CJK took ~9 CPU-seconds against ~0.05 s for a normal one). So retrieval reads only the
question's first ``max_tokens`` tokens by every count that costs work. A learner's question is far
shorter; a pasted page is cut, and the part retrieval read is what it answers about.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

CHARS_PER_TOKEN = 16  # no token of either count is longer: cutting here first keeps the counting cheap
WORD_BACKOFF = 40  # cut at a space when one is this close, rather than inside a word


def bounded(query: str, max_tokens: int, counts: Iterable[Callable[[str], int]]) -> str:
    """The longest prefix of ``query`` that every count puts at ``max_tokens`` tokens or fewer."""
    counters = list(counts)

    def fits(text: str) -> bool:
        return all(count(text) <= max_tokens for count in counters)

    if fits(query):
        return query
    return _at_word(query, _longest_fitting(query[: max_tokens * CHARS_PER_TOKEN], fits))


def _longest_fitting(text: str, fits: Callable[[str], bool]) -> int:
    """Bisection on the prefix length: every count grows with the prefix."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if fits(text[:mid]) else (lo, mid - 1)
    return lo


def _at_word(query: str, end: int) -> str:
    """``query[:end]``, without the piece of a word the cut went through."""
    cut = query[:end]
    if end < len(query) and not query[end].isspace():
        space = cut.rfind(" ", max(end - WORD_BACKOFF, 0))
        cut = cut[:space] if space > 0 else cut
    return cut.strip()


def strongest(weights: dict[str, float], n: int) -> dict[str, float]:
    """The ``n`` heaviest of ``weights`` (ties in first-seen order): the cap on a question's expansion."""
    if len(weights) <= n:
        return weights
    keep = set(sorted(weights, key=lambda t: -weights[t])[:n])
    return {t: w for t, w in weights.items() if t in keep}
