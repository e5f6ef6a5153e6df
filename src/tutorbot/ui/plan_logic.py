"""UI stage, Plan tab logic: the profile form ⇄ ``LearnerProfile``, choice lists, plan stages.

Planning itself is the PlanService's (``container.plans``); this module only translates
between the form's raw values and the service's models, and summarises drafts for the chat.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ValidationError

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.errors import InputError
from tutorbot.plans.models import LearnerProfile, Plan, ProfileDraft


class PlanForm(BaseModel):
    """The profile form's values, as the browser sends them (checked by ``to_profile``)."""

    known: list[str] = []
    learn: list[str] = []
    goal: str = Goal.understand_llms.value
    area: str = ""
    hours_per_week: float = 8
    weeks: float = 12
    preferred_kinds: list[str] = []
    language: str = "en"
    fill_weeks: bool = True
    overview: bool = False
    not_covered: list[str] = []

    def to_profile(self, curriculum: Curriculum) -> LearnerProfile:
        """A valid profile, or ``ValueError`` whose message says which field to fix."""
        unknown = sorted(set(self.known + self.learn) - set(curriculum.ids))
        if unknown:
            raise InputError(f"unknown topics {unknown}: pick topics from the list")
        area = self.area.strip() if self.goal == Goal.research.value else ""
        asks = [u for u in self.not_covered if u in {x.id for x in curriculum.uncovered}]
        for name in ("hours_per_week", "weeks"):
            if not math.isfinite(getattr(self, name)):  # int() of inf/NaN would not name the field
                raise InputError(f"{name}: enter a number")
        try:
            return LearnerProfile(known=self.known, learn=self.learn, goal=self.goal, area=area or None,
                                  hours_per_week=int(self.hours_per_week or 0), weeks=int(self.weeks or 0),
                                  preferred_kinds=self.preferred_kinds, language=self.language,
                                  fill_weeks=self.fill_weeks, depth="overview" if self.overview else "full",
                                  not_covered=asks)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InputError(f"{'.'.join(map(str, first['loc'])) or 'profile'}: {first['msg']}") from None

    @classmethod
    def from_profile(cls, p: LearnerProfile) -> PlanForm:
        return cls(known=p.known, learn=p.learn, goal=p.goal.value, area=p.area or "", hours_per_week=p.hours_per_week,
                   weeks=p.weeks, preferred_kinds=list(p.preferred_kinds), language=p.language,
                   fill_weeks=p.fill_weeks, overview=p.depth == "overview", not_covered=list(p.not_covered))


def draft_summary(draft: ProfileDraft, curriculum: Curriculum, lang: str) -> str:
    """One line naming the goal, time budget and known topics the parser found."""
    profile = draft.to_profile()
    goal = curriculum.goals[profile.goal].name.get("zh" if lang == "zh" else "en")
    known = ", ".join(curriculum.topic(k).name.get("zh" if lang == "zh" else "en") for k in profile.known)
    if lang == "zh":
        return f"目标“{goal}”，每周 {profile.hours_per_week} 小时，共 {profile.weeks} 周" + \
            (f"，已掌握：{known}" if known else "")
    return f"goal “{goal}”, {profile.hours_per_week} h/week for {profile.weeks} weeks" + \
        (f", already known: {known}" if known else "")


def plan_topics(plan: Plan | None) -> list[str]:
    return list(dict.fromkeys(tp.id for w in plan.weeks for tp in w.topics)) if plan else []
