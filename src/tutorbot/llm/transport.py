"""LLM stage, transport: the OpenAI Python SDK, and its errors translated into ours.

The only module that imports ``openai``. The SDK does the HTTP, the server-sent events and the
in-band ``{"error": ...}`` events of a stream (it raises ``APIError`` for them); tutorbot keeps its
own fail-over, gate and watchdog on top, so the SDK never retries (``max_retries=0``).
Every function here raises ``LLMError`` subclasses only, each naming what to fix.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import openai

from tutorbot.llm.errors import LLMBusy, LLMError, LLMUnavailable, unreachable

R = TypeVar("R")


@dataclass(frozen=True)
class Delta:
    """One streamed chunk: its text (may be empty) and, on the last one, why the model stopped."""

    text: str
    finish_reason: str | None = None


def make_sdk(url: str, api_key: str, connect_s: float, read_s: float) -> openai.OpenAI:
    """One SDK client per base URL. ``read_s`` only bounds a single socket read (the watchdog keeps
    the real deadlines); it stops a reader thread that was told to give up but is stuck anyway."""
    # A local server without --api-key ignores the header, but the SDK insists on some key.
    return openai.OpenAI(base_url=url, api_key=api_key or "none", max_retries=0,
                         timeout=openai.Timeout(read_s, connect=connect_s))


def open_stream(sdk: openai.OpenAI, url: str, body: dict, warming: bool = False) -> openai.Stream:
    """POST /chat/completions with ``stream=True``; returns once the response headers are in."""
    # Connection: close keeps every stream on a connection of its own, so cutting it (``abort``)
    # can never hit a pooled connection that another request is already reusing.
    return _call(url, warming, lambda: sdk.chat.completions.create(
        **body, stream=True, extra_headers={"Connection": "close"}))


def deltas(stream: openai.Stream, url: str) -> Iterator[Delta]:
    """The stream's chunks as ``Delta``s; an in-band error event or a broken stream raises."""
    try:
        for chunk in stream:
            for choice in chunk.choices or []:
                yield Delta((choice.delta.content or "") if choice.delta else "", choice.finish_reason)
    except LLMError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever the SDK or the bytes threw, the learner needs one error
        raise translate(exc, url) from exc


def abort(stream: openai.Stream) -> None:
    """Cut the connection under ``stream`` now. A shutdown (unlike close) also wakes a thread that
    is blocked reading it, and the server sees the disconnect and frees the slot at once."""
    net = stream.response.extensions.get("network_stream")
    sock = net.get_extra_info("socket") if net is not None else None
    if sock is None:  # no socket (a test transport)
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):  # already closed, or no socket (a test transport)
        pass


def list_models(sdk: openai.OpenAI, url: str, timeout_s: float, warming: bool = False) -> list[dict[str, Any]]:
    """GET /models, each model as a dict (vLLM adds ``max_model_len``)."""
    page = _call(url, warming, lambda: sdk.models.list(timeout=timeout_s))
    return [m.model_dump() for m in page.data]


def embed(sdk: openai.OpenAI, url: str, model: str, texts: list[str]) -> list[list[float]]:
    """POST /embeddings; vectors in input order."""
    reply = _call(url, False, lambda: sdk.embeddings.create(model=model, input=texts, encoding_format="float"))
    return [d.embedding for d in sorted(reply.data, key=lambda d: d.index)]


def worth_another_server(exc: BaseException | None) -> bool:
    """A failure another replica (or a later try) may not have: refused, reset, 5xx, 429.
    Timeouts are not among them: a silent server has already cost the learner its deadline."""
    if isinstance(exc, openai.APITimeoutError):
        return False
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code == 429
    return isinstance(exc, openai.APIConnectionError)


def translate(exc: BaseException, url: str, warming: bool = False) -> LLMError:
    """The SDK's exception as tutorbot's, with the fix in the message."""
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return LLMUnavailable(f"LLM server at {url} timed out: check it with `tutorbot doctor`")
    if isinstance(exc, openai.APIConnectionError):
        return unreachable(url, type(exc.__cause__ or exc).__name__, warming)
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc.status_code, _body_text(exc), url)
    if isinstance(exc, openai.APIError):  # an {"error": ...} event inside a 200 stream
        return LLMUnavailable(f"LLM server at {url} broke off the answer: {exc.message}")
    return LLMUnavailable(f"LLM server at {url} sent an unreadable reply ({type(exc).__name__}): "
                          "check TUTORBOT_LLM_BASE_URL points at an OpenAI-compatible server")


def _call(url: str, warming: bool, fn: Callable[[], R]) -> R:
    try:
        return fn()
    except LLMError:
        raise
    except Exception as exc:  # noqa: BLE001 - translated, never swallowed
        raise translate(exc, url, warming) from exc


def _status_error(code: int, text: str, url: str) -> LLMError:
    if code in (401, 403):
        return LLMError(f"LLM server at {url} refused the API key (HTTP {code}): set TUTORBOT_LLM_API_KEY "
                        "to the server's key")
    if code == 404:
        return LLMError(f"LLM server at {url} rejected the request: HTTP 404 {text[:200]} (is TUTORBOT_LLM_MODEL "
                        "one of the models `tutorbot doctor` lists?)")
    if code == 429:
        return LLMBusy(f"LLM server at {url} is overloaded (HTTP 429): try again in a moment")
    if code >= 500:
        return LLMUnavailable(f"LLM server at {url} failed: HTTP {code} {text[:200]}")
    return LLMError(f"LLM server at {url} rejected the request: HTTP {code} {text[:300]}")


def _body_text(exc: openai.APIStatusError) -> str:
    try:
        return exc.response.text
    except Exception:  # noqa: BLE001 - a streamed error body may be unreadable; the status says enough
        return exc.message
