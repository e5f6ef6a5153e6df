"""Plan quality on learner descriptions: was the text understood, and is the plan what it asked for?

Stage: evaluation (`tutorbot eval plans --profiles FILE`). Each description goes through the real
path — ``PlanService.draft`` (parser, and the model unless ``use_llm`` is off), the planner, and the
guidance with its truth gate — and is scored against what the file says it states: hours and weeks
read right (within a week or 10 %, as months are not whole weeks), weeks used against the budget,
no week over the hours + 10 %, no topic the learner knows taught, an expected topic present (matched
against topic ids and names in both languages and resource titles), every URL from the catalog, the
plan's language, and whether the advice loops.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError

from tutorbot.errors import InputError
from tutorbot.plans.guidance import template_guidance
from tutorbot.plans.models import Plan
from tutorbot.plans.planner import make_plan
from tutorbot.verify.loops import is_degenerate

if TYPE_CHECKING:
    from tutorbot.plans.service import PlanService

BUDGET_USED = 0.8  # a plan uses at least this share of the weeks given, unless the goal is reached earlier
TOLERANCE = 0.10


class ProfileCase(BaseModel):
    """One learner description and what it states (the format of shared/eval/dev_profiles.json)."""

    id: str
    lang: str
    text: str
    hours_per_week: int
    weeks: int
    known_any: list[str] = Field(default_factory=list)
    expect_topics_any: list[str] = Field(default_factory=list)
    today: date | None = Field(None, description="The date relative deadlines count from ('till March').")


class CaseResult(BaseModel):
    id: str
    goal: str
    hours: tuple[int | None, int]
    weeks: tuple[int | None, int]
    plan_weeks: int
    goal_week: int | None
    max_week_hours: float
    known_taught: list[str]
    expected_found: list[str]
    bad_urls: list[str]
    language: str
    guidance_parts: dict[str, str]
    checks: dict[str, bool]


class PlanReport(BaseModel):
    cases: list[CaseResult]
    rates: dict[str, float]


def load_cases(path: Path) -> list[ProfileCase]:
    try:
        return [ProfileCase.model_validate(x) for x in json.loads(Path(path).read_text(encoding="utf-8"))]
    except (OSError, ValueError, TypeError) as exc:
        why = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else exc
        raise InputError(f"{path}: not a list of learner descriptions ({why}); see README: plan quality") from None


def evaluate_file(path: Path, svc: PlanService, use_llm: bool = True, today: date | None = None) -> PlanReport:
    cases = [evaluate_case(c, svc, use_llm, today or date.today()) for c in load_cases(path)]
    rates = {k: sum(c.checks[k] for c in cases) / len(cases) for k in cases[0].checks} if cases else {}
    return PlanReport(cases=cases, rates=rates)


def evaluate_case(case: ProfileCase, svc: PlanService, use_llm: bool, today: date) -> CaseResult:
    day = case.today or today
    svc.today = lambda: day
    profile = svc.draft(case.text, refine=use_llm).to_profile()
    plan = make_plan(profile, svc.curriculum, svc.catalog)
    plan = svc.guide(plan, profile) if use_llm else template_guidance(plan)
    known = _known_taught(case, plan, svc)
    found = _expected_found(case, plan, svc)
    catalog = {e.id: e.url for e in svc.catalog}
    bad = [r.url or r.id for w in plan.weeks for r in w.resources if r.id not in catalog or r.url != catalog[r.id]]
    max_hours = max((w.hours for w in plan.weeks), default=0.0)
    early = plan.goal_week is not None and len(plan.weeks) < plan.weeks_requested
    checks = {"hours_right": _close(profile.hours_per_week, case.hours_per_week),
              "weeks_right": _close(profile.weeks, case.weeks), "not_empty": bool(plan.weeks),
              "budget_used": len(plan.weeks) >= BUDGET_USED * case.weeks or early,
              "hours_within": max_hours <= case.hours_per_week * (1 + TOLERANCE) + 1e-9,
              "known_not_taught": not known, "expected_present": bool(found), "urls_in_catalog": not bad,
              "language": plan.language == case.lang, "guidance_clean": not is_degenerate(advice(plan))}
    return CaseResult(id=case.id, goal=profile.goal.value, hours=(profile.hours_per_week, case.hours_per_week),
                      weeks=(profile.weeks, case.weeks), plan_weeks=len(plan.weeks), goal_week=plan.goal_week,
                      max_week_hours=max_hours, known_taught=known, expected_found=found, bad_urls=bad,
                      language=plan.language, guidance_parts=dict(plan.guidance_parts), checks=checks)


def _close(got: int, expected: int) -> bool:
    return abs(got - expected) <= max(1.0, TOLERANCE * expected)


def advice(plan: Plan) -> str:
    """Everything the guidance writer put in front of the learner, as one text."""
    return "\n".join([plan.overview, plan.guidance, *(p.tips for p in plan.phases)])


def _known_taught(case: ProfileCase, plan: Plan, svc: PlanService) -> list[str]:
    """Topics a stated 'known' names that the plan teaches anyway."""
    named = {tid for k in case.known_any for tid, _, _ in svc.curriculum.mentions(k)}
    named |= {tid for k in case.known_any for _, tids, _, _ in svc.names.find(k) for tid in tids}
    return sorted(named & set(plan.taught()))


def _expected_found(case: ProfileCase, plan: Plan, svc: PlanService) -> list[str]:
    ids = {t.id for w in plan.weeks for t in w.topics}
    texts = [*ids, *(svc.curriculum.name_of(t, lang) for t in ids for lang in ("en", "zh"))]
    texts += [r.title for w in plan.weeks for r in w.resources]
    haystack = "\n".join(texts).casefold()
    return [e for e in case.expect_topics_any if e.casefold() in haystack]


def report_table(report: PlanReport) -> str:
    """A plain-text table: one row per description, then the share of descriptions passing each check."""
    head = f"{'id':<6}{'goal':<24}{'hours':>9}{'weeks':>9}{'plan':>9}{'max h':>7}  failed checks"
    rows = [head]
    for c in report.cases:
        failed = [k for k, ok in c.checks.items() if not ok]
        rows.append(f"{c.id:<6}{c.goal:<24}{_pair(c.hours):>9}{_pair(c.weeks):>9}"
                    f"{f'{c.plan_weeks}/{c.weeks[1]}':>9}{c.max_week_hours:>7g}  {', '.join(failed) or '-'}")
    rows.append("")
    rows += [f"{k:<20}{v:>6.0%}" for k, v in report.rates.items()]
    return "\n".join(rows)


def _pair(pair: tuple[int | None, int]) -> str:
    return f"{pair[0]}/{pair[1]}"
