"""The mix of a quiz: levels from mastery, types per level, at most one roadmap question in five, one question
per sentence, a plan week's resources first (real roadmaps plus fixture pages; fakes for the rest)."""

from __future__ import annotations

import pytest
from test_quiz_concepts import ABSTRACT, BLOG, SURVEY
from test_quiz_rules import build_corpus
from test_quiz_service import Clock, make_service

from tutorbot.quiz.mix import levels_for, roadmap_cap, slots
from tutorbot.quiz.rules import RuleBank

PAGES = [ABSTRACT, BLOG, SURVEY]


@pytest.mark.parametrize("mastery,most", [(None, "recall"), (0.2, "recall"), (0.6, "understanding"),
                                          (0.9, "application")])
def test_levels_follow_the_learners_mastery(mastery, most):
    levels = levels_for(mastery, 5)
    assert max(set(levels), key=levels.count) == most and len(set(levels)) >= 2


def test_slots_use_a_type_that_can_ask_each_level_and_vary_it():
    plan = slots(["recall", "recall", "application", "understanding"], ["mcq", "tf", "short", "blank"])
    assert plan == [("blank", "recall"), ("tf", "recall"), ("short", "application"), ("mcq", "understanding")]
    assert {t for t, _ in slots(["application"] * 3, ["tf"])} == {"tf"}  # only what the learner asked for


@pytest.mark.parametrize("n,cap", [(1, 0), (4, 0), (5, 1), (9, 1), (10, 2), (20, 4)])
def test_at_most_one_question_in_five_is_about_the_roadmaps(n, cap):
    assert roadmap_cap(n, 0.2) == cap


@pytest.fixture(scope="module")
def corpus():
    catalog, cur, chunks = build_corpus()
    chunks = [*chunks, *PAGES]
    return catalog, cur, chunks, RuleBank(catalog, cur, chunks)


@pytest.fixture
def svc(corpus, tmp_path):
    return make_service(corpus, f"sqlite:///{tmp_path / 'mix.db'}", Clock())


@pytest.mark.parametrize("topic", ["flow_matching", "kv_cache"])
def test_a_topic_with_explanations_gets_subject_questions_and_one_roadmap_fact_at_most(svc, topic):
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, topic, 5)
    assert sum(q.about == "roadmap" for q in quiz.questions) <= 1
    assert len({q.fact for q in quiz.questions}) == 5  # never two questions on one sentence
    assert sum(q.topic == topic for q in quiz.questions) >= 2


def test_a_plan_weeks_resources_come_first(svc):
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "ddpm", 2, types="tf,mcq,blank", sources=[ABSTRACT.doc_id])
    assert [q.source.chunk_id for q in quiz.questions] == ["abs"] * 2  # its two explanatory sentences


def test_a_learner_who_knows_the_topic_gets_harder_questions(svc):
    new = svc.draft("flow_matching", 5, seed=1)
    expert = svc.draft("flow_matching", 5, seed=1, mastery=0.9)
    rank = {"recall": 0, "understanding": 1, "application": 2}
    assert sum(rank[q.level] for q in expert.questions) > sum(rank[q.level] for q in new.questions)
    assert expert.mix.levels.get("application", 0) >= 2
