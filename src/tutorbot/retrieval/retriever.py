"""Retrieve stage: BM25 (jieba for Chinese) + dense (Chroma) fused by reciprocal rank fusion.

Most roadmap text is Chinese with English terms, so English questions are bridged with a
bilingual glossary of the corpus's domain terms (``corpus/glossary.yaml``): a query is expanded
with the other language's terms before both retrievers see it. BM25 lives in memory, rebuilt
from the index's stored chunks when the retriever is created (the corpus is small).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from tutorbot.lang import CJK_CHARS, has_cjk
from tutorbot.retrieval.embed import Embedder
from tutorbot.retrieval.index import IndexEmpty, VectorIndex
from tutorbot.retrieval.sentences import RankedSentence, idf_weights, rank_sentences
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import RetrievalSettings

WORD = re.compile(r"[a-z0-9][a-z0-9.\-+#]*[a-z0-9+#]|[a-z0-9]")
NOT_CJK = re.compile(f"[^{CJK_CHARS}]+")
STOP = set("the a an of to in on for and or is are be what which who how does do i my me with about "
           "should can there any 的 了 和 是 在 有 什么 哪些 吗 呢 我 你 与 及 或 如何 怎么 推荐 一些".split())


class Tokenizer:
    """Lower-cased words for latin text, jieba search-mode words for Chinese."""

    def __init__(self, words: list[str] = ()):
        import jieba

        jieba.setLogLevel(60)
        # Our own instance (not jieba's global one), taught the glossary's domain terms so that
        # e.g. 后训练 stays one rare token instead of 后 + the very common 训练.
        self._jieba = jieba.Tokenizer()
        for w in words:
            self._jieba.add_word(w, freq=20000)

    def __call__(self, text: str) -> list[str]:
        text = text.lower()
        toks = WORD.findall(text)
        if has_cjk(text):
            cjk_only = NOT_CJK.sub(" ", text)
            toks += [t for t in self._jieba.lcut_for_search(cjk_only) if t.strip()]
        return [t for t in toks if t not in STOP]


@dataclass
class GlossaryEntry:
    en: list[str]
    zh: list[str]


class Glossary:
    """Bilingual domain terms; ``expand`` appends the other language's terms found in a query."""

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

    def expand(self, query: str) -> str:
        low = query.lower()
        extra: list[str] = []
        for e in self.entries:
            if any(_has_term(low, t.lower()) for t in e.en):
                extra += e.zh
            if any(t in query for t in e.zh):
                extra += e.en[:1]
        extra = [t for t in dict.fromkeys(extra) if t.lower() not in low]
        return f"{query} {' '.join(extra)}" if extra else query


def _has_term(text: str, term: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", text) is not None


NAME_LIKE = re.compile(r"\b(?=[A-Za-z0-9.\-]*[A-Za-z])(?:[A-Za-z]+[0-9][A-Za-z0-9.\-]*|[0-9]+[A-Za-z][A-Za-z0-9.\-]*"
                       r"|[A-Z]{3,}[A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*|[A-Z][a-z]+[A-Z][A-Za-z0-9]*)\b")


def name_terms(texts: list[str]) -> set[str]:
    """Words shaped like names of courses, papers and tools (CS336, nanoGPT, LoRA, HELM, DeepSeek),
    lower-cased: a question naming one is about the corpus even when it says little else."""
    return {m.lower() for t in texts for m in NAME_LIKE.findall(t) if len(m) >= 3}


def mentions_name(query: str, names: set[str]) -> bool:
    return any(w in names for w in WORD.findall(query.lower()))


def rrf(rankings: list[list[str]], k: int, weights: list[float] | None = None) -> dict[str, float]:
    scores: dict[str, float] = {}
    for ranking, w in zip(rankings, weights or [1.0] * len(rankings), strict=False):
        for rank, cid in enumerate(ranking):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank + 1)
    return scores


class Retriever:
    """Hybrid retriever over one ``VectorIndex``."""

    def __init__(self, index: VectorIndex, embedder: Embedder, settings: RetrievalSettings,
                 glossary: Glossary | None = None, tokenizer: Tokenizer | None = None):
        self.index, self.embedder, self.settings = index, embedder, settings
        self.glossary = glossary or Glossary([])
        self.tokenize = tokenizer or Tokenizer(self.glossary.zh_terms())
        self.refresh()

    def refresh(self) -> None:
        """(Re)build BM25 from what the index holds; call after ingestion."""
        import bm25s

        self.chunks: list[Chunk] = self.index.all_chunks()
        self.by_id = {c.id: c for c in self.chunks}
        self._bm25 = None
        corpus = [self.tokenize(c.embed_text) for c in self.chunks]
        self.idf = idf_weights(corpus)
        if corpus:
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)

    def bm25(self, query: str, k: int) -> list[Hit]:
        if self._bm25 is None:
            raise IndexEmpty("index is empty: run `tutorbot ingest`")
        toks = self.tokenize(query)
        if not toks:
            return []
        docs, scores = self._bm25.retrieve([toks], k=min(k, len(self.chunks)), show_progress=False)
        pairs = zip(docs[0], scores[0], strict=True)
        return [Hit(chunk=self.chunks[int(i)], score=float(s)) for i, s in pairs if s > 0]

    def dense(self, query: str, k: int) -> list[Hit]:
        return self.index.query(self.embedder.embed_query(query), k)

    def search(self, query: str, k: int | None = None, mode: str | None = None) -> list[Hit]:
        return self.retrieve(query, k, mode).hits

    def retrieve(self, query: str, k: int | None = None, mode: str | None = None) -> Retrieval:
        """Top-k hits plus the grounding signals chat uses: best dense cosine, best BM25 score."""
        k = k or self.settings.top_k
        mode = mode or self.settings.mode
        expanded = self.glossary.expand(query)
        pool = max(4 * k, 20)
        dense = self.dense(expanded, pool)
        sparse = self.bm25(expanded, pool)  # ~1 ms; always run, its top score is a grounding signal
        signals = dict(top_similarity=max((h.score for h in dense), default=0.0),
                       top_lexical=max((h.score for h in sparse), default=0.0), query=expanded)
        if mode in ("dense", "bm25"):
            return Retrieval(dense[:k] if mode == "dense" else sparse[:k], **signals)
        return Retrieval(self._fuse(sparse, dense, k), **signals)

    def rank_sentences(self, question: str, hits: list[Hit], dense: bool = False) -> list[RankedSentence]:
        """The sentences of ``hits`` best first, weighed by this index's term statistics
        (``sentences.rank_sentences``); ``dense`` adds the embedder's cosine (~10 ms a sentence on CPU)."""
        return rank_sentences(question, hits, self.tokenize, self.idf, self.embedder if dense else None)

    def _fuse(self, sparse: list[Hit], dense: list[Hit], k: int) -> list[Hit]:
        fused = rrf([[h.chunk.id for h in sparse], [h.chunk.id for h in dense]], self.settings.rrf_k)
        for cid in fused:  # linked pages weigh less, so roadmap sections stay findable
            if self.by_id.get(cid) and self.by_id[cid].kind == "linked":
                fused[cid] *= self.settings.linked_weight
        order = [c for c in sorted(fused, key=fused.get, reverse=True) if c in self.by_id]
        head = self._roadmap_floor(order, min(k, self.settings.top_k))  # what chat sees is the same at any k
        best = head + [c for c in order if c not in head][: k - len(head)]
        return [Hit(chunk=self.by_id[c], score=fused[c]) for c in best]

    def _roadmap_floor(self, order: list[str], k: int) -> list[str]:
        """The top k, with at least ``min_roadmap`` roadmap sections when the pool has them.

        Linked pages are many and long, and on a question like "which benchmark by Percy Liang is
        mentioned?" seven of them outscored the one roadmap line that answers it (dev hit@5 1.00 → 0.96
        with the linked pages). A lower linked weight fixed that but pushed linked pages out of
        questions about them; a floor of roadmap slots keeps both findable.
        """
        top = order[:k]
        road = [c for c in order if self.by_id[c].kind == "roadmap"][: self.settings.min_roadmap]
        missing = [c for c in road if c not in top]
        linked = [c for c in top if self.by_id[c].kind == "linked"]
        if not missing or not linked:
            return top
        drop = set(linked[-len(missing):])
        rank = {c: i for i, c in enumerate(order)}
        return sorted([c for c in top if c not in drop] + missing[: len(drop)], key=rank.__getitem__)


@dataclass
class Retrieval:
    hits: list[Hit]
    top_similarity: float
    top_lexical: float
    query: str
