"""`tutorbot mistakes` and `tutorbot notebook` over a real quiz service on the real corpus: the same patterns,
reasons and missed questions the Progress and Quiz tabs show, and a missed question asked again."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from test_quiz_rules import build_corpus
from test_quiz_service import Clock, answer_for, make_service
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.cli import notebook as cli_notebook
from tutorbot.cli import quiz as cli_quiz
from tutorbot.quiz.rules import RuleBank


@pytest.fixture(scope="module")
def corpus():
    catalog, cur, chunks = build_corpus()
    return catalog, cur, chunks, RuleBank(catalog, cur, chunks)


@pytest.fixture
def missed(corpus, tmp_path, monkeypatch):
    """A learner who answered a six-question quiz on pretrained models all wrong."""
    svc = make_service(corpus, f"sqlite:///{tmp_path / 'l.db'}", Clock())
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "pretrained_models", n=6, types="mcq,tf,blank", seed=1)
    for q in quiz.questions:
        svc.submit(user, quiz.id, q.id, answer_for(q, right=False))
    monkeypatch.setattr(cli_notebook, "_service", lambda: (svc, user))
    return svc, user, quiz


def invoke(*args: str, given: str = ""):
    result = CliRunner().invoke(app, list(args), input=given)
    assert "Traceback" not in result.output
    return result


def test_mistakes_prints_the_patterns_reasons_and_prerequisite_the_progress_view_has(missed):
    svc, user, _ = missed
    out = invoke("mistakes")
    assert out.exit_code == 0
    for row in svc.progress.view(user, "en").patterns:
        assert row.reason in out.stdout
    assert "Review first (prerequisites your mistakes point to): Attention & the Transformer" in out.stdout
    data = json.loads(invoke("mistakes", "--json", "--lang", "zh").stdout)
    assert data["review_first"] == ["注意力机制与 Transformer"] and data["patterns"][0]["reason"].endswith("。")
    assert invoke("mistakes", "--lang", "fr").exit_code == 2


def test_notebook_lists_each_missed_question_with_its_passage_and_asks_one_again(missed):
    svc, user, quiz = missed
    listed = invoke("notebook")
    assert listed.exit_code == 0
    for q in quiz.questions:
        assert f"[{q.id}]" in listed.stdout and q.source.link in listed.stdout
    q = quiz.questions[0]
    again = invoke("notebook", "--ask", q.id, given=answer_for(q) + "\n")
    assert again.exit_code == 0 and "correct" in again.stdout
    assert next(e for e in svc.notebook.entries(user) if e.question_id == q.id).fixed
    unknown = invoke("notebook", "--ask", "q-nope")
    assert unknown.exit_code == 2 and "not in this learner's notebook" in unknown.output


def test_quiz_sure_asks_how_sure_before_grading_and_a_certain_wrong_answer_is_rated_again(missed, monkeypatch):
    svc, user, _ = missed
    monkeypatch.setattr(cli_quiz, "container", lambda: SimpleNamespace(quizzes=svc, store=svc.store))
    made = svc.make_quiz(user, "ddpm", n=1, types="tf", seed=9)
    monkeypatch.setattr(svc, "make_quiz", lambda *a, **kw: made)
    q = made.questions[0]
    out = invoke("quiz", "--topic", "ddpm", "--sure", given=f"{answer_for(q, right=False)}\n7\n4\n")
    assert out.exit_code == 0 and "How sure are you?" in out.stdout and "type 1, 2, 3 or 4" in out.stdout
    assert svc.store.attempts(user)[0].confidence == 4 and svc.store.review_log(user)[0].rating == 1


def test_a_ten_minute_session_opens_with_why_its_questions_come_back(missed):
    svc, user, _ = missed
    out = invoke("notebook", "--session", given="\n" * 12)  # every question skipped
    assert out.exit_code == 0 and "Why this review:" in out.stdout
    assert "  - Review first: Attention & the Transformer" in out.stdout
    for row in svc.progress.patterns(user, "en"):
        assert f"  - {row.reason}" in out.stdout
