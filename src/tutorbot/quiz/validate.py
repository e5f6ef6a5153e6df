"""Quiz validation: no question reaches a learner unless its cited passage backs its answer key.

Stage: generation (rules or model) → **validation** → quiz. Checks, in order: the cited chunk
exists; options do not repeat; the answer key is in the passage (lexically, on the anchor's line
when there is one); no other option and no false claim is supported by the same check; the
question does not give its answer away; it is not a repeat of what the learner saw recently;
a model question is in the learner's language; and question + answer are semantically close to
the passage (embedding cosine). The lexical helpers are shared with grading.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from tutorbot.quiz.match import contains, coverage, fold, jaccard, language_of, names_ids, supports, unquoted
from tutorbot.quiz.models import BLANK, Question, QuizConfig
from tutorbot.retrieval.embed import Embedder
from tutorbot.schemas import Chunk
from tutorbot.verify.facts import missing_facts
from tutorbot.verify.loops import is_degenerate

# -- embeddings -----------------------------------------------------------------------------

Neighbours = Callable[[np.ndarray, int], list[str]]


class PassageVectors:
    """Unit vectors of chunks (the index's stored ones when available, else embedded once, cached),
    and optionally the ids of the chunks nearest to a vector (from the index)."""

    def __init__(self, embedder: Embedder, stored: Callable[[list[str]], dict[str, np.ndarray]] | None = None,
                 neighbours: Neighbours | None = None):
        self.embedder, self._stored, self.neighbours = embedder, stored, neighbours
        self._cache: dict[str, np.ndarray] = {}

    def get(self, chunk: Chunk) -> np.ndarray:
        if chunk.id not in self._cache:
            found = self._stored([chunk.id]) if self._stored else {}
            vec = found.get(chunk.id)
            self._cache[chunk.id] = vec if vec is not None else self.embedder.embed_passages([chunk.embed_text])[0]
        return self._cache[chunk.id]

    def closeness(self, text: str, chunk: Chunk, k: int | None = None) -> tuple[float, bool]:
        """Cosine of ``text`` to the chunk, and whether the chunk is among the ``k`` nearest (True if unknown)."""
        vec = self.embedder.embed_query(text)
        near = k is None or self.neighbours is None or chunk.id in self.neighbours(vec, k)
        return float(np.dot(vec, self.get(chunk))), near


# -- the validator --------------------------------------------------------------------------

class Seen:
    """Questions a learner saw recently (by id, or by near-identical text with the same answer)."""

    def __init__(self, questions: Iterable[Question] = (), threshold: float = 0.85):
        self.ids: set[str] = set()
        self.items: list[tuple[str, str]] = []
        self.threshold = threshold
        for q in questions:
            self.add(q)

    def add(self, q: Question) -> None:
        self.ids.add(q.id)
        self.items.append((q.question, fold(q.answer)))

    def has(self, q: Question) -> bool:
        answer = fold(q.answer)
        return q.id in self.ids or any(a == answer and jaccard(text, q.question) >= self.threshold
                                       for text, a in self.items)


def model_text_fails(q: Question, passage: str) -> bool:
    """The truth gate on what the model wrote itself: a looping question, or one stating a fact (a name, a
    number, a title) its passage does not state."""
    return is_degenerate(q.question) or bool(missing_facts(q.question, [passage]))


class QuizValidator:
    def __init__(self, chunk_by_id: Callable[[str], Chunk | None], vectors: PassageVectors | None,
                 config: QuizConfig | None = None):
        self.chunk_by_id, self.vectors = chunk_by_id, vectors
        self.config = config or QuizConfig()

    def check(self, q: Question, seen: Seen) -> str | None:
        """None when ``q`` may be shown; otherwise the reason it is rejected."""
        chunk = self.chunk_by_id(q.source.chunk_id)
        if chunk is None:
            return "unknown_source"
        passage = chunk.embed_text
        for reason, failed in (("names_ids", lambda: names_ids(" ".join([q.question, q.answer, *q.options]))),
                               ("options_repeat", lambda: self._options_repeat(q)),
                               ("unsupported", lambda: not self._key_supported(q, passage)),
                               ("several_correct", lambda: self._several_correct(q, passage)),
                               ("false_claim_supported", lambda: any(supports(passage, a, q.anchor)
                                                                     for a in q.absent)),
                               ("gives_answer_away", lambda: self._gives_away(q)),
                               ("duplicate", lambda: seen.has(q)),
                               ("wrong_language", lambda: language_of(unquoted(q.question)) != q.language),
                               ("unchecked_claims", lambda: q.origin == "model" and model_text_fails(q, passage)),
                               ("off_topic", lambda: not self._close(q, chunk))):
            if failed():
                return reason
        return None

    @staticmethod
    def _options_repeat(q: Question) -> bool:
        opts = [fold(o) for o in q.options]
        if len(set(opts)) < len(opts) or not all(opts):
            return True
        return any(jaccard(a, b) >= 0.9 for i, a in enumerate(q.options) for b in q.options[i + 1:])

    @classmethod
    def supported(cls, q: Question, passage: str) -> bool:
        """The passage states the key (and every key point), no other option, and no false claim."""
        return cls._key_supported(q, passage) and not cls._several_correct(q, passage) \
            and not any(supports(passage, a, q.anchor) for a in q.absent)

    @staticmethod
    def _key_supported(q: Question, passage: str) -> bool:
        if not supports(passage, q.key, q.anchor):
            return False
        return all(contains(passage, p) or coverage(p, passage) >= 0.7 for p in q.rubric)

    @staticmethod
    def _several_correct(q: Question, passage: str) -> bool:
        if q.type != "mcq":
            return False
        return any(o != q.answer and supports(passage, o, q.anchor) for o in q.options)

    @staticmethod
    def _gives_away(q: Question) -> bool:
        if q.type == "tf":
            return False
        if q.type == "blank":
            return any(contains(q.question, a) for a in [q.answer, *q.accepted])
        if contains(q.question, q.answer):
            return True
        shown = sum(contains(q.question, p) for p in q.rubric)
        return bool(q.rubric) and shown * 2 > len(q.rubric)

    def _close(self, q: Question, chunk: Chunk) -> bool:
        if self.vectors is None:
            return True
        text = q.question.replace(BLANK, q.answer) if q.type == "blank" else f"{q.question} {q.answer}"
        # a rule question's passage may rank low (it lists the fact among others); a model
        # question must also be about its passage more than about most others
        k = self.config.model_top_k if q.origin == "model" else None
        sim, near = self.vectors.closeness(text, chunk, k)
        return near and sim >= self.config.min_similarity
