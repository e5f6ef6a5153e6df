"""quiz.evaluate: the per-item report behind `tutorbot eval quizzes` (real roadmaps plus fixture pages, fakes)."""

from __future__ import annotations

import pytest
from test_quiz_mix import corpus, svc  # noqa: F401  (fixtures)

from tutorbot.quiz.evaluate import QuizEvalReport, duplicates, evaluate_quizzes, item_reports, source_kind
from tutorbot.quiz.models import Question, QuizSource


@pytest.fixture
def report(svc):  # noqa: F811
    return evaluate_quizzes(svc.draft, svc.retriever.by_id.get, ["flow_matching", "kv_cache", "rlhf"], 5)


def test_every_item_is_reported_with_its_checks(report):
    assert len(report.items) == 30 and not report.errors
    assert all(r.key_supported and not r.duplicate and r.language_ok and not r.names_ids for r in report.items)
    assert {r.source_kind for r in report.items} >= {"linked page", "resource list"}


def test_the_summary_gives_the_targets_per_language(report):
    en, zh = report.summary("en"), report.summary("zh")
    assert en["items"] == zh["items"] == 15 and report.summary()["items"] == 30
    assert en["names_ids"] == en["duplicates"] == 0 and en["key_supported"] == en["language_ok"] == 1
    assert en["about_subject"] >= 0.6  # rlhf has no explanation in these fixtures: its roadmap facts fill up to half


def test_source_kinds():
    src = QuizSource(chunk_id="c", source="s")
    q = Question(id="q", type="tf", topic="t", question="Q?", options=["True", "False"], answer="True", key="k",
                 source=src)
    page = type("C", (), {"kind": "linked"})()
    assert source_kind(q, page) == "linked page" and source_kind(q, None) == "explanatory"
    assert source_kind(q.model_copy(update={"about": "roadmap"}), None) == "resource list"


def test_two_items_on_one_sentence_are_duplicates(svc):  # noqa: F811
    quiz = svc.draft("flow_matching", 2, seed=3)
    twice = quiz.model_copy(update={"questions": [quiz.questions[0], quiz.questions[0].model_copy(
        update={"id": "other"})]})
    assert duplicates(twice) == [False, True]
    assert [r.duplicate for r in item_reports(twice, svc.retriever.by_id.get)] == [False, True]


def test_a_topic_without_enough_questions_is_an_error_not_a_crash(svc):  # noqa: F811
    out = evaluate_quizzes(lambda *a, **k: (_ for _ in ()).throw(ValueError("only 2 valid")), lambda _: None,
                           ["x"], 5, ["en"])
    assert out == QuizEvalReport(items=[], errors=["x (en): only 2 valid"])
