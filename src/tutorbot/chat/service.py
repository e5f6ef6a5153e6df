"""Chat service: question → standalone query → retrieval → grounding → verified answer → saved turn.

Correctness does not rest on the model: grounding is decided by retrieval scores before the model
is called, and the model's text reaches the learner only through the truth gate (``chat.answer``):
each sentence supported by a source it cites, or dropped; when too little survives, or the model is
down, the best source sentences are quoted instead. Conversations are stored per learner.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from tutorbot.chat.answer import AnswerWriter, Draft, Written, evidence_of
from tutorbot.chat.background import names_asked
from tutorbot.chat.citations import build_citations, link_urls, redact_leaks, sanitize
from tutorbot.chat.compose import outlines_of
from tutorbot.chat.next_step import Standing, next_step_answer
from tutorbot.chat.scope import asks_what_next, asks_where_to_start, in_scope, searched_for, wants_plan
from tutorbot.errors import TutorbotError
from tutorbot.lang import QUESTION_ZH, Language, detect_lang
from tutorbot.llm.client import LLMClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.follow import Followed, followed, leading
from tutorbot.retrieval.grounding import values_first
from tutorbot.retrieval.retriever import Retriever
from tutorbot.schemas import Answer, CatalogEntry, GateReport, Hit
from tutorbot.settings import Settings
from tutorbot.store.base import NotFound
from tutorbot.verify.support import SupportChecker

if TYPE_CHECKING:
    from tutorbot.store.learner_store import LearnerStore

MAX_QUESTION_CHARS = 4000
FOLLOW_UP = re.compile(r"^(and|what about|how about|also|its?|their|they|this|that|those|these|then|why)\b"
                       r"|\b(it|its|they|them|their|this one|that one)\b|^(那|这|它|其|还有|那么|那它|这个|那个)", re.I)
TEXT = {
    "en": {"not_covered": "The roadmaps do not cover this. Nearest topics they do cover: {topics}.",
           "lang": "English"},
    "zh": {"not_covered": "路线图没有涉及这个问题。它们涵盖的相近主题：{topics}。",
           "lang": "Chinese (简体中文)"},
}


class ChatInputError(TutorbotError, ValueError):
    """The question cannot be asked as given; the message says why, ``reason`` says which case."""

    def __init__(self, message: str, reason: Literal["empty"]) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class ChatEvent:
    kind: Literal["delta", "done"]
    text: str = ""
    answer: Answer | None = None


@dataclass
class Turn:
    role: str
    content: str
    meta: dict = field(default_factory=dict)


def question_language(text: str) -> Language:
    return detect_lang(text, zh_from=QUESTION_ZH)


def cut_question(question: str) -> tuple[str, int]:
    """The question as chat asks it, and its length when it was cut to its first ``MAX_QUESTION_CHARS``
    characters (0 when asked whole): every face tells the learner of the cut, none cuts silently."""
    q = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question or "")
    q = q.encode("utf-8", "replace").decode("utf-8").strip()
    if not q:
        raise ChatInputError("the question is empty: type a question about the roadmaps", "empty")
    if len(q) > MAX_QUESTION_CHARS:
        return q[:MAX_QUESTION_CHARS].rstrip(), len(q)
    return q, 0


def clean_question(question: str) -> str:
    return cut_question(question)[0]


def standalone_query(question: str, history: list[Turn]) -> str:
    """Deterministic follow-up rewrite: a short, pronoun-led question inherits the last question."""
    previous = [t.content for t in history if t.role == "user"]
    if previous and (FOLLOW_UP.search(question) or len(question.split()) <= 3 and len(question) < 16):
        return f"{previous[-1]} {question}"
    return question


def format_sources(hits: list[Hit], max_chars: int = 700) -> str:
    blocks = []
    for n, h in enumerate(hits, 1):
        c = h.chunk
        body = c.text[:max_chars].replace("</source>", "")
        head = " > ".join(p for p in (c.title, c.section) if p)
        blocks.append(f'<source n="{n}" title="{head}">\n{body}\n</source>')
    return "\n".join(blocks)


def format_history(history: list[Turn], max_chars: int = 400) -> str:
    return "\n".join(f"{t.role}: {t.content[:max_chars]}" for t in history) or "(none)"


CITE_MARK = re.compile(r"\[\d{1,3}\]")


class ChatService:
    """Grounded, cited, streamed answers; conversations persisted per learner."""

    def __init__(self, settings: Settings, retriever: Retriever, llm: LLMClient, prompts: PromptLibrary,
                 store: LearnerStore, catalog: list[CatalogEntry],
                 names_topic: Callable[[str], bool] = lambda q: False,
                 standing: Callable[[int], Standing | None] = lambda user: None,
                 name_of: Callable[[str, str], str] = lambda topic, lang: topic):
        """``standing`` reads a learner's plan and progress, ``name_of`` names a topic in a language:
        with them "what should I study next?" is answered from the learner's own plan."""
        self.settings, self.retriever, self.llm, self.prompts, self.store = settings, retriever, llm, prompts, store
        self.names_topic, self.standing, self.name_of = names_topic, standing, name_of
        self.catalog_urls = {e.url for e in catalog if e.url}
        self.catalog = {e.id: e for e in catalog}
        self.system_prompt = prompts.render("chat_system")
        self.writer = AnswerWriter(llm, settings.chat.first_text_deadline_s)

    def ask(self, question: str, **kw) -> Answer:
        answer = None
        for event in self.ask_stream(question, **kw):
            answer = event.answer or answer
        assert answer is not None
        return answer

    def ask_stream(self, question: str, *, user_id: int | None = None, conversation_id: str | None = None,
                   language: str | None = None, socratic: bool = False,
                   history: list[Turn] | None = None) -> Iterator[ChatEvent]:
        """``history``, when given (an API client sends the whole conversation), replaces the stored one.
        A question over ``MAX_QUESTION_CHARS`` is asked cut, and the answer says so (``question_cut_from``)."""
        question, cut_from = cut_question(question)
        events = self._stream(question, cut_from, user_id, conversation_id, language, socratic, history)
        try:
            for event in events:
                if event.answer is not None:
                    event.answer.question_cut_from = cut_from
                yield event
        finally:
            events.close()  # a stop closes this generator: close the inner one now, so it saves the turn

    def _stream(self, question: str, cut_from: int, user_id: int | None, conversation_id: str | None,
                language: str | None, socratic: bool, history: list[Turn] | None) -> Generator[ChatEvent, None, None]:
        lang, asked = self._language(question, language), time.monotonic()
        if (busy := self.llm.busy()) is not None:  # before retrieval: a turned-away question costs nothing
            yield ChatEvent("delta", str(busy))
            yield ChatEvent("done", answer=Answer(answer=str(busy), language=lang, error=str(busy), query=question))
            return
        history = self._history(user_id, conversation_id) if history is None else self._recent(history)
        query = standalone_query(question, history)
        start = self.asks_where_to_start(query)  # once: it decides both the search and the grounding
        search = searched_for(query, start)
        if (standing := self._standing_for(question, user_id, bool(history))) is not None:  # the plan knows
            answer = next_step_answer(standing, lang, self.catalog, self.name_of).model_copy(update={"query": query})
            yield ChatEvent("delta", answer.answer)
        elif not self._grounded(found := self.retriever.retrieve(search), query, start):
            answer = self._not_covered(found.hits, lang, query)
            yield ChatEvent("delta", answer.answer)
        else:
            written = Written(parts=[], report=GateReport())
            follow = followed(found.hits, self.retriever, search)  # + a lead-in's list, the part's resource list
            hits = follow.hits
            try:
                yield from self._answer(question, search, follow, history, lang, socratic, written, user_id,
                                        asked=asked)
            except GeneratorExit:  # the learner pressed stop: keep the turn as far as they saw it
                stopped = self._final(written, hits, lang, query, "stopped")
                self._save(user_id, conversation_id, question, stopped, cut_from)
                raise
            answer = self._final(written, hits, lang, query)
        self._save(user_id, conversation_id, question, answer, cut_from)
        yield ChatEvent("done", answer=answer)

    # -- steps ------------------------------------------------------------------------------
    def _language(self, question: str, override: str | None) -> str:
        forced = override if override in ("zh", "en") else self.settings.chat.language
        return forced if forced in ("zh", "en") else question_language(question)

    def asks_where_to_start(self, question: str) -> bool:
        """Whether ``question`` only asks where to begin."""
        return asks_where_to_start(question, self.retriever.tokenize)

    def asks_what_next(self, question: str, in_conversation: bool = False) -> bool:
        """Whether ``question`` only asks what to study next (answered from the learner's plan, if any)."""
        return asks_what_next(question, self.retriever.tokenize, in_conversation)

    def offers_plan(self, question: str, user_id: int | None = None) -> bool:
        """Whether a face should offer a study plan with the answer: asked for, or asked where to begin
        (not when the answer came from the learner's plan)."""
        if wants_plan(question):
            return True
        return self.asks_where_to_start(question) and self._standing_for(question, user_id) is None

    def _standing_for(self, question: str, user_id: int | None, in_conversation: bool = False) -> Standing | None:
        """The learner's plan and progress, when they ask only what to study next and have a plan."""
        if user_id is None or not self.asks_what_next(question, in_conversation):
            return None
        return self.standing(user_id)

    def covers(self, question: str) -> bool:
        """Whether chat would answer ``question`` (rather than say the roadmaps do not cover it)."""
        start = self.asks_where_to_start(question)
        return self._grounded(self.retriever.retrieve(searched_for(question, start)), question, start)

    def _grounded(self, found, query: str, where_to_start: bool) -> bool:
        names = self.names_topic(query) or bool(getattr(found, "scopes", [])) or where_to_start
        known, unknown = names_asked(getattr(found, "known_names", []), getattr(found, "unknown_names", []), query,
                                     self.names_topic, self._names_scope)
        return bool(found.hits) and in_scope(found.top_similarity, found.top_lexical, names, self.settings.retrieval,
                                             known_names=len(known), unknown_names=len(unknown),
                                             value_stated=getattr(found, "value_stated", None))

    def _names_scope(self, text: str) -> bool:
        named = getattr(self.retriever, "scopes_named", None)  # a retriever without scopes names none
        return bool(named and named(text))

    def _not_covered(self, hits: list[Hit], lang: str, query: str) -> Answer:
        near = list(dict.fromkeys(h.chunk.section.split(" > ")[-1] or h.chunk.title for h in hits))[:3]
        text = TEXT[lang]["not_covered"].format(topics=", ".join(near) or "-")
        return Answer(answer=text, citations=[], language=lang, grounded=False, query=query)

    def messages(self, question: str, hits: list[Hit], history: list[Turn], lang: str, socratic: bool) -> list:
        style = self.prompts.render("chat_socratic") + "\n" if socratic else ""
        user = self.prompts.render("chat_user", sources=format_sources(hits), history=format_history(history),
                                   question=question, language_name=TEXT[lang]["lang"], style=style)
        return [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": user}]

    def _answer(self, question: str, query: str, follow: Followed, history: list[Turn], lang: str,
                socratic: bool, written: Written, learner: int | None, *, asked: float) -> Iterator[ChatEvent]:
        draft = self._draft(question, query, follow, lang)
        draft.learner, draft.socratic, draft.asked = learner, socratic, asked
        for text in self.writer.stream(self.messages(question, follow.hits, history, lang, socratic), draft, written):
            yield ChatEvent("delta", text)

    def _draft(self, question: str, query: str, follow: Followed, lang: str) -> Draft:
        """The evidence an answer may rest on: the best-ranked sentences of the hits."""
        r, hits = self.retriever, follow.hits
        ranked = leading(values_first(question, r.rank_sentences(query, hits, dense=True)),
                         [*follow.resources, *follow.pages])
        outlines = outlines_of(follow.pages, hits, r.outline)
        sources = [f"{h.chunk.title}\n{h.chunk.section}\n{h.chunk.text}" for h in hits]
        checker = SupportChecker(r.tokenize, evidence_of(ranked, hits), sources, question, r.embedder,
                                 translate=getattr(r, "translate", None))
        return Draft(hits=hits, ranked=ranked, checker=checker, lang=lang, clean=self._clean_for(hits),
                     outlines=outlines)

    def _clean_for(self, hits: list[Hit]) -> Callable[[str, Hit | None], str]:
        """Make text safe to show: only links the sources or the catalog give, no markup from a page,
        no quote of the system prompt, and no "[n]" of a source's own (it would read as a citation).
        Model text (``hit`` None) may link what any source links; a quotation what its own source does."""
        every = self.catalog_urls | {u for h in hits for u in link_urls(h.chunk)}

        def clean(text: str, hit: Hit | None) -> str:
            allowed = every if hit is None else self.catalog_urls | set(link_urls(hit.chunk))
            body = sanitize(text if hit is None else CITE_MARK.sub("", text), allowed)
            return redact_leaks(body, self.system_prompt)
        return clean

    def _final(self, written: Written, hits: list[Hit], lang: str, query: str, error: str = "") -> Answer:
        text = "".join(p.text for p in written.parts).strip()
        return Answer(answer=text, citations=build_citations(list(range(1, len(hits) + 1)), hits), language=lang,
                      grounded=True, error=error or written.error, query=query, parts=written.parts,
                      gate=written.report, first_text_s=written.first_text_s)

    # -- persistence ------------------------------------------------------------------------
    def _history(self, user_id: int | None, conversation_id: str | None) -> list[Turn]:
        if user_id is None or not conversation_id:
            return []
        n = self.settings.chat.history_turns * 2
        msgs = self.store.get_messages(user_id, conversation_id)[-n:] if n else []
        return [Turn(m.role, m.content) for m in msgs]

    def _recent(self, history: list[Turn]) -> list[Turn]:
        n = self.settings.chat.history_turns * 2
        return history[-n:] if n else []

    def _save(self, user_id: int | None, conversation_id: str | None, question: str, answer: Answer,
              cut_from: int) -> None:
        answer.question_cut_from = cut_from  # kept with the turn: a reopened conversation still says it
        if user_id is None or not conversation_id:
            return
        meta = answer.model_dump(include={"citations", "language", "grounded", "error", "query", "question_cut_from"})
        try:
            with self.store.transaction():  # both turns or neither
                self.store.add_message(user_id, conversation_id, "user", question, {})
                self.store.add_message(user_id, conversation_id, "assistant", answer.answer, meta)
        except NotFound:
            pass  # the learner deleted the conversation while it answered: deleted stays deleted
