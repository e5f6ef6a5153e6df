"""Baseline: the learner tables as the release before migrations made them (``metadata.create_all``).

Revision ID: 0001
Revises:

Every table and index is created only if missing: on a database that release made, this
revision creates nothing (or the tables an older release lacked) and only records the version —
that is how such a database is adopted, with every row kept. Frozen: later changes get their own
revision, never an edit here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NAME, TITLE, KEY = 64, 200, 200  # the length limits of that release (store/checks.py)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True)


def _user(primary_key: bool = False) -> sa.Column:
    return sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                     primary_key=primary_key)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(), nullable=nullable)  # naive UTC (store.tables.UTCDateTime)


def _table(name: str, *columns: sa.Column | sa.UniqueConstraint, indexes: dict[str, list[str]]) -> None:
    op.create_table(name, *columns, if_not_exists=True)
    for index, cols in indexes.items():
        op.create_index(index, name, cols, if_not_exists=True)


def upgrade() -> None:
    _table("users", _id(), sa.Column("name", sa.String(NAME), nullable=False, unique=True),
           sa.Column("password_hash", sa.String(300), nullable=False), _at("created_at"), indexes={})
    _table("conversations", sa.Column("id", sa.String(36), primary_key=True), _user(),
           sa.Column("title", sa.String(TITLE), nullable=False), _at("created_at"), _at("updated_at"),
           indexes={"ix_conversations_user_id": ["user_id"]})
    _table("messages", _id(),
           sa.Column("conversation_id", sa.String(36), sa.ForeignKey("conversations.id", ondelete="CASCADE"),
                     nullable=False),
           sa.Column("role", sa.String(16), nullable=False), sa.Column("content", sa.Text(), nullable=False),
           sa.Column("meta", sa.JSON(), nullable=False), _at("created_at"),
           indexes={"ix_messages_conversation_id": ["conversation_id"]})
    _table("profiles", _user(primary_key=True), sa.Column("data", sa.JSON(), nullable=False), _at("updated_at"),
           indexes={})
    _table("plans", _id(), _user(), sa.Column("data", sa.JSON(), nullable=False), _at("created_at"),
           indexes={"ix_plans_user_id": ["user_id"]})
    _table("topic_progress", _user(primary_key=True), sa.Column("topic", sa.String(KEY), primary_key=True),
           sa.Column("status", sa.String(16), nullable=False), _at("updated_at"), indexes={})
    _learning_tables()


def _learning_tables() -> None:
    _table("quiz_attempts", _id(), _user(), sa.Column("quiz_id", sa.String(KEY), nullable=False),
           sa.Column("question_id", sa.String(KEY), nullable=False), sa.Column("topic", sa.String(KEY), nullable=False),
           sa.Column("qtype", sa.String(32), nullable=False), sa.Column("question", sa.JSON(), nullable=False),
           sa.Column("answer", sa.Text(), nullable=False), sa.Column("score", sa.Float(), nullable=False),
           sa.Column("correct", sa.Boolean(), nullable=False), _at("created_at"),
           indexes={"ix_quiz_attempts_user_id": ["user_id"], "ix_quiz_attempts_user_topic": ["user_id", "topic"]})
    _table("review_cards", _id(), _user(), sa.Column("question_id", sa.String(KEY), nullable=False),
           sa.Column("topic", sa.String(KEY), nullable=False), sa.Column("front", sa.Text(), nullable=False),
           sa.Column("back", sa.Text(), nullable=False), sa.Column("payload", sa.JSON(), nullable=False),
           sa.Column("state", sa.JSON(), nullable=False), _at("due"), _at("last_review", nullable=True),
           _at("created_at"), sa.UniqueConstraint("user_id", "question_id", name="uq_review_cards_user_question"),
           indexes={"ix_review_cards_user_id": ["user_id"], "ix_review_cards_user_due": ["user_id", "due"]})
    _table("review_log", _id(),
           sa.Column("card_id", sa.Integer(), sa.ForeignKey("review_cards.id", ondelete="CASCADE"), nullable=False),
           _user(), sa.Column("rating", sa.Integer(), nullable=False), sa.Column("score", sa.Float(), nullable=False),
           _at("reviewed_at"), indexes={"ix_review_log_card_id": ["card_id"], "ix_review_log_user_id": ["user_id"]})
    # quizzes as shown, so an answer submitted after a restart still grades (no foreign key, as before)
    _table("quiz_sessions", sa.Column("id", sa.String(64), primary_key=True),
           sa.Column("user_id", sa.Integer(), nullable=False), sa.Column("data", sa.JSON(), nullable=False),
           _at("created_at"), indexes={"ix_quiz_sessions_user_id": ["user_id"]})


def downgrade() -> None:
    for name in ("quiz_sessions", "review_log", "review_cards", "quiz_attempts", "topic_progress", "plans",
                 "profiles", "messages", "conversations", "users"):
        op.drop_table(name)
