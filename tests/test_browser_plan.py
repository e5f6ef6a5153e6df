"""Week packing as the learner sees it in a real browser: a plan made in the Plan tab never puts more hours
in a week than the learner gave, opens each week with a reading list it can finish, and teaches
FlashAttention after the GPU programming it presupposes — on a desktop in English and on a phone in Chinese.
A learner who has saved no profile yet gets plans in the interface's language. A learner who asks the chat
where to start is offered a plan, which opens with what their question said.

Headless chromium against the real app over the real corpus with hash embeddings and a fake model (the
planner is deterministic; the model only writes advice). Screenshots go to ``test-artifacts/browser/``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import BROWSER_ARTIFACTS, make_settings, served, wait_ready

from tutorbot.llm.fake import FakeLLM

pytestmark = [pytest.mark.integration, pytest.mark.browser]

HOURS = 15
VIEWS = {"en": ({"width": 1366, "height": 900}, "en-US", "Chat"),
         "zh": ({"width": 390, "height": 844}, "zh-CN", "问答")}
GOAL = {"en": "LLM systems & inference", "zh": "大模型系统与推理"}
PLAN_LANG = {"en": "English", "zh": "中文"}
GPU = {"en": "GPU programming (CUDA & Triton)", "zh": "GPU 编程（CUDA 与 Triton）"}
# One row's cells as the learner reads them: week number, topics, hours, and how many resources it lists.
ROWS = """() => [...document.querySelectorAll('#tb-plan .tb-timeline tbody tr')].map(tr => ({
  topics: tr.children[1].innerText, hours: parseFloat(tr.children[2].innerText),
  resources: tr.children[3].querySelectorAll('.tb-kind').length}))"""


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[str]:
    from tutorbot.container import Container

    c = Container(make_settings(tmp_path_factory.mktemp("plan") / "data", embedding={"backend": "hash"}),
                  llm=FakeLLM("not json"))
    c.ingest()
    with served(c) as url:
        yield url


def open_page(browser, url: str, lang: str):
    viewport, locale, chat = VIEWS[lang]
    context = browser.new_context(viewport=viewport, locale=locale, is_mobile=viewport["width"] < 500)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(url)
    wait_ready(pg)
    pg.wait_for_function("(label) => document.querySelector('#tb-tab-chat-button').innerText.trim() === label",
                         arg=chat)
    return pg


def make_plan(pg, lang: str, weeks: int) -> list[dict]:
    """Goal, hours and weeks typed into the form; returns the timeline's rows once the plan has arrived."""
    pg.click("#tb-tab-plan-button")
    pg.wait_for_selector("#tb-tab-plan", state="visible")
    pg.click("#tb-goal input")
    pg.locator("[data-testid=dropdown-option]", has_text=GOAL[lang]).first.click()
    pg.fill("#tb-hours input", str(HOURS))
    pg.fill("#tb-weeks input", str(weeks))
    pg.locator("#tb-plan-lang label", has_text=PLAN_LANG[lang]).click()  # (a saved profile's language would win)
    old = "".join(pg.locator("#tb-plan .tb-timeline").all_inner_texts())  # the page may show an earlier plan
    pg.click("#tb-make-plan")
    pg.wait_for_function("(old) => { const t = document.querySelector('#tb-plan .tb-timeline');"
                         " return t !== null && t.innerText !== old; }", arg=old)
    return pg.evaluate(ROWS)


def test_a_learner_without_a_saved_profile_plans_in_the_interfaces_language(browser, app):
    pg = open_page(browser, app, "zh")  # (runs first: the tests below save a profile)
    pg.click("#tb-tab-plan-button")
    chinese = pg.locator("#tb-plan-lang label", has_text="中文").locator("input")
    chinese.wait_for(state="attached")
    pg.wait_for_function("(el) => el.checked", arg=chinese.element_handle())
    pg.context.close()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_week_is_over_budget_or_overloaded_and_flashattention_follows_gpu_programming(browser, app, lang):
    pg = open_page(browser, app, lang)
    rows = make_plan(pg, lang, weeks=40)
    assert len(rows) >= 10
    assert max(r["hours"] for r in rows) <= HOURS, [r["hours"] for r in rows]
    assert 1 <= rows[0]["resources"] <= 4, rows[0]  # the first week's reading list can be finished
    topics = "\n".join(r["topics"] for r in rows)
    assert GPU[lang] in topics and "FlashAttention" in topics
    assert topics.index(GPU[lang]) < topics.index("FlashAttention")
    pg.screenshot(path=str(BROWSER_ARTIFACTS / f"plan-packing-{lang}.png"), full_page=True)
    pg.context.close()


def test_asking_in_chat_where_to_start_offers_a_plan_that_opens_with_the_hours_read(browser, app):
    pg = open_page(browser, app, "en")
    pg.fill("#tb-question textarea", "I have 6 hours a week, where should I start?")
    pg.click("#tb-send")
    pg.wait_for_selector("#tb-open-plan", state="visible")
    pg.click("#tb-open-plan")
    pg.wait_for_selector("#tb-tab-plan", state="visible")
    pg.wait_for_function("() => document.querySelector('#tb-hours input').value === '6'")
    pg.context.close()


def test_a_learner_with_a_plan_asking_what_next_reads_their_current_week_with_cited_resources(browser, app):
    pg = open_page(browser, app, "en")
    first = make_plan(pg, "en", weeks=6)[0]["topics"].splitlines()[0]
    pg.click("#tb-tab-chat-button")
    pg.fill("#tb-question textarea", "What should I study next?")
    pg.click("#tb-send")
    pg.wait_for_function("() => [...document.querySelectorAll('#tb-chatbot [data-testid=bot]')]"
                         ".some(b => b.innerText.includes('You are in week 1 of your 6-week plan'))")
    answer = pg.locator("#tb-chatbot [data-testid=bot]").last
    assert first.split(" (")[0].strip("✔ ") in answer.inner_text()
    assert answer.locator(".tb-cite").count() >= 1  # each resource cited by the roadmap section recommending it
    assert not pg.locator("#tb-open-plan").is_visible()  # no offer of a plan they already have
    pg.context.close()
