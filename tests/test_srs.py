"""srs: score→rating mapping, FSRS intervals, mastery, weak topics, due forecast and streaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fsrs import Rating, State
from pydantic import BaseModel

from tutorbot.learner import srs
from tutorbot.learner.srs import CardState

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Att(BaseModel):
    topic: str
    score: float
    created_at: datetime


class Crd(BaseModel):
    topic: str
    state: CardState
    due: datetime


@pytest.fixture
def scheduler():
    return srs.new_scheduler(fuzz=False)


@pytest.mark.parametrize("score,own,expected", [
    (0.0, None, Rating.Again), (0.49, None, Rating.Again), (0.5, None, Rating.Hard), (0.79, None, Rating.Hard),
    (0.8, None, Rating.Good), (0.99, None, Rating.Good), (1.0, None, Rating.Good),
    (1.0, "easy", Rating.Easy), (1.0, "Hard", Rating.Hard), (1.0, "again", Rating.Again),
    (0.9, "good", Rating.Good),
    (0.2, "easy", Rating.Again), (0.6, "easy", Rating.Hard),  # self-ratings never upgrade a wrong/partial answer
])
def test_rating_for(score: float, own: str | None, expected: Rating) -> None:
    assert srs.rating_for(score, own) == expected


@pytest.mark.parametrize("score,sure,expected", [
    (0.0, 4, Rating.Again), (0.0, 1, Rating.Again),  # wrong is Again, however sure
    (0.6, 4, Rating.Again), (0.6, 3, Rating.Again),  # confident and partly wrong: Again, not Hard
    (0.6, 2, Rating.Hard), (0.6, 1, Rating.Hard),  # unsure and partly right: Hard, as without a confidence
    (1.0, 1, Rating.Hard), (0.8, 2, Rating.Hard),  # unsure and right: Hard
    (1.0, 3, Rating.Good), (0.8, 4, Rating.Good),  # sure and right: Good
])
def test_a_confidence_given_before_grading_maps_into_the_rating(score: float, sure: int, expected: Rating) -> None:
    assert srs.rating_for(score, confidence=sure) == expected


def test_a_self_rating_after_grading_outranks_the_confidence_and_a_bad_confidence_is_refused() -> None:
    assert srs.rating_for(1.0, "easy", confidence=1) == Rating.Easy
    for bad in (0, 5, True, 2.5):
        with pytest.raises(ValueError, match="confidence must be 1, 2, 3 or 4"):
            srs.rating_for(1.0, confidence=bad)  # type: ignore[arg-type]


def test_confident_and_wrong_comes_back_sooner_than_unsure_and_partly_right(scheduler) -> None:
    _, again = srs.review(scheduler, None, 0.6, T0, confidence=4)
    _, hard = srs.review(scheduler, None, 0.6, T0, confidence=1)
    assert again < hard


def test_rating_for_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        srs.rating_for(1.2)
    with pytest.raises(ValueError, match="self_rating"):
        srs.rating_for(1.0, "meh")


def _good_streak(scheduler, n: int) -> tuple[CardState, list[timedelta]]:
    state, now, gaps = None, T0, []
    for _ in range(n):
        state, due = srs.review(scheduler, state, 1.0, now)
        gaps.append(due - now)
        now = due  # answer exactly when due
    return state, gaps


def test_intervals_grow_with_consecutive_good_answers(scheduler) -> None:
    state, gaps = _good_streak(scheduler, 6)
    assert all(later > earlier for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
    assert gaps[-1] > timedelta(days=30)
    assert state.state == State.Review


def test_wrong_answer_shrinks_the_interval(scheduler) -> None:
    state, gaps = _good_streak(scheduler, 5)
    now = state.due
    lapsed, due = srs.review(scheduler, state, 0.0, now)
    assert due - now < timedelta(days=1) < gaps[-1]
    assert lapsed.state == State.Relearning
    assert lapsed.stability < state.stability


def test_review_requires_aware_datetimes(scheduler) -> None:
    with pytest.raises(ValueError, match="timezone"):
        srs.review(scheduler, None, 1.0, datetime(2025, 1, 1))


def test_card_state_round_trips_through_json_and_fsrs(scheduler) -> None:
    state, _ = _good_streak(scheduler, 3)
    assert CardState.model_validate_json(state.model_dump_json()) == state
    assert CardState.from_card(state.to_card()) == state


def test_retrievability_decays(scheduler) -> None:
    new = CardState.new(T0)
    assert srs.retrievability(scheduler, new, T0) == 0
    state, _ = srs.review(scheduler, new, 1.0, T0)
    later = [srs.retrievability(scheduler, state, T0 + timedelta(days=d)) for d in (0, 2, 30)]
    assert later[0] == pytest.approx(1.0) and later[0] > later[1] > later[2] > 0


def _attempts(topic: str, scores: list[float]) -> list[Att]:
    return [Att(topic=topic, score=s, created_at=T0 + timedelta(minutes=i)) for i, s in enumerate(scores)]


def test_mastery_follows_recent_results(scheduler) -> None:
    now = T0 + timedelta(days=1)
    base = srs.mastery(scheduler, _attempts("t", [0.0, 1.0]), [], now)["t"]
    better = srs.mastery(scheduler, _attempts("t", [0.0, 1.0, 1.0, 1.0]), [], now)["t"]
    worse = srs.mastery(scheduler, _attempts("t", [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]), [], now)["t"]
    assert 0 <= worse < base < better <= 1


def test_mastery_only_uses_the_last_window(scheduler) -> None:
    old_failures = _attempts("t", [0.0] * 20 + [1.0] * 10)
    assert srs.mastery(scheduler, old_failures, [], T0)["t"] == pytest.approx(1.0)


def test_mastery_blends_card_retention(scheduler) -> None:
    state, _ = srs.review(scheduler, None, 1.0, T0)
    fresh = [Crd(topic="t", state=state, due=state.due)]
    attempts = _attempts("t", [1.0])
    soon = srs.topic_mastery(scheduler, attempts, fresh, T0)["t"]
    much_later = srs.topic_mastery(scheduler, attempts, fresh, T0 + timedelta(days=60))["t"]
    assert soon.retention == pytest.approx(1.0) and much_later.score < soon.score
    assert (soon.attempts, soon.cards) == (1, 1)
    unreviewed = srs.topic_mastery(scheduler, [], [Crd(topic="u", state=CardState.new(T0), due=T0)], T0)["u"]
    assert unreviewed.score == 0 and unreviewed.retention is None


def test_weak_topics(scheduler) -> None:
    attempts = _attempts("good", [1.0, 1.0]) + _attempts("bad", [0.0, 0.2]) + _attempts("meh", [1.0, 0.0, 0.5])
    report = srs.topic_mastery(scheduler, attempts, [], T0)
    assert srs.weak_topics(report) == ["bad", "meh"]  # weakest first
    assert srs.weak_topics(report, min_attempts=3) == ["meh"]
    assert srs.weak_topics(report, threshold=0.2) == ["bad"]  # bad ≈ 0.12 and never right; meh ≈ 0.43, right once


def test_a_topic_answered_all_wrong_is_weak_right_after_the_quiz_although_its_cards_were_just_seen(scheduler):
    # Answers graded 0.45 are wrong (rated Again), yet the just-reviewed cards' retention of 1.0 lifts the
    # blended score to 0.615, above the threshold: with so few answers, "none right" must decide.
    attempts = _attempts("t", [0.45, 0.45, 0.45])
    cards = [Crd(topic="t", state=s, due=s.due) for s, _ in (srs.review(scheduler, None, 0.45, T0) for _ in range(3))]
    report = srs.topic_mastery(scheduler, attempts, cards, T0 + timedelta(minutes=3))
    assert report["t"].score > 0.6 and report["t"].right == 0
    assert srs.weak_topics(report) == ["t"]


def test_one_right_answer_among_few_keeps_a_topic_off_the_weak_list_when_its_score_is_good(scheduler):
    report = srs.topic_mastery(scheduler, _attempts("t", [0.7, 0.7, 1.0]), [], T0)
    assert report["t"].right == 1 and srs.weak_topics(report) == []


def test_forecast_counts_per_day() -> None:
    now = T0
    dues = [now - timedelta(days=3), now, now + timedelta(hours=20), now + timedelta(days=1, hours=1),
            now + timedelta(days=13), now + timedelta(days=14)]
    cards = [Crd(topic="t", state=CardState.new(d), due=d) for d in dues]
    days = srs.forecast(cards, now, days=14)
    assert len(days) == 14 and days[0][0] == date(2025, 3, 1) and days[-1][0] == date(2025, 3, 14)
    counts = dict(days)
    assert counts[date(2025, 3, 1)] == 2  # overdue + due now
    assert counts[date(2025, 3, 2)] == 2  # 20 h later crosses midnight UTC; +1 day 1 h
    assert counts[date(2025, 3, 14)] == 1
    assert sum(counts.values()) == 5  # the card due in 14 days is outside the window
    with pytest.raises(ValueError):
        srs.forecast(cards, now, days=0)


def test_streak() -> None:
    today = date(2025, 3, 10)
    run = [today - timedelta(days=i) for i in range(4)] + [today - timedelta(days=6)]
    assert srs.streak(run, today) == 4
    assert srs.streak([d - timedelta(days=1) for d in run], today) == 4  # not yet active today: still alive
    assert srs.streak([today - timedelta(days=2)], today) == 0
    assert srs.streak([], today) == 0
    stamps = [datetime(2025, 3, 10, 8, tzinfo=UTC), datetime(2025, 3, 10, 9, tzinfo=UTC),
              datetime(2025, 3, 9, 23, tzinfo=UTC)]
    assert srs.streak(stamps, today) == 2
