"""Resource names mined from the catalog, so learner text can name what it studied.

Stage: catalog + curriculum → **resource names** → profile parser ("finished CS231n and nanoGPT",
"学完了《动手学深度学习》") and the plan-guidance check. A catalog entry is named by its course codes
(CS224N, 6.S978), its GitHub repository (nanoGPT) and the head of its title ("The Illustrated
Transformer", "科学空间"); a name that would be too generic ("Intermediate Tutorials", "课程网站") or that
two resources with different topics share is left out. Each name stands for the topics whose resources
list its entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tutorbot.curriculum.aliases import AliasIndex
from tutorbot.curriculum.graph import Curriculum
from tutorbot.lang import CJK, cjk_count
from tutorbot.schemas import CatalogEntry

COURSE = re.compile(r"\b(?:[A-Z]{2,6}\s?-?\d{2,4}[A-Za-z]?|\d{1,2}\.[A-Z]?\d{2,4})\b", re.A)
DISTINCT = re.compile(r"[a-z][A-Z]|[A-Za-z]\d|\d[A-Za-z]|[A-Z]{3,}|[.\-+]", re.A)  # nanoGPT, LLM.int8, FastChat
TERM = re.compile(r"^(?:SP|FA|SU|WI)\d{2}$")  # "SP24" in a course title is its term, not its name
REPO = re.compile(r"github\.com/[^/]+/([^/?#]+)", re.I)
HEAD_END = re.compile(r"\s+[-–—|·]\s+|[:：|·]\s*|\s+by\s+", re.I)
BRACKETS = re.compile(r"\[[^\]]*\]|\([^)]*\)|（[^）]*）|[【】《》「」“”\"']")
GENERIC = frozenset("""tutorial tutorials course courses guide intermediate introduction documentation docs notes
lecture lectures optimization optimisation part blog home homepage page website site overview readme
课程 网站 主页 文档 教程 博客 笔记 课程网站""".split())
MIN_SINGLE = 5  # a one-word name shorter than this ("ELI5", "BERT") is too easily something else


def names_of(entry: CatalogEntry) -> set[str]:
    """The names a learner may use for ``entry``."""
    names = {c for c in COURSE.findall(entry.title) if not TERM.match(c)}
    if entry.url and (repo := REPO.search(entry.url)) and _distinct(repo.group(1)):
        names.add(repo.group(1))
    head = BRACKETS.sub(" ", HEAD_END.split(entry.title, maxsplit=1)[0])
    head = re.sub(r"\s+", " ", head).strip(" .,-")
    if _distinct(head):
        names.add(head)
    return names


def _distinct(name: str) -> bool:
    words = name.split()
    if not words or len(name) > 60 or "/" in name:
        return False
    if CJK.search(name):
        return cjk_count(name) >= 4 and name not in GENERIC and not any(g in name for g in ("课程网站",))
    if len(words) == 1 and len(name) < MIN_SINGLE:
        return False
    if len(words) <= 2:  # "Generative Modeling" is a phrase, "Harvard NLP" and "nanoGPT" are names
        return DISTINCT.search(name) is not None and not {w.lower() for w in words} & GENERIC
    return True


class ResourceNames:
    """Finds mined resource names in text and answers the topics each one teaches."""

    def __init__(self, catalog: Iterable[CatalogEntry], curriculum: Curriculum):
        owners: dict[str, set[str]] = {}
        self.topics: dict[str, list[str]] = {}
        for t in curriculum.topics:
            for rid in t.resources:
                self.topics.setdefault(rid, []).append(t.id)
        for e in catalog:
            if e.id not in self.topics:
                continue
            for name in names_of(e):
                owners.setdefault(name, set()).add(e.id)
        # A name two resources share is kept only when they teach the same topics.
        unique = {n: sorted(ids)[0] for n, ids in owners.items()
                  if len({tuple(self.topics[i]) for i in ids}) == 1}
        self.index = AliasIndex(unique)

    def find(self, text: str) -> list[tuple[str, list[str], int, int]]:
        """(catalog id, its topic ids, start, end) for every resource name in ``text``."""
        return [(rid, self.topics[rid], s, e) for rid, s, e in self.index.find(text)]
