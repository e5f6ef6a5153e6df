"""Query-expansion stage: a question's terms in the corpus's other language.

Three sources, most specific first: the pairs the corpus writes itself and its abbreviations
(``ingest.terms``, mined at ingest), a general dictionary cut down to the corpus's words (same
table), and the hand glossary of general domain vocabulary (``corpus/glossary.yaml``). Each added
term carries a weight: a word with many dictionary senses spreads one word's weight over them, so
"memory" → 内存, 缓存 adds half a word each, while a term the corpus pairs itself weighs fully.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tutorbot.ingest.terms import TermTable, phrase_key
from tutorbot.lang import has_cjk
from tutorbot.retrieval.tokenize import Tokenizer

MAX_NGRAM = 3
# A kind of resource is a resource (hypernymy): "is there an online course for …" also reads the roadmaps'
# "Resources:" and "推荐资源" lists, which name their courses, books and videos only under that label.
RESOURCE_KINDS = ("course courses book textbook video tutorial lecture mooc paper "
                  "课程 课 网课 公开课 教材 书 书籍 视频 教程 论文 讲义")
RESOURCE = "resources 资源"
RESOURCE_LABEL = "materials reading 资料 阅读"  # a list labelled so, or with a kind ("在线课程"), lists resources too
RESOURCE_WEIGHT = 0.5  # a hint, below any word the learner wrote


@dataclass
class GlossaryEntry:
    en: list[str]
    zh: list[str]


class Glossary:
    """Hand-written bilingual domain vocabulary (general terms only, never one question's words)."""

    def __init__(self, entries: list[GlossaryEntry]):
        self.entries = entries

    @classmethod
    def load(cls, path: Path) -> Glossary:
        if not path.exists():
            return cls([])
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return cls([GlossaryEntry(en=[str(x) for x in e.get("en", [])], zh=[str(x) for x in e.get("zh", [])])
                    for e in raw])

    def zh_terms(self) -> list[str]:
        return sorted({t for e in self.entries for t in e.zh if " " not in t})


@dataclass
class Expansion:
    """Weighted tokens (as the tokenizer writes them) to add, per language, and the added terms
    as written (for the dense query)."""

    zh: dict[str, float] = field(default_factory=dict)
    en: dict[str, float] = field(default_factory=dict)
    terms: dict[str, float] = field(default_factory=dict)

    def add(self, tokens: list[str], weight: float, term: str = "", spread: bool = False) -> None:
        """``spread``: the tokens are one phrase standing for one word ("llm" → large language model),
        so they share that word's weight; the term as written keeps it (the dense query reads it whole)."""
        each = max(weight / len(tokens), weight / 3) if spread and tokens else weight
        for t in tokens:
            side = self.zh if has_cjk(t) else self.en
            side[t] = max(side.get(t, 0.0), each)
        if term and tokens:
            self.terms[term] = max(self.terms.get(term, 0.0), weight)

    def text(self, min_weight: float = 0.5) -> str:
        """The added terms of at least ``min_weight``, as written."""
        return " ".join(t for t, w in self.terms.items() if w >= min_weight)


class QueryExpander:
    """Adds the other language's terms for the words of a question."""

    def __init__(self, tokenize: Tokenizer, terms: TermTable | None = None, glossary: Glossary | None = None):
        self.tokenize = tokenize
        self.terms = terms or TermTable()
        self.en_to_zh: dict[str, list[str]] = dict(self.terms.en_to_zh)
        self.zh_to_en: dict[str, list[str]] = dict(self.terms.zh_to_en)
        self._load_glossary(glossary or Glossary([]))
        self.acronyms = self.terms.acronyms
        self.long_forms = {phrase_key(tokenize, x): a for a, longs in self.acronyms.items() for x in longs}
        self.resource_kinds = {t for w in RESOURCE_KINDS.split()  # whole words: 公开课, never its piece 公开
                               for t in (tokenize.words(w) if has_cjk(w) else tokenize(w))}
        self.resource = tokenize(RESOURCE)
        self.resource_labels = {*self.resource_kinds, *self.resource, *tokenize(RESOURCE_LABEL)}

    def _load_glossary(self, glossary: Glossary) -> None:
        """Glossary terms replace the dictionary's for their words (they are the domain's sense)."""
        en_to_zh: dict[str, set[str]] = defaultdict(set)
        for e in glossary.entries:
            for en in e.en:
                en_to_zh[phrase_key(self.tokenize, en)] |= set(e.zh)
            for zh in e.zh:
                self.zh_to_en[zh] = e.en[:1]
        self.en_to_zh.update({k: sorted(v) for k, v in en_to_zh.items() if k})

    def asks_for_resource(self, query: str) -> bool:
        """Whether the question names a kind of resource (a course, book, video, paper…)."""
        return bool(self.resource_kinds & set(self.tokenize(query)))

    def is_resource_label(self, label: str) -> bool:
        """Whether a heading or list label names resources ("**Resources**:", "推荐课程 & 资料", "推荐资源")."""
        return bool(self.resource_labels & set(self.tokenize(label)))

    def expand(self, query: str) -> Expansion:
        toks = self.tokenize(query)
        out = Expansion()
        self._from_english([t for t in toks if not has_cjk(t)], out)
        for t in dict.fromkeys(t for t in toks if has_cjk(t)):
            english = self.zh_to_en.get(t, [])
            for en in english:
                out.add(self.tokenize(en), self._share(english), en)
        for t in toks:  # abbreviations both ways: "moe" ⇄ "mixture of experts"
            for long in self.acronyms.get(t, []):
                out.add(self.tokenize(long), 1.0, long, spread=True)
        for key, abbr in self.long_forms.items():
            if re.search(rf"(?<!\S){re.escape(key)}(?!\S)", " ".join(toks)):
                out.add([abbr], 1.0, abbr)
        if self.resource_kinds & set(toks):  # asks_for_resource
            out.add(self.resource, RESOURCE_WEIGHT)
        present = set(toks)
        out.zh = {t: w for t, w in out.zh.items() if t not in present}
        out.en = {t: w for t, w in out.en.items() if t not in present}
        return out

    def _from_english(self, words: list[str], out: Expansion) -> None:
        """Longest phrases first; a word inside a matched phrase is not looked up again."""
        used = [False] * len(words)
        for n in range(MAX_NGRAM, 0, -1):
            for i in range(len(words) - n + 1):
                if any(used[i:i + n]):
                    continue
                zh = self.en_to_zh.get(" ".join(words[i:i + n]))
                if zh:
                    used[i:i + n] = [True] * n
                    for z in zh:  # whole words: search-mode pieces of a translation are noise
                        out.add([z, *self.tokenize.words(z)], self._share(zh), z)

    @staticmethod
    def _share(translations: list[str]) -> float:
        """One source word's weight spread over its translations, never below a third."""
        return max(1.0 / max(len(translations), 1), 1 / 3)
