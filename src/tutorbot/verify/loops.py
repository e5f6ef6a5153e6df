"""Loop detection: a small model repeats itself (one sentence forty times, a bullet over and over).

A text is degenerate when a line or sentence repeats, or an 8-gram of tokens repeats. Tokens are Latin words,
numbers and single CJK characters (a CJK character carries about a word's meaning), with citation
markers, markdown and punctuation left out, so "[1]" or "**" cannot hide a repetition. ``LoopGuard``
watches a stream and says where the first repetition began, so the stream can be stopped there and
only the text before it kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutorbot.lang import CJK_CHARS
from tutorbot.retrieval.sentences import split_sentences

NGRAM = 8
MIN_LINE_TOKENS = 4  # "- **Links**:" twice is layout, not a loop
TOKEN = re.compile(f"[{CJK_CHARS}]|[A-Za-z0-9]+(?:['’.-][A-Za-z0-9]+)*")
CITATION = re.compile(r"\[\d{1,3}\]")


def tokens_with_offsets(text: str) -> list[tuple[str, int]]:
    """(lower-cased token, its start offset) for every token of ``text``, citations left out."""
    masked = CITATION.sub(lambda m: " " * len(m.group()), text)
    return [(m.group().lower(), m.start()) for m in TOKEN.finditer(masked)]


def first_repeat(text: str, n: int = NGRAM) -> int | None:
    """Offset where the first repeated line, sentence or n-gram begins its second occurrence."""
    starts = [s for s in (_repeated_sentence(text), _repeated_ngram(text, n)) if s is not None]
    return min(starts) if starts else None


def is_degenerate(text: str, n: int = NGRAM) -> bool:
    """Any repeated line, sentence or n-gram: the definition the answer evaluation uses."""
    return first_repeat(text, n) is not None


def _repeated_ngram(text: str, n: int) -> int | None:
    toks = tokens_with_offsets(text)
    seen: set[tuple[str, ...]] = set()
    for i in range(len(toks) - n + 1):
        gram = tuple(t for t, _ in toks[i:i + n])
        if gram in seen:
            return toks[i][1]
        seen.add(gram)
    return None


def _repeated_sentence(text: str) -> int | None:
    """A line or sentence (of ``MIN_LINE_TOKENS`` tokens or more) said a second time."""
    seen: set[tuple[str, ...]] = set()
    for sentence in split_sentences(text):
        key = tuple(t for t, _ in tokens_with_offsets(sentence.text))
        if len(key) >= MIN_LINE_TOKENS and key in seen:
            return sentence.start
        seen.add(key)
    return None


@dataclass
class LoopGuard:
    """Feed streamed text; ``feed`` answers the offset (in all text fed so far) where a loop
    began, once one has, so the caller can cancel the stream and keep ``text[:offset]``."""

    n: int = NGRAM
    text: str = ""
    loop_at: int | None = field(default=None)

    def feed(self, delta: str) -> int | None:
        self.text += delta
        if self.loop_at is None:
            self.loop_at = first_repeat(self.text, self.n)
        return self.loop_at

    @property
    def kept(self) -> str:
        """The text before the loop (all of it when there is none)."""
        return self.text if self.loop_at is None else self.text[: self.loop_at].rstrip()
