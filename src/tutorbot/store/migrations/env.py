"""Alembic's environment: run the migrations on the connection the store hands over.

The store calls this in-process (``store.migrate``), inside its own transaction; there is no
``alembic.ini`` and no URL here, so the command-line tool is never needed to run tutorbot.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from tutorbot.store.tables import UTCDateTime, metadata


def render_item(kind: str, obj: Any, autogen: Any) -> str | Literal[False]:
    """A new revision spells our aware-UTC column type as the plain DateTime it stores (revisions are frozen
    and must not import the code that evolves)."""
    return "sa.DateTime()" if kind == "type" and isinstance(obj, UTCDateTime) else False


connection = context.config.attributes["connection"]
# SQLite and PostgreSQL both roll DDL back with the transaction: a failed upgrade leaves the old schema.
context.configure(connection=connection, target_metadata=metadata, transactional_ddl=True,
                  render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
                  render_item=render_item)
with context.begin_transaction():
    context.run_migrations()
