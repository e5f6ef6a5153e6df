"""anki: .apkg files Anki can import (checked by opening the SQLite collection) and Markdown export."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest

from tutorbot.quiz.anki import ExportCard, export_apkg, export_markdown

CARDS = [
    ExportCard(question_id="q1", topic="transformers", front="What is <attention>?", back="Weighted\nsum",
               source_url="https://example.org/a?x=1&y=2"),
    ExportCard(question_id="q2", topic="diffusion models", front="DDPM?", back="Denoising"),
    ExportCard(question_id="q3", topic="transformers", front="Why scale by √d?", back="Keep softmax sane"),
]


def _collection(apkg: Path, tmp_path: Path) -> sqlite3.Connection:
    assert zipfile.is_zipfile(apkg)
    with zipfile.ZipFile(apkg) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", tmp_path / apkg.stem)
    return sqlite3.connect(tmp_path / apkg.stem / "collection.anki2")


def test_apkg_holds_one_note_and_card_per_question(tmp_path: Path) -> None:
    out = export_apkg(CARDS, tmp_path / "deck.apkg", "tutorbot::alice")
    db = _collection(out, tmp_path)
    assert db.execute("select count(*) from notes").fetchone()[0] == 3
    assert db.execute("select count(*) from cards").fetchone()[0] == 3
    fields = [r[0].split("\x1f") for r in db.execute("select flds from notes order by sfld")]
    first = next(f for f in fields if f[4] == "q1")
    assert first[0] == "What is &lt;attention&gt;?" and first[1] == "Weighted<br>sum"
    tags = {r[0].strip() for r in db.execute("select tags from notes")}
    assert tags == {"transformers", "diffusion_models"}
    decks = json.loads(db.execute("select decks from col").fetchone()[0])
    assert "tutorbot::alice" in {d["name"] for d in decks.values()}


def _ids(path: Path, tmp_path: Path) -> tuple[set[str], set[str], set[str]]:
    db = _collection(path, tmp_path)
    decks = set(json.loads(db.execute("select decks from col").fetchone()[0]))
    models = set(json.loads(db.execute("select models from col").fetchone()[0]))
    guids = {r[0] for r in db.execute("select guid from notes")}
    return decks, models, guids


def test_ids_are_stable_across_exports(tmp_path: Path) -> None:
    a = _ids(export_apkg(CARDS, tmp_path / "a.apkg", "deck"), tmp_path)
    b = _ids(export_apkg(CARDS[::-1], tmp_path / "b.apkg", "deck"), tmp_path)
    c = _ids(export_apkg(CARDS, tmp_path / "c.apkg", "other deck"), tmp_path)
    assert a == b
    assert c[1] == a[1] and c[2] == a[2] and c[0] != a[0]  # only the deck id depends on the deck name


def test_bad_exports_are_refused_and_leave_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="question_id 'q1'"):
        export_apkg(CARDS + [CARDS[0]], tmp_path / "dup.apkg", "deck")
    with pytest.raises(ValueError, match="deck_name"):
        export_apkg(CARDS, tmp_path / "x.apkg", "  ")

    def half_write(self, file, timestamp=None) -> None:  # noqa: ANN001
        Path(file).write_bytes(b"PK partial")
        raise OSError("disk full")
    monkeypatch.setattr(genanki.Package, "write_to_file", half_write)
    with pytest.raises(OSError):
        export_apkg(CARDS, tmp_path / "full.apkg", "deck")
    assert list(tmp_path.iterdir()) == []


def test_markdown_groups_by_topic() -> None:
    md = export_markdown(CARDS, title="Alice's cards")
    assert md.startswith("# Alice's cards\n")
    assert md.index("## transformers") < md.index("## diffusion models")
    section = md.split("## diffusion models")[0]
    assert "**Q1.** What is <attention>?" in section and "**Q2.** Why scale by √d?" in section
    assert "**A.** Weighted\nsum" in section
    assert "Source: <https://example.org/a?x=1&y=2>" in section
    assert export_markdown([]) == "# Flashcards\n"
