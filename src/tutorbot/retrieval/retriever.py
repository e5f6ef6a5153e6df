"""Retrieve stage: language-balanced BM25 + dense candidates, fused by reciprocal rank, with the
roadmap (or page) the question names and each chunk's best sentence taken into account.

0. ``budget``: retrieval reads the question's first ``max_query_tokens`` tokens only.
1. ``expand``: the question's terms in the corpus's other language (mined pairs, a cut-down
   dictionary, the hand glossary; and the served model's translation when it can give one).
2. ``fusion``: BM25 (``lexical``) and dense (``dense``: e5) each rank the Chinese and the English chunks on
   their own, so the best passage of each language competes; so does a second embedding model
   (``second_view``: multilingual USE), when one is configured, and with it the roadmap lines of the
   question's other language that the two views agree on (``line_view``).
3. ``scopes``: chunks of a roadmap, part or page the question names get a boost (only the page, when it
   is named with a roadmap that links to it), and the named scope's opening chunk joins the candidates.
4. ``sentences``: a last list ranks the pooled candidates by their best sentence.
5. Linked pages weigh ``linked_weight``; the top k keeps ``min_roadmap`` roadmap sections.
Chat reads, besides the top k, what they lead to (``follow``): a lead-in's list and a part's resource list.

``mode`` runs a prefix of that chain, for evaluation: ``bm25``, ``dense`` and ``second`` (the second
dense view) alone (expanded query, one global ranking each), ``rrf`` (the plain fusion of the first two),
``balanced`` (+ per-language lists, both dense views, the line view), ``scoped`` (+ scopes), ``hybrid``
(+ sentences: the default and what chat uses).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from tutorbot.errors import InputError
from tutorbot.ingest.terms import TermTable
from tutorbot.lang import URL_TEXT, has_cjk
from tutorbot.retrieval.budget import bounded, strongest
from tutorbot.retrieval.dense import DenseScan
from tutorbot.retrieval.embed import Embedder
from tutorbot.retrieval.expand import Expansion, Glossary, QueryExpander
from tutorbot.retrieval.follow import Follower, asks_about_page
from tutorbot.retrieval.fusion import (
    SIDES,
    balanced_lists,
    global_lists,
    lexical_leaders,
    roadmap_floor,
    rrf,
    side_masks,
    top_ids,
)
from tutorbot.retrieval.grounding import name_evidence, setting_stated
from tutorbot.retrieval.index import IndexEmpty, VectorIndex
from tutorbot.retrieval.lexical import Lexical
from tutorbot.retrieval.line_view import LineView
from tutorbot.retrieval.rarity import Rarity
from tutorbot.retrieval.scopes import SCOPE_LEVELS, Scopes, joined_words
from tutorbot.retrieval.second_view import SecondView
from tutorbot.retrieval.sentences import (
    RankedSentence,
    context_text,
    form_words,
    idf_weights,
    rank_sentences,
    split_sentences,
    weighted_overlap,
)
from tutorbot.retrieval.tokenize import Tokenizer, fold, piece_weight, words_inside
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import RetrievalSettings

MODES = ("bm25", "dense", "second", "rrf", "balanced", "scoped", "hybrid")
STAGES = {"rrf": 0, "balanced": 1, "scoped": 2, "hybrid": 3}  # how much of the fusion chain runs


@dataclass
class Retrieval:
    hits: list[Hit]
    top_similarity: float
    top_lexical: float
    query: str
    coverage: float = 1.0  # IDF share of the question's terms (translations count) in the top hits
    terms: dict[str, float] = field(default_factory=dict)  # the weighted query terms, expansion included
    known_names: list[str] = field(default_factory=list)  # name-shaped words of the question the index has
    unknown_names: list[str] = field(default_factory=list)  # ... and those it has never seen
    scopes: list[str] = field(default_factory=list)  # roadmaps, parts and pages the question names
    value_stated: bool | None = None  # a question asking for a value: does a hit state one? (None: it asks none)


class Retriever:
    """Hybrid, language-balanced retriever over one ``VectorIndex``."""

    def __init__(self, index: VectorIndex, embedder: Embedder, settings: RetrievalSettings,
                 glossary: Glossary | None = None, terms: TermTable | None = None, translator=None,
                 second: SecondView | None = None):
        self.index, self.embedder, self.settings = index, embedder, settings
        self.glossary, self.terms = glossary or Glossary([]), terms or TermTable()
        self.translator = translator  # optional ``translate.QueryTranslator``
        self.second = second if settings.second_view_weight > 0 else None  # optional ``second_view.SecondView``
        self.lines: LineView | None = None  # built from the second view when the line view weighs anything
        self.refresh()

    def refresh(self, terms: TermTable | None = None) -> None:
        """(Re)build BM25, term statistics, scopes and the expander from what the index holds."""
        self.terms = terms or self.terms
        self.tokenize = Tokenizer([*self.glossary.zh_terms(), *self.terms.zh_terms()])
        self.chunks, vectors = self.index.snapshot()
        self.by_id = {c.id: c for c in self.chunks}
        self._position = {c.id: i for i, c in enumerate(self.chunks)}
        docs = [self.tokenize(f"{c.embed_text} {form_words(c.text)}") for c in self.chunks]
        self._doc_tokens = {c.id: set(d) for c, d in zip(self.chunks, docs, strict=True)}
        self.idf = idf_weights(docs)
        self._rare = max(self.idf.values(), default=1.0)
        self.lexical = Lexical(docs)
        self.masks = side_masks(self.chunks)
        self.roadmap = np.array([c.kind == "roadmap" for c in self.chunks], bool)  # what the line view holds
        self.scan = DenseScan(self.chunks, vectors, self.masks, self.embedder)
        if self.second is not None:
            self.second = self.second.refreshed(self.chunks)
            if self.settings.line_view_weight > 0:
                embed, old = self.second.embed_lines, self.lines
                self.lines = LineView(embed, self.chunks) if old is None else old.refreshed(self.chunks, embed)
        self.rarity = Rarity(self.chunks, self._text_df())
        self.scopes = Scopes(self.chunks, self.tokenize, self.rarity, self._doc_tokens)
        self._folded = "\n".join(fold(f"{c.title} {c.text}") for c in self.chunks)  # where a name is looked for
        self._links = "\n".join(URL_TEXT.findall(self._folded))  # ... and where it may be part of a word
        self.expander = QueryExpander(self.tokenize, self.terms, self.glossary)
        self.follower = Follower(self.chunks, self.expander.is_resource_label)
        self.outline = self.follower.outline  # a linked page's parts, its headings
        self._sentences: dict[str, tuple[list[str], list[list[str]]]] = {}

    def _text_df(self) -> dict[str, int]:
        """In how many chunks each token occurs in the chunk's own words (no headings, no URLs)."""
        df: dict[str, int] = {}
        for c in self.chunks:
            for t in set(self.tokenize(URL_TEXT.sub(" ", c.text))):
                df[t] = df.get(t, 0) + 1
        return df

    # -- stages ------------------------------------------------------------------------------
    def bound(self, query: str) -> str:
        """The part of the question retrieval reads (``budget.bounded``)."""
        return bounded(query, self.settings.max_query_tokens, (self.tokenize.count, self.embedder.count_tokens))

    def expand(self, query: str) -> Expansion:
        out = self.expander.expand(query)
        if self.translator is not None and (restated := self.translator.translate(query)):
            out.add(self.tokenize(restated), 1.0, restated)
        cap = self.settings.max_query_tokens  # each side at most as many added terms as the question may have
        out.zh, out.en, out.terms = strongest(out.zh, cap), strongest(out.en, cap), strongest(out.terms, cap)
        return out

    def own_terms(self, query: str) -> list[str]:
        """The question's tokens and the corpus's words written inside it."""
        return [*self.tokenize(query), *words_inside(query, self.lexical.vocab)]

    def weighted_terms(self, query: str, expansion: Expansion, own: list[str] | None = None) -> dict[str, float]:
        """The question's own terms (``own_terms``; weight 1, a piece of a longer Chinese word of it
        ``PIECE``) and its expansion's."""
        own = self.own_terms(query) if own is None else own
        return {**expansion.zh, **expansion.en, **{t: piece_weight(t, own) for t in own}}

    def bm25_scores(self, terms: dict[str, float], *more: dict[str, float]) -> list[np.ndarray]:
        """BM25 under ``terms`` (and under each further weighting of them)."""
        if not self.chunks:
            raise IndexEmpty("index is empty: run `tutorbot ingest`")
        return self.lexical.weighted_sums([terms, *more])

    def dense(self, query: str, k: int, side: str) -> list[Hit]:
        """The ``k`` chunks of one language side nearest to the query (``dense``)."""
        return self.scan.nearest(query, k, side)

    def search(self, query: str, k: int | None = None, mode: str | None = None) -> list[Hit]:
        return self.retrieve(query, k, mode).hits

    def retrieve(self, query: str, k: int | None = None, mode: str | None = None) -> Retrieval:
        """Top-k hits (``score``: fused score, or BM25 / cosine in those modes) plus the grounding signals."""
        k, mode, query = k or self.settings.top_k, mode or self.settings.mode, self.bound(query)
        if mode not in self.modes():
            raise InputError(f"retrieval mode {mode!r} is not available: use one of {', '.join(self.modes())}"
                             + (" (second needs TUTORBOT_EMBEDDING_SECOND_VIEW=use)" if mode == "second" else ""))
        expansion = self.expand(query)
        own = self.own_terms(query)
        terms = self.weighted_terms(query, expansion, own)
        # Grounding reads the lexical strength of the question's words each at full weight, as it was tuned.
        lex, whole = self.bm25_scores(terms, {**terms, **dict.fromkeys(own, 1.0)})
        pool = max(self.settings.candidates, k)
        dense_query = f"{query} {expansion.text()}".strip()
        dense = {side: self.dense(dense_query, pool, side) for side in SIDES}
        named = self._named(query, terms)
        if mode == "bm25":
            ranked = {c: float(lex[self._position[c]]) for c in top_ids(lex, self.chunks, k)}
        elif mode == "dense":
            ranked = {h.chunk.id: h.score for h in sorted((h for v in dense.values() for h in v),
                                                          key=lambda h: -h.score)[:k]}
        elif mode == "second" and self.second is not None:
            ranked = self.second.nearest(dense_query, self.chunks, k)
        else:
            other = "en" if has_cjk(query) else "zh"  # the question's other language
            ranked = self._fuse(dense_query, terms, lex, dense, k, STAGES[mode], named if STAGES[mode] >= 2 else set(),
                                other)
        hits = [Hit(chunk=self.by_id[c], score=score) for c, score in ranked.items()]
        similarity = max((h.score for v in dense.values() for h in v[:1]), default=0.0)
        names = name_evidence(query, self.lexical.vocab, self.tokenize.stem, self.translate, self._folded, self._links)
        stated = setting_stated(query, terms, hits[: self.settings.top_k], self.rarity.is_rare, self.tokenize,
                                self.translate, named)
        return Retrieval(hits, similarity, self.lexical_strength(whole), query,
                         self.coverage(terms, hits[: self.settings.top_k]), terms, names.known, names.unknown,
                         sorted(named), stated)

    def _named(self, query: str, terms: dict[str, float]) -> set[str]:
        return self.scopes.mentioned(joined_words(self.tokenize(query)), terms) | self.scopes.spelled(query)

    def scopes_named(self, text: str) -> list[str]:
        """The roadmaps, parts and pages ``text`` names, read with the deterministic expansion only."""
        return sorted(self._named(text, self.weighted_terms(text, self.expander.expand(text))))

    def modes(self) -> tuple[str, ...]:
        """The modes this retriever can run (``second`` only with a second dense view)."""
        return MODES if self.second is not None else tuple(m for m in MODES if m != "second")

    def lexical_strength(self, lex: np.ndarray) -> float:
        """The best BM25 score over ln(number of chunks): BM25's IDF grows with the log of the
        corpus size, so this reads the same on the roadmaps alone and with the linked pages."""
        return float(lex.max(initial=0.0)) / max(np.log(len(self.chunks)), 1.0)

    def _fuse(self, dense_query: str, terms: dict[str, float], lex: np.ndarray, dense: dict[str, list[Hit]], k: int,
              stage: int, named: set[str], other: str) -> dict[str, float]:
        """Chunk id → fused score of the top k, best first. ``dense_query``: the question with its expansion,
        what both dense views embed (the second view given the bare question found fewer on the tuning half);
        ``other``: the question's other language, whose roadmap lines the line view ranks."""
        pool = max(self.settings.candidates, k)
        lists, weights = (balanced_lists(lex, self.chunks, self.masks, dense, pool) if stage >= 1
                          else global_lists(lex, self.chunks, dense, pool))
        if self.second is not None and stage >= 1:
            more, how = self.second.lists(dense_query, self.chunks, self.masks, pool)
            lists += more
            weights += [self.settings.second_view_weight * w for w in how]
            if self.lines is not None:  # the other language's roadmap lines two views agree on (``line_view``)
                agree = top_ids(lex, self.chunks, self.settings.line_lexical_cut, self.masks[other] & self.roadmap)
                lists.append(self.lines.agreeing(self.second.query_vector(dense_query), other, agree,
                                                 self.settings.line_sentence_cut, named))
                weights.append(self.settings.line_view_weight)
        # The opening chunk of a named scope says what it is about ("what is the 'LLM basics'
        # part aiming at?", a paper's abstract): it joins the candidates as a list of its own.
        lists.append([c for s in sorted(named) for c in self.scopes.openings(s)])
        lists.append(lexical_leaders(lex, self.chunks, pool, self.settings.lexical_lead if stage >= 1 else 0.0))
        fused = rrf(lists, self.settings.rrf_k, [*weights, 1.0, 1.0])
        # The index is live: a page the background job added after this snapshot was built can come back from
        # the dense search; it joins at the next refresh.
        fused = {cid: score for cid, score in fused.items() if cid in self.by_id}
        if stage >= 3 and self.settings.sentence_weight > 0:
            best = self._by_best_sentence(terms, sorted(fused, key=lambda c: fused[c], reverse=True)[:pool])
            for cid, score in rrf([best], self.settings.rrf_k, [self.settings.sentence_weight]).items():
                fused[cid] += score
        boosted = self.scopes.addressed(named)
        for cid in fused:
            c = self.by_id[cid]
            boost = 1 + self.settings.scope_boost * sum(scope(c) in boosted for scope in SCOPE_LEVELS)
            fused[cid] *= boost * (self.settings.linked_weight if c.kind == "linked" else 1.0)
        order = sorted(fused, key=lambda c: fused[c], reverse=True)
        head = roadmap_floor(order, self.by_id, min(k, self.settings.top_k), self.settings.min_roadmap)
        return {c: fused[c] for c in head + [c for c in order if c not in head][: k - len(head)]}

    def continuations(self, hits: list[Hit]) -> list[Hit]:
        """A lead-in's list cut off by a chunk end (``follow``)."""
        return self.follower.continuations(hits)

    def resource_list(self, query: str, hits: list[Hit]) -> list[Hit]:
        """The resource list of the part the hits land in, when ``query`` asks for a course, book or video."""
        return self.follower.resource_list(hits) if self.expander.asks_for_resource(self.bound(query)) else []

    def linked_pages(self, query: str, hits: list[Hit]) -> list[Hit]:
        """The page a link the question names leads to: its opening and its best passage by BM25 (``follow``)."""
        if not asks_about_page(query := self.bound(query)):
            return []
        lex = self.bm25_scores(self.weighted_terms(query, self.expand(query)))[0]
        return self.follower.linked_pages(query, hits, self.settings.top_k, lambda c: float(lex[self._position[c.id]]))

    # -- sentences and coverage ---------------------------------------------------------------
    def _sentence_tokens(self, chunk: Chunk) -> tuple[list[str], list[list[str]]]:
        """The tokens of the chunk's ``context_text`` and of each of its sentences (once per chunk)."""
        if chunk.id not in self._sentences:
            sentences = [self.tokenize(s.text) for s in split_sentences(chunk.text)] or [[]]
            self._sentences[chunk.id] = (self.tokenize(context_text(chunk)), sentences)
        return self._sentences[chunk.id]

    def best_sentence(self, terms: dict[str, float], chunk: Chunk) -> float:
        """How much of the question one sentence of the chunk holds (read with its heading path and form)."""
        head, sentences = self._sentence_tokens(chunk)
        return max(self.overlap(terms, head + toks) for toks in sentences)

    def _by_best_sentence(self, terms: dict[str, float], candidates: list[str]) -> list[str]:
        scored = [(self.best_sentence(terms, self.by_id[c]), c) for c in candidates]
        return [c for s, c in sorted(scored, key=lambda x: -x[0]) if s > 0]

    def overlap(self, terms: dict[str, float], tokens: list[str]) -> float:
        return weighted_overlap(terms, tokens, self.idf, self._rare)

    def coverage(self, terms: dict[str, float], hits: list[Hit]) -> float:
        return self.overlap(terms, [t for h in hits for t in self._doc_tokens.get(h.chunk.id, ())])

    def unlisted(self, text: str) -> list[str]:
        """Chinese words of ``text`` no dictionary holds, mostly names (``Tokenizer.unlisted``)."""
        return self.tokenize.unlisted(text)

    def translate(self, word: str) -> set[str]:
        """A token's readings in the other language (mined terms, dictionary, glossary)."""
        found = self.expander.expand(word)
        return {*found.zh, *found.en}

    def rank_sentences(self, question: str, hits: list[Hit], dense: bool = False) -> list[RankedSentence]:
        """The sentences of ``hits`` best first, weighed by this index's term statistics
        (``sentences.rank_sentences``); ``dense`` adds the embedder's cosine (~10 ms a sentence on CPU)."""
        question = self.bound(question)
        terms = self.weighted_terms(question, self.expand(question))
        return rank_sentences(question, hits, self.tokenize, self.idf, self.embedder if dense else None,
                              terms=terms)
