"""Chat controls in a real browser: Stop never shows an error, delete deletes, the list is dated and searchable.

Headless chromium against the real app (real embeddings and index over the real corpus), talking over
HTTP to a loopback OpenAI-compatible server that streams word by word: one sentence the sources support
(so the truth gate shows it), then an unfinished run of words (so the answer keeps streaming, unshown,
for as long as the pace says). Every error Gradio puts on the page (a toast, a status badge) is recorded
from the page's first moment, so one that comes and goes between two checks is still caught.
"""

from __future__ import annotations

import itertools
import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from conftest import free_port, make_settings, wait_ready
from fake_openai import FakeOpenAI, chunk
from test_browser_truth import QUESTION_EN, QUESTION_ZH, supported_sentence

from tutorbot.ui.i18n import t

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ANSWER_S = 120
ZONE = "Asia/Tokyo"
PACE = {"every_s": 0.002}  # seconds between the model's made-up words; the Stop test slows them down
# 300 different made-up words: no 8 of them repeat, so the loop guard never cuts the stream short.
FILLER = ["".join(p) for p in itertools.product(("ka", "lo", "mi", "ne", "su", "ta", "ri"), repeat=3)][:300]
RECORD_ERRORS = """
window.tbErrors = [];
new MutationObserver(() => {
  for (const e of document.querySelectorAll('.toast-body.error, [data-testid=status-tracker] .error')) {
    if (!e.dataset.tbSeen) { e.dataset.tbSeen = '1'; window.tbErrors.push(e.outerHTML.slice(0, 300)); }
  }
}).observe(document, {subtree: true, childList: true});
"""
STREAMING = """(before) => { const bots = document.querySelectorAll('#tb-chatbot [data-testid=bot]');
  return bots.length > before && bots[bots.length - 1].innerText.includes('▌')
         && bots[bots.length - 1].innerText.length > 20; }"""
FINISHED = """(before) => { const bots = document.querySelectorAll('#tb-chatbot [data-testid=bot]');
  if (bots.length <= before) return false;
  const text = bots[bots.length - 1].innerText.trim();
  return text.length > 1 && !text.includes('▌'); }"""


def streaming_answer(h) -> None:
    """The supported sentence, cited, at once (the gate wants a first sentence within its deadline), then
    300 made-up words with no sentence end (held back by the gate), one per ``PACE`` seconds."""
    prompt = h.body.get("messages", [{}])[-1].get("content", "")
    sentence, n = supported_sentence(prompt)
    first = re.findall(r"\S+\s*", f"{sentence} [{n}]. ")
    h.start_stream()
    for i, word in enumerate([*first, *(f"{w} " for w in FILLER)]):
        time.sleep(0.002 if i < len(first) else PACE["every_s"])
        if not h.event(chunk(word)):
            return  # the app closed the stream (Stop): stop streaming too
    h.event(chunk("", "stop"))
    h.send(b"data: [DONE]\n\n")


class App(NamedTuple):
    url: str
    container: Any


@pytest.fixture(scope="module")
def app(indexed, tmp_path_factory) -> Iterator[App]:
    from tutorbot.container import Container
    from tutorbot.ui import launch

    root = tmp_path_factory.mktemp("controls")
    shutil.copytree(indexed.settings.data_dir, root / "data")  # the roadmaps' index, embedded for real
    with FakeOpenAI(streaming_answer) as fake:
        c = Container(make_settings(root / "data", llm={"base_url": fake.url}), embedder=indexed.embedder)
        port = free_port()
        demo = launch(c, host="127.0.0.1", port=port, block=False)
        yield App(f"http://127.0.0.1:{port}/", c)
        demo.close()
        c.store.close()


@pytest.fixture
def page(browser, app):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US", timezone_id=ZONE)
    context.add_init_script(RECORD_ERRORS)
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    load(pg, app.url)
    yield pg
    context.close()


def load(pg, url: str) -> None:
    pg.goto(url)
    wait_ready(pg)


def bots(pg) -> Any:
    return pg.locator("#tb-chatbot [data-testid=bot]")


def ask(pg, question: str) -> None:
    before = bots(pg).count()
    pg.fill("#tb-question textarea", question)
    pg.click("#tb-send")
    try:
        pg.wait_for_function(FINISHED, arg=before, timeout=ANSWER_S * 1000)
    except Exception as exc:  # say what the page showed instead
        raise AssertionError(f"no answer to {question!r}: {bots(pg).all_inner_texts()[-1:]}") from exc
    pg.wait_for_selector("#tb-send", state="visible")


def new_conversation(pg) -> None:
    pg.click("text=+ New conversation")
    pg.wait_for_function("() => !document.querySelector('#tb-chatbot [data-testid=bot]')")  # counts start at 0


def listed(pg) -> list[str]:
    return [s.strip() for s in pg.locator("#tb-convs label").all_inner_texts()]


def search(pg, text: str) -> list[str]:
    pg.fill("#tb-conv-search input", text)
    pg.wait_for_timeout(1200)  # the list is re-sent on each edit; let the last one land
    return listed(pg)


def open_conversation(pg, title_start: str) -> None:
    pg.locator("#tb-convs label", has_text=title_start).first.click()
    pg.wait_for_function("() => document.querySelectorAll('#tb-chatbot [data-testid=bot]').length > 0")


def assert_no_errors(pg) -> None:
    assert pg.evaluate("window.tbErrors") == [], pg.evaluate("window.tbErrors")


def test_the_list_is_dated_and_searchable_and_the_trash_icon_deletes_for_good(page, app):
    store = app.container.store
    uid = store.get_or_create_local_user().id
    for conv in store.list_conversations(uid):  # another test's conversations: a clean list to count on
        store.delete_conversation(uid, conv.id)
    load(page, app.url)
    ask(page, QUESTION_ZH)
    new_conversation(page)
    ask(page, QUESTION_EN)
    labels = listed(page)
    assert len(labels) == 2, labels
    local = datetime.now(ZoneInfo(ZONE))
    shown = {(local - timedelta(minutes=m)).strftime("today %H:%M") for m in range(4)}
    assert all(any(label.endswith(s) for s in shown) for label in labels), (labels, shown)  # browser zone, no "UTC"
    assert [lb.startswith("学习扩散模型") for lb in search(page, "扩散")] == [True]
    assert [lb.startswith("What should I learn") for lb in search(page, "TRANSFORMER")] == [True]
    assert search(page, "nothing like this") == [] and len(search(page, "")) == 2
    page.locator("#tb-chatbot").get_by_role("button", name=re.compile("^Clear")).click()  # the trash icon
    page.wait_for_function("() => document.querySelectorAll('#tb-convs label').length === 1")
    load(page, app.url)  # a reload asks the store: the deleted conversation does not come back
    page.wait_for_function("() => document.querySelectorAll('#tb-convs label').length === 1")
    assert listed(page)[0].startswith("学习扩散模型") and search(page, "transformer") == []
    search(page, "")
    open_conversation(page, "学习扩散模型")
    assert bots(page).count() == 1  # the other conversation kept its turns
    assert [c.title[:6] for c in store.list_conversations(uid)] == ["学习扩散模型"]
    assert_no_errors(page)


def test_stop_during_streaming_never_shows_an_error_and_each_stopped_turn_is_kept_marked(page, app):
    PACE["every_s"] = 0.06  # 300 words: about 18 seconds of streaming to stop
    note = t("en", "chat.stopped")
    new_conversation(page)
    try:
        for attempt in range(4):
            before = bots(page).count()
            page.fill("#tb-question textarea", QUESTION_EN)
            page.click("#tb-send")
            page.wait_for_function(STREAMING, arg=before, timeout=ANSWER_S * 1000)
            page.wait_for_timeout(250 * attempt)  # stop at different points of the stream
            page.click("#tb-stop")
            page.wait_for_selector("#tb-send", state="visible")
            page.wait_for_function("(note) => { const b = document.querySelectorAll('#tb-chatbot [data-testid=bot]');"
                                   " return b.length && b[b.length - 1].innerText.includes(note); }", arg=note)
            page.wait_for_timeout(1500)  # an error badge would show by now
            assert_no_errors(page)
            assert "▌" not in bots(page).last.inner_text()
    finally:
        PACE["every_s"] = 0.002
    load(page, app.url)
    open_conversation(page, "What should I learn")
    page.wait_for_function("() => document.querySelectorAll('#tb-chatbot [data-testid=bot]').length === 4")
    assert all(note in text for text in bots(page).all_inner_texts())
    assert_no_errors(page)
