"""UI stage, flashcard panel logic: where the learner is in a flashcard review, what the panel shows, the
export files.

Scheduling and exports belong to ``quiz.cards.CardDesk`` (the CLI uses the same desk); this module keeps
the learner's place (``FlashSession``, server-side state), formats a card, and writes the learner's export
files into their own folder, from which Gradio serves them (``web.WebGuard`` to that learner only).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tutorbot.quiz.cards import Flashcard
from tutorbot.ui.i18n import t
from tutorbot.ui.quiz_logic import corpus_md
from tutorbot.ui.render import short_url

RATINGS = ("again", "hard", "good", "easy")


class FlashSession(BaseModel):
    """The due cards of one review, the one shown, and whether its answer is revealed."""

    cards: list[Flashcard] = Field(default_factory=list)
    index: int = 0
    revealed: bool = False

    @property
    def current(self) -> Flashcard | None:
        return self.cards[self.index] if self.index < len(self.cards) else None

    def reveal(self) -> FlashSession:
        return self.model_copy(update={"revealed": self.current is not None})

    def advance(self) -> FlashSession:
        return self.model_copy(update={"index": self.index + 1, "revealed": False})


def card_markdown(session: FlashSession | None, topic_name: str, lang: str) -> str:
    """The card's front, and once revealed its back and source; a closing line when the review is over."""
    if session is None:
        return ""
    card = session.current
    if card is None:
        return t(lang, "cards.done", n=len(session.cards)) if session.cards else t(lang, "cards.none_due")
    head = t(lang, "cards.counter", i=session.index + 1, n=len(session.cards), topic=topic_name)
    parts = [head, corpus_md(card.front)]
    if session.revealed:
        parts += ["---", corpus_md(card.back), _source(card, lang), f"_{t(lang, 'cards.rate_hint')}_"]
    return "\n\n".join(p for p in parts if p)


def _source(card: Flashcard, lang: str) -> str:
    url = card.source_url
    if not url:
        return ""
    return f"**{t(lang, 'quiz.source')}:** [{short_url(url)}]({url.replace(')', '%29')})"


def safe_topic(topic: str | None, known: list[str]) -> str | None:
    """The topic to export: one the learner has cards on, else None (all topics)."""
    return topic if topic and topic in known else None


def export_name(topic: str | None, suffix: str) -> str:
    """A plain file name for an export: ``tutorbot-flashcards[-topic].apkg``."""
    tail = "-" + re.sub(r"[^A-Za-z0-9_-]+", "_", topic)[:60] if topic else ""
    return f"tutorbot-flashcards{tail}{suffix}"


def write_exports(desk: Any, user_id: int, topic: str | None, folder: Path) -> tuple[Path, Path] | None:
    """The learner's .apkg and .md exports (of ``topic``, or all) in ``folder``; None without cards."""
    if not desk.export_cards(user_id, topic):
        return None
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / export_name(topic, ".md")
    md.write_text(desk.export_markdown(user_id, topic), encoding="utf-8")
    return desk.export_anki(user_id, folder / export_name(topic, ".apkg"), topic), md
