"""LearnerStore: accounts, isolation, transactions, persistence and hostile text, on SQLite and PostgreSQL.

Every store test runs twice: against a SQLite file and against a throw-away PostgreSQL cluster
started by the session fixture ``pg_cluster`` (conftest; `make test` installs PostgreSQL).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from services import fresh_pg_database
from sqlalchemy import event, select

from tutorbot.learner import srs
from tutorbot.store import tables as store_tables
from tutorbot.store.learner_store import DuplicateUser, LearnerStore, NotFound

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PW = "pw-correct-horse"
FAST_SCRYPT = 2**10  # the real cost (2**14) is exercised once in test_default_cost_hash


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'learners.sqlite3'}"
    return fresh_pg_database(request.getfixturevalue("pg_cluster"))


def test_plain_postgresql_url_works(pg_cluster: str) -> None:
    url = fresh_pg_database(pg_cluster).replace("postgresql+psycopg://", "postgresql://")
    with LearnerStore(url, scrypt_n=FAST_SCRYPT) as s:
        assert s.engine.dialect.driver == "psycopg" and s.integrity_check()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[LearnerStore]:
    with LearnerStore(db_url, now=clock, scrypt_n=FAST_SCRYPT) as s:
        yield s


# --- users -------------------------------------------------------------------------------------


def test_password_verification_and_hash_storage(store: LearnerStore) -> None:
    alice = store.add_user("alice", "correct horse")
    store.add_user("bob", "correct horse")
    assert store.verify_user("alice", "correct horse") == alice
    assert store.verify_user("alice", "Correct horse") is None
    assert store.verify_user("nobody", "correct horse") is None
    assert [u.name for u in store.list_users()] == ["alice", "bob"]
    with store.engine.connect() as conn:
        hashes = conn.execute(select(store_tables.users.c.password_hash)).scalars().all()
    assert all(h.startswith("scrypt$") and "correct horse" not in h for h in hashes)
    assert hashes[0] != hashes[1]  # same password, different salts


def test_default_cost_hash(tmp_path: Path) -> None:
    with LearnerStore(f"sqlite:///{tmp_path / 'x.db'}") as s:
        s.add_user("carol", PW)
        assert s.verify_user("carol", PW) is not None


@pytest.mark.parametrize("name,err", [("", "empty"), ("   ", "empty"), ("x" * 65, "limit"), (" al", "spaces"),
                                      ("a\nb", "control"), ("local", "reserved")])
def test_bad_user_names_are_refused(store: LearnerStore, name: str, err: str) -> None:
    with pytest.raises(ValueError, match=err):
        store.add_user(name, PW)


def test_duplicate_user_and_empty_password(store: LearnerStore) -> None:
    store.add_user("alice", PW)
    with pytest.raises(DuplicateUser, match="taken"):
        store.add_user("alice", "another long one")
    with pytest.raises(ValueError, match="password must not be empty"):
        store.add_user("dave", "")


@pytest.mark.parametrize("password,why", [("short1!", "at least 8"), ("alice-2024!", "user name"),
                                          ("aaaaaaaaaaaa", "easy"), ("ababababab", "easy"), ("Password1", "easy"),
                                          ("12345678", "easy")])
def test_passwords_that_are_easy_to_guess_are_refused_with_the_rule(store: LearnerStore, password: str,
                                                                    why: str) -> None:
    with pytest.raises(ValueError, match=why):
        store.add_user("alice", password)
    assert store.list_users() == []


@pytest.mark.parametrize("look_alike", ["Bob", "BOB", "b\u043eb", "\uff42\uff4f\uff42", "bòb", "b0b",
                                        "\u0412\u041e\u0412"])
def test_a_user_name_that_looks_like_an_existing_one_is_refused(store: LearnerStore, look_alike: str) -> None:
    store.add_user("bob", PW)
    with pytest.raises(DuplicateUser, match="looks like 'bob'"):
        store.add_user(look_alike, PW)
    assert [u.name for u in store.list_users()] == ["bob"]
    store.add_user("bobby", PW)  # different names are still fine


def test_local_user_is_stable_and_cannot_log_in(store: LearnerStore) -> None:
    first = store.get_or_create_local_user()
    assert store.get_or_create_local_user() == first
    assert first.name == "local"
    assert store.verify_user("local", "") is None


# --- conversations -----------------------------------------------------------------------------


def test_conversation_lifecycle(store: LearnerStore, clock: Clock) -> None:
    uid = store.add_user("alice", PW).id
    older = store.create_conversation(uid, "transformers")
    clock.advance(minutes=1)
    newer = store.create_conversation(uid, "diffusion")
    clock.advance(minutes=1)
    store.add_message(uid, older.id, "user", "what is attention?")
    store.add_message(uid, older.id, "assistant", "see [1]", {"citations": [{"n": 1, "source": "a.txt"}]})
    assert [c.id for c in store.list_conversations(uid)] == [older.id, newer.id]  # most recent activity first
    msgs = store.get_messages(uid, older.id)
    assert [(m.role, m.content) for m in msgs] == [("user", "what is attention?"), ("assistant", "see [1]")]
    assert msgs[1].meta == {"citations": [{"n": 1, "source": "a.txt"}]}
    assert [m.content for m in store.get_messages(uid, older.id, limit=1)] == ["see [1]"]
    assert store.rename_conversation(uid, older.id, "attention").title == "attention"
    store.delete_conversation(uid, older.id)
    assert [c.id for c in store.list_conversations(uid)] == [newer.id]
    with pytest.raises(NotFound):
        store.get_messages(uid, older.id)
    with store.engine.connect() as conn:
        assert conn.execute(select(store_tables.messages)).all() == []


def test_deleting_a_conversation_removes_its_turns_and_leaves_other_conversations_and_learners_alone(
        store: LearnerStore) -> None:
    ann, ben = (store.add_user(name, PW).id for name in ("ann", "ben"))
    gone, kept = store.create_conversation(ann, "gone"), store.create_conversation(ann, "kept")
    bens = store.create_conversation(ben, "gone")
    for uid, conv in ((ann, gone), (ann, kept), (ben, bens)):
        store.add_message(uid, conv.id, "user", f"question in {conv.title}")
    store.delete_conversation(ann, gone.id)
    with store.engine.connect() as conn:
        left = conn.execute(select(store_tables.messages.c.conversation_id)).scalars().all()
    assert sorted(left) == sorted([kept.id, bens.id])  # the turns are gone from the store, not only hidden
    assert [c.id for c in store.list_conversations(ann)] == [kept.id]
    assert [m.content for m in store.get_messages(ben, bens.id)] == ["question in gone"]


def test_search_finds_conversations_by_title_or_message_text_in_english_and_chinese(
        store: LearnerStore, clock: Clock) -> None:
    ann, ben = (store.add_user(name, PW).id for name in ("ann", "ben"))
    attention = store.create_conversation(ann, "Attention basics")
    clock.advance(minutes=1)
    diffusion = store.create_conversation(ann, "扩散模型")
    store.add_message(ann, diffusion.id, "user", "去噪过程是怎样的？ 100% sure_thing")
    clock.advance(minutes=1)
    store.add_message(ann, attention.id, "assistant", "Self-ATTENTION weighs tokens")
    store.create_conversation(ben, "attention of ben")

    def ids(text: str) -> list[str]:
        return [c.id for c in store.search_conversations(ann, text)]
    assert ids("attention") == [attention.id]  # title and text, case-insensitive, only ann's
    assert ids("weighs") == [attention.id]  # message text alone
    assert ids("扩散") == [diffusion.id] and ids("去噪") == [diffusion.id]
    assert ids("100%") == [diffusion.id] and ids("%") == [diffusion.id] and ids("s_r") == []  # wildcards are plain
    assert ids("transformer") == []


def test_a_conversation_with_a_fixed_id_is_made_once_and_never_taken_from_another_learner(store: LearnerStore) -> None:
    ann, ben = (store.add_user(name, PW).id for name in ("ann", "ben"))
    fixed = "5d0c3a52-0000-5000-8000-000000000001"
    made = store.get_or_create_conversation(ann, fixed, "attention")
    assert made.id == fixed and store.get_or_create_conversation(ann, fixed, "other") == made
    with pytest.raises(NotFound):  # the id is taken: ben gets neither ann's conversation nor a copy
        store.get_or_create_conversation(ben, fixed, "attention")
    assert store.list_conversations(ben) == [] and [c.title for c in store.list_conversations(ann)] == ["attention"]


def test_bad_message_inputs(store: LearnerStore) -> None:
    uid = store.add_user("alice", PW).id
    conv = store.create_conversation(uid, "t")
    with pytest.raises(ValueError, match="role"):
        store.add_message(uid, conv.id, "system", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit is 100000"):
        store.add_message(uid, conv.id, "user", "x" * 100_001)
    with pytest.raises(ValueError, match="limit is 200"):
        store.create_conversation(uid, "t" * 201)
    with pytest.raises(ValueError, match="NUL"):
        store.add_message(uid, conv.id, "user", "a\x00b")
    assert store.add_message(uid, conv.id, "user", "ok", {"raw": "a\x00b"}).meta == {"raw": "a\x00b"}
    with pytest.raises(ValueError, match="surrogate"):
        store.add_message(uid, conv.id, "user", "a\ud800b")
    with pytest.raises(ValueError, match="JSON"):
        store.add_message(uid, conv.id, "user", "x", {"score": float("nan")})
    with pytest.raises(ValueError, match="JSON"):
        store.add_message(uid, conv.id, "user", "x", {"obj": object()})
    assert [m.content for m in store.get_messages(uid, conv.id)] == ["ok"]


# --- isolation ---------------------------------------------------------------------------------


def _alice_with_everything(store: LearnerStore) -> tuple[int, str, int]:
    alice = store.add_user("alice", PW).id
    conv = store.create_conversation(alice, "private")
    store.add_message(alice, conv.id, "user", "secret question")
    plan_id = store.save_plan(alice, {"weeks": 4})
    store.save_profile(alice, {"goal": "diffusion"})
    store.mark_topic(alice, "transformers", "done")
    store.record_attempt(alice, quiz_id="q", question_id="q1", topic="transformers", qtype="mcq",
                         question={"stem": "?"}, answer="A", score=1.0, correct=True)
    store.upsert_card(alice, "q1", topic="transformers", front="F", back="B")
    return alice, conv.id, plan_id


def test_other_learner_cannot_touch_conversations(store: LearnerStore) -> None:
    alice, conv_id, _ = _alice_with_everything(store)
    bob = store.add_user("bob", PW).id
    assert store.list_conversations(bob) == []
    for attempt in (lambda: store.get_messages(bob, conv_id), lambda: store.get_conversation(bob, conv_id),
                    lambda: store.rename_conversation(bob, conv_id, "mine now"),
                    lambda: store.delete_conversation(bob, conv_id),
                    lambda: store.add_message(bob, conv_id, "user", "injected")):
        with pytest.raises(NotFound):
            attempt()
    assert store.get_conversation(alice, conv_id).title == "private"
    assert [m.content for m in store.get_messages(alice, conv_id)] == ["secret question"]


def test_other_learner_sees_none_of_the_learner_data(store: LearnerStore) -> None:
    alice, _, plan_id = _alice_with_everything(store)
    bob = store.add_user("bob", PW).id
    assert store.plan_history(bob) == [] and store.current_plan(bob) is None
    with pytest.raises(NotFound):
        store.get_plan(bob, plan_id)
    assert store.get_profile(bob) is None and store.topic_status(bob) == {}
    assert store.attempts(bob) == [] and store.cards(bob) == [] and store.get_card(bob, "q1") is None
    assert store.due_cards(bob, T0 + timedelta(days=999)) == []
    with pytest.raises(NotFound):
        store.record_review(bob, "q1", srs.CardState.new(T0), 3, 1.0)
    store.upsert_card(bob, "q1", topic="t", front="bob's", back="own")  # same question id, separate card
    assert store.get_card(alice, "q1").front == "F"
    assert store.get_plan(alice, plan_id).data == {"weeks": 4}


def test_writes_for_unknown_user_fail(store: LearnerStore) -> None:
    with pytest.raises(NotFound, match="user 999"):
        store.save_plan(999, {})
    with pytest.raises(NotFound):
        store.create_conversation(999, "t")


# --- profiles, plans, progress, attempts -------------------------------------------------------


def test_profile_plans_and_topic_marks(store: LearnerStore, clock: Clock) -> None:
    uid = store.add_user("alice", PW).id
    store.save_profile(uid, {"level": "beginner"})
    store.save_profile(uid, {"level": "advanced", "langs": ["zh", "en"]})
    assert store.get_profile(uid) == {"level": "advanced", "langs": ["zh", "en"]}
    first = store.save_plan(uid, {"v": 1})
    clock.advance(hours=1)
    second = store.save_plan(uid, {"v": 2})
    assert store.current_plan(uid).id == second
    assert [p.id for p in store.plan_history(uid)] == [second, first]
    store.mark_topic(uid, "a", "done")
    store.mark_topic(uid, "b", "known")
    store.mark_topic(uid, "a", "known")
    store.mark_topic(uid, "b", None)
    assert store.topic_status(uid) == {"a": "known"}
    with pytest.raises(ValueError, match="topic status"):
        store.mark_topic(uid, "a", "mastered")  # type: ignore[arg-type]


def test_attempts_newest_first_and_filtered(store: LearnerStore, clock: Clock) -> None:
    uid = store.add_user("alice", PW).id
    for i, topic in enumerate(["a", "b", "a"]):
        clock.advance(minutes=1)
        store.record_attempt(uid, quiz_id="z", question_id=f"q{i}", topic=topic, qtype="short",
                             question={"i": i}, answer=f"ans{i}", score=i / 2, correct=i > 0)
    assert [a.question_id for a in store.attempts(uid)] == ["q2", "q1", "q0"]
    assert [a.question_id for a in store.attempts(uid, topic="a")] == ["q2", "q0"]
    assert [a.question_id for a in store.attempts(uid, limit=1)] == ["q2"]
    assert store.attempts(uid)[0].created_at == clock.now
    with pytest.raises(ValueError, match="score"):
        store.record_attempt(uid, quiz_id="z", question_id="q", topic="a", qtype="short", question={},
                             answer="", score=1.5, correct=True)


# --- review cards ------------------------------------------------------------------------------


def test_cards_schedule_and_review_log(store: LearnerStore, clock: Clock) -> None:
    uid = store.add_user("alice", PW).id
    scheduler = srs.new_scheduler(fuzz=False)
    card = store.upsert_card(uid, "q1", topic="t", front="F", back="B", payload={"qtype": "mcq"})
    assert [c.question_id for c in store.due_cards(uid, clock.now)] == ["q1"]
    state, due = srs.review(scheduler, card.state, 1.0, clock.now)
    store.record_review(uid, "q1", state, int(srs.rating_for(1.0)), 1.0)
    assert store.due_cards(uid, clock.now) == []
    assert [c.question_id for c in store.due_cards(uid, due)] == ["q1"]
    refreshed = store.upsert_card(uid, "q1", topic="t", front="F2", back="B2")  # text edit keeps schedule
    assert refreshed.front == "F2" and refreshed.state == state and refreshed.due == due
    assert [(e.rating, e.score) for e in store.review_log(uid)] == [(3, 1.0)]


# --- transactions, persistence, integrity ------------------------------------------------------


def _fail_on(store: LearnerStore, sql_prefix: str) -> None:
    def boom(conn, cursor, statement, params, context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith(sql_prefix):
            raise RuntimeError("injected failure")
    event.listen(store.engine, "before_cursor_execute", boom)


def test_failure_mid_add_message_stores_nothing(store: LearnerStore, clock: Clock) -> None:
    uid = store.add_user("alice", PW).id
    conv = store.create_conversation(uid, "t")
    clock.advance(minutes=5)
    _fail_on(store, "UPDATE CONVERSATIONS")  # runs after the message INSERT in the same transaction
    with pytest.raises(RuntimeError, match="injected"):
        store.add_message(uid, conv.id, "user", "half-written?")
    assert store.get_messages(uid, conv.id) == []
    assert store.get_conversation(uid, conv.id).updated_at == conv.updated_at


def test_failure_mid_review_keeps_old_schedule(store: LearnerStore, clock: Clock) -> None:
    uid = store.add_user("alice", PW).id
    before = store.upsert_card(uid, "q1", topic="t", front="F", back="B")
    state, _ = srs.review(srs.new_scheduler(fuzz=False), before.state, 1.0, clock.now)
    _fail_on(store, "INSERT INTO REVIEW_LOG")
    with pytest.raises(RuntimeError, match="injected"):
        store.record_review(uid, "q1", state, 3, 1.0)
    assert store.get_card(uid, "q1") == before
    assert store.review_log(uid) == []


def test_history_survives_reopening(db_url: str, clock: Clock) -> None:
    with LearnerStore(db_url, now=clock, scrypt_n=FAST_SCRYPT) as first:
        uid = first.add_user("alice", PW).id
        conv = first.create_conversation(uid, "kept")
        first.add_message(uid, conv.id, "user", "still here?")
        first.save_plan(uid, {"v": 1})
        first.upsert_card(uid, "q1", topic="t", front="F", back="B")
    with LearnerStore(db_url, now=clock, scrypt_n=FAST_SCRYPT) as again:
        assert again.verify_user("alice", PW) is not None
        assert [m.content for m in again.get_messages(uid, conv.id)] == ["still here?"]
        assert again.current_plan(uid).data == {"v": 1}
        assert again.get_card(uid, "q1").due == T0
        assert again.integrity_check()


def test_concurrent_writers_do_not_lose_or_lock(db_url: str) -> None:
    """Separate stores (as separate processes would) writing at once: every write lands, none is refused."""
    with LearnerStore(db_url, scrypt_n=FAST_SCRYPT) as setup:
        uid = setup.add_user("alice", PW).id
        conv = setup.create_conversation(uid, "busy")
    errors: list[Exception] = []

    def writer(k: int) -> None:
        with LearnerStore(db_url, scrypt_n=FAST_SCRYPT) as mine:
            for i in range(25):
                try:
                    mine.add_message(uid, conv.id, "user", f"{k}-{i}")
                except Exception as exc:  # noqa: BLE001 - collected and asserted below
                    errors.append(exc)
    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    with LearnerStore(db_url, scrypt_n=FAST_SCRYPT) as check:
        assert len(check.get_messages(uid, conv.id)) == 100


def test_sqlite_pragmas_and_corruption_detected(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    with LearnerStore(f"sqlite:///{path}", scrypt_n=FAST_SCRYPT) as s:
        uid = s.add_user("alice", PW).id
        for i in range(200):  # enough rows to span many pages
            s.save_plan(uid, {"i": i, "pad": "x" * 500})
        with s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert s.integrity_check()
    with sqlite3.connect(path) as raw:  # fold the WAL back so the corruption below hits real pages
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    blob = bytearray(path.read_bytes())
    page = 4096
    blob[3 * page:3 * page + 2000] = bytes(range(250)) * 8
    path.write_bytes(bytes(blob))
    with LearnerStore(f"sqlite:///{path}") as broken:  # page 1 (the schema) is intact, so it opens
        assert broken.integrity_check() is False


# --- hostile text ------------------------------------------------------------------------------

SQLISH = ["'); DROP TABLE users;--", "\" OR 1=1 --", "Robert'); DELETE FROM messages; --", "%s %(x)s ?", "\\x00"]
hostile_text = st.one_of(st.sampled_from(SQLISH),
                         st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
                         st.text(st.characters(codec="utf-8", max_codepoint=0x1F), max_size=50))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=hostile_text, title=hostile_text, oversize=st.integers(100_001, 150_000))
def test_arbitrary_text_round_trips_or_is_refused(store: LearnerStore, body: str, title: str,
                                                  oversize: int) -> None:
    uid = store.get_or_create_local_user().id
    bad = "\x00" in body or "\x00" in title or len(title) > 200
    try:
        conv = store.create_conversation(uid, title)
        msg = store.add_message(uid, conv.id, "user", body, {"echo": body})
    except ValueError as exc:
        assert bad, exc
        conv = None
    if conv is not None:
        assert not bad
        assert store.get_conversation(uid, conv.id).title == title
        assert [(m.content, m.meta) for m in store.get_messages(uid, conv.id)] == [(body, {"echo": body})]
        assert msg.content == body
        with pytest.raises(ValueError, match="limit"):
            store.add_message(uid, conv.id, "user", "y" * oversize)
        assert len(store.get_messages(uid, conv.id)) == 1
    assert store.get_or_create_local_user().id == uid  # the users table is still there and intact
    assert store.integrity_check()


def test_a_transaction_commits_all_of_its_writes_or_none(store: LearnerStore) -> None:
    uid = store.add_user("alice", PW).id
    with pytest.raises(ValueError):  # the attempt is refused after the card was written
        with store.transaction():
            store.upsert_card(uid, "q1", topic="t", front="F", back="B")
            store.record_attempt(uid, quiz_id="z", question_id="q1", topic="t", qtype="mcq", question={},
                                 answer="A", score=2.0, correct=True)
    assert store.get_card(uid, "q1") is None and store.attempts(uid) == []
    with store.transaction():
        store.upsert_card(uid, "q1", topic="t", front="F", back="B")
        store.record_attempt(uid, quiz_id="z", question_id="q1", topic="t", qtype="mcq", question={},
                             answer="A", score=1.0, correct=True)
    assert store.get_card(uid, "q1") is not None and len(store.attempts(uid)) == 1
