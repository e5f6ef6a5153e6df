"""Budget filling: once the goal's path is planned, use the rest of the weeks the learner gave.

Stage: packing → **filling** → weeks (``planner``). In order: project time for the goal's last topics
(the roadmaps' next project for each), whole further topics of the plan's own tracks (each with any
prerequisite it lacks), project time for the goal's other topics, review slots for the goal's topics,
then further topics of other tracks. Stops when nothing more fits; like packing, it never exceeds the
weekly hours or the weeks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from tutorbot.curriculum.graph import Curriculum
from tutorbot.plans.packing import Piece, Weeks, fill_partial, place, place_all, room_left
from tutorbot.plans.targets import path

PROJECT_SHARE = 0.5  # project time: this share of the topic's hours…
MIN_PROJECT = 2.0  # …and at least this many hours
REVIEW_SHARE = 0.25  # a review slot takes this share of the topic's hours (at least one hour)
NO_PROJECT_TRACKS = {"foundations"}  # basics are practised by the topics that build on them
MAX_PROJECTS = 3  # project slots for the goal's last topics; more would crowd out further topics


@dataclass
class Budget:
    hours: float
    weeks: int


def review_piece(topic: str, cur: Curriculum) -> Piece:
    return Piece(topic=topic, hours=max(1.0, math.ceil(REVIEW_SHARE * cur.topic(topic).hours)), review=True)


def project_piece(topic: str, cur: Curriculum) -> Piece | None:
    t = cur.topic(topic)
    if not t.projects or set(t.tracks) <= NO_PROJECT_TRACKS:
        return None
    return Piece(topic=topic, hours=max(MIN_PROJECT, math.ceil(PROJECT_SHARE * t.hours)), project=True)


def fill(weeks: Weeks, cur: Curriculum, budget: Budget, *, goal_topics: list[str], planned: set[str],
         finished: set[str], tracks: set[str], with_projects: bool = True) -> Weeks:
    """``weeks`` filled up to the budget: project time for the goal's last topics (unless ``with_projects`` is
    off, for an overview), further topics of the plan's own tracks, project time for its other topics, reviews,
    then topics of other tracks."""
    projects = [p for t in goal_topics if with_projects and (p := project_piece(t, cur))]
    weeks = _each(weeks, projects[-MAX_PROJECTS:], budget)
    weeks, planned = add_topics(weeks, cur, budget, planned=planned, finished=finished, tracks=tracks)
    weeks = _each(weeks, projects[:-MAX_PROJECTS] + [review_piece(t, cur) for t in goal_topics], budget)
    weeks, planned = add_topics(weeks, cur, budget, planned=planned, finished=finished, tracks=None)
    return weeks


def start_next(weeks: Weeks, cur: Curriculum, budget: Budget, *, planned: set[str],
               finished: set[str]) -> tuple[Weeks, dict[str, float]]:
    """With a whole week still free, start the next topic that has all it needs; {topic: hours left}."""
    if room_left(weeks, budget.hours, budget.weeks) < budget.hours:
        return weeks, {}
    for chain in _chains(cur, planned, finished, None):
        if len(chain) == 1:
            topic = chain[0]
            weeks, placed = fill_partial(weeks, Piece(topic=topic, hours=cur.topic(topic).hours), budget.hours,
                                         budget.weeks)
            return weeks, ({topic: cur.topic(topic).hours - placed} if placed else {})
    return weeks, {}


def _each(weeks: Weeks, pieces: list[Piece], budget: Budget) -> Weeks:
    """Every piece that still fits, in order; the others are left out."""
    for piece in pieces:
        if trial := place(weeks, piece, budget.hours, budget.weeks):
            weeks = trial
    return weeks


def add_topics(weeks: Weeks, cur: Curriculum, budget: Budget, *, planned: set[str], finished: set[str],
               tracks: set[str] | None) -> tuple[Weeks, set[str]]:
    """Whole topics, each with the prerequisites and recommended topics it lacks, while any fits: only
    those of ``tracks`` when given, else any, the roadmaps' earliest stages first. Returns the weeks and
    what is planned."""
    while True:
        for chain in _chains(cur, planned, finished, tracks):
            slots = [Piece(topic=t, hours=cur.topic(t).hours) for t in chain]
            if (trial := place_all(weeks, slots, budget.hours, budget.weeks)) is not None:
                weeks, planned = trial, planned | set(chain)
                break
        else:
            return weeks, planned


def _chains(cur: Curriculum, planned: set[str], finished: set[str], tracks: set[str] | None) -> Iterable[list[str]]:
    """For each topic not yet covered, in the order a learner would go on: it and what it lacks. A topic the
    roadmaps recommend before one already planned (left out to fit the goal) is not added after it."""
    order = {t.id: i for i, t in enumerate(cur.topics)}
    covered = planned | finished
    skipped = cur.ancestors(planned, stop=covered, soft=True)
    candidates = sorted((t for t in cur.topics if t.id not in covered and (tracks is None or tracks & set(t.tracks))),
                        key=lambda t: (t.stage, order[t.id]))
    for t in candidates:
        chain = path([t.id], covered, cur, soft=True)
        if not chain & skipped:
            yield cur.topo_order(chain)
