"""Alembic migrations of the learner database, applied by the store at start-up (``store.migrate``)."""
