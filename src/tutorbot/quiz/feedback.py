"""Feedback a learner may read: model-written comments pass the truth gate, or are not shown.

Stage: grade → **feedback** → learner. The deterministic feedback is always there: the explaining
sentence from the passage and the correct key, cited (``Question.explanation``, ``Question.answer``,
``Question.source``). A comment the model wrote while grading is added only when it is about the
question's own passage: not a loop, every fact it states (names, numbers, titles) stated by the
passage, and at least one of the passage's content words used.
"""

from __future__ import annotations

from tutorbot.quiz.match import terms
from tutorbot.retrieval.sentences import split_sentences
from tutorbot.verify.facts import missing_facts
from tutorbot.verify.loops import is_degenerate


def checked_comment(text: str, passage: str) -> str:
    """``text`` when it passes the truth gate against ``passage``, else "" (the deterministic feedback stands)."""
    text = (text or "").strip()
    if not text or is_degenerate(text):
        return ""
    if any(missing_facts(s.text, [passage]) for s in split_sentences(text)):
        return ""
    return text if terms(text) & terms(passage) else ""
