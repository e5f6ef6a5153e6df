"""API stage, serving: an OpenAI chat-completions request → ``ChatService`` → a completion or chunks.

The last message is the learner's question; the user and assistant messages before it are the
conversation so far (system messages are dropped: the tutor keeps its own instructions). Model
``tutorbot`` answers as the chat tab does, ``tutorbot-socratic`` in the tab's Socratic mode. Every
turn is saved in one of the learner's conversations, so API chats show in their history like the
chat tab's: with tutorbot's ``conversation`` field in that one (found by id or title, else
created; when the request carries no earlier messages the stored ones are the history), without it
in the conversation its first user message names (see ``thread_id``). The answer keeps its
numbered ``[n]`` references and ends with a numbered list of the sources as markdown links; the
same citations come as data in ``citations``.
"""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tutorbot.api.errors import ApiError, bad_request
from tutorbot.api.protocol import (
    DONE,
    MODELS,
    ChatCompletionChunk,
    ChatCompletionRequest,
    ChatCompletionResponse,
    ChatMessage,
    Choice,
    DeltaMessage,
    ResponseMessage,
    StreamChoice,
    completion_id,
)
from tutorbot.chat.conversations import storable
from tutorbot.chat.service import ChatEvent, ChatInputError, Turn, clean_question
from tutorbot.schemas import Answer, Citation

SOURCES = {"en": "Sources", "zh": "来源"}
# Fixed, so that a chat maps to the same conversation id in every process and after a restart.
THREADS = uuid.UUID("5d0c3a52-6f1e-4d8a-9c1b-7a7e2b0f4c11")


@dataclass
class Prepared:
    """A checked request: what to ask, for whom, in which mode, with which history."""

    model: str
    question: str
    user_id: int
    socratic: bool
    history: list[Turn] | None
    conversation_id: str | None


def question_of(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last message's text (it must be the learner's) and the user/assistant turns before it."""
    last = messages[-1]
    if last.role != "user" or not last.text().strip():
        raise bad_request("the last message must be the learner's question: end `messages` with a non-empty "
                          "{\"role\": \"user\"} message", "no_user_message")
    turns = [Turn(m.role, m.text()) for m in messages[:-1] if m.role in ("user", "assistant") and m.text()]
    return last.text(), turns


def opening(messages: list[ChatMessage]) -> str:
    """The chat's first user message (there is one: ``question_of`` checked the last)."""
    return storable(next(m.text() for m in messages if m.role == "user" and m.text().strip())).strip()


def thread_id(user_id: int, first: str) -> str:
    """The conversation id of an unnamed chat: from the learner and the chat's first user message.
    A chat client resends the whole chat with each request, so every turn of one chat finds the
    same id; the learner is part of it, so two learners asking the same never share one. Two chats
    of one learner that open with the same message are one conversation."""
    return str(uuid.uuid5(THREADS, f"{user_id}\n{first}"))


def checked_question(text: str) -> str:
    """``text`` itself, once it is a question chat can ask (an overlong one is cut by the service, which
    reports the cut in ``question_cut_from``: the API cuts as every face does, never refuses)."""
    try:
        clean_question(text)
    except ChatInputError as exc:
        raise bad_request(f"{exc}: send a question", f"question_{exc.reason}") from None
    return text


def citation_data(c: Citation) -> dict[str, Any]:
    url = next((u for u in (*c.urls, c.source) if u.startswith(("http://", "https://"))), None)
    return {"n": c.n, "title": c.title, "section": c.section, "url": url, "source": c.source, "chunk_id": c.chunk_id}


def sources_markdown(answer: Answer) -> str:
    """The numbered source list that ends an answer: ``[n] [title › section](url)`` per citation."""
    lines = []
    for c in answer.citations:
        where = " › ".join(p for p in (c.title, c.section.split(" > ")[-1] if c.section else "") if p) or c.source
        label = where.replace("[", "\\[").replace("]", "\\]")
        url = citation_data(c)["url"]
        lines.append(f"[{c.n}] [{label}]({url.replace(')', '%29').replace(' ', '%20')})" if url else f"[{c.n}] {label}")
    return f"\n\n**{SOURCES[answer.language]}**\n\n" + "  \n".join(lines) if lines else ""


class TutorServing:
    """Maps checked requests to the chat service; one instance per app."""

    def __init__(self, chat: Any, conversations: Any) -> None:
        self.chat, self.conversations = chat, conversations

    def prepare(self, request: ChatCompletionRequest, user_id: int) -> Prepared:
        if request.model not in MODELS:
            raise bad_request(f"unknown model {request.model!r}: use one of {', '.join(MODELS)} "
                              "(GET /v1/models lists them)", "model_not_found")
        text, turns = question_of(request.messages)
        question = checked_question(text)
        self.refuse_if_unavailable()
        conv, named = self.conversation(request, user_id)
        history = turns if turns or not named else None  # None: the stored conversation is the history
        return Prepared(request.model, question, user_id, MODELS[request.model], history, conv)

    def conversation(self, request: ChatCompletionRequest, user_id: int) -> tuple[str, bool]:
        """Where the turn is saved, and whether the request named it. An unnamed chat's own messages
        are its history: its stored turns may hold another chat that opened the same way."""
        if name := (request.conversation or "").strip():  # a new conversation is titled with its name, as the CLI's
            return self.conversations.find_or_create(user_id, name, name)[0].id, True
        first = opening(request.messages)
        return self.conversations.thread(user_id, thread_id(user_id, first), first).id, False

    def refuse_if_unavailable(self) -> None:
        """503 when chat could not start (the reason names the fix), 429 while the model is busy."""
        if (why := getattr(self.chat, "why", None)) is not None:
            raise ApiError(503, str(why), "server_error", "chat_unavailable")
        if (busy := self.chat.llm.busy()) is not None:
            wait = max(1, math.ceil(getattr(busy, "estimate_s", 0) or 1))
            raise ApiError(429, f"{busy}: retry after {wait} s", "rate_limit_exceeded", "tutor_busy",
                           {"retry-after": str(wait)})

    def events(self, p: Prepared) -> Iterator[ChatEvent]:
        return self.chat.ask_stream(p.question, user_id=p.user_id, conversation_id=p.conversation_id,
                                    socratic=p.socratic, history=p.history)

    def complete(self, p: Prepared) -> ChatCompletionResponse:
        answer = [e.answer for e in self.events(p) if e.answer is not None][-1]
        message = ResponseMessage(content=answer.answer + sources_markdown(answer))
        return ChatCompletionResponse(model=p.model, choices=[Choice(message=message)],
                                      citations=[citation_data(c) for c in answer.citations],
                                      conversation_id=p.conversation_id,
                                      question_cut_from=answer.question_cut_from or None)

    def stream(self, p: Prepared) -> Iterator[str]:
        """SSE lines: the role, each shown delta, the source list, a final chunk with citations, [DONE]."""
        out = Chunks(p)
        yield out.chunk(DeltaMessage(role="assistant", content=""))
        answer = None
        for event in self.events(p):
            if event.kind == "delta" and event.text:
                yield out.chunk(DeltaMessage(content=event.text))
            answer = event.answer or answer
        assert answer is not None
        if sources := sources_markdown(answer):
            yield out.chunk(DeltaMessage(content=sources))
        yield out.chunk(DeltaMessage(), answer=answer)
        yield DONE


class Chunks:
    """The chunks of one streamed completion: one id and creation time; the last carries the citations."""

    def __init__(self, p: Prepared) -> None:
        self.p, self.id, self.created = p, completion_id(), int(time.time())

    def chunk(self, delta: DeltaMessage, answer: Answer | None = None) -> str:
        extra: dict[str, Any] = {} if answer is None else {
            "citations": [citation_data(c) for c in answer.citations], "conversation_id": self.p.conversation_id,
            "question_cut_from": answer.question_cut_from or None}
        choice = StreamChoice(delta=delta, finish_reason=None if answer is None else "stop")
        return ChatCompletionChunk(id=self.id, created=self.created, model=self.p.model, choices=[choice],
                                   **extra).sse()
