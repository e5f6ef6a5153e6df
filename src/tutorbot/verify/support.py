"""Support check: is this sentence backed by one of the source sentences it may cite?

A model sentence is kept only when (1) every fact in it (names, codes, numbers, titles, URLs) is
stated by the sources or the learner's question, and (2) its content matches one source sentence:
most of its content words are in that sentence (jieba words for Chinese), or, for a paraphrase or a
sentence in the other language, the two embed close together. The supporting sentence's source
number becomes the sentence's citation. A sentence that fails says why (``Verdict.reason``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel

from tutorbot.lang import CJK_CHARS, detect_lang
from tutorbot.verify.facts import missing_facts

CITATION = re.compile(r"\[\d{1,3}\]")
URL = re.compile(r"https?://[^\s)\]>\"'，。]+")
SCRIPT_RUN = re.compile(f"[{CJK_CHARS}]+|[^{CJK_CHARS}]+")
MARKUP = re.compile(r"[*_`#>|]+|\[([^\]]*)\]\([^)]*\)")
Reason = Literal["supported", "fact", "unsupported", "empty", "repeat", "language", "catalog"]
# Function words carry no claim: "the course is about it" overlaps every source.
STOP = frozenset("""the a an of to in on for and or is are be was were it its this that these those with as at by
from you your can will should would could may might have has had do does did not no so if then than also
which what who how when where there their they them we our i my me he she his her about into more most
very just only some any all each other such here one two 的 了 和 是 在 有 也 都 就 而 及 与 或 这 那 它 他
你 我 们 个 一 中 上 下 要 会 可以 能 把 被 让 对 从 到 为 以 等 吗 呢 吧 啊 很 更 最 还 又 并 但""".split())
# How an answer talks about its sources ("the roadmap lists…", "路线图把…列为…"): reporting words,
# not claims, so a faithful report is not judged by them.
REPORTING = frozenset("""roadmap roadmaps plan source sources recommend recommends recommended suggest suggests
suggested list lists listed mention mentions say says said note notes include includes including
路线 路线图 资料 推荐 建议 提到 列 列为 列出 包括 说 写 写道 指出 认为 内容""".split())


class Embedder(Protocol):
    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class Evidence:
    """A sentence a claim may rest on, and the citation number of its source."""

    source: int
    text: str
    trusted: bool = True


class Verdict(BaseModel):
    """What the gate decided about one sentence, and why."""

    sentence: str
    ok: bool
    reason: Reason
    source: int | None = None
    detail: str = ""
    score: float = 0.0


@dataclass
class SupportChecker:
    """Checks sentences against the evidence of one answer (embeddings are computed once)."""

    tokenize: Callable[[str], list[str]]
    evidence: Sequence[Evidence]
    sources: Sequence[str] = ()  # whole source texts with titles and headings: where facts are looked up
    question: str = ""
    embedder: Embedder | None = None
    min_overlap: float = 0.6  # of the sentence's content words, in one source sentence...
    min_pairs: float = 0.4  # ...with this share of its adjacent word pairs too (word salad has none)
    min_cosine: float = 0.92  # or this close in meaning, with some words shared (another language)
    min_cosine_overlap: float = 0.25
    min_words: int = 3  # fewer content words make a fragment ("知乎", "**Transformer**"), not a claim
    translate: Callable[[str], set[str]] | None = None  # a word → its words in the other language
    _vectors: np.ndarray | None = field(default=None, repr=False)
    _joined: list[Evidence] | None = field(default=None, repr=False)

    def check_question(self, sentence: str) -> Verdict:
        """A guiding question (Socratic mode) asserts nothing, but may not bring in facts the sources
        lack, and must be about them (share a content word with the evidence)."""
        plain = clean(sentence)
        missing = missing_facts(plain, [*self.sources, *(e.text for e in self.evidence), self.question])
        if missing:
            return Verdict(sentence=sentence, ok=False, reason="fact", detail=", ".join(missing[:3]))
        words = self._sequence(plain)
        scores = [_overlap(words, self._sequence(e.text))[0] for e in self.evidence]
        best = max(range(len(scores)), key=lambda i: scores[i], default=-1)
        if best < 0 or scores[best] == 0.0:
            return Verdict(sentence=sentence, ok=False, reason="unsupported")
        return self._kept(sentence, self.evidence[best].source, scores[best])

    def check(self, sentence: str) -> Verdict:
        plain = clean(sentence)
        words = self._sequence(plain)
        if len(set(words)) < self.min_words:
            return Verdict(sentence=sentence, ok=False, reason="empty")
        # URLs are facts too: taken from the raw sentence, before link markup is reduced to its label
        missing = missing_facts(f"{plain} {' '.join(URL.findall(sentence))}",
                                [*self.sources, *(e.text for e in self.evidence), self.question])
        if missing:
            return Verdict(sentence=sentence, ok=False, reason="fact", detail=", ".join(missing[:3]))
        return self._content_match(sentence, plain, words)

    def _content_match(self, sentence: str, plain: str, words: list[str]) -> Verdict:
        scores = [_overlap(words, self._sequence(e.text)) for e in self._windows()]
        best = max(range(len(scores)), key=lambda i: scores[i], default=-1)
        if best >= 0 and scores[best][0] >= self.min_overlap and scores[best][1] >= self.min_pairs:
            return self._kept(sentence, self._windows()[best].source, scores[best][0])
        if (across := self._across(words, detect_lang(plain))) is not None:
            return self._kept(sentence, across[0], across[1])
        near, cosine, share = self._nearest(plain, words)
        # Meaning alone only counts across languages: in one language a supported sentence shares
        # its words, and word salad made of the sources' own vocabulary embeds close to them too.
        crosses = near is not None and detect_lang(plain) != detect_lang(near.text)
        if near is not None and crosses and cosine >= self.min_cosine and share >= self.min_cosine_overlap:
            return self._kept(sentence, near.source, cosine)
        top = scores[best][0] if best >= 0 else 0.0
        return Verdict(sentence=sentence, ok=False, reason="unsupported", score=top)

    def _across(self, words: list[str], lang: str) -> tuple[int, float] | None:
        """The source and share when a sentence's words, each read in either language through the
        bilingual terms, are in one evidence sentence written in the other language."""
        if self.translate is None:
            return None
        readings = {w: {w, *self.translate(w)} for w in set(words)}
        best: tuple[int, float] | None = None
        for e in self._windows():
            if detect_lang(e.text) == lang:
                continue
            have = set(self._sequence(e.text))
            share = sum(bool(r & have) for r in readings.values()) / len(readings)
            if share >= self.min_overlap and (best is None or share > best[1]):
                best = (e.source, share)
        return best

    @staticmethod
    def _kept(sentence: str, source: int, score: float) -> Verdict:
        return Verdict(sentence=sentence, ok=True, reason="supported", source=source, score=score)

    def _windows(self) -> list[Evidence]:
        """Each evidence sentence, and each with the next one of its source: a claim may sum up two
        sentences, and a source's own split can fall inside a title ("What are Diffusion Models? | …")."""
        if self._joined is None:
            pairs = [Evidence(a.source, f"{a.text} {b.text}", a.trusted)
                     for a, b in zip(self.evidence, self.evidence[1:], strict=False) if a.source == b.source]
            self._joined = [*self.evidence, *pairs]
        return self._joined

    def _sequence(self, text: str) -> list[str]:
        """The content words of ``text`` in reading order (stop words, digits and blanks left out).

        Each run of one script is tokenized on its own, so word pairs keep the order they were
        written in even when the tokenizer lists Latin words before Chinese ones."""
        words = [t for run in SCRIPT_RUN.findall(text) for t in self.tokenize(run)]
        return [t for t in words if t.strip() and t not in STOP and t not in REPORTING and not t.isdigit()]

    def _nearest(self, plain: str, words: list[str]) -> tuple[Evidence | None, float, float]:
        """The evidence sentence nearest in meaning (across languages), its cosine and word overlap."""
        if self.embedder is None or not self.evidence:
            return None, 0.0, 0.0
        if self._vectors is None:
            self._vectors = _unit(self.embedder.embed_passages([e.text for e in self.evidence]))
        cosines = self._vectors @ _unit(np.asarray([self.embedder.embed_query(plain)]))[0]
        best = int(np.argmax(cosines))
        near = self.evidence[best]
        return near, float(cosines[best]), _overlap(words, self._sequence(near.text))[0]


def clean(sentence: str) -> str:
    """The sentence as a claim: no citation markers, no markdown emphasis, link labels kept."""
    text = CITATION.sub(" ", sentence)
    text = MARKUP.sub(lambda m: m.group(1) or " ", text)
    return re.sub(r"\s+", " ", text).strip(" -")


def _overlap(words: list[str], source: list[str]) -> tuple[float, float]:
    """Share of ``words`` that ``source`` contains, and share of their adjacent pairs it contains."""
    have, pairs = set(source), set(zip(source, source[1:], strict=False))
    mine = set(zip(words, words[1:], strict=False))
    unique = set(words)
    if not unique:
        return 0.0, 0.0
    return len(unique & have) / len(unique), (len(mine & pairs) / len(mine) if mine else 1.0)


def _unit(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    return m / np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
