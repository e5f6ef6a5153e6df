"""Quiz assembly: a few model-written questions, validated, then rule questions up to the size asked.

Stage: retrieval (passages for the topic) → **generation** → validation → quiz. The number of model
calls per quiz is capped (``QuizConfig.max_model_calls``) so a CPU model cannot stall a quiz. Every
question, model or rule, passes ``QuizValidator`` before it is used. Rule questions fill the slots
of the mix (``mix.slots``: a type and a level each) from the candidates closest to the request:
the plan week's own resources first, then the topic, then its neighbours (in the quiz's language
first), then the rest of the corpus; at most a fifth of a quiz asks about the roadmaps themselves.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Topic
from tutorbot.llm.client import LLMError, LLMOutputError
from tutorbot.quiz.candidates import Candidate
from tutorbot.quiz.match import language_of
from tutorbot.quiz.mix import Slot, roadmap_cap, slots
from tutorbot.quiz.models import Level, MixReport, QType, Question, QuizConfig, QuizLang
from tutorbot.quiz.rules import RuleBank
from tutorbot.quiz.validate import QuizValidator, Seen
from tutorbot.quiz.writer import MODEL_TYPES, Malformed, ModelWriter
from tutorbot.schemas import Chunk

NEAR_HOPS = 2  # rule questions from topics this many prerequisite links away count as on-topic padding


@dataclass
class Request:
    """What one quiz asks for."""

    topic: Topic
    n: int
    types: list[QType]
    lang: QuizLang
    levels: list[Level]
    sources: frozenset[str] = field(default_factory=frozenset)  # chunk ids of a plan week's resources


@dataclass
class Picking:
    """The state of filling one quiz: what is taken, which facts are used, how many roadmap questions."""

    taken: list[Question]
    facts: set[str] = field(default_factory=set)
    roadmap: int = 0

    def allows(self, c: Candidate, cap: int) -> bool:
        """A new fact from a line not quoted yet (two roadmap facts of one table row test one line), and
        room for it under the roadmap cap."""
        q = c.question
        return not ({q.fact, q.source.quote} & self.facts) and not (q.about == "roadmap" and self.roadmap >= cap)

    def take(self, q: Question) -> None:
        self.facts |= {q.fact, q.source.quote} - {""}
        self.roadmap += q.about == "roadmap"


class QuizAssembler:
    """Picks the questions of one quiz: validated model questions first, then rule questions."""

    def __init__(self, bank: RuleBank, curriculum: Curriculum, validator: QuizValidator,
                 writer: ModelWriter | None, config: QuizConfig):
        self.bank, self.cur, self.validator, self.writer, self.config = bank, curriculum, validator, writer, config
        self._langs: dict[str, QuizLang] = {}

    def assemble(self, req: Request, seen: Seen, passages: list[Chunk],
                 rng: random.Random) -> tuple[list[Question], MixReport]:
        start, mix = time.perf_counter(), MixReport()
        chosen = self._from_model(req, seen, passages, rng, mix)
        plan = slots(req.levels, req.types)[len(chosen):]
        picking = Picking(list(chosen))
        for q in chosen:
            picking.take(q)
        chosen += self._from_rules(req, plan, seen, rng, mix, picking)
        mix.model = sum(q.origin == "model" for q in chosen)
        mix.rule, mix.roadmap = len(chosen) - mix.model, sum(q.about == "roadmap" for q in chosen)
        mix.levels = {lv: n for lv in ("recall", "understanding", "application")
                      if (n := sum(q.level == lv for q in chosen))}
        mix.seconds = round(time.perf_counter() - start, 3)
        return chosen, mix

    def _from_model(self, req: Request, seen: Seen, passages: list[Chunk], rng: random.Random,
                    mix: MixReport) -> list[Question]:
        kinds = [t for t in req.types if t in MODEL_TYPES]
        out: list[Question] = []
        if self.writer is None or not kinds or not passages:
            return out
        passages, deadline = rng.sample(passages, len(passages)), time.perf_counter() + self.config.model_budget_s
        while mix.model_calls < self.config.max_model_calls and len(out) < req.n and time.perf_counter() < deadline:
            qtype, chunk = kinds[mix.model_calls % len(kinds)], passages[mix.model_calls % len(passages)]
            mix.model_calls += 1
            try:
                q = self.writer.write(qtype, chunk, req.topic, req.lang, rng)
            except (LLMOutputError, Malformed):
                mix.reject("invalid_output", "model")
                continue
            except LLMError as exc:  # down or busy: more calls would only delay the quiz
                mix.model_error = str(exc)
                break
            if reason := self.validator.check(q, seen) or ("duplicate" if q.fact in {o.fact for o in out} else None):
                mix.reject(reason, "model")
                continue
            seen.add(q)
            out.append(q)
        return out

    def _from_rules(self, req: Request, plan: list[Slot], seen: Seen, rng: random.Random, mix: MixReport,
                    picking: Picking) -> list[Question]:
        """Each slot from the first stage that has a valid candidate for it. Stages: fresh questions of the
        week, the topic and its neighbours with at most ``roadmap_share`` about the roadmaps; the same with
        up to ``roadmap_share_thin`` (on topic matters more, when explanations are few); the rest of the
        corpus; recently seen questions; finally anything."""
        ranked, tier = self._ranked(req, rng)
        tiers = [[c for c in ranked if tier(c) == n] for n in range(4)]  # a closer question of another type
        in_quiz = Seen(picking.taken, self.config.duplicate_similarity)  # beats a farther one of the wanted type
        fresh = [[c for c in group if c.question.id not in seen.ids] for group in tiers]
        stale = [[c for c in group if c.question.id in seen.ids] for group in tiers]
        strict, thin = (roadmap_cap(req.n, share) for share in (self.config.roadmap_share,
                                                                  self.config.roadmap_share_thin))
        stages = [(fresh[:3], seen, strict), (fresh[:3], seen, thin), (fresh[3:], seen, thin),
                  (stale, in_quiz, thin), (fresh + stale, in_quiz, req.n)]
        out: list[Question] = []
        for slot in plan:
            found = next(((c, against) for pools, against, cap in stages for pool in pools
                          if (c := self._take(pool, slot, req.types, against, picking, cap, mix))), None)
            if found is not None:
                q = self._keep(found[0], req.topic, mix, repeated=found[1] is in_quiz)
                for s in (seen, in_quiz):
                    s.add(q)
                out.append(q)
        return out

    def _keep(self, cand: Candidate, topic: Topic, mix: MixReport, repeated: bool) -> Question:
        mix.repeated += repeated
        mix.related += topic.id not in cand.topics
        return cand.question.model_copy(update={"topic": topic.id}) if topic.id in cand.topics else cand.question

    def _take(self, pool: list[Candidate], slot: Slot, types: list[QType], seen: Seen, picking: Picking,
              cap: int, mix: MixReport) -> Candidate | None:
        """The first valid candidate that fits the slot best (type and level, type, level, any), about the
        subject before the roadmaps; it leaves ``pool``."""
        want, level = slot
        prefs = (({want}, level), ({want}, None), (set(types), level), (set(types), None))
        for about, (kinds, lv) in ((a, p) for a in ("subject", "roadmap") for p in prefs):
            while (i := _first(pool, kinds, lv, about, picking, cap)) is not None:
                cand = pool.pop(i)
                if reason := self.validator.check(cand.question, seen):
                    mix.reject(reason, "rule")
                    continue
                picking.take(cand.question)
                return cand
        return None

    def _ranked(self, req: Request, rng: random.Random) -> tuple[list[Candidate], Callable[[Candidate], int]]:
        """Candidates of the requested types in the quiz's language first, and their tier: 0 the plan week's
        resources, 1 this topic, 2 its neighbours (``NEAR_HOPS`` prerequisite links either way; closer and
        same-track first), 3 the rest of the corpus, a last resort (a thin topic padded from the whole
        corpus gave quizzes 1 question in 10 on topic)."""
        hops = self._distances(req.topic)

        def distance(c: Candidate) -> float:  # by the topic a padding question is filed (and scored) under
            return 0 if req.topic.id in c.topics else hops.get(c.question.topic, 99)

        def tier(c: Candidate) -> int:
            d = distance(c)
            return 0 if c.question.source.chunk_id in req.sources else 1 if d == 0 else 2 if d <= NEAR_HOPS else 3

        pool = [c for c in self.bank.candidates(req.lang) if c.question.type in req.types]
        rng.shuffle(pool)
        return sorted(pool, key=lambda c: (self._foreign(c, req.lang), distance(c))), tier

    def _foreign(self, c: Candidate, lang: QuizLang) -> bool:
        """The passage a subject question quotes is in another language than the quiz."""
        q = c.question
        if q.about == "roadmap":
            return False
        if q.id not in self._langs:
            self._langs[q.id] = language_of(q.source.quote)
        return self._langs[q.id] != lang

    def _distances(self, topic: Topic) -> dict[str, float]:
        """Hops from ``topic`` over prerequisite links in either direction; +0.5 off its tracks."""
        by_id = {t.id: t for t in self.cur.topics}
        links: dict[str, set[str]] = {t.id: set(t.prereqs) for t in self.cur.topics}
        for t in self.cur.topics:
            for p in t.prereqs:
                links.setdefault(p, set()).add(t.id)
        hops, queue = {topic.id: 0}, [topic.id]
        for current in queue:  # breadth-first: the queue grows while we walk it
            for n in links.get(current, ()):
                if n not in hops:
                    hops[n] = hops[current] + 1
                    queue.append(n)
        tracks = set(topic.tracks)
        return {tid: h if h == 0 or tracks & set(by_id[tid].tracks) else h + 0.5
                for tid, h in hops.items() if tid in by_id}


def _first(pool: list[Candidate], kinds: set[QType], level: Level | None, about: str, picking: Picking,
           cap: int) -> int | None:
    # one question per fact and quiz: a course's teacher MCQ and its true/false would answer each other,
    # and two questions on one sentence would test it twice
    return next((i for i, c in enumerate(pool) if c.question.type in kinds and c.question.about == about
                 and (level is None or c.question.level == level) and picking.allows(c, cap)), None)
