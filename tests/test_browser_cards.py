"""The Quiz tab's flashcards in a real browser: review due cards one at a time (reveal, rate) and download
the learner's cards for Anki. Headless chromium against the real app over the real corpus with hash
embeddings and a fake model; the cards are planted in the learner store as answered quizzes leave them.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator

import pytest
from conftest import free_port, make_settings
from test_cards import question

from tutorbot.llm.fake import FakeLLM

pytestmark = pytest.mark.browser




@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """The app in local single-user mode, its learner holding two due cards."""
    from tutorbot.container import Container
    from tutorbot.ui import launch

    c = Container(make_settings(tmp_path_factory.mktemp("cards") / "data", embedding={"backend": "hash"}),
                  llm=FakeLLM("hi"))
    c.ingest()
    uid = c.store.get_or_create_local_user().id
    for qid, topic in (("q1", "attention_transformer"), ("q2", "diffusion_models")):
        c.store.upsert_card(uid, qid, topic=topic, front=f"Front of {qid}?", back=f"Back of {qid}.",
                            payload={"question": question(qid, topic)})
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}/", c
    demo.close()
    c.store.close()


def press(page, selector: str) -> None:
    """Scroll first, then click: a click that has to scroll the panel into view finds the button re-rendered
    (Gradio re-renders a button each time an update reaches it), so a detached one is looked up again."""
    from playwright.sync_api import Error

    for attempt in range(3):
        try:
            button = page.locator(selector)
            button.scroll_into_view_if_needed(timeout=10_000)
            return button.click(timeout=10_000)
        except Error:
            if attempt == 2:
                raise


def open_quiz_tab(page) -> None:
    """The Quiz tab, once its refresh has run (the export buttons are enabled last)."""
    page.click("#tb-tab-quiz-button")
    page.wait_for_selector("#tb-export-anki:not([disabled])")


def test_due_flashcards_are_revealed_rated_one_at_a_time_and_exported_for_anki(browser, app, tmp_path):
    url, c = app
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    open_quiz_tab(page)
    press(page, "#tb-flash-start")
    card = page.locator("#tb-flash-card")
    card.get_by_text("Card 1 of 2").wait_for()
    assert "Back of q1" not in card.inner_text()
    press(page, "#tb-flash-reveal")
    card.get_by_text("Back of q1.").wait_for()
    press(page, "#tb-flash-good")
    card.get_by_text("Card 2 of 2").wait_for()
    press(page, "#tb-flash-reveal")
    press(page, "#tb-flash-again")
    card.get_by_text("All 2 due flashcard(s) reviewed").wait_for()
    page.locator("#tb-quiz-due", has_text="No review cards are due").wait_for()  # "again": back in a minute
    uid = c.store.get_or_create_local_user().id
    assert sorted(r.rating for r in c.store.review_log(uid)) == [1, 3]
    with page.expect_download() as got:
        press(page, "#tb-export-anki")
    download = got.value
    assert download.suggested_filename == "tutorbot-flashcards.apkg"
    download.save_as(tmp_path / "deck.apkg")
    assert zipfile.is_zipfile(tmp_path / "deck.apkg")
    context.close()


def sign_in(browser, url: str, name: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", "pw-123456")
    page.keyboard.press("Enter")
    page.wait_for_selector("#tb-logout")
    return context, page


def test_a_learners_export_is_served_to_that_learner_only(browser, tmp_path):
    from tutorbot.container import Container
    from tutorbot.ui import launch

    c = Container(make_settings(tmp_path / "data", embedding={"backend": "hash"}), llm=FakeLLM("hi"))
    c.ingest()
    ann = c.store.add_user("ann", "pw-123456").id
    c.store.add_user("bob", "pw-123456")
    c.store.upsert_card(ann, "q1", topic="attention_transformer", front="Ann's secret card?", back="Yes.",
                        payload={"question": question("q1", "attention_transformer")})
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False, require_login=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        ann_ctx, ann_page = sign_in(browser, url, "ann")
        open_quiz_tab(ann_page)
        with ann_page.expect_download() as got:
            press(ann_page, "#tb-export-md")
        file_url = got.value.url
        assert "Ann's secret card?" in ann_page.request.get(file_url).text()
        bob_ctx, bob_page = sign_in(browser, url, "bob")
        assert bob_page.request.get(file_url).status == 404
        bob_ctx.close()
        ann_ctx.close()
    finally:
        demo.close()
        c.store.close()
