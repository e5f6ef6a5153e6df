"""Link and image spellings in the real UI renderer (issue 14): headless chromium, Gradio's own markdown.

First the renderer itself: every spelling of ``injection_payloads.LINK_SPELLINGS`` shown raw and shown
after ``ui.render.safe_markdown``, in a chatbot configured like the chat tab's, so the page proves the
raw spellings do become links (the probe can fail) and the sanitised ones do not. Then the real app
(hash embeddings, FakeLLM, a roadmap planted with every spelling): a model that writes them all, and
the quoting fallback when the model is down, stream and finish without one foreign link or image.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator

import gradio as gr
import pytest
from conftest import free_port, make_settings, wait_ready
from injection_payloads import EVIL, LINK_SPELLINGS

from tutorbot.llm.client import LLMError
from tutorbot.llm.fake import FakeLLM
from tutorbot.settings import PROJECT_ROOT
from tutorbot.ui.render import allowed_set, safe_markdown
from tutorbot.urls import normalise_url

pytestmark = pytest.mark.browser

COURSE = "https://stanford-cs336.github.io/spring2025"
CONTROL = f"\n\nThen take [CS336]({COURSE})."  # an allowed link: it must stay clickable
PAGE = "https://notes.example.org/lora"  # an untrusted linked page, planted like the roadmap
PAGE_EVIL = f"page.{EVIL}"  # the host the page's spellings point at: nothing may ever link there
# Per chatbot message: where each link goes (as the browser resolved it) and every image. The app's own
# in-page links from a "[n]" to its passage ("#tb-cite-…") go nowhere else.
LINKS = """(sel) => [...document.querySelectorAll(sel + ' [data-testid=bot]')].map(m => ({
  links: [...m.querySelectorAll('a[href]')].filter(a => !a.closest('button') && a.getAttribute('href') !== '#'
                                                    && !/^#tb-cite-[0-9]+-[0-9]+$/.test(a.getAttribute('href')))
         .map(a => a.href),
  images: [...m.querySelectorAll('img')].map(i => i.getAttribute('src'))}))"""
WATCH = """() => { window.tbSeen = [];
  new MutationObserver(() => { for (const el of document.querySelectorAll(
      '#tb-chatbot a[href]:not([href^="#tb-cite-"]), #tb-chatbot img'))
    window.tbSeen.push(el.href || el.src || el.outerHTML); })
  .observe(document.body, {subtree: true, childList: true, attributes: true}); }"""


def foreign(shown: dict, allowed: set[str]) -> list[str]:
    return [u for u in shown["links"] if normalise_url(u) not in allowed] + shown["images"]




def chatbot(elem_id: str, texts: list[str]) -> gr.Chatbot:
    """A chatbot with the chat tab's rendering options, one bot message per text."""
    history = [m for i, t in enumerate(texts) for m in ({"role": "user", "content": f"#{i}"},
                                                       {"role": "assistant", "content": t})]
    return gr.Chatbot(value=history, sanitize_html=True, allow_tags=False, layout="bubble", elem_id=elem_id)


def test_the_ui_renderer_links_none_of_the_spellings_once_sanitised(browser):
    allowed = allowed_set([COURSE])
    with gr.Blocks() as demo:
        chatbot("raw", [s + CONTROL for s in LINK_SPELLINGS])
        chatbot("safe", [safe_markdown(s + CONTROL, allowed) for s in LINK_SPELLINGS])
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False)
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function(f"document.querySelectorAll('#safe [data-testid=bot]').length == {len(LINK_SPELLINGS)}")
        raw, safe = page.evaluate(LINKS, "#raw"), page.evaluate(LINKS, "#safe")
        page.close()
    finally:
        demo.close()
    made = [s for s, r in zip(LINK_SPELLINGS, raw, strict=True) if foreign(r, allowed)]
    assert len(made) >= 35, f"the renderer made links of only {len(made)} raw spellings: the probe is broken"
    leaks = {s: r for s, r in zip(LINK_SPELLINGS, safe, strict=True) if foreign(r, allowed)}
    assert leaks == {}
    assert {s: r for s, r in zip(LINK_SPELLINGS, safe, strict=True) if len(r["links"]) != 1} == {}  # the control


@pytest.fixture(scope="module")
def poisoned_app(tmp_path_factory) -> Iterator[tuple[str, set[str]]]:
    """The real app over the real corpus plus a roadmap and a linked page holding every spelling; a
    model that repeats them all, or (for questions asking for the fallback) a model server that is down.
    Yields the app's URL and what its answers may link to: the catalog and the roadmaps' own links
    (the roadmaps are trusted: a link written in one is a recommendation, even to the planted host)."""
    from tutorbot.container import Container
    from tutorbot.schemas import Document
    from tutorbot.ui import launch

    root = tmp_path_factory.mktemp("poisoned")
    shutil.copytree(PROJECT_ROOT / "corpus", root / "corpus")
    notes = "\n\n".join(f"## LoRA 微调笔记 {i}\n\nLoRA 用低秩矩阵微调大模型。{s}" for i, s in enumerate(LINK_SPELLINGS))
    (root / "corpus" / "roadmaps" / "notes.md").write_text(f"# 学习笔记\n\n{notes}\n", encoding="utf-8")
    page = Document(id=PAGE, title="LoRA notes", kind="linked", trusted=False, lang="zh",
                    text=notes.replace(EVIL, PAGE_EVIL), linked_from=["roadmaps/notes.md > 学习笔记"])

    def model(messages: list[dict]) -> str:
        if "fallback" in messages[-1]["content"]:
            raise LLMError("the model server is down")
        spellings = " ".join(LINK_SPELLINGS)  # the answer gate may drop sentences; the links are the test
        return f"LoRA 微调 [1]. {spellings} {spellings.replace(EVIL, PAGE_EVIL)}{CONTROL}"

    settings = make_settings(root / "data", corpus_dir=root / "corpus", embedding={"backend": "hash"},
                             retrieval={"min_score": -1, "min_score_topic": -1, "min_lexical": 0})
    c = Container(settings, llm=FakeLLM(model))
    c.ingest(linked=[page])
    trusted = {u for ch in c.retriever.chunks if ch.trusted for u in ch.urls} | {PAGE}
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False)
    yield f"http://127.0.0.1:{port}/", {normalise_url(u) for u in trusted} | c.chat.catalog_urls
    demo.close()
    c.store.close()


@pytest.mark.parametrize("question", ["LoRA 微调笔记推荐什么资料？", "LoRA 微调笔记 fallback 推荐什么？"],
                         ids=["model-writes-every-spelling", "fallback-quotes-the-poisoned-sources"])
def test_the_chat_links_only_catalog_and_roadmap_urls_while_streaming_and_after(browser, poisoned_app, question):
    url, allowed = poisoned_app
    page = browser.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    wait_ready(page)
    page.evaluate(WATCH)
    page.fill("#tb-question textarea", question)
    page.click("#tb-send")
    page.locator("#tb-chatbot [data-testid=bot] .tb-cite").first.wait_for()
    time.sleep(0.5)  # the final render
    shown = page.evaluate(LINKS, "#tb-chatbot")[-1]
    seen = page.evaluate("window.tbSeen")
    text = page.locator("#tb-chatbot [data-testid=bot]").last.inner_text()
    page.close()
    assert "低秩矩阵" in text  # the planted sections were quoted or answered from
    assert foreign(shown, allowed) == [] and [u for u in seen if normalise_url(u) not in allowed] == []
    assert not [u for u in seen if PAGE_EVIL in u]  # links from an untrusted page are never allowed
    if "fallback" not in question:  # positive control: this answer does link out, so the probe can see links
        assert shown["links"]


def test_signing_in_through_the_form_and_out_with_the_button_in_a_real_browser(browser, tmp_path):
    """The login form (a multipart POST through the sign-in throttle) and the sign-out button (a POST
    now): the session ends, and a GET of /logout, as a link on another site would send, is refused."""
    from tutorbot.container import Container
    from tutorbot.ui import launch

    c = Container(make_settings(tmp_path / "data", embedding={"backend": "hash"}), llm=FakeLLM("hi"))
    c.ingest()
    c.store.add_user("lena", "correct horse battery")
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False, require_login=True)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.goto(f"http://127.0.0.1:{port}/")
        page.fill("input[type=text]", "lena")
        page.fill("input[type=password]", "correct horse battery")
        page.keyboard.press("Enter")
        page.wait_for_selector("#tb-logout")
        assert page.request.get(f"http://127.0.0.1:{port}/logout", max_redirects=0).status == 405
        assert page.request.get(f"http://127.0.0.1:{port}/config").status == 200  # still signed in
        page.click("#tb-logout")
        page.wait_for_selector("input[type=password]")
        assert page.request.get(f"http://127.0.0.1:{port}/config").status == 401
    finally:
        context.close()
        demo.close()
        c.store.close()
