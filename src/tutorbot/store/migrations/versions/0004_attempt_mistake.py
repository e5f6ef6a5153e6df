"""Attempt mistakes: a wrong answer's error pattern (quiz.mistakes.Mistake) kept with its attempt.

The column is nullable: attempts made before it (and right answers) have none, and every existing
row is kept as it was.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quiz_attempts") as batch:  # SQLite adds the column by copying the table
        batch.add_column(sa.Column("mistake", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("quiz_attempts") as batch:
        batch.drop_column("mistake")
