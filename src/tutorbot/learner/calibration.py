"""Calibration: how often the learner is right at each confidence they give before grading.

Stage: attempt log (answers with a 1-4 confidence) → **calibration** → the Progress tab's chart. A
well-calibrated learner is right more often the surer they say they are; "certain" answers that are
often wrong are the beliefs worth checking. Pure: the caller passes the attempts.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

LEVELS = (1, 2, 3, 4)


class CalibrationBar(BaseModel):
    """One confidence level: how many answers were given at it and the share of them that were right."""

    confidence: int = Field(ge=1, le=4)
    answers: int
    right: float = Field(ge=0, le=100, description="Percent of these answers graded correct.")


def calibration(attempts: Iterable[Any]) -> list[CalibrationBar]:
    """A bar per confidence level the learner used, in level order; answers without one are left out."""
    counts = {level: [0, 0] for level in LEVELS}
    for a in attempts:
        if a.confidence in counts:
            counts[a.confidence][0] += 1
            counts[a.confidence][1] += bool(a.correct)
    return [CalibrationBar(confidence=level, answers=n, right=round(100 * ok / n, 1))
            for level, (n, ok) in counts.items() if n]
