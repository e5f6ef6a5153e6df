"""The flashcard desk: due cards one at a time, self-rated reviews and per-topic exports, shared by the CLI
and the UI (``quiz.cards.CardDesk``)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from typer.testing import CliRunner

from tutorbot.errors import InputError
from tutorbot.learner.srs import new_scheduler
from tutorbot.quiz.cards import CardDesk
from tutorbot.store.learner_store import LearnerStore

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LINK = "https://example.org/attention"


def question(qid: str, topic: str) -> dict:
    return {"id": qid, "type": "tf", "topic": topic, "question": f"{qid}?", "options": ["True", "False"],
            "answer": "True", "key": "k", "source": {"chunk_id": "c1", "source": "roadmaps/a.md", "urls": [LINK]}}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def desk(tmp_path: Path) -> CardDesk:
    clock = Clock()
    store = LearnerStore(f"sqlite:///{tmp_path / 'cards.sqlite3'}", now=clock, scrypt_n=2)
    return CardDesk(store, new_scheduler(fuzz=False), clock)


def add_card(desk: CardDesk, user: int, qid: str, topic: str) -> None:
    desk.store.upsert_card(user, qid, topic=topic, front=f"front {qid}", back=f"back {qid}",
                           payload={"question": question(qid, topic)})


@pytest.fixture
def learners(desk: CardDesk) -> tuple[int, int]:
    ann, bob = desk.store.add_user("ann", "pw-123456").id, desk.store.add_user("bob", "pw-123456").id
    for qid, topic in (("q1", "attention"), ("q2", "attention"), ("q3", "diffusion")):
        add_card(desk, ann, qid, topic)
    add_card(desk, bob, "b1", "attention")
    return ann, bob


def test_new_cards_are_due_with_their_answer_and_web_source(desk, learners):
    due = desk.due(learners[0])
    assert [c.question_id for c in due] == ["q1", "q2", "q3"]
    assert due[0].back == "back q1" and due[0].source_url == LINK


def test_rating_good_schedules_the_card_later_and_logs_a_review_without_an_attempt(desk, learners):
    ann = learners[0]
    nxt = desk.rate(ann, "q1", "Good")
    assert nxt > T0
    assert "q1" not in [c.question_id for c in desk.due(ann)]
    assert [r.rating for r in desk.store.review_log(ann)] == [3]
    assert desk.store.attempts(ann) == []


def test_again_brings_a_card_back_sooner_than_easy(desk, learners):
    ann = learners[0]
    assert desk.rate(ann, "q1", "again") < desk.rate(ann, "q2", "easy")


def test_a_rating_outside_again_hard_good_easy_is_refused(desk, learners):
    with pytest.raises(InputError, match="again, hard, good, easy"):
        desk.rate(learners[0], "q1", "perfect")


def test_a_learner_cannot_rate_another_learners_card(desk, learners):
    with pytest.raises(InputError, match="no review card"):
        desk.rate(learners[0], "b1", "good")


def test_cards_fall_due_again_when_their_time_comes(desk, learners):
    ann = learners[0]
    nxt = desk.rate(ann, "q1", "good")
    desk.clock.now = nxt + timedelta(minutes=1)
    assert "q1" in [c.question_id for c in desk.due(ann)]


def test_topics_lists_each_topic_with_cards_once(desk, learners):
    assert desk.topics(learners[0]) == ["attention", "diffusion"]


def test_markdown_export_of_one_topic_holds_only_that_topics_cards(desk, learners):
    text = desk.export_markdown(learners[0], "diffusion")
    assert "front q3" in text and "front q1" not in text and "front b1" not in text


def test_anki_export_of_all_topics_holds_every_card_of_the_learner_only(desk, learners, tmp_path):
    path = desk.export_anki(learners[0], tmp_path / "ann.apkg")
    assert zipfile.is_zipfile(path)
    assert [c.question_id for c in desk.export_cards(learners[0])] == ["q1", "q2", "q3"]


def test_the_cli_reviews_flashcards_by_self_rating(desk, learners):
    from tutorbot.cli import app
    from tutorbot.cli import quiz as cli_quiz

    with patch.object(cli_quiz, "_service", lambda: (type("S", (), {"cards": desk})(), learners[0])):
        result = CliRunner().invoke(app, ["review", "--self", "--n", "2"], input="\ngood\n\nmaybe\nagain\n")
    assert result.exit_code == 0, result.output
    assert "back q1" in result.output and "type one of again, hard, good, easy" in result.output
    assert [r.rating for r in desk.store.review_log(learners[0])] == [1, 3]  # newest first


def test_the_cli_exports_one_topic(desk, learners, tmp_path):
    from tutorbot.cli import app
    from tutorbot.cli import quiz as cli_quiz

    out = tmp_path / "attention.md"
    with patch.object(cli_quiz, "_service", lambda: (type("S", (), {"cards": desk})(), learners[0])):
        result = CliRunner().invoke(app, ["export-anki", str(out), "--topic", "attention"])
    assert result.exit_code == 0, result.output
    assert "exported 2 cards" in result.output and "front q2" in out.read_text(encoding="utf-8")
