"""Learner database plumbing: tables, row models, input checks, engine setup and password hashing.

Stage: persistence (the half below the API). ``store.LearnerStore`` reads and writes these
tables; the pydantic models below are what leaves the store, so callers never handle
SQLAlchemy rows. The schema uses only portable types, so the same tables work on SQLite and
PostgreSQL; the only dialect-specific code is the SQLite pragmas set on connect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
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
from tutorbot.learner.srs import CardState

NAME_MAX = 64
PASSWORD_MAX = 1024
TITLE_MAX = 200
KEY_MAX = 200  # topic ids, quiz ids, question ids
CONTENT_MAX = 100_000  # message bodies, answers, card faces
JSON_MAX = 1_000_000  # serialised size of any JSON document
_SCRYPT_R, _SCRYPT_P = 8, 1
WRITE_OPTION = "tutorbot_write"  # execution option marking a connection that will write

Role = Literal["user", "assistant"]
TopicStatus = Literal["done", "known"]


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


class User(BaseModel):
    id: int
    name: str
    created_at: datetime


class Conversation(BaseModel):
    id: str
    user_id: int
    title: str
    created_at: datetime
    updated_at: datetime


class Message(BaseModel):
    id: int
    conversation_id: str
    role: Role
    content: str
    meta: dict[str, Any]
    created_at: datetime


class PlanRecord(BaseModel):
    id: int
    user_id: int
    data: dict[str, Any]
    created_at: datetime


class Attempt(BaseModel):
    id: int
    user_id: int
    quiz_id: str
    question_id: str
    topic: str
    qtype: str
    question: dict[str, Any]
    answer: str
    score: float
    correct: bool
    created_at: datetime


class ReviewCard(BaseModel):
    id: int
    user_id: int
    question_id: str
    topic: str
    front: str
    back: str
    payload: dict[str, Any]
    state: CardState
    due: datetime
    last_review: datetime | None


class ReviewEntry(BaseModel):
    id: int
    card_id: int
    user_id: int
    rating: int
    score: float
    reviewed_at: datetime


def check_text(field: str, value: str, max_len: int, *, allow_empty: bool = True) -> str:
    """Reject what no backend can store faithfully; everything else is kept exactly as given."""
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise InputError(f"{field} must not be empty")
    if len(value) > max_len:
        raise InputError(f"{field} is {len(value)} characters; the limit is {max_len}")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL; refuse it everywhere for one behaviour
        raise InputError(f"{field} contains a NUL character (\\x00); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} contains a lone surrogate and is not valid Unicode text") from None
    return value


def check_json(field: str, value: dict[str, Any] | None) -> dict[str, Any]:
    """JSON documents must be dicts that serialise, within ``JSON_MAX`` bytes."""
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise InputError(f"{field} must be a dict, got {type(value).__name__}")
    try:
        # NaN and lone surrogates are refused here because PostgreSQL's json type refuses them
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field} is not valid JSON data: {exc}") from None
    if size > JSON_MAX:
        raise InputError(f"{field} is {size} bytes of JSON; the limit is {JSON_MAX}")
    return value


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
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


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


def check_score(score: float) -> None:
    if not 0.0 <= float(score) <= 1.0:
        raise InputError(f"score must be between 0 and 1, got {score!r}")


def check_user_name(name: str) -> None:
    check_text("user name", name, NAME_MAX, allow_empty=False)
    if name != name.strip() or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InputError("user name must not start/end with spaces or contain control characters")


def hash_password(password: str, n: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str, default_n: int) -> bool:
    """Constant-time compare; unknown users and password-less accounts still pay for one hash."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        params = (int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(digest))
    except ValueError:
        params = (default_n, _SCRYPT_R, _SCRYPT_P, b"\0" * 16, b"")
    n_, r_, p_, salt_b, want = params
    try:
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt_b, n=n_, r=r_, p=p_, dklen=32)
    except (ValueError, UnicodeEncodeError):
        return False
    return bool(want) and hmac.compare_digest(got, want)
