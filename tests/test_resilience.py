"""Broken files degrade one feature and say how to fix it; they never take the app down (issue 14).

The corruption cases of the attack, each on real Chroma and a real SQLite learner DB (hash
embeddings, FakeLLM): a roadmap with one bad byte keeps its last good chunks and catalog entries;
a curriculum cycle stops plans and quizzes with a message naming the file while chat works; garbage
in the index's database and in the learner database is reported by `doctor` and the health checks,
writes to a malformed learner DB are refused (the file stays as it was), and `tutorbot index rebuild`
brings the index back. Every case also checks what still works.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import free_port, make_settings
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.container import Container
from tutorbot.curriculum.graph import CurriculumError
from tutorbot.health import CHECKS, IndexUnreadable, run_checks
from tutorbot.ingest.catalog import load_catalog
from tutorbot.llm.fake import FakeLLM
from tutorbot.plans.models import LearnerProfile
from tutorbot.settings import PROJECT_ROOT
from tutorbot.store.base import StoreDamaged
from tutorbot.store.learner_store import LearnerStore

ROADMAP = "roadmaps/relearn-ai.txt"
runner = CliRunner()


@pytest.fixture
def world(tmp_path: Path) -> Container:
    """The real corpus (copied, so a test may break it) ingested into real Chroma with hash embeddings."""
    shutil.copytree(PROJECT_ROOT / "corpus", tmp_path / "corpus")
    settings = make_settings(tmp_path / "data", corpus_dir=tmp_path / "corpus", embedding={"backend": "hash"},
                             retrieval={"min_score": -1, "min_score_topic": -1, "min_lexical": 0})
    c = Container(settings, llm=FakeLLM("Attention weighs tokens [1]."))
    c.ingest()
    return c


def fresh(c: Container) -> Container:
    """A new process over the same data dir."""
    return Container(c.settings, llm=FakeLLM("Attention weighs tokens [1]."))


def states(c: Container) -> dict[str, str]:
    return {ch.name: ch.state for ch in run_checks(c)}


def cli(c: Container, monkeypatch: pytest.MonkeyPatch, *args: str):
    for key, value in {"DATA_DIR": c.settings.data_dir, "CORPUS_DIR": c.settings.corpus_dir,
                       "EMBEDDING_BACKEND": "hash", "LLM_BASE_URL": "http://127.0.0.1:9/v1"}.items():
        monkeypatch.setenv(f"TUTORBOT_{key}", str(value))
    return runner.invoke(app, list(args))


def test_a_roadmap_with_one_bad_byte_keeps_its_last_good_chunks_and_catalog_entries(world):
    chunks, catalog = world.index.ids_for(ROADMAP), load_catalog(world.settings.paths.catalog)
    path = world.settings.corpus_dir / ROADMAP
    good = path.read_bytes()
    path.write_bytes(good + b"\xff")
    report = world.ingest()
    assert any(ROADMAP in s and "0xff" in s and "last good version" in s for s in report.skipped)
    assert report.chunks_deleted == 0 and world.index.ids_for(ROADMAP) == chunks
    assert load_catalog(world.settings.paths.catalog) == catalog
    again = fresh(world)  # plans, quizzes and the UI's services start as before
    assert again.plans.create(again.store.get_or_create_local_user().id, LearnerProfile(), guidance=False).weeks
    checks = {ch.name: ch for ch in run_checks(again)}
    assert checks["corpus"].state == "degraded" and ROADMAP in checks["corpus"].detail
    assert checks["curriculum"].state == "ok"
    path.write_bytes(good)  # fixed: reported no more
    assert world.ingest().skipped == [] and states(fresh(world))["corpus"] == "ok"


def test_a_rebuild_keeps_the_last_good_version_of_an_unreadable_roadmap(world):
    chunks = world.index.ids_for(ROADMAP)
    (world.settings.corpus_dir / ROADMAP).write_bytes(b"\x00\x01 binary now")
    report = world.ingest(rebuild=True)
    assert report.skipped and world.index.ids_for(ROADMAP) == chunks


def test_a_curriculum_cycle_stops_plans_and_quizzes_with_the_fix_while_chat_works(world, monkeypatch):
    path = world.settings.corpus_dir / "curriculum.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("prereqs: [python_pytorch]", "prereqs: [python_pytorch, pytorch_advanced]", 1),
                    encoding="utf-8")
    report = world.ingest()
    assert report.warnings and "prerequisite cycle" in report.warnings[0] and "chat" in report.warnings[0]
    c = fresh(world)
    for service in ("plans", "quizzes"):
        with pytest.raises(CurriculumError, match=r"cycle.*curriculum\.yaml.*tutorbot ingest"):
            getattr(c, service)
    assert c.chat.ask("What is attention?").answer
    assert states(c)["curriculum"] == "degraded"
    out = cli(c, monkeypatch, "plan", "--text", "I know Python", "--no-llm")
    assert out.exit_code == 2 and "prerequisite cycle" in out.output and "Traceback" not in out.output


def test_the_ui_starts_without_the_services_a_broken_curriculum_stops(world):
    import gradio as gr

    from tutorbot.ui import launch
    from tutorbot.ui.context import Services, Unavailable

    path = world.settings.corpus_dir / "curriculum.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - {id: dup, name: {en: x, zh: x}}\n", encoding="utf-8")
    services = Services.from_container(fresh(world))
    assert isinstance(services.plans, Unavailable) and services.curriculum.topics == []
    with pytest.raises(gr.Error, match="curriculum.yaml"):
        services.plans.create(1, LearnerProfile())
    assert services.chat.ask("What is attention?").answer
    assert any(p.name == "curriculum" for p in services.health().problems)
    port = free_port()
    demo = launch(fresh(world), host="127.0.0.1", port=port, block=False)
    try:
        assert httpx.get(f"http://127.0.0.1:{port}/config", timeout=30).status_code == 200
    finally:
        demo.close()


def damage(path: Path, at: int, size: int = 8192) -> None:
    blob = bytearray(path.read_bytes())
    blob[at:at + size] = os.urandom(size)
    path.write_bytes(bytes(blob))


def test_garbage_in_the_index_is_reported_with_the_fix_and_rebuilt_on_request(world, monkeypatch):
    world.index.count()
    damage(world.settings.paths.chroma_db, 4096)
    c = fresh(world)
    with pytest.raises(IndexUnreadable, match="index rebuild"):
        c.index.count()
    out = cli(c, monkeypatch, "search", "attention")
    assert out.exit_code == 1 and "tutorbot index rebuild" in out.output and "Traceback" not in out.output
    doctor = cli(c, monkeypatch, "doctor", "--json")
    checks = {ch["check"]: ch for ch in json.loads(doctor.stdout)}
    assert doctor.exit_code == 1 and not checks["index"]["ok"] and checks["catalog"]["ok"]
    assert c.plans.create(c.store.get_or_create_local_user().id, LearnerProfile(), guidance=False).weeks  # no index
    rebuilt = process(c, "index", "rebuild")  # a new process: this one's vector store caches the damaged file
    assert rebuilt.returncode == 0 and "removed" in rebuilt.stdout, rebuilt.stderr
    found = process(c, "search", "attention", "--top-k", "1", "--json")
    assert found.returncode == 0 and json.loads(found.stdout), found.stderr


def process(c: Container, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src"), "TUTORBOT_DATA_DIR": str(c.settings.data_dir),
           "TUTORBOT_CORPUS_DIR": str(c.settings.corpus_dir), "TUTORBOT_EMBEDDING_BACKEND": "hash"}
    return subprocess.run([sys.executable, "-c", "from tutorbot.cli import main; main()", *args], env=env,
                          capture_output=True, text=True, timeout=300)


def learner_db(world: Container) -> tuple[LearnerStore, int, str]:
    store = world.store
    uid = store.add_user("alice", "correct horse battery").id
    conv = store.create_conversation(uid, "first")
    for i in range(300):  # rows on many pages
        store.add_message(uid, conv.id, "user", f"question {i} " + "x" * 400)
    store.close()
    with sqlite3.connect(world.settings.paths.learner_db) as raw:  # fold the WAL back into the file
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return store, uid, conv.id


def test_random_pages_in_the_learner_db_refuse_writes_and_change_nothing(world, monkeypatch):
    _, uid, conv = learner_db(world)
    path = world.settings.paths.learner_db
    damage(path, 40 * 4096)
    before = path.read_bytes()
    c = fresh(world)
    with pytest.raises(StoreDamaged, match="restore the file from a backup"):
        c.store.add_message(uid, conv, "user", "one more")
    assert [u.name for u in c.store.list_users()] == ["alice"]  # what still reads, still reads
    assert path.read_bytes() == before
    assert states(c)["learner db"] == "failed"
    doctor = cli(c, monkeypatch, "doctor")
    assert doctor.exit_code == 1 and "learner db: the learner database" in doctor.output


def test_a_learner_db_that_is_not_a_database_gives_a_message_not_a_traceback(world, monkeypatch):
    learner_db(world)
    world.settings.paths.learner_db.write_bytes(os.urandom(20_000))
    with pytest.raises(StoreDamaged, match="not a database"):
        fresh(world).store.list_users()
    out = cli(world, monkeypatch, "ask", "What is attention?", "--conversation", "x")
    assert out.exit_code == 1 and "learner database" in out.output and "Traceback" not in out.output
    assert states(fresh(world))["learner db"] == "failed"


def test_a_new_data_dir_and_learner_db_are_private_to_their_owner(tmp_path):
    c = Container(make_settings(tmp_path / "new" / "data"))
    c.store.add_user("alice", "correct horse battery")
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in [c.settings.data_dir, *c.settings.data_dir.iterdir()]}
    assert modes == {"data": 0o700, "learners.sqlite3": 0o600, "learners.sqlite3-wal": 0o600,
                     "learners.sqlite3-shm": 0o600}
    assert states(c)["learner db"] == "ok"
    os.chmod(c.settings.paths.learner_db, 0o644)
    assert states(c)["learner db"] == "degraded"


def test_every_check_has_a_name_and_a_fix_when_nothing_is_there(tmp_path):
    c = Container(make_settings(tmp_path / "data"))
    checks = {ch.name: ch for ch in run_checks(c)}
    assert set(checks) == set(CHECKS)
    assert checks["index"].state == "failed" and "tutorbot ingest" in checks["index"].detail
    assert checks["catalog"].state == "failed" and "tutorbot ingest" in checks["catalog"].detail
