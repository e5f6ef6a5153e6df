"""Concept questions: what a learner should understand, from the sentences of the corpus that explain it.

Stage: explanatory statements (linked pages, roadmap explanations) → **concept candidates** →
assembler → validator. Five generators per statement, each a mechanism, not a list for a passage:

- cloze (recall): the statement with its concept term blanked; other spellings of the term are accepted;
- which term / which technique (understanding; application when the statement says what it achieves):
  the blanked statement with the term and three sibling concepts of the same curriculum track;
- true or false: the statement (recall) or a distorted version of it (understanding, ``distort``);
- property (understanding): "which of these is true of X", the other options said of sibling concepts;
- explain (application): a short answer, graded on the statement's key terms (``keyterms``).

Every candidate cites the statement's chunk and quotes the statement as its explanation; its fact is
the statement, so no quiz tests one sentence twice.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import cached_property
from typing import Any

from tutorbot.lang import has_cjk
from tutorbot.quiz.candidates import Candidate, build, pick_options, shorten, source_name, statement_fact
from tutorbot.quiz.distort import distort
from tutorbot.quiz.keyterms import Rarity, key_terms
from tutorbot.quiz.match import contains, fold
from tutorbot.quiz.models import BLANK, TF_OPTIONS, Level, QType, QuizLang
from tutorbot.quiz.statements import Statement, statements, title_keys
from tutorbot.quiz.vocabulary import Equivalents, Mention, Vocabulary, match_case, same_term
from tutorbot.quiz.wording import WORDING
from tutorbot.schemas import Chunk

PARENS = re.compile(r"\s*[（()）]\s*")
ABBREVIATION = re.compile(r"^\s*[（(][A-Za-z][A-Za-z0-9\-]{1,9}[）)]")  # "Flow Matching (FM)"
# What may follow a sentence's subject: a colon, comma or bracket, or a verb ("is", "allows", "solves", "used").
VERB_NEXT = re.compile(r"\s*(?:[,:(（]|(?:is|are|was|were|can|could|may|will|would|has|have|had|does|do|\w+s|\w+ed)\b)")
PREDICATE = {"en": (15, 140), "zh": (8, 70)}  # characters of an option that states a property


class ConceptBank:
    """Concept candidates over the explanatory statements of a set of chunks."""

    def __init__(self, chunks: list[Chunk], vocabulary: Vocabulary, equivalents: Equivalents,
                 titles: Iterable[str] = ()):
        self.chunks, self.vocab, self.eq, self.titles = chunks, vocabulary, equivalents, title_keys(titles)

    @cached_property
    def statements(self) -> list[Statement]:
        """Every explanatory statement once (the first chunk that says it)."""
        found = {fold(s.text): s for c in self.chunks for s in statements(c, self.vocab, self.titles)}
        return list(found.values())

    @cached_property
    def rarity(self) -> Rarity:
        return Rarity(s.text for s in self.statements)

    @cached_property
    def surface(self) -> dict[str, str]:
        """How the explanatory statements most often write each term they use ("vae" → "VAE")."""
        counts = Counter((fold(m.term), m.term) for s in self.statements for m in s.mentions)
        best: dict[str, str] = {}
        for (key, term), _ in counts.most_common():
            best.setdefault(key, term)
        return best

    def candidates(self, lang: QuizLang) -> list[Candidate]:
        gens = (self._cloze, self._which, self._true_false, self._property, self._explain)
        return [c for s in self.statements for gen in gens if (c := gen(s, lang)) is not None]

    # -- building blocks ----------------------------------------------------------------------
    def _make(self, s: Statement, lang: QuizLang, rule: str, qtype: QType, level: Level, text: str,
              answer: str, **fields: Any) -> Candidate | None:
        source = source_name(s.chunk)
        explanation = WORDING[lang]["because"].format(source=source, quote=shorten(s.text))
        fact = statement_fact(s.text)
        topics = {m.topic for m in s.mentions}
        return build(lang, rule, fact, s.chunk, topics, text=text, answer=answer, quote=shorten(s.text),
                     explanation=explanation, type=qtype, level=level, about="subject", **fields)

    def blanked(self, s: Statement) -> str:
        """The statement with every spelling of its focus term blanked, with an abbreviation after it."""
        assert s.focus is not None
        spans = [m for m in s.mentions if m == s.focus or same_term(m.term, s.focus.term)
                 or any(same_term(m.term, e) for e in self.eq.of(s.focus.term))]
        text = s.text
        for m in sorted(spans, key=lambda m: -m.start):
            text = text[:m.start] + BLANK + ABBREVIATION.sub("", text[m.end:], count=1)
        return text

    def _hiding(self, s: Statement) -> str:
        """The source's name for a question whose answer is the focus term: one that does not give it away."""
        assert s.focus is not None
        return source_name(s.chunk, [s.focus.term, *self._accepted(s.focus.term)])

    def _accepted(self, term: str) -> list[str]:
        """Other ways to write the term: its equivalents, and either half of "Mixture of Experts (MoE)"."""
        halves = [h.strip() for h in PARENS.split(term) if h.strip()] if PARENS.search(term) else []
        out = [*halves, *(e for t in [term, *halves] for e in self.eq.of(t))]
        return [e for e in dict.fromkeys(out) if not same_term(e, term)]

    def _sibling_terms(self, focus: Mention, passage: str) -> list[str]:
        """Names of sibling concepts (same track, another topic) the passage does not name, written like
        the answer."""
        names = self.vocab.names(self.vocab.siblings(focus.topic), cjk=has_cjk(focus.term))
        used = [self.surface[fold(n)] for n in names if fold(n) in self.surface]  # terms the corpus explains
        fits = [[match_case(n, focus.term) for n in group if self._distinct(n, focus.term, passage)]
                for group in (used, names)]
        return fits[0] if len(fits[0]) >= 3 else fits[1]

    def _distinct(self, option: str, term: str, passage: str) -> bool:
        """Another concept than ``term``, and not one the passage names (it could be right there too)."""
        return not contains(passage, option) and not contains(option, term) and not contains(term, option) \
            and not any(same_term(option, e) for e in [term, *self.eq.of(term)])

    # -- generators ---------------------------------------------------------------------------
    def _cloze(self, s: Statement, lang: QuizLang) -> Candidate | None:
        assert s.focus is not None
        text = WORDING[lang]["cloze"].format(source=self._hiding(s), line=self.blanked(s))
        return self._make(s, lang, "cloze", "blank", "recall", text, s.focus.term, key=s.focus.term,
                          anchor=s.text, accepted=self._accepted(s.focus.term))

    def _which(self, s: Statement, lang: QuizLang) -> Candidate | None:
        assert s.focus is not None
        term = s.focus.term
        options = pick_options(term, self._sibling_terms(s.focus, s.chunk.embed_text), f"which:{s.text}")
        if options is None:
            return None
        level: Level = "application" if s.cue == "effect" else "understanding"
        kind = "which_technique" if s.cue == "effect" else "which_term"
        text = WORDING[lang][kind].format(source=self._hiding(s), line=self.blanked(s))
        return self._make(s, lang, kind, "mcq", level, text, term, key=term, anchor=s.text, options=options)

    def _true_false(self, s: Statement, lang: QuizLang) -> Candidate | None:
        yes, no = TF_OPTIONS[lang]
        false = distort(s)
        shown = false or s.text
        text = WORDING[lang]["tf_true"].format(source=source_name(s.chunk), line=shown)
        level: Level = "understanding" if false else "recall"
        return self._make(s, lang, "distorted" if false else "stated", "tf", level, text, no if false else yes,
                          key=s.text, options=[yes, no], absent=[false] if false else [])

    @cached_property
    def properties(self) -> dict[str, list[tuple[Statement, str]]]:
        """Subject-first statements and what they say of their subject, by the subject's topic."""
        out: dict[str, list[tuple[Statement, str]]] = {}
        for s in self.statements:
            if s.focus and (p := predicate(s)):
                out.setdefault(s.focus.topic, []).append((s, p))
        return out

    def _property(self, s: Statement, lang: QuizLang) -> Candidate | None:
        own = predicate(s)
        if own is None or s.focus is None:
            return None
        names = [s.focus.term, *self.eq.of(s.focus.term)]
        pool = [p for t in self.vocab.siblings(s.focus.topic) for o, p in self.properties.get(t, [])
                if o.language == s.language and not any(contains(p, n) for n in names)]
        options = pick_options(own, pool, f"property:{s.text}", lambda p: not contains(s.chunk.embed_text, p))
        if options is None:
            return None
        text = WORDING[lang]["property"].format(source=source_name(s.chunk), term=s.focus.term)
        return self._make(s, lang, "property", "mcq", "understanding", text, own, key=own, anchor=s.focus.term,
                          options=options)

    def _explain(self, s: Statement, lang: QuizLang) -> Candidate | None:
        assert s.focus is not None
        points = key_terms(s, self.rarity)
        if predicate(s) is None or len(points) < 2:  # only a sentence that is about its term explains it
            return None
        text = WORDING[lang][f"explain_{s.cue}"].format(source=source_name(s.chunk), term=s.focus.term)
        return self._make(s, lang, f"explain_{s.cue}", "short", "application", text, s.text, key=s.text,
                          rubric=points, accepted=self._accepted(s.focus.term))


def predicate(s: Statement) -> str | None:
    """What a subject-first statement says of its subject ("X is a …" → "is a …"), option-sized: the subject
    opens the sentence and a verb follows it ("KV cache solves …", not "The attention mechanism is …")."""
    f = s.focus
    if f is None or f.start > (0 if s.language == "zh" else 4) or s.cue_at < f.end:
        return None
    rest = s.text[f.end:]
    if not (s.cue_at - f.end <= 3 if s.language == "zh" else VERB_NEXT.match(rest)):
        return None
    text = rest.strip(" :：,，").rstrip("。.")
    if text[:1] in "（(":  # "Mixture of Experts (MoE): …": the abbreviation belongs to the subject
        text = text[text.find(")" if text[0] == "(" else "）") + 1:].strip(" :：,，")
    low, high = PREDICATE[s.language]
    return text if low <= len(text) <= high else None
