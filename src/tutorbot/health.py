"""Health stage: named checks of what tutorbot runs on, for `tutorbot doctor`, the UI and a health endpoint.

Each check is ``ok``, ``degraded`` (one feature is off, the rest works) or ``failed`` (the part is
unusable), with a one-line detail that names the fix. Checks only read, and never raise: a broken
part reports itself instead of taking its caller down (a damaged Chroma file makes the vector
store's native code panic, which is not even an ``Exception``).
"""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel

from tutorbot.errors import TutorbotError

if TYPE_CHECKING:
    from tutorbot.container import Container
    from tutorbot.settings import Settings

State = Literal["ok", "degraded", "failed"]
T = TypeVar("T")
REBUILD = "run `tutorbot index rebuild` (indexes the corpus again from scratch; learner data is not touched)"


class Check(BaseModel):
    name: str
    state: State
    detail: str


class IndexUnreadable(TutorbotError):
    """The vector index cannot be opened or read; the message names the fix."""


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]


def opened(settings: Settings, open_index: Callable[[], T]) -> T:
    """``open_index()``, refused with ``IndexUnreadable`` when the embedded index's database is
    damaged (checked first: the vector store's native code panics on it) or opening fails."""
    where = settings.paths.chroma
    if not settings.index.chroma_host and (problem := sqlite_problem(settings.paths.chroma_db)):
        raise IndexUnreadable(f"the index at {where} is damaged ({problem}): {REBUILD}")
    try:
        return open_index()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:
        raise IndexUnreadable(f"the index at {where} is unreadable ({_first_line(exc)}): {REBUILD}") from None


def sqlite_problem(path: Path) -> str:
    """Why the SQLite file at ``path`` is unsound ("" when it is sound, or absent)."""
    if not path.exists():
        return ""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            found = db.execute("PRAGMA quick_check").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    return "" if found and found[0] == "ok" else str(found[0] if found else "no answer to quick_check")


def check_index(c: Container) -> Check:
    try:
        n = opened(c.settings, lambda: c.index.count())
    except TutorbotError as exc:
        return Check(name="index", state="failed", detail=str(exc))
    if not n:
        return Check(name="index", state="failed", detail="empty: run `tutorbot ingest`")
    return Check(name="index", state="ok", detail=f"{n} chunks")


def check_catalog(c: Container) -> Check:
    from tutorbot.ingest.catalog import load_catalog

    entries = load_catalog(c.settings.paths.catalog)  # a CatalogError names the fix
    return Check(name="catalog", state="ok", detail=f"{len(entries)} entries")


def check_corpus(c: Container) -> Check:
    """Files the last ingest could not read (each keeps its last good version when it had one)."""
    path = c.settings.paths.ingest_manifest
    if not path.exists():
        return Check(name="corpus", state="ok", detail="not ingested yet")
    stat_ = path.stat()
    return _corpus_check(path, (stat_.st_mtime_ns, stat_.st_size))


@lru_cache(maxsize=8)
def _corpus_check(path: Path, _stamp: tuple[int, int]) -> Check:
    """Read once per version of the manifest (it holds every chunk: megabytes with linked pages)."""
    from tutorbot.ingest.pipeline import read_manifest

    manifest = read_manifest(path)
    if manifest is None:
        return Check(name="corpus", state="degraded", detail=f"{path} is unreadable: run `tutorbot ingest`")
    if not manifest.skipped:
        return Check(name="corpus", state="ok", detail=f"{len(manifest.files)} files read at the last ingest")
    lines = "; ".join(s.line() for s in manifest.skipped)
    return Check(name="corpus", state="degraded",
                 detail=f"{len(manifest.skipped)} file(s) could not be read: {lines}. Fix, then `tutorbot ingest`")


def check_curriculum(c: Container) -> Check:
    try:
        topics = len(c.curriculum.topics)
    except TutorbotError as exc:
        return Check(name="curriculum", state="degraded",
                     detail=f"{_first_line(exc)}; plans and quizzes are off until then (chat works)")
    return Check(name="curriculum", state="ok", detail=f"{topics} topics")


def check_learner_db(c: Container) -> Check:
    store = c.store  # a file that is not a database at all raises StoreDamaged, naming the fix
    if not store.integrity_check():
        return Check(name="learner db", state="failed", detail=store.damage_message("integrity check failed"))
    path = c.settings.paths.learner_db
    if not c.settings.database_url and path.exists() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        return Check(name="learner db", state="degraded",
                     detail=f"{path} can be read by other users of this machine: chmod 600 {path}")
    return Check(name="learner db", state="ok", detail="integrity check passed")


def check_learner_db_seen(c: Container) -> Check:
    """The learner DB as this process has found it so far, without a scan (for a polled status line)."""
    if damage := c.store.damage:
        return Check(name="learner db", state="failed", detail=c.store.damage_message(damage))
    return Check(name="learner db", state="ok", detail="no damage seen")


def check_learner_db_answers(c: Container) -> Check:
    """No damage seen, and the database answers a read now (a PostgreSQL server may have gone away)."""
    seen = check_learner_db_seen(c)
    if seen.state != "ok" or c.store.answers():
        return seen
    return Check(name="learner db", state="failed",
                 detail=f"{c.store.where} does not answer: check that the database server runs and "
                        "TUTORBOT_DATABASE_URL points at it")


def check_llm(c: Container) -> Check:
    """The model server: up, still loading (answers quote the sources meanwhile), or unreachable."""
    st = c.llm.status()
    if st.state == "up":
        return Check(name="llm", state="ok", detail=f"up: {st.url} serves {', '.join(st.models)}")
    if st.state == "warming":
        return Check(name="llm", state="degraded", detail=f"warming: {st.url} is still loading the model")
    return Check(name="llm", state="failed",
                 detail=f"down: {st.detail or st.url}; start it (`tutorbot serve-llm`) or fix TUTORBOT_LLM_BASE_URL")


CheckFn = Callable[["Container"], Check]
CHECKS: dict[str, CheckFn] = {"index": check_index, "catalog": check_catalog, "corpus": check_corpus,
                              "curriculum": check_curriculum, "learner db": check_learner_db}
# Cheap enough to run every few seconds: no integrity scan of the learner DB, no catalog parse.
LIVE_CHECKS: dict[str, CheckFn] = {"index": check_index, "corpus": check_corpus, "curriculum": check_curriculum,
                                   "learner db": check_learner_db_seen}


# What a load balancer or container runtime polls (``/healthz``): cheap, and the model server too.
HEALTHZ_CHECKS: dict[str, CheckFn] = {**LIVE_CHECKS, "learner db": check_learner_db_answers, "llm": check_llm}


def run_checks(c: Container, checks: Mapping[str, CheckFn] = CHECKS) -> list[Check]:
    return [_safely(name, check, c) for name, check in checks.items()]


def _safely(name: str, check: CheckFn, c: Container) -> Check:
    try:
        return check(c)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # a check reports a failure, it never raises one
        return Check(name=name, state="failed", detail=_first_line(exc))


def problems(checks: Iterable[Check]) -> list[Check]:
    return [ch for ch in checks if ch.state != "ok"]


def healthz(c: Container) -> tuple[int, dict[str, object]]:
    """HTTP status and body of ``/healthz``: 200 unless a check failed (degraded parts still serve).
    Check names, states and fixes only: no learner data."""
    checks = run_checks(c, HEALTHZ_CHECKS)
    states = {ch.state for ch in checks}
    status: State = "failed" if "failed" in states else "degraded" if "degraded" in states else "ok"
    return (503 if status == "failed" else 200), {"status": status, "checks": [ch.model_dump() for ch in checks]}
