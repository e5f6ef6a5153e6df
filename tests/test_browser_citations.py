"""Citations in the real UI (issue 20): headless chromium, the real app over the real corpus (hash
embeddings, FakeLLM). A ``[n]`` in an answer opens the passage it cites; corpus tildes are not struck."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from conftest import make_settings, served, wait_ready

from tutorbot.llm.fake import FakeLLM

pytestmark = pytest.mark.browser

QUESTION = "学习计划概览（3~6个月）分为哪几个阶段？每个阶段建议持续多久？"
SOURCE = re.compile(r'<source n="1"[^>]*>(.*?)</source>', re.S)


def first_sentence_of_source_1(messages: list[dict]) -> str:
    """A model that states the first long sentence of source 1 and cites it (the truth gate lets it through)."""
    found = SOURCE.search(messages[-1]["content"])
    body = found.group(1) if found else ""
    sentence = next((s for s in re.split(r"(?<=[。！？.])\s*|\n", body) if len(s) > 12 and "#" not in s), "资料")
    return f"{sentence.strip()} [1]"




@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[str]:
    from tutorbot.container import Container

    root = tmp_path_factory.mktemp("cites")
    settings = make_settings(root / "data", embedding={"backend": "hash"},
                             retrieval={"min_score": -1, "min_score_topic": -1, "min_lexical": 0})
    c = Container(settings, llm=FakeLLM(first_sentence_of_source_1))
    c.ingest()
    with served(c) as url:
        yield url


def test_clicking_a_citation_marker_opens_its_passage_with_the_cited_sentence_highlighted(browser, app):
    page = browser.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(app)
        wait_ready(page)
        page.fill("#tb-question textarea", QUESTION)
        page.click("#tb-send")
        answer = page.locator("#tb-chatbot [data-testid=bot]").last
        marker = answer.locator("a.tb-cite-ref").first
        marker.wait_for()
        passage = page.locator(marker.get_attribute("href") or "#none")
        assert passage.count() == 1 and not passage.is_visible()
        marker.click()
        passage.wait_for(state="visible")
        assert passage.locator(".tb-passage-path").inner_text().strip()  # its place in the roadmap
        assert len(passage.locator(".tb-passage-text").inner_text()) > 20
        assert passage.locator("mark.tb-cited").count() >= 1  # the sentence the answer cites
        assert answer.locator("del, s").count() == 0  # "3~6个月" is never struck through
    finally:
        page.close()
