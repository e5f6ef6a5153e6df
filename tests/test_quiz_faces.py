"""The same quiz results give the same plan whether the learner answered in the terminal or the browser."""

from types import SimpleNamespace
from unittest.mock import patch

import pytest
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.cli import quiz as cli_quiz
from tutorbot.container import Container
from tutorbot.llm.client import LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.plans.models import LearnerProfile
from tutorbot.ui.quiz_logic import QuizOps

WRONG = "I have no idea at all"
TOPIC, N = "attention_transformer", 3


@pytest.fixture
def c(indexed):
    """The real index, a model that is down (rule questions, lexical grading, template plans)."""
    return Container(indexed.settings, llm=FakeLLM(LLMUnavailable("down")), embedder=indexed.embedder)


def with_plan(c: Container, uid: int) -> None:
    c.plans.create(uid, LearnerProfile(hours_per_week=6, weeks=12), guidance=False)


def answer_in_the_terminal(c: Container) -> int:
    uid = c.store.get_or_create_local_user().id
    with_plan(c, uid)
    with patch.object(cli_quiz, "container", lambda **kw: c):
        result = CliRunner().invoke(app, ["quiz", "--topic", TOPIC, "--n", str(N), "--types", "short"],
                                    input=f"{WRONG}\n" * N)
    assert result.exit_code == 0, result.output
    return uid


def answer_in_the_browser(c: Container) -> int:
    uid = c.store.add_user("browser-learner", "pw-123456").id
    with_plan(c, uid)
    ops = QuizOps(SimpleNamespace(quizzes=c.quizzes))
    session = ops.start(uid, TOPIC, N, ["short"], "en")
    for i in range(N):
        session = ops.answer(uid, session.model_copy(update={"index": i}), WRONG)
    return uid


def test_the_cli_and_the_ui_give_the_same_plan_after_the_same_quiz(c):
    terminal, browser = answer_in_the_terminal(c), answer_in_the_browser(c)
    assert c.progress.weak_topics(terminal) == c.progress.weak_topics(browser) == [TOPIC]
    for uid in (terminal, browser):
        assert len(c.store.plan_history(uid)) == 2  # the finished quiz re-planned, from either face
    assert c.plans.current(terminal).weeks == c.plans.current(browser).weeks


def test_a_plan_weeks_checkpoint_quiz_from_the_terminal(c):
    import json

    uid = c.store.get_or_create_local_user().id
    with_plan(c, uid)
    week = c.plans.current(uid).weeks[0]
    with patch.object(cli_quiz, "container", lambda **kw: c):
        made = CliRunner().invoke(app, ["quiz", "--week", str(week.week), "--n", "2", "--json"])
        missing = CliRunner().invoke(app, ["quiz", "--week", "99", "--json"])
        neither = CliRunner().invoke(app, ["quiz", "--json"])
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["topic"] == (week.checkpoint or week.topics[0].id)
    assert missing.exit_code == 2 and "no week 99" in missing.output and "tutorbot plan" in missing.output
    assert neither.exit_code == 2 and "--topic TOPIC or --week N" in neither.output
