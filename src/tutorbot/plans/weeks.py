"""Packed pieces → ``Week``s and ``Phase``s: topic names, catalog resources, tasks, checkpoints, projects.

Stage: packing → **weeks** → plan. Every resource is a catalog entry of the topic (preferred kinds first,
then the plan's language); a piece gets resources in proportion to its hours and a week at most
``WEEK_RESOURCES`` (one for each new topic, at least), so no week opens with a reading list it cannot finish.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from tutorbot.curriculum.graph import Curriculum
from tutorbot.plans.models import LearnerProfile, Phase, PlanLang, PlanResource, Week, WeekTopic
from tutorbot.plans.packing import Weeks
from tutorbot.plans.wording import say
from tutorbot.schemas import CatalogEntry

PREFERRED_KIND = {"code": "repository"}
OVERVIEW_KINDS: list[str] = ["video", "blog"]  # an overview learns from talks and explanations first
WEEK_RESOURCES = 4


@dataclass
class PlanContext:
    cur: Curriculum
    catalog: dict[str, CatalogEntry]
    profile: LearnerProfile
    used: set[str] = field(default_factory=set)  # resources already given, so weeks don't repeat them

    @property
    def lang(self) -> PlanLang:
        return self.profile.language

    def t(self, key: str, **values: object) -> str:
        return say(self.lang, key, **values)

    def name(self, tid: str) -> str:
        return self.cur.topic(tid).name.get(self.lang)


def build_weeks(packed: Weeks, start: int, kept: list[Week], ctx: PlanContext) -> list[Week]:
    # Part numbers continue from the kept weeks, so "part 3/4" stays true after a re-plan.
    done_parts = Counter(t.id for w in kept for t in w.topics if t.learning)
    parts = done_parts + Counter(p.topic for w in packed for p in w if p.learning)
    seen = Counter(done_parts)
    weeks = []
    for n, pieces in enumerate(packed, start):
        topics = []
        for p in pieces:
            seen[p.topic] += p.learning
            whole = not p.learning
            topics.append(WeekTopic(id=p.topic, name=ctx.name(p.topic), hours=round(p.hours, 2), review=p.review,
                                    project=p.project, part=1 if whole else seen[p.topic],
                                    parts=1 if whole else parts[p.topic]))
        weeks.append(_week(n, topics, ctx))
    return weeks


def _week(n: int, topics: list[WeekTopic], ctx: PlanContext) -> Week:
    resources: list[PlanResource] = []
    tasks: list[str] = []
    starts = [t.learning and t.part == 1 for t in topics]
    cap = max(WEEK_RESOURCES, sum(starts))
    for i, t in enumerate(topics):
        reserved = sum(starts[i + 1:])  # every topic that starts this week gets at least one resource
        taken = {x.id for x in resources}
        resources += _pick_resources(t, ctx, max(cap - len(resources) - reserved, int(starts[i])), taken)
        tasks += _tasks(t, ctx)
    return Week(week=n, hours=round(sum(t.hours for t in topics), 2), topics=topics,
                resources=resources, tasks=tasks, checkpoint=_checkpoint(topics))


def _pick_resources(t: WeekTopic, ctx: PlanContext, room: int, taken: set[str]) -> list[PlanResource]:
    """Catalog entries for this piece: preferred kinds, then the plan's language, then curriculum order;
    new to the plan if possible, else at least new to the week (``taken``)."""
    entries = [ctx.catalog[r] for r in ctx.cur.topic(t.id).resources if r in ctx.catalog]
    kinds = ctx.profile.preferred_kinds or (OVERVIEW_KINDS if ctx.profile.depth == "overview" else [])
    wanted = {PREFERRED_KIND.get(k, k) for k in kinds}

    def rank(item: tuple[int, CatalogEntry]) -> tuple:
        i, e = item
        return (e.kind not in wanted, e.language != ctx.lang and e.language != "mixed", i)

    ranked = [e for _, e in sorted(enumerate(entries), key=rank) if e.id not in taken]
    limit = min(room, _share(t))
    chosen = [e for e in ranked if e.id not in ctx.used][:limit] or ranked[:min(1, limit)]
    ctx.used |= {e.id for e in chosen}
    return [PlanResource(id=e.id, title=e.title, url=e.url, kind=e.kind, topic=t.id) for e in chosen]


def _share(t: WeekTopic) -> int:
    """Resources a piece deserves: one for a review, project or short piece, up to three for a long one."""
    if not t.learning or t.hours < 4:
        return 1
    return 2 if t.hours < 8 or t.part > 1 else 3


def _tasks(t: WeekTopic, ctx: PlanContext) -> list[str]:
    topic = ctx.cur.topic(t.id)
    if t.review:
        return [ctx.t("review", name=t.name)]
    if t.project:
        return [ctx.t("project_slot", name=t.name, project=topic.projects[-1].get(ctx.lang))]
    tasks = [ctx.t("study", name=t.name, desc=topic.description.get(ctx.lang)) if t.part == 1
             else ctx.t("continue", name=t.name, part=t.part, parts=t.parts)]
    if t.part == t.parts and ctx.profile.depth == "full":
        tasks += [ctx.t("project", project=p.get(ctx.lang)) for p in topic.projects]
    return tasks


def _checkpoint(topics: list[WeekTopic]) -> str | None:
    """Quiz the biggest topic finished this week, else the biggest one studied, else any slot's topic."""
    for pool in ([t for t in topics if t.learning and t.part == t.parts], [t for t in topics if t.learning], topics):
        if pool:
            return max(pool, key=lambda t: t.hours).id
    return None


def build_phases(weeks: list[Week], ctx: PlanContext) -> list[Phase]:
    """Consecutive weeks whose main topic shares a track form a phase, ending with a project."""
    phases: list[Phase] = []
    for w in weeks:
        main = max(w.topics, key=lambda t: (t.learning, t.hours))
        track = ctx.cur.topic(main.id).tracks[0] if main.id in ctx.cur.ids else ctx.cur.tracks[0].id
        learned = [t.id for t in w.topics if t.learning]
        if phases and phases[-1].track == track:
            phases[-1].last_week = w.week
            phases[-1].topics += [t for t in learned if t not in phases[-1].topics]
        else:
            info = ctx.cur.track(track)
            tip = "" if any(p.track == track for p in phases) else info.tip.get(ctx.lang)  # said once is enough
            phases.append(Phase(title=info.name.get(ctx.lang), track=track, first_week=w.week,
                                last_week=w.week, topics=learned, project="", tips=tip))
    for ph in phases:
        ph.project = _phase_project(ph, weeks, ctx)
    return phases


def _phase_project(phase: Phase, weeks: list[Week], ctx: PlanContext) -> str:
    """The project of the last topic finished in the phase, else a small integration exercise; none in an
    overview."""
    if ctx.profile.depth == "overview":
        return ""
    finished = [t.id for w in weeks if phase.first_week <= w.week <= phase.last_week
                for t in w.topics if t.learning and t.part == t.parts and t.id in ctx.cur.ids]
    with_projects = [t for t in finished if ctx.cur.topic(t).projects]
    if with_projects:
        return ctx.cur.topic(with_projects[-1]).projects[0].get(ctx.lang)
    names = ", ".join(ctx.name(t) for t in phase.topics if t in ctx.cur.ids)
    return ctx.t("default_project", names=names or ctx.cur.track(phase.track).name.get(ctx.lang))
