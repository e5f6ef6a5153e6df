"""Error patterns of wrong answers, on real questions the rule generator makes from the real corpus:
each kind comes from the question, the answer, the explaining passage and the curriculum graph alone."""

from __future__ import annotations

import pytest
from test_quiz_rules import build_corpus

from tutorbot.quiz.mistakes import classify
from tutorbot.quiz.models import Question
from tutorbot.quiz.rules import RuleBank


@pytest.fixture(scope="module")
def world():
    catalog, cur, chunks = build_corpus()
    return cur, [c.question for c in RuleBank(catalog, cur, chunks).candidates("en")]


def first(questions: list[Question], rule: str, where=lambda q: True) -> Question:
    return next(q for q in questions if q.rule == rule and where(q))


def names(cur, q: Question, option: str) -> str:
    return next((tid for tid, _, _ in cur.mentions(option) if tid != q.topic), "")


def test_a_blank_holding_the_term_in_more_words_or_with_a_typo_is_careless(world):
    cur, questions = world
    q = first(questions, "cloze", lambda q: q.answer.isascii() and len(q.answer) >= 8)
    assert classify(q, f"the {q.answer} idea", cur).kind == "careless"
    assert classify(q, q.answer[:-1], cur).kind == "careless"
    assert classify(q, "I have no idea", cur).kind != "careless"


def test_a_sibling_concept_picked_for_a_term_is_a_wrong_concept_naming_that_topic(world):
    cur, questions = world
    q = first(questions, "which_term", lambda q: q.topic == "attention_transformer" and "Sparse Attention" in q.options)
    m = classify(q, "Sparse Attention", cur, mastered=set(cur.ids))
    assert (m.kind, m.other, m.right, m.chosen) == ("wrong_concept", "efficient_architectures", q.answer,
                                                    "Sparse Attention")


def test_a_picked_option_tied_to_the_topic_in_the_graph_is_two_confused_terms(world):
    cur, questions = world
    q = first(questions, "which_term", lambda q: q.topic == "attention_transformer"
              and any(names(cur, q, o) == "pretrained_models" for o in q.options))
    option = next(o for o in q.options if names(cur, q, o) == "pretrained_models")
    m = classify(q, option, cur, mastered=set(cur.ids))
    assert (m.kind, m.other) == ("confused_terms", "pretrained_models")
    assert "attention_transformer" in cur.topic("pretrained_models").prereqs  # the tie: one comes before the other


def test_accepting_a_distorted_comparison_confuses_the_two_compared_terms(world):
    cur, questions = world
    q = first(questions, "distorted", lambda q: q.topic == "attention_transformer" and "GPT" in q.question)
    m = classify(q, "True", cur, mastered=set(cur.ids))
    assert (m.kind, m.other) == ("confused_terms", "pretrained_models")


def test_missing_a_prerequisite_question_names_that_prerequisite(world):
    cur, questions = world
    q = first(questions, "prereq", lambda q: q.answer == "Deep learning basics" and q.topic != "dl_basics")
    wrong = next(o for o in q.options if o != q.answer)
    assert classify(q, wrong, cur).model_dump(include={"kind", "prereq"}) == {"kind": "missing_prereq",
                                                                              "prereq": "dl_basics"}


def test_a_passage_leaning_on_an_unmastered_prerequisite_blames_it_until_it_is_mastered(world):
    cur, questions = world
    q = first(questions, "which_term", lambda q: q.topic == "ddpm" and "generative_overview" in
              {tid for tid, _, _ in cur.mentions(q.question)})
    wrong = next(o for o in q.options if o != q.answer)
    assert classify(q, wrong, cur, mastered=set()).prereq == "generative_overview"
    assert classify(q, wrong, cur, mastered={"generative_overview"}).kind in ("wrong_concept", "confused_terms")


def test_a_missed_fact_about_the_roadmaps_is_not_recalled_not_a_concept_error(world):
    cur, questions = world
    q = first(questions, "recommend")
    m = classify(q, next(o for o in q.options if o != q.answer), cur)
    assert (m.kind, m.other, m.prereq) == ("not_recalled", "", "")


def test_every_real_wrong_answer_gets_one_pattern_and_the_same_one_again(world):
    cur, questions = world
    for q in questions[:120]:
        wrong = next((o for o in q.options if o != q.answer), "no idea")
        first_time = classify(q, wrong, cur)
        assert classify(q, wrong, cur) == first_time and first_time.topic == q.topic


def test_a_letter_answer_is_classified_as_the_option_it_picks(world):
    cur, questions = world
    q = first(questions, "which_term", lambda q: q.topic == "attention_transformer" and "Sparse Attention" in q.options)
    letter = "ABCD"[q.options.index("Sparse Attention")]
    assert classify(q, letter, cur, set(cur.ids)) == classify(q, "Sparse Attention", cur, set(cur.ids))
