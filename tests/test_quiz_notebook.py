"""The wrong-answer notebook over the real corpus: missed questions once each with their explaining passage
and pattern, marked fixed after a right answer, asked again as a quiz that grades like any other, and a
ten-minute session from due cards and the notebook."""

from __future__ import annotations

from datetime import timedelta

import pytest
from test_quiz_rules import build_corpus
from test_quiz_service import Clock, answer_for, make_service

from tutorbot.quiz.rules import RuleBank


@pytest.fixture(scope="module")
def corpus():
    catalog, cur, chunks = build_corpus()
    return catalog, cur, chunks, RuleBank(catalog, cur, chunks)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def svc(corpus, tmp_path, clock):
    return make_service(corpus, f"sqlite:///{tmp_path / 'l.db'}", clock)


def answered(svc, user, right: list[bool], topic="attention_transformer"):
    quiz = svc.make_quiz(user, topic, n=len(right), types="mcq,tf", seed=3)
    for q, ok in zip(quiz.questions, right, strict=True):
        svc.submit(user, quiz.id, q.id, answer_for(q, right=ok))
    return quiz


def test_only_missed_questions_enter_the_notebook_with_their_passage_answer_and_pattern(svc):
    user = svc.store.get_or_create_local_user().id
    quiz = answered(svc, user, [False, True, False])
    entries = svc.notebook.entries(user)
    assert [e.question_id for e in entries] == [quiz.questions[2].id, quiz.questions[0].id]  # newest miss first
    for e, q in zip(entries, [quiz.questions[2], quiz.questions[0]], strict=True):
        assert (e.answer, e.explanation, e.source_link, e.misses, e.fixed) == (q.answer, q.explanation, q.source.link,
                                                                               1, False)
        assert e.pattern in ("careless", "missing_prereq", "confused_terms", "wrong_concept", "not_recalled")
        assert q.source.quote[:30] in e.explanation


def test_a_missed_question_asked_again_grades_and_a_right_answer_marks_it_fixed(svc):
    user = svc.store.get_or_create_local_user().id
    quiz = answered(svc, user, [False])
    missed = quiz.questions[0]
    again = svc.notebook.reask(user, missed.id)
    assert [q.id for q in again.questions] == [missed.id] and again.id != quiz.id
    assert svc.submit(user, again.id, missed.id, answer_for(missed)).correct
    [entry] = svc.notebook.entries(user)
    assert entry.fixed and entry.misses == 1


def test_missing_twice_counts_twice_and_a_question_never_missed_cannot_be_asked_from_the_notebook(svc):
    user = svc.store.get_or_create_local_user().id
    quiz = answered(svc, user, [False, True])
    again = svc.notebook.reask(user, quiz.questions[0].id)
    svc.submit(user, again.id, quiz.questions[0].id, answer_for(quiz.questions[0], right=False))
    assert svc.notebook.entries(user)[0].misses == 2
    with pytest.raises(KeyError, match="not in this learner's notebook"):
        svc.notebook.reask(user, quiz.questions[1].id)


def test_a_ten_minute_session_takes_due_cards_first_then_unfixed_notebook_entries(svc, clock):
    user = svc.store.get_or_create_local_user().id
    assert svc.notebook.session(user).questions == []
    quiz = answered(svc, user, [False, True, False, True])
    missed = [quiz.questions[2].id, quiz.questions[0].id]
    assert [q.id for q in svc.notebook.session(user).questions] == missed  # no card is due yet
    assert [q.id for q in svc.notebook.session(user, n=1).questions] == missed[:1]
    clock.now += timedelta(days=30)  # every card is due: each question once, due cards first
    session = svc.notebook.session(user)
    assert sorted(q.id for q in session.questions) == sorted(q.id for q in quiz.questions)
    assert svc.store.get_quiz(user, session.id) is not None  # archived: its answers grade


def test_a_session_asks_the_weak_prerequisites_questions_first(svc, monkeypatch):
    user = svc.store.get_or_create_local_user().id
    prereq = answered(svc, user, [False], topic="attention_transformer")
    newer = answered(svc, user, [False, False], topic="pretrained_models")
    monkeypatch.setattr(svc.notebook, "_first", lambda uid: {})
    assert svc.notebook.session(user).questions[-1].id == prereq.questions[0].id  # the oldest miss comes last
    monkeypatch.setattr(svc.notebook, "_first", lambda uid: {"attention_transformer": ["pretrained_models"]})
    ids = [q.id for q in svc.notebook.session(user).questions]
    assert ids[0] == prereq.questions[0].id and set(ids[1:]) == {q.id for q in newer.questions}
