"""The LLM stage: one client for any OpenAI-compatible server (vLLM is what we ship).

The OpenAI Python SDK is the transport (``transport.py``); on top of it, tutorbot keeps:
- ``stream`` yields text deltas; every request, streamed or not, runs under the watchdog
  (first token, silence between tokens, whole answer), and closing the generator cancels it;
- ``complete`` and ``structured`` are retried on connection errors/5xx, never on bad output or a
  silent server; ``structured`` asks for JSON-schema output (the standard ``response_format``,
  plus vLLM's ``structured_outputs`` extras that other servers ignore), validates it with
  pydantic and raises ``LLMOutputError`` on truncation or invalid JSON;
- several base URLs, failing over to the next on connection errors and 5xx;
- a fair per-learner queue in front of the model (``gate.py``) that tells a waiting learner
  their place and the expected wait, or says "busy" at once when that wait is too long;
- "warming up" only while a server we started is loading; otherwise "not reachable".
All failures surface as ``LLMError`` subclasses whose message says what to do.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Callable, Generator, Hashable, Iterator
from contextlib import closing
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from tutorbot.llm import transport
from tutorbot.llm.errors import LLMBusy, LLMError, LLMOutputError, LLMUnavailable, unreachable
from tutorbot.llm.gate import FairGate, QueueInfo
from tutorbot.llm.transport import Delta
from tutorbot.llm.watchdog import Limits, watched
from tutorbot.settings import LLMSettings

__all__ = ["Completion", "LLMBusy", "LLMClient", "LLMError", "LLMOutputError", "LLMUnavailable", "Messages",
           "OpenAICompatClient", "QueueInfo", "ServerStatus", "unreachable"]

T = TypeVar("T", bound=BaseModel)
Messages = list[dict[str, str]]
OnWait = Callable[[QueueInfo], None]


class Completion(BaseModel):
    text: str
    finish_reason: str | None = None
    tokens: int = 0  # streamed deltas, about one token each


class ServerStatus(BaseModel):
    state: Literal["up", "warming", "down"]
    url: str
    models: list[str] = []
    max_model_len: int | None = None
    detail: str = ""


class LLMClient(Protocol):
    """What the services need from a model; ``fake.FakeLLM`` implements it too.

    ``learner`` (any hashable id) puts the request in that learner's lane of the fair queue;
    ``on_wait`` hears the place in line and the estimated wait while it queues."""

    model: str

    def stream(self, messages: Messages, *, max_tokens: int | None = None, temperature: float | None = None,
               learner: Hashable | None = None, on_wait: OnWait | None = None,
               patience_s: float | None = None) -> Iterator[str]:
        """Text as it comes; ``patience_s``: seconds (after the slot is granted) to wait for the first
        token before the request is cancelled with ``LLMLate``."""
        ...

    def complete(self, messages: Messages, *, max_tokens: int | None = None, temperature: float | None = None,
                 learner: Hashable | None = None, on_wait: OnWait | None = None) -> Completion: ...

    def structured(self, messages: Messages, schema: type[T], *, max_tokens: int | None = None,
                   learner: Hashable | None = None, on_wait: OnWait | None = None) -> T: ...

    def busy(self) -> LLMBusy | None:
        """The "busy" a new request would get now (checked before any work is done for it)."""
        ...

    def status(self) -> ServerStatus: ...


class OpenAICompatClient:
    """Client for an OpenAI-compatible API (vLLM, Ollama, llama.cpp, LM Studio, a GPU box)."""

    def __init__(self, settings: LLMSettings, *, starting: Callable[[], bool] = lambda: False,
                 typical_answer_s: float = 20.0, on_completion: Callable[[Completion], None] | None = None):
        self.settings, self.model = settings, settings.model
        self._urls = settings.base_urls
        self._next = itertools.cycle(range(len(self._urls)))
        read_s = max(settings.first_token_timeout_s, settings.idle_timeout_s) + 5
        self._sdks = {u: transport.make_sdk(u, settings.api_key, settings.connect_timeout_s, read_s)
                      for u in self._urls}
        self.gate = FairGate(settings.max_concurrency, settings.max_queue_wait_s, typical_answer_s)
        self._limits = Limits(settings.first_token_timeout_s, settings.idle_timeout_s, settings.request_timeout_s)
        self._starting, self._seen_up = starting, False
        self._on_completion = on_completion  # sees every non-streamed completion (benchmarks count tokens)

    @property
    def warming(self) -> bool:
        """Not answering yet, never seen up, and a server we started is still loading (vLLM keeps its
        port closed until then). A server that answered before, or that nobody is starting, is down."""
        return not self._seen_up and self._starting()

    # -- public API -------------------------------------------------------------------------
    def stream(self, messages: Messages, *, max_tokens: int | None = None, temperature: float | None = None,
               learner: Hashable | None = None, on_wait: OnWait | None = None,
               patience_s: float | None = None) -> Iterator[str]:
        body = self._body(messages, max_tokens, temperature)
        with self.gate.slot(learner, on_wait), closing(self._deltas(body, patience_s)) as deltas:
            for delta in deltas:
                if delta.text:
                    yield delta.text

    def complete(self, messages: Messages, *, max_tokens: int | None = None, temperature: float | None = None,
                 learner: Hashable | None = None, on_wait: OnWait | None = None, **extra: Any) -> Completion:
        body = self._body(messages, max_tokens, temperature, **extra)
        with self.gate.slot(learner, on_wait):
            out = self._collect_with_retries(body)
        if self._on_completion is not None:
            self._on_completion(out)
        return out

    def structured(self, messages: Messages, schema: type[T], *, max_tokens: int | None = None,
                   learner: Hashable | None = None, on_wait: OnWait | None = None) -> T:
        # Without disable_any_whitespace a small model pads the JSON with whitespace until max_tokens;
        # vLLM wants the schema repeated inside its own field, other servers ignore the field.
        json_schema = schema.model_json_schema()
        out = self.complete(messages, max_tokens=max_tokens, temperature=0.0, learner=learner, on_wait=on_wait,
                            response_format={"type": "json_schema",
                                             "json_schema": {"name": schema.__name__, "schema": json_schema}},
                            structured_outputs={"json": json_schema, "disable_any_whitespace": True})
        if out.finish_reason == "length":
            raise LLMOutputError(f"{schema.__name__}: output truncated at max_tokens ({len(out.text)} chars)")
        try:
            return schema.model_validate_json(out.text)
        except ValidationError as exc:
            raise LLMOutputError(f"{schema.__name__}: invalid output: {exc.errors()[0]['msg']}") from None

    def busy(self) -> LLMBusy | None:
        return self.gate.turned_away()

    def status(self) -> ServerStatus:
        url = self._urls[0]
        try:
            models = transport.list_models(self._sdks[url], url, self.settings.connect_timeout_s, self.warming)
        except LLMError as exc:
            return ServerStatus(state="warming" if self.warming else "down", url=url, detail=str(exc))
        self._seen_up = True
        return ServerStatus(state="up", url=url, models=[m["id"] for m in models],
                            max_model_len=(models[0].get("max_model_len") if models else None))

    def close(self) -> None:
        for sdk in self._sdks.values():
            sdk.close()

    # -- plumbing ---------------------------------------------------------------------------
    def _body(self, messages: Messages, max_tokens: int | None, temperature: float | None,
              response_format: dict | None = None, **vllm_extra: object) -> dict:
        """One request body; the sampling settings of ``LLMSettings`` go on every request."""
        s = self.settings
        body = {"model": self.model, "messages": messages, "max_tokens": max_tokens or s.max_tokens,
                "temperature": s.temperature if temperature is None else temperature,
                "frequency_penalty": s.frequency_penalty, "presence_penalty": s.presence_penalty,
                "extra_body": {"repetition_penalty": s.repetition_penalty, **vllm_extra}}
        if s.stop:
            body["stop"] = s.stop
        if response_format:
            body["response_format"] = response_format
        return body

    def _urls_in_order(self) -> list[str]:
        start = next(self._next)
        return self._urls[start:] + self._urls[:start]

    def _deltas(self, body: dict, patience_s: float | None = None) -> Generator[Delta, None, None]:
        """One request under the watchdog, failing over to the next URL while nothing has arrived (a
        missed ``patience_s`` is not a failure: it is raised at once)."""
        last: LLMError | None = None
        for url in self._urls_in_order():
            sdk, started = self._sdks[url], False
            opening = watched(functools.partial(transport.open_stream, sdk, url, body, self.warming),
                              url, self._limits, patience_s=patience_s)
            try:
                with closing(opening) as chunks:  # closing this generator cancels the request at once
                    for delta in chunks:
                        started = self._seen_up = True
                        yield delta
                return
            except LLMError as exc:
                if started or not transport.worth_another_server(exc.__cause__):
                    raise
                last = exc
        raise last or unreachable(self._urls[0])

    def _collect_with_retries(self, body: dict) -> Completion:
        for attempt in range(self.settings.retries + 1):
            try:
                with closing(self._deltas(body)) as deltas:
                    return _collect(deltas)
            except LLMError as exc:
                if attempt == self.settings.retries or not transport.worth_another_server(exc.__cause__):
                    raise
            time.sleep(min(0.5 * 2**attempt, 4))  # between tries, never after the last one
        raise AssertionError("unreachable")


def _collect(deltas: Iterator[Delta]) -> Completion:
    parts, finish = [], None
    for d in deltas:
        parts.append(d.text)
        finish = d.finish_reason or finish
    return Completion(text="".join(parts), finish_reason=finish, tokens=sum(1 for p in parts if p))
