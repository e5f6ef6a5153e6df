"""Repeated error patterns: each wrong answer is logged with its pattern, a pattern made twice becomes a
review reason on its topic (EN/ZH), and the unmastered prerequisites it blames are named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from test_quiz_rules import build_corpus
from test_quiz_service import Clock, answer_for, make_service

from tutorbot.learner.patterns import patterns, reason, weak_prereqs
from tutorbot.quiz.rules import RuleBank

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def attempt(topic: str, kind: str | None, minutes: int = 0, **extra: str) -> SimpleNamespace:
    mistake = None if kind is None else {"kind": kind, **extra}
    return SimpleNamespace(topic=topic, correct=kind is None, mistake=mistake,
                           created_at=T0 + timedelta(minutes=minutes))


def test_a_mistake_counts_as_a_pattern_from_its_second_time_and_right_answers_never_do():
    log = [attempt("ddpm", "confused_terms", 1, other="flow_matching"), attempt("ddpm", None, 2),
           attempt("ddpm", "confused_terms", 3, other="flow_matching"), attempt("ddpm", "careless", 4)]
    [p] = patterns(log)
    assert (p.topic, p.kind, p.other, p.count, p.last) == ("ddpm", "confused_terms", "flow_matching", 2,
                                                          T0 + timedelta(minutes=3))


def test_the_same_kind_with_another_confused_topic_is_another_pattern_and_old_attempts_without_one_are_skipped():
    log = [attempt("ddpm", "wrong_concept", other="vae"), attempt("ddpm", "wrong_concept", other="gan"),
           SimpleNamespace(topic="ddpm", correct=False, mistake=None, created_at=T0)]
    assert patterns(log) == [] and len(patterns(log, at_least=1)) == 2


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "You confused Diffusion with Flow twice."), ("zh", "你把Diffusion和Flow混淆了两次。")])
def test_a_reason_names_both_topics_and_how_often(lang, expected):
    [p] = patterns([attempt("ddpm", "confused_terms", i, other="flow_matching") for i in range(2)])
    names = {"ddpm": "Diffusion", "flow_matching": "Flow"}
    assert reason(p, names.__getitem__, lang) == expected


def test_only_unmastered_prerequisites_are_weak():
    log = [attempt("rlhf", "missing_prereq", i, prereq=pr) for pr in ("finetuning_sft", "dl_basics") for i in (0, 1)]
    assert weak_prereqs(patterns(log), mastered={"dl_basics"}) == {"finetuning_sft": ["rlhf"]}


@pytest.fixture(scope="module")
def corpus():
    catalog, cur, chunks = build_corpus()
    return catalog, cur, chunks, RuleBank(catalog, cur, chunks)


def test_three_missed_questions_leaning_on_a_prerequisite_show_the_pattern_its_reason_and_the_prerequisite(
        corpus, tmp_path):
    svc = make_service(corpus, f"sqlite:///{tmp_path / 'l.db'}", Clock())
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "pretrained_models", n=6, types="mcq,tf,blank", seed=1)
    for q in quiz.questions:
        svc.submit(user, quiz.id, q.id, answer_for(q, right=False))
    logged = svc.store.attempts(user)
    assert all(a.mistake and a.mistake["topic"] == "pretrained_models" for a in logged)
    blamed = [a for a in logged if a.mistake["prereq"] == "attention_transformer"]
    assert len(blamed) >= 2
    view = svc.progress.view(user, "en")
    row = next(r for r in view.patterns if r.prereq == "attention_transformer")
    assert row.count == len(blamed) and "Attention & the Transformer" in row.reason and "review it first" in row.reason
    assert svc.progress.weak_prereqs(user) == {"attention_transformer": ["pretrained_models"]}


def test_a_right_answer_is_logged_without_a_pattern(corpus, tmp_path):
    svc = make_service(corpus, f"sqlite:///{tmp_path / 'l.db'}", Clock())
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "ddpm", n=2, types="mcq", seed=1)
    svc.submit(user, quiz.id, quiz.questions[0].id, answer_for(quiz.questions[0]))
    assert svc.store.attempts(user)[0].mistake is None
