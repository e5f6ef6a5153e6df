"""What the learner knows and when to review it: mastery per topic, weak topics, the progress view.

Stage: quiz results (in the learner store) → **Progress** → plans (weak topics get review slots),
the quiz tab (weak topics first) and the Progress tab. Quizzes write, plans and the UI read: the
dependency runs quiz → learner ← plans, so plans and quizzes never import each other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo
from typing import Any, Protocol

from pydantic import BaseModel

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
                            streak=streak(active, now.date()), attempts=len(attempts), cards=len(cards))

    def _namer(self, lang: str) -> Callable[[str], str]:
        names = self.names
        return (lambda tid: names.name_of(tid, lang)) if names is not None else (lambda tid: tid)


def _history_row(attempt: Any, name: Callable[[str], str]) -> HistoryRow:
    question = str(attempt.question.get("question", ""))[:120]
    return HistoryRow(when=attempt.created_at, topic=name(attempt.topic), question=question,
                      score=attempt.score, correct=attempt.correct)
