"""Deterministic quiz questions from facts the roadmaps state, so a quiz never depends on the model.

Stage: catalog + curriculum + indexed chunks → **rule candidates** → validation → quiz. Facts:
who teaches a course and what it covers (主讲人/特点 lines), which stage a week of the researcher
plan holds and what it contains, which resources the roadmaps recommend for a topic, arXiv ids
of papers, how the roadmaps describe a resource, which topic comes before another, and roadmap
lines with a topic's term blanked out. Every candidate cites a chunk that contains its answer
key; ids and distractors are seeded by the fact, so the same fact always gives the same question.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Topic
from tutorbot.quiz.match import contains, fold, garbled, plain, quote_for, section_tail, short_title, supports, variant
from tutorbot.quiz.models import BLANK, TF_OPTIONS, Difficulty, QType, Question, QuizLang, QuizSource
from tutorbot.schemas import CatalogEntry, Chunk

PAREN = re.compile(r"（[^）]*）|\([^)]*\)")
TEACHER = re.compile(r"主讲人\**\s*[：:]\s*(.+)")
FEATURES = re.compile(r"特点\**\s*[：:]\s*(.+)")
WEEK_ROW = re.compile(r"^\|\s*(第[\d~\-–～]+周)\s*\|([^|]+)\|([^|]+)\|([^|]+)\|")
ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+(.*)$")
ARXIV = re.compile(r"arxiv\.org/abs/(\d{4}\.\d{4,5})")
SPLIT = re.compile(r"\s*[、，,;；+]\s*|\s+/\s+")

T: dict[QuizLang, dict[str, str]] = {
    "en": {
        "teacher": "According to the roadmap, which of these people teaches {course}?",
        "teacher_tf": "According to the roadmap, {person} teaches {course}.",
        "features": "According to the roadmap, what does {course} cover? Name the key points.",
        "week": "In the roadmap's study plan “{plan}”, which stage is scheduled for {weeks}?",
        "week_tf": "In the roadmap's study plan “{plan}”, {weeks} is the “{stage}” stage.",
        "week_short": "In the study plan “{plan}”, what does {weeks} ({stage}) cover? Name the key points.",
        "recommend": "Which of these resources do the roadmaps recommend for studying “{topic}”?",
        "arxiv": "Which paper has the arXiv id {id}?",
        "arxiv_tf": "The paper “{title}” has the arXiv id {id}.",
        "describe": "Which resource do the roadmaps describe as “{desc}”?",
        "prereq": "In the curriculum, which topic should you study before “{topic}”?",
        "blank": "Fill in the blank (roadmap section “{section}”): {line}",
        "list": "According to the roadmap section “{section}”, what does it list? Name the key points.",
        "explain": "The roadmap (“{section}”) says: {quote}",
        "explain_prereq": " The curriculum places “{before}” before “{after}”.",
    },
    "zh": {
        "teacher": "根据路线图，以下哪位是 {course} 的主讲人？",
        "teacher_tf": "根据路线图，{person} 是 {course} 的主讲人。",
        "features": "根据路线图，{course} 有哪些特点/内容？请列出要点。",
        "week": "在路线图的学习计划“{plan}”中，{weeks} 安排的是哪个阶段？",
        "week_tf": "在路线图的学习计划“{plan}”中，{weeks} 是“{stage}”阶段。",
        "week_short": "在学习计划“{plan}”中，{weeks}（{stage}）包含哪些内容？请列出要点。",
        "recommend": "路线图推荐用以下哪个资源学习“{topic}”？",
        "arxiv": "arXiv 编号为 {id} 的论文是哪一篇？",
        "arxiv_tf": "论文“{title}”的 arXiv 编号是 {id}。",
        "describe": "路线图中哪个资源被描述为“{desc}”？",
        "prereq": "按照学习路线，学习“{topic}”之前应该先学哪个主题？",
        "blank": "填空（摘自路线图“{section}”）：{line}",
        "list": "根据路线图“{section}”部分，列出了哪些要点？",
        "explain": "路线图（“{section}”）中写道：{quote}",
        "explain_prereq": " 学习路线把“{before}”安排在“{after}”之前。",
    },
}


class Candidate(BaseModel):
    question: Question
    topics: frozenset[str]


def explain(lang: QuizLang, chunk: Chunk, key: str, anchor: str = "") -> tuple[str, str]:
    """The passage line holding ``key`` (plain, at most 200 chars) and an explanation quoting it."""
    # the chunk's own lines first: its heading path also "contains" course names
    quote = next((q for text in (chunk.text, chunk.embed_text) for a in (anchor, "")
                  if (q := quote_for(text, key, a))), "")
    if quote.startswith("#"):  # a heading only names the resource: add the first line saying something about it
        rest = [ln.strip() for ln in chunk.text.splitlines()]
        after = rest[rest.index(quote) + 1:] if quote in rest else []
        quote += next((" — " + plain(ln) for ln in after if len(plain(ln)) >= 8 and "http" not in ln), "")
    quote = plain(quote) if len(plain(quote)) <= 200 else plain(quote)[:199] + "…"
    return quote, T[lang]["explain"].format(section=section_tail(chunk), quote=quote)


class RuleBank:
    """All rule candidates over one corpus snapshot, built once per language."""

    def __init__(self, catalog: list[CatalogEntry], curriculum: Curriculum, chunks: list[Chunk]):
        self.cur = curriculum
        self.chunks = [c for c in chunks if c.trusted and not garbled(c.embed_text)]
        self.entries = [e for e in catalog if not garbled(e.title + e.description) and short_title(e.title, 100)]
        self.entry_topics: dict[str, set[str]] = {}
        for t in curriculum.topics:
            for r in t.resources:
                self.entry_topics.setdefault(r, set()).add(t.id)
        self._cache: dict[str, list[Candidate]] = {}
        self._mentions = {c.id: curriculum.mentions(c.embed_text) for c in self.chunks}
        self._ids = set(curriculum.ids)

    def candidates(self, lang: QuizLang) -> list[Candidate]:
        if lang not in self._cache:
            gens = (self._courses, self._weeks, self._recommend, self._arxiv, self._describe, self._prereq,
                    self._blanks, self._lists)
            self._cache[lang] = [c for gen in gens for c in gen(lang) if c is not None]
        return self._cache[lang]

    # -- building blocks ----------------------------------------------------------------------
    def _make(self, lang: QuizLang, rule: str, fact: str, qtype: QType, chunk: Chunk, topics: set[str],
              text: str, answer: str, *, key: str = "", anchor: str = "", options: Sequence[str] = (),
              difficulty: Difficulty = "medium", url: str | None = None, extra: str = "",
              **fields: Any) -> Candidate | None:
        topics = {t for t in topics if t in self._ids}
        if not topics:
            return None
        key = key or answer
        quote, explanation = explain(lang, chunk, key, anchor)
        urls = list(dict.fromkeys(([url] if url else []) + chunk.urls))
        digest = hashlib.sha1(f"{rule}|{lang}|{text}|{fold(answer)}".encode()).hexdigest()[:12]
        q = Question(id=f"r-{digest}", type=qtype, topic=sorted(topics)[0], difficulty=difficulty, language=lang,
                     question=text, options=list(options), answer=answer, explanation=explanation + extra,
                     origin="rule", rule=rule, key=key, anchor=anchor, fact=fact,
                     source=QuizSource(chunk_id=chunk.id, source=chunk.source, title=chunk.title,
                                       section=chunk.section, urls=urls, quote=quote), **fields)
        return Candidate(question=q, topics=frozenset(topics))

    @staticmethod
    def _options(answer: str, pool: list[str], fact: str,
                 ok: Callable[[str], bool] = lambda o: True) -> list[str] | None:
        rng = random.Random(fact)
        picks = [o for o in dict.fromkeys(pool) if fold(o) != fold(answer) and ok(o)]
        if len(picks) < 3:
            return None
        options = rng.sample(picks, 3) + [answer]
        rng.shuffle(options)
        return options

    def _topics_of(self, text: str, urls: Sequence[str] = ()) -> set[str]:
        found = {tid for u in urls for tid in self.entry_topics.get(u, ())}
        return found | {m[0] for m in self.cur.mentions(text)}

    def _tf(self, lang: QuizLang, rule: str, fact: str, chunk: Chunk, topics: set[str], text: str,
            truth: bool, key: str, anchor: str = "", absent: Sequence[str] = (),
            url: str | None = None) -> Candidate | None:
        yes, no = TF_OPTIONS[lang]
        return self._make(lang, rule, fact, "tf", chunk, topics, text, yes if truth else no, key=key,
                          anchor=anchor, options=[yes, no], difficulty="easy", absent=list(absent), url=url)

    def _short(self, lang: QuizLang, rule: str, fact: str, chunk: Chunk, topics: set[str], text: str,
               items: list[str], url: str | None = None, reference: str = "") -> Candidate | None:
        points = [p for p in items if 2 <= len(p) <= 40][:4]
        if len(points) < 2:
            return None
        return self._make(lang, rule, fact, "short", chunk, topics, text, reference or "；".join(items),
                          key=points[0], rubric=points, difficulty="hard", url=url)

    # -- generators ---------------------------------------------------------------------------
    def _courses(self, lang: QuizLang) -> Iterator[Candidate | None]:
        facts = []
        for c in self.chunks:
            m, f = TEACHER.search(c.text), FEATURES.search(c.text)
            if m and c.section:
                people = [re.sub(r"\s*等$", "", p).strip() for p in SPLIT.split(PAREN.sub("", plain(m.group(1))))]
                feats = [p for p in SPLIT.split(PAREN.sub("", plain(f.group(1)))) if p] if f else []
                facts.append((c, plain(re.sub(r"^\d+\.\s*", "", section_tail(c))), [p for p in people if p], feats))
        everyone = [p for _, _, people, _ in facts for p in people]
        for c, course, people, feats in facts:
            topics, url = self._topics_of(" ".join(feats), c.urls), (c.urls or [None])[0]
            others = [p for p in everyone if p not in people and not contains(c.embed_text, p)]
            fact = f"course:{course}"  # one question per course and quiz: they would answer each other
            for person in people:
                opts = self._options(person, others, fact + person)
                if opts:
                    yield self._make(lang, "teacher", fact, "mcq", c, topics, T[lang]["teacher"].format(
                        course=course), person, options=opts, url=url)
                yield self._tf(lang, "teacher_tf", fact, c, topics, T[lang]["teacher_tf"].format(
                    person=person, course=course), True, person, url=url)
            if others:
                wrong = random.Random(course).choice(others)
                yield self._tf(lang, "teacher_tf", fact, c, topics, T[lang][
                    "teacher_tf"].format(person=wrong, course=course), False, people[0], absent=[wrong], url=url)
            yield self._short(lang, "features", fact, c, topics,
                              T[lang]["features"].format(course=course), feats, url)

    def _weeks(self, lang: QuizLang) -> Iterator[Candidate | None]:
        rows = [(c, *(plain(g) for g in m.groups())) for c in self.chunks for ln in c.text.splitlines()
                if (m := WEEK_ROW.match(ln.strip()))]
        stages = [r[2] for r in rows]
        for c, weeks, stage, content, tasks in rows:
            plan, topics = section_tail(c), self._topics_of(f"{content} {tasks}")
            fact = f"week:{weeks}"
            opts = self._options(stage, stages, fact)
            if opts:
                yield self._make(lang, "week", fact, "mcq", c, topics, T[lang]["week"].format(
                    plan=plan, weeks=weeks), stage, anchor=weeks, options=opts)
            yield self._tf(lang, "week_tf", fact, c, topics, T[lang]["week_tf"].format(
                plan=plan, weeks=weeks, stage=stage), True, stage, anchor=weeks)
            wrong = random.Random(fact).choice([s for s in stages if s != stage] or [stage])
            if wrong != stage:
                yield self._tf(lang, "week_tf", fact, c, topics, T[lang]["week_tf"].format(
                    plan=plan, weeks=weeks, stage=wrong), False, stage, anchor=weeks, absent=[wrong])
            yield self._short(lang, "week_short", fact, c, topics, T[lang]["week_short"].format(
                plan=plan, weeks=weeks, stage=stage), [p for p in SPLIT.split(content) if p])

    def _cite(self, e: CatalogEntry, title: str, anchor: str = "") -> Chunk | None:
        return next((c for c in self.chunks if (e.url is None or e.url in c.urls)
                     and supports(c.embed_text, title, anchor)), None)

    def _recommend(self, lang: QuizLang) -> Iterator[Candidate | None]:
        by_id = {e.id: e for e in self.entries}
        for t in self.cur.topics:
            near = {t.id, *t.prereqs, *(o.id for o in self.cur.topics if t.id in o.prereqs)}
            for rid in t.resources:
                e = by_id.get(rid)
                title = short_title(e.title) if e else None
                chunk = self._cite(e, title) if title else None
                if chunk is None:
                    continue
                far = [o for o in self.entries
                       if short_title(o.title) and not self.entry_topics.get(o.id, set()) & near]
                same = [o for o in far if o.kind == e.kind]
                pool = [short_title(o.title) for o in (same if len(same) >= 3 else far)]
                opts = self._options(title, pool, f"recommend:{t.id}:{rid}",
                                     lambda o, c=chunk: not contains(c.embed_text, o))
                text = T[lang]["recommend"].format(topic=t.name.get(lang))
                if opts and not contains(text, title):
                    yield self._make(lang, "recommend", f"recommend:{t.id}:{rid}", "mcq", chunk, {t.id}, text,
                                     title, options=opts, url=e.url)

    def _arxiv(self, lang: QuizLang) -> Iterator[Candidate | None]:
        papers = [(e, m.group(1)) for e in self.entries if e.url and (m := ARXIV.search(e.url))
                  and len(e.title) <= 100]
        for e, pid in papers:
            chunk = self._cite(e, e.title, pid)
            if chunk is None:
                continue
            topics, fact = self._topics_of(e.title, [e.id]), f"arxiv:{pid}"
            opts = self._options(e.title, [p.title for p, _ in papers], fact)
            if opts:
                yield self._make(lang, "arxiv", fact, "mcq", chunk, topics, T[lang]["arxiv"].format(id=pid),
                                 e.title, anchor=pid, options=opts, url=e.url)
            yield self._tf(lang, "arxiv_tf", fact, chunk, topics, T[lang]["arxiv_tf"].format(title=e.title, id=pid),
                           True, pid, anchor=e.title, url=e.url)
            wrong = random.Random(fact).choice([i for _, i in papers if i != pid])
            yield self._tf(lang, "arxiv_tf", fact, chunk, topics, T[lang]["arxiv_tf"].format(
                title=e.title, id=wrong), False, pid, anchor=e.title, absent=[wrong], url=e.url)

    def _describe(self, lang: QuizLang) -> Iterator[Candidate | None]:
        descs = [(e, PAREN.sub("", e.description.split("；")[0]).strip(" ：:")) for e in self.entries]
        counts = Counter(fold(d) for _, d in descs)  # a description shared by two entries names neither
        for e, desc in descs:
            title = short_title(e.title)
            if not title or not 8 <= len(desc) <= 80 or counts[fold(desc)] > 1 or contains(desc, title):
                continue
            chunk = self._cite(e, title, desc)
            if chunk is not None:
                fact = f"describe:{e.id}"
                pool = [t for o in self.entries if (t := short_title(o.title)) and o.kind == e.kind]
                opts = self._options(title, pool, fact, lambda o, c=chunk, d=desc: not supports(c.embed_text, o, d))
                if opts:
                    yield self._make(lang, "describe", fact, "mcq", chunk, self._topics_of(desc, [e.id]),
                                     T[lang]["describe"].format(desc=desc), title, anchor=desc, options=opts,
                                     url=e.url)

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
                opts = self._options(p.name.get(lang), [t.name.get(lang) for t in after if t.id not in seen], fact)
                if opts:
                    extra = T[lang]["explain_prereq"].format(before=p.name.get(lang), after=y.name.get(lang))
                    yield self._make(lang, "prereq", fact, "mcq", chunk, {y.id, pid}, T[lang]["prereq"].format(
                        topic=y.name.get(lang)), p.name.get(lang), key=alias, options=opts, extra=extra)

    def _mentioning(self, y: Topic, p: Topic) -> tuple[Chunk | None, str]:
        """The first chunk naming both topics, and how it names ``p``."""
        return next(((c, c.embed_text.casefold()[start:end]) for c in self.chunks
                     if any(m[0] == y.id for m in self._mentions[c.id])
                     for owner, start, end in self._mentions[c.id] if owner == p.id), (None, ""))

    def _blanks(self, lang: QuizLang) -> Iterator[Candidate | None]:
        for c in self.chunks:
            for n, raw in enumerate(c.text.splitlines()):
                line = plain(raw)
                if "http" in raw or not 12 <= len(line) <= 160 or raw.lstrip().startswith(("#", "|")):
                    continue
                for owner, start, end in self.cur.mentions(line)[:2]:
                    term = line[start:end]
                    rest = line[:start] + line[end:]
                    if len(term) < 2 or (term.isascii() and len(term) < 3) or len(rest) < 8 \
                            or contains(rest + section_tail(c), term):
                        continue
                    accepted = [a for a in self.cur.topic(owner).aliases()[1:] if variant(a, term)]
                    yield self._make(lang, "blank", f"blank:{c.id}:{n}", "blank", c, self._topics_of(line),
                                     T[lang]["blank"].format(section=section_tail(c), line=line[:start] + BLANK
                                                             + line[end:]), term, key=line, accepted=accepted)

    def _lists(self, lang: QuizLang) -> Iterator[Candidate | None]:
        for c in self.chunks:
            items = [plain(m.group(1)) for ln in c.text.splitlines() if (m := ITEM.match(ln))]
            items = [i for i in items if not i.endswith((":", "："))]  # "- **Resources**:" is a label
            heads = [re.split(r"\s*[：:]\s*", i)[0] for i in items]  # "Alpaca：理解…" → "Alpaca"
            if 2 <= len(items) <= 6 and "http" not in c.text and all(len(h) <= 40 for h in heads):
                yield self._short(lang, "list", f"list:{c.id}", c, self._topics_of(c.embed_text),
                                  T[lang]["list"].format(section=section_tail(c, 2)), heads,
                                  reference="；".join(items))

