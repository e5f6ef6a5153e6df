"""Attempt confidence: how sure (1-4) the learner said they were before an answer was graded.

The column is nullable: attempts made before it, and answers given without a confidence, have none;
every existing row is kept as it was.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_attempts") as batch:  # SQLite adds the column by copying the table
        batch.add_column(sa.Column("confidence", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.drop_column("confidence")
