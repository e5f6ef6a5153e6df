"""The learner model in a real browser: a learner who misses a quiz's questions sees their repeated mistake
patterns and review reasons on the Progress tab (with the calibration of the confidence they gave), the
missed questions in the Quiz tab's notebook, and the prerequisite their mistakes point to first in the plan,
saying why. Headless chromium against the real app over the real corpus with hash embeddings and a fake
model; the quiz is made, answered and graded through the UI.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import BROWSER_ARTIFACTS, free_port, make_settings, wait_ready

from tutorbot.llm.fake import FakeLLM
from tutorbot.plans.models import LearnerProfile
from tutorbot.quiz.models import Quiz

pytestmark = pytest.mark.browser
TOPIC = "Pretrained models (BERT/GPT/T5)"
PREREQ = "Attention & the Transformer"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The app in local single-user mode; its learner has a plan (made before any quiz)."""
    from tutorbot.container import Container
    from tutorbot.ui import launch

    c = Container(make_settings(tmp_path_factory.mktemp("learner") / "data", embedding={"backend": "hash"}),
                  llm=FakeLLM("hi"))
    c.ingest()
    c.quizzes.config.min_similarity = -1.0  # hash vectors carry no meaning: the similarity check is not under test
    uid = c.store.get_or_create_local_user().id
    c.plans.create(uid, LearnerProfile(goal="understand_llms", hours_per_week=10, weeks=12), guidance=False)
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}/", c
    demo.close()
    c.store.close()


def open_tab(pg, key: str) -> None:
    pg.click(f"#tb-tab-{key}-button")
    pg.wait_for_selector(f"#tb-tab-{key}", state="visible")


def latest_quiz(c, uid: int) -> Quiz:
    return Quiz.model_validate(c.store.recent_quizzes(uid, datetime.now(UTC) - timedelta(hours=1))[0])


def answer_all_wrong(pg, quiz: Quiz) -> None:
    """Each question answered wrong as the UI allows: another option picked, or a wrong term typed; the
    first one marked 'certain' before it is checked."""
    for i, q in enumerate(quiz.questions):
        pg.wait_for_function(f"document.querySelector('#tb-quiz-question').innerText.includes('Question {i + 1} of')")
        if q.type in ("mcq", "tf"):
            pg.locator("#tb-quiz-choice label").nth(next(j for j, o in enumerate(q.options) if o != q.answer)).click()
        else:
            pg.fill("#tb-quiz-text textarea", "certainly not the answer")
        if i == 0:
            pg.locator("#tb-quiz-sure label", has_text="4 · certain").click()
        pg.click("#tb-quiz-submit")
        pg.wait_for_selector("#tb-quiz-next", state="visible")
        pg.click("#tb-quiz-next")


def test_missed_questions_show_their_pattern_reason_notebook_and_the_prerequisite_first_in_the_plan(browser, app):
    url, c = app
    uid = c.store.get_or_create_local_user().id
    context = browser.new_context(viewport={"width": 1400, "height": 1800}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    wait_ready(pg)
    open_tab(pg, "quiz")
    pg.click("#tb-quiz-topic input")
    pg.locator("[data-testid=dropdown-option]", has_text=TOPIC).first.click()
    pg.locator("#tb-quiz-types label", has_text="Fill in the blank").click()
    pg.fill("#tb-quiz-n input[type=number]", "10")
    pg.locator("#tb-quiz-n input[type=number]").press("Enter")
    pg.click("#tb-quiz-start")
    pg.wait_for_selector("#tb-quiz-question", state="visible")
    quiz = latest_quiz(c, uid)
    assert len(quiz.questions) == 10
    answer_all_wrong(pg, quiz)
    pg.wait_for_function("document.querySelector('#tb-quiz-score').innerText.includes('0 of 10')")

    patterns = c.progress.patterns(uid, "en")  # what the service found: the UI must show the same
    assert max(p.count for p in patterns) >= 3  # three misses of one kind
    blamed = next(p for p in patterns if p.kind == "missing_prereq")
    assert blamed.prereq == "attention_transformer" and c.store.attempts(uid)[-1].confidence == 4

    pg.locator("#tb-notebook-pick").wait_for(state="visible")  # the notebook lists the misses
    entry = pg.locator("#tb-notebook-entry").inner_text()
    assert "You answered:" in entry and "Why:" in entry and "Pattern:" in entry

    open_tab(pg, "progress")
    pg.locator("#tb-patterns").wait_for(state="visible")
    # the data frame's cells are read as text: Gradio keeps a hidden copy of each cell, so a cell's own
    # visibility says nothing (test_browser reads the history table by its cells the same way)
    pg.wait_for_function("(r) => document.querySelector('#tb-patterns').textContent.includes(r)", arg=blamed.reason)
    shown = pg.locator("#tb-patterns").text_content() or ""
    for p in patterns:
        assert p.reason in shown
    assert f"point to {PREREQ}, not mastered yet: review it first" in shown
    pg.locator("#tb-calibration").wait_for(state="visible")
    pg.screenshot(path=str(BROWSER_ARTIFACTS / "progress-patterns.png"), full_page=True)

    pg.reload()
    wait_ready(pg)
    open_tab(pg, "plan")
    plan = pg.locator("#tb-plan")
    plan.get_by_text(f"first: your mistakes in {TOPIC} point to this prerequisite").first.wait_for()
    rows = [r.split("↳")[0] for r in plan.locator("tbody tr").all_inner_texts()]  # a row without its reasons
    first = next(i for i, r in enumerate(rows) if PREREQ in r)
    assert first <= next((i for i, r in enumerate(rows) if TOPIC in r), len(rows))  # the prerequisite comes first
    pg.screenshot(path=str(BROWSER_ARTIFACTS / "plan-prerequisite.png"), full_page=True)
    context.close()
