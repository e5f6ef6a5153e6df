"""Logging: the CLI sets it up once (TUTORBOT_LOG_*), each chat/plan/quiz request is one structured line
(retrieval ms, time to first shown text, tokens, the truth gate, outcome, error class), model-server
errors are logged, and what a learner typed stays out of the log unless the operator asks for it.

The chat and plan requests go through a real Container (hash embedder, the real corpus) whose model
client talks to a loopback OpenAI-compatible fake, so the container's own wiring is what is tested.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import make_settings
from fake_openai import FakeOpenAI, sse, status
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.container import Container
from tutorbot.logs import HANDLER, Lines, logged, setup_logging
from tutorbot.plans.models import LearnerProfile
from tutorbot.settings import LogSettings

QUESTION_MARK = "zebrafinch"  # a word of the learner's own, to look for in the log


def request_lines(caplog) -> list[dict]:
    return [r.fields for r in caplog.records if r.name == "tutorbot.requests"]


def everything_logged(caplog) -> str:
    formatter = Lines(as_json=False)
    return "\n".join(formatter.format(r) for r in caplog.records)


@pytest.fixture
def server() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(sse("Attention ", "weighs ", "values.")) as s:
        yield s


@pytest.fixture
def world(tmp_path, server) -> Container:
    c = Container(make_settings(tmp_path / "data", embedding={"backend": "hash"}, llm={"base_url": server.url},
                                retrieval={"min_score": -1, "min_lexical": 0}))  # every question in scope
    c.ingest()
    return c


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    setup_logging(LogSettings())  # back to the default learner-text rule
    root.setLevel(level)
    root.handlers[:] = handlers


def grounded_question(c: Container) -> str:
    """A chunk's own words, and one of the learner's."""
    chunk = next(ch for ch in c.index.all_chunks() if ch.lang == "en" and len(ch.text) > 200)
    return f"{chunk.text[:300]} {QUESTION_MARK}?"


def test_a_chat_answer_is_one_line_with_retrieval_time_first_text_tokens_and_the_gate(world, caplog):
    caplog.set_level(logging.INFO)
    world.chat.ask(grounded_question(world))
    (line,) = request_lines(caplog)
    assert line["kind"] == "chat" and line["outcome"] == "ok" and line["ms"] >= line["retrieval_ms"] >= 0
    assert line["tokens"] == 3 and line["first_text_s"] is not None and line["first_text_s"] >= 0
    assert {"gate_kept", "gate_dropped", "gate_looped", "gate_gave_up"} <= line.keys()
    assert line["question_chars"] > 300 and QUESTION_MARK not in everything_logged(caplog)


def test_the_operator_may_log_what_learners_type_for_debugging(world, caplog):
    setup_logging(LogSettings(learner_text=True))
    caplog.set_level(logging.INFO)
    world.chat.ask(grounded_question(world))
    (line,) = request_lines(caplog)
    assert QUESTION_MARK in line["question"] and QUESTION_MARK in everything_logged(caplog)


def test_a_model_server_error_is_logged_with_its_class_and_marks_the_request(world, server, caplog):
    server.replies = [status(500)]
    caplog.set_level(logging.INFO)
    answer = world.chat.ask(grounded_question(world))
    (line,) = request_lines(caplog)
    assert answer.error and line["outcome"] == "model_unavailable" and line["llm_error"] == "LLMUnavailable"
    errors = [r for r in caplog.records if r.name == "tutorbot.llm"]
    assert errors and errors[0].levelno == logging.WARNING and errors[0].fields["error"] == "LLMUnavailable"
    assert QUESTION_MARK not in everything_logged(caplog)


def test_a_stream_the_learner_stops_is_one_line_saying_so(world, caplog):
    caplog.set_level(logging.INFO)
    user = world.store.add_user("alice", "correct horse battery")
    conv = world.store.create_conversation(user.id, "t")
    stream = world.chat.ask_stream(grounded_question(world), user_id=user.id, conversation_id=conv.id)
    next(stream)
    stream.close()
    (line,) = request_lines(caplog)
    assert line["outcome"] == "stopped" and line["kind"] == "chat"
    assert [m.role for m in world.store.get_messages(user.id, conv.id)] == ["user", "assistant"]  # still saved


def test_a_plan_is_one_line(world, caplog):
    caplog.set_level(logging.INFO)
    user = world.store.add_user("alice", "correct horse battery")
    world.plans.create(user.id, LearnerProfile(goal="understand_llms"), guidance=False)
    (line,) = request_lines(caplog)
    assert line["kind"] == "plan" and line["outcome"] == "ok" and line["ms"] >= 0


def test_a_failed_request_is_a_warning_with_the_error_class(caplog):
    caplog.set_level(logging.INFO)

    def plan(user_id: int) -> None:
        raise KeyError(user_id)
    with pytest.raises(KeyError):
        logged("plan", plan)(7)
    (record,) = [r for r in caplog.records if r.name == "tutorbot.requests"]
    assert record.levelno == logging.WARNING and record.fields["outcome"] == "error"
    assert record.fields["error"] == "KeyError"


def test_a_request_made_inside_another_is_part_of_it(caplog):
    caplog.set_level(logging.INFO)
    inner = logged("plan", lambda: "replanned")
    logged("quiz_answer", lambda: inner())()
    assert [f["kind"] for f in request_lines(caplog)] == ["quiz_answer"]


def test_a_stream_stepped_on_other_threads_keeps_one_request(caplog):
    """A web server may run each step of a streamed answer on a different worker thread."""
    from tutorbot.logs import add

    def answer() -> Iterator[str]:
        for word in ("a", "b", "c"):
            add("tokens", 1)
            yield word
    stream = logged("chat", answer)()
    caplog.set_level(logging.INFO)
    with ThreadPoolExecutor(3) as pool:
        words = [pool.submit(next, stream).result() for _ in range(3)]
    assert words == ["a", "b", "c"] and list(stream) == []
    (line,) = request_lines(caplog)
    assert line["tokens"] == 3


def test_the_cli_sets_up_logging_once_from_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTORBOT_LOG_LEVEL", "warning")
    monkeypatch.setenv("TUTORBOT_LOG_FORMAT", "json")
    for _ in range(2):
        assert CliRunner().invoke(app, ["user", "list"]).exit_code == 0
    ours = [h for h in logging.getLogger().handlers if h.get_name() == HANDLER]
    assert len(ours) == 1 and logging.getLogger().level == logging.WARNING
    record = logging.LogRecord("tutorbot.requests", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"kind": "chat", "ms": 12}
    assert json.loads(ours[0].format(record)) | {"time": "t"} == {
        "time": "t", "level": "INFO", "logger": "tutorbot.requests", "message": "request", "kind": "chat", "ms": 12}


@pytest.mark.parametrize(("command", "level"), [("user", logging.ERROR), ("ui", logging.INFO)])
def test_one_shot_commands_print_results_not_request_lines_unless_a_level_is_set(monkeypatch, tmp_path,
                                                                                command, level):
    from tutorbot.cli.core import _logging

    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TUTORBOT_LOG_LEVEL", raising=False)
    _logging(command)
    assert logging.getLogger().level == level


def test_an_unknown_log_level_is_refused_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTORBOT_LOG_LEVEL", "chatty")
    out = CliRunner().invoke(app, ["user", "list"])
    assert out.exit_code == 2 and "TUTORBOT_LOG_LEVEL" in out.output


def test_text_lines_quote_values_with_spaces():
    record = logging.LogRecord("tutorbot.requests", logging.INFO, __file__, 1, "request", None, None)
    record.fields = {"kind": "chat", "first_text_s": 0.81234, "detail": "a b"}
    assert Lines(as_json=False).format(record).endswith('request kind=chat first_text_s=0.812 detail="a b"')
