"""Per-learner keys of the OpenAI-compatible API (``tutorbot user key NAME``).

Stage: persistence. A key is 256 random bits shown once when made; the store keeps only its SHA-256
(a fast hash is enough for keys this random: there is nothing to guess), so a copy of the database
holds no usable key. Revoking removes every key of the learner.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import delete, insert, select

from tutorbot.store import tables as t
from tutorbot.store.base import StoreBase
from tutorbot.store.rows import User

KEY_PREFIX = "tb-"


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


class ApiKeys(StoreBase):
    """Make, resolve and revoke API keys; each key belongs to one learner."""

    def create_api_key(self, user_id: int) -> str:
        """A new key for the learner; only its hash is stored, so this is the one time it is seen."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._write(user_id) as conn:
            conn.execute(insert(t.api_keys).values(user_id=user_id, key_hash=key_hash(key), created_at=self._now()))
        return key

    def user_for_api_key(self, key: str) -> User | None:
        """The learner a key belongs to, or None for an unknown or revoked key."""
        query = select(t.users).join(t.api_keys, t.api_keys.c.user_id == t.users.c.id)
        with self._engine.connect() as conn:
            row = conn.execute(query.where(t.api_keys.c.key_hash == key_hash(key))).first()
        return User.model_validate(row._mapping) if row is not None else None

    def revoke_api_keys(self, user_id: int) -> int:
        """Remove every key of the learner; how many there were."""
        with self._write(user_id) as conn:
            return conn.execute(delete(t.api_keys).where(t.api_keys.c.user_id == user_id)).rowcount or 0
