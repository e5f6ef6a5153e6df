"""Week packing: ordered pieces of study time → weeks that never exceed the learner's weekly hours.

Stage: targets → **packing** → weeks (``planner``). A topic is split across weeks when it is larger than
the room left; a week with less than ``MIN_PIECE`` hours of room is closed. A topic that would not finish
within the learner's weeks is deferred with everything that needs it (prerequisites and recommended
predecessors alike), and later topics that still fit go on; ``fill_partial`` then spends the room left
on the start of one deferred topic, so a tight budget still gets a plan that says what fits and what is left.
"""

from __future__ import annotations

from pydantic import BaseModel

from tutorbot.curriculum.graph import Curriculum

MIN_PIECE = 1.0  # hours: a week with less room left than this starts the next week instead
EPS = 1e-9


class Piece(BaseModel):
    """Part of one topic scheduled in one week."""

    topic: str
    hours: float
    review: bool = False
    project: bool = False

    @property
    def learning(self) -> bool:
        return not (self.review or self.project)


Weeks = list[list[Piece]]


def pack(slots: list[Piece], budget: float, max_weeks: int, cur: Curriculum,
         weeks: Weeks | None = None) -> tuple[Weeks, list[str]]:
    """Fill weeks in order; a topic that would not finish within ``max_weeks`` is deferred with its
    dependents, and later topics that still fit go on. Review and project slots that don't fit are dropped."""
    weeks = [list(w) for w in weeks or []]
    deferred: list[str] = []
    for slot in slots:
        blocked = bool(set(cur.before(slot.topic, soft=True)) & set(deferred))  # order kept, soft edges too
        trial = None if blocked else place(weeks, slot, budget, max_weeks)
        if trial is not None:
            weeks = trial
        elif slot.learning:
            deferred.append(slot.topic)
    return weeks, deferred


def place(weeks: Weeks, slot: Piece, budget: float, max_weeks: int) -> Weeks | None:
    """``weeks`` with ``slot`` appended (split over weeks as needed), or None when it would not finish."""
    out = [list(w) for w in weeks] or [[]]
    left = slot.hours
    while left > EPS:
        room = budget - sum(p.hours for p in out[-1])
        if left <= room + EPS:
            out[-1].append(slot.model_copy(update={"hours": left}))
            left = 0.0
        elif room >= min(MIN_PIECE, budget):
            out[-1].append(slot.model_copy(update={"hours": room}))
            left -= room
        else:
            out.append([])
        if len(out) > max_weeks:
            return None
    return out


def place_all(weeks: Weeks, slots: list[Piece], budget: float, max_weeks: int) -> Weeks | None:
    """``weeks`` with every slot appended, or None when they do not all finish in time."""
    for slot in slots:
        if (trial := place(weeks, slot, budget, max_weeks)) is None:
            return None
        weeks = trial
    return weeks


def room_left(weeks: Weeks, budget: float, max_weeks: int) -> float:
    """Hours still free: the open room of the last week (when it is worth a piece) and the unused weeks."""
    last = budget - sum(p.hours for p in weeks[-1]) if weeks else 0.0
    return (last if last >= min(MIN_PIECE, budget) else 0.0) + budget * max(0, max_weeks - len(weeks))


def fill_partial(weeks: Weeks, slot: Piece, budget: float, max_weeks: int) -> tuple[Weeks, float]:
    """Spend the free room on the start of ``slot``; (weeks, hours placed). Nothing under an hour."""
    hours = min(slot.hours, room_left(weeks, budget, max_weeks))
    if hours < min(MIN_PIECE, slot.hours) - EPS:
        return weeks, 0.0
    trial = place(weeks, slot.model_copy(update={"hours": hours}), budget, max_weeks)
    return (trial, hours) if trial is not None else (weeks, 0.0)
