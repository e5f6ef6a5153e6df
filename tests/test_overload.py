"""Overload (issues 9 and 14): past the model's capacity learners queue fairly and are served in
turn; when the expected wait is too long they hear so at once, with their place in line. Faults of
the server (random bytes, an error mid-answer, silence) reach the learner as the "model unavailable"
note with the sources, never as a silent fallback or a hang."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fake_openai import FakeOpenAI, garbage, silent, sse
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


SLOW_ANSWER = sse("CS336 ", "builds ", "a ", "model ", "[1].", every_s=0.1)  # ~0.5 s per answer


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


def test_past_capacity_learners_queue_and_all_get_their_answer(tmp_path):
    with FakeOpenAI(SLOW_ANSWER) as server:
        llm = OpenAICompatClient(LLMSettings(base_url=server.url, max_concurrency=3, retries=0),
                                 typical_answer_s=0.5)
        results = burst(service(tmp_path, llm), 6)
    assert [a.error for _, a in results] == [""] * 6
    assert all("CS336" in a.answer for _, a in results)
    assert max(s for s, _ in results) < 4  # two rounds of ~0.5 s, not a timeout


def test_when_the_wait_would_be_too_long_the_extra_learners_hear_their_place_at_once(tmp_path):
    with FakeOpenAI(SLOW_ANSWER) as server:
        llm = OpenAICompatClient(LLMSettings(base_url=server.url, max_concurrency=1, max_queue_wait_s=5, retries=0),
                                 typical_answer_s=20)
        results = burst(service(tmp_path, llm), 3)
    busy = [(s, a) for s, a in results if "busy" in a.error]
    assert len(busy) == 2 and all(s < 2.0 for s, _ in busy)  # told at once, not after a 5 s wait
    assert all("in line, about 20 s" in a.error for _, a in busy)
    assert not any(p.origin == "model" for _, a in busy for p in a.parts)


def test_a_question_turned_away_costs_no_retrieval(tmp_path):
    class Counting(OneHit):
        calls = 0

        def retrieve(self, query, k=None, mode=None):
            Counting.calls += 1
            return super().retrieve(query, k, mode)

    llm = OpenAICompatClient(LLMSettings(max_concurrency=1, max_queue_wait_s=5, retries=0), typical_answer_s=20)
    s = Settings(_env_file=None, data_dir=tmp_path)
    chat = ChatService(s, Counting(), llm, PromptLibrary(PROJECT_ROOT / "prompts"), None, [])
    with llm.gate.slot("someone else"), ThreadPoolExecutor(1) as pool:
        queued = pool.submit(lambda: llm.gate.slot("a second").__enter__())  # one waits in line already
        time.sleep(0.2)
        answer = chat.ask("Which course builds a model from scratch?")
        queued.cancel()
    assert "busy" in answer.error and Counting.calls == 0


@pytest.mark.parametrize("reply", [garbage(), garbage(with_http=False), sse("Half an", finish=None, error="oom"),
                                   silent()])
def test_a_broken_server_shows_the_unavailable_note_with_the_sources(tmp_path, reply):
    with FakeOpenAI(reply) as server:
        llm = OpenAICompatClient(LLMSettings(base_url=server.url, first_token_timeout_s=1, retries=0))
        t = time.monotonic()
        answer = service(tmp_path, llm).ask("Which course builds a model from scratch?")
    assert "model is unavailable" in answer.answer and answer.error and answer.citations
    assert time.monotonic() - t < 4


@pytest.mark.integration
def test_overload_against_the_real_server(tmp_path, llm_server):
    s = llm_server.llm.model_copy(update={"max_concurrency": 2, "max_tokens": 48})
    results = burst(service(tmp_path, OpenAICompatClient(s)), 4)
    assert [a.error for _, a in results] == [""] * 4  # the two extra learners waited their turn
    assert all(sec < 2 * (s.first_token_timeout_s + s.request_timeout_s) for sec, _ in results)  # nothing hangs
