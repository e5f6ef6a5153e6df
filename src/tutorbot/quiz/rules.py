"""Deterministic quiz questions, so a quiz never depends on the model: concepts first, then roadmap facts.

Stage: catalog + curriculum + indexed chunks → **rule candidates** → validation → quiz. ``RuleBank``
holds both kinds: concept questions from explanatory sentences (``concepts.ConceptBank``, about the
subject) and a few facts about the roadmaps themselves (who teaches a course, which stage a week of
the researcher plan holds, which resources the roadmaps recommend for a topic, which topic comes
before another), which the assembler caps at a fifth of a quiz. No question asks for an arXiv id or
a URL. Every candidate cites a chunk that contains its answer key.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Iterator, Sequence

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Topic
from tutorbot.quiz.candidates import Candidate, build, explain, pick_options
from tutorbot.quiz.concepts import ConceptBank
from tutorbot.quiz.match import contains, garbled, plain, section_tail, short_title, supports
from tutorbot.quiz.models import TF_OPTIONS, QType, QuizLang
from tutorbot.quiz.vocabulary import Equivalents, TermGroups, Vocabulary, name_groups
from tutorbot.quiz.wording import WORDING
from tutorbot.schemas import CatalogEntry, Chunk
from tutorbot.urls import normalise_url

PAREN = re.compile(r"（[^）]*）|\([^)]*\)")
TEACHER = re.compile(r"主讲人\**\s*[：:]\s*(.+)")
WEEK_ROW = re.compile(r"^\|\s*(第[\d~\-–～]+周)\s*\|([^|]+)\|([^|]+)\|([^|]+)\|")
SPLIT = re.compile(r"\s*[、，,;；+]\s*|\s+/\s+")
Course = tuple[Chunk, str, list[str]]


class RuleBank:
    """All rule candidates over one corpus snapshot, built once per language."""

    def __init__(self, catalog: list[CatalogEntry], curriculum: Curriculum, chunks: list[Chunk],
                 vocabulary: Vocabulary | None = None, equivalents: Equivalents | None = None):
        self.cur = curriculum
        readable = [c for c in chunks if not garbled(c.embed_text)]
        self.chunks = [c for c in readable if c.trusted]  # roadmap facts: the roadmaps' own words
        self.entries = [e for e in catalog if not garbled(e.title + e.description) and short_title(e.title, 100)]
        self.entry_topics: dict[str, set[str]] = {}
        for t in curriculum.topics:
            for r in t.resources:
                self.entry_topics.setdefault(r, set()).add(t.id)
        self._cache: dict[str, list[Candidate]] = {}
        self._mentions = {c.id: curriculum.mentions(c.embed_text) for c in self.chunks}
        self._ids = set(curriculum.ids)
        titles = [title for e in self.entries if (title := short_title(e.title)) and len(title) >= 6]
        # linked pages are reference data: quoted to learners, never given to the model as instructions; a
        # repository's README says how to run code more than what a concept is
        repos = {normalise_url(e.url) for e in catalog if e.url and e.kind == "repository"}
        explaining = [c for c in readable if c.kind != "linked" or normalise_url(c.doc_id) not in repos]
        self.concepts = ConceptBank(explaining, vocabulary or Vocabulary(curriculum),
                                    equivalents or TermGroups(name_groups(curriculum)), titles)

    def candidates(self, lang: QuizLang) -> list[Candidate]:
        if lang not in self._cache:
            roadmap = (self._courses, self._weeks, self._recommend, self._prereq)
            found = [*self.concepts.candidates(lang), *(c for gen in roadmap for c in gen(lang))]
            self._cache[lang] = [c for c in found if c is not None]
        return self._cache[lang]

    # -- building blocks ----------------------------------------------------------------------
    def _fact(self, lang: QuizLang, rule: str, fact: str, qtype: QType, chunk: Chunk, topics: Iterable[str],
              text: str, answer: str, *, key: str = "", anchor: str = "", options: Sequence[str] = (),
              url: str | None = None, extra: str = "", absent: Sequence[str] = ()) -> Candidate | None:
        """A question about the roadmaps themselves, explained by the roadmap line that states it."""
        quote, explanation = explain(lang, chunk, key or answer, anchor)
        return build(lang, rule, fact, chunk, {t for t in topics if t in self._ids}, text=text, answer=answer,
                     quote=quote, explanation=explanation + extra, url=url, type=qtype, key=key or answer,
                     anchor=anchor, options=list(options), absent=list(absent), about="roadmap", level="recall")

    def _tf(self, lang: QuizLang, rule: str, fact: str, chunk: Chunk, topics: set[str], text: str,
            truth: bool, key: str, anchor: str = "", absent: Sequence[str] = (),
            url: str | None = None) -> Candidate | None:
        yes, no = TF_OPTIONS[lang]
        return self._fact(lang, rule, fact, "tf", chunk, topics, text, yes if truth else no, key=key,
                          anchor=anchor, options=[yes, no], absent=absent, url=url)

    def _topics_of(self, text: str, urls: Sequence[str] = ()) -> set[str]:
        found = {tid for u in urls for tid in self.entry_topics.get(u, ())}
        return found | {m[0] for m in self.cur.mentions(text)}

    # -- generators ---------------------------------------------------------------------------
    def _course_facts(self) -> list[Course]:
        facts = []
        for c in self.chunks:
            if (m := TEACHER.search(c.text)) and c.section:
                people = [re.sub(r"\s*等$", "", p).strip() for p in SPLIT.split(PAREN.sub("", plain(m.group(1))))]
                course = plain(re.sub(r"^\d+\.\s*", "", section_tail(c)))
                facts.append((c, course, [p for p in people if p]))
        return facts

    def _courses(self, lang: QuizLang) -> Iterator[Candidate | None]:
        facts = self._course_facts()
        everyone = [p for _, _, people in facts for p in people]
        for c, course, people in facts:
            topics, url = self._topics_of(c.embed_text, c.urls), next(iter(c.urls), None)
            others = [p for p in everyone if p not in people and not contains(c.embed_text, p)]
            fact = f"course:{course}"  # one question per course and quiz: they would answer each other
            for person in people:
                if opts := pick_options(person, others, fact + person):
                    yield self._fact(lang, "teacher", fact, "mcq", c, topics, WORDING[lang]["teacher"].format(
                        course=course), person, options=opts, url=url)
                yield self._tf(lang, "teacher_tf", fact, c, topics, WORDING[lang]["teacher_tf"].format(
                    person=person, course=course), True, person, url=url)
            if others:
                wrong = random.Random(course).choice(others)
                yield self._tf(lang, "teacher_tf", fact, c, topics, WORDING[lang]["teacher_tf"].format(
                    person=wrong, course=course), False, people[0], absent=[wrong], url=url)

    def _weeks(self, lang: QuizLang) -> Iterator[Candidate | None]:
        rows: list[tuple[Chunk, str, str, str, str]] = [
            (c, plain(m.group(1)), plain(m.group(2)), plain(m.group(3)), plain(m.group(4)))
            for c in self.chunks for ln in c.text.splitlines() if (m := WEEK_ROW.match(ln.strip()))]
        stages = [r[2] for r in rows]
        for c, weeks, stage, content, tasks in rows:
            plan, topics, fact = section_tail(c), self._topics_of(f"{content} {tasks}"), f"week:{weeks}"
            if opts := pick_options(stage, stages, fact):
                yield self._fact(lang, "week", fact, "mcq", c, topics, WORDING[lang]["week"].format(
                    plan=plan, weeks=weeks), stage, anchor=weeks, options=opts)
            yield self._tf(lang, "week_tf", fact, c, topics, WORDING[lang]["week_tf"].format(
                plan=plan, weeks=weeks, stage=stage), True, stage, anchor=weeks)
            wrong = random.Random(fact).choice([s for s in stages if s != stage] or [stage])
            if wrong != stage:
                yield self._tf(lang, "week_tf", fact, c, topics, WORDING[lang]["week_tf"].format(
                    plan=plan, weeks=weeks, stage=wrong), False, stage, anchor=weeks, absent=[wrong])

    def _cite(self, e: CatalogEntry, title: str, anchor: str = "") -> Chunk | None:
        # a link tutorbot added is not in the roadmap's text: the name alone cites it, as before it had one
        linked = e.url if e.url_source == "roadmap" else None
        return next((c for c in self.chunks if c.kind == "roadmap" and (linked is None or linked in c.urls)
                     and supports(c.embed_text, title, anchor)), None)

    def _recommend(self, lang: QuizLang) -> Iterator[Candidate | None]:
        by_id = {e.id: e for e in self.entries}
        for t in self.cur.topics:
            near = {t.id, *t.prereqs, *(o.id for o in self.cur.topics if t.id in o.prereqs)}
            for rid in t.resources:
                e = by_id.get(rid)
                title = short_title(e.title) if e else None
                chunk = self._cite(e, title) if e and title else None
                if e is None or title is None or chunk is None:
                    continue
                far = [o for o in self.entries
                       if short_title(o.title) and not self.entry_topics.get(o.id, set()) & near]
                same = [o for o in far if o.kind == e.kind]
                pool = [s for o in (same if len(same) >= 3 else far)
                        if (s := short_title(o.title)) and not contains(chunk.embed_text, s)]
                opts = pick_options(title, pool, f"recommend:{t.id}:{rid}")
                text = WORDING[lang]["recommend"].format(topic=t.name.get(lang))
                if opts and not contains(text, title):
                    yield self._fact(lang, "recommend", f"recommend:{t.id}:{rid}", "mcq", chunk, {t.id}, text,
                                     title, options=opts, url=e.url)

    def _prereq(self, lang: QuizLang) -> Iterator[Candidate | None]:
        for y in self.cur.topics:
            before = self.cur.ancestors([y.id]) | {y.id}
            after = [t for t in self.cur.topics if t.id not in before]
            for pid in y.prereqs:
                p, fact = self.cur.topic(pid), f"prereq:{y.id}:{pid}"
                chunk, alias = self._mentioning(y, p)
                if chunk is None:
                    continue
                seen = {m[0] for m in self._mentions[chunk.id]}
                opts = pick_options(p.name.get(lang), [t.name.get(lang) for t in after if t.id not in seen], fact)
                if opts:
                    extra = WORDING[lang]["explain_prereq"].format(before=p.name.get(lang), after=y.name.get(lang))
                    yield self._fact(lang, "prereq", fact, "mcq", chunk, {y.id, pid}, WORDING[lang]["prereq"].format(
                        topic=y.name.get(lang)), p.name.get(lang), key=alias, options=opts, extra=extra)

    def _mentioning(self, y: Topic, p: Topic) -> tuple[Chunk | None, str]:
        """The first roadmap chunk naming both topics, and how it names ``p``."""
        return next(((c, c.embed_text.casefold()[start:end]) for c in self.chunks if c.kind == "roadmap"
                     and any(m[0] == y.id for m in self._mentions[c.id])
                     for owner, start, end in self._mentions[c.id] if owner == p.id), (None, ""))
