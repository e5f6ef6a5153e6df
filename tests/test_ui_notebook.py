"""The Quiz tab's wrong-answer notebook without a browser: missed questions listed by topic with how often
they were missed, an entry with both answers, its pattern and its passage, and the review reasons a review
opens with (the same as the Progress tab's)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from test_quiz_service import CURRICULUM

from tutorbot.learner.patterns import PatternRow
from tutorbot.quiz.notebook import NotebookEntry
from tutorbot.ui import notebook_panel, quiz_logic

WHEN = datetime(2026, 3, 1, 9, tzinfo=UTC)


def entry(qid: str = "q1", fixed: bool = False) -> NotebookEntry:
    return NotebookEntry(question_id=qid, topic="ddpm", question="Which term completes “____ adds noise”?",
                         given="GAN", answer="DDPM", explanation="Because “DDPM adds noise step by step”.",
                         source_link="https://example.org/ddpm", pattern="wrong_concept", misses=2,
                         last_missed=WHEN, fixed=fixed)


def test_missed_questions_are_listed_by_topic_with_their_misses_and_a_fixed_one_is_marked():
    [(label, qid), (fixed, _)] = notebook_panel.choices([entry(), entry("q2", fixed=True)], CURRICULUM, "zh")
    assert qid == "q1" and label.startswith("扩散模型（DDPM/DDIM） · Which term") and label.endswith("(错 2 次)")
    assert fixed.endswith("✔")


def test_an_entry_shows_both_answers_the_pattern_the_passage_and_its_link():
    text = notebook_panel.entry_markdown(entry(), "en")
    for part in ("You answered:** GAN", "Answer:** DDPM", "Wrong concept", "DDPM adds noise step by step",
                 "](https://example.org/ddpm)"):
        assert part in text


def test_the_pick_is_kept_while_listed_and_an_empty_notebook_says_so():
    pick, shown, ask = notebook_panel.shown([entry(), entry("q2")], "q2", CURRICULUM, "en")
    assert pick["value"] == "q2" and ask["visible"]
    pick, shown, ask = notebook_panel.shown([], "q2", CURRICULUM, "zh")
    assert not pick["visible"] and not ask["visible"] and shown["value"].startswith("还没有答错的题目")


def test_a_review_opens_with_the_reasons_of_its_topics_and_the_prerequisites_to_review_first():
    asked = []
    rows = [PatternRow(topic="Diffusion", topic_id="ddpm", kind="confused_terms", count=2,
                       reason="You confused Diffusion with Flow twice.")]
    progress = SimpleNamespace(patterns=lambda uid, lang, topics: asked.append(topics) or rows,
                               weak_prereqs=lambda uid: {"generative_overview": ["ddpm"]})
    ops = quiz_logic.QuizOps(SimpleNamespace(progress=progress, curriculum=CURRICULUM))
    session = SimpleNamespace(quiz=SimpleNamespace(questions=[SimpleNamespace(topic="ddpm")]))
    text = ops.reasons(1, session, "en")  # type: ignore[arg-type]
    assert asked == [{"ddpm"}]
    assert text.splitlines() == ["**Why this review:**", "- You confused Diffusion with Flow twice.",
                                 f"- Review first: {CURRICULUM.name_of('generative_overview', 'en')}"]


def test_the_confidence_given_on_the_quiz_tab_reaches_the_service_with_the_answer():
    seen = []
    quizzes = SimpleNamespace(submit=lambda uid, quiz_id, qid, given, confidence=None: seen.append(confidence) or
                              SimpleNamespace(correct=True, score=1.0), finish=lambda uid, quiz_id: False)
    ops = quiz_logic.QuizOps(SimpleNamespace(quizzes=quizzes))
    questions = [SimpleNamespace(id="q1"), SimpleNamespace(id="q2")]
    session = quiz_logic.QuizSession.model_construct(quiz=SimpleNamespace(id="z", questions=questions), index=0,
                                                     results=[])
    after = ops.answer(1, session, "True", 2)
    ops.answer(1, after.model_copy(update={"index": 1}), "True")
    assert seen == [2, None]
