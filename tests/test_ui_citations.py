"""The chat answer as the learner sees it (issue 20): corpus text shown as written, citations that open
their passage, and a final answer that only ever adds to what was streamed."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt
from test_chat_unit import HITS
from test_chat_unit import service as chat_service
from test_chunking import CORPUS, count

from tutorbot.chat.conversations import Conversations
from tutorbot.chat.markdown import parser
from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.corpus import load_corpus
from tutorbot.ingest.mojibake import Lexicon
from tutorbot.llm.errors import LLMBusy, LLMUnavailable
from tutorbot.llm.fake import FakeLLM
from tutorbot.schemas import Answer, Citation
from tutorbot.store.learner_store import LearnerStore
from tutorbot.ui import passages, render
from tutorbot.ui.chat_logic import ChatController
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


# -- citations open their passage -------------------------------------------------------------------
ROADMAP = Citation(n=1, source="roadmaps/a.txt", title="LLM Plan", section="阶段 1 > 基础", chunk_id="c1",
                   text="# 基础\n重点复习 PyTorch 的动态计算图。<b>3~6个月</b>。"
                        "Stanford CS336 builds an LLM from scratch.")
PAGE = Citation(n=2, source="https://notes.example.org/lora", title="LoRA notes", section="LoRA", chunk_id="c2",
                text="LoRA adds low-rank adapters to frozen weights. It is cheap.")
ANSWER = Answer(answer="CS336 builds an LLM from scratch [1]. LoRA adds low-rank adapters [2].",
                citations=[ROADMAP, PAGE])


def test_each_marker_links_to_the_passage_in_its_card():
    md = render.answer_markdown(ANSWER, "en", set(), key="3")
    assert md.count('class="tb-cite-ref"') == 2
    for n in (1, 2):
        assert f'<a class="tb-cite-ref" href="#tb-cite-3-{n}">[{n}]</a>' in md
        assert f'<div class="tb-passage" id="tb-cite-3-{n}">' in md
    assert md.count("<details") == 2  # one card per citation, the passage inside it


def test_a_roadmap_passage_shows_its_place_and_the_cited_sentence_highlighted_escaped():
    card = passages.passage_html(ROADMAP, "0", passages.cited_sentences(ANSWER.answer, 1), None)
    assert "LLM Plan › 阶段 1 › 基础" in card
    assert '<mark class="tb-cited">Stanford CS336 builds an LLM from scratch.</mark>' in card
    assert "&lt;b&gt;3~6个月&lt;/b&gt;" in card and "<b>" not in card  # as written, never markup
    assert card.count("<mark") == 1


def test_a_linked_pages_passage_shows_its_address():
    md = render.answer_markdown(ANSWER, "en", set(), key="0")
    passage = md[md.index('id="tb-cite-0-2"'):]
    assert 'href="https://notes.example.org/lora"' in passage and "LoRA notes › LoRA" in passage
    assert '<mark class="tb-cited">LoRA adds low-rank adapters to frozen weights.</mark>' in passage


def test_answers_in_different_turns_open_different_passages():
    assert render.answer_markdown(ANSWER, "en", set(), key="1") != render.answer_markdown(ANSWER, "en", set(), key="5")
    assert passages.anchor('x" onclick="y', 1) == "tb-cite-xonclicky-1"


def test_every_hit_given_to_the_answer_gets_a_card_with_its_whole_passage_numbered_without_gaps():
    answer = chat_service(FakeLLM("Stanford CS336 builds an LLM from scratch [2].")).ask("Which course builds an LLM?")
    assert [c.n for c in answer.citations] == list(range(1, len(HITS) + 1))
    assert [c.text for c in answer.citations] == [h.chunk.text for h in HITS]


# -- the final answer adds to what was streamed -----------------------------------------------------
class BusyLLM(FakeLLM):
    def busy(self) -> LLMBusy | None:
        return LLMBusy("the model is busy with other learners (you would be number 2 in line, about 40 s): "
                       "try again in a moment", position=1, estimate_s=40)


def shown_text(content: str) -> str:
    """What the learner reads of a chatbot message's answer: rendered, tags and cards and cursor dropped."""
    body = content.split('<div class="tb-cites">')[0].removesuffix(" ▌")
    return visible(parser().render(body))


REPLIES = {"verified": "Stanford CS336 builds an LLM from scratch [1]. 重点复习 PyTorch 的动态计算图 [1].",
           "partly-verified": "Stanford CS336 builds an LLM from scratch [1]. Bananas teach attention best [2].",
           "unverified": "Bananas teach attention best, and oranges explain diffusion [2].",
           "model-down": LLMUnavailable("LLM server at x is not reachable: start it"), "busy": "unused"}


def streamed_and_final(tmp_path, case: str, lang: str) -> tuple[list[str], str]:
    """Every re-render of one answer while it streamed, and the final one, as the learner read them."""
    llm = (BusyLLM if case == "busy" else FakeLLM)(REPLIES[case])
    with LearnerStore(f"sqlite:///{tmp_path / 'db.sqlite3'}", scrypt_n=2**10) as store:
        uid = store.add_user("ann", "pw-123456").id
        chat = chat_service(llm, tmp_path=tmp_path)
        chat.store = store
        ctl = ChatController(chat, Conversations(store), set(), interval=0)
        frames = [h[-1]["content"] for h, _, _ in ctl.ask(uid, None, "Which course builds an LLM from scratch?", [],
                                                           lang=lang, answer_lang="en", socratic=False)]
    return [shown_text(f) for f in frames[1:-1]], shown_text(frames[-1])


@pytest.mark.parametrize("case", list(REPLIES))
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_final_answer_shows_what_was_streamed_and_at_most_adds_to_it(tmp_path, case, lang):
    streamed, final = streamed_and_final(tmp_path, case, lang)
    assert streamed and final
    for text in streamed:
        assert final.startswith(text), (text, final)


@pytest.mark.parametrize("case", ["partly-verified", "unverified"])
def test_unverified_model_text_is_never_shown_and_the_answer_says_so_before_quoting_the_sources(tmp_path, case):
    streamed, final = streamed_and_final(tmp_path, case, "en")
    assert not any("Bananas" in text for text in [*streamed, final])
    assert "couldnotbeverifiedagainstthesources,soitisnotshown.Fromthesources:" in final


def test_every_roadmap_sections_card_is_one_html_line_showing_the_passage_as_written(sections):
    for chunk in sections:
        cite = Citation(n=1, source=chunk.source, title=chunk.title, section=chunk.section, text=chunk.text)
        cards = render.citation_cards([cite], "en", set(), "0", f"{chunk.text[:40]} [1]")
        assert "\n" not in cards  # a line break would end the HTML block: the rest would be read as markdown
        rendered = parser().render(f"An answer [1].\n\n{cards}")
        passage = rendered[rendered.index('class="tb-passage-text"'):]
        assert not re.search(r"<(?:del|s|table|strong|em)\b", passage), chunk.section
        assert visible(passage.split("</div>")[0] + "</div>").endswith(re.sub(r"\s+", "", chunk.text))


def test_a_marker_after_the_full_stop_cites_the_sentence_before_it():
    claims = passages.cited_sentences("LoRA adds low-rank adapters. [2] Next. **It** is cheap [1][2].", 2)
    assert claims == ["LoRA adds low-rank adapters.", "It is cheap ."]


def test_a_reopened_conversations_markers_still_open_their_passages(tmp_path):
    with LearnerStore(f"sqlite:///{tmp_path / 'db.sqlite3'}", scrypt_n=2**10) as store:
        uid = store.add_user("ann", "pw-123456").id
        chat = chat_service(FakeLLM(REPLIES["verified"]), tmp_path=tmp_path)
        chat.store = store
        ctl = ChatController(chat, Conversations(store), set(), interval=0)
        conv = None
        for question in ("Which course builds an LLM from scratch?", "And which builds one from scratch again?"):
            *_, (_, conv, _) = ctl.ask(uid, conv, question, [], lang="en", answer_lang="en", socratic=False)
        reopened = [m["content"] for m in ctl.open(uid, conv, "en") if m["role"] == "assistant"]
    ids = [set(re.findall(r'id="(tb-cite-[\w-]+)"', m)) for m in reopened]
    assert len(reopened) == 2 and not ids[0] & ids[1]  # each turn opens its own passages
    for message, passage_ids in zip(reopened, ids, strict=True):
        targets = set(re.findall(r'href="#(tb-cite-[\w-]+)"', message))
        assert targets and targets <= passage_ids
