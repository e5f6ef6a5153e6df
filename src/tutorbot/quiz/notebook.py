"""The wrong-answer notebook: every question the learner missed, with the passage that explains it.

Stage: attempt log → **notebook** → the Quiz tab's notebook panel and `tutorbot notebook`. Each missed
question appears once (its latest miss, how often it was missed, its error pattern), with the
explaining sentence and its source, newest first; it is marked fixed once a later answer to it was
right. Any entry can be asked again as a one-question quiz, and ``session`` builds a short review
(about ten minutes: ``SESSION_QUESTIONS`` questions) from the due cards first, then the notebook's
unfixed entries; questions on the weak prerequisites the learner's mistakes point to go first of all.
Quizzes made here are archived like any other, so answering them grades, logs and reschedules the
same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from tutorbot.quiz.models import Question, Quiz, QuizLang

SESSION_QUESTIONS = 10  # about a minute per question: "review 10 minutes"


class NotebookEntry(BaseModel):
    """One missed question as the notebook shows it."""

    question_id: str
    topic: str
    question: str
    given: str
    answer: str
    explanation: str
    source_link: str
    pattern: str = ""
    misses: int
    last_missed: datetime
    fixed: bool = False


class Notebook:
    """Missed questions of a learner, re-askable; reads the attempt log and archives the quizzes it makes."""

    def __init__(self, store: Any, clock: Callable[[], datetime],
                 first: Callable[[int], Collection[str]] = lambda user_id: ()):
        self.store, self.clock, self._first = store, clock, first

    def entries(self, user_id: int, topic: str | None = None) -> list[NotebookEntry]:
        """Every missed question once, newest miss first (attempts come newest first)."""
        found: dict[str, NotebookEntry] = {}
        right: set[str] = set()
        for a in self.store.attempts(user_id, topic=topic):
            if a.correct:
                right.add(a.question_id)  # newer than every miss seen after it in this order
            elif (q := _question(a.question)) is not None:
                old = found.get(a.question_id)
                found[a.question_id] = old.model_copy(update={"misses": old.misses + 1}) if old else \
                    _entry(q, a, fixed=a.question_id in right)
        return list(found.values())

    def question(self, user_id: int, question_id: str) -> Question:
        """The missed question ``question_id``; KeyError when the learner never missed it."""
        for a in self.store.attempts(user_id):
            if a.question_id == question_id and not a.correct and (q := _question(a.question)) is not None:
                return q
        raise KeyError(f"question {question_id!r} is not in this learner's notebook")

    def reask(self, user_id: int, question_id: str) -> Quiz:
        """The missed question again, as a one-question quiz."""
        return self._quiz(user_id, [self.question(user_id, question_id)])

    def session(self, user_id: int, n: int = SESSION_QUESTIONS) -> Quiz:
        """Due cards first, then unfixed notebook entries, ``n`` questions at most; empty when there is nothing."""
        due = [q for c in self.store.due_cards(user_id, now=self.clock(), limit=n)
               if (q := _question(c.payload.get("question"))) is not None]
        have = {q.id for q in due}
        missed = [self.question(user_id, e.question_id) for e in self.entries(user_id)
                  if not e.fixed and e.question_id not in have]
        weak = self._first(user_id)  # a prerequisite behind the mistakes is reviewed before what needs it
        ordered = sorted([*due, *missed], key=lambda q: q.topic not in weak)
        return self._quiz(user_id, ordered[:n])

    def _quiz(self, user_id: int, questions: list[Question]) -> Quiz:
        lang: QuizLang = questions[0].language if questions else "en"
        quiz = Quiz(id=f"qz-{uuid.uuid4().hex[:16]}", user_id=user_id, kind="review", language=lang,
                    questions=questions, created_at=self.clock())
        if questions:
            self.store.save_quiz(user_id, quiz.id, quiz.model_dump(mode="json"), quiz.created_at)
        return quiz


def _entry(q: Question, attempt: Any, fixed: bool) -> NotebookEntry:
    kind = attempt.mistake.get("kind", "") if isinstance(attempt.mistake, dict) else ""
    return NotebookEntry(question_id=q.id, topic=q.topic, question=q.question, given=attempt.answer, answer=q.answer,
                         explanation=q.explanation or q.source.quote, source_link=q.source.link, pattern=kind,
                         misses=1, last_missed=attempt.created_at, fixed=fixed)


def _question(data: Any) -> Question | None:
    try:
        return Question.model_validate(data)
    except ValidationError:
        return None
