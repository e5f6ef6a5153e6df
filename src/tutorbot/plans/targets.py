"""What a plan must teach: the goal's targets, what the learner knows, and the path between them.

Stage: profile → **targets** → packing. A research area narrows 'research' to a track or topic; the
learner's own topics (``learn``) join the targets. Knowing a topic implies its prerequisites, except
those the learner said they lack ("I know CUDA but not deep learning"). The path is the
targets plus every prerequisite not yet known; with ``soft`` it also takes the roadmaps' recommended
predecessors, which the planner keeps only when the whole path fits the learner's time.
"""

from __future__ import annotations

from collections.abc import Iterable

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal


def goal_targets(goal: Goal, area: str | None, cur: Curriculum) -> list[str]:
    """The topics a goal must reach; a research area narrows 'research' to that track or topic."""
    spec = cur.goals[goal]
    if goal != Goal.research or not area:
        return spec.targets
    track = next((t for t in cur.track_mentions(area) if t != "research"), None)
    if track is None and (exact := cur.match_track(area)) and exact.id != "research":
        track = exact.id
    topics = [t.id for t in cur.topics if track in t.tracks] if track else []
    if not topics and (topic := cur.match(area)):
        topics = [topic.id]
    return list(dict.fromkeys(spec.area_base + topics)) if topics else spec.targets


def implied_known(known: Iterable[str], learn: Iterable[str], cur: Curriculum) -> set[str]:
    """Known topics and what they build on, stopping at topics the learner wants to learn. A recommended
    predecessor is implied only within a track (who knows deep learning knows its maths; who knows CUDA
    need not know PyTorch)."""
    known, learn = set(known), set(learn)
    seen, todo = set(known), list(known)
    while todo:
        topic = cur.topic(todo.pop())
        same_track = [r for r in topic.recommended if set(cur.topic(r).tracks) & set(topic.tracks)]
        for p in topic.prereqs + same_track:
            if p not in seen and p not in learn:
                seen.add(p)
                todo.append(p)
    return seen


def path(targets: Iterable[str], finished: set[str], cur: Curriculum, soft: bool = False) -> set[str]:
    """``targets`` and all their prerequisites (recommended ones too with ``soft``) not yet finished."""
    targets = set(targets)
    return (targets | cur.ancestors(targets, stop=finished, soft=soft)) - finished


def goal_tracks(targets: Iterable[str], cur: Curriculum) -> set[str]:
    """The tracks a plan belongs to: those of its targets."""
    return {tr for t in targets for tr in cur.topic(t).tracks}
