"""Learner accounts and their conversations: users, passwords, chat history."""

from __future__ import annotations

import uuid
from typing import Any, get_args

from sqlalchemy import Connection, delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError

from tutorbot.errors import InputError
from tutorbot.store import tables as t
from tutorbot.store.base import DuplicateUser, NotFound, StoreBase
from tutorbot.store.checks import (
    CONTENT_MAX,
    PASSWORD_MAX,
    TITLE_MAX,
    check_json,
    check_new_password,
    check_text,
    check_user_name,
    name_key,
)
from tutorbot.store.passwords import check_password, hash_password
from tutorbot.store.rows import Conversation, Message, Role, User

LOCAL_USER = "local"


class Accounts(StoreBase):
    """Users (hashed passwords, the single-user 'local' account) and their conversations and messages."""

    def add_user(self, name: str, password: str) -> User:
        """Create a login; the password is kept only as a salted scrypt hash. A name that looks like
        an existing one ("Bob", or "bоb" with a Cyrillic о, beside "bob") is refused."""
        check_user_name(name)
        if name_key(name) == name_key(LOCAL_USER):
            raise InputError(f"user name {LOCAL_USER!r} is reserved for single-user mode; pick another")
        check_new_password(name, password)
        return self._insert_user(name, hash_password(password, self._scrypt_n), unique_look=True)

    def _insert_user(self, name: str, password_hash: str, unique_look: bool = False) -> User:
        try:
            with self._write() as conn:
                if unique_look:  # inside the write transaction: two look-alikes cannot be added at once
                    self._refuse_look_alike(conn, name)
                return self._insert(conn, t.users, User, name=name, password_hash=password_hash,
                                    created_at=self._now())
        except IntegrityError:
            raise DuplicateUser(f"user name {name!r} is taken; choose another") from None

    @staticmethod
    def _refuse_look_alike(conn: Connection, name: str) -> None:
        key = name_key(name)
        for (other,) in conn.execute(select(t.users.c.name)):
            if name_key(other) == key:
                raise DuplicateUser(f"user name {name!r} is taken or looks like {other!r}; choose another")

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

    def create_conversation(self, user_id: int, title: str, conv_id: str | None = None) -> Conversation:
        """A new conversation; ``conv_id`` fixes its id (an API client's chat keeps one across requests)."""
        check_text("conversation title", title, TITLE_MAX)
        now = self._now()
        with self._write(user_id) as conn:
            return self._insert(conn, t.conversations, Conversation, id=conv_id or str(uuid.uuid4()),
                                user_id=user_id, title=title, created_at=now, updated_at=now)

    def get_or_create_conversation(self, user_id: int, conv_id: str, title: str) -> Conversation:
        """The learner's conversation ``conv_id``, created under ``title`` when there is none yet."""
        try:
            return self.get_conversation(user_id, conv_id)
        except NotFound:
            pass
        try:
            return self.create_conversation(user_id, title, conv_id)
        except IntegrityError:  # a second request of the same chat created it just now
            return self.get_conversation(user_id, conv_id)

    def list_conversations(self, user_id: int) -> list[Conversation]:
        """The learner's conversations, most recently active first."""
        c = t.conversations.c
        return self._read(Conversation, select(t.conversations).where(c.user_id == user_id)
                          .order_by(c.updated_at.desc(), c.id))

    def search_conversations(self, user_id: int, text: str) -> list[Conversation]:
        """The learner's conversations whose title or any message contains ``text`` (case-insensitive;
        ``%`` and ``_`` are plain characters), most recently active first."""
        c, m = t.conversations.c, t.messages.c
        in_messages = exists().where(m.conversation_id == c.id, m.content.icontains(text, autoescape=True))
        return self._read(Conversation, select(t.conversations)
                          .where(c.user_id == user_id, or_(c.title.icontains(text, autoescape=True), in_messages))
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
