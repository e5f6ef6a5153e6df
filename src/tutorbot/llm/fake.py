"""Test doubles that record their calls (in the spirit of simonw/llm's mock model).

``FakeLLM`` implements ``llm.LLMClient``: it replays scripted replies (strings, exceptions, or
callables of the messages) and records every call so tests can assert on prompts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from tutorbot.llm.client import Completion, LLMBusy, LLMOutputError, Messages, ServerStatus

Reply = str | Exception | Callable[[Messages], str]


@dataclass
class Call:
    kind: str
    messages: Messages
    schema: type | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return "\n".join(m["content"] for m in self.messages)


class FakeLLM:
    """Scripted LLM: replies are consumed in order; the last one repeats."""

    model = "fake-model"

    def __init__(self, *replies: Reply, state: str = "up"):
        self.replies: list[Reply] = list(replies) or ["ok"]
        self.calls: list[Call] = []
        self.state = state

    def _next(self, messages: Messages) -> str:
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(messages) if callable(reply) else reply

    def stream(self, messages: Messages, **kw: Any) -> Iterator[str]:
        self.calls.append(Call("stream", messages, kwargs=kw))
        text = self._next(messages)
        for i in range(0, len(text), 4):  # several small deltas, like a real server
            yield text[i:i + 4]

    def complete(self, messages: Messages, **kw: Any) -> Completion:
        self.calls.append(Call("complete", messages, kwargs=kw))
        return Completion(text=self._next(messages), finish_reason="stop")

    def structured(self, messages: Messages, schema: type[BaseModel], **kw: Any) -> BaseModel:
        self.calls.append(Call("structured", messages, schema=schema, kwargs=kw))
        text = self._next(messages)
        try:
            return schema.model_validate_json(text)
        except ValueError as exc:
            raise LLMOutputError(f"{schema.__name__}: invalid output: {exc}") from None

    def busy(self) -> LLMBusy | None:
        return None

    def status(self) -> ServerStatus:
        return ServerStatus(state=self.state, url="fake://", models=[self.model])
