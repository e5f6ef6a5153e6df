"""A learner's conversations: list, search, open, rename, delete, and find-or-create for the next question.

Stage: the chat faces (CLI `ask --conversation`, the chat tab) → **Conversations** → learner store.
Both faces name a conversation the same way: by its id or by its title; a name that matches none
starts a new conversation.
"""

from __future__ import annotations

import re
from typing import Any

from tutorbot.store.learner_store import Conversation, Message, NotFound

TITLE_LIMIT = 60


def conversation_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """A one-line title: whitespace collapsed, cut with an ellipsis."""
    title = re.sub(r"\s+", " ", text).strip()
    return title if len(title) <= limit else title[: limit - 1] + "…"


def storable(text: str) -> str:
    """``text`` without what the store refuses (NUL, lone surrogates): dropped rather than the title."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode()


class Conversations:
    """Conversations of one learner at a time; every call takes the learner's id."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def of(self, user_id: int) -> list[Conversation]:
        return self.store.list_conversations(user_id)

    def search(self, user_id: int, text: str | None) -> list[Conversation]:
        """The learner's conversations whose title or messages contain ``text``; all of them for a blank one."""
        text = storable(re.sub(r"\s+", " ", text or "")).strip()[:200]
        return self.store.search_conversations(user_id, text) if text else self.of(user_id)

    def messages(self, user_id: int, conv_id: str) -> list[Message]:
        """The conversation's messages; ``NotFound`` when it is gone or not this learner's."""
        return self.store.get_messages(user_id, conv_id)

    def find_or_create(self, user_id: int, ref: str | None, title: str) -> tuple[Conversation, bool]:
        """The conversation ``ref`` names (id or title), else a new one titled ``title``; and
        whether it was created."""
        if ref:
            found = next((c for c in self.of(user_id) if ref in (c.id, c.title)), None)
            if found is not None:
                return found, False
        return self.store.create_conversation(user_id, conversation_title(title)), True

    def thread(self, user_id: int, conv_id: str, title: str) -> Conversation:
        """The conversation with the fixed id ``conv_id``, created with a title from ``title`` the
        first time (an API client's chat: each request resends it, and names no conversation)."""
        return self.store.get_or_create_conversation(user_id, conv_id, conversation_title(storable(title)))

    def rename(self, user_id: int, conv_id: str | None, title: str) -> None:
        title = conversation_title(storable(title or ""), 200)
        if conv_id and title:
            try:
                self.store.rename_conversation(user_id, conv_id, title)
            except NotFound:
                pass  # deleted meanwhile (or never this learner's): nothing to rename

    def delete(self, user_id: int, conv_id: str | None) -> None:
        if conv_id:
            try:
                self.store.delete_conversation(user_id, conv_id)
            except NotFound:
                pass  # already gone (another tab deleted it): the goal is reached
