"""Follow stage: chunks the hits lead to that the ranking left out, for the answer to read with them.

- A hit that ends on a lead-in ("Here are some practical recommendations:") is followed by the list
  it announces, which a chunk boundary cut off.
- A question asking for a kind of resource ("is there an online course…", "有推荐的书吗") that lands in
  a roadmap part is followed by that part's resource list ("- **Resources**:", "#### 推荐资源"): the
  roadmaps name their courses, books and videos under that label, beside the topics the question
  matched ("Key Components" and "Resources" are siblings under one stage). Its sentences lead the
  composed answer: the topic words chose the part, the question asks for its resources.
- A question asking what a roadmap's link leads to ("the Overview link — what is it actually about?",
  "cmu-llms.org 那个链接点进去讲的啥") is followed by the page it names, when the page is indexed: its
  opening, its passage that best matches the question, and its outline (its headings: "what is in it").

Stage: ranked hits → **follow** → composed answer (``chat.service``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from tutorbot.retrieval.sentences import LEAD_IN, RankedSentence
from tutorbot.retrieval.tokenize import fold
from tutorbot.schemas import Chunk, Hit
from tutorbot.urls import find_links, normalise_url

SEP = " > "
PAGE = re.compile(r"\b(?:links?|pages?|urls?|site|website|homepage)\b|链接|页面|网页|网站|主页|点进去|点开", re.I)
HOLDS = re.compile(r"\b(?:about|describes?|covers?|contains?|inside|actually|leads? to|points? to|goes to)\b"
                   r"|讲|写|内容|介绍|什么|啥", re.I)  # asks what a page holds
OUTLINE_PARTS = 8


def parent(section: str) -> str:
    return section.rpartition(SEP)[0]


class Follower:
    """Where each chunk goes on (``(doc, position)``) and each part's resource list (``(doc, part)``)."""

    def __init__(self, chunks: Sequence[Chunk], is_resource_label: Callable[[str], bool]):
        self._at = {(c.doc_id, c.position): c for c in chunks}
        self._is_resource_label = is_resource_label
        self._resources: dict[tuple[str, str], Chunk] = {}
        self._pages: dict[str, list[Chunk]] = {}  # a linked page's chunks in reading order, by its URL
        for c in sorted((c for c in chunks if c.kind == "linked"), key=lambda c: c.position):
            self._pages.setdefault(normalise_url(c.doc_id), []).append(c)
        for c in sorted(chunks, key=lambda c: c.position):  # a list cut in two starts at its first chunk
            if c.kind == "roadmap" and SEP in c.section and is_resource_label(c.section.rpartition(SEP)[2]):
                self._resources.setdefault((c.doc_id, parent(c.section)), c)

    def continuations(self, hits: Sequence[Hit], follow: int = 2) -> list[Hit]:
        """The chunks right after a hit that ends on a lead-in, in its section and not among the hits."""
        have, out = {h.chunk.id for h in hits}, list[Hit]()
        for h in (h for h in hits if LEAD_IN.search(h.chunk.text)):
            for step in range(1, follow + 1):
                nxt = self._at.get((h.chunk.doc_id, h.chunk.position + step))
                if nxt is None or nxt.section != h.chunk.section:
                    break
                if nxt.id not in have:
                    have.add(nxt.id)
                    out.append(Hit(chunk=nxt, score=h.score))
        return out

    def resource_list(self, hits: Sequence[Hit]) -> list[Hit]:
        """The resource list of the part the best roadmap hit is in (or heads); none when it has none, or
        when the hit is a resource list already ("关键学习资源 > 代码级学习": its own courses answer)."""
        best = next((h for h in hits if h.chunk.kind == "roadmap"), None)
        if best is None or any(map(self._is_resource_label, best.chunk.section.split(SEP))):
            return []
        c = best.chunk
        found = self._resources.get((c.doc_id, c.section)) or self._resources.get((c.doc_id, parent(c.section)))
        return [] if found is None else [Hit(chunk=found, score=best.score)]

    def linked_pages(self, query: str, hits: Sequence[Hit], top: int, score: Callable[[Chunk], float]) -> list[Hit]:
        """The page each of the ``top`` roadmap hits links to under a name the question uses (its link text,
        "Overview"; or its host, "cmu-llms.org"), when the question asks what a link or page holds
        (``asks_about_page``) and the page is indexed: its opening, then its passage that ``score`` rates
        best ("里面的实现有多少行代码" is answered deep in the page). A link named "链接" or "link" names nothing."""
        asked, out = fold(query), list[Hit]()
        for h in (h for h in hits[:top] if h.chunk.kind == "roadmap"):
            for text, url in find_links(h.chunk.text):
                page = self._pages.get(normalise_url(url), [])
                for c in ([page[0], max(page, key=score)] if page and _names(asked, text, url) else []):
                    if all(x.chunk.id != c.id for x in out):
                        out.append(Hit(chunk=c, score=h.score))
        return out

    def outline(self, page: Chunk) -> list[str]:
        """A page's parts: its top-level headings in reading order, or the level below when one heading
        (the page's own title) holds them all; at most ``OUTLINE_PARTS``."""
        paths = [c.section.split(SEP) for c in self._pages.get(normalise_url(page.doc_id), []) if c.section]
        depth = 1 if len({p[0] for p in paths}) == 1 else 0
        return list(dict.fromkeys(p[depth] for p in paths if len(p) > depth))[:OUTLINE_PARTS]


def asks_about_page(query: str) -> bool:
    """Whether ``query`` speaks of a link or page and asks what it holds ("那个链接点进去讲的啥")."""
    return PAGE.search(query) is not None and HOLDS.search(query) is not None


def _names(asked: str, text: str, url: str) -> bool:
    """Whether the (folded) question names a link: by its text, whole words, or by its host."""
    host = normalise_url(url).split("/")[2]
    text = fold(re.sub(r"[*_`]+", "", text)).strip()  # "**nanoGPT**" is named "nanoGPT"
    by_text = len(text) >= 3 and not PAGE.fullmatch(text) and re.search(rf"(?<!\w){re.escape(text)}(?!\w)", asked)
    return bool(by_text) or host in asked


class Follows(Protocol):
    def continuations(self, hits: list[Hit]) -> list[Hit]: ...
    def resource_list(self, query: str, hits: list[Hit]) -> list[Hit]: ...
    def linked_pages(self, query: str, hits: list[Hit]) -> list[Hit]: ...


@dataclass(frozen=True)
class Followed:
    """The hits and what they lead to, each found once per answer (``followed``)."""

    hits: list[Hit]  # the hits, then what they lead to that is not among them
    resources: list[Hit]  # the part's resource list a question asking for a course or book is led by
    pages: list[Hit]  # the page a link the question names leads to: its opening and best passage


def followed(hits: list[Hit], retriever: Follows, query: str) -> Followed:
    """The hits, then what they lead to (a lead-in's list, the part's resource list, the page a link
    the question names leads to) not among them."""
    out, have = list(hits), {h.chunk.id for h in hits}
    resources, pages = retriever.resource_list(query, hits), retriever.linked_pages(query, hits)
    for h in [*retriever.continuations(hits), *resources, *pages]:
        if h.chunk.id not in have:
            have.add(h.chunk.id)
            out.append(h)
    return Followed(out, resources, pages)


def leading(ranked: Sequence[RankedSentence], lists: Sequence[Hit]) -> list[RankedSentence]:
    """The sentences of ``lists`` (the resource list a question asks for) first, list by list in reading order and at
    the best score (the composer quotes what is within a share of it), then the others as ranked."""
    ids = {h.chunk.id for h in lists}
    if not ids or not ranked:
        return list(ranked)
    order = {h.chunk.id: n for n, h in enumerate(lists)}
    first = sorted((r for r in ranked if r.chunk_id in ids), key=lambda r: (order[r.chunk_id], r.start))
    return [replace(r, score=ranked[0].score) for r in first] + [r for r in ranked if r.chunk_id not in ids]
