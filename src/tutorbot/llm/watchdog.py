"""LLM stage, watchdog: a stream must start, keep going and finish in time, or it is cut off.

The SDK's reads block, so a reader thread does them and hands chunks over a queue; the caller
waits on that queue with exact deadlines, however the server misbehaves (accepts and never
answers, sends headers and then nothing, trickles a token every few seconds, stops mid-answer).
Leaving early for any reason — a deadline, an error, or the caller closing the generator — cuts
the connection at once, so the server stops generating for nobody and frees the slot.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tutorbot.llm import transport
from tutorbot.llm.errors import LLMLate, LLMUnavailable
from tutorbot.llm.transport import Delta

if TYPE_CHECKING:
    import openai


@dataclass(frozen=True)
class Limits:
    first_s: float  # request sent → first token (connect, queueing in the server, prefill)
    idle_s: float  # longest silence between two chunks once tokens flow
    total_s: float  # the whole answer, however it trickles


class _Reader:
    """Opens the stream and reads it on its own thread; ``cancel`` works at any moment."""

    def __init__(self, open_stream: Callable[[], openai.Stream], url: str):
        self.url, self.chunks = url, queue.Queue[tuple[str, Any]]()
        self._open, self._cancelled = open_stream, False
        self._stream: openai.Stream | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._run, daemon=True, name="llm-stream").start()

    def _run(self) -> None:
        try:
            stream = self._open()
            with self._lock:
                self._stream = stream
                if self._cancelled:  # the caller gave up while the headers were on their way
                    transport.abort(stream)
            for delta in transport.deltas(stream, self.url):
                self.chunks.put(("delta", delta))
            self.chunks.put(("end", None))
        except Exception as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
            self.chunks.put(("error", exc))

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            if self._stream is not None:
                transport.abort(self._stream)


def watched(open_stream: Callable[[], openai.Stream], url: str, limits: Limits,
            clock: Callable[[], float] = time.monotonic,
            patience_s: float | None = None) -> Generator[Delta, None, None]:
    """Deltas of one streamed request, each within its deadline; raises ``LLMUnavailable`` (or the
    stream's own ``LLMError``) otherwise. Closing the generator cancels the request. ``patience_s``, when
    shorter than the first-token limit, is the caller's own: missing it raises ``LLMLate`` instead."""
    late = patience_s is not None and patience_s < limits.first_s
    limits = replace(limits, first_s=max(patience_s or 0.0, 0.0)) if late else limits
    reader, start = _Reader(open_stream, url), clock()
    finished, last, got_token, finish = False, start, False, None
    try:
        while True:
            wait, why = _deadline(limits, start, last, got_token, clock())
            try:
                kind, item = reader.chunks.get(timeout=max(wait, 0.0))
            except queue.Empty:
                if late and not got_token:
                    raise LLMLate(f"LLM server at {url} {why}") from None
                raise LLMUnavailable(f"LLM server at {url} {why}: check it with `tutorbot doctor`") from None
            if kind != "delta":
                finished = True
                if kind == "error":
                    raise item
                if finish is None:  # e.g. random bytes with a 200: nothing parsed, nothing finished
                    raise LLMUnavailable(f"LLM server at {url} ended the answer without finishing it")
                return
            last, got_token = clock(), got_token or bool(item.text)
            finish = item.finish_reason or finish
            yield item
    finally:
        if not finished:
            reader.cancel()


def _deadline(limits: Limits, start: float, last: float, got_token: bool, now: float) -> tuple[float, str]:
    """Seconds left before the nearest deadline, and what missing it means."""
    total_left = start + limits.total_s - now
    step_left = (last + limits.idle_s - now) if got_token else (start + limits.first_s - now)
    if total_left <= step_left:
        return total_left, f"did not finish the answer within {limits.total_s:g}s"
    if got_token:
        return step_left, f"went silent for {limits.idle_s:g}s mid-answer"
    return step_left, f"sent no first token within {limits.first_s:g}s"
