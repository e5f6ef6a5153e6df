"""Chat controls without a browser: a deleted conversation stays deleted, the list is dated and searchable.

The chat tab's handlers (``ChatController``) over a real store (SQLite, and PostgreSQL when the test
cluster can start) with a fake chat service that streams a fixed answer and saves the turn as the real
one does; and the short dates the conversation list shows, in the browser's zone or in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from services import fresh_pg_database

from tutorbot.chat.conversations import Conversations
from tutorbot.chat.service import ChatEvent
from tutorbot.schemas import Answer
from tutorbot.store.learner_store import LearnerStore
from tutorbot.ui import chat_logic, i18n
from tutorbot.ui.dates import short_date

NOW = datetime(2026, 3, 14, 13, 5, tzinfo=UTC)


class SavingChat:
    """Streams two words and saves the turn in the store, as ``ChatService`` does."""

    def __init__(self, store: LearnerStore) -> None:
        self.store = store

    def ask_stream(self, question: str, *, user_id: int, conversation_id: str, **_: object) -> Iterator[ChatEvent]:
        yield ChatEvent("delta", "an answer")
        self.store.add_message(user_id, conversation_id, "user", question)
        self.store.add_message(user_id, conversation_id, "assistant", f"about {question}")
        yield ChatEvent("done", answer=Answer(answer=f"about {question}"))


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LearnerStore]:
    url = (f"sqlite:///{tmp_path / 'db.sqlite3'}" if request.param == "sqlite"
           else fresh_pg_database(request.getfixturevalue("pg_cluster")))
    with LearnerStore(url, now=lambda: NOW, scrypt_n=2**10) as s:
        yield s


def controller(store: LearnerStore) -> chat_logic.ChatController:
    return chat_logic.ChatController(SavingChat(store), Conversations(store), set(), interval=0, now=lambda: NOW)


def asked(ctl: chat_logic.ChatController, uid: int, question: str, conv: str | None = None) -> str:
    frames = list(ctl.ask(uid, conv, question, [], lang="en", answer_lang="auto", socratic=False))
    return str(frames[-1][1])


def ids(choices: list[tuple[str, str]]) -> list[str]:
    return [v for _, v in choices]


def test_deleting_a_conversation_removes_its_turns_for_good_and_nothing_else(store):
    ann, ben = (store.add_user(name, "pw-123456").id for name in ("ann", "ben"))
    ctl = controller(store)
    gone, kept, bens = asked(ctl, ann, "attention?"), asked(ctl, ann, "diffusion?"), asked(ctl, ben, "attention?")
    ctl.delete(ann, gone)
    assert ids(ctl.conversations(ann)) == [kept] and ids(ctl.conversations(ann, "attention")) == []
    assert ctl.open(ann, gone, "en") == [{"role": "assistant", "content": i18n.t("en", "chat.not_found")}]
    fresh = controller(store)  # a reload: a new page asks the store again
    assert ids(fresh.conversations(ann)) == [kept] and len(fresh.open(ann, kept, "en")) == 2
    assert len(fresh.open(ben, bens, "en")) == 2  # another learner's conversation of the same name is untouched
    assert asked(ctl, ann, "again?", gone) != gone  # asking in the deleted one starts a new conversation


def test_the_search_filters_the_list_by_title_and_message_text_in_both_languages(store):
    ann, ben = (store.add_user(name, "pw-123456").id for name in ("ann", "ben"))
    ctl = controller(store)
    attention, diffusion = asked(ctl, ann, "What is attention?"), asked(ctl, ann, "扩散模型怎么训练？")
    asked(ctl, ben, "扩散模型是什么？")
    ctl.rename(ann, attention, "Transformers")
    assert ids(ctl.conversations(ann, "ATTENTION")) == [attention]  # found in the message text
    assert ids(ctl.conversations(ann, "transformers")) == [attention]  # and in the title
    assert ids(ctl.conversations(ann, " 扩散 ")) == [diffusion]  # only ann's, surrounding spaces ignored
    assert ids(ctl.conversations(ann, "")) == ids(ctl.conversations(ann)) and len(ctl.conversations(ann)) == 2


def test_each_conversation_is_listed_with_its_title_and_last_activity(store):
    uid = store.add_user("ann", "pw-123456").id
    ctl = controller(store)
    conv = asked(ctl, uid, "What is attention?")
    assert ctl.conversations(uid, tz="Asia/Shanghai") == [("What is attention? · today 21:05", conv)]
    assert ctl.conversations(uid, lang="zh", tz="") == [("What is attention? · 今天 13:05 UTC", conv)]


@pytest.mark.parametrize(("when", "tz", "lang", "shown"), [
    (NOW - timedelta(hours=2), "Europe/Berlin", "en", "today 12:05"),
    (NOW - timedelta(hours=12, minutes=35), "America/New_York", "en", "Mar 13"),  # today in UTC, not there
    (NOW - timedelta(days=12), "Europe/Berlin", "zh", "3月2日"),
    (NOW - timedelta(days=400), "America/New_York", "en", "Feb 7, 2025"),
    (NOW - timedelta(days=400), "America/New_York", "zh", "2025年2月7日"),
    (NOW.replace(tzinfo=None), None, "en", "today 13:05 UTC"),  # SQLite's naive UTC, no browser zone yet
    (NOW, "Not/AZone", "zh", "今天 13:05 UTC"),
])
def test_a_short_date_says_today_with_the_local_time_else_the_local_day(when, tz, lang, shown):
    assert short_date(when, NOW, tz, lang) == shown


def test_a_stopped_answer_is_marked_stopped_live_and_when_its_conversation_is_reopened(store):
    uid = store.add_user("ann", "pw-123456").id
    ctl = controller(store)
    note = i18n.t("en", "chat.stopped")
    streaming = [{"role": "user", "content": "q"},
                 {"role": "assistant", "content": "Half an answer" + chat_logic.CURSOR}]
    marked = chat_logic.mark_stopped(streaming, "en")
    assert marked is not None and marked[-1]["content"].startswith("Half an answer\n\n⏹")
    assert note in marked[-1]["content"]
    assert chat_logic.mark_stopped([*streaming[:1], {"role": "assistant", "content": "Done [1]"}], "en") is None
    conv = Conversations(store).find_or_create(uid, None, "q")[0].id
    store.add_message(uid, conv, "user", "q")
    store.add_message(uid, conv, "assistant", "Half an answer", {"language": "en", "error": "stopped"})
    assert note in ctl.open(uid, conv, "en")[1]["content"]


class EndlessChat:
    """A model that streams unshown chunks (empty beats) after one shown sentence, and saves a stopped turn
    when closed, as ``ChatService`` does."""

    def __init__(self, store: LearnerStore) -> None:
        self.store, self.beats = store, 0

    def ask_stream(self, question: str, *, user_id: int, conversation_id: str, **_: object) -> Iterator[ChatEvent]:
        try:
            yield ChatEvent("delta", "A shown sentence [1].")
            while True:
                self.beats += 1
                yield ChatEvent("delta", "")
        except GeneratorExit:
            self.store.add_message(user_id, conversation_id, "user", question)
            self.store.add_message(user_id, conversation_id, "assistant", "A shown sentence [1].", {"error": "stopped"})
            raise


def test_stop_ends_the_answer_at_the_next_chunk_as_a_normal_finish_marked_stopped(store):
    uid = store.add_user("ann", "pw-123456").id
    chat = EndlessChat(store)
    ctl = chat_logic.ChatController(chat, Conversations(store), set(), interval=0, now=lambda: NOW)
    frames = list(ctl.ask(uid, None, "q", [], lang="en", answer_lang="auto", socratic=False,
                          stop=lambda: chat.beats >= 3))
    last, conv, answer = frames[-1]
    assert answer is None and chat.beats == 3  # it stopped at the chunk after the flag, not at the next sentence
    assert last[-1]["content"].startswith("A shown sentence") and i18n.t("en", "chat.stopped") in last[-1]["content"]
    assert chat_logic.CURSOR not in last[-1]["content"]
    assert [m.meta.get("error") for m in store.get_messages(uid, str(conv))] == [None, "stopped"]
