"""Candidate questions: the common shape every generator fills in, before validation.

Stage: generators (roadmap facts, concept statements) → **candidates** → assembler → validator.
A candidate is a ``Question`` plus the curriculum topics it may be filed under. Ids and
distractors are seeded by the fact, so the same fact always gives the same question.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel

from tutorbot.quiz.match import contains, fold, plain, quote_for, section_tail
from tutorbot.quiz.models import Question, QuizLang, QuizSource
from tutorbot.quiz.wording import WORDING
from tutorbot.schemas import Chunk

QUOTE_CHARS = 200


class Candidate(BaseModel):
    question: Question
    topics: frozenset[str]


def source_name(chunk: Chunk, hidden: Sequence[str] = ()) -> str:
    """How a question names its passage: a page by its title, a roadmap by its section; by the page's site
    or the roadmap's title when that name would give away a ``hidden`` answer ("KV Cache explained")."""
    names = [chunk.title, urlsplit(chunk.doc_id).netloc] if chunk.kind == "linked" else \
        [section_tail(chunk), chunk.title]
    return next((n for n in names if n and not any(contains(n, h) for h in hidden)), "…")


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    text = plain(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def roadmap_quote(chunk: Chunk, key: str, anchor: str = "") -> str:
    """The chunk line holding ``key``; a heading gets the first line that says something about it."""
    # the chunk's own lines first: its heading path also "contains" course names
    quote = next((q for text in (chunk.text, chunk.embed_text) for a in (anchor, "")
                  if (q := quote_for(text, key, a))), "")
    if quote.startswith("#"):  # a heading only names the resource
        rest = [ln.strip() for ln in chunk.text.splitlines()]
        after = rest[rest.index(quote) + 1:] if quote in rest else []
        quote += next((" — " + plain(ln) for ln in after if len(plain(ln)) >= 8 and "http" not in ln), "")
    return shorten(quote)


def explain(lang: QuizLang, chunk: Chunk, key: str, anchor: str = "") -> tuple[str, str]:
    """The passage line holding ``key`` and an explanation quoting it (roadmap facts, model questions)."""
    quote = roadmap_quote(chunk, key, anchor)
    return quote, WORDING[lang]["explain"].format(section=section_tail(chunk), quote=quote)


def statement_fact(sentence: str) -> str:
    """The fact a question about this sentence tests: one question per sentence and quiz."""
    return "s:" + hashlib.sha1(fold(sentence).encode()).hexdigest()[:12]


def question_id(prefix: str, *parts: str) -> str:
    return f"{prefix}-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def build(lang: QuizLang, rule: str, fact: str, chunk: Chunk, topics: Iterable[str], *, text: str, answer: str,
          quote: str, explanation: str, url: str | None = None, **fields: Any) -> Candidate | None:
    """A candidate citing ``chunk``; None when no curriculum topic is left to file it under."""
    topics = frozenset(topics)
    if not topics:
        return None
    urls = list(dict.fromkeys(([url] if url else []) + chunk.urls))
    source = QuizSource(chunk_id=chunk.id, source=chunk.source, title=chunk.title, section=chunk.section,
                        urls=urls, quote=quote)
    q = Question(id=question_id("r", rule, lang, text, fold(answer)), topic=sorted(topics)[0], language=lang,
                 question=text, answer=answer, explanation=explanation, origin="rule", rule=rule, fact=fact,
                 source=source, **fields)
    return Candidate(question=q, topics=topics)


def pick_options(answer: str, pool: Sequence[str], seed: str,
                 ok: Callable[[str], bool] = lambda o: True) -> list[str] | None:
    """The answer and three distractors from ``pool`` (seeded, shuffled); None when fewer than three fit."""
    rng = random.Random(seed)
    picks = [o for o in dict.fromkeys(pool) if fold(o) != fold(answer) and ok(o)]
    if len(picks) < 3:
        return None
    options = rng.sample(picks, 3) + [answer]
    rng.shuffle(options)
    return options
