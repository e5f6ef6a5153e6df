"""The OpenAI-compatible API without a server or a model: keys in the store, who a request is from,
how a request becomes a chat-service call, and the router's wire format, over a fake chat service."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tutorbot.api.auth import KeyAuth
from tutorbot.api.errors import ApiError
from tutorbot.api.protocol import ChatCompletionRequest
from tutorbot.api.router import build_router
from tutorbot.api.serving import TutorServing, sources_markdown
from tutorbot.chat.conversations import Conversations
from tutorbot.chat.service import MAX_QUESTION_CHARS, ChatEvent, cut_question
from tutorbot.llm.errors import LLMBusy
from tutorbot.schemas import Answer, Citation
from tutorbot.store.learner_store import LearnerStore

CHEAP = 2**10  # scrypt cost: hashing is not under test
CITES = [Citation(n=1, source="roadmaps/x.txt", title="LLM Road Map", section="A > Transformers", chunk_id="x#1"),
         Citation(n=2, source="https://example.org/attn", title="Attention", urls=["https://example.org/attn"])]


@pytest.fixture
def store(tmp_path) -> Iterator[LearnerStore]:
    with LearnerStore(f"sqlite:///{tmp_path / 'learners.sqlite3'}", scrypt_n=CHEAP) as s:
        yield s


class FakeLLMGate:
    def __init__(self) -> None:
        self.turned_away: LLMBusy | None = None

    def busy(self) -> LLMBusy | None:
        return self.turned_away


@dataclass
class FakeChat:
    """Answers every question with two deltas and a cited answer; records each call's arguments."""

    llm: FakeLLMGate = field(default_factory=FakeLLMGate)
    calls: list[dict[str, Any]] = field(default_factory=list)

    def ask_stream(self, question: str, **kw: Any) -> Iterator[ChatEvent]:
        self.calls.append({"question": question, **kw})
        yield ChatEvent("delta", "Learn attention first [1]. ")
        yield ChatEvent("delta", "Then read the paper [2].")
        yield ChatEvent("done", answer=Answer(answer="Learn attention first [1]. Then read the paper [2].",
                                              citations=CITES, question_cut_from=cut_question(question)[1]))

    def ask(self, question: str, **kw: Any) -> Answer:
        return next(e.answer for e in self.ask_stream(question, **kw) if e.answer is not None)


def request(*messages: tuple[str, str], model: str = "tutorbot", **kw: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest(model=model, messages=[{"role": r, "content": c} for r, c in messages], **kw)


# -- keys -------------------------------------------------------------------------------------------------
def test_a_key_resolves_to_its_learner_until_revoked(store):
    ann = store.add_user("ann", "pw-123456-correct")
    key = store.create_api_key(ann.id)
    assert store.user_for_api_key(key).name == "ann"
    assert store.user_for_api_key(key + "x") is None
    assert store.revoke_api_keys(ann.id) == 1
    assert store.user_for_api_key(key) is None


def test_the_database_holds_only_a_hash_of_each_key(store, tmp_path):
    key = store.create_api_key(store.add_user("ann", "pw-123456-correct").id)
    with sqlite3.connect(tmp_path / "learners.sqlite3") as db:
        rows = db.execute("SELECT key_hash FROM api_keys").fetchall()
    assert len(rows) == 1 and key not in rows[0][0] and len(rows[0][0]) == 64


def test_the_cli_prints_a_working_key_once_and_revokes_it(tmp_path, monkeypatch):
    from tutorbot.cli import app
    from tutorbot.container import Container
    from tutorbot.settings import load_settings

    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    Container(load_settings()).store.add_user("ann", "pw-123456-correct")
    made = CliRunner().invoke(app, ["user", "key", "ann"])
    key = made.stdout.strip().splitlines()[0]
    assert made.exit_code == 0 and key.startswith("tb-")
    assert Container(load_settings()).store.user_for_api_key(key).name == "ann"
    revoked = CliRunner().invoke(app, ["user", "key", "ann", "--revoke"])
    assert revoked.exit_code == 0 and Container(load_settings()).store.user_for_api_key(key) is None
    unknown = CliRunner().invoke(app, ["user", "key", "nobody"])
    assert unknown.exit_code == 2 and "tutorbot user add nobody" in unknown.output


# -- who is asking ----------------------------------------------------------------------------------------
def test_a_keyless_request_is_the_local_learner_only_from_this_machine_in_local_mode(store):
    local = KeyAuth(store, local=True)
    assert local.learner({}, "127.0.0.1").name == "local"
    for headers, host in (({}, "10.0.0.5"), ({"origin": "https://evil.example"}, "127.0.0.1"),
                          ({"x-forwarded-for": "10.0.0.5"}, "127.0.0.1")):
        with pytest.raises(ApiError) as refused:
            local.learner(headers, host)
        assert refused.value.status == 401 and "tutorbot user key" in refused.value.message
    with pytest.raises(ApiError):
        KeyAuth(store, local=False).learner({}, "127.0.0.1")


def test_a_bad_key_is_refused_even_from_this_machine_in_local_mode(store):
    key = store.create_api_key(store.add_user("ann", "pw-123456-correct").id)
    auth = KeyAuth(store, local=True)
    assert auth.learner({"authorization": f"Bearer {key}"}, "127.0.0.1").name == "ann"
    with pytest.raises(ApiError) as refused:
        auth.learner({"authorization": "Bearer tb-not-a-key"}, "127.0.0.1")
    assert refused.value.code == "invalid_api_key"


# -- request -> chat service ------------------------------------------------------------------------------
def test_the_last_user_message_is_the_question_and_earlier_turns_the_history(store):
    chat, ann = FakeChat(), store.add_user("ann", "pw-123456-correct").id
    serving = TutorServing(chat, Conversations(store))
    p = serving.prepare(request(("system", "be brief"), ("user", "What is attention?"), ("assistant", "A weighting."),
                                ("user", "And transformers?"), model="tutorbot-socratic"), ann)
    serving.complete(p)
    call = chat.calls[-1]
    assert call["question"] == "And transformers?" and call["socratic"] is True and call["user_id"] == ann
    assert [(t.role, t.content) for t in call["history"]] == [("user", "What is attention?"),
                                                             ("assistant", "A weighting.")]


@pytest.mark.parametrize(("req", "fix"), [
    (request(("user", "hi"), model="gpt-4o"), "GET /v1/models"),
    (request(("user", "hi"), ("assistant", "hello")), "end `messages` with"),
    (request(("user", "   ")), "end `messages` with"),
])
def test_a_request_that_cannot_be_asked_is_a_400_naming_the_fix(store, req, fix):
    with pytest.raises(ApiError) as refused:
        TutorServing(FakeChat(), Conversations(store)).prepare(req, 1)
    assert refused.value.status == 400 and fix in refused.value.message


def test_a_busy_model_is_a_429_with_retry_after(store):
    chat = FakeChat()
    chat.llm.turned_away = LLMBusy("the tutor is busy", position=3, estimate_s=7.2)
    with pytest.raises(ApiError) as refused:
        TutorServing(chat, Conversations(store)).prepare(request(("user", "What is attention?")), 1)
    assert refused.value.status == 429 and refused.value.headers == {"retry-after": "8"}
    assert chat.calls == []


def test_a_named_conversation_is_the_learners_own_and_its_stored_turns_are_the_history(store):
    ann, ben = (store.add_user(n, "pw-123456-correct").id for n in ("ann", "ben"))
    serving = TutorServing(FakeChat(), Conversations(store))
    mine = serving.prepare(request(("user", "What is attention?"), conversation="notes"), ann)
    assert mine.history is None and mine.conversation_id in {c.id for c in store.list_conversations(ann)}
    theirs = serving.prepare(request(("user", "What is attention?"), conversation=mine.conversation_id), ben)
    assert theirs.conversation_id != mine.conversation_id
    assert theirs.conversation_id in {c.id for c in store.list_conversations(ben)}


def test_an_unnamed_chat_keeps_one_conversation_per_learner_found_by_its_first_message(store):
    ann, ben = (store.add_user(n, "pw-123456-correct").id for n in ("ann", "ben"))
    serving = TutorServing(FakeChat(), Conversations(store))
    first = serving.prepare(request(("user", "What is attention?")), ann)
    later = serving.prepare(request(("user", "What is attention?"), ("assistant", "A weighting."),
                                    ("user", "And transformers?")), ann)
    theirs = serving.prepare(request(("user", "What is attention?")), ben)
    assert first.conversation_id == later.conversation_id != theirs.conversation_id
    assert [c.title for c in store.list_conversations(ann)] == ["What is attention?"]
    assert [c.id for c in store.list_conversations(ben)] == [theirs.conversation_id]


def test_an_unnamed_chats_history_is_its_own_messages_not_what_is_stored(store):
    # Two chats that open alike share a conversation; the second must not see the first's turns.
    ann = store.add_user("ann", "pw-123456-correct").id
    p = TutorServing(FakeChat(), Conversations(store)).prepare(request(("user", "What is attention?")), ann)
    assert p.history == [] and p.conversation_id is not None


def test_an_unnamed_chat_opening_with_text_the_store_refuses_is_still_saved(store):
    ann = store.add_user("ann", "pw-123456-correct").id
    serving = TutorServing(FakeChat(), Conversations(store))
    p = serving.prepare(request(("user", "attention\x00 \ud800"), ("assistant", "A weighting."), ("user", "And?")), ann)
    assert store.get_conversation(ann, p.conversation_id).title == "attention ?"


def test_the_answer_ends_with_numbered_source_links():
    text = sources_markdown(Answer(answer="x", citations=CITES))
    assert "[1] LLM Road Map › Transformers" in text
    assert "[2] [Attention](https://example.org/attn)" in text
    assert sources_markdown(Answer(answer="x")) == ""


# -- the router -------------------------------------------------------------------------------------------
@pytest.fixture
def api(store) -> tuple[TestClient, FakeChat, str]:
    chat, app = FakeChat(), FastAPI()
    app.include_router(build_router(TutorServing(chat, Conversations(store)), KeyAuth(store, local=True)))
    key = store.create_api_key(store.add_user("ann", "pw-123456-correct").id)
    return TestClient(app), chat, key


def test_the_stream_is_sse_chunks_then_done_with_citations_on_the_last_chunk(api):
    client, _, key = api
    body = {"model": "tutorbot", "messages": [{"role": "user", "content": "What is attention?"}], "stream": True}
    r = client.post("/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"})
    events = [e.removeprefix("data: ") for e in r.text.split("\n\n") if e]
    assert r.headers["content-type"].startswith("text/event-stream") and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text.startswith("Learn attention first [1]. Then read the paper [2].") and "[2] [Attention](" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and len(chunks[-1]["citations"]) == 2
    assert all("citations" not in c for c in chunks[:-1])
    assert all("question_cut_from" not in c for c in chunks)  # said only when the question was cut


def test_an_overlong_question_is_answered_and_the_response_says_it_was_cut(api):
    client, chat, key = api
    question = "What is attention? " + "x" * 5000
    for stream in (False, True):
        body = {"model": "tutorbot", "messages": [{"role": "user", "content": question}], "stream": stream}
        r = client.post("/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"})
        last = json.loads(r.text.split("\n\n")[-3].removeprefix("data: ")) if stream else r.json()
        assert r.status_code == 200 and last["question_cut_from"] == len(question) > MAX_QUESTION_CHARS
    assert [c["question"] for c in chat.calls] == [question, question]  # the service cuts, and reports the cut


def test_a_malformed_body_or_a_keyless_remote_request_gets_openai_style_errors(api):
    client, chat, key = api
    bad = client.post("/v1/chat/completions", content=b"{not json", headers={"authorization": f"Bearer {key}"})
    assert bad.status_code == 400 and set(bad.json()["error"]) >= {"message", "type", "code"}
    keyless = client.post("/v1/chat/completions", json={"model": "tutorbot", "messages": []})  # host "testclient"
    assert keyless.status_code == 401 and keyless.json()["error"]["code"] == "missing_api_key"
    assert chat.calls == []


def test_a_busy_tutor_answers_429_with_a_retry_after_header(api):
    client, chat, key = api
    chat.llm.turned_away = LLMBusy("the tutor is busy", estimate_s=2)
    r = client.post("/v1/chat/completions", headers={"authorization": f"Bearer {key}"},
                    json={"model": "tutorbot", "messages": [{"role": "user", "content": "What is attention?"}]})
    assert r.status_code == 429 and r.headers["retry-after"] == "2" and r.json()["error"]["code"] == "tutor_busy"


def test_a_failure_after_the_stream_started_ends_it_with_an_error_event_and_done(api):
    from tutorbot.llm.errors import LLMUnavailable

    client, chat, key = api

    def failing(question: str, **kw: Any) -> Iterator[ChatEvent]:
        yield ChatEvent("delta", "Learn attention first [1]. ")
        raise LLMUnavailable("LLM server at x is not reachable: start it with `tutorbot serve-llm`")
    chat.ask_stream = failing
    body = {"model": "tutorbot", "messages": [{"role": "user", "content": "What is attention?"}], "stream": True}
    r = client.post("/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"})
    events = [e.removeprefix("data: ") for e in r.text.split("\n\n") if e]
    assert events[-1] == "[DONE]" and "tutorbot serve-llm" in json.loads(events[-2])["error"]["message"]


def test_a_conversation_named_twice_is_the_same_conversation(store):
    ann = store.add_user("ann", "pw-123456-correct").id
    serving = TutorServing(FakeChat(), Conversations(store))
    first = serving.prepare(request(("user", "What is attention?"), conversation="notes"), ann).conversation_id
    again = serving.prepare(request(("user", "And transformers?"), conversation="notes"), ann).conversation_id
    assert first == again and [c.title for c in store.list_conversations(ann)] == ["notes"]


def test_a_refused_key_is_logged_with_the_address_never_the_key(api, caplog):
    client, _, _ = api
    with caplog.at_level("WARNING", logger="tutorbot.api.router"):
        r = client.get("/v1/models", headers={"authorization": "Bearer tb-guessed-key-123"})
    assert r.status_code == 401
    assert "invalid_api_key" in caplog.text and "testclient" in caplog.text and "tb-guessed" not in caplog.text


def test_a_conversation_name_the_store_refuses_is_a_400_not_a_server_error(api):
    client, chat, key = api
    body = {"model": "tutorbot", "messages": [{"role": "user", "content": "What is attention?"}],
            "conversation": "notes\x00"}
    r = client.post("/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_value" and chat.calls == []
