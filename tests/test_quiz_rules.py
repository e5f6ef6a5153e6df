"""quiz.rules: deterministic questions from the real roadmaps, catalog and curriculum (no embeddings, no LLM):
concept questions from the roadmaps' explanatory sentences, and a few facts about the roadmaps themselves."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tutorbot.curriculum.graph import load_curriculum
from tutorbot.ingest.catalog import build_catalog, load_named
from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.corpus import load_corpus
from tutorbot.quiz.match import contains, garbled, names_ids, supports
from tutorbot.quiz.rules import RuleBank
from tutorbot.quiz.validate import QuizValidator, Seen
from tutorbot.retrieval.embed import approx_tokens
from tutorbot.settings import PROJECT_ROOT

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


def build_corpus():
    """(catalog, curriculum, chunks) of the real corpus, chunked without an embedding model."""
    docs = load_corpus(ROOT / "corpus").documents
    catalog = build_catalog(docs, load_named(PROJECT_ROOT / "corpus" / "named_resources.yaml"))
    curriculum = load_curriculum(ROOT / "corpus" / "curriculum.yaml", {e.id for e in catalog})
    return catalog, curriculum, [c for d in docs for c in chunk_document(d, 256, approx_tokens)]


@pytest.fixture(scope="module")
def corpus():
    return build_corpus()


@pytest.fixture(scope="module")
def bank(corpus):
    return RuleBank(*corpus)


@pytest.fixture(scope="module")
def en(bank):
    return [c.question for c in bank.candidates("en")]


def find(questions, rule, pattern):
    return [q for q in questions if q.rule == rule and re.search(pattern, q.question)]


def test_every_type_has_candidates_about_the_subject(en):
    counts = Counter(q.type for q in en if q.about == "subject")
    assert all(counts[t] >= 5 for t in ("mcq", "tf", "short", "blank")), counts


def test_roadmap_facts_are_marked_as_such(en):
    roadmap = {q.rule for q in en if q.about == "roadmap"}
    assert roadmap == {"teacher", "teacher_tf", "week", "week_tf", "recommend", "prereq"}


def test_no_question_asks_for_an_arxiv_id_or_a_url(en):
    assert not [q.question for q in en if names_ids(" ".join([q.question, q.answer, *q.options]))]


def test_every_candidate_passes_the_lexical_validator(corpus, en):
    by_id = {c.id: c for c in corpus[2]}
    reasons = Counter(QuizValidator(by_id.get, None).check(q, Seen()) for q in en)
    assert reasons == {None: len(en)}, reasons


def test_every_mcq_has_exactly_one_option_supported_by_its_passage(corpus, en):
    by_id = {c.id: c for c in corpus[2]}
    for q in en:
        if q.type == "mcq" and q.rule != "prereq":  # prereq answers are curriculum names, keyed by an alias
            passage = by_id[q.source.chunk_id].embed_text
            assert [o for o in q.options if supports(passage, o, q.anchor)] == [q.answer], q.question


def test_answer_keys_are_in_the_cited_passages(corpus, en):
    by_id = {c.id: c for c in corpus[2]}
    assert all(supports(by_id[q.source.chunk_id].embed_text, q.key, q.anchor) for q in en)


def test_teacher_question_from_the_researcher_plan(en):
    [q] = [q for q in find(en, "teacher", "CS224N")]
    assert q.answer == "Chris Manning" and len(set(q.options)) == 4 and q.answer in q.options
    assert q.source.urls[0] == "https://web.stanford.edu/class/cs224n"
    assert "Chris Manning" in q.explanation
    false_claims = [t for t in find(en, "teacher_tf", "CS224N") if t.answer == "False"]
    assert false_claims and all(not contains(q.source.quote, t.absent[0]) for t in false_claims)


def test_week_questions_use_the_row_of_their_week(en):
    [q] = find(en, "week", "第7~9周")
    assert q.answer == "LLM训练" and q.anchor == "第7~9周"


def test_roadmap_explanations_become_concept_questions(en):
    cloze = [q for q in en if q.rule == "cloze" and "inject order information" in q.question]
    assert [q.answer for q in cloze] == ["Positional Encoding"] and cloze[0].about == "subject"


def test_prereq_answers_are_prerequisites_and_distractors_come_later(corpus, en):
    cur = corpus[1]
    names = {t.name.en: t.id for t in cur.topics}
    for q in [q for q in en if q.rule == "prereq"]:
        target = names[re.search(r"“(.+)”", q.question).group(1)]
        assert names[q.answer] in cur.topic(target).prereqs
        for wrong in set(q.options) - {q.answer}:
            assert names[wrong] not in cur.ancestors([target])


def test_blanks_hide_their_answer(en):
    blanks = [q for q in en if q.type == "blank"]
    assert blanks and all("____" in q.question and not contains(q.question, q.answer) for q in blanks)
    assert all(contains(q.anchor, q.answer) for q in blanks)  # the anchor is the whole sentence


def test_questions_are_in_the_learners_language(bank):
    zh = [c.question for c in bank.candidates("zh")]
    assert all(CJK.search(q.question) for q in zh)
    assert all(q.options == ["对", "错"] for q in zh if q.type == "tf")
    en_templates = [c.question for c in bank.candidates("en") if c.question.rule in ("teacher", "recommend", "prereq")]
    assert en_templates and all(not CJK.search(q.question.split("“")[0]) for q in en_templates)


def test_same_facts_give_the_same_questions(corpus, en):
    again = [c.question for c in RuleBank(*corpus).candidates("en")]
    assert [q.model_dump() for q in again] == [q.model_dump() for q in en]
    assert len({q.id for q in en}) == len(en)


def test_garbled_chunks_and_entries_are_never_quoted(corpus):
    catalog, cur, chunks = corpus
    broken = chunks[0].model_copy(update={"id": "broken", "text": "主讲人：é¦–è¦ä»»åŠ¡ Chris", "section": "x > 1. Bad"})
    bank = RuleBank(catalog, cur, [broken, *chunks])
    assert all(c.question.source.chunk_id != "broken" for c in bank.candidates("en"))
    assert not any(garbled(c.question.question + c.question.explanation) for c in bank.candidates("en"))


def test_every_candidate_is_tagged_with_curriculum_topics(corpus, bank):
    ids = set(corpus[1].ids)
    assert all(c.topics and c.topics <= ids and c.question.topic in c.topics for c in bank.candidates("en"))
