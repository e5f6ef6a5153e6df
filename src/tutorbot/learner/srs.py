"""Spaced repetition and mastery: turns graded quiz answers into FSRS schedules and topic scores.

Stage: learner model. Quiz grading produces a score in 0..1; ``review`` maps it to an FSRS
rating and reschedules the question's card; ``topic_mastery`` / ``mastery`` /
``weak_topics`` summarise attempts and cards per curriculum topic for plans and the UI;
``forecast`` and ``streak`` feed the dashboard. Pure functions: no database, no clock
(callers pass ``now``), and the FSRS ``Scheduler`` is always passed in by the caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Protocol

from fsrs import Card, Rating, Scheduler, State
from pydantic import BaseModel, Field

from tutorbot.errors import InputError

CORRECT = 0.8  # a score at or above this counts as a correct answer (self-ratings apply)
WRONG = 0.5  # below this the answer is wrong: always Again
SELF_RATINGS = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
CONFIDENCE_LEVELS = (1, 2, 3, 4)  # asked before grading: 1 guessing, 2 unsure, 3 fairly sure, 4 certain
SURE = 3  # a confidence at or above this is "confident"


class CardState(BaseModel):
    """An fsrs ``Card`` as plain data (what the store keeps as JSON)."""

    card_id: int = 0
    state: int = Field(int(State.Learning), ge=1, le=3, description="fsrs.State value.")
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime
    last_review: datetime | None = None

    @classmethod
    def new(cls, now: datetime, card_id: int = 0) -> CardState:
        """A never-reviewed card, due immediately."""
        return cls(card_id=card_id, due=_utc(now))

    @classmethod
    def from_card(cls, card: Card) -> CardState:
        return cls.model_validate(card.to_dict())

    def to_card(self) -> Card:
        return Card(card_id=self.card_id, state=State(self.state), step=self.step,
                    stability=self.stability, difficulty=self.difficulty,
                    due=_utc(self.due), last_review=_utc(self.last_review) if self.last_review else None)


class TopicMastery(BaseModel):
    """How well one topic is known, and on how much evidence."""

    topic: str
    score: float = Field(ge=0, le=1, description="Combined mastery 0..1.")
    recent: float | None = Field(None, description="Recency-weighted mean of the last attempts' scores.")
    retention: float | None = Field(None, description="Mean FSRS retrievability of the topic's reviewed cards.")
    attempts: int = 0
    right: int = Field(0, description="How many of the newest ``window`` attempts were answered correctly.")
    cards: int = 0


class ScoredAttempt(Protocol):
    """What mastery needs from a quiz attempt (``store.Attempt`` fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def created_at(self) -> datetime: ...


class TopicCard(Protocol):
    """What mastery and forecasts need from a review card (``store.ReviewCard`` fits)."""

    @property
    def topic(self) -> str: ...
    @property
    def state(self) -> CardState: ...
    @property
    def due(self) -> datetime: ...


def new_scheduler(*, desired_retention: float = 0.9, fuzz: bool = True) -> Scheduler:
    """The FSRS scheduler the app uses; tests pass ``fuzz=False`` for deterministic intervals."""
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def rating_for(score: float, self_rating: str | None = None, confidence: int | None = None) -> Rating:
    """Map a graded score (and the learner's own feeling, if the answer was correct, else the confidence
    they gave before grading) to a rating."""
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"score must be between 0 and 1, got {score!r}")
    if confidence is not None and self_rating is None:
        return confident_rating(score, confidence)
    if score < WRONG:
        return Rating.Again  # a wrong answer is never "easy", whatever the learner says
    if score < CORRECT:
        return Rating.Hard
    if self_rating is None:
        return Rating.Good
    try:
        return SELF_RATINGS[self_rating.strip().lower()]
    except KeyError:
        raise InputError(f"self_rating must be one of {sorted(SELF_RATINGS)}, got {self_rating!r}") from None


def confident_rating(score: float, confidence: int) -> Rating:
    """The rating of a graded answer given how sure (1-4) the learner said they were before grading."""
    if isinstance(confidence, bool) or confidence not in CONFIDENCE_LEVELS:
        raise InputError(f"confidence must be 1, 2, 3 or 4, got {confidence!r}")
    if score < WRONG or (score < CORRECT and confidence >= SURE):
        return Rating.Again  # confident and wrong: the wrong belief has to be relearned, not just refreshed
    if score < CORRECT or confidence < SURE:
        return Rating.Hard  # unsure and right: right as much by luck as by memory, so it comes back sooner
    return Rating.Good


def review(scheduler: Scheduler, state: CardState | None, score: float, now: datetime,
           self_rating: str | None = None, confidence: int | None = None) -> tuple[CardState, datetime]:
    """Apply one graded answer to a card (a new one if ``state`` is None); returns it and its due time."""
    when = _utc(now)
    card = state.to_card() if state else CardState.new(when).to_card()
    rating = rating_for(score, self_rating, confidence)
    reviewed, _log = scheduler.review_card(card, rating, review_datetime=when)
    new_state = CardState.from_card(reviewed)
    return new_state, new_state.due


def retrievability(scheduler: Scheduler, state: CardState, now: datetime) -> float:
    """Predicted probability of recalling the card at ``now`` (0 for never-reviewed cards)."""
    return float(scheduler.get_card_retrievability(state.to_card(), current_datetime=_utc(now)))


def topic_mastery(scheduler: Scheduler, attempts: Iterable[ScoredAttempt], cards: Iterable[TopicCard],
                  now: datetime, *, window: int = 10, decay: float = 0.7,
                  card_weight: float = 0.3) -> dict[str, TopicMastery]:
    """Per-topic mastery: recent quiz results blended with how well the topic's cards are retained.

    The newest ``window`` attempts count, each older one ``decay`` times less, so a run of
    right (or wrong) answers moves the score quickly. Cards never reviewed carry no evidence.
    """
    by_topic: dict[str, list[ScoredAttempt]] = defaultdict(list)
    for a in attempts:
        by_topic[a.topic].append(a)
    recall: dict[str, list[float]] = defaultdict(list)
    card_count: dict[str, int] = defaultdict(int)
    for c in cards:
        card_count[c.topic] += 1
        if c.state.last_review is not None:
            recall[c.topic].append(retrievability(scheduler, c.state, now))
    out = {}
    for topic in sorted(set(by_topic) | set(card_count)):
        recent = _recent_score(by_topic.get(topic, []), window, decay)
        retention = sum(recall[topic]) / len(recall[topic]) if recall.get(topic) else None
        out[topic] = TopicMastery(topic=topic, score=_blend(recent, retention, card_weight), recent=recent,
                                  retention=retention, attempts=len(by_topic.get(topic, [])),
                                  right=_right(by_topic.get(topic, []), window), cards=card_count.get(topic, 0))
    return out


def mastery(scheduler: Scheduler, attempts: Iterable[ScoredAttempt], cards: Iterable[TopicCard],
            now: datetime) -> dict[str, float]:
    """Mastery 0..1 per topic that has any attempts or cards."""
    return {t: m.score for t, m in topic_mastery(scheduler, attempts, cards, now).items()}


def weak_topics(report: Mapping[str, TopicMastery], threshold: float = 0.6, min_attempts: int = 1) -> list[str]:
    """Topics below ``threshold``, or with no right answer among the recent ones, weakest first.

    The second rule is for few answers: right after a quiz every card was just reviewed, so its
    retention is 1.0 and lifts the blended score even when every answer was wrong (three answers
    graded 0.45 score 0.615). A learner who got none of a topic's questions right must see it as weak.
    """
    weak = [m for m in report.values() if m.attempts >= min_attempts and (m.score < threshold or m.right == 0)]
    return [m.topic for m in sorted(weak, key=lambda m: (m.score, m.topic))]


def forecast(cards: Iterable[TopicCard], now: datetime, days: int = 14,
             tz: tzinfo = UTC) -> list[tuple[date, int]]:
    """Cards due per calendar day in ``tz`` (the learner's days) for ``days`` days from today; overdue
    cards count on today."""
    if days < 1:
        raise ValueError(f"forecast days must be at least 1, got {days}")
    today = _utc(now).astimezone(tz).date()
    counts = [0] * days
    for c in cards:
        offset = max(0, (_utc(c.due).astimezone(tz).date() - today).days)
        if offset < days:
            counts[offset] += 1
    return [(today + timedelta(days=i), n) for i, n in enumerate(counts)]


def streak(activity: Iterable[date | datetime], today: date) -> int:
    """Consecutive days with activity ending today, or yesterday if nothing happened yet today."""
    days = {d.date() if isinstance(d, datetime) else d for d in activity}
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def _recent_score(attempts: Sequence[ScoredAttempt], window: int, decay: float) -> float | None:
    newest = sorted(attempts, key=lambda a: a.created_at, reverse=True)[:window]
    if not newest:
        return None
    weights = [decay**i for i in range(len(newest))]
    return sum(w * a.score for w, a in zip(weights, newest, strict=True)) / sum(weights)


def _right(attempts: Sequence[ScoredAttempt], window: int) -> int:
    newest = sorted(attempts, key=lambda a: a.created_at, reverse=True)[:window]
    return sum(a.score >= CORRECT for a in newest)


def _blend(recent: float | None, retention: float | None, card_weight: float) -> float:
    if recent is None:
        return retention or 0.0
    if retention is None:
        return recent
    return (1 - card_weight) * recent + card_weight * retention


def _utc(dt: datetime) -> datetime:
    """fsrs insists on tz-aware UTC; naive datetimes are ambiguous, so refuse them."""
    if dt.tzinfo is None:
        raise ValueError(f"datetime {dt.isoformat()} has no timezone; pass an aware UTC datetime")
    return dt.astimezone(UTC)
