"""Errors a user can fix. Every tutorbot error derives from ``TutorbotError`` and says how.

Each class keeps its standard-library base as a second parent (``QuizError(TutorbotError,
ValueError)``), so code that catches ``ValueError`` still does; the faces catch one type,
``TutorbotError``, and show its message (which names the fixing command) instead of a traceback.
"""

from __future__ import annotations


class TutorbotError(Exception):
    """A user can fix this; the message names how."""


class InputError(TutorbotError, ValueError):
    """What the user gave cannot be used as given (empty, too long, unknown name)."""
