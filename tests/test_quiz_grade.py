"""quiz_grade: exact grading, input checks, and short answers where the rubric bounds the model's grade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutorbot.llm.client import LLMOutputError, LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.quiz.grade import AnswerError, Grader, check_answer, grade_exact
from tutorbot.quiz.models import Question, QuizSource
from tutorbot.quiz.vocabulary import TermGroups
from tutorbot.retrieval.embed import HashEmbedder

PROMPTS = PromptLibrary(Path(__file__).resolve().parents[1] / "prompts")
SRC = QuizSource(chunk_id="c", source="roadmaps/plan.txt")
MCQ = Question(id="m", type="mcq", topic="t", question="Who teaches CS224N?", key="Chris Manning", source=SRC,
               options=["Dan Klein", "Chris Manning", "Percy Liang", "Noah Smith"], answer="Chris Manning")
TF = Question(id="t", type="tf", topic="t", question="Dan Klein teaches CS182.", key="Dan Klein", source=SRC,
              options=["True", "False"], answer="True")
TF_ZH = TF.model_copy(update={"options": ["对", "错"], "answer": "错"})
BLANK = Question(id="b", type="blank", topic="t", question="用 PEFT 库实现 ____ 微调", answer="Self-Attention",
                 accepted=["self attentions"], key="x", source=SRC)
SHORT = Question(id="s", type="short", topic="rlhf", question="What does CMU 11-667 focus on?", key="RLHF",
                 answer="RLHF, alignment and instruction following", source=SRC,
                 rubric=["RLHF", "alignment", "instruction following"])


def scores(*values: int, feedback: str = "ok") -> str:
    return json.dumps({"scores": list(values), "feedback": feedback})


@pytest.mark.parametrize("answer,right", [("B", True), ("b", True), ("(B)", True), ("2", True),
                                          ("chris manning", True), ("A", False), ("Dan Klein", False)])
def test_multiple_choice(answer, right):
    g = grade_exact(MCQ, answer)
    assert g.correct is right and g.score == (1.0 if right else 0.0) and g.method == "exact"


@pytest.mark.parametrize("answer", ["E", "5", "somebody else"])
def test_multiple_choice_rejects_what_is_not_a_choice(answer):
    with pytest.raises(AnswerError, match="A, B, C or D"):
        grade_exact(MCQ, answer)


@pytest.mark.parametrize("q,answer,right", [(TF, "true", True), (TF, "T", True), (TF, "yes", True),
                                            (TF, "False", False), (TF, "对", True), (TF_ZH, "错", True),
                                            (TF_ZH, "正确", False), (TF_ZH, "false", True)])
def test_true_false_in_both_languages(q, answer, right):
    assert grade_exact(q, answer).correct is right


def test_true_false_rejects_other_words():
    with pytest.raises(AnswerError, match="true/false"):
        grade_exact(TF, "maybe")


@pytest.mark.parametrize("answer,right", [("Self-Attention", True), ("self attention", True), ("SELFATTENTION", True),
                                          ("self-attentions", True), ("attention", False), ("LoRA", False)])
def test_blanks_are_normalised_and_accept_variants(answer, right):
    assert grade_exact(BLANK, answer).correct is right


@pytest.mark.parametrize("answer,message", [("", "empty"), ("   \n", "empty"), ("x" * 100_000, "limit is 2000"),
                                            ("ab\x07c", "control characters"), ("a\x00", "control characters")])
def test_bad_answers_are_refused(answer, message):
    with pytest.raises(AnswerError, match=message):
        check_answer(answer, 2000)


def test_answers_keep_newlines_and_tabs():
    assert check_answer("  line one\n\tline two ", 2000) == "line one\n\tline two"


# -- short answers --------------------------------------------------------------------------

def grader(*replies) -> tuple[Grader, FakeLLM]:
    llm = FakeLLM(*replies)
    return Grader(HashEmbedder(), llm, PROMPTS), llm


def test_verbatim_answer_is_correct_even_when_the_model_says_zero():
    g, llm = grader(scores(0, 0, 0))
    out = g.grade(SHORT, "RLHF, alignment and instruction following")
    assert out.correct and out.score >= 0.8 and out.method == "rubric+model"
    assert all(kp.covered for kp in out.key_points)
    assert out.comment == ""  # the clamped model disagreed with the rubric: its words are dropped
    assert "1. RLHF" in llm.calls[0].prompt and "instruction following" in llm.calls[0].prompt


def test_nonsense_gets_little_even_when_the_model_says_full_marks():
    g, _ = grader(scores(2, 2, 2, feedback="Perfect!"))
    out = g.grade(SHORT, "bananas are yellow and grow on trees")
    assert not out.correct and out.score < 0.5  # below srs.WRONG: rescheduled as "Again"
    assert not any(kp.covered for kp in out.key_points)


def test_partial_answer_gets_partial_credit():
    g, _ = grader(scores(2, 1, 0, feedback="RLHF right; alignment vague; instructions missing."))
    out = g.grade(SHORT, "It is mostly about RLHF and some alignment.")
    assert 0.3 <= out.score < 0.8 and not out.correct
    assert [kp.covered for kp in out.key_points] == [True, True, False]
    assert out.comment.startswith("RLHF right")  # the model agreed with the rubric, so its feedback is shown


@pytest.mark.parametrize("reply", [LLMUnavailable("down"), LLMOutputError("truncated"), scores(2, 2),
                                   scores(3, 0, 0), "not json"])
def test_without_a_valid_model_grade_the_rubric_decides(reply):
    g, _ = grader(reply)
    right, wrong = g.grade(SHORT, "RLHF, alignment, instruction following"), g.grade(SHORT, "no idea")
    assert right.method == wrong.method == "rubric"
    assert right.correct and right.score >= 0.8 and wrong.score < 0.2


def test_restating_the_question_earns_nothing_from_similarity():
    g = Grader(HashEmbedder(), None, None)
    assert g.grade(SHORT, SHORT.question).score < 0.2


def test_grade_routes_by_type_and_checks_input():
    g, llm = grader(scores(2, 2, 2))
    assert g.grade(MCQ, " b ").correct and not llm.calls
    with pytest.raises(AnswerError):
        g.grade(SHORT, "")
    assert not llm.calls


# -- fair grading: the same term in any form, the concept rather than a copy of bullets ---------

EQUIVALENTS = TermGroups([["diffusion models", "扩散模型"], ["KV cache", "KV 缓存"]])
CLOZE = Question(id="c", type="blank", topic="generative_overview", question="Fill in the blank: “____ learn p(x)”",
                 answer="generative modeling", key="generative modeling", source=SRC)


@pytest.mark.parametrize("answer,right", [("Generative Models", True), ("generative model", True),
                                          ("Generative modelling", True), ("generative", False),
                                          ("discriminative models", False)])
def test_blanks_accept_inflections_plural_and_singular(answer, right):
    assert grade_exact(CLOZE, answer).correct is right


def test_blanks_accept_the_other_languages_term():
    q = CLOZE.model_copy(update={"answer": "diffusion models", "key": "diffusion models"})
    assert grade_exact(q, "扩散模型", EQUIVALENTS).correct
    assert not grade_exact(q, "扩散模型").correct  # only through the equivalent-terms hook
    assert Grader(None, None, None, equivalents=EQUIVALENTS).grade(q, "Diffusion Model").correct


KV = Question(id="kv", type="short", topic="kv_cache", language="en", key="x", source=SRC,
              question="What does “KV cache” achieve, and how? Answer in one or two sentences.",
              answer="KV cache reduces end-to-end latency by storing the keys and values of earlier tokens.",
              rubric=["end-to-end latency", "storing", "previously generated tokens"])


def test_a_correct_explanation_in_other_words_gets_credit_on_the_concept():
    g = Grader(HashEmbedder(), None, None, equivalents=EQUIVALENTS)
    out = g.grade(KV, "It stores the keys and values of tokens generated previously, so latency drops.")
    assert out.score >= 0.5 and [kp.covered for kp in out.key_points] == [False, True, True]


def test_short_answers_earn_partial_credit_per_key_term():
    g = Grader(HashEmbedder(), None, None)
    full = g.grade(KV, "KV cache cuts end-to-end latency by storing keys of previously generated tokens.")
    half = g.grade(KV, "It is about latency.")
    none = g.grade(KV, "bananas")
    assert full.correct and none.score < half.score < full.score and not half.correct
    assert half.key_points[0].score == 0.5  # "latency", one of the two words of the first key term


def test_the_key_terms_can_be_named_in_the_other_language():
    q = KV.model_copy(update={"rubric": ["KV cache", "latency"]})
    out = Grader(None, None, None, equivalents=EQUIVALENTS).grade(q, "KV 缓存 reduces latency")
    assert [kp.covered for kp in out.key_points] == [True, True]
