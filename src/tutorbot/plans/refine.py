"""The model's reading of a learner's text: it may only fill what the parser left empty, and only
with what the text supports.

Stage: profile (parser) → **refine** → the learner checks the draft → planner. A 135M model invents
freely ("knows RLHF", "40 hours a week"), so every field it proposes is checked against the text: a
known topic must be named there (and not in a clause the parser read as lacking or wanting it), a goal
must be supported by its words or by a topic of its tracks, a number must be stated (or be a daily or
monthly figure converted), a resource kind must be named. Anything else is dropped.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.curriculum.names import ResourceNames
from tutorbot.llm.client import LLMClient, LLMError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import PreferredKind, ProfileDraft
from tutorbot.plans.numbers import numbers_in
from tutorbot.plans.profile import KINDS, topics_in

Short = Annotated[str, StringConstraints(max_length=40)]
HOURS_FACTORS = (1, 7, 5)  # stated weekly, daily or per weekday
WEEKS_FACTORS = (1, 52 / 12, 52)  # stated in weeks, months or years


class ProfileExtraction(BaseModel):
    """What the model may say about a learner; bounded so constrained decoding stays short."""

    known_topics: list[Short] = Field(default_factory=list, max_length=40)
    goal: Goal | None = None
    research_area: str | None = Field(None, max_length=80)
    hours_per_week: int | None = None
    weeks: int | None = None
    preferred_kinds: list[PreferredKind] = Field(default_factory=list, max_length=6)


def refine_profile(draft: ProfileDraft, text: str, llm: LLMClient, curriculum: Curriculum, prompts: PromptLibrary,
                   names: ResourceNames | None = None) -> ProfileDraft:
    """Ask the model for a structured reading and merge what the text supports; on any LLM error keep ``draft``."""
    topics = "\n".join(f"- {t.id}: {t.name.en} / {t.name.zh}" for t in curriculum.topics)
    prompt = prompts.render("profile_extract", text=text[:4000], topics=topics,
                            goals=", ".join(g.value for g in Goal), kinds="video, course, paper, code, blog, book")
    try:
        out = llm.structured([{"role": "user", "content": prompt}], ProfileExtraction, max_tokens=400)
    except LLMError:
        return draft
    return merge_extraction(draft, out, curriculum, text, names)


def merge_extraction(draft: ProfileDraft, out: ProfileExtraction, curriculum: Curriculum, text: str,
                     names: ResourceNames | None = None) -> ProfileDraft:
    """The model fills what the parser left empty and adds list items the text supports."""
    merged = draft.model_copy(deep=True)
    named = set(topics_in(text, curriculum, names))
    taken = set(merged.known) | set(merged.not_known) | set(merged.learn)
    for tid in out.known_topics:
        if tid in named and tid not in taken:
            _add(merged, "known", tid)
    for kind in out.preferred_kinds:
        if kind not in merged.preferred_kinds and re.search(dict(KINDS)[kind], text, re.I):
            _add(merged, "preferred_kinds", kind)
    if merged.goal is None and out.goal is not None and _supports_goal(out.goal, named, text, curriculum):
        merged.goal, merged.sources["goal"] = out.goal, "llm"
    area = (out.research_area or "").strip()
    if merged.goal == Goal.research and merged.area is None and area and _is_area(area, curriculum):
        merged.area, merged.sources["area"] = area, "llm"
    _merge_number(merged, "hours_per_week", out.hours_per_week, text, HOURS_FACTORS, 80)
    _merge_number(merged, "weeks", out.weeks, text, WEEKS_FACTORS, 104)
    return merged


def _add(draft: ProfileDraft, field: str, item: str) -> None:
    getattr(draft, field).append(item)
    draft.sources[f"{field}:{item}"] = "llm"


def _supports_goal(goal: Goal, named: set[str], text: str, cur: Curriculum) -> bool:
    tracks = set(cur.goals[goal].tracks)
    return goal in cur.goal_mentions(text) or any(tracks & set(cur.topic(t).tracks) for t in named)


def _is_area(area: str, cur: Curriculum) -> bool:
    return cur.match_track(area) is not None or bool(cur.mentions(area))


def _merge_number(draft: ProfileDraft, field: str, value: int | None, text: str, factors: tuple[float, ...],
                  high: int) -> None:
    """A number the parser missed, when the text states it (or its daily / monthly form)."""
    if getattr(draft, field) is not None or value is None or not 1 <= value <= high:
        return
    stated = numbers_in(text)
    if any(abs(value / f - n) <= 0.5 for f in factors for n in stated):
        setattr(draft, field, value)
        draft.sources[field] = "llm"
