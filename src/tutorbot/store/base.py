"""Learner store plumbing: the engine, one transaction per public write, and the store's errors."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Executable, Table, insert, select, text
from sqlalchemy.exc import DBAPIError

from tutorbot.errors import TutorbotError
from tutorbot.store import tables as t
from tutorbot.store.tables import make_engine

M = TypeVar("M", bound=BaseModel)


class StoreError(TutorbotError):
    """Base class of learner-store errors."""


class NotFound(StoreError, LookupError):
    """The row does not exist, or belongs to another learner (the two are deliberately indistinguishable)."""


class DuplicateUser(StoreError, ValueError):
    """A user with that name already exists."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class StoreBase:
    """One SQLAlchemy engine (``url`` is any SQLAlchemy URL), its transactions and row helpers."""

    def __init__(self, url: str, *, now: Callable[[], datetime] = _utcnow, scrypt_n: int = 2**14) -> None:
        self._now = now
        self._scrypt_n = scrypt_n
        self._engine = make_engine(url)
        self._writer = self._engine.execution_options(**{t.WRITE_OPTION: True})
        self._tx = threading.local()  # this thread's open transaction(), if any
        t.metadata.create_all(self._engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def integrity_check(self) -> bool:
        """True when the database answers and (on SQLite) its pages and foreign keys are sound."""
        try:
            with self._engine.connect() as conn:
                if self._engine.dialect.name != "sqlite":
                    conn.execute(select(t.users.c.id).limit(1))  # the server answering our schema is the check
                    return True
                ok = conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                return ok and not conn.execute(text("PRAGMA foreign_key_check")).all()
        except DBAPIError:  # a corrupt file or an unreachable server is a failed check, not a crash
            return False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group several writes: all of them are committed, or none (a crash between two of them
        would otherwise leave e.g. a reviewed card without the attempt that reviewed it)."""
        with self._write():
            yield

    @contextmanager
    def _write(self, user_id: int | None = None) -> Iterator[Connection]:
        """One transaction (or the caller's ``transaction()``); with ``user_id`` it first checks
        that the learner exists."""
        outer = getattr(self._tx, "conn", None)
        with nullcontext(outer) if outer is not None else self._writer.begin() as conn:
            exists = user_id is None or conn.execute(select(t.users).where(t.users.c.id == user_id)).first()
            if not exists:
                raise NotFound(f"user {user_id} does not exist")
            self._tx.conn = conn
            try:
                yield conn
            finally:
                self._tx.conn = outer

    def _read(self, model: type[M], query: Executable) -> list[M]:
        with self._engine.connect() as conn:
            return [model.model_validate(r._mapping) for r in conn.execute(query)]

    @staticmethod
    def _insert(conn: Connection, table: Table, model: type[M], **values: Any) -> M:
        row = conn.execute(insert(table).values(**values).returning(*table.c)).one()
        return model.model_validate(row._mapping)
