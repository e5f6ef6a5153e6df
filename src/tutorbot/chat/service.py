"""Chat service: question → standalone query → retrieval → prompt → streamed answer → citations.

Correctness does not rest on the model: grounding is decided by retrieval scores before the
model is called; citations, URLs and language are checked after it answers; if the model is
down, times out, or answers off-language or empty, the learner gets an extractive answer
quoted from the sources (with citations) and, if relevant, the "model unavailable" message.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from tutorbot.chat.citations import build_citations, finalize, link_urls, redact_leaks, sanitize
from tutorbot.errors import TutorbotError
from tutorbot.lang import QUESTION_ZH, Language, cjk_count, detect_lang
from tutorbot.llm.client import LLMBusy, LLMClient, LLMError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.retrieval.retriever import Retriever
from tutorbot.schemas import Answer, CatalogEntry, Hit
from tutorbot.settings import RetrievalSettings, Settings

MAX_QUESTION_CHARS = 4000
FOLLOW_UP = re.compile(r"^(and|what about|how about|also|its?|their|they|this|that|those|these|then|why)\b"
                       r"|\b(it|its|they|them|their|this one|that one)\b|^(那|这|它|其|还有|那么|那它|这个|那个)", re.I)
TEXT = {
    "en": {"unavailable": "The model is unavailable right now ({why}). Here is what the roadmaps say:",
           "not_covered": "The roadmaps do not cover this. Nearest topics they do cover: {topics}.",
           "quote": "From the roadmaps:", "lang": "English"},
    "zh": {"unavailable": "模型暂时不可用（{why}）。以下是路线图中的相关内容：",
           "not_covered": "路线图没有涉及这个问题。它们涵盖的相近主题：{topics}。",
           "quote": "路线图中的相关内容：", "lang": "Chinese (简体中文)"},
}


class ChatInputError(TutorbotError, ValueError):
    """The question cannot be asked as given; the message says why."""


@dataclass
class ChatEvent:
    kind: str  # "delta" | "done"
    text: str = ""
    answer: Answer | None = None


@dataclass
class Turn:
    role: str
    content: str
    meta: dict = field(default_factory=dict)


def question_language(text: str) -> Language:
    return detect_lang(text, zh_from=QUESTION_ZH)


def clean_question(question: str) -> str:
    q = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", question or "")
    q = q.encode("utf-8", "replace").decode("utf-8").strip()
    if not q:
        raise ChatInputError("the question is empty: type a question about the roadmaps")
    if len(q) > MAX_QUESTION_CHARS:
        raise ChatInputError(f"the question is too long ({len(q)} characters; the limit is {MAX_QUESTION_CHARS})")
    return q


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


LINK_SPAN = re.compile(r"\[[^\]]*\]\([^)]*\)")
CITE_MARK = re.compile(r"\[\d{1,3}\]")


def snippet(text: str, limit: int = 220) -> str:
    """The chunk's content lines (no headings), flattened, cut at a word boundary outside any link."""
    lines = [ln.strip(" -*>\t") for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    flat = re.sub(r"\s+", " ", " ".join(lines)).replace("**", "").strip()
    if len(flat) <= limit:
        return flat
    cut = limit
    for m in LINK_SPAN.finditer(flat):
        if m.start() < cut < m.end():
            cut = m.end()
    space = flat.rfind(" ", 0, cut + 1)
    return flat[: space if space > limit // 2 and cut == limit else cut].rstrip() + " …"


def extractive_answer(hits: list[Hit], language: str, lead: str, allowed: set[str] = frozenset()) -> str:
    """Quote the top sources, each with its citation: the answer when the model cannot give one.

    Sources may be untrusted pages, so quotes lose raw HTML, images, foreign links and any ``[n]``
    of their own (which would read as tutorbot's citations)."""
    lines = [lead]
    for n, h in enumerate(hits[:3], 1):
        where = h.chunk.section.split(" > ")[-1] or h.chunk.title
        quote = snippet(CITE_MARK.sub("", sanitize(h.chunk.text, allowed)))
        lines.append(f"- **{where}**: {quote} [{n}]")
    return "\n".join(lines)


def in_scope(similarity: float, lexical: float, names_topic: bool, r: RetrievalSettings, *,
             known_names: int = 0, unknown_names: int = 0) -> bool:
    """Whether the roadmaps cover a question, from its best dense match, its lexical strength
    (best expanded BM25 / ln(chunks), ``Retriever.lexical_strength``), whether it names a topic,
    roadmap or page, and the names it uses (``retrieval.grounding``).

    Tuned on the tuning half of dev2, the dev questions and 20 off-topic ones (cooking, sports,
    weather, phones: ``evaluate.OFF_TOPIC``), on both indexes. Dense similarity alone overlaps
    (off-topic up to 0.90, on-topic from 0.85). Off-topic questions share few words with the
    corpus (lexical strength <= 0.63 with or without the linked pages); on-topic ones that name
    nothing reach >= 0.70. The hard case is on-topic-sounding questions the corpus does not answer
    (LoRA's lora_alpha, ONNX export, YOLO versions): they name tools or settings the index has
    never seen, and are refused when those unknown names are at least as many as the known ones.
    """
    if unknown_names and unknown_names >= known_names:
        return False
    return similarity >= r.min_score and (names_topic or lexical >= r.min_lexical)


def language_ok(text: str, language: str) -> bool:
    if language != "zh":  # English prose, not a copy of the (mostly Chinese) sources
        return bool(re.search(r"[A-Za-z]{3}", text)) and question_language(CITE_MARK.sub("", text)) == "en"
    return cjk_count(text) >= 4


class ChatService:
    """Grounded, cited, streamed answers; conversations persisted per learner."""

    def __init__(self, settings: Settings, retriever: Retriever, llm: LLMClient, prompts: PromptLibrary,
                 store, catalog: list[CatalogEntry], names_topic: Callable[[str], bool] = lambda q: False):
        self.settings, self.retriever, self.llm, self.prompts, self.store = settings, retriever, llm, prompts, store
        self.names_topic = names_topic
        self.catalog_urls = {e.url for e in catalog if e.url}
        self.system_prompt = prompts.render("chat_system")

    def ask(self, question: str, **kw) -> Answer:
        answer = None
        for event in self.ask_stream(question, **kw):
            answer = event.answer or answer
        assert answer is not None
        return answer

    def ask_stream(self, question: str, *, user_id: int | None = None, conversation_id: str | None = None,
                   language: str | None = None, socratic: bool = False) -> Iterator[ChatEvent]:
        question = clean_question(question)
        history = self._history(user_id, conversation_id)
        lang = self._language(question, language)
        query = standalone_query(question, history)
        found = self.retriever.retrieve(query)
        if not self._grounded(found, query):
            answer = self._not_covered(found.hits, lang, query)
            yield ChatEvent("delta", answer.answer)
        else:
            streamed: list[str] = []
            try:
                answer = yield from self._answer(question, query, found.hits, history, lang, socratic, streamed)
            except GeneratorExit:  # the learner pressed stop: keep the turn as far as they saw it
                stopped = self._stopped("".join(streamed), found.hits, lang, query)
                self._save(user_id, conversation_id, question, stopped)
                raise
        self._save(user_id, conversation_id, question, answer)
        yield ChatEvent("done", answer=answer)

    # -- steps ------------------------------------------------------------------------------
    def _language(self, question: str, override: str | None) -> str:
        forced = override if override in ("zh", "en") else self.settings.chat.language
        return forced if forced in ("zh", "en") else question_language(question)

    def covers(self, question: str) -> bool:
        """Whether chat would answer ``question`` (rather than say the roadmaps do not cover it)."""
        return self._grounded(self.retriever.retrieve(question), question)

    def _grounded(self, found, query: str) -> bool:
        names = self.names_topic(query) or bool(getattr(found, "scopes", []))
        return bool(found.hits) and in_scope(found.top_similarity, found.top_lexical, names, self.settings.retrieval,
                                             known_names=len(getattr(found, "known_names", [])),
                                             unknown_names=len(getattr(found, "unknown_names", [])))

    def _not_covered(self, hits: list[Hit], lang: str, query: str) -> Answer:
        near = list(dict.fromkeys(h.chunk.section.split(" > ")[-1] or h.chunk.title for h in hits))[:3]
        text = TEXT[lang]["not_covered"].format(topics=", ".join(near) or "-")
        return Answer(answer=text, citations=[], language=lang, grounded=False, query=query)

    def messages(self, question: str, hits: list[Hit], history: list[Turn], lang: str, socratic: bool) -> list:
        style = self.prompts.render("chat_socratic") + "\n" if socratic else ""
        user = self.prompts.render("chat_user", sources=format_sources(hits), history=format_history(history),
                                   question=question, language_name=TEXT[lang]["lang"], style=style)
        return [{"role": "system", "content": self.system_prompt}, {"role": "user", "content": user}]

    def _answer(self, question, query, hits, history, lang, socratic, streamed: list[str]):
        error = ""
        try:
            for delta in self.llm.stream(self.messages(question, hits, history, lang, socratic)):
                streamed.append(delta)
                yield ChatEvent("delta", delta)
        except LLMBusy as exc:
            error = str(exc)
        except LLMError as exc:
            error = TEXT[lang]["unavailable"].format(why=str(exc))
        return self._finish("".join(streamed), error, hits, lang, query)

    def _allowed_urls(self, hits: list[Hit]) -> set[str]:
        return self.catalog_urls | {u for h in hits for u in link_urls(h.chunk)}

    def _stopped(self, text: str, hits: list[Hit], lang: str, query: str) -> Answer:
        body, cites = finalize(text, hits, self._allowed_urls(hits), self.system_prompt) if text.strip() else ("", [])
        return Answer(answer=f"{body} …".strip(), citations=cites, language=lang, grounded=True, error="stopped",
                      query=query)

    def _finish(self, text: str, error: str, hits: list[Hit], lang: str, query: str) -> Answer:
        allowed = self._allowed_urls(hits)
        body, cites = finalize(text, hits, allowed, self.system_prompt) if text.strip() else ("", [])
        if error or not language_ok(body, lang):
            # The learner must get grounded content. Text streamed before an error is kept; an
            # answer in the wrong language (a source told the model to switch, say) is not.
            extract = redact_leaks(extractive_answer(hits, lang, error or TEXT[lang]["quote"], allowed),
                                   self.system_prompt)
            keep_streamed = bool(body and error)
            kept = {c.n for c in cites} if keep_streamed else set()
            body = f"{body}\n\n{extract}" if keep_streamed else extract
            cites = build_citations(sorted(kept | set(range(1, min(3, len(hits)) + 1))), hits)
        return Answer(answer=body, citations=cites, language=lang, grounded=True, error=error, query=query)

    # -- persistence ------------------------------------------------------------------------
    def _history(self, user_id: int | None, conversation_id: str | None) -> list[Turn]:
        if user_id is None or not conversation_id:
            return []
        n = self.settings.chat.history_turns * 2
        msgs = self.store.get_messages(user_id, conversation_id)[-n:] if n else []
        return [Turn(m.role, m.content) for m in msgs]

    def _save(self, user_id: int | None, conversation_id: str | None, question: str, answer: Answer) -> None:
        if user_id is None or not conversation_id:
            return
        self.store.add_message(user_id, conversation_id, "user", question, {})
        meta = answer.model_dump(include={"citations", "language", "grounded", "error", "query"})
        self.store.add_message(user_id, conversation_id, "assistant", answer.answer, meta)
