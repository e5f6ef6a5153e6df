"""The chat answer as the learner sees it (issue 20): corpus text shown as written, citations that open
their passage, and a final answer that only ever adds to what was streamed."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt
from test_chunking import CORPUS, count

from tutorbot.chat.markdown import parser
from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.corpus import load_corpus
from tutorbot.ingest.mojibake import Lexicon
from tutorbot.ui.render import allowed_set, safe_markdown

# The source as its author meant it to read, tildes included ("~~不学~~" is a joke, "3~6个月" a range).
AS_WRITTEN = MarkdownIt("commonmark", {"html": False, "linkify": True}).enable(["table", "linkify"])
CODE_OR_URL = re.compile(r"`+[^`]*`+|\]\([^)]*\)")


def visible(rendered: str) -> str:
    """What a reader sees of rendered HTML: tags dropped, entities decoded, no whitespace."""
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]+>", "", rendered)))


@pytest.fixture(scope="module")
def sections():
    documents = load_corpus(CORPUS, lexicon=Lexicon.from_jieba()).documents
    return [c for d in documents for c in chunk_document(d, 256, count)]


def test_every_roadmap_section_renders_with_every_character_and_nothing_struck_through(sections):
    assert len(sections) > 50
    for chunk in sections:
        md = safe_markdown(chunk.text, allowed_set(chunk.urls))
        rendered = parser().render(md)
        assert not re.search(r"<(?:del|s)\b", rendered), chunk.section
        # Gradio's renderer (marked) strikes a single "~" too: none may reach it unescaped.
        assert not re.search(r"(?<!\\)~", CODE_OR_URL.sub("", md)), chunk.section
        assert visible(rendered) == visible(AS_WRITTEN.render(chunk.text)), chunk.section


@pytest.mark.parametrize("text", ["学习计划概览（3~6个月）第1~3周", "~~不学，不如学前端就业~~", "a ~b~ c"])
def test_tildes_in_learner_and_corpus_text_are_shown_as_written(text):
    rendered = parser().render(safe_markdown(text, set()))
    assert "<del" not in rendered and "<s>" not in rendered
    assert visible(rendered) == re.sub(r"\s+", "", text)
