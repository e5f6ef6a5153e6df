"""Write the next learner-database migration from what changed in src/tutorbot/store/tables.py.

    python scripts/new_migration.py "add a column for X"

Builds the schema of the newest revision in a temp SQLite file, compares it with tables.py and
writes `src/tutorbot/store/migrations/versions/NNNN_<slug>.py`. Read the result before committing
(Alembic cannot tell a rename from a drop and an add), then run tests/test_migrations.py.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from tutorbot.store import migrate


def main(message: str) -> None:
    rev_id = f"{int(migrate.head() or 0) + 1:04d}"  # revisions are numbered in order
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'head.sqlite3'}")
        migrate.upgrade(engine, engine, lambda: None)
        with engine.begin() as conn:
            command.revision(migrate.config(conn), message, autogenerate=True, rev_id=rev_id)
        engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
