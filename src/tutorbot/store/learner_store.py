"""Learner store: every piece of per-learner state (accounts, chats, plans, progress, quiz results, cards).

Stage: persistence. The web UI and the plan/quiz services call ``LearnerStore``; it writes
through SQLAlchemy Core to SQLite (default, file in the data dir) or PostgreSQL with the same
code. Every learner-data method takes ``user_id`` and filters on it, so one learner can never
see or change another's rows; every public write is a single transaction.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Executable, Table, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from tutorbot.errors import InputError, TutorbotError
from tutorbot.learner.srs import CardState
from tutorbot.store import tables as t
from tutorbot.store.tables import (
    CONTENT_MAX,
    KEY_MAX,
    PASSWORD_MAX,
    TITLE_MAX,
    Attempt,
    Conversation,
    Message,
    PlanRecord,
    ReviewCard,
    ReviewEntry,
    Role,
    TopicStatus,
    User,
    check_json,
    check_password,
    check_score,
    check_text,
    check_user_name,
    hash_password,
    make_engine,
)

LOCAL_USER = "local"
M = TypeVar("M", bound=BaseModel)

__all__ = ["LOCAL_USER", "Attempt", "Conversation", "DuplicateUser", "LearnerStore", "Message", "NotFound",
           "PlanRecord", "ReviewCard", "ReviewEntry", "StoreError", "User"]


class StoreError(TutorbotError):
    """Base class of learner-store errors."""


class NotFound(StoreError, LookupError):
    """The row does not exist, or belongs to another learner (the two are deliberately indistinguishable)."""


class DuplicateUser(StoreError, ValueError):
    """A user with that name already exists."""


def _utcnow() -> datetime:
    return datetime.now(UTC)


class LearnerStore:
    """All learner state behind one SQLAlchemy engine; ``url`` is any SQLAlchemy URL."""

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

    def __enter__(self) -> LearnerStore:
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

    # --- users -----------------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> User:
        """Create a login; the password is kept only as a salted scrypt hash."""
        check_user_name(name)
        if name == LOCAL_USER:
            raise InputError(f"user name {LOCAL_USER!r} is reserved for single-user mode; pick another")
        check_text("password", password, PASSWORD_MAX, allow_empty=False)
        return self._insert_user(name, hash_password(password, self._scrypt_n))

    def _insert_user(self, name: str, password_hash: str) -> User:
        try:
            with self._write() as conn:
                return self._insert(conn, t.users, User, name=name, password_hash=password_hash,
                                    created_at=self._now())
        except IntegrityError:
            raise DuplicateUser(f"user name {name!r} is taken; choose another") from None

    def verify_user(self, name: str, password: str) -> User | None:
        """The user if name and password match, else None (same work either way, to hide which failed)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
        stored = row.password_hash if row is not None else ""
        ok = len(password) <= PASSWORD_MAX and check_password(password, stored, self._scrypt_n)
        return User.model_validate(row._mapping) if ok and row is not None else None

    def get_or_create_local_user(self) -> User:
        """The single no-login learner; its empty hash means no password ever verifies."""
        found = self._read(User, select(t.users).where(t.users.c.name == LOCAL_USER))
        if found:
            return found[0]
        try:
            return self._insert_user(LOCAL_USER, "")
        except DuplicateUser:  # another process created it between our read and insert
            return self.get_or_create_local_user()

    def get_user(self, user_id: int) -> User:
        found = self._read(User, select(t.users).where(t.users.c.id == user_id))
        if not found:
            raise NotFound(f"user {user_id} does not exist")
        return found[0]

    def list_users(self) -> list[User]:
        return self._read(User, select(t.users).order_by(t.users.c.name))

    # --- conversations -----------------------------------------------------------------------

    def create_conversation(self, user_id: int, title: str) -> Conversation:
        check_text("conversation title", title, TITLE_MAX)
        now = self._now()
        with self._write(user_id) as conn:
            return self._insert(conn, t.conversations, Conversation, id=str(uuid.uuid4()), user_id=user_id,
                                title=title, created_at=now, updated_at=now)

    def list_conversations(self, user_id: int) -> list[Conversation]:
        """The learner's conversations, most recently active first."""
        c = t.conversations.c
        return self._read(Conversation, select(t.conversations).where(c.user_id == user_id)
                          .order_by(c.updated_at.desc(), c.id))

    def get_conversation(self, user_id: int, conv_id: str) -> Conversation:
        with self._engine.connect() as conn:
            return self._owned_conversation(conn, user_id, conv_id)

    def rename_conversation(self, user_id: int, conv_id: str, title: str) -> Conversation:
        check_text("conversation title", title, TITLE_MAX)
        with self._write() as conn:
            self._owned_conversation(conn, user_id, conv_id)
            conn.execute(update(t.conversations).where(t.conversations.c.id == conv_id)
                         .values(title=title, updated_at=self._now()))
            return self._owned_conversation(conn, user_id, conv_id)

    def delete_conversation(self, user_id: int, conv_id: str) -> None:
        with self._write() as conn:
            self._owned_conversation(conn, user_id, conv_id)
            conn.execute(delete(t.messages).where(t.messages.c.conversation_id == conv_id))
            conn.execute(delete(t.conversations).where(t.conversations.c.id == conv_id))

    def add_message(self, user_id: int, conv_id: str, role: Role, content: str,
                    meta: dict[str, Any] | None = None) -> Message:
        """Append a message (meta holds e.g. citations) and bump the conversation's activity time."""
        if role not in get_args(Role):
            raise InputError(f"message role must be one of {get_args(Role)}, got {role!r}")
        check_text("message content", content, CONTENT_MAX)
        meta = check_json("message meta", meta)
        now = self._now()
        with self._write() as conn:
            self._owned_conversation(conn, user_id, conv_id)
            msg = self._insert(conn, t.messages, Message, conversation_id=conv_id, role=role, content=content,
                               meta=meta, created_at=now)
            conn.execute(update(t.conversations).where(t.conversations.c.id == conv_id).values(updated_at=now))
            return msg

    def get_messages(self, user_id: int, conv_id: str, limit: int | None = None) -> list[Message]:
        """Messages oldest first; with ``limit``, only the latest ``limit`` of them."""
        self.get_conversation(user_id, conv_id)
        m = t.messages.c
        newest = self._read(Message, select(t.messages).where(m.conversation_id == conv_id)
                            .order_by(m.id.desc()).limit(limit))
        return newest[::-1]

    @staticmethod
    def _owned_conversation(conn: Connection, user_id: int, conv_id: str) -> Conversation:
        c = t.conversations.c
        row = conn.execute(select(t.conversations).where(c.id == conv_id, c.user_id == user_id)).first()
        if row is None:
            raise NotFound(f"conversation {conv_id!r} not found for this user")
        return Conversation.model_validate(row._mapping)

    # --- profile, plans, topic progress -------------------------------------------------------

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

    # --- quiz attempts -----------------------------------------------------------------------

    def record_attempt(self, user_id: int, *, quiz_id: str, question_id: str, topic: str, qtype: str,
                       question: dict[str, Any], answer: str, score: float, correct: bool) -> Attempt:
        for field, value in (("quiz_id", quiz_id), ("question_id", question_id), ("topic", topic)):
            check_text(field, value, KEY_MAX, allow_empty=False)
        check_text("qtype", qtype, 32, allow_empty=False)
        check_text("answer", answer, CONTENT_MAX)
        check_score(score)
        question = check_json("question", question)
        with self._write(user_id) as conn:
            return self._insert(conn, t.quiz_attempts, Attempt, user_id=user_id, quiz_id=quiz_id,
                                question_id=question_id, topic=topic, qtype=qtype, question=question,
                                answer=answer, score=float(score), correct=bool(correct), created_at=self._now())

    def attempts(self, user_id: int, topic: str | None = None, limit: int | None = None) -> list[Attempt]:
        """Quiz attempts, newest first, optionally for one topic."""
        a = t.quiz_attempts.c
        query = select(t.quiz_attempts).where(a.user_id == user_id).order_by(a.id.desc()).limit(limit)
        return self._read(Attempt, query if topic is None else query.where(a.topic == topic))

    # --- review cards ------------------------------------------------------------------------

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
