"""Data of the study-plan stage: learner profiles, drafts and plans.

Stage: curriculum + catalog + profile → planner → guidance → export/UI. Everything here is plain
pydantic; the curriculum's own types live in ``curriculum.models``, packing in ``planner``.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tutorbot.curriculum.models import Goal
from tutorbot.lang import Language

PlanLang = Language
PreferredKind = Literal["video", "course", "paper", "code", "blog", "book"]
FieldSource = Literal["parser", "llm", "default", "learner"]
TextSource = Literal["llm", "template"]
Depth = Literal["full", "overview"]


class LearnerProfile(BaseModel):
    """What the planner needs to know about a learner; every field is checked with a readable message."""

    model_config = ConfigDict(extra="forbid")
    known: list[str] = Field(default_factory=list, description="Curriculum topic ids already mastered.")
    learn: list[str] = Field(default_factory=list, description="Topic ids the learner wants (or says they lack): "
                                                               "planned first, and never assumed known.")
    goal: Goal = Goal.understand_llms
    area: str | None = Field(None, max_length=80, description="Research area (goal 'research' only).")
    hours_per_week: int = 8
    weeks: int = 12
    preferred_kinds: list[PreferredKind] = Field(default_factory=list)
    language: PlanLang = "en"
    not_covered: list[str] = Field(default_factory=list, description="Requests the roadmaps do not cover "
                                                                     "(ids of the curriculum's `uncovered` entries).")
    fill_weeks: bool = Field(True, description="Use every week given: after the goal's path, projects, "
                                               "further topics and reviews.")
    depth: Depth = Field("full", description="'overview': concepts only, without coding skills or projects, "
                                             "each topic in less time.")

    @field_validator("hours_per_week")
    @classmethod
    def _hours(cls, v: int) -> int:
        if not 1 <= v <= 80:
            raise ValueError(f"hours_per_week must be between 1 and 80, got {v}")
        return v

    @field_validator("weeks")
    @classmethod
    def _weeks(cls, v: int) -> int:
        if not 1 <= v <= 104:
            raise ValueError(f"weeks must be between 1 and 104 (two years), got {v}")
        return v

    @field_validator("known", "learn", "preferred_kinds", "not_covered")
    @classmethod
    def _dedupe(cls, v: list) -> list:
        return list(dict.fromkeys(v))

    @model_validator(mode="after")
    def _known_is_not_learned(self) -> LearnerProfile:
        self.learn = [t for t in self.learn if t not in self.known]  # what the learner knows wins
        return self

    @model_validator(mode="after")
    def _area_needs_research(self) -> LearnerProfile:
        if self.area and self.goal != Goal.research:
            raise ValueError(f"area {self.area!r} is only used with goal 'research', not {self.goal.value!r}")
        return self


class ProfileDraft(BaseModel):
    """A profile read from free text, with where each field came from, shown to the learner to confirm."""

    known: list[str] = Field(default_factory=list)
    not_known: list[str] = Field(default_factory=list, description="Topics mentioned in a negative context.")
    learn: list[str] = Field(default_factory=list, description="Topics wanted, or lacked and needed by the goal.")
    goal: Goal | None = None
    area: str | None = None
    hours_per_week: int | None = None
    weeks: int | None = None
    preferred_kinds: list[PreferredKind] = Field(default_factory=list)
    language: PlanLang = "en"
    not_covered: list[str] = Field(default_factory=list, description="Uncovered requests the text makes.")
    fill_weeks: bool = True
    depth: Depth = "full"
    sources: dict[str, FieldSource] = Field(
        default_factory=dict, description="Where each field came from, keyed by field name, or '<field>:<item>' "
                                          "for list items ('known:dl_basics'); absent fields take defaults.")
    evidence: dict[str, str] = Field(default_factory=dict, description="Text span each parsed field came from.")

    def source_of(self, key: str) -> FieldSource:
        return self.sources.get(key, "default")

    def to_profile(self) -> LearnerProfile:
        """The confirmed profile; fields the text did not give take ``LearnerProfile`` defaults."""
        data = self.model_dump(include=set(LearnerProfile.model_fields), exclude_none=True)
        if data.get("goal") != Goal.research:
            data.pop("area", None)
        return LearnerProfile(**data)


class PlanResource(BaseModel):
    id: str = Field(description="Catalog id.")
    title: str
    url: str | None = Field(None, description="From the catalog entry; None for named-only resources.")
    kind: str
    topic: str = ""


class WeekTopic(BaseModel):
    id: str
    name: str
    hours: float
    review: bool = Field(False, description="A review slot (a topic the quizzes found weak, or a review week).")
    project: bool = Field(False, description="Project time for a topic already learned (budget filling).")
    part: int = 1
    parts: int = 1
    because: str = Field("", description="Why it comes first: a prerequisite the learner's repeated quiz "
                                         "mistakes point to (plan language).")

    @property
    def learning(self) -> bool:
        """New material, not a review or project slot."""
        return not (self.review or self.project)


class Week(BaseModel):
    week: int = Field(ge=1)
    hours: float
    topics: list[WeekTopic]
    resources: list[PlanResource] = Field(default_factory=list)
    tasks: list[str] = Field(default_factory=list)
    checkpoint: str | None = Field(None, description="Topic id of this week's checkpoint quiz.")

    @property
    def topic_ids(self) -> list[str]:
        return [t.id for t in self.topics]


class TopicRef(BaseModel):
    id: str
    name: str
    hours: float


class Phase(BaseModel):
    title: str
    track: str
    first_week: int
    last_week: int
    topics: list[str]
    project: str
    tips: str = ""


class Plan(BaseModel):
    summary: str
    language: PlanLang
    goal: Goal
    hours_per_week: int
    weeks_requested: int
    weeks: list[Week]
    deferred: list[TopicRef] = Field(default_factory=list, description="Topics (or their remaining hours) that "
                                                                       "did not fit in time.")
    goal_week: int | None = Field(None, description="The week the goal's own path ends; later weeks go further.")
    not_covered: list[str] = Field(default_factory=list, description="What the learner asked for that the "
                                                                     "roadmaps do not teach, in the plan language.")
    condensed: list[str] = Field(default_factory=list, description="Topics given an overview's share of their "
                                 "hours so that the plan reaches a topic the learner asked for in time.")
    phases: list[Phase] = Field(default_factory=list)
    overview: str = ""
    guidance: str = Field("", description="Why this order (LLM-written, or template text).")
    guidance_source: Literal["none", "llm", "template"] = Field(
        "none", description="'llm' when any part of the advice is the model's, 'template' when none is.")
    guidance_parts: dict[str, TextSource] = Field(
        default_factory=dict, description="Who wrote each part: 'overview', 'order', 'tips:<phase number>'.")

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=2)

    def week_at(self, done: set[str]) -> Week | None:
        """The week the learner is in: the first with a topic not in ``done`` (None when all are done)."""
        return next((w for w in self.weeks if any(t.id not in done for t in w.topics)), None)

    def taught(self) -> list[str]:
        """Topic ids taught (not merely reviewed or practised), in plan order."""
        return list(dict.fromkeys(t.id for w in self.weeks for t in w.topics if t.learning))
