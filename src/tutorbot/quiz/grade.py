"""Quiz grading: exact for choices, the same term for blanks, key terms for short answers.

Stage: learner answer → **grade** → feedback/SRS. Multiple choice accepts a letter, a number or
the option's text; true/false accepts common words in both languages; a blank accepts the key in
any inflection ("Generative Models" for "generative modeling"), its accepted variants and either
language's term for it (``vocabulary.Equivalents``). A short answer is graded on the concept: each
key term of the explaining sentence earns credit when the answer names it (in any form), partial
credit for part of it; with embedding similarity to the reference, measured above the question's
own similarity so restating the question earns nothing; and, when the model answers with a valid
rubric grade, the model's score — clamped to within ``grade_band`` of the deterministic one, so
a broken model can neither give full marks to nonsense nor zero to a verbatim correct answer.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from typing import Annotated

import numpy as np
from pydantic import BaseModel, Field, create_model

from tutorbot.errors import TutorbotError
from tutorbot.lang import LANGUAGE_NAME
from tutorbot.learner.srs import CORRECT
from tutorbot.llm.client import LLMClient, LLMError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.quiz.match import contains, coverage, fold
from tutorbot.quiz.models import Grade, KeyPoint, Question, QuizConfig
from tutorbot.quiz.vocabulary import Equivalents, TermGroups, same_term, term_key
from tutorbot.retrieval.embed import Embedder

LETTERS = "abcd"
TRUE_WORDS = {"true", "t", "yes", "y", "1", "对", "正确", "是", "真", "√"}
FALSE_WORDS = {"false", "f", "no", "n", "0", "错", "错误", "否", "假", "×"}


class AnswerError(TutorbotError, ValueError):
    """The answer cannot be graded as given; the message says what to type instead."""


def check_answer(answer: str, limit: int) -> str:
    """The answer stripped, or ``AnswerError`` for empty, oversized or control-character input."""
    if not isinstance(answer, str):
        raise AnswerError(f"the answer must be text, got {type(answer).__name__}")
    text = answer.strip()
    if not text:
        raise AnswerError("the answer is empty: type an answer (a letter A-D for multiple choice)")
    if len(text) > limit:
        raise AnswerError(f"the answer is {len(text)} characters; the limit is {limit}")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t\r" for ch in text):
        raise AnswerError("the answer contains control characters; type plain text")
    if any(unicodedata.category(ch) == "Cs" for ch in text):  # the store refuses them after grading began
        raise AnswerError("the answer contains invalid characters (lone surrogates); type plain text")
    return text


def choice_of(q: Question, answer: str) -> str:
    """The option the learner chose (mcq/tf), or ``AnswerError`` naming what is accepted."""
    low = fold(answer).replace(" ", "")
    for opt in q.options:
        if fold(opt) == fold(answer):
            return opt
    if q.type == "mcq":
        index = LETTERS.find(low) if len(low) == 1 and low in LETTERS else -1
        if low in ("1", "2", "3", "4"):  # not ``in "1234"``: that substring test let "" (punctuation) reach int()
            index = int(low) - 1
        if 0 <= index < len(q.options):
            return q.options[index]
        raise AnswerError("answer with A, B, C or D (or 1-4, or the option's text)")
    if low in TRUE_WORDS or answer.strip() in TRUE_WORDS:
        return q.options[0]
    if low in FALSE_WORDS or answer.strip() in FALSE_WORDS:
        return q.options[1]
    raise AnswerError(f"answer with {q.options[0]} or {q.options[1]} (true/false, T/F, 对/错)")


def grade_exact(q: Question, answer: str, equivalents: Equivalents | None = None) -> Grade:
    if q.type in ("mcq", "tf"):
        right = choice_of(q, answer) == q.answer
    else:
        eq = equivalents or TermGroups([])
        keys = [q.answer, *q.accepted, *eq.of(q.answer)]
        right = any(same_term(answer, k) or fold(answer).replace(" ", "") == fold(k).replace(" ", "") for k in keys)
    return Grade(score=1.0 if right else 0.0, correct=right, method="exact")


def point_score(point: str, answer: str, equivalents: Equivalents) -> float:
    """How much of one key term the answer states: 1 when it names it in any form or language, else the
    share of the term's words (or Chinese character pairs) it uses."""
    forms = [point, *equivalents.of(point)]
    if any(contains(answer, f) for f in forms):
        return 1.0
    words, said = term_key(point).split(), set(term_key(answer).split())
    if words and all(w in said for w in words):
        return 1.0
    return round(max(coverage(f, answer) for f in forms), 3)


@cache
def rubric_schema(points: int) -> type[BaseModel]:
    """The model's grade with exactly one 0-2 score per key point."""
    score = (list[Annotated[int, Field(ge=0, le=2)]], Field(min_length=points, max_length=points))
    return create_model(f"RubricGrade{points}", scores=score, feedback=(str, Field(max_length=120)))


class Grader:
    def __init__(self, embedder: Embedder | None, llm: LLMClient | None, prompts: PromptLibrary | None,
                 config: QuizConfig | None = None, equivalents: Equivalents | None = None):
        self.embedder, self.llm, self.prompts = embedder, llm, prompts
        self.config = config or QuizConfig()
        self.equivalents = equivalents or TermGroups([])

    def grade(self, q: Question, answer: str) -> Grade:
        answer = check_answer(answer, self.config.answer_max_chars)
        return self.grade_short(q, answer) if q.type == "short" else grade_exact(q, answer, self.equivalents)

    def grade_short(self, q: Question, answer: str) -> Grade:
        points = [point_score(p, answer, self.equivalents) for p in q.rubric]
        similar = self._similarity(q, answer)
        det = 0.7 * sum(points) / len(points) + 0.3 * similar
        final, per_point, comment, method = self._with_model(q, answer, det, points, similar)
        if all(p >= 1.0 for p in points):
            final = max(final, CORRECT)  # every key point stated verbatim is a correct answer, whatever the model says
        final = float(np.clip(final, 0.0, 1.0))
        key_points = [KeyPoint(point=p, score=round(s, 3), covered=s >= 0.6)
                      for p, s in zip(q.rubric, per_point, strict=True)]
        return Grade(score=round(final, 3), correct=final >= CORRECT, method=method, key_points=key_points,
                     comment=comment.strip())

    def _with_model(self, q: Question, answer: str, det: float, points: list[float],
                    similar: float) -> tuple[float, list[float], str, str]:
        """(score, per-point scores, comment, method): the model's grade within ``grade_band`` of ``det``."""
        model = self._model_scores(q, answer)
        if model is None:
            return det, points, "", "rubric"
        scores, note = model
        band = self.config.grade_band
        raw = 0.7 * sum(scores) / len(scores) + 0.3 * similar
        final = float(np.clip(raw, det - band, det + band))
        per_point = [float(np.clip(m, d - band, d + band)) for m, d in zip(scores, points, strict=True)]
        return final, per_point, note if final == raw else "", "rubric+model"  # clamped: drop the model's words

    def _similarity(self, q: Question, answer: str) -> float:
        """How much closer the answer is to the reference than the question itself is (0..1)."""
        if self.embedder is None:
            return 0.0
        ref, ans, ques = (self.embedder.embed_query(t) for t in (q.answer, answer, q.question))
        base = float(np.dot(ques, ref))
        return float(np.clip((float(np.dot(ans, ref)) - base) / max(1.0 - base, 1e-6), 0.0, 1.0))

    def _model_scores(self, q: Question, answer: str) -> tuple[list[float], str] | None:
        if self.llm is None or self.prompts is None:
            return None
        prompt = self.prompts.render(
            "quiz_grade", language_name=LANGUAGE_NAME[q.language], question=q.question, reference=q.answer,
            key_points="\n".join(f"{i}. {p}" for i, p in enumerate(q.rubric, 1)), answer=answer)
        try:
            out = self.llm.structured([{"role": "user", "content": prompt}], rubric_schema(len(q.rubric)),
                                      max_tokens=160)
        except LLMError:  # unavailable or invalid output: the deterministic grade stands alone
            return None
        return [s / 2 for s in out.scores], out.feedback  # type: ignore[attr-defined]  # a schema built at run time
