"""Quizzes as shown to the learner, kept so that an answer submitted after a restart still grades.

The store keeps each quiz as the JSON document the quiz service gives it; it does not know what a
question is (the quiz package sits above the store, not below it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select

from tutorbot.store import tables as t
from tutorbot.store.base import StoreBase
from tutorbot.store.checks import KEY_MAX, check_json, check_text


class QuizArchive(StoreBase):
    """One row per quiz made: its id, owner, creation time and the whole quiz as JSON."""

    def save_quiz(self, user_id: int, quiz_id: str, data: dict[str, Any], created_at: datetime) -> None:
        check_text("quiz id", quiz_id, min(KEY_MAX, 64), allow_empty=False)
        data = check_json("quiz", data)
        with self._write(user_id) as conn:
            conn.execute(insert(t.quiz_sessions).values(id=quiz_id, user_id=user_id, data=data,
                                                        created_at=created_at))

    def get_quiz(self, user_id: int, quiz_id: str) -> dict[str, Any] | None:
        c = t.quiz_sessions.c
        with self._engine.connect() as conn:
            return conn.execute(select(c.data).where(c.id == quiz_id, c.user_id == user_id)).scalar()

    def recent_quizzes(self, user_id: int, since: datetime, limit: int = 20) -> list[dict[str, Any]]:
        """Quizzes made since ``since``, newest first."""
        c = t.quiz_sessions.c
        query = select(c.data).where(c.user_id == user_id, c.created_at >= since)
        with self._engine.connect() as conn:
            return list(conn.execute(query.order_by(c.created_at.desc()).limit(limit)).scalars())

    def count_quizzes(self, user_id: int) -> int:
        c = t.quiz_sessions.c
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).where(c.user_id == user_id)).scalar() or 0)
