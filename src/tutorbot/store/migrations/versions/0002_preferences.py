"""Preferences: one JSON row of settings per learner (the interface language first).

Revision ID: 0002
Revises: 0001

A new table only: every existing row is kept, and a database without it simply has no preferences yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("preferences",
                    sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                              primary_key=True),
                    sa.Column("data", sa.JSON(), nullable=False),
                    sa.Column("updated_at", sa.DateTime(), nullable=False))


def downgrade() -> None:
    op.drop_table("preferences")
