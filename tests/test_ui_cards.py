"""The Quiz tab's flashcard panel without a browser: one card at a time, reveal, rate, per-learner exports."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_cards import LINK, add_card, desk, learners  # noqa: F401  (fixtures)

from tutorbot.ui import cards_panel
from tutorbot.ui.cards_logic import FlashSession, card_markdown, export_name, safe_topic, write_exports


@pytest.fixture
def session(desk, learners) -> FlashSession:  # noqa: F811
    return FlashSession(cards=desk.due(learners[0]))


def test_a_card_shows_its_front_until_revealed_then_its_answer_and_source(session):
    hidden = card_markdown(session, "Attention", "en")
    assert "Card 1 of 3" in hidden and "front q1" in hidden and "back q1" not in hidden
    shown = card_markdown(session.reveal(), "Attention", "en")
    assert "back q1" in shown and LINK in shown and "Rate it below" in shown


def test_rating_moves_to_the_next_card_hidden_and_the_end_says_all_were_reviewed(session):
    last = session.model_copy(update={"index": 2}).reveal().advance()
    assert not session.reveal().advance().revealed
    assert last.current is None and "All 3 due flashcard(s) reviewed" in card_markdown(last, "", "en")
    assert card_markdown(FlashSession(), "", "zh") == "现在没有到期的记忆卡片。"


def test_the_panel_offers_reveal_first_and_the_four_ratings_after(session):
    before = cards_panel.view(session, "en", lambda tid, lang: tid)
    after = cards_panel.view(session.reveal(), "en", lambda tid, lang: tid)
    assert before[1]["visible"] and not any(u["visible"] for u in before[2:])
    assert not after[1]["visible"] and all(u["visible"] for u in after[2:])


def test_export_names_are_plain_and_only_the_learners_own_topics_are_exported():
    assert export_name("a/../b c", ".apkg") == "tutorbot-flashcards-a_b_c.apkg"
    assert export_name(None, ".md") == "tutorbot-flashcards.md"
    assert safe_topic("attention", ["attention"]) == "attention" and safe_topic("other", ["attention"]) is None


def test_exports_are_written_into_the_learners_own_folder(desk, learners, tmp_path: Path):  # noqa: F811
    ann, bob = learners
    apkg, md = write_exports(desk, ann, "diffusion", tmp_path / str(ann))
    assert apkg.parent == md.parent == tmp_path / str(ann) and apkg.suffix == ".apkg"
    assert "front q3" in md.read_text(encoding="utf-8") and "front b1" not in md.read_text(encoding="utf-8")
    assert write_exports(desk, bob, "diffusion", tmp_path / str(bob)) is None  # bob has no diffusion cards


def test_without_a_quiz_service_the_panel_has_no_desk_to_call(desk):  # noqa: F811
    from types import SimpleNamespace

    from tutorbot.ui.context import Unavailable

    assert cards_panel.desk_of(Unavailable("the curriculum is broken")) is None
    assert cards_panel.desk_of(SimpleNamespace(cards=desk)) is desk
