"""Learner database: the only package that imports SQLAlchemy.

``LearnerStore`` (accounts, conversations, plans, topic marks, quiz results, review cards, the quiz
archive) over SQLite by default or PostgreSQL; rows leave it as the pydantic models in ``rows``.
"""
