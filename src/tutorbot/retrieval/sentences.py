"""Sentence stage: one splitter for Chinese and English text, and a ranking of the sentences of
retrieved chunks against a question.

Used by the retriever (the chunk that wins is the one whose best sentence answers the question)
and by the answer composer (which quotes and checks sentences, never whole chunks). Offsets are
character offsets into the text that was split, so ``text[s.start:s.end] == s.text`` always.

- ``split_sentences(text)``: a markdown line (list item, table row, heading) is at least one
  sentence; inside a line, Chinese ends a sentence at 。！？； and English at . ! ? before a space
  and no lower-case letter (not after "e.g", "et al", "vs", a list number, or inside "3.17").
  Markers ("- ", "1. ", "| ", "> ", "#") and table separator rows are not part of any sentence. With
  ``code=False`` (what answers quote and rank) the fences of code blocks and the code lines inside
  them are no sentences.
- ``rank_sentences(question, hits, ...)``: every sentence of every hit, best first; the score
  mixes a lexical overlap (IDF-weighted share of the question's terms a sentence contains) with
  the dense cosine when an embedder is given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tutorbot.ingest.chunking import FENCE  # chunks hold whole fenced blocks
from tutorbot.lang import CJK_CHARS
from tutorbot.schemas import Chunk, Hit

LINE = re.compile(r"[^\n]+")
# End of a sentence inside a line: CJK terminators (and closing quotes after them), or an
# English terminator followed by white space and no lower-case letter: an English sentence starts
# with a capital, a digit or a mark, and "(seq. length 512)" is an abbreviation inside one.
ZH_END = re.compile(f"(?:[。！？；]|[!?;](?=[{CJK_CHARS}]))[”’」』）)]*")
EN_END = re.compile(r"(?<=[A-Za-z0-9)\]\"'’*_`])[.!?](?=\s+[^\sa-z])")
# Abbreviations, initials, and list numbers ("**5. Dive into...") end no sentence.
NOT_AN_END = re.compile(r"(?:\b(?:e\.g|i\.e|etc|et al|vs|cf|fig|eq|no|mr|dr|prof|approx)|\b[A-Z]|(?:^|[\s*_])\d{1,3})$",
                        re.I)
MARKER = re.compile(r"^\s*(?:\||(?:#{1,6}\s+|>\s*)*(?:[-*+]\s+(?:\[[ xX]\]\s*)?)?(?:\d{1,3}[.)]\s+)?)")
TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
CONTENT = re.compile(f"[A-Za-z0-9{CJK_CHARS}]")
TABLE_WORDS = "table 表格"  # what a learner calls a passage written as a table
CODE = re.compile(r"[=(){}\[\];<>]|^\s*(?:def|class|return|import|from|for|if|elif|else|while|with|try|except|print)\b")
LEAD_IN = re.compile(r"[：:]\**\s*$")  # "Project Ideas:", "进阶篇：": a label that announces the list below it


@dataclass(frozen=True)
class Sentence:
    """One sentence of a text: ``text == source[start:end]``."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class RankedSentence:
    """A sentence of a retrieved chunk, scored against a question.

    ``hit`` is the position of the chunk in the hits list that was ranked; ``start``/``end``
    are offsets into that chunk's ``text`` (not ``embed_text``).
    """

    hit: int
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    lexical: float
    dense: float | None = None


def split_sentences(text: str, code: bool = True) -> list[Sentence]:
    """The sentences of ``text`` (markdown or prose, Chinese or English), in order; ``code=False``
    leaves out what a fenced code block holds as code (``prose_lines``)."""
    out: list[Sentence] = []
    for line in LINE.finditer(text) if code else prose_lines(text):
        if TABLE_SEPARATOR.match(line.group()):
            continue
        marker = MARKER.match(line.group())  # always matches, possibly empty
        begin = line.start() + (marker.end() if marker else 0)
        for start, end in _line_spans(text, begin, line.end()):
            out.extend(_trimmed(text, start, end))
    return out


def prose_lines(text: str) -> list[re.Match[str]]:
    """The lines of ``text`` without code: a fence and the lines inside it that read as code
    ("self.norm = LayerNorm(size)", "def forward"); a line of words in a block stays (a docstring's
    "A residual connection followed by a layer norm"). Quoted as an answer, code says nothing."""
    out, fenced = [], False
    for line in LINE.finditer(text):
        if FENCE.match(line.group()):
            fenced = not fenced
        elif not (fenced and CODE.search(line.group())):
            out.append(line)
    return out


def _line_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut one line at its sentence ends (table cells stay within their row)."""
    cuts = [m.end() for m in ZH_END.finditer(text, start, end)]
    cuts += [m.end() for m in EN_END.finditer(text, start, end)
             if not NOT_AN_END.search(text[max(start, m.start() - 8):m.start()])]
    bounds = [start, *sorted(c for c in set(cuts) if start < c < end), end]
    return list(zip(bounds, bounds[1:], strict=False))


def _trimmed(text: str, start: int, end: int) -> list[Sentence]:
    """The span without surrounding white space or table bars (emphasis is kept whole)."""
    while start < end and (text[start].isspace() or text[start] == "|"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == "|"):
        end -= 1
    piece = text[start:end]
    return [Sentence(piece, start, end)] if CONTENT.search(piece) else []


Tokenize = Callable[[str], list[str]]


def form_words(text: str) -> str:
    """Words naming the form of ``text`` that it does not say itself: learners point at "the 7-stage
    table" or "表格里第四行"; the table's cells never say "table"."""
    return TABLE_WORDS if any(TABLE_SEPARATOR.match(line) for line in text.splitlines()) else ""


def context_text(chunk: Chunk) -> str:
    """What each sentence of ``chunk`` is read with: its heading path, which often holds what the question
    names, and its form."""
    return f"{chunk.section} {form_words(chunk.text)}"


def idf_weights(docs: Sequence[Sequence[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of each token over tokenised documents."""
    df: dict[str, int] = {}
    for doc in docs:
        for tok in set(doc):
            df[tok] = df.get(tok, 0) + 1
    n = len(docs)
    return {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}


def lexical_overlap(query_tokens: Sequence[str], tokens: Sequence[str], idf: dict[str, float]) -> float:
    """IDF-weighted share of the query's distinct tokens that ``tokens`` contains (0..1)."""
    return weighted_overlap(dict.fromkeys(query_tokens, 1.0), tokens, idf)


def weighted_overlap(terms: dict[str, float], tokens: Sequence[str], idf: dict[str, float],
                     rare: float | None = None) -> float:
    """IDF × weight share of the query terms that ``tokens`` contains (0..1); a term unknown to
    ``idf`` weighs as the rarest known one (``rare``, computed when not given): an unseen word is
    specific."""
    if not terms:
        return 0.0
    rare = max(idf.values(), default=1.0) if rare is None else rare
    have = set(tokens)
    total = sum(w * idf.get(t, rare) for t, w in terms.items())
    return sum(w * idf.get(t, rare) for t, w in terms.items() if t in have) / total


def rank_sentences(question: str, hits: Sequence[Hit], tokenize: Tokenize, idf: dict[str, float],
                   embedder=None, dense_weight: float = 0.5,
                   terms: dict[str, float] | None = None) -> list[RankedSentence]:
    """Every sentence of ``hits``, best first (ties keep reading order).

    ``tokenize`` and ``idf`` should be the retriever's (``Retriever.tokenize``, ``Retriever.idf``),
    so a question's terms are weighed as BM25 weighs them. With an ``embedder`` (anything with
    ``embed_query``/``embed_passages``) the score is ``(1 - dense_weight) * lexical + dense_weight
    * cosine``; without one it is the lexical overlap alone. ``terms`` (weighted, e.g. the question
    expanded into the other language) replace the question's own tokens; a sentence is read with its
    chunk's ``context_text``.
    """
    weights = terms if terms is not None else dict.fromkeys(tokenize(question), 1.0)
    rows = [(i, h.chunk.id, s) for i, h in enumerate(hits) for s in split_sentences(h.chunk.text, code=False)]
    heads = [tokenize(context_text(h.chunk)) for h in hits]
    lexical = [weighted_overlap(weights, heads[i] + tokenize(s.text), idf) for i, _, s in rows]
    dense = _cosines(question, [s.text for _, _, s in rows], embedder) if embedder and rows else None
    ranked = []
    for n, (i, cid, s) in enumerate(rows):
        d = None if dense is None else float(dense[n])
        score = lexical[n] if d is None else (1 - dense_weight) * lexical[n] + dense_weight * d
        ranked.append(RankedSentence(i, cid, s.text, s.start, s.end, score, lexical[n], d))
    return sorted(ranked, key=lambda r: -r.score)


def _cosines(question: str, texts: list[str], embedder) -> np.ndarray:
    q = np.asarray(embedder.embed_query(question), np.float32)
    m = np.asarray(embedder.embed_passages(texts), np.float32)
    return m @ q / np.maximum(np.linalg.norm(m, axis=1) * max(float(np.linalg.norm(q)), 1e-12), 1e-12)
