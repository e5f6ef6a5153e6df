"""Quiz service: make a quiz, grade an answer, schedule the card, report mastery, export cards.

Stage: UI/CLI → **QuizService** → generation/validation/grading → ``LearnerStore`` + FSRS.
A quiz is archived when it is made, so an answer submitted after a restart still grades; every
answered question becomes the learner's review card (its payload keeps the question), so due
cards can be quizzed again and exported. All input is checked before anything is stored.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from pydantic import ValidationError

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Topic
from tutorbot.errors import TutorbotError
from tutorbot.learner.progress import Progress
from tutorbot.learner.srs import CONFIDENCE_LEVELS, SELF_RATINGS, new_scheduler, rating_for, review
from tutorbot.llm.client import LLMClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.quiz.anki import ExportCard
from tutorbot.quiz.cards import CardDesk
from tutorbot.quiz.feedback import checked_comment
from tutorbot.quiz.generate import QuizAssembler, Request
from tutorbot.quiz.grade import Grader, check_answer
from tutorbot.quiz.match import language_of
from tutorbot.quiz.mistakes import classify
from tutorbot.quiz.mix import levels_for
from tutorbot.quiz.models import MAX_QUESTIONS, QTYPES, Feedback, Grade, QType, Question, Quiz, QuizConfig, QuizLang
from tutorbot.quiz.notebook import Notebook
from tutorbot.quiz.rules import RuleBank
from tutorbot.quiz.validate import PassageVectors, QuizValidator, Seen
from tutorbot.quiz.vocabulary import Equivalents, TermGroups, Vocabulary, name_groups
from tutorbot.quiz.writer import ModelWriter, usable_passages
from tutorbot.retrieval.embed import Embedder
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import CatalogEntry, Chunk, Hit
from tutorbot.store.learner_store import LearnerStore
from tutorbot.urls import normalise_url


class QuizError(TutorbotError, ValueError):
    """A quiz request or submission that cannot be served; the message says what to do."""


class PassageSource(Protocol):
    """What quizzes need from retrieval (``retrieve.Retriever`` fits)."""

    chunks: list[Chunk]
    by_id: dict[str, Chunk]

    def search(self, query: str, k: int | None = None) -> list[Hit]: ...

    def retrieve(self, query: str, k: int | None = None, mode: str | None = None) -> Retrieval: ...


class QuizService:
    def __init__(self, store: LearnerStore, retriever: PassageSource, catalog: list[CatalogEntry],
                 curriculum: Curriculum, *, llm: LLMClient | None = None, prompts: PromptLibrary | None = None,
                 embedder: Embedder | None = None, vectors: PassageVectors | None = None,
                 config: QuizConfig | None = None, scheduler: Any = None, rules: RuleBank | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC), progress: Progress | None = None,
                 on_finished: Callable[[int], bool] | None = None, equivalents: Equivalents | None = None,
                 vocabulary: Vocabulary | None = None):
        self.store, self.retriever, self.cur = store, retriever, curriculum
        self.config, self.clock = config or QuizConfig(), clock
        self.scheduler = scheduler or new_scheduler()
        self.progress = progress or Progress(store, self.scheduler, clock, curriculum)
        self.cards = CardDesk(store, self.scheduler, clock)  # flashcards: self-rated reviews, exports
        self.notebook = Notebook(store, clock, self.progress.weak_prereqs)  # missed questions, re-askable
        self._on_finished = on_finished
        vectors = vectors or (PassageVectors(embedder) if embedder else None)
        self.validator = QuizValidator(retriever.by_id.get, vectors, self.config)
        equivalents = equivalents or TermGroups(name_groups(curriculum))
        rules = rules or RuleBank(catalog, curriculum, retriever.chunks, vocabulary, equivalents)
        writer = ModelWriter(llm, prompts, self.config, rules.concepts.vocab.is_term) \
            if llm is not None and prompts is not None else None
        self.assembler = QuizAssembler(rules, curriculum, self.validator, writer, self.config)
        self.grader = Grader(embedder, llm, prompts, self.config, equivalents)

    # -- making quizzes -----------------------------------------------------------------------
    def resolve_topic(self, text: str) -> Topic:
        """A curriculum topic from its id, its name or a synonym (zh/en), or free text about it."""
        text = (text or "").strip()
        if not text or len(text) > 200:
            raise QuizError("give a topic: a curriculum id or name (1-200 characters), e.g. 'attention_transformer'")
        found = self.cur.match(text) or self._nearest_topic(text)
        if found is None:
            ids = difflib.get_close_matches(text.lower(), self.cur.ids, n=5, cutoff=0.3) or self.cur.ids[:5]
            hint = ", ".join(f"{i} ({self.cur.topic(i).name.en})" for i in ids)
            raise QuizError(f"no curriculum topic matches {text!r}; try one of: {hint}")
        return found

    def _nearest_topic(self, text: str) -> Topic | None:
        """The topic most named by the passages retrieved for ``text``, if any passage shares a word with it.

        Dense similarity alone cannot tell "cooking pasta" from a real question (multilingual-e5 puts
        both near 0.83-0.86 against this corpus), so a lexical (BM25) match is required first.
        """
        if not self.retriever.retrieve(text, k=5, mode="bm25").hits:
            return None
        votes: dict[str, float] = {}
        for rank, h in enumerate(self.retriever.retrieve(text, k=5).hits):
            for tid, _, _ in self.cur.mentions(h.chunk.embed_text):
                votes[tid] = votes.get(tid, 0.0) + 1 / (rank + 1)
        return self.cur.topic(max(votes, key=lambda tid: votes[tid])) if votes else None

    def make_quiz(self, user_id: int, topic: str, n: int = 5, types: list[str] | str | None = None,
                  language: str = "auto", seed: int | None = None, sources: list[str] | None = None) -> Quiz:
        """A validated quiz of exactly ``n`` questions on ``topic``, archived for grading. ``sources`` (a plan
        week's resource URLs) are drawn from first; the levels follow the learner's mastery of the topic."""
        self.store.get_user(user_id)
        t, now = self.resolve_topic(topic), self.clock()
        lang = self._language(language, topic)
        seed = seed if seed is not None else _seed(user_id, t.id, lang, self.store.count_quizzes(user_id))
        known = self.progress.mastery(user_id).get(t.id)
        quiz = self.draft(t.id, n, types, lang, seed, sources, known.score if known else None,
                          self._seen(user_id, now)).model_copy(update={"user_id": user_id})
        self._archive(quiz)
        return quiz

    def draft(self, topic: str, n: int = 5, types: list[str] | str | None = None, language: str = "auto",
              seed: int = 0, sources: list[str] | None = None, mastery: float | None = None,
              seen: Seen | None = None) -> Quiz:
        """A quiz for a learner of this ``mastery`` who has seen ``seen``; nothing is stored (evaluation)."""
        kinds, lang = parse_types(types), self._language(language, topic)
        check_n(n)
        t = self.resolve_topic(topic)
        req = Request(t, n, kinds, lang, levels_for(mastery, n), self._chunks_of(sources))
        questions, mix = self.assembler.assemble(req, seen or Seen(), self._passages(req), random.Random(seed))
        if len(questions) < n:
            raise QuizError(f"only {len(questions)} valid {'/'.join(kinds)} questions exist; ask for fewer or "
                            "allow more question types")
        return Quiz(id=f"qz-{uuid.uuid4().hex[:16]}", user_id=0, topic=t.id, topic_name=t.name.get(lang),
                    language=lang, questions=questions, mix=mix, created_at=self.clock())

    def _chunks_of(self, urls: list[str] | None) -> frozenset[str]:
        """Ids of the indexed chunks of these pages (linked pages are indexed under their URL)."""
        wanted = {normalise_url(u) for u in urls or [] if u}
        return frozenset(c.id for c in self.retriever.chunks
                         if c.kind == "linked" and normalise_url(c.doc_id) in wanted)

    def _passages(self, req: Request) -> list[Chunk]:
        """What the model may write from: the explaining sentences of the topic (the week's first), each
        with the text that follows it, as a passage of the same chunk."""
        if self.assembler.writer is None:
            return []
        found = [s for s in self.assembler.bank.concepts.statements if s.focus and s.focus.topic == req.topic.id]
        found.sort(key=lambda s: s.chunk.id not in req.sources)
        return usable_passages([s.chunk.model_copy(update={"text": s.chunk.text[max(0, s.chunk.text.find(
            s.text[:20])):]}) for s in found])

    def review_quiz(self, user_id: int, n: int = 10) -> Quiz:
        """The learner's due cards (most overdue first) as a quiz; empty when nothing is due."""
        check_n(n)
        self.store.get_user(user_id)
        now = self.clock()
        questions = [q for card in self.store.due_cards(user_id, now=now, limit=n)
                     if (q := _question(card.payload.get("question"))) is not None]
        lang: QuizLang = questions[0].language if questions else "en"
        quiz = Quiz(id=f"qz-{uuid.uuid4().hex[:16]}", user_id=user_id, kind="review", language=lang,
                    questions=questions, created_at=now)
        if questions:
            self._archive(quiz)
        return quiz

    def due_count(self, user_id: int) -> int:
        return len(self.store.due_cards(user_id, now=self.clock()))

    def finish(self, user_id: int, quiz_id: str) -> bool:
        """The learner is done with this quiz: let the plan follow the results (True when it changed).

        Both faces end a quiz here, so the same answers give the same plan from the CLI and the UI."""
        self.get_quiz(user_id, quiz_id)  # ownership: only the learner's own quiz can trigger a re-plan
        return self._on_finished(user_id) if self._on_finished is not None else False

    def next_due(self, user_id: int) -> datetime | None:
        cards = self.store.cards(user_id)
        return min((c.due for c in cards), default=None)

    # -- answering ----------------------------------------------------------------------------
    def get_quiz(self, user_id: int, quiz_id: str) -> Quiz:
        data = self.store.get_quiz(user_id, quiz_id) if isinstance(quiz_id, str) and len(quiz_id) <= 64 else None
        quiz = Quiz.model_validate(data) if data is not None else None
        if quiz is None:
            raise QuizError(f"quiz {quiz_id!r} not found for this learner: start one with `tutorbot quiz`")
        return quiz

    def submit(self, user_id: int, quiz_id: str, question_id: str, answer: str,
               self_rating: str | None = None, confidence: int | None = None) -> Feedback:
        """Grade one answer, log it, reschedule its card, and say what was right and where it is written.
        ``confidence`` (1-4, given before grading) moves the rating: confident and wrong is Again, unsure
        and right is Hard."""
        quiz = self.get_quiz(user_id, quiz_id)
        try:
            q = quiz.question(question_id)
        except KeyError:
            raise QuizError(f"question {question_id!r} is not in quiz {quiz_id!r}") from None
        text = check_answer(answer, self.config.answer_max_chars)
        if self_rating is not None and str(self_rating).strip().lower() not in SELF_RATINGS:
            raise QuizError(f"self-rating must be one of {', '.join(SELF_RATINGS)}, got {self_rating!r}")
        if confidence is not None and (isinstance(confidence, bool) or confidence not in CONFIDENCE_LEVELS):
            raise QuizError(f"confidence must be 1, 2, 3 or 4 (how sure you are), got {confidence!r}")
        self._unanswered(user_id, quiz.id, q)
        grade = self.grader.grade(q, text)
        chunk = self.retriever.by_id.get(q.source.chunk_id)
        grade.comment = checked_comment(grade.comment, chunk.embed_text if chunk else q.source.quote)
        with self.store.transaction():  # the check again, then card, review and attempt: all or nothing
            self._unanswered(user_id, quiz.id, q)
            rating, due = self._record(user_id, quiz.id, q, text, grade, self_rating, confidence)
        return Feedback(quiz_id=quiz.id, question_id=q.id, type=q.type, topic=q.topic, given=text,
                        correct=grade.correct, score=grade.score, answer=q.answer, explanation=q.explanation,
                        source=q.source, source_link=q.source.link, key_points=grade.key_points,
                        comment=grade.comment, method=grade.method, rating=rating, due=due)

    def _unanswered(self, user_id: int, quiz_id: str, q: Question) -> None:
        if any(a.quiz_id == quiz_id and a.question_id == q.id for a in self.store.attempts(user_id, topic=q.topic)):
            raise QuizError(f"question {q.id!r} of quiz {quiz_id!r} is already answered")

    def _record(self, user_id: int, quiz_id: str, q: Question, text: str, grade: Grade,
                self_rating: str | None, confidence: int | None) -> tuple[int, datetime]:
        """Card (created on first answer), FSRS review and attempt log for one graded answer."""
        rating = int(rating_for(grade.score, self_rating, confidence))
        card = self.store.get_card(user_id, q.id)
        prior = card.state if card is not None and card.state.last_review is not None else None
        state, due = review(self.scheduler, prior, grade.score, self.clock(), self_rating, confidence)
        payload = q.model_dump(mode="json")
        self.store.upsert_card(user_id, q.id, topic=q.topic, front=q.card_front(), back=q.card_back(),
                               payload={"question": payload})
        self.store.record_review(user_id, q.id, state, rating, grade.score)
        mistake = None if grade.correct else classify(q, text, self.cur, self.progress.mastered(user_id)).model_dump()
        self.store.record_attempt(user_id, quiz_id=quiz_id, question_id=q.id, topic=q.topic, qtype=q.type,
                                  question=payload, answer=text, score=grade.score, correct=grade.correct,
                                  mistake=mistake, confidence=confidence)
        return rating, due

    # -- export (the flashcard desk's, kept here for the CLI and older callers) ------------------
    def export_cards(self, user_id: int) -> list[ExportCard]:
        return self.cards.export_cards(user_id)

    def export_anki(self, user_id: int, path: Path | str) -> Path:
        return self.cards.export_anki(user_id, path)

    def export_markdown(self, user_id: int) -> str:
        return self.cards.export_markdown(user_id)

    # -- helpers ------------------------------------------------------------------------------
    def _archive(self, quiz: Quiz) -> None:
        self.store.save_quiz(quiz.user_id, quiz.id, quiz.model_dump(mode="json"), quiz.created_at)

    def _seen(self, user_id: int, now: datetime) -> Seen:
        since = now - timedelta(days=self.config.recent_days)
        recent = [q for a in self.store.attempts(user_id, limit=300) if a.created_at >= since
                  if (q := _question(a.question)) is not None]
        recent += [q for data in self.store.recent_quizzes(user_id, since)
                   for q in Quiz.model_validate(data).questions]
        return Seen(recent, self.config.duplicate_similarity)

    @staticmethod
    def _language(language: str, topic: str) -> QuizLang:
        if language not in ("auto", "zh", "en"):
            raise QuizError(f"language must be auto, zh or en, got {language!r}")
        return language_of(topic or "") if language == "auto" else language  # type: ignore[return-value]


def parse_types(types: list[str] | str | None) -> list[QType]:
    """``"mcq,tf"`` or a list → question types, in the order given; None/empty means all."""
    items = types.split(",") if isinstance(types, str) else list(types or [])
    kinds = list(dict.fromkeys(t.strip().lower() for t in items if t.strip()))
    if bad := [t for t in kinds if t not in QTYPES]:
        raise QuizError(f"unknown question type(s) {bad}: use {', '.join(QTYPES)}")
    return kinds or list(QTYPES)  # type: ignore[return-value]


def check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_QUESTIONS:
        raise QuizError(f"the number of questions must be 1..{MAX_QUESTIONS}, got {n!r}")


def _seed(*parts: object) -> int:
    return int(hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12], 16)


def _question(data: Any) -> Question | None:
    try:
        return Question.model_validate(data)
    except ValidationError:
        return None
