"""LLM client error handling, with httpx mock transports and a port where nothing listens."""

import json
import time

import httpx
import pytest
from pydantic import BaseModel, Field

from tutorbot.llm import LLMOutputError, LLMUnavailable, OpenAICompatClient
from tutorbot.settings import LLMSettings

from conftest import free_port


class Reply(BaseModel):
    topic: str = Field(max_length=30)
    hours: int


def completion(content: str, finish: str = "stop") -> dict:
    return {"choices": [{"message": {"content": content}, "finish_reason": finish}]}


def client(handler, **kw) -> OpenAICompatClient:
    return OpenAICompatClient(LLMSettings(retries=0, **kw), transport=httpx.MockTransport(handler))


def test_server_down_is_one_clear_error_within_connect_timeout():
    port = free_port()  # nothing listens here
    c = OpenAICompatClient(LLMSettings(base_url=f"http://127.0.0.1:{port}/v1", connect_timeout_s=1, retries=0))
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
