"""One streamed chat, timed, by two routes: through tutorbot and straight to vLLM.

Both return a ``StreamTiming`` (time to first non-empty delta, deltas, total). The direct route is
plain httpx + SSE with the same messages, ``max_tokens`` and temperature tutorbot sends, so any
difference is tutorbot's own work (cleaning, retrieval, prompt assembly, its reader thread).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
from pydantic import BaseModel

from tutorbot.chat.service import ChatService, question_language
from tutorbot.llm.client import Messages


class StreamTiming(BaseModel):
    ttft_s: float
    deltas: int
    total_s: float
    grounded: bool = True


def via_tutorbot(chat: ChatService, question: str) -> StreamTiming:
    start, first, deltas, answer = time.perf_counter(), None, 0, None
    for event in chat.ask_stream(question):
        if event.kind == "delta" and event.text:
            first = first or time.perf_counter()
            deltas += 1
        answer = event.answer or answer
    end = time.perf_counter()
    return StreamTiming(ttft_s=(first or end) - start, deltas=deltas, total_s=end - start,
                        grounded=bool(answer and answer.grounded))


def via_vllm(http: httpx.Client, url: str, body: dict) -> StreamTiming:
    start, first, deltas = time.perf_counter(), None, 0
    with http.stream("POST", f"{url}/chat/completions", json=body | {"stream": True}) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines():
            if not line.startswith("data:") or line[5:].strip() == "[DONE]":
                continue
            choices = json.loads(line[5:]).get("choices") or [{}]
            if choices[0].get("delta", {}).get("content"):
                first = first or time.perf_counter()
                deltas += 1
    end = time.perf_counter()
    return StreamTiming(ttft_s=(first or end) - start, deltas=deltas, total_s=end - start)


def final_messages(chat: ChatService, question: str) -> Messages:
    """The exact prompt ``ask_stream`` sends for a first-turn question (no history, not Socratic)."""
    found = chat.retriever.retrieve(question)
    return chat.messages(question, found.hits, [], question_language(question), False)


def request_body(chat: ChatService, messages: Messages) -> dict:
    s = chat.settings.llm
    return {"model": s.model, "messages": messages, "max_tokens": s.max_tokens, "temperature": s.temperature}


def concurrently(jobs: list[Callable[[], StreamTiming]]) -> tuple[list[StreamTiming], float]:
    """Run jobs in threads released together; returns their timings and the batch's wall time."""
    results: list[StreamTiming | BaseException | None] = [None] * len(jobs)
    gate = threading.Barrier(len(jobs) + 1)

    def work(i: int) -> None:
        gate.wait()
        try:
            results[i] = jobs[i]()
        except BaseException as exc:  # reported below, with the others' results kept
            results[i] = exc

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    gate.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        raise RuntimeError(f"{len(failed)} of {len(jobs)} concurrent chats failed: {failed[0]!r}")
    return [r for r in results if isinstance(r, StreamTiming)], wall
