"""Flashcard export: a learner's review cards as an Anki ``.apkg`` deck or as Markdown.

Stage: output. The UI turns ``store.ReviewCard`` rows into ``ExportCard`` and calls
``export_apkg`` (download for Anki) or ``export_markdown`` (plain-text study sheet). Deck and
model ids are hashed from their names, and note GUIDs from question ids, so re-importing an
updated export updates the learner's existing Anki notes instead of duplicating them.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Sequence
from pathlib import Path

import genanki
from pydantic import BaseModel, Field

from tutorbot.errors import InputError
from tutorbot.files import replacing

MODEL_NAME = "tutorbot Q&A v1"
_FIELDS = ["Front", "Back", "Topic", "Source", "QuestionId"]
_TEMPLATE = {
    "name": "Card 1",
    "qfmt": "{{Front}}",
    "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div class="meta">{{Topic}} {{Source}}</div>',
}
_CSS = (".card { font-family: sans-serif; font-size: 18px; text-align: left; }\n"
        ".meta { color: #888; font-size: 12px; }")


class ExportCard(BaseModel):
    """One question/answer pair as it leaves tutorbot."""

    question_id: str = Field(min_length=1)
    topic: str = ""
    front: str
    back: str
    source_url: str | None = None


def stable_id(kind: str, name: str) -> int:
    """A deterministic 31-bit id (Anki wants positive ints) from a name, so exports are reproducible."""
    digest = hashlib.sha256(f"tutorbot:{kind}:{name}".encode()).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def export_apkg(cards: Sequence[ExportCard], path: Path | str, deck_name: str) -> Path:
    """Write ``cards`` as one Anki deck to ``path`` (atomically: a failed export leaves no partial file)."""
    if not deck_name.strip():
        raise InputError("deck_name must not be empty; pass e.g. 'tutorbot::<learner>'")
    _check_unique(cards)
    deck = genanki.Deck(stable_id("deck", deck_name), deck_name)
    model = genanki.Model(stable_id("model", MODEL_NAME), MODEL_NAME, fields=[{"name": f} for f in _FIELDS],
                          templates=[_TEMPLATE], css=_CSS)
    for card in cards:
        deck.add_note(_note(model, card))
    target = Path(path)
    with replacing(target) as tmp:
        genanki.Package(deck).write_to_file(str(tmp))
    return target


def export_markdown(cards: Sequence[ExportCard], title: str = "Flashcards") -> str:
    """Cards grouped by topic (in first-seen order) as a Markdown study sheet."""
    groups: dict[str, list[ExportCard]] = {}
    for card in cards:
        groups.setdefault(card.topic or "general", []).append(card)
    lines = [f"# {title}", ""]
    for topic, group in groups.items():
        lines += [f"## {topic}", ""]
        for n, card in enumerate(group, 1):
            lines += [f"**Q{n}.** {card.front.strip()}", "", f"**A.** {card.back.strip()}", ""]
            if card.source_url:
                lines += [f"Source: <{card.source_url}>", ""]
    return "\n".join(lines).rstrip() + "\n"


def _note(model: genanki.Model, card: ExportCard) -> genanki.Note:
    source = f'<a href="{html.escape(card.source_url)}">source</a>' if card.source_url else ""
    fields = [_html(card.front), _html(card.back), html.escape(card.topic), source, html.escape(card.question_id)]
    tags = [re.sub(r"\s+", "_", card.topic)] if card.topic.strip() else []
    return genanki.Note(model=model, fields=fields, tags=tags, guid=genanki.guid_for(card.question_id))


def _html(text: str) -> str:
    # Anki fields are HTML; card text is plain, so escape it and keep its line breaks
    return html.escape(text).replace("\n", "<br>")


def _check_unique(cards: Sequence[ExportCard]) -> None:
    seen: set[str] = set()
    for card in cards:
        if card.question_id in seen:
            raise InputError(f"two cards share question_id {card.question_id!r}; Anki would merge them")
        seen.add(card.question_id)
