"""LLM client error handling, with httpx mock transports and a port where nothing listens."""

import json
import time

import httpx
import pytest
from conftest import free_port
from pydantic import BaseModel, Field

from tutorbot.llm.client import LLMOutputError, LLMUnavailable, OpenAICompatClient
from tutorbot.settings import LLMSettings


class Reply(BaseModel):
    topic: str = Field(max_length=30)
    hours: int


def completion(content: str, finish: str = "stop") -> dict:
    return {"choices": [{"message": {"content": content}, "finish_reason": finish}]}


def client(handler, **kw) -> OpenAICompatClient:
    return OpenAICompatClient(LLMSettings(retries=0, **kw), transport=httpx.MockTransport(handler))


def test_server_down_is_one_clear_error_within_connect_timeout():
    port = free_port()  # nothing listens here
    c = OpenAICompatClient(LLMSettings(base_url=f"http://127.0.0.1:{port}/v1", connect_timeout_s=1, retries=0,
                                       warmup_s=0))
    t = time.monotonic()
    with pytest.raises(LLMUnavailable) as err:
        list(c.stream([{"role": "user", "content": "hi"}]))
    assert time.monotonic() - t < 3
    assert f"127.0.0.1:{port}" in str(err.value) and "tutorbot serve-llm" in str(err.value)
    assert c.status().state == "down"


def test_structured_output_validated():
    c = client(lambda r: httpx.Response(200, json=completion('{"topic": "RLHF", "hours": 3}')))
    assert c.structured([{"role": "user", "content": "x"}], Reply) == Reply(topic="RLHF", hours=3)


def test_structured_output_sends_json_schema():
    seen = {}

    def handler(request):
        seen.update(json.loads(request.content))
        return httpx.Response(200, json=completion('{"topic": "a", "hours": 1}'))

    client(handler).structured([{"role": "user", "content": "x"}], Reply)
    assert seen["structured_outputs"]["disable_any_whitespace"] is True
    assert seen["structured_outputs"]["json"]["properties"]["topic"]["maxLength"] == 30


@pytest.mark.parametrize("content,finish,needle", [
    ('{"topic": "RLHF", "hou', "length", "truncated"),
    ('{"topic": "' + "x" * 50 + '", "hours": 1}', "stop", "invalid output"),
    ("not json", "stop", "invalid output"),
])
def test_structured_output_errors(content, finish, needle):
    c = client(lambda r: httpx.Response(200, json=completion(content, finish)))
    with pytest.raises(LLMOutputError, match=needle):
        c.structured([{"role": "user", "content": "x"}], Reply)


def test_streaming_parses_sse_deltas():
    events = [{"choices": [{"delta": {"role": "assistant"}}]}, {"choices": [{"delta": {"content": "Hel"}}]},
              {"choices": [{"delta": {"content": "lo"}}]}]
    body = "".join(f"data: {json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n"
    c = client(lambda r: httpx.Response(200, text=body, headers={"content-type": "text/event-stream"}))
    assert list(c.stream([{"role": "user", "content": "hi"}])) == ["Hel", "lo"]


def test_fail_over_to_the_next_url():
    def handler(request):
        if request.url.host == "a":
            raise httpx.ConnectError("refused")
        return httpx.Response(200, json=completion("from b"))

    c = client(handler, base_url="http://a:1/v1,http://b:1/v1")
    assert {c.complete([{"role": "user", "content": "x"}]).text for _ in range(3)} == {"from b"}


def test_5xx_is_unavailable_and_4xx_is_rejected():
    c = client(lambda r: httpx.Response(503, text="loading"))
    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        c.complete([{"role": "user", "content": "x"}])
    c = client(lambda r: httpx.Response(400, text="bad request"))
    with pytest.raises(Exception, match="rejected the request"):
        c.complete([{"role": "user", "content": "x"}])


def test_5xx_on_a_stream_is_unavailable_and_fails_over():
    def handler(request):
        if request.url.host == "a":
            return httpx.Response(503, text="warming up")
        return httpx.Response(200, text='data: {"choices": [{"delta": {"content": "b"}}]}\n\ndata: [DONE]\n\n')

    assert list(client(handler, base_url="http://a:1/v1,http://b:1/v1").stream([{"role": "user", "content": "x"}])) \
        == ["b"]
    with pytest.raises(LLMUnavailable, match="HTTP 503"):
        list(client(lambda r: httpx.Response(503, text="loading")).stream([{"role": "user", "content": "x"}]))


class SlowStream(httpx.SyncByteStream):
    """Server-sent events with a pause before the event at index ``pause_at``."""

    def __init__(self, pause_at: int, pause_s: float):
        self.pause_at, self.pause_s = pause_at, pause_s

    def __iter__(self):
        for i, word in enumerate(["one", "two", "three"]):
            if i == self.pause_at:
                time.sleep(self.pause_s)
            yield f'data: {{"choices": [{{"delta": {{"content": "{word}"}}}}]}}\n\n'.encode()
        yield b"data: [DONE]\n\n"


@pytest.mark.parametrize("pause_at,needle", [(0, "no first token within 0.3s"), (1, "no next token within 0.3s")])
def test_first_token_and_idle_timeouts(pause_at, needle):
    c = client(lambda r: httpx.Response(200, stream=SlowStream(pause_at, 2.0)),
               first_token_timeout_s=0.3, idle_timeout_s=0.3)
    got, t = [], time.monotonic()
    with pytest.raises(LLMUnavailable, match=needle):
        for delta in c.stream([{"role": "user", "content": "x"}]):
            got.append(delta)
    assert time.monotonic() - t < 1.5 and got == ["one"][:pause_at]  # what came before the gap arrived


def test_retries_recover_from_a_503_without_sleeping_after_the_last_try():
    replies = iter([httpx.Response(503, text="loading"), httpx.Response(200, json=completion("ok"))])
    c = OpenAICompatClient(LLMSettings(retries=1), transport=httpx.MockTransport(lambda r: next(replies)))
    assert c.complete([{"role": "user", "content": "x"}]).text == "ok"
    down = OpenAICompatClient(LLMSettings(retries=0), transport=httpx.MockTransport(
        lambda r: httpx.Response(503, text="loading")))
    t = time.monotonic()
    with pytest.raises(LLMUnavailable):
        down.complete([{"role": "user", "content": "x"}])
    assert time.monotonic() - t < 0.3


def test_a_server_not_answering_yet_after_start_is_warming_up_not_down():
    port = free_port()  # vLLM keeps its port closed while it loads the model
    c = OpenAICompatClient(LLMSettings(base_url=f"http://127.0.0.1:{port}/v1", connect_timeout_s=1, retries=0,
                                       warmup_s=60))
    assert c.status().state == "warming"
    with pytest.raises(LLMUnavailable, match="still warming up"):
        list(c.stream([{"role": "user", "content": "hi"}]))
    c._seen_up = True  # once it has answered, a closed port means the server went down
    assert c.status().state == "down"
