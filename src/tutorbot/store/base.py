"""Learner store plumbing: the engine, one transaction per public write, and the store's errors.

A damaged SQLite file is detected before the first write of each process (``PRAGMA quick_check``)
and whenever a statement meets a damaged page: from then on writes are refused with a message
that names the fix, so a malformed database is never written deeper into ruin, while reads that
still work keep working.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, Self, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Executable, Table, event, insert, select, text
from sqlalchemy.engine import ExceptionContext
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


class StoreDamaged(StoreError):
    """The database file is damaged: writes are refused; the message says how to recover."""


DAMAGE = ("malformed", "not a database", "corrupt")  # what SQLite says of a damaged file


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
        self._damage: str | None = None if self._engine.dialect.name == "sqlite" else ""  # None: not checked yet
        event.listen(self._engine, "handle_error", self._on_error)
        self._migrate()

    def _migrate(self) -> None:
        """Alembic's `upgrade head` (only a read when the schema is current). A damaged file is not
        migrated: from then on writes are refused, and what still reads, still reads."""
        from tutorbot.store.migrate import upgrade  # alembic is loaded by the store only

        try:
            upgrade(self._engine, self._writer, self._check_sound)
        except StoreDamaged:
            pass

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
        if self._engine.dialect.name != "sqlite":
            return self.answers()  # the server answering our schema is the check
        try:
            with self._engine.connect() as conn:
                ok = conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
                return ok and not conn.execute(text("PRAGMA foreign_key_check")).all()
        except (DBAPIError, StoreDamaged):  # a corrupt file is a failed check
            return False

    def answers(self) -> bool:
        """The database answers a read of our schema now (cheap: no scan)."""
        try:
            with self._engine.connect() as conn:
                conn.execute(select(t.users.c.id).limit(1))
            return True
        except (DBAPIError, StoreDamaged):  # an unreachable server, a file that is not a database
            return False

    @property
    def where(self) -> str:
        """The database file, or the database's name on its server."""
        return self._engine.url.database or self._engine.url.render_as_string(hide_password=True)

    @property
    def damage(self) -> str:
        """Why this database is known to be damaged; "" while none has been seen."""
        return self._damage or ""

    def damage_message(self, why: str) -> str:
        return (f"the learner database {self.where} is damaged ({why}); nothing more is written to it. Stop tutorbot, "
                "then restore the file from a backup, or move it away to start with an empty one")

    def _on_error(self, ctx: ExceptionContext) -> None:
        """SQLAlchemy's error hook: a damaged SQLite file becomes ``StoreDamaged``, naming the fix."""
        error = ctx.original_exception
        if isinstance(error, sqlite3.DatabaseError) and any(d in str(error).lower() for d in DAMAGE):
            self._damage = str(error)
            raise StoreDamaged(self.damage_message(str(error))) from error

    def _check_sound(self) -> None:
        """Before this process's first write: a write to a malformed file can spread the damage."""
        if self._damage is None:
            with self._engine.connect() as conn:
                found = conn.execute(text("PRAGMA quick_check")).scalar()
            self._damage = "" if found == "ok" else f"quick_check: {found}"
        if self._damage:
            raise StoreDamaged(self.damage_message(self._damage))

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
        if outer is None:
            self._check_sound()
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
