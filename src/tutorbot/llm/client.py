"""The LLM stage: one client for any OpenAI-compatible server (vLLM is what we ship).

- ``stream`` yields text deltas as they arrive, with a first-token and an idle timeout;
- ``complete`` and ``structured`` are retried on connection errors/5xx, never on bad output;
- ``structured`` asks vLLM for JSON-schema-constrained output and validates it with pydantic,
  raising ``LLMOutputError`` on truncation (finish_reason ``length``) or invalid JSON, so callers
  can retry once and fall back to deterministic text;
- several base URLs are used round-robin, failing over to the next on connection errors;
- a concurrency gate answers "busy" fast instead of queueing without bound.
All failures surface as ``LLMError`` subclasses whose message says what to do.
"""

from __future__ import annotations

import itertools
import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Literal, Protocol, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from tutorbot.errors import TutorbotError
from tutorbot.settings import LLMSettings

T = TypeVar("T", bound=BaseModel)
Messages = list[dict[str, str]]


class LLMError(TutorbotError, RuntimeError):
    """Base class of every error the LLM stage raises."""


class LLMUnavailable(LLMError):
    """The server is down, not ready, or stopped answering."""


class LLMBusy(LLMError):
    """Too many requests in flight; try again in a moment."""


class LLMOutputError(LLMError):
    """The model answered, but not with valid structured output."""


class Completion(BaseModel):
    text: str
    finish_reason: str | None = None


class ServerStatus(BaseModel):
    state: Literal["up", "warming", "down"]
    url: str
    models: list[str] = []
    max_model_len: int | None = None
    detail: str = ""


class LLMClient(Protocol):
    """What the services need from a model; ``testing.FakeLLM`` implements it too."""

    model: str

    def stream(self, messages: Messages, *, max_tokens: int | None = None,
               temperature: float | None = None) -> Iterator[str]: ...

    def complete(self, messages: Messages, *, max_tokens: int | None = None,
                 temperature: float | None = None) -> Completion: ...

    def structured(self, messages: Messages, schema: type[T], *, max_tokens: int | None = None) -> T: ...

    def status(self) -> ServerStatus: ...


def unreachable(url: str, why: object = "", warming: bool = False) -> LLMUnavailable:
    if warming:
        return LLMUnavailable(f"LLM server at {url} is still warming up: try again in a minute")
    detail = f" ({why})" if why else ""
    return LLMUnavailable(f"LLM server at {url} is not reachable{detail}: start it with `tutorbot serve-llm`")


class OpenAICompatClient:
    """Client for vLLM's OpenAI-compatible API, over httpx."""

    def __init__(self, settings: LLMSettings, transport: httpx.BaseTransport | None = None):
        self.settings = settings
        self.model = settings.model
        self._urls = settings.base_urls
        self._next = itertools.cycle(range(len(self._urls)))
        self._gate = threading.BoundedSemaphore(settings.max_concurrency)
        headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
        timeout = httpx.Timeout(settings.request_timeout_s, connect=settings.connect_timeout_s)
        self._http = httpx.Client(headers=headers, timeout=timeout, transport=transport)
        self._born, self._seen_up = time.monotonic(), False

    @property
    def warming(self) -> bool:
        """Not answering yet, but recently started and never seen up: vLLM is most likely still
        loading (its port stays closed until then), so "warming up" is the honest word."""
        return not self._seen_up and time.monotonic() - self._born < self.settings.warmup_s

    # -- public API -------------------------------------------------------------------------
    def stream(self, messages: Messages, *, max_tokens: int | None = None,
               temperature: float | None = None) -> Iterator[str]:
        body = self._body(messages, max_tokens, temperature, stream=True)
        with self._slot():
            yield from self._stream_with_timeouts(body)

    def complete(self, messages: Messages, *, max_tokens: int | None = None,
                 temperature: float | None = None, **extra: object) -> Completion:
        body = self._body(messages, max_tokens, temperature) | extra
        with self._slot():
            data = self._post_with_retries("/chat/completions", body)
        choice = data["choices"][0]
        return Completion(text=choice["message"].get("content") or "", finish_reason=choice.get("finish_reason"))

    def structured(self, messages: Messages, schema: type[T], *, max_tokens: int | None = None) -> T:
        # vLLM's structured outputs; without disable_any_whitespace a small model pads the JSON with
        # whitespace until it hits max_tokens (finish_reason "length").
        guide = {"json": schema.model_json_schema(), "disable_any_whitespace": True}
        out = self.complete(messages, max_tokens=max_tokens, temperature=0.0, structured_outputs=guide)
        if out.finish_reason == "length":
            raise LLMOutputError(f"{schema.__name__}: output truncated at max_tokens ({len(out.text)} chars)")
        try:
            return schema.model_validate_json(out.text)
        except ValidationError as exc:
            raise LLMOutputError(f"{schema.__name__}: invalid output: {exc.errors()[0]['msg']}") from None

    def status(self) -> ServerStatus:
        url = self._urls[0]
        try:
            r = self._http.get(f"{url}/models", timeout=self.settings.connect_timeout_s)
        except httpx.HTTPError as exc:
            detail = str(unreachable(url, type(exc).__name__, self.warming))
            return ServerStatus(state="warming" if self.warming else "down", url=url, detail=detail)
        if r.status_code != 200:
            return ServerStatus(state="warming", url=url, detail=f"HTTP {r.status_code}")
        self._seen_up = True
        data = r.json().get("data", [])
        return ServerStatus(state="up", url=url, models=[m["id"] for m in data],
                            max_model_len=(data[0].get("max_model_len") if data else None))

    def close(self) -> None:
        self._http.close()

    # -- plumbing ---------------------------------------------------------------------------
    def _body(self, messages: Messages, max_tokens: int | None, temperature: float | None,
              stream: bool = False) -> dict:
        return {"model": self.model, "messages": messages, "stream": stream,
                "max_tokens": max_tokens or self.settings.max_tokens,
                "temperature": self.settings.temperature if temperature is None else temperature}

    def _slot(self):
        # Waiting briefly smooths bursts; beyond that a fast "busy" beats an unbounded queue.
        if not self._gate.acquire(timeout=0.5):
            raise LLMBusy("the model is busy with other learners: try again in a moment")
        return _Release(self._gate)

    def _urls_in_order(self) -> list[str]:
        start = next(self._next)
        return self._urls[start:] + self._urls[:start]

    def _post_with_retries(self, path: str, body: dict) -> dict:
        last: Exception | None = None
        for attempt in range(self.settings.retries + 1):
            for url in self._urls_in_order():
                try:
                    r = self._http.post(url + path, json=body)
                except httpx.TimeoutException as exc:
                    last = LLMUnavailable(f"LLM server at {url} timed out ({type(exc).__name__})")
                    continue
                except httpx.HTTPError as exc:
                    last = unreachable(url, type(exc).__name__, self.warming)
                    continue
                if r.status_code < 500:
                    self._seen_up = True
                    return _json_or_raise(r, url)
                last = LLMUnavailable(f"LLM server at {url} failed: HTTP {r.status_code} {r.text[:200]}")
            if attempt < self.settings.retries:  # back off between tries, not after the last one
                time.sleep(min(0.5 * 2**attempt, 4))
        raise last or unreachable(self._urls[0])

    def _open_stream(self, body: dict) -> tuple[httpx.Response, str]:
        last: Exception | None = None
        for url in self._urls_in_order():
            req = self._http.build_request("POST", url + "/chat/completions", json=body)
            try:
                resp = self._http.send(req, stream=True)
            except httpx.HTTPError as exc:
                last = unreachable(url, type(exc).__name__, self.warming)
                continue
            if resp.status_code != 200:
                resp.read()
                resp.close()
                if resp.status_code >= 500:  # not ready / overloaded: try the next replica
                    last = LLMUnavailable(f"LLM server at {url} failed: HTTP {resp.status_code} {resp.text[:200]}")
                    continue
                _json_or_raise(resp, url)
            self._seen_up = True
            return resp, url
        raise last or unreachable(self._urls[0])

    def _stream_with_timeouts(self, body: dict) -> Iterator[str]:
        """A reader thread feeds a queue so first-token and idle timeouts can be enforced exactly."""
        resp, url = self._open_stream(body)
        q: queue.Queue = queue.Queue()
        threading.Thread(target=_pump_sse, args=(resp, q), daemon=True).start()
        first, wait = True, self.settings.first_token_timeout_s
        try:
            while True:
                try:
                    kind, item = q.get(timeout=wait)
                except queue.Empty:
                    what = "first token" if first else "next token"
                    raise LLMUnavailable(f"LLM server at {url} sent no {what} within {wait:g}s") from None
                if kind == "end":
                    return
                if kind == "error":
                    raise unreachable(url, f"stream broke: {item}")
                first, wait = False, self.settings.idle_timeout_s
                yield item
        finally:
            resp.close()


class _Release:
    def __init__(self, sem: threading.BoundedSemaphore):
        self._sem = sem

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._sem.release()


def _json_or_raise(r: httpx.Response, url: str) -> dict:
    if r.status_code >= 400:
        raise LLMError(f"LLM server at {url} rejected the request: HTTP {r.status_code} {r.text[:300]}")
    return r.json()


def _pump_sse(resp: httpx.Response, q: queue.Queue) -> None:
    """Parse server-sent events into ('delta', text) / ('end', None) / ('error', reason)."""
    try:
        for line in resp.iter_lines():
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            if payload == "[DONE]":
                break
            choices = json.loads(payload).get("choices") or [{}]
            delta = choices[0].get("delta", {}).get("content")
            if delta:
                q.put(("delta", delta))
        q.put(("end", None))
    except Exception as exc:  # any transport failure ends the stream with a reason
        q.put(("error", type(exc).__name__))
