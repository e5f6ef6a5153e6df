"""Learner preferences (stage: persistence): small settings per learner (the interface language), one JSON row each."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from tutorbot.store import tables as t
from tutorbot.store.base import StoreBase
from tutorbot.store.checks import check_json


class PreferenceRows(StoreBase):
    """One row of settings per learner; a setting never written reads as missing."""

    def preferences(self, user_id: int) -> dict[str, Any]:
        with self._engine.connect() as conn:
            data = conn.execute(select(t.preferences.c.data).where(t.preferences.c.user_id == user_id)).scalar()
        return dict(data or {})

    def set_preference(self, user_id: int, key: str, value: Any) -> None:
        """Set one setting, keeping the others (read and written in one transaction)."""
        with self._write(user_id) as conn:
            row = t.preferences.c
            data = conn.execute(select(row.data).where(row.user_id == user_id)).scalar()
            values = {"data": check_json("preferences", {**(data or {}), key: value}), "updated_at": self._now()}
            if data is None:
                conn.execute(insert(t.preferences).values(user_id=user_id, **values))
            else:
                conn.execute(update(t.preferences).where(row.user_id == user_id).values(**values))
