"""Flashcard desk: the learner's review cards as flashcards — due ones one at a time, self-rated, exported.

Stage: UI/CLI → **CardDesk** → FSRS (``learner.srs``) + ``LearnerStore`` → Anki/Markdown (``quiz.anki``).
Both faces call this module: the CLI's ``review --self`` and ``export-anki [--topic]``, the Quiz tab's
flashcard panel. A self-rated card is not a graded answer: its FSRS rating is the learner's own
(Again/Hard/Good/Easy), it is logged as a review, and no quiz attempt is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from tutorbot.errors import InputError
from tutorbot.learner.srs import SELF_RATINGS, review
from tutorbot.quiz.anki import ExportCard, export_apkg, export_markdown
from tutorbot.quiz.models import Question

# The score logged with a self-rating (the review log keeps one): below 0.5 is Again, below 0.8 Hard.
SELF_SCORES = {"again": 0.0, "hard": 0.65, "good": 1.0, "easy": 1.0}
MAX_DUE = 200


class Flashcard(BaseModel):
    """One card as a flashcard face shows it: the question, then (revealed) its answer and source."""

    question_id: str
    topic: str
    front: str
    back: str
    source_url: str | None = None


class CardDesk:
    """Due flashcards, self-rated reviews and exports for one store, scheduler and clock."""

    def __init__(self, store: Any, scheduler: Any, clock: Callable[[], datetime]) -> None:
        self.store, self.scheduler, self.clock = store, scheduler, clock

    def due(self, user_id: int, limit: int = MAX_DUE) -> list[Flashcard]:
        """The learner's due cards as flashcards, most overdue first."""
        cards = self.store.due_cards(user_id, now=self.clock(), limit=limit)
        return [_flashcard(c.question_id, c.topic, c.front, c.back, c.payload) for c in cards]

    def rate(self, user_id: int, question_id: str, rating: str) -> datetime:
        """Schedule the learner's own card by their self-rating; returns when it is due next."""
        key = _rating(rating)
        card = self.store.get_card(user_id, question_id) if isinstance(question_id, str) else None
        if card is None:
            raise InputError(f"no review card {question_id!r} for this learner")
        prior = card.state if card.state.last_review is not None else None
        state, due = review(self.scheduler, prior, SELF_SCORES[key], self.clock(), key)
        self.store.record_review(user_id, question_id, state, int(SELF_RATINGS[key]), SELF_SCORES[key])
        return due

    def topics(self, user_id: int) -> list[str]:
        """Topics the learner has cards on, in first-seen order."""
        return list(dict.fromkeys(c.topic for c in self.store.cards(user_id)))

    def export_cards(self, user_id: int, topic: str | None = None) -> list[ExportCard]:
        """The learner's cards (of one topic, when given) as export rows; only web links are kept."""
        cards = [c for c in self.store.cards(user_id) if not topic or c.topic == topic]
        return [ExportCard(**_flashcard(c.question_id, c.topic, c.front, c.back, c.payload).model_dump())
                for c in cards]

    def export_anki(self, user_id: int, path: Path | str, topic: str | None = None) -> Path:
        """An Anki deck of the learner's cards (one topic's as a sub-deck) written to ``path``."""
        user = self.store.get_user(user_id)
        deck = f"tutorbot::{user.name}" + (f"::{topic}" if topic else "")
        return export_apkg(self.export_cards(user_id, topic), path, deck_name=deck)

    def export_markdown(self, user_id: int, topic: str | None = None) -> str:
        """The learner's cards (of one topic, when given) as a Markdown study sheet."""
        return export_markdown(self.export_cards(user_id, topic), title="tutorbot flashcards")


def _rating(rating: str) -> str:
    key = str(rating or "").strip().lower()
    if key not in SELF_RATINGS:
        raise InputError(f"rate a card with one of {', '.join(SELF_RATINGS)}, got {rating!r}")
    return key


def _flashcard(question_id: str, topic: str, front: str, back: str, payload: dict[str, Any]) -> Flashcard:
    link = _link(payload.get("question"))
    return Flashcard(question_id=question_id, topic=topic, front=front, back=back,
                     source_url=link if link.startswith(("http://", "https://")) else None)


def _link(data: Any) -> str:
    try:
        return Question.model_validate(data).source.link
    except ValidationError:
        return ""
