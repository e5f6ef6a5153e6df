"""Learner database tables and engine: the schema (portable types only) and the SQLite set-up.

Stage: persistence. The same tables work on SQLite and PostgreSQL; the only dialect-specific code
is the SQLite pragmas set on connect. ``LearnerStore`` reads and writes these tables. A change here
needs a new revision in ``migrations/versions`` (`python scripts/new_migration.py "what changed"`
writes it from the difference); a test checks that the migrations build exactly these tables.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy import DateTime as _DateTime
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from tutorbot.errors import InputError
from tutorbot.store.checks import KEY_MAX, NAME_MAX, TITLE_MAX

WRITE_OPTION = "tutorbot_write"  # execution option marking a connection that will write


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC and returns aware UTC, so SQLite and PostgreSQL compare the same way."""

    impl = _DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"datetime {value.isoformat()} has no timezone; pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = MetaData()


def _user_fk() -> Column[int]:
    return Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)


users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(NAME_MAX), nullable=False, unique=True),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
conversations = Table(
    "conversations", metadata,
    Column("id", String(36), primary_key=True),
    _user_fk(),
    Column("title", String(TITLE_MAX), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
messages = Table(
    "messages", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(36), ForeignKey("conversations.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("role", String(16), nullable=False),
    Column("content", Text, nullable=False),
    Column("meta", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
profiles = Table(
    "profiles", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
plans = Table(
    "plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
topic_progress = Table(
    "topic_progress", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(KEY_MAX), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
quiz_attempts = Table(
    "quiz_attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("quiz_id", String(KEY_MAX), nullable=False),
    Column("question_id", String(KEY_MAX), nullable=False),
    Column("topic", String(KEY_MAX), nullable=False),
    Column("qtype", String(32), nullable=False),
    Column("question", JSON, nullable=False),
    Column("answer", Text, nullable=False),
    Column("score", Float, nullable=False),
    Column("correct", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("mistake", JSON, nullable=True),  # a wrong answer's error pattern (quiz.mistakes.Mistake); NULL when right
    Column("confidence", Integer, nullable=True),  # how sure (1-4) the learner said they were before grading
    Index("ix_quiz_attempts_user_topic", "user_id", "topic"),
)
review_cards = Table(
    "review_cards", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("question_id", String(KEY_MAX), nullable=False),
    Column("topic", String(KEY_MAX), nullable=False),
    Column("front", Text, nullable=False),
    Column("back", Text, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", JSON, nullable=False),
    Column("due", UTCDateTime, nullable=False),
    Column("last_review", UTCDateTime, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("user_id", "question_id", name="uq_review_cards_user_question"),
    Index("ix_review_cards_user_due", "user_id", "due"),
)
review_log = Table(
    "review_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("card_id", Integer, ForeignKey("review_cards.id", ondelete="CASCADE"), nullable=False, index=True),
    _user_fk(),
    Column("rating", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("reviewed_at", UTCDateTime, nullable=False),
)
quiz_sessions = Table(  # quizzes as shown, so an answer submitted after a restart still grades
    "quiz_sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, nullable=False, index=True),
    Column("data", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

preferences = Table(  # settings that follow the learner from browser to browser (interface language)
    "preferences", metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

api_keys = Table(  # per-learner keys of the OpenAI-compatible API: only a SHA-256 of each key is kept
    "api_keys", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _user_fk(),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
)


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(f"TUTORBOT_DATABASE_URL is not a valid SQLAlchemy URL ({exc})") from None
    if parsed.drivername == "postgresql":  # SQLAlchemy's bare default is psycopg2; we ship psycopg 3
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        _private_file(Path(parsed.database))
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _private_file(path: Path) -> None:
    """Learner data is readable by its owner only: a new folder 0700, a new database 0600 (SQLite
    gives its WAL and shared-memory files the database's mode)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # an empty file is an empty DB
    except FileExistsError:
        pass


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # the sqlite3 module would only BEGIN before DML, leaving ownership checks outside the write's
    # transaction; with its own handling off, _sqlite_begin below starts every transaction instead
    dbapi_conn.isolation_level = None
    # WAL lets the UI read while a write is in flight; FULL sync makes committed data survive power loss
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=5000"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    # writers take the write lock up front: under WAL a read transaction that later writes fails
    # at once with SQLITE_BUSY if another writer committed meanwhile, and busy_timeout cannot help
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")
