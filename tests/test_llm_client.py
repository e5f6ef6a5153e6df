"""The LLM client against a loopback server that misbehaves on cue (``fake_openai``), and a port
where nothing listens: every failure is one clear ``LLMError``, within its deadline."""

from __future__ import annotations

import time

import pytest
from conftest import free_port
from fake_openai import FakeOpenAI, endless, garbage, headers_then_silence, silent, sse, status
from pydantic import BaseModel, Field

from tutorbot.llm.client import LLMError, LLMOutputError, LLMUnavailable, OpenAICompatClient
from tutorbot.llm.errors import LLMLate
from tutorbot.settings import LLMSettings

ASK = [{"role": "user", "content": "hi"}]


class Reply(BaseModel):
    topic: str = Field(max_length=30)
    hours: int


def client(server_or_url, **kw) -> OpenAICompatClient:
    url = server_or_url if isinstance(server_or_url, str) else server_or_url.url
    return OpenAICompatClient(LLMSettings(base_url=url, retries=kw.pop("retries", 0), **kw))


def timed(fn):
    t = time.monotonic()
    try:
        return fn(), time.monotonic() - t
    except LLMError as exc:
        return exc, time.monotonic() - t


def test_a_server_that_is_down_is_one_clear_error_within_the_connect_timeout():
    port = free_port()  # nothing listens here
    c = client(f"http://127.0.0.1:{port}/v1", connect_timeout_s=1)
    err, took = timed(lambda: list(c.stream(ASK)))
    assert isinstance(err, LLMUnavailable) and took < 3
    assert f"127.0.0.1:{port}" in str(err) and "tutorbot serve-llm" in str(err) and "warming" not in str(err)
    assert c.status().state == "down"


def test_a_server_we_are_starting_is_warming_up_until_it_has_answered_once():
    port = free_port()
    c = OpenAICompatClient(LLMSettings(base_url=f"http://127.0.0.1:{port}/v1", connect_timeout_s=1),
                           starting=lambda: True)
    assert c.status().state == "warming"
    with pytest.raises(LLMUnavailable, match="still warming up"):
        list(c.stream(ASK))


def test_a_server_that_answered_before_is_unavailable_not_warming_when_it_stops():
    server = FakeOpenAI(sse("hello"))
    with server:
        c = OpenAICompatClient(LLMSettings(base_url=server.url, connect_timeout_s=1), starting=lambda: True)
        assert list(c.stream(ASK)) == ["hello"]
    assert c.status().state == "down"
    with pytest.raises(LLMUnavailable, match="not reachable"):
        list(c.stream(ASK))


def test_streamed_deltas_arrive_in_order_and_empty_ones_are_dropped():
    with FakeOpenAI(sse("Hel", "", "lo")) as server:
        assert list(client(server).stream(ASK)) == ["Hel", "lo"]


def test_an_in_band_error_event_mid_stream_raises_after_the_text_before_it():
    with FakeOpenAI(sse("Half an ", "answer", finish=None, error="engine died")) as server:
        got = []
        with pytest.raises(LLMUnavailable, match="broke off the answer: engine died"):
            for delta in client(server).stream(ASK):
                got.append(delta)
    assert got == ["Half an ", "answer"]


def test_a_stream_that_ends_without_finishing_is_an_error_not_a_short_answer():
    with FakeOpenAI(sse("Half an answer", finish=None)) as server:
        with pytest.raises(LLMUnavailable, match="without finishing"):
            list(client(server).stream(ASK))


@pytest.mark.parametrize("with_http", [True, False])
def test_random_bytes_are_unavailable(with_http):
    with FakeOpenAI(garbage(with_http)) as server:
        err, took = timed(lambda: list(client(server, first_token_timeout_s=2).stream(ASK)))
    assert isinstance(err, LLMUnavailable) and took < 4


@pytest.mark.parametrize("reply,needle", [(silent(), "no first token within 0.5s"),
                                          (headers_then_silence(), "no first token within 0.5s"),
                                          (sse("one", "two", pause_at=1, pause_s=5), "went silent for 0.5s")])
def test_a_silent_server_is_cut_off_within_its_deadline(reply, needle):
    with FakeOpenAI(reply) as server:
        c = client(server, first_token_timeout_s=0.5, idle_timeout_s=0.5)
        got = []
        err, took = timed(lambda: [got.append(d) for d in c.stream(ASK)])
        assert isinstance(err, LLMUnavailable) and needle in str(err), err
        assert took < 3 and got == (["one"] if "silent for" in needle else [])


def wait_for_hang_up(server: FakeOpenAI, since: float) -> float:
    """Seconds from ``since`` until the server noticed the client had gone (inf if it never did)."""
    deadline = since + 5
    while not server.hung_up and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.hung_up[0] - since if server.hung_up else float("inf")


def test_a_trickle_is_cut_off_at_the_total_deadline_and_the_connection_with_it():
    with FakeOpenAI(sse(*["tok "] * 100, every_s=0.2)) as server:
        c = client(server, idle_timeout_s=1, request_timeout_s=1.5)
        err, took = timed(lambda: list(c.stream(ASK)))
        assert isinstance(err, LLMUnavailable) and "within 1.5s" in str(err) and took < 3.5
        assert wait_for_hang_up(server, time.monotonic()) < 1.5  # the server stops generating for nobody


def test_a_callers_patience_cancels_a_stream_still_without_a_first_token_and_says_so_as_late():
    with FakeOpenAI(sse(*["late "] * 50, pause_at=0, pause_s=1.0, every_s=0.02)) as server:
        c = client(server, first_token_timeout_s=30)
        err, took = timed(lambda: list(c.stream(ASK, patience_s=0.4)))
        assert isinstance(err, LLMLate) and not isinstance(err, LLMUnavailable) and took < 2, (err, took)
        assert wait_for_hang_up(server, time.monotonic()) < 1.5  # the request is cancelled, not left to run
    with FakeOpenAI(sse("in time")) as server:  # a token within the patience streams as usual
        assert list(client(server).stream(ASK, patience_s=5)) == ["in time"]


def test_a_non_streamed_call_is_under_the_same_deadlines():
    with FakeOpenAI(silent()) as server:
        err, took = timed(lambda: client(server, first_token_timeout_s=0.5, retries=2).complete(ASK))
    assert isinstance(err, LLMUnavailable) and took < 3  # a silent server is not retried


def test_closing_the_generator_hangs_up_at_once():
    with FakeOpenAI(endless()) as server:
        gen = client(server).stream(ASK)
        assert [next(gen) for _ in range(3)] == ["la "] * 3
        closed = time.monotonic()
        gen.close()
        assert wait_for_hang_up(server, closed) < 1.0


def test_sampling_settings_go_on_every_request():
    with FakeOpenAI(sse("x")) as server:
        c = client(server, frequency_penalty=0.5, presence_penalty=0.25, repetition_penalty=1.1, stop=["\n\n"])
        list(c.stream(ASK))
        c.complete(ASK)
    for body in server.bodies:
        assert (body["frequency_penalty"], body["presence_penalty"], body["repetition_penalty"], body["stop"]) \
            == (0.5, 0.25, 1.1, ["\n\n"])
        assert body["stream"] is True


def test_structured_output_is_validated_and_asks_with_the_standard_and_the_vllm_fields():
    with FakeOpenAI(sse('{"topic": "RLHF", ', '"hours": 3}')) as server:
        assert client(server).structured(ASK, Reply) == Reply(topic="RLHF", hours=3)
    body = server.bodies[0]
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"]["properties"]["topic"]["maxLength"] == 30
    assert body["structured_outputs"]["disable_any_whitespace"] is True and body["temperature"] == 0.0


@pytest.mark.parametrize("content,finish,needle", [
    ('{"topic": "RLHF", "hou', "length", "truncated"),
    ('{"topic": "' + "x" * 50 + '", "hours": 1}', "stop", "invalid output"),
    ("not json", "stop", "invalid output"),
])
def test_structured_output_errors(content, finish, needle):
    with FakeOpenAI(sse(content, finish=finish)) as server:
        with pytest.raises(LLMOutputError, match=needle):
            client(server).structured(ASK, Reply)


def test_fail_over_to_the_next_url_for_streams_and_completions():
    with FakeOpenAI(sse("from b")) as b:
        c = client(f"http://127.0.0.1:{free_port()}/v1,{b.url}", connect_timeout_s=1)
        assert {c.complete(ASK).text for _ in range(2)} == {"from b"}
        assert [list(c.stream(ASK)) for _ in range(2)] == [["from b"]] * 2


def test_a_5xx_fails_over_and_a_4xx_is_rejected_with_the_body():
    with FakeOpenAI(status(503, "loading")) as a, FakeOpenAI(sse("b")) as b:
        assert list(client(f"{a.url},{b.url}").stream(ASK)) == ["b"]
        with pytest.raises(LLMUnavailable, match="HTTP 503"):
            list(client(a).stream(ASK))
    with FakeOpenAI(status(400, "bad request")) as server:
        with pytest.raises(LLMError, match="rejected the request: HTTP 400 bad request"):
            client(server).complete(ASK)


def test_a_wrong_api_key_names_the_setting():
    with FakeOpenAI(status(401)) as server:
        with pytest.raises(LLMError, match="TUTORBOT_LLM_API_KEY"):
            client(server).complete(ASK)


def test_retries_recover_from_a_503_without_sleeping_after_the_last_try():
    with FakeOpenAI(status(503, "loading"), sse("ok")) as server:
        assert client(server, retries=1).complete(ASK).text == "ok"
    with FakeOpenAI(status(503, "loading")) as server:
        err, took = timed(lambda: client(server, retries=0).complete(ASK))
    assert isinstance(err, LLMUnavailable) and took < 0.5
