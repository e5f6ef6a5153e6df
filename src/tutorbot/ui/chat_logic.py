"""UI stage, chat handlers: question → ``ChatService.ask_stream`` → coalesced chatbot updates.

Thin by design: the service retrieves, answers, checks citations and saves the turn; this
module only decides what the chatbot shows (sanitised markdown + citation cards), how often
it re-renders while streaming (the final answer shows what was streamed, then adds to it), and
manages the learner's conversation list in the store (each entry dated by its last activity, and
searchable by title and message text: ``Conversations.search`` does the searching).
The displayed history lives in server-side state, never taken back from the browser.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from tutorbot.chat.conversations import Conversations
from tutorbot.chat.service import ChatInputError, ChatService, cut_question
from tutorbot.schemas import Answer
from tutorbot.store.learner_store import Conversation, NotFound
from tutorbot.ui.dates import short_date
from tutorbot.ui.i18n import t
from tutorbot.ui.render import answer_markdown, cut_note, display_text, safe_markdown, stopped_note

History = list[dict[str, str]]
CURSOR = " ▌"  # ends a streaming answer's text until the final answer replaces it


class Coalescer:
    """Lets through at most one re-render per ``interval`` seconds (the first always passes)."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic):
        self.interval, self.clock, self.last = interval, clock, float("-inf")

    def ready(self) -> bool:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False


def conversation_choices(conversations: list[Conversation], now: datetime, tz: str | None = None,
                         lang: str = "en") -> list[tuple[str, str]]:
    """(label, id) per conversation; the label is its title and when it was last active."""
    return [(f"{c.title or '…'} · {short_date(c.updated_at, now, tz, lang)}", c.id) for c in conversations]


def listed(choices: list[tuple[str, str]], conv_id: str | None) -> str | None:
    """``conv_id`` when the list shows it, else None (a search can hide the open conversation)."""
    return conv_id if any(v == conv_id for _, v in choices) else None


def mark_stopped(shown: History, lang: str) -> History | None:
    """``shown`` with its unfinished last answer (still ending in the cursor or the placeholder) marked as
    stopped; None when the answer had finished (the stop came too late to stop anything)."""
    last = shown[-1]["content"] if shown and shown[-1]["role"] == "assistant" else ""
    if not last.endswith((CURSOR, "…")):
        return None
    return [*shown[:-1], {"role": "assistant", "content": last.removesuffix(CURSOR) + stopped_note(lang)}]


def history_from_store(messages: list[Any], lang: str, allowed: set[str]) -> History:
    """Chatbot messages for a stored conversation; assistant turns get their citation cards back."""
    shown: History = []
    for i, m in enumerate(messages):
        if m.role == "user":
            shown.append({"role": "user", "content": safe_markdown(m.content, set())})
        else:
            answer = Answer.model_validate({**_answer_meta(m.meta), "answer": m.content})
            shown.append({"role": "assistant", "content": answer_markdown(answer, lang, allowed, key=str(i))})
    return shown


def _answer_meta(meta: dict[str, Any]) -> dict[str, Any]:
    keep = ("citations", "language", "grounded", "error", "query", "question_cut_from")
    return {k: v for k, v in (meta or {}).items() if k in keep}


class ChatController:
    """The chat tab's handlers for one app; ``user_id`` always comes from the signed session."""

    def __init__(self, chat: ChatService, conversations: Conversations, allowed: set[str], interval: float,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.chat, self.convs, self.allowed, self.interval, self.now = chat, conversations, allowed, interval, now

    def conversations(self, user_id: int, query: str | None = None, *, lang: str = "en",
                      tz: str | None = None) -> list[tuple[str, str]]:
        """The learner's conversation list, filtered by ``query`` (title or message text) when given."""
        return conversation_choices(self.convs.search(user_id, query), self.now(), tz, lang)

    def title(self, user_id: int, conv_id: str | None) -> str:
        return next((c.title for c in self.convs.of(user_id) if c.id == conv_id), "")

    def open(self, user_id: int, conv_id: str | None, lang: str) -> History:
        if not conv_id:
            return []
        try:
            return history_from_store(self.convs.messages(user_id, conv_id), lang, self.allowed)
        except NotFound:
            return [{"role": "assistant", "content": t(lang, "chat.not_found")}]

    def rename(self, user_id: int, conv_id: str | None, title: str) -> None:
        self.convs.rename(user_id, conv_id, title)

    def delete(self, user_id: int, conv_id: str | None) -> None:
        self.convs.delete(user_id, conv_id)

    def ask(self, user_id: int, conv_id: str | None, message: str, shown: History, *, lang: str,
            answer_lang: str, socratic: bool,
            stop: Callable[[], bool] = lambda: False) -> Iterator[tuple[History, str | None, Answer | None]]:
        """Yields (history, conversation id, final answer or None) at most once per interval; once ``stop()``
        is true the answer ends there, marked stopped (the service saves it as far as it went)."""
        try:
            question, cut_from = cut_question(message)  # the service's own cut: its answer will report the same
        except ChatInputError:
            yield [*shown, {"role": "assistant", "content": "⚠ " + t(lang, "chat.empty")}], conv_id, None
            return
        conv_id = self.convs.find_or_create(user_id, conv_id, question)[0].id
        note = cut_note(cut_from, lang)
        history = [*shown, {"role": "user", "content": safe_markdown(question, set())},
                   {"role": "assistant", "content": note + "…"}]
        yield history, conv_id, None
        events = self.chat.ask_stream(message, user_id=user_id, conversation_id=conv_id,
                                      language=None if answer_lang == "auto" else answer_lang, socratic=socratic)
        for frame, answer in self._frames(events, history, note, lang, stop):
            yield frame, conv_id, answer

    def _frames(self, events: Iterator[Any], history: History, note: str, lang: str,
                stop: Callable[[], bool]) -> Iterator[tuple[History, Answer | None]]:
        tick, text = Coalescer(self.interval), ""
        for event in events:
            if stop():
                getattr(events, "close", lambda: None)()  # the service saves the turn so far, marked stopped
                yield mark_stopped(self._streamed(history, note, text, lang), lang) or history, None
                return
            if event.kind == "delta":
                text += event.text
                if event.text and tick.ready():
                    yield self._streamed(history, note, text, lang), None
            elif event.answer is not None:
                final = answer_markdown(event.answer, lang, self.allowed, key=str(len(history) - 1))
                history[-1] = {"role": "assistant", "content": final}
                yield history, event.answer

    def _streamed(self, history: History, note: str, text: str, lang: str) -> History:
        """``history`` with the answer shown as far as it streamed, the cursor after it."""
        if text:
            history[-1] = {"role": "assistant", "content": note + safe_markdown(display_text(text, lang), self.allowed)
                           + CURSOR}
        return history
