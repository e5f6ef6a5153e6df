"""Quizzes against the real index (real embeddings, real Chroma) and the real vLLM CPU server (SmolLM2),
over the roadmaps alone and over the roadmaps with a few linked pages from the shared mirror."""

from __future__ import annotations

import json
import time

import pytest
from conftest import SHARED, make_settings
from typer.testing import CliRunner

from tutorbot.container import Container
from tutorbot.ingest.linked import fetch_catalog_links
from tutorbot.quiz.evaluate import item_reports
from tutorbot.quiz.match import supports
from tutorbot.quiz.service import QuizService
from tutorbot.quiz.validate import Seen
from tutorbot.store.learner_store import LearnerStore

pytestmark = pytest.mark.integration
TOPICS = ["attention_transformer", "ddpm", "peft_lora"]
# A few pages keep the index quick to build on 2 cores: two paper abstracts and a blog post.
PAGES = ("arxiv.org/abs/2210.02747", "arxiv.org/abs/2006.11239", "r4j4n.github.io/blogs/posts/kv")


@pytest.fixture(scope="module")
def svc(real):
    return real.quizzes


@pytest.fixture(scope="module")
def linked(tmp_path_factory, llm_server):
    """Container over the roadmaps plus the pages in ``PAGES``, with the real model."""
    s = make_settings(tmp_path_factory.mktemp("quiz-linked"), llm=llm_server.llm.model_dump())
    docs = [d for d in fetch_catalog_links(s, s.corpus_dir, mirror=SHARED / "linked").documents
            if any(p in d.id for p in PAGES)]
    c = Container(s)
    c.ingest(linked=docs)
    return c


@pytest.fixture(scope="module")
def user(svc):
    return svc.store.add_user("quiz-integration", "pw-123456").id


def assert_trustworthy(svc, quiz):
    for q in quiz.questions:
        passage = svc.retriever.by_id[q.source.chunk_id].embed_text
        assert supports(passage, q.key, q.anchor), q.question  # the answer key is in the cited passage
        assert svc.validator.check(q, Seen()) is None, q.question
        if q.type == "mcq":
            correct = [o for o in q.options if supports(passage, o, q.anchor)]
            # prereq answers are curriculum names keyed by the alias the passage uses: a passage may name the
            # right topic as the curriculum does, never a wrong one
            assert correct in (([], [q.answer]) if q.rule == "prereq" else ([q.answer],)), q.question


@pytest.mark.parametrize("n", [5, 10])
@pytest.mark.parametrize("topic", TOPICS)
def test_quizzes_have_the_requested_size_and_only_checked_questions(svc, user, topic, n):
    start = time.perf_counter()
    quiz = svc.make_quiz(user, topic, n)
    took = time.perf_counter() - start
    print(f"\nquiz {topic} n={n}: {took:.1f}s mix={quiz.mix.model_dump()}")
    assert len(quiz.questions) == n and len({q.id for q in quiz.questions}) == n
    assert quiz.mix.model + quiz.mix.rule == n and quiz.mix.model_calls <= svc.config.max_model_calls
    assert_trustworthy(svc, quiz)


@pytest.mark.parametrize("topic,page", [("flow_matching", "2210.02747"), ("kv_cache", "r4j4n")])
def test_with_linked_pages_a_quiz_is_about_the_subject(linked, topic, page):
    svc = linked.quizzes
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, topic, 5)
    print(f"\n{topic}: mix={quiz.mix.model_dump()}\n" + "\n".join(f"  [{q.rule}] {q.question}" for q in quiz.questions))
    rows = item_reports(quiz, svc.retriever.by_id.get)
    assert all(r.key_supported and not r.duplicate and r.language_ok and not r.names_ids for r in rows)
    assert sum(r.source_kind != "resource list" for r in rows) >= 4
    assert any(page in q.source.source for q in quiz.questions)  # the topic's own page is quizzed
    assert_trustworthy(svc, quiz)


def test_a_wrong_answer_is_shown_the_explaining_sentence_and_its_source(linked):
    svc = linked.quizzes
    user = svc.store.get_or_create_local_user().id
    quiz = svc.make_quiz(user, "flow_matching", 3, types="mcq,tf,blank")
    q = next(q for q in quiz.questions if q.about == "subject")
    wrong = next((o for o in q.options if o != q.answer), "not the answer")
    fb = svc.submit(user, quiz.id, q.id, wrong)
    assert not fb.correct and fb.answer == q.answer and fb.source_link.startswith("http")
    assert q.source.quote and q.source.quote[:40] in fb.explanation
    assert supports(svc.retriever.by_id[q.source.chunk_id].embed_text, q.source.quote.rstrip("…")[:60])


def test_chinese_quiz_with_the_real_model(svc, user):
    quiz = svc.make_quiz(user, "基于人类反馈的强化学习 RLHF", 5, language="zh")
    assert quiz.topic == "rlhf" and len(quiz.questions) == 5 and quiz.language == "zh"
    assert_trustworthy(svc, quiz)


def test_short_answers_right_wrong_and_partial_with_the_real_model(linked):
    svc = linked.quizzes
    q = next(c.question for c in svc.assembler.bank.candidates("en") if c.question.type == "short"
             and c.question.source.source.startswith("http"))
    right = svc.grader.grade(q, q.answer)
    wrong = svc.grader.grade(q, "I like pizza and ice cream")
    partial = svc.grader.grade(q, q.rubric[0])
    print(f"\n{q.question} {q.rubric}\nshort grades: right={right.score} ({right.method}) wrong={wrong.score} "
          f"partial={partial.score}")
    assert right.correct and right.score >= 0.8
    assert not wrong.correct and wrong.score < 0.5
    assert wrong.score < partial.score < right.score and partial.key_points[0].covered


def test_learner_history_survives_a_restart(real, svc, user):
    quiz = svc.make_quiz(user, "flash_attention", 3, types="mcq,tf")
    first = quiz.questions[0]
    svc.submit(user, quiz.id, first.id, first.answer)
    before = (svc.progress.mastery(user), [c.question_id for c in svc.store.cards(user)], len(svc.store.attempts(user)))
    store = LearnerStore(real.settings.db_url)  # a new process would open the same database like this
    again = QuizService(store, real.retriever, real.catalog, real.curriculum, embedder=real.embedder,
                        rules=svc.assembler.bank)
    after = (again.progress.mastery(user), [c.question_id for c in store.cards(user)], len(store.attempts(user)))
    assert after == before
    second = quiz.questions[1]
    assert again.submit(user, quiz.id, second.id, second.answer).correct
    assert len(store.attempts(user)) == before[2] + 1
    store.close()


def test_cli_quiz_json(real, monkeypatch):
    from tutorbot.cli import app

    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(real.settings.data_dir))
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", real.settings.llm.base_url)
    out = CliRunner().invoke(app, ["quiz", "--topic", "Flow matching", "--n", "5", "--types", "mcq,tf", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert len(data["questions"]) == 5 and data["topic"] == "flow_matching"
    assert set(data["questions"][0]) == {"id", "type", "question", "options", "answer", "explanation", "source",
                                         "topic", "origin"}
    assert set(data["questions"][0]["source"]) == {"source", "section", "urls"}


def test_cli_review_and_export(real, monkeypatch, tmp_path):
    from tutorbot.cli import app

    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(real.settings.data_dir))
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", real.settings.llm.base_url)
    runner = CliRunner()
    made = json.loads(runner.invoke(app, ["quiz", "--topic", "rlhf", "--n", "2", "--types", "tf", "--json"]).output)
    answered = runner.invoke(app, ["quiz", "--topic", "rlhf", "--n", "2", "--types", "tf"], input="T\nF\n")
    assert answered.exit_code == 0 and "source:" in answered.output and made["questions"]
    due = runner.invoke(app, ["review", "--json"])  # fresh cards are due minutes from now: the list may be empty
    assert due.exit_code == 0 and isinstance(json.loads(due.output)["questions"], list)
    deck = tmp_path / "cards.apkg"
    out = runner.invoke(app, ["export-anki", str(deck)])
    assert out.exit_code == 0 and deck.stat().st_size > 0 and "exported" in out.output
