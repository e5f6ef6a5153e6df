"""Quiz generation: a few model-written questions, validated, then rule questions up to the size asked.

Stage: retrieval (passages for the topic) → **generation** → validation → quiz. The model writes
ONE question per call, constrained by a small JSON schema with bounded strings; the number of
calls per quiz is capped (``QuizConfig.max_model_calls``) so a CPU model cannot stall a quiz.
Every question, model or rule, passes ``QuizValidator`` before it is used; rule candidates on
the quiz's topic come first, then those of neighbouring topics, then the rest of the corpus,
so a quiz of the requested size comes back whatever the model does.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable
from typing import Annotated

from pydantic import BaseModel, Field, ValidationError

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Topic
from tutorbot.errors import TutorbotError
from tutorbot.lang import LANGUAGE_NAME
from tutorbot.llm.client import LLMClient, LLMError, LLMOutputError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.quiz.match import garbled, section_tail
from tutorbot.quiz.models import BLANK, MixReport, QType, Question, QuizConfig, QuizLang, QuizSource
from tutorbot.quiz.rules import Candidate, RuleBank, T, explain
from tutorbot.quiz.validate import QuizValidator, Seen
from tutorbot.schemas import Chunk

MODEL_TYPES: tuple[QType, ...] = ("mcq", "short", "blank")
NEAR_HOPS = 2  # rule questions from topics this many prerequisite links away count as on-topic padding
Phrase = Annotated[str, Field(min_length=1, max_length=40)]
INSTRUCTIONS = {
    "mcq": 'JSON: "question" asks about one fact in the passage; "correct" is the answer copied from the '
           'passage; "wrong" are three wrong answers not in the passage.',
    "blank": 'JSON: "sentence" is one sentence copied exactly from the passage; "answer" is a name or term '
             'that appears once in it.',
    "short": 'JSON: "question" asks to explain something the passage says; "answer" is a short answer in the '
             'passage\'s words; "key_points" are 2-3 short phrases copied from the passage.',
}


class ModelMCQ(BaseModel):
    question: str = Field(min_length=8, max_length=120)
    correct: Phrase
    wrong: list[Phrase] = Field(min_length=3, max_length=3)


class ModelBlank(BaseModel):
    sentence: str = Field(min_length=10, max_length=120)
    answer: str = Field(min_length=2, max_length=40)


class ModelShort(BaseModel):
    question: str = Field(min_length=8, max_length=120)
    answer: str = Field(min_length=2, max_length=120)
    key_points: list[Phrase] = Field(min_length=2, max_length=3)


SCHEMAS: dict[str, type[BaseModel]] = {"mcq": ModelMCQ, "blank": ModelBlank, "short": ModelShort}


class Malformed(TutorbotError, ValueError):
    """The model's (schema-valid) output cannot be turned into a question."""


class ModelWriter:
    """One LLM call → one candidate ``Question`` (not yet validated)."""

    def __init__(self, llm: LLMClient, prompts: PromptLibrary, config: QuizConfig):
        self.llm, self.prompts, self.config = llm, prompts, config

    def write(self, qtype: QType, chunk: Chunk, topic: Topic, lang: QuizLang, rng: random.Random) -> Question:
        prompt = self.prompts.render("quiz_generate", language_name=LANGUAGE_NAME[lang], instructions=INSTRUCTIONS[
            qtype], topic=topic.name.get(lang), passage=chunk.text[:self.config.passage_chars])
        out = self.llm.structured([{"role": "user", "content": prompt}], SCHEMAS[qtype],
                                  max_tokens=self.config.model_max_tokens)
        fields = getattr(self, f"_{qtype}")(out, chunk, lang, rng)
        quote, explanation = explain(lang, chunk, fields["key"])
        digest = hashlib.sha1(f"model|{lang}|{fields['question']}|{fields['answer']}".encode()).hexdigest()[:12]
        source = QuizSource(chunk_id=chunk.id, source=chunk.source, title=chunk.title, section=chunk.section,
                            urls=chunk.urls, quote=quote)
        try:
            return Question(id=f"m-{digest}", type=qtype, topic=topic.id, language=lang, origin="model",
                            rule="model", explanation=explanation, source=source,
                            difficulty="hard" if qtype == "short" else "medium", **fields)
        except ValidationError as exc:
            raise Malformed(exc.errors()[0]["msg"]) from None

    @staticmethod
    def _mcq(out: ModelMCQ, chunk: Chunk, lang: QuizLang, rng: random.Random) -> dict:
        options = [out.correct.strip(), *(w.strip() for w in out.wrong)]
        rng.shuffle(options)
        return {"question": out.question.strip(), "options": options, "answer": out.correct.strip(),
                "key": out.correct.strip()}

    @staticmethod
    def _blank(out: ModelBlank, chunk: Chunk, lang: QuizLang, rng: random.Random) -> dict:
        sentence, term = out.sentence.strip(), out.answer.strip()
        at = sentence.find(term)
        if at < 0 or not term or 2 * len(term) > len(sentence):
            raise Malformed("the blank's answer must be a short term inside its sentence")
        line = sentence[:at] + BLANK + sentence[at + len(term):]
        return {"question": T[lang]["blank"].format(section=section_tail(chunk), line=line), "answer": term,
                "key": sentence}

    @staticmethod
    def _short(out: ModelShort, chunk: Chunk, lang: QuizLang, rng: random.Random) -> dict:
        points = [p.strip() for p in out.key_points if p.strip()]
        return {"question": out.question.strip(), "answer": out.answer.strip(), "rubric": points,
                "key": points[0] if points else ""}


class QuizAssembler:
    """Picks the questions of one quiz: validated model questions first, then rule questions."""

    def __init__(self, bank: RuleBank, curriculum: Curriculum, validator: QuizValidator,
                 writer: ModelWriter | None, config: QuizConfig):
        self.bank, self.cur, self.validator, self.writer, self.config = bank, curriculum, validator, writer, config

    def assemble(self, topic: Topic, n: int, types: list[QType], lang: QuizLang, seen: Seen,
                 passages: list[Chunk], rng: random.Random) -> tuple[list[Question], MixReport]:
        start, mix = time.perf_counter(), MixReport()
        chosen = self._from_model(topic, n, types, lang, seen, passages, rng, mix)
        slots = [types[i % len(types)] for i in range(len(chosen), n)]
        chosen += self._from_rules(topic, slots, types, lang, seen, rng, mix, chosen)
        mix.model = sum(q.origin == "model" for q in chosen)
        mix.rule = len(chosen) - mix.model
        mix.seconds = round(time.perf_counter() - start, 3)
        return chosen, mix

    def _from_model(self, topic: Topic, n: int, types: list[QType], lang: QuizLang, seen: Seen,
                    passages: list[Chunk], rng: random.Random, mix: MixReport) -> list[Question]:
        kinds = [t for t in types if t in MODEL_TYPES]
        out: list[Question] = []
        if self.writer is None or not kinds or not passages:
            return out
        passages, deadline = rng.sample(passages, len(passages)), time.perf_counter() + self.config.model_budget_s
        while mix.model_calls < self.config.max_model_calls and len(out) < n and time.perf_counter() < deadline:
            qtype, chunk = kinds[mix.model_calls % len(kinds)], passages[mix.model_calls % len(passages)]
            mix.model_calls += 1
            try:
                q = self.writer.write(qtype, chunk, topic, lang, rng)
            except (LLMOutputError, Malformed):
                mix.reject("invalid_output", "model")
                continue
            except LLMError as exc:  # down or busy: more calls would only delay the quiz
                mix.model_error = str(exc)
                break
            if reason := self.validator.check(q, seen):
                mix.reject(reason, "model")
                continue
            seen.add(q)
            out.append(q)
        return out

    def _from_rules(self, topic: Topic, slots: list[QType], types: list[QType], lang: QuizLang, seen: Seen,
                    rng: random.Random, mix: MixReport, taken: list[Question]) -> list[Question]:
        ranked, distance = self._ranked(topic, types, lang, rng)
        near = [c for c in ranked if distance(c) <= NEAR_HOPS]  # a near question of another type beats
        far = [c for c in ranked if distance(c) > NEAR_HOPS]  # a far one of the wanted type
        in_quiz = Seen(taken, self.config.duplicate_similarity)
        pools = [([c for c in group if (c.question.id in seen.ids) == stale], in_quiz if stale else seen)
                 for stale in (False, True) for group in (near, far)]  # seen ones only when nothing fresh is left
        facts = {q.fact for q in taken}
        out: list[Question] = []
        for want in slots:
            for pool, against in pools:
                if (cand := self._take(pool, want, types, against, facts, mix)) is not None:
                    mix.repeated += against is in_quiz
                    mix.related += topic.id not in cand.topics
                    q = cand.question.model_copy(update={"topic": topic.id}) if topic.id in cand.topics \
                        else cand.question
                    seen.add(q)
                    in_quiz.add(q)
                    out.append(q)
                    break
        return out

    def _take(self, pool: list[Candidate], want: QType, types: list[QType], seen: Seen, facts: set[str],
              mix: MixReport) -> Candidate | None:
        """First valid candidate of type ``want`` (else of any requested type); it leaves ``pool``."""
        for allowed in ({want}, set(types)):
            while (i := _first(pool, allowed, facts)) is not None:
                cand = pool.pop(i)
                if reason := self.validator.check(cand.question, seen):
                    mix.reject(reason, "rule")
                    continue
                facts.add(cand.question.fact)
                return cand
        return None

    def _ranked(self, topic: Topic, types: list[QType], lang: QuizLang,
                rng: random.Random) -> tuple[list[Candidate], Callable[[Candidate], float]]:
        """Candidates of the requested types, closest topics first: this topic, then by distance in
        the prerequisite graph (same track first at equal distance); far topics only as a last resort
        (a thin topic padded from the whole corpus gave quizzes 1 question in 10 on topic)."""
        hops = self._distances(topic)

        def distance(c: Candidate) -> float:  # by the topic a padding question is filed (and scored) under
            return 0 if topic.id in c.topics else hops.get(c.question.topic, 99)

        pool = [c for c in self.bank.candidates(lang) if c.question.type in types]
        rng.shuffle(pool)
        return sorted(pool, key=distance), distance

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


def _first(pool: list[Candidate], allowed: set[QType], facts: set[str]) -> int | None:
    # one question per fact and quiz: a course's teacher MCQ and its true/false would answer each other
    return next((i for i, c in enumerate(pool) if c.question.type in allowed
                 and not (c.question.fact and c.question.fact in facts)), None)


def usable_passages(chunks: list[Chunk], limit: int = 6) -> list[Chunk]:
    """Retrieved chunks worth giving the model: trusted, readable, with some substance."""
    return [c for c in chunks if c.trusted and not garbled(c.embed_text) and len(c.text) >= 60][:limit]
