"""quiz_validate: lexical support checks and every reason a question is refused before a learner sees it."""

from __future__ import annotations

import numpy as np
import pytest

from tutorbot.quiz.match import contains, coverage, fold, garbled, jaccard, supports
from tutorbot.quiz.models import Question, QuizConfig, QuizSource
from tutorbot.quiz.validate import PassageVectors, QuizValidator, Seen
from tutorbot.retrieval.embed import HashEmbedder
from tutorbot.schemas import Chunk

COURSE = Chunk(id="c1", doc_id="roadmaps/plan.txt", title="plan", section="课程 > 2. Stanford CS224N",
               text="- **主讲人**：Chris Manning\n- **特点**：从基础 NLP 到 transformer，再到 pretraining")
TABLE = Chunk(id="c2", doc_id="roadmaps/plan.txt", title="plan", section="学习计划概览",
              text="|时间|阶段|\n|第1~3周|基础夯实|NLP、Transformer|\n|第7~9周|LLM训练|RLHF、LoRA|")
CHUNKS = {c.id: c for c in (COURSE, TABLE)}


def mcq(options=("Chris Manning", "Dan Klein", "Percy Liang", "Noah Smith"), answer="Chris Manning",
        question="Who teaches Stanford CS224N?", **kw) -> Question:
    fields = dict(id="q1", type="mcq", topic="nlp_basics", question=question, options=list(options),
                  answer=answer, key=answer, source=QuizSource(chunk_id="c1", source="roadmaps/plan.txt"))
    return Question(**(fields | kw))


@pytest.fixture
def validator():
    return QuizValidator(CHUNKS.get, None)


# -- lexical helpers ------------------------------------------------------------------------

def test_fold_drops_case_markdown_and_punctuation():
    assert fold("**Chris  Manning**：") == "chris manning"
    assert fold("ＬｏＲＡ") == "lora"  # full-width forms fold too


@pytest.mark.parametrize("text,key,found", [
    ("LoRA / QLoRA 论文", "LoRA", True),
    ("QLoRA 论文", "LoRA", False),  # short latin keys need word edges
    ("HuggingFace Course：轻量但务实", "Hugging Face Course", True),  # spacing differences
    ("[\\[2006.11239\\] Denoising Diffusion](https://arxiv.org/abs/2006.11239)", "2006.11239", True),
    ("第10~13周", "第1~3周", False),
    ("", "x", False), ("text", "", False),
])
def test_contains(text, key, found):
    assert contains(text, key) is found


def test_supports_with_anchor_needs_key_and_anchor_on_one_line():
    assert supports(TABLE.text, "LLM训练", anchor="第7~9周")
    assert not supports(TABLE.text, "基础夯实", anchor="第7~9周")
    assert supports(TABLE.text, "基础夯实")  # without the anchor the whole passage counts


def test_coverage_and_jaccard():
    assert coverage("研究趋势", "讨论研究趋势和安全性") == 1.0
    assert coverage("system optimisation", "nothing relevant") == 0.0
    assert 0 < coverage("LoRA QLoRA adapters", "LoRA only") < 1
    assert jaccard("Who teaches CS224N?", "Who teaches CS224N?") == 1.0
    assert jaccard("abc", "xyz") == 0.0


def test_garbled_detects_mojibake_only():
    assert garbled("I. é¦–è¦ä»»åŠ¡")
    assert not garbled("I. 首要任务 — café")


# -- validator ------------------------------------------------------------------------------

def test_a_sound_question_passes(validator):
    assert validator.check(mcq(), Seen()) is None


@pytest.mark.parametrize("question,reason", [
    (mcq(source=QuizSource(chunk_id="nope", source="x")), "unknown_source"),
    (mcq(options=("Chris Manning", "chris  manning", "Percy Liang", "Noah Smith")), "options_repeat"),
    (mcq(options=("Chris Manning", "Dan Klein", "Percy Liang", "Noah Smith"), answer="Dan Klein"), "unsupported"),
    (mcq(options=("Chris Manning", "NLP", "Percy Liang", "Noah Smith")), "several_correct"),
    (mcq(question="Is Chris Manning the teacher of Stanford CS224N?"), "gives_answer_away"),
])
def test_validator_rejects(validator, question, reason):
    assert validator.check(question, Seen()) == reason


def test_anchor_makes_table_rows_distinct(validator):
    q = mcq(question="Which stage is 第7~9周?", options=["LLM训练", "基础夯实", "科研写作", "工具链熟练"],
            answer="LLM训练", anchor="第7~9周", source=QuizSource(chunk_id="c2", source="roadmaps/plan.txt"))
    assert validator.check(q, Seen()) is None
    wrong_row = q.model_copy(update={"anchor": "第1~3周"})
    assert validator.check(wrong_row, Seen()) == "unsupported"


def test_false_claim_supported_by_the_passage_is_rejected(validator):
    tf = dict(id="t", type="tf", topic="nlp_basics", options=["True", "False"], answer="False", key="Chris Manning",
              source=QuizSource(chunk_id="c1", source="x"))
    ok = Question(question="Dan Klein teaches CS224N.", absent=["Dan Klein"], **tf)
    bad = Question(question="Chris Manning teaches CS224N.", absent=["Chris Manning"], **tf)
    assert validator.check(ok, Seen()) is None
    assert validator.check(bad, Seen()) == "false_claim_supported"


def test_blank_and_short_giveaways(validator):
    blank = dict(id="b", type="blank", topic="t", source=QuizSource(chunk_id="c1", source="x"), answer="Chris Manning",
                 key="Chris Manning")
    assert validator.check(Question(question="Fill in the blank: “主讲人：____”", **blank), Seen()) is None
    assert validator.check(Question(question="主讲人：____ (Chris Manning)", **blank), Seen()) == "gives_answer_away"
    short = dict(id="s", type="short", topic="t", language="zh", source=QuizSource(chunk_id="c1", source="x"),
                 answer="见特点", rubric=["基础 NLP", "transformer", "pretraining"], key="transformer")
    assert validator.check(Question(question="CS224N 有哪些特点？", **short), Seen()) is None
    assert validator.check(Question(question="CS224N 讲 transformer 和 pretraining 吗？", **short),
                           Seen()) == "gives_answer_away"


def test_short_answer_rubric_must_be_in_the_passage(validator):
    q = Question(id="s", type="short", topic="t", question="CS224N 有哪些特点？", answer="x", key="transformer",
                 rubric=["transformer", "强化学习"], source=QuizSource(chunk_id="c1", source="x"))
    assert validator.check(q, Seen()) == "unsupported"


def test_recently_seen_questions_are_duplicates(validator):
    q = mcq()
    assert validator.check(q, Seen([q])) == "duplicate"
    reworded = mcq(id="other-id", question="Who teaches Stanford CS224N ?")
    assert validator.check(reworded, Seen([q])) == "duplicate"
    other_answer = mcq(id="x2", question="Who teaches Stanford CS224N?", options=["Chris Manning", "Dan Klein",
                       "Percy Liang", "Noah Smith"])
    assert validator.check(other_answer, Seen([mcq(id="y", answer="Noah Smith", key="Noah Smith")])) is None


def test_model_questions_must_be_in_the_learners_language(validator):
    q = mcq(origin="model", language="zh")
    assert validator.check(q, Seen()) == "wrong_language"
    assert validator.check(q.model_copy(update={"question": "谁是 Stanford CS224N 的主讲人？"}), Seen()) is None


class _Vectors(PassageVectors):
    """Stub similarity so the embedding check can be exercised without a model."""

    def __init__(self, sim: float, near: bool):
        self.sim, self.near = sim, near

    def closeness(self, text, chunk, k=None):
        return self.sim, self.near or k is None


@pytest.mark.parametrize("sim,near,origin,ok", [
    (0.9, True, "rule", True), (0.5, True, "rule", False),
    (0.9, False, "rule", True),  # rule passages may rank low: they list the fact among others
    (0.9, False, "model", False),  # a model question must be about its own passage
])
def test_embedding_check(sim, near, origin, ok):
    v = QuizValidator(CHUNKS.get, _Vectors(sim, near), QuizConfig(min_similarity=0.8))
    assert (v.check(mcq(origin=origin), Seen()) is None) is ok


def test_passage_vectors_prefer_stored_vectors_and_cache():
    emb = HashEmbedder()
    stored = {"c1": np.ones(emb.dim, np.float32) / np.sqrt(emb.dim)}
    pv = PassageVectors(emb, lambda ids: {i: stored[i] for i in ids if i in stored})
    assert np.allclose(pv.get(COURSE), stored["c1"])
    before = emb.texts_embedded
    pv.get(TABLE)
    pv.get(TABLE)
    assert emb.texts_embedded == before + 1  # embedded once, then cached


def test_a_model_question_that_states_what_its_passage_does_not_is_refused(validator):
    fields = dict(id="m", type="mcq", topic="nlp_basics", origin="model", answer="Chris Manning", key="Chris Manning",
                  options=["Chris Manning", "Dan Klein", "Percy Liang", "Noah Smith"],
                  source=QuizSource(chunk_id="c1", source="roadmaps/plan.txt"))
    assert validator.check(Question(question="Who teaches Stanford CS224N?", **fields), Seen()) is None
    invented = Question(question="Who teaches Stanford CS224N since 2019 at MIT?", **fields)
    assert validator.check(invented, Seen()) == "unchecked_claims"  # "2019" and "MIT": not in the passage
    rule = invented.model_copy(update={"origin": "rule"})  # rule wording is ours: the gate is for model text
    assert validator.check(rule, Seen()) is None
