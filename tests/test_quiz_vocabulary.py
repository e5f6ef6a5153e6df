"""quiz.vocabulary: concept terms, inflections, and the "equivalent terms" hook fed by the curriculum and the
terms mined at ingest."""

from __future__ import annotations

import pytest

from tutorbot.curriculum.graph import load_curriculum
from tutorbot.quiz.vocabulary import (
    TermGroups,
    Vocabulary,
    acronym_groups,
    name_groups,
    owned_terms,
    pair_groups,
    same_term,
)
from tutorbot.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def cur():
    return load_curriculum(PROJECT_ROOT / "corpus" / "curriculum.yaml")


@pytest.mark.parametrize("a,b,same", [("generative modeling", "Generative Models", True),
                                      ("modelling", "model", True), ("KV caches", "kv cache", True),
                                      ("扩散模型", "扩散 模型", True), ("attention", "attentive", False),
                                      ("GAN", "GANs", True), ("diffusion", "distillation", False)])
def test_the_same_term_in_another_inflection(a, b, same):
    assert same_term(a, b) is same


def test_a_topic_is_named_in_both_languages(cur):
    eq = TermGroups(name_groups(cur))
    assert "流匹配" in eq.of("Flow matching") and any(same_term(t, "flow matching") for t in eq.of("流匹配"))
    assert "规模定律" in eq.of("Scaling Laws") and eq.of("分词") == ["Tokenization"]  # "分词（BPE）": BPE is an example


def test_mined_abbreviations_and_pairs_that_agree_with_the_curriculum(cur):
    acronyms = acronym_groups({"ct": ["consistency training", "computed tomography"], "ppo": ["proximal policy "
                                                                                              "optimization"]})
    eq = TermGroups(acronyms + pair_groups([("对齐", "Alignment"), ("数据并行", "All-Reduce based")], cur))
    assert set(eq.of("CT")) == {"consistency training", "computed tomography"}
    assert "computed tomography" not in eq.of("consistency training")  # one abbreviation, two meanings
    assert eq.of("alignment") == ["对齐"] and eq.of("数据并行") == []  # a gloss is not a translation
    extra = owned_terms(acronyms, cur)
    assert ("proximal policy optimization", "rlhf") in extra and not any(t == "consistency training" for t, _ in extra)
    vocab = Vocabulary(cur, extra)
    assert [m.topic for m in vocab.mentions("trained with proximal policy optimization")] == ["rlhf"]
    assert vocab.is_term("PPO") and not vocab.is_term("PPO and DPO")
