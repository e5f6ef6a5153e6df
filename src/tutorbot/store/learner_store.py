"""Learner store: every piece of per-learner state (accounts, chats, plans, progress, quiz results, cards, API keys).

Stage: persistence. The web UI and the plan/quiz services call ``LearnerStore``; it writes
through SQLAlchemy Core to SQLite (default, file in the data dir) or PostgreSQL with the same
code. Every learner-data method takes ``user_id`` and filters on it, so one learner can never
see or change another's rows; every public write is a single transaction. Each concern lives in
its own module (accounts, plans, reviews, the quiz archive, preferences); this class puts them together.
"""

from __future__ import annotations

from tutorbot.store.accounts import LOCAL_USER, Accounts
from tutorbot.store.api_keys import ApiKeys
from tutorbot.store.base import DuplicateUser, NotFound, StoreError
from tutorbot.store.plans import PlanRows
from tutorbot.store.preferences import PreferenceRows
from tutorbot.store.quiz_archive import QuizArchive
from tutorbot.store.reviews import ReviewRows
from tutorbot.store.rows import Attempt, Conversation, Message, PlanRecord, ReviewCard, ReviewEntry, User

__all__ = ["LOCAL_USER", "Attempt", "Conversation", "DuplicateUser", "LearnerStore", "Message", "NotFound",
           "PlanRecord", "ReviewCard", "ReviewEntry", "StoreError", "User"]


class LearnerStore(Accounts, ApiKeys, PlanRows, ReviewRows, QuizArchive, PreferenceRows):
    """All learner state behind one SQLAlchemy engine; ``url`` is any SQLAlchemy URL."""
