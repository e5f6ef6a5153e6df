"""The OpenAI-compatible API over HTTP (issue 21), spoken to by the real ``openai`` client.

Runs the real ``ui.launch`` in-process on 127.0.0.1 (free ports) over a real Container — hash
embedder, the real corpus ingested, ``FakeLLM`` as the model, grounding thresholds at zero so
every question is answered from the sources — once in login mode (keys required, as on a
server) and once in local mode (keyless from this machine). Each refusal has a positive
control: the same request with a good key, or before the revocation, is answered.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import openai
import pytest
from conftest import free_port, make_settings

from tutorbot.container import Container
from tutorbot.llm.errors import LLMBusy
from tutorbot.llm.fake import FakeLLM

PASSWORD = "pw-123456-correct"
QUESTION = "What should I learn before studying the Transformer architecture?"


@dataclass
class World:
    container: Container
    llm: FakeLLM
    url: str  # login mode
    local_url: str  # local mode (no login)
    keys: dict[str, str]  # learner -> API key
    ids: dict[str, int]  # learner -> user id


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    from tutorbot.ui import launch

    root = tmp_path_factory.mktemp("api")
    llm = FakeLLM("Study attention first, then the Transformer architecture [1].")
    c = Container(make_settings(root / "data", embedding={"backend": "hash"},
                                retrieval={"min_score": 0.0, "min_lexical": 0.0}), llm=llm)
    c.ingest()
    ids = {name: c.store.add_user(name, PASSWORD).id for name in ("ann", "ben")}
    keys = {name: c.store.create_api_key(uid) for name, uid in ids.items()}
    apps, urls = [], []
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio"))
        for login in (True, False):  # one at a time, so the second free port cannot be the first one
            port = free_port()
            apps.append(launch(c, host="127.0.0.1", port=port, block=False, require_login=login))
            urls.append(f"http://127.0.0.1:{port}")
        try:
            yield World(c, llm, *urls, keys, ids)
        finally:
            for demo in apps:
                demo.close()
            c.store.close()


def client(w: World, key: str, url: str | None = None) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url or w.url}/v1", api_key=key, max_retries=0, timeout=30)


def ask(w: World, who: str, *messages: str, **kw: Any) -> Any:
    turns = [{"role": "user" if i % 2 == 0 else "assistant", "content": m} for i, m in enumerate(messages)]
    return client(w, w.keys[who]).chat.completions.create(model=kw.pop("model", "tutorbot"), messages=turns, **kw)


def test_models_lists_the_grounded_and_the_socratic_tutor(world):
    assert {m.id for m in client(world, world.keys["ann"]).models.list()} == {"tutorbot", "tutorbot-socratic"}


def test_a_streamed_answer_is_the_non_streamed_answer_with_the_same_citations(world):
    whole = ask(world, "ann", QUESTION)
    text, last = "", None
    for chunk in ask(world, "ann", QUESTION, stream=True):
        text += chunk.choices[0].delta.content or "" if chunk.choices else ""
        last = chunk
    content = whole.choices[0].message.content
    assert text == content and "[1]" in content and "**Sources**" in content
    citations = whole.model_extra["citations"]
    assert citations and citations == last.model_extra["citations"]
    assert {"n", "title", "section", "url", "chunk_id"} <= set(citations[0])
    assert last.choices[0].finish_reason == "stop"


def test_the_socratic_model_asks_in_socratic_mode(world):
    socratic = world.container.prompts.render("chat_socratic").strip().splitlines()[0]
    ask(world, "ann", QUESTION)
    assert socratic not in world.llm.calls[-1].prompt
    ask(world, "ann", QUESTION, model="tutorbot-socratic")
    assert socratic in world.llm.calls[-1].prompt


def test_earlier_messages_are_the_history_the_model_sees(world):
    marker = f"tbhist{uuid.uuid4().hex[:10]}"
    ask(world, "ann", "What is attention?", f"Attention weighs tokens ({marker}).", "And the Transformer?")
    assert marker in world.llm.calls[-1].prompt


def last_query(w: World, who: str, conv: str) -> str:
    """The standalone query of the conversation's last answer (a follow-up inherits the question before it)."""
    return w.container.store.get_messages(w.ids[who], conv)[-1].meta["query"]


def test_a_second_learners_key_cannot_reach_the_first_learners_conversation(world):
    marker = f"tbconv{uuid.uuid4().hex[:10]}"
    conv = ask(world, "ann", f"{QUESTION} {marker}", extra_body={"conversation": f"notes-{marker}"}).model_extra[
        "conversation_id"]
    ask(world, "ann", "And after that?", extra_body={"conversation": conv})
    assert marker in last_query(world, "ann", conv)  # control: ann's own follow-up builds on her stored turns
    store = world.container.store
    before = len(store.get_messages(world.ids["ann"], conv))
    theirs = ask(world, "ben", "And after that?", extra_body={"conversation": conv}).model_extra["conversation_id"]
    assert theirs != conv and marker not in last_query(world, "ben", theirs)
    assert conv not in {c.id for c in store.list_conversations(world.ids["ben"])}
    assert len(store.get_messages(world.ids["ann"], conv)) == before == 4


def titles(w: World, who: str) -> dict[str, str]:
    return {c.id: c.title for c in w.container.store.list_conversations(w.ids[who])}


def test_an_unnamed_api_chat_is_saved_in_the_learners_history_and_only_theirs(world):
    opening = f"{QUESTION} tbapi{uuid.uuid4().hex[:10]}"
    chunks = list(ask(world, "ann", opening, stream=True))
    conv = chunks[-1].model_extra["conversation_id"]
    answer = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    again = ask(world, "ann", opening, answer, "And after that?").model_extra["conversation_id"]
    store = world.container.store
    stored = [(m.role, m.content) for m in store.get_messages(world.ids["ann"], conv)]
    assert again == conv and titles(world, "ann")[conv] == opening[:59] + "…"
    assert [r for r, _ in stored] == ["user", "assistant"] * 2 and stored[0][1] == opening
    assert stored[2][1] == "And after that?" and answer.startswith(stored[1][1])
    theirs = ask(world, "ben", opening).model_extra["conversation_id"]
    assert theirs != conv and conv not in titles(world, "ben") and theirs not in titles(world, "ann")
    assert len(store.get_messages(world.ids["ann"], conv)) == 4  # ben's turn went to his own conversation


def test_a_revoked_key_gets_401_in_openais_error_shape(world):
    store = world.container.store
    uid = store.add_user(f"cat{uuid.uuid4().hex[:6]}", PASSWORD).id
    key = store.create_api_key(uid)
    assert client(world, key).models.list().data  # control: the key works before it is revoked
    store.revoke_api_keys(uid)
    with pytest.raises(openai.AuthenticationError) as refused:
        client(world, key).chat.completions.create(model="tutorbot", messages=[{"role": "user", "content": QUESTION}])
    assert refused.value.status_code == 401 and refused.value.body["code"] == "invalid_api_key"


def test_without_a_key_only_local_mode_answers_and_only_this_machines_own_requests(world):
    body = {"model": "tutorbot", "messages": [{"role": "user", "content": QUESTION}]}
    login = httpx.post(f"{world.url}/v1/chat/completions", json=body, timeout=30)
    assert login.status_code == 401 and "tutorbot user key" in login.json()["error"]["message"]
    local = httpx.post(f"{world.local_url}/v1/chat/completions", json=body, timeout=30)
    assert local.status_code == 200 and local.json()["choices"][0]["message"]["content"]
    page = httpx.post(f"{world.local_url}/v1/chat/completions", json=body, timeout=30,
                      headers={"origin": world.local_url})
    assert page.status_code == 401


def test_an_unknown_model_is_a_400_naming_the_models_endpoint(world):
    with pytest.raises(openai.BadRequestError) as refused:
        ask(world, "ann", QUESTION, model="gpt-4o")
    assert "/v1/models" in refused.value.body["message"]


def test_a_busy_tutor_is_a_429_with_retry_after(world, monkeypatch):
    monkeypatch.setattr(world.llm, "busy", lambda: LLMBusy("the tutor is busy", position=2, estimate_s=4))
    r = httpx.post(f"{world.url}/v1/chat/completions", headers={"authorization": f"Bearer {world.keys['ann']}"},
                   json={"model": "tutorbot", "messages": [{"role": "user", "content": QUESTION}]}, timeout=30)
    assert r.status_code == 429 and r.headers["retry-after"] == "4"
    assert r.json()["error"]["type"] == "rate_limit_exceeded"


def test_the_web_guard_lets_a_keyed_api_call_from_another_origin_through(world):
    body = {"model": "tutorbot", "messages": [{"role": "user", "content": QUESTION}]}
    page = httpx.post(f"{world.url}/v1/chat/completions", json=body, timeout=30,
                      headers={"origin": "https://chat.example.org", "authorization": f"Bearer {world.keys['ann']}"})
    assert page.status_code == 200 and page.json()["choices"][0]["message"]["content"]
    ui = httpx.post(f"{world.url}/gradio_api/queue/join", json={}, timeout=30,
                    headers={"origin": "https://chat.example.org"})
    assert ui.status_code == 403  # control: the same origin is still refused by the UI's own routes
