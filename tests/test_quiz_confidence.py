"""Confidence before grading through the quiz service on the real corpus: it is kept with the attempt and
moves the FSRS rating (confident and wrong: Again; unsure and right: Hard); a bad value stores nothing."""

from __future__ import annotations

import pytest
from fsrs import Rating
from test_quiz_rules import build_corpus
from test_quiz_service import Clock, answer_for, make_service

from tutorbot.quiz.rules import RuleBank
from tutorbot.quiz.service import QuizError


@pytest.fixture(scope="module")
def corpus():
    catalog, cur, chunks = build_corpus()
    return catalog, cur, chunks, RuleBank(catalog, cur, chunks)


@pytest.fixture
def svc(corpus, tmp_path):
    return make_service(corpus, f"sqlite:///{tmp_path / 'l.db'}", Clock())


def test_confident_and_wrong_is_again_unsure_and_right_is_hard_and_both_are_kept(svc):
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "ddpm", n=3, types="mcq,tf", seed=2)
    wrong, unsure, sure = quiz.questions
    assert svc.submit(user, quiz.id, wrong.id, answer_for(wrong, right=False), confidence=4).rating == Rating.Again
    assert svc.submit(user, quiz.id, unsure.id, answer_for(unsure), confidence=2).rating == Rating.Hard
    assert svc.submit(user, quiz.id, sure.id, answer_for(sure), confidence=4).rating == Rating.Good
    assert [a.confidence for a in svc.store.attempts(user)] == [4, 2, 4]
    assert [r.rating for r in svc.store.review_log(user)] == [Rating.Good, Rating.Hard, Rating.Again]


@pytest.mark.parametrize("bad", [0, 5, True])
def test_a_confidence_outside_1_to_4_is_refused_and_nothing_is_stored(svc, bad):
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "ddpm", n=1, types="mcq", seed=2)
    with pytest.raises(QuizError, match="confidence must be 1, 2, 3 or 4"):
        svc.submit(user, quiz.id, quiz.questions[0].id, "A", confidence=bad)
    assert svc.store.attempts(user) == [] and svc.store.cards(user) == []


def test_an_answer_without_a_confidence_is_rated_as_before(svc):
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "ddpm", n=1, types="mcq", seed=2)
    q = quiz.questions[0]
    assert svc.submit(user, quiz.id, q.id, answer_for(q)).rating == Rating.Good
    assert svc.store.attempts(user)[0].confidence is None
