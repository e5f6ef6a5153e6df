"""Against the real vLLM CPU server with the bundled SmolLM2 (started once per session)."""

import pytest
from pydantic import BaseModel, Field

from tutorbot.llm.client import OpenAICompatClient

pytestmark = pytest.mark.integration


class Topic(BaseModel):
    topic: str = Field(max_length=40)
    hours_per_week: int = Field(ge=0, le=100)


def test_status_reports_the_served_model(llm_server):
    st = OpenAICompatClient(llm_server.llm).status()
    assert st.state == "up" and st.models == [llm_server.llm.model] and st.max_model_len == 4096


def test_streamed_chat_completion_arrives_in_pieces(llm_server):
    client = OpenAICompatClient(llm_server.llm)
    deltas = list(client.stream([{"role": "user", "content": "Name three colours."}], max_tokens=40))
    assert len(deltas) > 3 and "".join(deltas).strip()


def test_json_schema_constrained_completion_validates(llm_server):
    client = OpenAICompatClient(llm_server.llm)
    out = client.structured([{"role": "user", "content": "I study transformers 10 hours a week. "
                              "Give the topic and hours per week as JSON."}], Topic, max_tokens=80)
    assert isinstance(out, Topic) and 0 <= out.hours_per_week <= 100
