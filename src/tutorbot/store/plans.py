"""What the learner wants and has done: their profile, plan history and topic marks."""

from __future__ import annotations

from typing import Any, get_args

from sqlalchemy import Connection, delete, insert, select, update

from tutorbot.errors import InputError
from tutorbot.store import tables as t
from tutorbot.store.base import NotFound, StoreBase
from tutorbot.store.checks import KEY_MAX, check_json, check_text
from tutorbot.store.rows import PlanRecord, TopicStatus


class PlanRows(StoreBase):
    """Profiles, plans (each saved with its profile in one transaction) and topics marked done or known."""

    def save_profile(self, user_id: int, data: dict[str, Any]) -> None:
        data = check_json("profile", data)
        with self._write(user_id) as conn:
            self._put_profile(conn, user_id, data)

    def _put_profile(self, conn: Connection, user_id: int, data: dict[str, Any]) -> None:
        values = {"data": data, "updated_at": self._now()}
        done = conn.execute(update(t.profiles).where(t.profiles.c.user_id == user_id).values(**values))
        if done.rowcount == 0:
            conn.execute(insert(t.profiles).values(user_id=user_id, **values))

    def get_profile(self, user_id: int) -> dict[str, Any] | None:
        with self._engine.connect() as conn:
            return conn.execute(select(t.profiles.c.data).where(t.profiles.c.user_id == user_id)).scalar()

    def save_plan(self, user_id: int, data: dict[str, Any], profile: dict[str, Any] | None = None) -> int:
        """Store a new plan version (older ones stay as history); returns its id.

        With ``profile``, the profile the plan was made from is saved in the same transaction, so a
        crash between the two never leaves a profile that the current plan does not follow.
        """
        data = check_json("plan", data)
        profile = check_json("profile", profile) if profile is not None else None
        with self._write(user_id) as conn:
            if profile is not None:
                self._put_profile(conn, user_id, profile)
            return self._insert(conn, t.plans, PlanRecord, user_id=user_id, data=data, created_at=self._now()).id

    def plan_history(self, user_id: int) -> list[PlanRecord]:
        """All plan versions, newest first."""
        p = t.plans.c
        return self._read(PlanRecord, select(t.plans).where(p.user_id == user_id).order_by(p.id.desc()))

    def current_plan(self, user_id: int) -> PlanRecord | None:
        history = self.plan_history(user_id)
        return history[0] if history else None

    def get_plan(self, user_id: int, plan_id: int) -> PlanRecord:
        p = t.plans.c
        found = self._read(PlanRecord, select(t.plans).where(p.id == plan_id, p.user_id == user_id))
        if not found:
            raise NotFound(f"plan {plan_id} not found for this user")
        return found[0]

    def mark_topic(self, user_id: int, topic: str, status: TopicStatus | None) -> None:
        """Record a topic as done/known; ``None`` clears the mark."""
        check_text("topic", topic, KEY_MAX, allow_empty=False)
        if status is not None and status not in get_args(TopicStatus):
            raise InputError(f"topic status must be one of {get_args(TopicStatus)} or None, got {status!r}")
        p = t.topic_progress.c
        with self._write(user_id) as conn:
            conn.execute(delete(t.topic_progress).where(p.user_id == user_id, p.topic == topic))
            if status is not None:
                conn.execute(insert(t.topic_progress).values(user_id=user_id, topic=topic, status=status,
                                                             updated_at=self._now()))

    def topic_status(self, user_id: int) -> dict[str, TopicStatus]:
        p = t.topic_progress.c
        with self._engine.connect() as conn:
            return {r.topic: r.status for r in conn.execute(select(p.topic, p.status).where(p.user_id == user_id))}
