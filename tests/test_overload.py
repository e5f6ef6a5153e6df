"""Overload (issue 9): at twice the configured concurrency the extra chats get a fast "busy"
answer, and none waits past the timeouts."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fakes import RanksSentences

from tutorbot.chat.service import ChatService
from tutorbot.llm.client import OpenAICompatClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import PROJECT_ROOT, LLMSettings, Settings

HIT = Hit(chunk=Chunk(id="c1", doc_id="roadmaps/a.txt", title="Road map", section="阶段 1",
                      text="Stanford CS336 builds a language model from scratch.", urls=[]), score=0.9)


class OneHit(RanksSentences):
    def retrieve(self, query, k=None, mode=None):
        return Retrieval([HIT], 0.95, 10.0, query)


class SlowEvents(httpx.SyncByteStream):
    """A server busy generating: one token every 0.2 s."""

    def __iter__(self):
        for word in ["CS336 ", "builds ", "a ", "model ", "[1]."]:
            time.sleep(0.2)
            yield f'data: {{"choices": [{{"delta": {{"content": "{word}"}}}}]}}\n\n'.encode()
        yield b"data: [DONE]\n\n"


def burst(chat: ChatService, n: int) -> list[tuple[float, object]]:
    def one(i):
        t = time.monotonic()
        answer = chat.ask(f"Which course builds a model from scratch? ({i})")
        return time.monotonic() - t, answer

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def service(tmp_path, llm) -> ChatService:
    s = Settings(_env_file=None, data_dir=tmp_path, chat={"first_text_deadline_s": 30})  # slow on purpose
    return ChatService(s, OneHit(), llm, PromptLibrary(PROJECT_ROOT / "prompts"), None, [])


def test_twice_the_concurrency_gets_fast_busy_answers(tmp_path):
    llm = OpenAICompatClient(LLMSettings(max_concurrency=3, retries=0),
                             transport=httpx.MockTransport(lambda r: httpx.Response(200, stream=SlowEvents())))
    results = burst(service(tmp_path, llm), 6)
    busy = [(s, a) for s, a in results if "busy" in a.error]
    served = [(s, a) for s, a in results if not a.error]
    assert len(busy) == 3 and len(served) == 3
    assert all(s < 1.0 for s, _ in busy)  # turned away at once, not after the others finished
    assert all(a.citations for _, a in busy)  # still shown the sources
    assert all("CS336" in a.answer for _, a in served)


@pytest.mark.integration
def test_overload_against_the_real_server(tmp_path, llm_server):
    s = llm_server.llm.model_copy(update={"max_concurrency": 2, "max_tokens": 48})
    results = burst(service(tmp_path, OpenAICompatClient(s)), 4)
    busy = [sec for sec, a in results if "busy" in a.error]
    assert len(busy) == 2 and max(busy) < 2.0
    assert all(sec < s.first_token_timeout_s + 48 * s.idle_timeout_s for sec, _ in results)  # nothing hangs
    assert sum(not a.error for _, a in results) == 2
