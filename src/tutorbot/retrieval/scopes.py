"""Scope stage: which roadmap, part of one, or linked page a question names.

Learners point at a document rather than quote it: "the relearn-AI post", "the researcher
plan", "DeepSeek's first stage", "the ChatGPT roadmap's tips", "Lilian Weng's blog", "the
minGPT notes". The names come from the corpus itself — each roadmap's file name, title and
top-level headings (the "DeepSeek" and "ChatGPT" answers of one file); each linked page's title,
URL words (lilianweng, pku-dair, mingpt) and the link texts the roadmaps give it — so a new
corpus brings its own. A chunk inside a named scope gets a boost in fusion, and the scope's
opening chunk (what it is about; a paper's abstract, after its title and byline) joins the candidates;
nothing is filtered.

A one-word name is mentioned when the question itself holds it and it is rare in the text
("relearn-ai", "DeepSeek", 扩散模型; a URL word only if the text never uses it: "lilianweng" yes,
"roadmap" no), rare among the chunks written in its script (``retrieval.rarity``), and no word for a kind
of document: "路线图里有讲吗" asks the roadmaps, not the researcher plan's part "II. 路线图".
A longer name is mentioned by two or more words making most of it, or by words
carrying most of its weight, rare words weighing most ("the relearn roadmap" for relearn-ai), with the
expansion's help ("LLM basics" → 大模型 + 基础 for 大模型基础), when they are all of it or include
a rare word the question says itself ("researcher plan" for llm-researcher-plan — but not "large
language model" for every paper with those words in its title). Words for a kind of document stand
for each other ("the researcher roadmap" for llm-researcher-plan). Naming a part names its document.
A name several documents of one kind share names those holding most of the question's other rare words.
A linked page is also named by the acronym its title spells, written in capitals ("the DDPM paper" for
"Denoising Diffusion Probabilistic Models"), and by its title's head ("the scaling laws paper"). A
heading that ends on a short name in brackets ("Language Models are Unsupervised Multitask Learners
(GPT-2)") is a scope of its own, named by that name. A page named with a roadmap that links to it is what
the question asks about ("DeepSeek 路线里那篇《Attention Is All You Need》的摘要里说…"): the roadmap only says
where the link is, and only the page gets the boost.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePosixPath

from tutorbot.lang import has_cjk
from tutorbot.retrieval.rarity import Rarity
from tutorbot.retrieval.tokenize import Tokenizer
from tutorbot.schemas import Chunk
from tutorbot.urls import find_links, normalise_url

MOST = 0.6  # share of a name's words that names it
BYLINE_FIELD = re.compile(r"\s*[-*]\s+[\w ]{1,30}:\s")  # "- Authors: …", "- arXiv: …", "- Venue: …"
COMMON_URL_WORDS = {"https", "http", "www", "github", "com", "org", "net", "html", "blob", "main", "docs",
                    "readme", "index", "posts", "blog", "archives", "abs", "arxiv", "watch", "playlist",
                    "list", "class", "courses", "schedule", "edu", "io", "ai", "md", "php"}
SMALL_WORDS = {"a", "an", "the", "of", "for", "and", "in", "on", "with", "to", "via", "by", "through", "from", "is",
               "are", "at", "as"}
# What a learner calls a document by its kind: "the researcher roadmap" is the file llm-researcher-plan,
# "the relearn post" the roadmap titled 如果重学AI. One of these words in a question says any of them.
GENRE_WORDS = "roadmap plan post guide notes blog article path 路线 路线图 学习路线 计划 学习计划 攻略 笔记 博客"
CAPITALS = re.compile(r"\b[A-Z]{3,}\b")
SHORT_NAME = re.compile(r"[(（]\s*([A-Za-z0-9][\w.\-]*)\s*[)）]\s*$")  # "… Learners (GPT-2)"
NUMBERING = re.compile(r"[ivxlc]+|\d+")  # "III. LLM 研究者成长学习计划": the numbering names nothing
COINED = re.compile(r"[A-Za-z][\w.\-]*")  # one word: DreamBooth, FlashAttention, IP-Adapter
TITLE_HEAD = re.compile(r"\s+(?:for|of|with|on)\s+", re.I)  # "Scaling Laws for …": the head before "for"


def doc_scope(chunk: Chunk) -> str:
    return chunk.doc_id


def part_scope(chunk: Chunk) -> str:
    return f"{chunk.doc_id} > {chunk.section.split(' > ')[0]}" if chunk.section else ""


def heading_scope(chunk: Chunk) -> str:
    """The heading the chunk stands under that ends on a short name in brackets ("Language Models are
    Unsupervised Multitask Learners (GPT-2)"), as "document > heading path"; "" when none."""
    parts = chunk.section.split(" > ") if chunk.section else []
    deepest = next((i for i in range(len(parts), 0, -1) if short_name(parts[i - 1])), 0)
    return " > ".join([chunk.doc_id, *parts[:deepest]]) if deepest else ""


SCOPE_LEVELS = (doc_scope, part_scope, heading_scope)  # a chunk's scopes, widest first: each named one boosts it


def short_name(heading: str) -> str:
    """The short name a heading ends on in brackets, one word with two capitals or a digit ("GPT-2",
    "NCSN", "ControlNet"); not "(Optional)" or "(Timeline)", which name nothing."""
    m = SHORT_NAME.search(heading)
    word = m.group(1) if m else ""
    return word if sum(ch.isupper() for ch in word) >= 2 or any(ch.isdigit() for ch in word) else ""


class Scopes:
    """Names of the documents, their top-level parts and headings with a short name, and which a question mentions."""

    def __init__(self, chunks: Sequence[Chunk], tokenize: Tokenizer, rarity: Rarity,
                 tokens: dict[str, set[str]] | None = None):
        """``rarity``: how rare each token is in the chunks' own text (URLs left out); ``tokens``: each
        chunk's tokens by id (to tell apart documents that share a name)."""
        self.tokenize, self.rarity = tokenize, rarity
        self.words_in: dict[str, set[str]] = defaultdict(set)  # document → the tokens of its chunks
        self.kind: dict[str, str] = {}  # document → roadmap or linked
        for c in chunks:
            self.words_in[doc_scope(c)] |= (tokens or {}).get(c.id, set())
            self.kind[doc_scope(c)] = c.kind
        self.names: dict[str, list[list[str]]] = defaultdict(list)  # scope → its names, as words
        self.opening: dict[str, str] = {}  # scope → id of its first chunk (what the scope is about)
        self.acronyms: dict[str, set[str]] = defaultdict(set)  # ddpm → the pages titled "Denoising Diffusion ..."
        links = roadmap_links(chunks)
        anchors = link_texts(links)
        self.linked_by = linkers(chunks, links)  # page → the roadmaps that link to it
        self.after_byline: dict[str, str] = {}  # page → its first chunk after its title and byline (an abstract)
        byline: dict[str, bool] = {}  # page → whether its chunks so far are all title and byline
        for c in sorted(chunks, key=lambda c: (c.doc_id, c.position)):
            if c.kind == "linked" and byline.get(doc_scope(c), True) and doc_scope(c) not in self.after_byline:
                if doc_scope(c) in byline and not is_byline(c.text):
                    self.after_byline[doc_scope(c)] = c.id
                byline[doc_scope(c)] = is_byline(c.text)
            self.opening.setdefault(doc_scope(c), c.id)
            if heading := heading_scope(c):  # "the GPT-2 part of the minGPT notes"
                self._name(heading, [short_name(heading)])
                self.opening.setdefault(heading, c.id)
            if c.kind == "linked":
                self._name(c.doc_id, [c.title, *anchors.get(c.doc_id, []), *filter(None, [title_head(c.title)])])
                for a in filter(None, map(initials, [c.title, *anchors.get(c.doc_id, [])])):
                    self.acronyms[a].add(c.doc_id)
                words = [tokenize.stem(w) for w in url_words(c.doc_id)]
                self._name(c.doc_id, [w for w in words if not rarity.df.get(w)], whole=True)
                continue
            self._name(doc_scope(c), [_file_words(c.doc_id), PurePosixPath(c.doc_id).stem, c.title])
            if part := part_scope(c):
                self._name(part, [c.section.split(" > ")[0]])
                self.opening.setdefault(part, c.id)
        self.genres = set(tokenize(GENRE_WORDS))
        self.rare = {w for names in self.names.values() for name in names for w in name
                     if rarity.is_rare(w)}

    def openings(self, scope: str) -> list[str]:
        """The chunks that say what ``scope`` is about: its first; and when that is only a page's title and
        byline, the first after it (an arXiv page's abstract follows "# Title / - arXiv: … / - Authors: …")."""
        return [c for c in (self.opening.get(scope), self.after_byline.get(scope)) if c]

    def _name(self, scope: str, names: list[str], whole: bool = False) -> None:
        """Add names of a scope; ``whole``: each is one word as it stands (a URL's words)."""
        known = self.names[scope]
        for name in names:
            words = [name] if whole else [w for w in dict.fromkeys(self.tokenize.words(name) + _latin(
                self.tokenize, name)) if not NUMBERING.fullmatch(w)]
            if words and words not in known:
                known.append(words)

    def mentioned(self, own: set[str], terms: dict[str, float]) -> set[str]:
        """Scopes named by the question: one-word names by its own words (a translation of
        "roadmap" is no name), longer ones by its expanded terms; a named part names its document.
        ``own`` may hold joined neighbours too ("Lilian Weng" → lilianweng; see ``joined_words``)."""
        if self.genres & terms.keys():
            terms = {**dict.fromkeys(self.genres, 1.0), **terms}
        by = {scope: words for scope, names in self.names.items() if (words := self._said(names, own, terms))}
        named = self._narrowed(by, own)
        return named | {scope.split(" > ")[0] for scope in named}

    def addressed(self, named: set[str]) -> set[str]:
        """Of the scopes a question names, those it asks about: a page named with a roadmap that links to it
        ("the nanoGPT link in the DeepSeek roadmap: what does its train.py reproduce?"), when there is one;
        the roadmap only says where the link is, and boosting it too kept the page out of the top five."""
        pages = {s for s in named if self.linked_by.get(s.split(" > ")[0], set()) & named}
        return pages or named

    def spelled(self, question: str) -> set[str]:
        """Pages whose title's initials the question writes in capitals ("the DDPM paper")."""
        return {p for word in CAPITALS.findall(question) for p in self.acronyms.get(word.lower(), ())}

    def _said(self, names: list[list[str]], own: set[str], terms: dict[str, float]) -> frozenset[str]:
        """The words of the question that say one of a scope's names (none when it says none)."""
        return next((words for name in names if (words := self._naming(name, own, terms))), frozenset())

    def _naming(self, words: list[str], own: set[str], terms: dict[str, float]) -> frozenset[str]:
        """The words of the question that say this name (none when it is not said)."""
        if len(words) == 1:
            said = words[0] in own and words[0] in self.rare and words[0] not in self.genres
            return frozenset(words) if said else frozenset()
        hit = [w for w in words if w in terms]
        if not (len(hit) >= 2 and len(hit) / len(words) >= MOST or self._weight(hit) >= MOST * self._weight(words)):
            return frozenset()
        said = len(hit) == len(words) or any(w in own and w in self.rare for w in hit)
        return frozenset(hit) if said else frozenset()

    def _weight(self, words: list[str]) -> float:
        """How much ``words`` say, rare words most: "relearn" is most of "relearn AI"."""
        return sum(self.rarity.weight(w) for w in words)

    def _narrowed(self, by: dict[str, frozenset[str]], own: set[str]) -> set[str]:
        """Of the documents of one kind a question names, those holding most of its other rare words.

        A name is often shared: "Lilian Weng" names her blog's home page and a post of hers (by its URL
        and by a roadmap's link text), "DeepSeek" a roadmap and a plan that mentions it. "Lilian Weng 那篇讲
        幻觉的博客" means the page on hallucination; boosting the diffusion post too put its citation block first."""
        docs: dict[str, list[str]] = defaultdict(list)
        for scope in by:
            if " > " not in scope:
                docs[self.kind.get(scope, "")].append(scope)
        words = {w for named in by.values() for w in named}
        rest = {w for w in own if self.rarity.is_rare(w) and not any(w in n for n in words)}  # "weng" too
        dropped: set[str] = set()
        for same in docs.values():
            held = {d: len(rest & self.words_in[d]) for d in same}
            dropped |= {d for d in same if held[d] < max(held.values())}
        return {scope for scope in by if scope.split(" > ")[0] not in dropped}


def is_byline(text: str) -> bool:
    """Whether ``text`` is only a title and a list of fields about the page (arXiv id, authors, venue)."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    return bool(lines) and all(BYLINE_FIELD.match(line) for line in lines)


def title_head(title: str) -> str:
    """What a paper is called by, its title's head: the coined name before a colon ("DreamBooth: Fine
    Tuning …", "FlashAttention: …") or the words before "for", "of", "with" or "on" ("Scaling Laws for
    Neural Language Models" is "the scaling laws paper", "Flow Matching for Generative Modeling"). A head
    of several words before a colon ("Neural Networks: Zero to Hero") is a topic, not a name; ""
    when there is none."""
    name, colon, _ = title.partition(": ")
    if colon:
        return name if COINED.fullmatch(name) else ""
    head = TITLE_HEAD.split(title, maxsplit=1)[0]
    words = [w for w in head.split() if w.lower() not in SMALL_WORDS]
    return head if head != title and len(words) >= 2 and not has_cjk(head) else ""


def initials(title: str) -> str:
    """The acronym a title's words spell, small words left out ("Denoising Diffusion Probabilistic Models"
    → ddpm): papers are asked about by it. None for a title of fewer than three such words."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", title) if w.lower() not in SMALL_WORDS]
    return "".join(w[0] for w in words).lower() if len(words) >= 3 else ""


def _file_words(doc_id: str) -> str:
    return re.sub(r"[-_.]+", " ", PurePosixPath(doc_id).stem)


def _latin(tokenize: Tokenizer, name: str) -> list[str]:
    return [t for t in tokenize(name) if not has_cjk(t)]


def roadmap_links(chunks: Sequence[Chunk]) -> list[tuple[Chunk, str, str]]:
    """Every link the roadmaps write: its chunk, its text and its normalised URL."""
    return [(c, text, normalise_url(url)) for c in chunks if c.kind == "roadmap" for text, url in find_links(c.text)]


def link_texts(links: Sequence[tuple[Chunk, str, str]]) -> dict[str, list[str]]:
    """Normalised URL → the texts the roadmaps link it with ("Lil'Log", "MLsys-Guide")."""
    out: dict[str, list[str]] = defaultdict(list)
    for _, text, url in links:
        if text and not text.startswith("http"):
            out[url].append(text)
    return out


def linkers(chunks: Sequence[Chunk], links: Sequence[tuple[Chunk, str, str]]) -> dict[str, set[str]]:
    """Each linked page → the roadmaps that link to it (``links``: ``roadmap_links``)."""
    pages = {normalise_url(c.doc_id): c.doc_id for c in chunks if c.kind == "linked"}
    out: dict[str, set[str]] = defaultdict(set)
    for c, _, url in links:
        if (page := pages.get(url)) is not None:
            out[page].add(doc_scope(c))
    return out


def url_words(url: str) -> list[str]:
    """Name-like words of a URL: host and path pieces without common parts or trailing digits
    ("https://jarvis73.com/2024/..." → jarvis; "github.com/PKU-DAIR/..." → pku-dair, pku, dair)."""
    pieces = re.split(r"[/.?=&#:]+", url.lower().split("://", 1)[-1])
    out = []
    for p in pieces:
        p = re.sub(r"[-_\d]+$", "", p)
        if len(p) >= 4 and p not in COMMON_URL_WORDS and not p.isdigit():
            out += [p, *(q for q in re.split(r"[-_]+", p) if len(q) >= 3 and q not in COMMON_URL_WORDS)]
    return list(dict.fromkeys(out))


def joined_words(words: list[str]) -> set[str]:
    """The words, plus each pair of neighbours joined plain and with a hyphen (names in URLs)."""
    pairs = zip(words, words[1:], strict=False)
    return set(words) | {f"{a}{b}" for a, b in pairs} | {f"{a}-{b}" for a, b in zip(words, words[1:], strict=False)}
