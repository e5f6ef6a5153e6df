"""Plan service: profiles and plans per learner, adapted to progress and quiz results.

The deterministic planner decides everything a learner relies on (order, sizes, resources);
the LLM only writes guidance text (``guidance``, through the truth gate) and fills gaps in
free-text profiles (``refine``), each with a fallback. Every change is saved as a new plan in the
learner's history (one transaction each), so re-planning never loses completed weeks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.names import ResourceNames
from tutorbot.errors import InputError
from tutorbot.llm.client import LLMClient
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.export import plan_to_markdown
from tutorbot.plans.guidance import template_guidance, write_guidance
from tutorbot.plans.models import LearnerProfile, Plan, ProfileDraft
from tutorbot.plans.planner import make_plan
from tutorbot.plans.profile import parse_profile
from tutorbot.plans.refine import refine_profile
from tutorbot.plans.truth import plan_vocabulary
from tutorbot.plans.wording import join, say
from tutorbot.schemas import CatalogEntry

if TYPE_CHECKING:
    from tutorbot.store.learner_store import LearnerStore
    from tutorbot.store.rows import TopicStatus

MAX_TEXT = 4000


class PlanService:
    def __init__(self, curriculum: Curriculum, catalog: list[CatalogEntry], llm: LLMClient,
                 prompts: PromptLibrary, store: LearnerStore, weak_topics: Callable[[int], list[str]] | None = None,
                 today: Callable[[], date] = date.today,
                 weak_prereqs: Callable[[int], Mapping[str, list[str]]] | None = None):
        self.curriculum, self.catalog, self.llm, self.prompts, self.store = curriculum, catalog, llm, prompts, store
        self._weak = weak_topics or (lambda user_id: [])
        # prerequisites that repeated quiz mistakes point to: planned first, each saying why
        self._prereqs = weak_prereqs or (lambda user_id: {})
        self.today = today  # "till March" counts from here; tests inject a fixed clock

    @cached_property
    def names(self) -> ResourceNames:
        """Resource names mined from the catalog ("CS231n", "nanoGPT"), read in learner text."""
        return ResourceNames(self.catalog, self.curriculum)

    # -- profiles ---------------------------------------------------------------------------
    def draft(self, text: str, refine: bool = True) -> ProfileDraft:
        """Read a free-text self-description; the parser first, the model only fills gaps it can support."""
        text = (text or "").strip()
        if not text:
            raise InputError("describe your background, goal and weekly time, e.g. '10 hours a week, 3 months'")
        if len(text) > MAX_TEXT:
            raise InputError(f"the description is too long ({len(text)} characters; the limit is {MAX_TEXT})")
        d = parse_profile(text, self.curriculum, names=self.names, today=self.today())
        return refine_profile(d, text, self.llm, self.curriculum, self.prompts, self.names) if refine else d

    @staticmethod
    def profile_from_draft(draft: ProfileDraft) -> LearnerProfile:
        values = {k: v for k, v in draft.model_dump().items()
                  if k in LearnerProfile.model_fields and v not in (None, [])}
        return LearnerProfile(**values)

    # -- plans ------------------------------------------------------------------------------
    def create(self, user_id: int, profile: LearnerProfile, guidance: bool = True) -> Plan:
        plan = make_plan(profile, self.curriculum, self.catalog, done=self._done(user_id), weak=self._weak_ids(user_id))
        return self._save(user_id, self.guide(plan, profile) if guidance else plan, profile)

    def guide(self, plan: Plan, profile: LearnerProfile) -> Plan:
        """``plan`` with the model's advice where it passes the truth gate, template text elsewhere."""
        vocab = plan_vocabulary(plan, self.curriculum, self.catalog)
        return write_guidance(plan, profile, self.llm, self.prompts, vocab)

    def current(self, user_id: int) -> Plan | None:
        rec = self.store.current_plan(user_id)
        return Plan.model_validate(rec.data) if rec else None

    def marks(self, user_id: int) -> Mapping[str, str]:
        """Topics the learner marked done or known."""
        return self.store.topic_status(user_id)

    def profile(self, user_id: int) -> LearnerProfile | None:
        data = self.store.get_profile(user_id)
        return LearnerProfile.model_validate(data) if data else None

    def mark(self, user_id: int, topic: str, status: TopicStatus | None) -> Plan | None:
        """Mark a topic done/known (or clear it) and re-plan the remaining weeks."""
        found = self.curriculum.match(topic)
        if found is None:
            raise InputError(f"unknown topic {topic!r}: the topic ids are the `id:` entries of corpus/curriculum.yaml")
        self.store.mark_topic(user_id, found.id, status)
        return self.replan(user_id)

    def update(self, user_id: int, **changes: object) -> Plan:
        """Change hours, weeks, goal... and re-plan, keeping weeks already behind the learner."""
        profile = self.profile(user_id)
        plan = self.replan(user_id, LearnerProfile.model_validate(profile.model_dump() | changes)) if profile else None
        if plan is None:
            raise InputError("no profile yet: create a plan first")
        return plan

    def replan(self, user_id: int, profile: LearnerProfile | None = None) -> Plan | None:
        profile = profile or self.profile(user_id)
        previous = self.current(user_id)
        if profile is None or previous is None:
            return None
        done = self._done(user_id)
        plan = make_plan(profile, self.curriculum, self.catalog, done=done, weak=self._weak_ids(user_id),
                         previous=previous, now_week=self.current_week(previous, done))
        # The old text would describe the old plan ("8 topics in 12 weeks"); re-asking the model on
        # every mark would make each click wait for it, so a re-plan gets the template text.
        return self._save(user_id, template_guidance(plan), profile)

    def adapt_after_quiz(self, user_id: int) -> bool:
        """A finished quiz may have made topics weak (or strong again): re-plan the remaining weeks so
        their review slots follow. True when the plan changed. The CLI and the UI both end a quiz here."""
        before = self.current(user_id)
        if before is None:
            return False
        after = self.replan(user_id)
        return after is not None and after.weeks != before.weeks

    def add_guidance(self, user_id: int) -> Plan | None:
        """Have the model write the current plan's advice and save it as the plan's next version."""
        plan, profile = self.current(user_id), self.profile(user_id)
        if plan is None or not needs_guidance(plan) or profile is None:
            return plan
        guided = self.guide(plan, profile)
        self.store.save_plan(user_id, guided.model_dump(mode="json"))
        return guided

    def stage(self, user_id: int) -> list[str]:
        """Unfinished topics of the plan phase the learner is in (empty without a plan)."""
        plan = self.current(user_id)
        return plan_stage(plan, self.store.topic_status(user_id)) if plan else []

    @staticmethod
    def current_week(plan: Plan, done: set[str]) -> int:
        """The first week that still has an unfinished topic (earlier weeks are history)."""
        if (week := plan.week_at(done)) is not None:
            return week.week
        return (plan.weeks[-1].week + 1) if plan.weeks else 1

    def export_markdown(self, user_id: int) -> str:
        plan = self.current(user_id)
        if plan is None:
            raise InputError("no plan yet: create one with `tutorbot plan` or in the Plan tab")
        return plan_to_markdown(plan)

    def _done(self, user_id: int) -> set[str]:
        return done_topics(self.store.topic_status(user_id)) & set(self.curriculum.ids)

    def _weak_ids(self, user_id: int) -> set[str]:
        return (set(self._weak(user_id)) | set(self._prereqs(user_id))) & set(self.curriculum.ids)

    def _explained(self, user_id: int, plan: Plan) -> Plan:
        """The plan with each weak prerequisite saying which topics' mistakes point to it."""
        blamed = self._prereqs(user_id)
        def why(tid: str) -> str:
            names = [self.curriculum.name_of(b, plan.language) for b in blamed.get(tid, [])]
            return say(plan.language, "because", topics=join(plan.language, names)) if names else ""
        weeks = [w.model_copy(update={"topics": [tp.model_copy(update={"because": why(tp.id)}) for tp in w.topics]})
                 for w in plan.weeks]
        return plan.model_copy(update={"weeks": weeks})

    def _save(self, user_id: int, plan: Plan, profile: LearnerProfile) -> Plan:
        plan = self._explained(user_id, plan)
        # one transaction: a crash between a profile and its plan would leave the plan out of date
        self.store.save_plan(user_id, plan.model_dump(mode="json"), profile=profile.model_dump(mode="json"))
        return plan


def done_topics(marks: Mapping[str, str]) -> set[str]:
    """Topics the learner marked done or already known: neither is taught again."""
    return {tid for tid, status in marks.items() if status in ("done", "known")}


def plan_stage(plan: Plan, marks: Mapping[str, str]) -> list[str]:
    """Unfinished topics of the plan phase the learner is in (the first week with unfinished work)."""
    done = done_topics(marks)
    if (at := plan.week_at(done)) is None:
        return []
    week = at.week
    phase = next((p for p in plan.phases if p.first_week <= week <= p.last_week), None)
    first, last = (phase.first_week, phase.last_week) if phase else (week, week)
    ids = [tp.id for w in plan.weeks if first <= w.week <= last for tp in w.topics]
    return [tid for tid in dict.fromkeys(ids) if tid not in done]


def needs_guidance(plan: Plan | None) -> bool:
    """A fresh plan without advice (re-plans keep their predecessor's advice, as the service intends)."""
    return plan is not None and plan.guidance_source == "none" and not plan.overview
