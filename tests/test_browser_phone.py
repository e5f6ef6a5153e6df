"""The web UI on a phone (390×844, the issue's size) in a real browser, in English and Chinese.

Headless chromium against the real app over the real corpus with hash embeddings and a fake model that
states and cites a sentence of its first source (no LLM server needed). A learner on a phone must reach
all five tabs, see the question box on the first screen, ask, open a citation's passage, take a quiz,
export Anki and see progress, with the page never scrolling sideways; the tab bar and radio groups work
from the keyboard. Screenshots of every tab at phone size go to ``test-artifacts/browser/phone-*.png``.
"""

from __future__ import annotations

import time
import zipfile
from collections.abc import Iterator

import pytest
from conftest import BROWSER_ARTIFACTS, make_settings, served, wait_ready
from test_browser_citations import QUESTION, first_sentence_of_source_1
from test_cards import question

from tutorbot.llm.fake import FakeLLM

pytestmark = [pytest.mark.integration, pytest.mark.browser]

WIDTH, HEIGHT = 390, 844
TABS = ("chat", "plan", "quiz", "progress", "library")
LOCALES = {"en": "en-US", "zh": "zh-CN"}
CHAT_LABEL = {"en": "Chat", "zh": "问答"}
DAY = {"en": r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{1,2}$", "zh": r"^\d{1,2}月\d{1,2}日 周[一二三四五六日]$"}
HISTORY_CELLS = '#tb-history [data-testid^="cell-"]'
PAGE_WIDTH = "document.documentElement.scrollWidth"
# Where an element sits in the document, not the viewport: autofocus may already have scrolled the page.
DOC_BOX = """(sel) => { const b = document.querySelector(sel).getBoundingClientRect();
  return {top: b.top + window.scrollY, bottom: b.bottom + window.scrollY, left: b.left, right: b.right}; }"""


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[str]:
    """The app in local mode; its learner holds two due flashcards, so the Anki export has cards."""
    from tutorbot.container import Container

    settings = make_settings(tmp_path_factory.mktemp("phone") / "data", embedding={"backend": "hash"},
                             retrieval={"min_score": -1, "min_score_topic": -1, "min_lexical": 0})
    c = Container(settings, llm=FakeLLM(first_sentence_of_source_1))
    c.ingest()
    uid = c.store.get_or_create_local_user().id
    for qid, topic in (("q1", "attention_transformer"), ("q2", "diffusion_models")):
        c.store.upsert_card(uid, qid, topic=topic, front=f"Front of {qid}?", back=f"Back of {qid}.",
                            payload={"question": question(qid, topic)})
    with served(c) as url:
        yield url


def phone(browser, url: str, lang: str = "en"):
    """A fresh phone-sized page in ``lang`` (the browser's language picks the interface's)."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, locale=LOCALES[lang],
                                  is_mobile=True, has_touch=True, device_scale_factor=2, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_ready(page)
    page.wait_for_function("(label) => document.querySelector('#tb-tab-chat-button').innerText.trim() === label",
                           arg=CHAT_LABEL[lang])
    return page


def open_tab(page, key: str) -> None:
    page.click(f"#tb-tab-{key}-button")
    page.wait_for_selector(f"#tb-tab-{key}", state="visible")


def shot(page, name: str) -> None:
    time.sleep(1.0)  # let charts and transitions settle
    page.screenshot(path=str(BROWSER_ARTIFACTS / f"{name}.png"), full_page=True)


def assert_no_sideways_scroll(page, where: str) -> None:
    width = page.evaluate(PAGE_WIDTH)
    assert width <= WIDTH, f"{where}: the page is {width} px wide on a {WIDTH} px phone"


def assert_every_tab_button_in_view(page) -> None:
    for key in TABS:
        button = page.locator(f"#tb-tab-{key}-button")
        assert button.is_visible(), f"the {key} tab is hidden (behind an overflow menu?)"
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"the {key} tab is cut off: {box}"
    assert not page.locator("#tb-tabs [aria-label='More tabs']").is_visible()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_on_a_phone_every_tab_is_in_reach_and_none_scrolls_sideways(browser, app, lang):
    page = phone(browser, app, lang)
    try:
        title = page.locator("#tb-title p").bounding_box()
        line = page.evaluate("parseFloat(getComputedStyle(document.querySelector('#tb-title p')).lineHeight)")
        assert title and title["height"] <= 2 * line + 2, f"the title takes more than two lines: {title}"
        box = page.evaluate(DOC_BOX, "#tb-question textarea")
        assert box["bottom"] < HEIGHT, f"the question box is below the first screen: {box}"
        assert_every_tab_button_in_view(page)
        for key in TABS:
            open_tab(page, key)
            assert_no_sideways_scroll(page, f"{key} tab")
            shot(page, f"phone-{key}-{lang}")
        # the review forecast (two cards are due) names its days in the interface's language
        page.wait_for_function("(re) => [...document.querySelectorAll('#tb-forecast svg text')]"
                               ".some(t => new RegExp(re).test(t.textContent))", arg=DAY[lang])
    finally:
        page.context.close()


def test_on_a_phone_the_conversation_list_is_a_closed_drawer_that_opens(browser, app):
    page = phone(browser, app)
    try:
        toggle = page.locator("#tb-convs-drawer .label-wrap")
        page.wait_for_function("!document.querySelector('#tb-convs-drawer .label-wrap').classList.contains('open')")
        new = page.locator("#tb-convs-drawer button", has_text="New")  # the drawer's first button
        assert not new.is_visible()
        toggle.click()
        new.wait_for(state="visible")
        assert_no_sideways_scroll(page, "the open drawer")
    finally:
        page.context.close()


def test_on_a_phone_a_learner_asks_and_opens_a_citations_passage_without_sideways_scroll(browser, app):
    page = phone(browser, app)
    try:
        page.fill("#tb-question textarea", QUESTION)
        page.click("#tb-send")
        marker = page.locator("#tb-chatbot [data-testid=bot]").last.locator("a.tb-cite-ref").first
        marker.wait_for()
        passage = page.locator(marker.get_attribute("href") or "#none")
        marker.click()
        passage.wait_for(state="visible")
        box = passage.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, f"the passage is cut off: {box}"
        assert_no_sideways_scroll(page, "an answer with its passage open")
        shot(page, "phone-chat-passage")
    finally:
        page.context.close()


def test_on_a_phone_a_learner_takes_a_quiz_exports_anki_and_sees_progress(browser, app, tmp_path):
    page = phone(browser, app)
    try:
        open_tab(page, "quiz")
        page.wait_for_selector("#tb-export-anki:not([disabled])")
        # Two questions: the hash embeddings' fake index holds only two valid ones of the default kinds.
        page.locator("#tb-quiz-n input[type=range]").fill("2")
        page.click("#tb-quiz-start")
        for _ in range(2):
            # The question's text and its answer field arrive in one update, but are drawn one after the other.
            page.locator("#tb-quiz-choice label:visible, #tb-quiz-text textarea:visible").first.wait_for()
            if page.locator("#tb-quiz-choice").is_visible():
                page.locator("#tb-quiz-choice label").first.click()
            else:
                page.fill("#tb-quiz-text textarea", "attention")
            page.click("#tb-quiz-submit")
            page.wait_for_selector("#tb-quiz-next", state="visible")
            assert_no_sideways_scroll(page, "a quiz question with its feedback")
            page.click("#tb-quiz-next")
        page.wait_for_function("document.querySelector('#tb-quiz-score').innerText.includes('of 2 points')")
        shot(page, "phone-quiz-feedback")
        page.locator("#tb-export-anki").scroll_into_view_if_needed()
        with page.expect_download() as download:
            page.click("#tb-export-anki")
        saved = tmp_path / "cards.apkg"
        download.value.save_as(saved)
        assert zipfile.is_zipfile(saved)
        open_tab(page, "progress")
        page.wait_for_function(f"document.querySelectorAll('{HISTORY_CELLS}').length >= 2")
        history = page.locator("#tb-history").bounding_box()
        assert history and history["x"] + history["width"] <= WIDTH, f"the history table is cut off: {history}"
        assert_no_sideways_scroll(page, "the progress tab with a history")
        shot(page, "phone-progress-history")
    finally:
        page.context.close()


def test_arrow_keys_move_between_tabs_and_tab_leaves_the_tab_bar(browser, app):
    page = phone(browser, app)
    try:
        page.focus("#tb-tab-chat-button")
        page.keyboard.press("ArrowRight")
        page.wait_for_selector("#tb-tab-plan", state="visible")
        assert page.get_attribute("#tb-tab-plan-button", "aria-selected") == "true"
        assert page.evaluate("document.activeElement.id") == "tb-tab-plan-button"
        page.keyboard.press("ArrowLeft")
        page.wait_for_selector("#tb-tab-chat", state="visible")
        page.keyboard.press("End")
        page.wait_for_selector("#tb-tab-library", state="visible")
        page.wait_for_function("document.querySelector('#tb-tab-chat-button').tabIndex === -1")
        page.keyboard.press("Tab")  # only the selected tab is a tab stop: Tab goes on into the page
        assert page.evaluate("document.activeElement.getAttribute('role')") != "tab"
    finally:
        page.context.close()


def test_a_radio_group_is_one_tab_stop(browser, app):
    page = phone(browser, app)
    try:
        page.wait_for_function("document.querySelectorAll('#tb-ui-lang input[name^=tb-radio-]').length === 2")
        page.focus("#tb-ui-lang input[value=en]")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.value") != "zh", "each option of the group was a tab stop"
    finally:
        page.context.close()
