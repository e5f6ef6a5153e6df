"""Concept terms for quizzes: which words of a sentence name a concept, and which words mean the same.

Stage: curriculum (+ any mined term list) → **vocabulary** → concept questions and grading. The
terms are the curriculum's topic names and synonyms, each owned by its topic, so a question about a
term can draw distractors from the sibling topics of its track. ``Equivalents`` is the pluggable
"same term" hook: bilingual groups (a topic's English and Chinese name, the glossary's entries, or
pairs mined from the corpus at ingest) plus inflections, so "generative modeling" matches
"Generative Models" and "扩散模型" matches "diffusion models".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from tutorbot.curriculum.graph import AliasIndex, Curriculum
from tutorbot.lang import has_cjk
from tutorbot.quiz.match import fold

PAREN = re.compile(r"\s*[（(]([^（）()]+)[）)]\s*")
WORD = re.compile(r"[a-z0-9]+")


class Equivalents(Protocol):
    """Other ways to write a term (other language, other inflection); the term itself excluded."""

    def of(self, term: str) -> list[str]: ...


def stem(word: str) -> str:
    """A rough English stem, enough for plural/singular and -ing/-ed forms ("modelling" → "model",
    "caches" → "cach" ← "cache")."""
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            word = word[: len(word) - len(suffix)] + keep
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiousz":
        word = word[:-1]  # "modell" → "model"
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def term_key(term: str) -> str:
    """Comparison form of a term: folded, spaces and hyphens gone from CJK, latin words stemmed."""
    text = fold(term)
    if has_cjk(text):
        return text.replace(" ", "")
    return " ".join(stem(w) for w in WORD.findall(text))


def same_term(a: str, b: str) -> bool:
    return bool(term_key(a)) and term_key(a) == term_key(b)


def match_case(option: str, answer: str) -> str:
    """An option capitalised like the answer, so the answer does not stand out by its case; names
    with capitals inside ("ControlNet", "GAN") keep theirs."""
    words = option.split()
    plain_words = all(w[:1].isupper() and w[1:].islower() or w.islower() for w in words)
    if answer[:1].isupper() and option[:1].islower():
        return option[0].upper() + option[1:]
    if answer[:1].islower() and option[:1].isupper() and plain_words:
        return option.lower()
    return option


class TermGroups:
    """``Equivalents`` from groups of terms that each mean the same thing."""

    def __init__(self, groups: Iterable[Iterable[str]]):
        self._by_key: dict[str, list[str]] = {}
        for group in groups:
            members = [m.strip() for m in group if m and m.strip()]
            for m in members:
                self._by_key.setdefault(term_key(m), []).extend(members)

    def of(self, term: str) -> list[str]:
        key = term_key(term)
        return [m for m in dict.fromkeys(self._by_key.get(key, [])) if term_key(m) != key]


def name_groups(curriculum: Curriculum) -> list[list[str]]:
    """Each topic's English and Chinese name (brackets dropped), and the halves of a Chinese name
    written "English（中文）" ("Scaling Laws（规模定律）"): the bracket translates the name.
    "分词（BPE）" is not split: there the bracket gives an example, not a translation."""
    groups = []
    for t in curriculum.topics:
        en, zh = PAREN.sub("", t.name.en), PAREN.sub("", t.name.zh)
        groups.append([en, zh])
        inner = PAREN.search(t.name.zh)
        if inner and not has_cjk(zh) and has_cjk(inner.group(1)):
            groups.append([zh, inner.group(1)])
    return groups


class GlossaryLike(Protocol):
    en: list[str]
    zh: list[str]


def glossary_groups(entries: Iterable[GlossaryLike]) -> list[list[str]]:
    """The bilingual glossary's entries as groups (``retrieval.retriever.Glossary.entries``)."""
    return [[*e.en, *e.zh] for e in entries]


def pair_groups(pairs: Iterable[tuple[str, str]], curriculum: Curriculum) -> list[list[str]]:
    """Bilingual pairs mined from the corpus ("对齐（Alignment）") as groups, when both sides name the same
    curriculum topic: a mined pair can be a gloss ("数据并行（All-Reduce based）"), not a translation."""
    def owner(term: str) -> str | None:
        found = curriculum.topic_index().exact(term)
        return found if found else None

    return [[a, b] for a, b in pairs if owner(a) is not None and owner(a) == owner(b)]


def acronym_groups(acronyms: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Abbreviations mined from the corpus ("Flow Matching (FM)"), one group per expansion: "CT" may be
    "consistency training" or "computed tomography", which are not the same."""
    return [[abbr, long] for abbr, longs in acronyms.items() for long in longs]


def owned_terms(groups: Iterable[Iterable[str]], curriculum: Curriculum) -> list[tuple[str, str]]:
    """(term, topic) for the members of each group in which one member names a curriculum topic: the
    mined expansion "proximal policy optimization" of "PPO" is a term of the RLHF topic."""
    out = []
    for group in groups:
        members = list(group)
        owner = next((o for m in members if (o := curriculum.topic_index().exact(m))), None)
        out += [(m, owner) for m in members if owner and len(m) >= 3]
    return out


@dataclass(frozen=True)
class Mention:
    """A concept term in a text: its topic, its spelling there, and where it is."""

    topic: str
    term: str
    start: int
    end: int


class Vocabulary:
    """The concept terms a question may ask about, each owned by a curriculum topic."""

    def __init__(self, curriculum: Curriculum, extra: Iterable[tuple[str, str]] = ()):
        aliases = {a: t.id for t in curriculum.topics for a in t.aliases()[1:]}  # [0] is the id
        aliases.update({term: topic for term, topic in extra if term not in aliases})
        self.owner = {fold(a): topic for a, topic in aliases.items()}
        self._index = AliasIndex(aliases)
        self.cur = curriculum

    def mentions(self, text: str) -> list[Mention]:
        return [Mention(owner, text[s:e], s, e) for owner, s, e in self._index.find(text)]

    def is_term(self, text: str) -> bool:
        """``text`` is one concept term (a model's blank must be one, not a phrase it cut from a sentence)."""
        found = self.mentions(text.strip())
        return len(found) == 1 and found[0].start == 0 and found[0].end == len(text.strip())

    def siblings(self, topic: str) -> list[str]:
        """Topics of the same track(s) as ``topic``, itself excluded."""
        tracks = set(self.cur.topic(topic).tracks)
        return [t.id for t in self.cur.topics if t.id != topic and tracks & set(t.tracks)]

    def names(self, topics: Sequence[str], cjk: bool) -> list[str]:
        """Terms naming these topics, written in CJK or in Latin letters as asked."""
        out = []
        for tid in topics:
            t = self.cur.topic(tid)
            names = [PAREN.sub("", t.name.zh), *t.synonyms.zh] if cjk else [PAREN.sub("", t.name.en), *t.synonyms.en]
            out += [n for n in names if has_cjk(n) == cjk and 2 <= len(n) <= 40]
        return list(dict.fromkeys(out))
