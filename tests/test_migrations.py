"""Schema migrations of the learner database, on SQLite and PostgreSQL: the store runs `upgrade head`
at start, adopts a database the release before migrations made (every row kept), refuses tables
that are not tutorbot's without touching them, and two processes starting at once migrate in turn."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from services import fresh_pg_database
from sqlalchemy import create_engine, inspect, text

from tutorbot.store import migrate
from tutorbot.store.base import StoreError
from tutorbot.store.learner_store import LearnerStore
from tutorbot.store.migrate import SchemaMismatch
from tutorbot.store.tables import metadata

FIXTURES = Path(__file__).parent / "fixtures"
CHEAP = 2**10  # scrypt cost: hashing is not under test


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'learners.sqlite3'}"
    return fresh_pg_database(request.getfixturevalue("pg_cluster"))


def load(url: str, sql: str) -> None:
    """Run a SQL script on the database as its own client would (no tutorbot code involved)."""
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split("///", 1)[1]) as db:
            db.executescript(sql)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


def dialect_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_code_declares(db_url: str) -> None:
    with LearnerStore(db_url, scrypt_n=CHEAP) as store, store.engine.connect() as conn:
        assert migrate.current(conn) == migrate.head()
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_a_database_from_the_release_before_migrations_keeps_every_row(db_url: str) -> None:
    load(db_url, (FIXTURES / f"learners-before-migrations.{dialect_of(db_url)}.sql").read_text(encoding="utf-8"))
    assert "alembic_version" not in tables(db_url)
    with LearnerStore(db_url, scrypt_n=CHEAP) as store:
        alice = store.verify_user("alice", "correct horse battery")  # hashes of that release still verify
        assert alice is not None and [u.name for u in store.list_users()] == ["alice", "bob"]
        conv = store.list_conversations(alice.id)[0]
        assert conv.title == "注意力机制"
        assert [(m.role, m.content) for m in store.get_messages(alice.id, conv.id)] == [
            ("user", "什么是注意力？"), ("assistant", "Attention weighs the values [1].")]
        assert store.get_messages(alice.id, conv.id)[1].meta == {"citations": [{"n": 1, "source": "r1"}]}
        assert store.get_profile(alice.id) == {"known": ["dl_basics"], "hours_per_week": 10}
        assert store.current_plan(alice.id).data == {"weeks": [{"topics": ["transformers"]}]}
        assert store.topic_status(alice.id) == {"transformers": "done"}
        assert store.get_quiz(alice.id, "qz-0123456789abcdef")["questions"] == [{"id": "q1"}]
        assert [(a.question_id, a.answer, a.correct) for a in store.attempts(alice.id)] == [("q1", "true", True)]
        card = store.get_card(alice.id, "q1")
        assert (card.front, card.last_review) == ("Attention is all you need?", datetime(2025, 3, 1, 10, tzinfo=UTC))
        assert [(r.rating, r.score) for r in store.review_log(alice.id)] == [(3, 1.0)]
        # new rows continue the old ids (PostgreSQL's sequences came along)
        assert store.add_message(alice.id, conv.id, "user", "and now?").id == 3
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head()


def test_a_current_database_is_not_migrated_again(tmp_path: Path) -> None:
    LearnerStore(f"sqlite:///{tmp_path / 'l.db'}").close()
    engine = create_engine(f"sqlite:///{tmp_path / 'l.db'}")

    def refuse() -> None:
        raise AssertionError("a current database must not be written at start")
    assert migrate.upgrade(engine, engine, refuse) is False


def test_tables_of_the_same_names_with_other_columns_are_refused_and_left_as_they_were(db_url: str) -> None:
    load(db_url, "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL);"
                 "INSERT INTO users VALUES (7, 'someone@example.org');")
    with pytest.raises(SchemaMismatch, match="table 'users' with columns \\['email', 'id'\\].*nothing was changed"):
        LearnerStore(db_url, scrypt_n=CHEAP)
    assert tables(db_url) == {"users"}  # the upgrade was rolled back: no version table, no tables of ours
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, email FROM users")).all() == [(7, "someone@example.org")]
    engine.dispose()


def slow_migration(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The first migrator holds SQLite's write lock past its 5 s busy timeout (a loaded machine, a slow disk)."""
    real = migrate.command.upgrade

    def slow(cfg: object, revision: str) -> None:
        real(cfg, revision)
        time.sleep(seconds)
    monkeypatch.setattr(migrate.command, "upgrade", slow)


def start_together(url: str, n: int) -> list[BaseException]:
    errors: list[BaseException] = []

    def start() -> None:
        try:
            LearnerStore(url, scrypt_n=CHEAP).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=start) for _ in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    return errors


def test_processes_starting_at_once_migrate_one_after_the_other(db_url: str) -> None:
    assert start_together(db_url, 4) == []
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [migrate.head()]
    engine.dispose()


def test_a_process_starting_during_a_migration_longer_than_the_busy_timeout_waits_for_it(tmp_path, monkeypatch):
    slow_migration(monkeypatch, 5.5)  # it failed: "database is locked", once in CI on a busy machine
    url = f"sqlite:///{tmp_path / 'learners.sqlite3'}"
    assert start_together(url, 2) == []
    assert tables(url) >= set(metadata.tables)


def test_a_migration_locked_past_the_wait_names_the_other_process_as_the_cause(tmp_path, monkeypatch):
    slow_migration(monkeypatch, 5.5)
    monkeypatch.setattr(migrate, "MIGRATION_WAIT_S", 0.0)
    errors = start_together(f"sqlite:///{tmp_path / 'learners.sqlite3'}", 2)
    assert len(errors) == 1 and isinstance(errors[0], StoreError)
    assert "another process upgrading it" in str(errors[0]) and "start again" in str(errors[0])


def test_a_database_at_0003_gains_attempt_mistakes_and_confidence_and_keeps_its_attempts(db_url: str) -> None:
    engine = create_engine(db_url)
    with engine.begin() as conn:  # the schema as the release with API keys left it
        command.upgrade(migrate.config(conn), "0003")
        conn.execute(text("INSERT INTO users (id, name, password_hash, created_at) VALUES "
                          "(1, 'alice', 'x', '2025-03-01 10:00:00')"))
        conn.execute(text("INSERT INTO quiz_attempts (user_id, quiz_id, question_id, topic, qtype, question, answer,"
                          " score, correct, created_at) VALUES (1, 'qz-1', 'q1', 'ddpm', 'mcq', '{\"id\": \"q1\"}',"
                          " 'B', 0.0, :no, '2025-03-01 10:05:00')"), {"no": False})
    engine.dispose()
    with LearnerStore(db_url, scrypt_n=CHEAP) as store:
        [old] = store.attempts(1)
        assert (old.question_id, old.answer, old.correct, old.mistake, old.confidence) == ("q1", "B", False, None,
                                                                                          None)
        new = store.record_attempt(1, quiz_id="qz-2", question_id="q2", topic="ddpm", qtype="mcq", question={},
                                   answer="C", score=0.0, correct=False, mistake={"kind": "wrong_concept"},
                                   confidence=4)
        assert (store.attempts(1)[0].mistake, store.attempts(1)[0].confidence) == ({"kind": "wrong_concept"}, 4)
        assert new.id == old.id + 1
        with store.engine.connect() as conn:
            assert migrate.current(conn) == migrate.head() == "0005"
