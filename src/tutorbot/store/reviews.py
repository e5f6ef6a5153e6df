"""Quiz results and spaced repetition: attempts, review cards and the review log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from tutorbot.errors import InputError
from tutorbot.learner.srs import CardState
from tutorbot.store import tables as t
from tutorbot.store.base import NotFound, StoreBase
from tutorbot.store.checks import CONTENT_MAX, KEY_MAX, check_json, check_score, check_text
from tutorbot.store.rows import Attempt, ReviewCard, ReviewEntry


class ReviewRows(StoreBase):
    """Graded answers, the learner's cards (FSRS state) and every review."""

    def record_attempt(self, user_id: int, *, quiz_id: str, question_id: str, topic: str, qtype: str,
                       question: dict[str, Any], answer: str, score: float, correct: bool,
                       mistake: dict[str, Any] | None = None, confidence: int | None = None) -> Attempt:
        for field, value in (("quiz_id", quiz_id), ("question_id", question_id), ("topic", topic)):
            check_text(field, value, KEY_MAX, allow_empty=False)
        check_text("qtype", qtype, 32, allow_empty=False)
        check_text("answer", answer, CONTENT_MAX)
        check_score(score)
        question = check_json("question", question)
        mistake = check_json("mistake", mistake) if mistake is not None else None
        if confidence is not None and (isinstance(confidence, bool) or confidence not in (1, 2, 3, 4)):
            raise InputError(f"confidence must be 1..4, got {confidence!r}")
        with self._write(user_id) as conn:
            return self._insert(conn, t.quiz_attempts, Attempt, user_id=user_id, quiz_id=quiz_id,
                                question_id=question_id, topic=topic, qtype=qtype, question=question,
                                answer=answer, score=float(score), correct=bool(correct), created_at=self._now(),
                                mistake=mistake, confidence=confidence)

    def attempts(self, user_id: int, topic: str | None = None, limit: int | None = None) -> list[Attempt]:
        """Quiz attempts, newest first, optionally for one topic."""
        a = t.quiz_attempts.c
        query = select(t.quiz_attempts).where(a.user_id == user_id).order_by(a.id.desc()).limit(limit)
        return self._read(Attempt, query if topic is None else query.where(a.topic == topic))

    def upsert_card(self, user_id: int, question_id: str, *, topic: str, front: str, back: str,
                    payload: dict[str, Any] | None = None, state: CardState | None = None) -> ReviewCard:
        """Create the learner's card for a question, or refresh its text; scheduling is kept unless given."""
        for field, value, limit in (("question_id", question_id, KEY_MAX), ("topic", topic, KEY_MAX)):
            check_text(field, value, limit, allow_empty=False)
        check_text("card front", front, CONTENT_MAX)
        check_text("card back", back, CONTENT_MAX)
        values = {"topic": topic, "front": front, "back": back, "payload": check_json("card payload", payload)}
        if state is not None:
            values.update(_state_columns(state))
        c = t.review_cards.c
        where = (c.user_id == user_id) & (c.question_id == question_id)
        with self._write(user_id) as conn:
            if conn.execute(update(t.review_cards).where(where).values(**values)).rowcount == 0:
                new = {**_state_columns(CardState.new(self._now())), **values}
                return self._insert(conn, t.review_cards, ReviewCard, user_id=user_id, question_id=question_id,
                                    created_at=self._now(), **new)
            return ReviewCard.model_validate(conn.execute(select(t.review_cards).where(where)).one()._mapping)

    def get_card(self, user_id: int, question_id: str) -> ReviewCard | None:
        c = t.review_cards.c
        found = self._read(ReviewCard, select(t.review_cards).where(
            c.user_id == user_id, c.question_id == question_id))
        return found[0] if found else None

    def cards(self, user_id: int) -> list[ReviewCard]:
        c = t.review_cards.c
        return self._read(ReviewCard, select(t.review_cards).where(c.user_id == user_id).order_by(c.due, c.id))

    def due_cards(self, user_id: int, now: datetime | None = None, limit: int | None = None) -> list[ReviewCard]:
        """Cards due at ``now`` (default: the store's clock), most overdue first."""
        c = t.review_cards.c
        query = select(t.review_cards).where(c.user_id == user_id, c.due <= (now or self._now()))
        return self._read(ReviewCard, query.order_by(c.due, c.id).limit(limit))

    def record_review(self, user_id: int, question_id: str, state: CardState, rating: int,
                      score: float) -> ReviewCard:
        """Save a card's new schedule and log the review, together or not at all."""
        if not 1 <= int(rating) <= 4:
            raise InputError(f"rating must be 1..4 (fsrs.Rating), got {rating!r}")
        check_score(score)
        c = t.review_cards.c
        with self._write() as conn:
            card_id = conn.execute(select(c.id).where(c.user_id == user_id, c.question_id == question_id)).scalar()
            if card_id is None:
                raise NotFound(f"no review card for question {question_id!r} for this user")
            conn.execute(update(t.review_cards).where(c.id == card_id).values(**_state_columns(state)))
            conn.execute(insert(t.review_log).values(card_id=card_id, user_id=user_id, rating=int(rating),
                                                     score=score, reviewed_at=state.last_review or self._now()))
            row = conn.execute(select(t.review_cards).where(c.id == card_id)).one()
        return ReviewCard.model_validate(row._mapping)

    def review_log(self, user_id: int, limit: int | None = None) -> list[ReviewEntry]:
        """The learner's reviews, newest first."""
        r = t.review_log.c
        query = select(t.review_log).where(r.user_id == user_id).order_by(r.id.desc()).limit(limit)
        return self._read(ReviewEntry, query)


def _state_columns(state: CardState) -> dict[str, Any]:
    return {"state": state.model_dump(mode="json"), "due": state.due, "last_review": state.last_review}
