"""Concept questions from subject text: explanatory sentences, and each generator on fixture passages
(a paper abstract, a blog paragraph, a Chinese roadmap explanation). No embeddings, no LLM."""

from __future__ import annotations

import pytest

from tutorbot.curriculum.graph import load_curriculum
from tutorbot.quiz.concepts import ConceptBank, predicate
from tutorbot.quiz.distort import distort
from tutorbot.quiz.match import contains, supports
from tutorbot.quiz.statements import statements
from tutorbot.quiz.validate import QuizValidator, Seen
from tutorbot.quiz.vocabulary import TermGroups, Vocabulary, match_case, name_groups
from tutorbot.schemas import Chunk
from tutorbot.settings import PROJECT_ROOT

ABSTRACT = Chunk(id="abs", doc_id="https://example.org/abs/flow", title="Flow Matching for Generative Modeling",
                 section="Abstract", kind="linked", trusted=False, lang="en", text=(
                     "We introduce a new paradigm for generative modeling built on normalizing flows. "
                     "Flow matching is a simulation-free approach for training continuous flows based on "
                     "regressing vector fields of fixed conditional probability paths. "
                     "These paths are more efficient than diffusion paths, provide faster training and sampling, "
                     "and result in better generalization."))
BLOG = Chunk(id="blog", doc_id="https://example.org/kv", title="Transformers Optimization: KV Cache", kind="linked",
             trusted=False, lang="en", section="Why KV cache?", text=(
                 "### Why KV cache?\n"
                 "While generating text in autoregressive models, the hidden representations of all previous "
                 "tokens are recomputed for every new token.\n"
                 "KV cache reduces end-to-end latency by storing the keys and values of previously generated "
                 "tokens.\n"
                 "Multi-query attention shares one set of keys and values across all heads, which shrinks the "
                 "cache."))
ROADMAP_ZH = Chunk(id="zh", doc_id="roadmaps/deep-generative-models.txt", title="深度生成模型学习路线",
                   section="生成模型", lang="zh", text=(
                       "其实，大语言模型只是深度生成模型的一个分支，"
                       "而其他生成模型例如 VAE、GAN 等都还在生成领域占有重要地位。\n"
                       "扩散模型通过逐步去噪从纯噪声中生成样本，相比 GAN 训练更加稳定。\n"
                       "- 建议先学习 PyTorch 基础，再看 [DDPM 论文](https://arxiv.org/abs/2006.11239)。\n"
                       "- 推荐课程：MIT 6.S978"))
SURVEY = Chunk(id="survey", doc_id="https://example.org/survey", title="A survey of generative models", kind="linked",
               trusted=False, lang="en", text=(
                   "Score matching is a method for estimating the gradient of the log density of the data.\n"
                   "Consistency models are a family of models that map noise directly to data in a single step.\n"
                   "DDPM is a latent variable model that learns to reverse a gradual noising process."))
CHUNKS = [ABSTRACT, BLOG, ROADMAP_ZH, SURVEY]


@pytest.fixture(scope="module")
def cur():
    return load_curriculum(PROJECT_ROOT / "corpus" / "curriculum.yaml")


@pytest.fixture(scope="module")
def bank(cur):
    return ConceptBank(CHUNKS, Vocabulary(cur), TermGroups(name_groups(cur)))


def by_rule(bank, rule, lang="en"):
    return [c.question for c in bank.candidates(lang) if c.question.rule == rule]


def quoting(questions, words):
    return [q for q in questions if words in q.source.quote]


# -- explanatory sentences --------------------------------------------------------------------

def test_explanatory_sentences_are_found_in_a_paper_abstract(cur):
    found = {s.text: s for s in statements(ABSTRACT, Vocabulary(cur))}
    matching = next(s for t, s in found.items() if t.startswith("Flow matching is"))
    assert matching.cue == "definition" and matching.focus.term == "Flow matching"
    compared = next(s for t, s in found.items() if "more efficient than" in t)
    assert compared.cue == "comparison" and compared.focus.topic == "ddpm"


def test_resource_lines_and_advice_are_not_explanations(cur):
    texts = [s.text for s in statements(ROADMAP_ZH, Vocabulary(cur))]
    assert any(t.startswith("扩散模型通过") for t in texts)
    assert not any("建议" in t or "推荐" in t for t in texts)


def test_the_focus_is_the_subject_of_the_sentence(cur):
    found = {s.text[:6]: s.focus.term for s in statements(ROADMAP_ZH, Vocabulary(cur))}
    assert found["扩散模型通过"] == "扩散模型"


# -- generators -------------------------------------------------------------------------------

def test_cloze_blanks_the_concept_and_keeps_its_passage_as_the_key(bank):
    [q] = quoting(by_rule(bank, "cloze"), "Flow matching is a simulation-free")
    assert "____ is a simulation-free approach" in q.question and q.answer == "Flow matching"
    assert q.level == "recall" and q.about == "subject" and supports(ABSTRACT.embed_text, q.key, q.anchor)
    assert "流匹配" in q.accepted  # the other language's name of the term


def test_which_term_offers_sibling_concepts_of_the_same_track(bank, cur):
    [q] = quoting(by_rule(bank, "which_term"), "Flow matching is a simulation-free")
    diffusion = {t.id for t in cur.topics if "diffusion" in t.tracks}
    others = [o for o in q.options if o != q.answer]
    assert len(others) == 3 and all(cur.match(o).id in diffusion - {"flow_matching"} for o in others)
    assert not any(contains(q.source.quote, o) for o in others)


def test_a_sentence_saying_what_a_technique_achieves_asks_which_technique(bank):
    [q] = quoting(by_rule(bank, "which_technique"), "reduces end-to-end latency")
    assert q.answer == "KV cache" and q.level == "application" and "____ reduces end-to-end latency" in q.question


def test_true_false_distorts_a_comparison_into_a_false_claim(bank):
    [q] = quoting(by_rule(bank, "distorted"), "more efficient than")
    assert q.answer == "False" and q.level == "understanding"
    assert "less efficient than" in q.question and q.absent == [q.question.split("“")[-1].rstrip("”")]


@pytest.mark.parametrize("text,false", [
    ("DDIM samples much faster than DDPM because it skips most of the denoising steps.",
     "DDIM samples much slower than DDPM because it skips most of the denoising steps."),  # one topic: flip
    ("Flow matching trains faster than score matching on large image datasets.",
     "Score matching trains faster than flow matching on large image datasets."),  # two topics: swap
    ("扩散模型通过逐步去噪生成样本，相比 GAN 训练更加稳定。", "GAN通过逐步去噪生成样本，相比 扩散模型 训练更加稳定。"),
    ("DDPM is a latent variable model that learns to reverse a gradual noising process.", None),
])
def test_distortions_swap_what_is_compared_or_flip_a_comparative(cur, text, false):
    [s] = statements(Chunk(id="x", doc_id="d", title="t", text=text), Vocabulary(cur))
    assert distort(s) == false


def test_property_options_are_said_of_sibling_concepts(bank):
    q = next(q for q in by_rule(bank, "property") if "Flow matching" in q.question)
    assert q.answer.startswith("is a simulation-free approach") and len(q.options) == 4
    others = {o for o in q.options if o != q.answer}
    assert others <= {"is a method for estimating the gradient of the log density of the data",
                      "are a family of models that map noise directly to data in a single step",
                      "is a latent variable model that learns to reverse a gradual noising process"}


def test_explain_grades_on_the_key_terms_of_the_sentence_not_the_term_asked(bank):
    [q] = quoting(by_rule(bank, "explain_definition"), "Flow matching is")
    assert q.type == "short" and q.level == "application" and 2 <= len(q.rubric) <= 3
    assert not any(contains(p, "flow matching") for p in q.rubric)
    assert any(contains(p, "simulation-free") or contains(p, "vector fields") for p in q.rubric)


def test_chinese_roadmap_explanations_give_chinese_questions(bank):
    zh = [c.question for c in bank.candidates("zh") if c.question.source.chunk_id == "zh"]
    assert {q.rule for q in zh} >= {"cloze", "stated"}
    cloze = next(q for q in zh if q.rule == "cloze" and "逐步去噪" in q.question)
    assert cloze.question.startswith("填空") and cloze.answer == "扩散模型"


def test_every_candidate_passes_the_lexical_validator_and_tests_one_sentence(bank):
    validator = QuizValidator({c.id: c for c in CHUNKS}.get, None)
    questions = [c.question for lang in ("en", "zh") for c in bank.candidates(lang)]
    assert {validator.check(q, Seen()) for q in questions} == {None}
    assert all(q.fact.startswith("s:") for q in questions)


def test_a_source_whose_name_gives_the_answer_away_is_named_by_its_site(bank):
    [q] = quoting(by_rule(bank, "cloze"), "Flow matching is a simulation-free")
    assert "(from “example.org”)" in q.question and "Flow Matching for Generative Modeling" in q.explanation


def test_predicate_needs_the_subject_to_open_the_sentence(cur):
    [s] = [s for s in statements(BLOG, Vocabulary(cur)) if s.text.startswith("KV cache")]
    assert predicate(s).startswith("reduces end-to-end latency")


@pytest.mark.parametrize("option,answer,shown", [("score matching", "Flow Matching", "Score matching"),
                                                 ("Flow Matching", "diffusion", "flow matching"),
                                                 ("ControlNet", "diffusion", "ControlNet")])
def test_options_are_capitalised_like_the_answer(option, answer, shown):
    assert match_case(option, answer) == shown
