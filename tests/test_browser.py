"""The web UI in a real browser: headless Debian chromium driven by Playwright, against the real app
(real index over the real corpus, real vLLM CPU server). One flow per tab, plus login isolation.

Screenshots of every tab are saved under ``test-artifacts/browser/`` (git-ignored) as artifacts.
Needs ``/usr/bin/chromium`` (``bash scripts/install-browser.sh``, part of ``make test``).
"""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import BROWSER_ARTIFACTS, SHARED, free_port, make_settings, wait_ready

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ARTIFACTS = BROWSER_ARTIFACTS
ANSWER_S = 240  # the CPU model is slow; a plan's guidance or a quiz's model questions take longest
PASSWORD = "correct horse battery"
HISTORY_ROWS = '#tb-history [data-testid^="cell-"][data-testid$="-0"]'  # first cell of each table row
SECRET_QUESTION = "Which roadmap section covers quantization and distillation?"




def start_app(container, **kw) -> tuple[object, str]:
    from tutorbot.ui import launch

    port = free_port()
    return launch(container, host="127.0.0.1", port=port, block=False, **kw), f"http://127.0.0.1:{port}/"


def warm_up(container) -> None:
    """vLLM CPU compiles its decode path on the first request (minutes under load); pay that here,
    not inside the streaming assertions."""
    from tutorbot.llm.client import LLMError

    try:
        container.llm.complete([{"role": "user", "content": "Say hi."}], max_tokens=4)
    except LLMError:
        pass  # a server that stays cold makes the chat test fail with its own clear message


@pytest.fixture(scope="module")
def app(real) -> Iterator[str]:
    warm_up(real)
    demo, url = start_app(real)
    yield url
    demo.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app)
    wait_ready(pg)
    yield pg
    context.close()


PAGE_STATE = """() => ({
  errors: [...document.querySelectorAll('.toast-body')].map(e => e.innerText.slice(0, 200)),
  running: document.querySelectorAll('.progress-text, .eta-bar, .wrap.pending').length,
  quiz: ['#tb-quiz-n', '#tb-quiz-due', '#tb-quiz-score', '#tb-quiz-feedback']
    .map(s => document.querySelector(s)?.innerText?.slice(0, 200) ?? null),
})"""


def wait_visible(pg, selector: str) -> None:
    """Wait for ``selector``; on timeout, say what the page showed instead: an error toast, a handler
    still running (a progress overlay), or neither (the click never reached the server)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        pg.wait_for_selector(selector, state="visible", timeout=ANSWER_S * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"{selector} not shown within {ANSWER_S} s; the page: {pg.evaluate(PAGE_STATE)}") from None


def open_tab(pg, key: str) -> None:
    pg.click(f"#tb-tab-{key}-button")
    pg.wait_for_selector(f"#tb-tab-{key}", state="visible")


def shot(pg, name: str) -> None:
    time.sleep(1.0)  # let charts and transitions settle
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


WATCH_ANSWER = """() => {
  window.tbSeen = [];
  const chat = document.querySelector('#tb-chatbot');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('[data-testid=bot]');
    if (bots.length) window.tbSeen.push(bots[bots.length - 1].innerText);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def ask(pg, question: str) -> list[str]:
    """Send ``question``; return every text the answer showed (recorded in the page) until its citations came."""
    bots = pg.locator("#tb-chatbot [data-testid=bot]")
    before = bots.count()
    pg.evaluate(WATCH_ANSWER)
    pg.fill("#tb-question textarea", question)
    pg.click("#tb-send")
    pg.wait_for_function(f"document.querySelectorAll('#tb-chatbot [data-testid=bot]').length > {before}",
                         timeout=ANSWER_S * 1000)
    bots.nth(before).locator(".tb-cite").first.wait_for(timeout=ANSWER_S * 1000)
    return pg.evaluate("window.tbSeen")


def choose(pg, dropdown: str, option: str) -> None:
    pg.click(f"{dropdown} input")
    pg.locator("[data-testid=dropdown-option]", has_text=option).first.click()


def click_make_plan(pg):
    """Click "Make plan" and wait until the timeline changes: until the new plan arrives the page still
    shows the learner's previous one (from an earlier test), and counting its rows would be a race."""
    old = "".join(pg.locator("#tb-plan .tb-timeline").all_inner_texts())
    pg.click("#tb-make-plan")
    pg.wait_for_function("(old) => { const t = document.querySelector('#tb-plan .tb-timeline');"
                         " return t !== null && t.innerText !== old; }", arg=old, timeout=ANSWER_S * 1000)
    return pg.locator("#tb-plan .tb-timeline tbody tr")


def test_chat_streams_a_cited_answer_and_answers_a_follow_up(page):
    seen = ask(page, "What should I learn before studying the Transformer architecture?")
    assert any("▌" in s for s in seen), f"the answer was not streamed: {seen[-3:]}"  # ▌ marks a partial answer
    assert page.locator("#tb-chatbot .tb-cite").count() >= 1
    assert page.locator("#tb-chatbot .tb-cite-n").first.inner_text() == "1"
    ask(page, "And what comes after that?")
    assert page.locator("#tb-chatbot [data-testid=bot]").count() == 2
    assert page.locator("#tb-convs label").count() >= 1  # the conversation is listed for reopening
    shot(page, "chat")


def test_plan_from_the_profile_form(page):
    open_tab(page, "plan")
    page.locator("#tb-known label", has_text="PyTorch basics").click()
    page.fill("#tb-hours input", "6")
    page.fill("#tb-weeks input", "8")
    rows = click_make_plan(page)
    assert 1 <= rows.count() <= 8
    assert page.locator("#tb-plan .tb-timeline a[href^='http']").count() >= 1  # resources link out
    assert page.locator("#tb-plan .tb-phase").count() >= 1  # milestones and projects
    assert "PyTorch basics" not in page.locator("#tb-plan .tb-timeline").inner_text()
    # The plan shows before the model has written its advice (that can take minutes on a CPU).
    assert "writing advice" in page.locator("#tb-plan-note").inner_text() or page.locator(".tb-plan-overview").count()
    with page.expect_download() as download:
        page.click("#tb-export")
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("# Study plan")
    shot(page, "plan")


def test_what_was_read_from_a_description_is_shown_and_editable_before_the_plan(page):
    open_tab(page, "plan")
    page.fill("#tb-describe textarea", "PhD student. I know deep learning and transformers well, and I want to "
                                       "research diffusion and flow matching. 20 hours a week for 10 weeks.")
    timeline = page.locator("#tb-plan .tb-timeline")
    before = timeline.all_inner_texts()  # (not the raw HTML: a progress overlay may come and go)
    page.click("#tb-fill")
    row = page.locator('#tb-understood tr[data-field="hours_per_week"]')
    row.wait_for(timeout=ANSWER_S * 1000)  # the model may fill gaps first: that takes a while on a CPU
    assert "20" in row.inner_text() and "20 hours a week" in row.inner_text()
    assert "Deep learning basics" in page.locator('#tb-understood tr[data-field="known"]').inner_text()
    assert timeline.all_inner_texts() == before  # nothing is planned before the learner agrees
    assert "check it" in page.locator("#tb-plan-note").inner_text()
    # The form holds what was read, and the learner corrects it before the plan is built.
    assert page.input_value("#tb-hours input") == "20" and page.input_value("#tb-weeks input") == "10"
    assert page.locator("#tb-known label", has_text="Deep learning basics").locator("input").is_checked()
    page.fill("#tb-weeks input", "6")
    page.locator("#tb-known label", has_text="Deep generative models").click()
    rows = click_make_plan(page)
    assert rows.count() == 6
    timeline = page.locator("#tb-plan .tb-timeline").inner_text()
    assert "Diffusion models (DDPM/DDIM)" in timeline
    assert "Deep learning basics" not in timeline and "Deep generative models" not in timeline
    shot(page, "plan-understood")


def test_quiz_of_three_questions_then_progress_chart(page):
    open_tab(page, "quiz")
    page.click("#tb-quiz-start")
    for _ in range(3):
        wait_visible(page, "#tb-quiz-question")
        if page.locator("#tb-quiz-choice").is_visible():
            page.locator("#tb-quiz-choice label").first.click()
        else:
            page.fill("#tb-quiz-text textarea", "attention")
        page.click("#tb-quiz-submit")
        wait_visible(page, "#tb-quiz-next")
        assert page.locator("#tb-quiz-feedback").inner_text().strip()  # immediate feedback
        page.click("#tb-quiz-next")
    page.wait_for_function("document.querySelector('#tb-quiz-score').innerText.includes('of 3 points')")
    shot(page, "quiz")
    open_tab(page, "progress")
    page.wait_for_function(f"document.querySelectorAll('{HISTORY_ROWS}').length >= 3")
    bars = page.locator("#tb-mastery .mark-rect path")
    bars.first.wait_for(timeout=30_000)  # a real Vega bar chart, one bar per topic
    assert bars.count() >= 1
    shot(page, "progress")


def test_a_wrong_answer_shows_the_explaining_sentence_and_its_citation(page):
    open_tab(page, "quiz")
    for label in ("Multiple choice", "True / false", "Fill in the blank"):  # blanks only: a typed wrong answer
        page.locator("#tb-quiz-types label", has_text=label).click()
    page.click("#tb-quiz-start")
    wait_visible(page, "#tb-quiz-question")
    sentence = page.locator("#tb-quiz-question").inner_text().split("“")[-1].rstrip("”")
    page.fill("#tb-quiz-text textarea", "certainly not the answer")
    page.click("#tb-quiz-submit")
    wait_visible(page, "#tb-quiz-next")
    feedback = page.locator("#tb-quiz-feedback").inner_text()
    assert "Not quite" in feedback and "Answer:" in feedback and "Source:" in feedback
    longest = max(sentence.split("____"), key=len).strip()
    assert longest and longest[:60] in feedback.replace("\n", " ")  # the sentence that explains it
    assert "explains it" in feedback or "says" in feedback
    shot(page, "quiz-feedback")


def dropdown_options(pg, dropdown: str) -> list[str]:
    pg.click(f"{dropdown} input")
    options = pg.locator("[data-testid=dropdown-option]").all_inner_texts()
    pg.keyboard.press("Escape")
    return [o.strip().splitlines()[-1].strip() for o in options]  # the picked one starts with a "✓" line


def test_a_quizs_wrongly_answered_topic_shows_as_weak_and_quiz_me_on_it_starts_a_quiz_on_it(page):
    open_tab(page, "quiz")
    choose(page, "#tb-quiz-topic", "Attention & the Transformer")
    for label in ("Multiple choice", "True / false", "Fill in the blank"):  # blanks only: a typed wrong answer
        page.locator("#tb-quiz-types label", has_text=label).click()
    page.click("#tb-quiz-start")
    asked = set()  # a thin topic borrows its neighbours' facts: the header names each question's topic
    for i in range(1, 4):
        # Wait for this question's own header: a passing progress overlay or the previous question
        # may still be what the box shows when it turns visible.
        page.wait_for_function("(i) => /Question \\d+ of 3 · /.test(document.querySelector('#tb-quiz-question')"
                               "?.innerText || '') && document.querySelector('#tb-quiz-question').innerText"
                               ".includes(`Question ${i} of 3`)", arg=i, timeout=ANSWER_S * 1000)
        header = re.search(r"Question \d+ of 3 · ([^\n]+)", page.locator("#tb-quiz-question").inner_text())
        asked.add(header.group(1).strip())
        page.fill("#tb-quiz-text textarea", "certainly not the answer")
        page.click("#tb-quiz-submit")
        page.wait_for_selector("#tb-quiz-next", state="visible", timeout=ANSWER_S * 1000)
        page.click("#tb-quiz-next")
    page.wait_for_function("document.querySelector('#tb-quiz-score').innerText.includes('0 of 3')")
    open_tab(page, "progress")
    page.wait_for_selector("#tb-weak-quiz", state="visible")
    weak = dropdown_options(page, "#tb-weak-topic")
    assert asked <= set(weak), (asked, weak)  # every topic answered all wrong is weak
    topic = page.input_value("#tb-weak-topic input")  # the weakest is picked already (no second click on the list)
    assert topic in weak
    page.click("#tb-weak-quiz")
    page.wait_for_selector("#tb-tab-quiz", state="visible")
    assert page.locator("#tb-quiz-source label", has_text="My weak topics").locator("input").is_checked()
    page.wait_for_function("(t) => document.querySelector('#tb-quiz-topic input').value === t", arg=topic)
    page.wait_for_function("() => (document.querySelector('#tb-quiz-question')?.innerText || '')"
                           ".startsWith('Question 1 of 3')", timeout=ANSWER_S * 1000)  # a new quiz, not the last
    shot(page, "progress-weak-quiz")


def test_library_filters(page):
    open_tab(page, "library")
    page.wait_for_selector("#tb-library tbody tr")
    total = page.locator("#tb-library tbody tr").count()
    choose(page, "#tb-lib-kind", "Paper")
    page.wait_for_function(f"document.querySelectorAll('#tb-library tbody tr').length < {total}")
    kinds = page.locator("#tb-library tbody td:nth-child(2)").all_inner_texts()
    assert kinds and set(kinds) == {"Paper"}
    page.fill("#tb-lib-search input", "attention")
    page.wait_for_function(f"document.querySelectorAll('#tb-library tbody tr').length < {len(kinds)}")
    titles = page.locator("#tb-library tbody td:first-child a").all_inner_texts()
    assert titles and all("attention" in t.lower() for t in titles)
    shot(page, "library")


def rows(pg) -> int:
    return pg.locator("#tb-library tbody tr").count()


def test_library_topic_and_roadmap_filters_and_the_chinese_interface(page, real):
    open_tab(page, "library")
    page.wait_for_selector("#tb-library tbody tr")
    total = rows(page)
    choose(page, "#tb-lib-topic", real.curriculum.topic("ddpm").name.en)
    page.wait_for_function(f"document.querySelectorAll('#tb-library tbody tr').length < {total}")
    from tutorbot.urls import normalise_url

    links = page.locator("#tb-library tbody td:first-child a").evaluate_all("els => els.map(a => a.href)")
    assert {normalise_url(u) for u in links} & set(real.curriculum.topic("ddpm").resources)  # the topic's own
    choose(page, "#tb-lib-topic", "Any")
    page.wait_for_function(f"document.querySelectorAll('#tb-library tbody tr').length == {total}")
    choose(page, "#tb-lib-roadmap", "深度生成模型学习路线")
    page.wait_for_function(f"document.querySelectorAll('#tb-library tbody tr').length < {total}")
    assert all("深度生成模型学习路线" in r for r in page.locator("#tb-library tbody tr").all_inner_texts())
    page.locator("#tb-ui-lang label", has_text="中文").click()  # the interface itself switches language
    page.wait_for_function("document.querySelector('#tb-tab-library-button').innerText.includes('资源库')")
    assert page.locator("#tb-tab-chat-button").inner_text().strip() == "问答"
    shot(page, "library-zh")


def login(browser, url: str, name: str, locale: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale=locale)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    pg.fill("input[type=text]", name)
    pg.fill("input[type=password]", PASSWORD)
    pg.keyboard.press("Enter")
    wait_ready(pg)
    return context, pg


def test_with_login_a_second_learner_cannot_see_the_first_learners_conversations(browser, real):
    alice, bob = f"alice-{uuid.uuid4().hex[:6]}", f"bob-{uuid.uuid4().hex[:6]}"
    real.store.add_user(alice, PASSWORD)
    real.store.add_user(bob, PASSWORD)
    demo, url = start_app(real, require_login=True)
    try:
        ctx_a, pa = login(browser, url, alice, "en-US")
        ask(pa, SECRET_QUESTION)
        assert pa.locator("#tb-convs label", has_text=SECRET_QUESTION[:20]).count() == 1
        ctx_b, pb = login(browser, url, bob, "zh-CN")
        assert pb.locator("#tb-tab-chat-button").inner_text().strip() == "问答"  # browser language → Chinese UI
        assert bob in pb.locator("#tb-user").inner_text()
        time.sleep(2)  # let the conversation list load
        assert pb.locator("#tb-convs label").count() == 0
        assert SECRET_QUESTION[:20] not in pb.content()
        shot(pb, "login-second-user")
        ctx_a.close()
        ctx_b.close()
    finally:
        demo.close()


def subset_mirror(root: Path, urls: list[str]) -> Path:
    """A mirror of a few pages of the shared one (quick to embed), the rest reading "not in mirror"."""
    manifest = json.loads((SHARED / "linked" / "manifest.json").read_text(encoding="utf-8"))
    keep = [e for e in manifest if e["url"] in urls]
    for e in keep:
        (root / e["file"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SHARED / "linked" / e["file"], root / e["file"])
    (root / "manifest.json").write_text(json.dumps(keep), encoding="utf-8")
    return root


def test_status_line_counts_the_linked_pages_up_as_the_background_job_indexes_them(browser, indexed, tmp_path):
    from tutorbot.container import Container

    shutil.copytree(indexed.settings.data_dir, tmp_path / "data")  # the roadmaps' index, as `up` finds it
    mirror = subset_mirror(tmp_path / "mirror", ["https://arxiv.org/abs/1706.03762", "https://arxiv.org/abs/2205.14135v2"])
    c = Container(make_settings(tmp_path / "data", links={"mirror": mirror}), embedder=indexed.embedder)
    job = c.linked  # created, not started yet: the page must first show nothing indexed
    demo, url = start_app(c)
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    try:
        pg = context.new_page()
        pg.goto(url)
        linked = pg.locator("#tb-status #tb-linked")
        linked.wait_for(timeout=60_000)
        assert linked.inner_text().startswith(f"linked pages: 0 of {job.progress().total} indexed")
        job.start()
        pg.wait_for_function(  # the status line refreshes itself (every 20 s): no reload
            "document.querySelector('#tb-linked').innerText.startsWith('linked pages: 2 of')", timeout=180_000)
        assert job.wait(60) and job.progress().indexed == 2
        shot(pg, "status-linked-pages")
    finally:
        context.close()
        demo.close()
        job.stop()
