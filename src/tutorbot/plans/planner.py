"""The planning stage: learner profile + curriculum + catalog → a week-by-week ``Plan``.

Deterministic: the goal's targets and the learner's own topics, with every prerequisite they lack
(and the roadmaps' recommended ones when the whole path fits), in prerequisite order, packed into
weeks that never exceed the weekly hours. What the learner knows is skipped. When the goal's path
fits with time to spare, the remaining weeks are filled (``filling``); when it does not fit, the
plan starts the first topic left over and says what is left — unless a topic the learner named is
left over, and condensing what comes before it reaches it (``make_plan``). Re-planning keeps the weeks before
``now_week`` verbatim and re-packs the rest.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from pydantic import BaseModel

from tutorbot.curriculum.graph import Curriculum
from tutorbot.errors import TutorbotError
from tutorbot.plans.filling import Budget, fill, review_piece, start_next
from tutorbot.plans.models import LearnerProfile, Plan, TopicRef, Week
from tutorbot.plans.packing import Piece, Weeks, fill_partial, pack
from tutorbot.plans.targets import goal_targets, goal_tracks, implied_known, path
from tutorbot.plans.weeks import PlanContext, build_phases, build_weeks
from tutorbot.plans.wording import join, some, topics, weeks_span
from tutorbot.schemas import CatalogEntry

OVERVIEW_SHARE = 0.4  # an overview gives a topic this share of its hands-on hours


class PlanError(TutorbotError, ValueError):
    """The profile or progress refers to something the curriculum does not have."""


def plan_curriculum(profile: LearnerProfile, cur: Curriculum, condensed: Iterable[str] = ()) -> Curriculum:
    """The curriculum a plan is made from: for an overview, every topic in a share of its hours; else
    the ``condensed`` topics (``Plan.condensed``) in that share."""
    if profile.depth == "overview":
        return cur.scaled(OVERVIEW_SHARE)
    return cur.scaled(OVERVIEW_SHARE, only=frozenset(condensed)) if condensed else cur


class GoalPath(BaseModel):
    """The goal's own part of a plan, packed."""

    weeks: list[list[Piece]]
    order: list[str]
    reviews: list[str]
    deferred: dict[str, float]  # topic → hours left
    started: dict[str, float] = {}  # a topic begun after the goal, in the last weeks → hours left


def make_plan(profile: LearnerProfile, curriculum: Curriculum, catalog: list[CatalogEntry], *,
              done: Iterable[str] = (), weak: Iterable[str] = (), previous: Plan | None = None,
              now_week: int = 0) -> Plan:
    """A plan for ``profile``; with ``previous``, weeks before ``now_week`` are kept as they were.

    A learner with a deadline names a topic (RLHF in six weeks) whose path does not fit at hands-on
    depth: then the topics before it are condensed to an overview's share of their hours, so that the
    plan reaches what was asked for, and the summary says so. Kept only when it reaches more of it."""
    make = partial(_make, profile, curriculum, catalog, done=set(done), weak=set(weak), previous=previous,
                   now_week=now_week)
    plan = make()
    if profile.depth == "overview" or not (left := _left(plan, profile.learn)):
        return plan
    before = curriculum.ancestors(profile.learn, soft=True) - set(profile.learn)  # only these are condensed
    quick = make(condensed=sorted(before))
    return quick if len(_left(quick, profile.learn)) < len(left) else plan


def _left(plan: Plan, wanted: list[str]) -> list[str]:
    """The wanted topics the plan does not teach in full."""
    deferred = {d.id for d in plan.deferred}
    return [t for t in wanted if t in deferred]


def _make(profile: LearnerProfile, curriculum: Curriculum, catalog: list[CatalogEntry], *, done: set[str],
          weak: set[str], previous: Plan | None, now_week: int, condensed: list[str] | None = None) -> Plan:
    check_ids(curriculum, known=profile.known, learn=profile.learn, done=done, weak=weak)
    curriculum = plan_curriculum(profile, curriculum, condensed or [])
    ctx = PlanContext(curriculum, {e.id: e for e in catalog}, profile)
    kept = [w for w in previous.weeks if w.week < now_week] if previous else []
    spent = _hours_spent(kept, curriculum)
    finished = _finished(curriculum, profile, done, spent)
    started = [t for t, h in spent.items() if t not in finished]  # begun in kept weeks: continued first
    targets = list(dict.fromkeys(goal_targets(profile.goal, profile.area, curriculum) + profile.learn + started))
    budget = Budget(hours=profile.hours_per_week, weeks=profile.weeks - len(kept))
    goal = _goal_path(targets, finished, started, weak, spent, budget, ctx)
    packed = _complete(goal, targets, finished, set(spent), budget, ctx)
    ctx.used = {r.id for w in kept for r in w.resources}
    weeks = kept + build_weeks(packed, len(kept) + 1, kept, ctx)
    goal_week = len(kept) + len(goal.weeks) if goal.order and not goal.deferred else None
    skipped = len((set(targets) | curriculum.ancestors(targets)) & (finished - _skills(profile, curriculum)))
    plan = Plan(summary="", language=ctx.lang, goal=profile.goal, hours_per_week=profile.hours_per_week,
                weeks_requested=profile.weeks, weeks=weeks, phases=build_phases(weeks, ctx), goal_week=goal_week,
                deferred=[TopicRef(id=t, name=ctx.name(t), hours=round(h, 2))
                          for t, h in (goal.deferred | goal.started).items()],
                not_covered=_not_covered(profile, curriculum), condensed=condensed or [])
    return plan.model_copy(update={"summary": _summary(plan, goal, skipped, len(kept), ctx)})


def check_ids(cur: Curriculum, **groups: Iterable[str]) -> None:
    for label, ids in groups.items():
        if bad := sorted(set(ids) - set(cur.ids)):
            raise PlanError(f"{label} topics {bad} are not in the curriculum: use topic ids such as "
                            f"{cur.ids[0]!r} (see corpus/curriculum.yaml)")


def _hours_spent(weeks: list[Week], cur: Curriculum) -> dict[str, float]:
    spent: dict[str, float] = {}
    for t in (t for w in weeks for t in w.topics if t.learning and t.id in cur.ids):
        spent[t.id] = spent.get(t.id, 0.0) + t.hours
    return spent


def _finished(cur: Curriculum, profile: LearnerProfile, done: set[str], spent: dict[str, float]) -> set[str]:
    """Known and done topics with what they build on (but not what the learner lacks), and fully scheduled
    ones (what they build on was scheduled before them, or known)."""
    scheduled = {t for t, h in spent.items() if h >= cur.topic(t).hours - 1e-6}
    return implied_known(set(profile.known) | done, profile.learn, cur) | scheduled | _skills(profile, cur)


def _skills(profile: LearnerProfile, cur: Curriculum) -> set[str]:
    """What an overview leaves out: skills to practise (they imply nothing about what comes before them)."""
    return {t.id for t in cur.topics if t.practice} if profile.depth == "overview" else set()


def _goal_path(targets: list[str], finished: set[str], started: list[str], weak: set[str],
               spent: dict[str, float], budget: Budget, ctx: PlanContext) -> GoalPath:
    """The goal's path packed: with the recommended topics when it all fits, else the hard path.
    Topics begun in kept weeks and weak ones come first, then the topics the learner asked for."""
    cur = ctx.cur
    reviews = cur.topo_order(weak & finished)
    first = _urgent(cur, started + sorted(weak) + ctx.profile.learn, finished)
    # An overview gives the gist of a topic without its background (the foundations track): that is
    # kept only when all fits.
    background = {t.id for t in cur.topics if "foundations" in t.tracks} - set(targets)
    hard = path(targets, finished | (background if ctx.profile.depth == "overview" else set()), cur)
    # What the roadmaps recommend before a topic already in the kept weeks is not added behind it.
    behind = cur.ancestors(spent, stop=finished, soft=True) - set(spent) - hard
    extra = path(set(targets) - set(started), finished | set(started), cur, soft=True) - behind
    soft = hard | {t for t in extra if not cur.ancestors([t]) & behind}
    if ctx.profile.depth == "overview":
        soft |= path(targets, finished, cur) - behind
    packed = _pack_path(soft, first, reviews, spent, budget, ctx)
    return packed if not packed.deferred else _pack_path(hard, first, reviews, spent, budget, ctx)


def _pack_path(needed: set[str], first: list[str], reviews: list[str], spent: dict[str, float], budget: Budget,
               ctx: PlanContext) -> GoalPath:
    cur = ctx.cur
    order = cur.topo_order(needed, first=first)
    slots = [review_piece(t, cur) for t in reviews]
    slots += [Piece(topic=t, hours=cur.topic(t).hours - spent.get(t, 0.0)) for t in order]
    weeks, deferred = pack(slots, budget.hours, budget.weeks, cur)
    if wanted := [t for t in deferred if t in ctx.profile.learn]:
        # A topic the learner asked for that does not fit keeps its place: later topics do not take
        # its room, and it is started instead (``_complete``).
        cut = next(i for i, s in enumerate(slots) if s.topic == wanted[0])
        weeks, deferred = pack(slots[:cut], budget.hours, budget.weeks, cur)
        deferred += [s.topic for s in slots[cut:] if s.learning]
    left = {t: cur.topic(t).hours - spent.get(t, 0.0) for t in deferred}
    return GoalPath(weeks=weeks, order=order, reviews=reviews, deferred=left)


def _urgent(cur: Curriculum, leading: list[str], finished: set[str]) -> list[str]:
    """Weak and wanted topics in the learner's order, each after the prerequisites it still needs."""
    out: list[str] = []
    for tid in (t for t in leading if t not in finished):
        out += cur.topo_order(cur.ancestors([tid], stop=finished) | {tid})
    return list(dict.fromkeys(out))


def _complete(goal: GoalPath, targets: list[str], finished: set[str], kept: set[str], budget: Budget,
              ctx: PlanContext) -> Weeks:
    """The goal's weeks, then: the start of the first topic left over, or the rest of the budget filled."""
    cur, weeks = ctx.cur, [list(w) for w in goal.weeks]
    if goal.deferred:
        scheduled = {p.topic for w in weeks for p in w} | finished
        start = next((t for t in goal.deferred if set(cur.topic(t).prereqs) <= scheduled
                      and set(cur.topic(t).recommended) & set(goal.order) <= scheduled), None)
        if start is not None:
            weeks, placed = fill_partial(weeks, Piece(topic=start, hours=goal.deferred[start]), budget.hours,
                                         budget.weeks)
            goal.deferred[start] -= placed
        return weeks
    taught = [t for t in goal.order if t in set(targets)]
    if ctx.profile.fill_weeks:
        weeks = fill(weeks, cur, budget, goal_topics=taught, planned=set(goal.order) | kept, finished=finished,
                     tracks=goal_tracks(targets, cur), with_projects=ctx.profile.depth == "full")
        planned = set(goal.order) | kept | {p.topic for w in weeks for p in w}
        weeks, goal.started = start_next(weeks, cur, budget, planned=planned, finished=finished)
    if not any(weeks):  # nothing left to learn: review what the goal needs rather than return no plan
        weeks = fill([], cur, Budget(budget.hours, budget.weeks), goal_topics=targets, planned=set(cur.ids),
                     finished=set(cur.ids), tracks=set(), with_projects=ctx.profile.depth == "full")
    if not any(weeks) and targets:  # not even one review fits the weekly hours: a shorter one
        weeks = [[Piece(topic=targets[-1], hours=float(budget.hours), review=True)]]
    return weeks


def _not_covered(profile: LearnerProfile, cur: Curriculum) -> list[str]:
    """What the learner asked for that the roadmaps do not teach, as phrases in the plan language."""
    spec = cur.goals[profile.goal]
    found = [spec.not_covered.get(profile.language)] if spec.not_covered else []
    by_id = {u.id: u for u in cur.uncovered}
    return found + [by_id[u].name.get(profile.language) for u in profile.not_covered if u in by_id]


def _summary(plan: Plan, goal: GoalPath, skipped: int, kept: int, ctx: PlanContext) -> str:
    taught = [t for t in goal.order if t not in goal.deferred]
    name = ctx.cur.goals[ctx.profile.goal].name.get(ctx.lang)
    text = ctx.t("summary", weeks=len(plan.weeks), hours=ctx.profile.hours_per_week, goal=name,
                 n=topics(ctx.lang, len(taught)))
    text += ctx.t("reviews", n=len(goal.reviews)) if goal.reviews else ""
    text += ctx.t("known", n=topics(ctx.lang, skipped)) if skipped else ""
    text += ctx.t("kept", n=kept) if kept else ""
    text += ctx.t("overview", share=round(OVERVIEW_SHARE * 100)) if ctx.profile.depth == "overview" else ""
    if plan.condensed:
        text += ctx.t("condensed", what=some(ctx.lang, [ctx.name(t) for t in ctx.profile.learn]),
                      share=round(OVERVIEW_SHARE * 100))
    text += _ending(plan, goal, ctx)
    if plan.not_covered:
        text += ctx.t("not_covered", what=join(ctx.lang, plan.not_covered))
    return text


def _ending(plan: Plan, goal: GoalPath, ctx: PlanContext) -> str:
    """What the plan does with the learner's time: what is left over, or what comes after the goal."""
    if goal.deferred:
        started = [t for t in plan.taught() if t in goal.deferred]
        text = ctx.t("short", n=topics(ctx.lang, len(goal.deferred)), h=round(sum(goal.deferred.values())))
        return text + "".join(ctx.t("partial", name=ctx.name(t), h=round(goal.deferred[t])) for t in started)
    week, last = plan.goal_week or 0, len(plan.weeks)
    if not goal.order:
        return ctx.t("nothing") + (ctx.t("beyond", extra=join(ctx.lang, _extras(plan, 0, ctx))) if last else "")
    if last > week:
        free = ctx.t("free", n=plan.weeks_requested - last) if last < plan.weeks_requested else ""
        free += "".join(ctx.t("started", name=ctx.name(t), h=round(h)) for t, h in goal.started.items())
        return ctx.t("goal_week", week=week, later=weeks_span(ctx.lang, week + 1, last),
                     extra=join(ctx.lang, _extras(plan, week, ctx))) + free
    if last < plan.weeks_requested:
        return ctx.t("goal_early", week=week, weeks=plan.weeks_requested, free=plan.weeks_requested - last)
    return ""


def _extras(plan: Plan, week: int, ctx: PlanContext) -> list[str]:
    later = [t for w in plan.weeks if w.week > week for t in w.topics]
    new = {t.id for t in later if t.learning}
    kinds = [("extra_projects", any(t.project for t in later)), ("extra_topics", bool(new)),
             ("extra_reviews", any(t.review for t in later))]
    return [ctx.t(key, n=topics(ctx.lang, len(new))) for key, present in kinds if present]
