"""Learner database schema versions: Alembic's `upgrade head`, in-process, at every start of the store.

Stage: persistence. The migrations live in this package (``store/migrations/versions``), so an
installed tutorbot upgrades its database without the Alembic command line. A database made before
migrations existed (the previous release's ``create_all``) is adopted: the first revision creates
only what is missing, and every existing table must then have exactly the columns this version
expects, or nothing is changed and the error says so (a database URL pointing at another
application's tables is refused instead of written into).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import OperationalError

from tutorbot.store.base import StoreError
from tutorbot.store.tables import metadata

log = logging.getLogger(__name__)
LOCATION = "tutorbot.store:migrations"
MIGRATION_WAIT_S = 300.0  # how long a starting process waits for another one's migration
PG_LOCK = 0x7475746F  # pg_advisory_xact_lock key ("tuto"): two processes starting at once migrate in turn


class SchemaMismatch(StoreError):
    """The database holds tables of the same names with other columns: not tutorbot's, or a newer release's."""


def config(conn: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", LOCATION)
    cfg.attributes["connection"] = conn
    return cfg


def head() -> str | None:
    return ScriptDirectory.from_config(config()).get_current_head()


def current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, writer: Engine, before_write: Callable[[], None]) -> bool:
    """Bring the schema to the newest revision; False when it already was (nothing written).

    A process that starts while another migrates waits for it: on SQLite the write lock is waited
    for only as long as the busy timeout (5 s), which a migration on a loaded machine outlasts, so a
    locked start is tried again — and finds the schema current — until ``MIGRATION_WAIT_S``."""
    deadline = time.monotonic() + MIGRATION_WAIT_S
    while True:
        try:
            return _upgrade(engine, writer, before_write)
        except OperationalError as exc:
            if "database is locked" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise _still_locked(engine) from None


def _still_locked(engine: Engine) -> StoreError:
    where = engine.url.render_as_string(hide_password=True)
    return StoreError(f"the learner database {where} stayed locked for {MIGRATION_WAIT_S:.0f} s by another process "
                      "upgrading it; stop the other tutorbot process (or wait for it to start) and start again")


def _upgrade(engine: Engine, writer: Engine, before_write: Callable[[], None]) -> bool:
    with engine.connect() as conn:
        if (was := current(conn)) == head():
            return False
    before_write()  # a damaged file is refused before the first write, migrations included
    with writer.begin() as conn:  # one transaction: an upgrade that fails leaves the old schema
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LOCK})
        command.upgrade(config(conn), "head")
        check_columns(conn)
    log.info("learner database schema %s -> %s", was or "none (new, or made before migrations)", head())
    return True


def check_columns(conn: Connection) -> None:
    """Every table of ours has exactly our columns (run inside the upgrade: a mismatch rolls it back)."""
    found = inspect(conn)
    for table in metadata.sorted_tables:
        have = {c["name"] for c in found.get_columns(table.name)}
        if have != set(table.columns.keys()):
            where = conn.engine.url.render_as_string(hide_password=True)
            raise SchemaMismatch(
                f"the learner database {where} has a table {table.name!r} with columns {sorted(have)}, not tutorbot's "
                f"{sorted(table.columns.keys())}; nothing was changed. Point TUTORBOT_DATABASE_URL at tutorbot's own "
                "database (or an empty one)")
