"""Catalog search stage: a library query matched against titles and descriptions in both languages.

The query's words are bridged to the other language by the retriever's ``QueryExpander`` (the glossary,
the dictionary and the bilingual terms mined at ingest), so "KV 缓存" finds a resource titled "KV Cache"
and "kv cache" one described as "KV 缓存". Every word of the query (or one of its translations) must
appear; a phrase the corpus pairs as a whole ("kv cache" ⇄ "KV 缓存") may stand for all its words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel, Field

from tutorbot.lang import has_cjk
from tutorbot.retrieval.expand import Expansion

PIECES = re.compile(r"[\u3400-\u9fff]+|[^\s\u3400-\u9fff]+")  # Chinese runs apart from Latin words
Expand = Callable[[str], Expansion | None]


class SearchTerms(BaseModel):
    """Per query word, the spellings that count for it; and whole-phrase translations."""

    words: list[list[str]] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)


def search_terms(query: str, expand: Expand | None = None) -> SearchTerms:
    """The query's words with their translations (casefolded); no expander means the words alone."""
    pieces = PIECES.findall(query.casefold())
    words = [[p, *_whole_word(_translations(p, expand))] for p in pieces]
    phrases = [x for x in _translations(query, expand, 1.0) if " " in x or has_cjk(x)] if len(pieces) > 1 else []
    return SearchTerms(words=[list(dict.fromkeys(w)) for w in words], phrases=phrases)


def matches(text: str, terms: SearchTerms) -> bool:
    """Whether ``text`` holds every word (or a translation of it), or a whole-phrase translation."""
    folded = text.casefold()
    if all(any(x in folded for x in alternatives) for alternatives in terms.words):
        return True
    return any(p in folded for p in terms.phrases)


def _whole_word(terms: list[str]) -> list[str]:
    """A phrase that translates the whole word ("扩散模型" → "diffusion model") stands for it alone: the
    translations of its pieces ("model") would match nearly everything."""
    phrases = [x for x in terms if " " in x]
    return phrases or terms


def _translations(text: str, expand: Expand | None, min_weight: float = 0.0) -> list[str]:
    found = expand(text) if expand is not None else None
    return [t.casefold() for t, w in found.terms.items() if w >= min_weight] if found else []
