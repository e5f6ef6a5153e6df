"""What the learner knows and when to review it: mastery per topic, weak topics, the progress view.

Stage: quiz results (in the learner store) → **Progress** → plans (weak topics get review slots),
the quiz tab (weak topics first) and the Progress tab; repeated mistakes (``patterns``) give review
reasons and name the unmastered prerequisites they point to. Quizzes write, plans and the UI read: the
dependency runs quiz → learner ← plans, so plans and quizzes never import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Protocol

from pydantic import BaseModel

from tutorbot.learner.calibration import CalibrationBar, calibration
from tutorbot.learner.patterns import PatternRow, patterns, rows, weak_prereqs
from tutorbot.learner.srs import TopicMastery, forecast, streak, topic_mastery, weak_topics

FORECAST_DAYS = 14
HISTORY_ROWS = 200


class TopicNames(Protocol):
    def name_of(self, topic_id: str, lang: str) -> str: ...


class HistoryRow(BaseModel):
    when: datetime
    topic: str
    question: str
    score: float
    correct: bool


class ProgressView(BaseModel):
    mastery: list[tuple[str, float]]  # (topic name, percent), weakest first
    weak: list[tuple[str, str]] = []  # (topic name, topic id) of the weak topics, weakest first
    due: list[tuple[date, int]]  # reviews due per day in the learner's time zone
    next_review: datetime | None = None  # the earliest card's due time (UTC)
    history: list[HistoryRow]
    patterns: list[PatternRow] = []  # repeated mistakes per topic with their review reasons, most frequent first
    calibration: list[CalibrationBar] = []  # percent right per confidence given before grading
    streak: int
    attempts: int
    cards: int


class Progress:
    """Mastery from recent results and card retrievability (FSRS), read from the learner store."""

    def __init__(self, store: Any, scheduler: Any, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 names: TopicNames | None = None) -> None:
        self.store, self.scheduler, self.clock, self.names = store, scheduler, clock, names

    def mastery(self, user_id: int) -> dict[str, TopicMastery]:
        return topic_mastery(self.scheduler, self.store.attempts(user_id), self.store.cards(user_id), self.clock())

    def weak_topics(self, user_id: int, threshold: float = 0.6) -> list[str]:
        """Topics below ``threshold`` mastery or with no recent right answer, weakest first."""
        return weak_topics(self.mastery(user_id), threshold)

    def mastered(self, user_id: int) -> set[str]:
        """Topics the learner has shown they know (answered and not weak), or said they know (profile)."""
        report = self.mastery(user_id)
        known = {tid for tid, status in self.store.topic_status(user_id).items() if status == "known"}
        return (set(report) - set(weak_topics(report))) | known

    def patterns(self, user_id: int, lang: str, topics: set[str] | None = None) -> list[PatternRow]:
        """Repeated mistakes (of ``topics`` only, when given) with their review reasons in ``lang``."""
        found = [p for p in patterns(self.store.attempts(user_id)) if topics is None or p.topic in topics]
        return rows(found, self._namer(lang), lang)

    def weak_prereqs(self, user_id: int) -> dict[str, list[str]]:
        """Unmastered prerequisites that repeated mistakes point to, most blamed first, with the topics
        whose mistakes point to each."""
        return weak_prereqs(patterns(self.store.attempts(user_id)), self.mastered(user_id))

    def view(self, user_id: int, lang: str, tz: tzinfo = UTC) -> ProgressView:
        """Everything the Progress tab shows for one learner; days are counted in the time zone ``tz``."""
        now, name = self.clock(), self._namer(lang)
        attempts, cards, report = self.store.attempts(user_id), self.store.cards(user_id), self.mastery(user_id)
        mastery = sorted(((name(m.topic), round(100 * m.score, 1)) for m in report.values()),
                         key=lambda x: (x[1], x[0]))
        active = [a.created_at for a in attempts] + [r.reviewed_at for r in self.store.review_log(user_id)]
        upcoming = min((c.due for c in cards), default=None)
        return ProgressView(mastery=mastery, weak=[(name(tid), tid) for tid in weak_topics(report)],
                            due=forecast(cards, now, FORECAST_DAYS, tz), next_review=upcoming,
                            history=[_history_row(a, name) for a in attempts[:HISTORY_ROWS]],
                            patterns=rows(patterns(attempts), name, lang), calibration=calibration(attempts),
                            streak=streak(active, now.date()), attempts=len(attempts), cards=len(cards))

    def _namer(self, lang: str) -> Callable[[str], str]:
        names = self.names
        return (lambda tid: names.name_of(tid, lang)) if names is not None else (lambda tid: tid)


def _history_row(attempt: Any, name: Callable[[str], str]) -> HistoryRow:
    question = str(attempt.question.get("question", ""))[:120]
    return HistoryRow(when=attempt.created_at, topic=name(attempt.topic), question=question,
                      score=attempt.score, correct=attempt.correct)
