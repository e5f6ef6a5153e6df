"""The interface language and the Progress empty state in a real browser: a learner's choice survives a
reload and a new browser (kept per learner in the learner store) and is kept in the browser's
localStorage; a new learner's Progress tab says so in words. Headless chromium, the real app over the
real corpus with hash embeddings and a fake model.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import free_port, make_settings, wait_ready
from test_browser_cards import sign_in

from tutorbot.llm.fake import FakeLLM

pytestmark = pytest.mark.browser
SAVED = "localStorage.getItem('tutorbot.ui_lang')"


def launch_app(tmp_path, login: bool) -> Iterator[tuple[str, object]]:
    from tutorbot.container import Container
    from tutorbot.ui import launch

    c = Container(make_settings(tmp_path / "data", embedding={"backend": "hash"}), llm=FakeLLM("hi"))
    c.ingest()
    for name in ("ann", "bob") if login else ():
        c.store.add_user(name, "pw-123456")
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False, require_login=login)
    yield f"http://127.0.0.1:{port}/", c
    demo.close()
    c.store.close()


def open_page(browser, url: str):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_ready(page)
    return context, page


def choose_chinese(page) -> None:
    page.locator("#tb-ui-lang label", has_text="中文").click()
    page.locator("#tb-tab-quiz-button", has_text="测验").wait_for()


def test_the_chosen_language_survives_a_reload_and_a_new_browser_in_local_mode(browser, tmp_path):
    for url, c in launch_app(tmp_path, login=False):
        context, page = open_page(browser, url)
        choose_chinese(page)
        assert page.evaluate(SAVED) == "zh"
        page.reload()
        page.locator("#tb-tab-quiz-button", has_text="测验").wait_for()
        context.close()
        fresh, page = open_page(browser, url)  # no localStorage: the learner store remembers
        page.locator("#tb-tab-quiz-button", has_text="测验").wait_for()
        fresh.close()
        assert c.store.preferences(c.store.get_or_create_local_user().id) == {"ui_lang": "zh"}


def test_each_signed_in_learner_gets_their_own_language(browser, tmp_path):
    for url, _c in launch_app(tmp_path, login=True):
        ann_ctx, ann = sign_in(browser, url, "ann")
        choose_chinese(ann)
        ann_ctx.close()
        bob_ctx, bob = sign_in(browser, url, "bob")
        bob.locator("#tb-user", has_text="Signed in as").wait_for()  # the page has loaded, in English
        assert bob.locator("#tb-tab-quiz-button").inner_text().strip() == "Quiz"
        bob_ctx.close()
        ann_ctx, ann = sign_in(browser, url, "ann")
        ann.locator("#tb-user", has_text="当前用户").wait_for()
        assert ann.locator("#tb-tab-quiz-button").inner_text().strip() == "测验"
        ann_ctx.close()


def test_a_new_learners_progress_tab_says_no_reviews_yet_instead_of_an_empty_chart(browser, tmp_path):
    for url, _c in launch_app(tmp_path, login=False):
        context, page = open_page(browser, url)
        page.click("#tb-tab-progress-button")
        page.locator("#tb-progress-empty", has_text="No reviews yet").wait_for()
        assert not page.locator("#tb-forecast").is_visible() and not page.locator("#tb-mastery").is_visible()
        assert "0.000000" not in page.locator("#tb-tab-progress").inner_text()
        context.close()
