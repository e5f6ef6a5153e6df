"""The planning stage: learner profile + curriculum + catalog → a week-by-week ``Plan``.

Deterministic: the goal's target topics and all their prerequisites, minus what the learner
knows or has done, in prerequisite order (ties: stage order), packed into weeks by estimated
hours. Re-planning keeps the weeks before ``now_week`` verbatim and re-packs the rest.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.errors import TutorbotError
from tutorbot.plans.models import LearnerProfile, Phase, Plan, PlanLang, PlanResource, TopicRef, Week, WeekTopic
from tutorbot.schemas import CatalogEntry

OVERFLOW = 0.10  # a week may exceed the budget by this fraction to finish a topic in one go
MIN_PIECE = 1.0  # hours: a week with less room left than this starts the next week instead
REVIEW_SHARE = 0.25  # a review slot takes this share of the topic's hours (at least one hour)
PREFERRED_KIND = {"code": "repository"}

TEXT = {
    "en": {
        "study": "Study {name}: {desc}", "continue": "Continue {name} (part {part}/{parts})",
        "project": "Project: {project}", "review": "Review {name}: revisit your notes and retake its quiz",
        "default_project": "Write a short notebook that demonstrates {names} end to end",
        "summary": "{weeks} weeks at {hours} h/week toward “{goal}”: {n} topics to learn.",
        "reviews": " {n} review slots for topics your quizzes found weak come first.",
        "known": " {n} topics you already know or have done are skipped.",
        "kept": " Weeks 1–{n} are kept as completed.",
        "short": " Not enough time: {n} topics ({h} h) are deferred; add weeks or hours per week to fit them.",
        "nothing": " You already know everything this goal needs.",
    },
    "zh": {
        "study": "学习{name}：{desc}", "continue": "继续学习{name}（第 {part}/{parts} 部分）",
        "project": "实践项目：{project}", "review": "复习{name}：回顾笔记并重新完成该主题测验",
        "default_project": "写一个小 notebook，完整演示{names}",
        "summary": "共 {weeks} 周，每周 {hours} 小时，目标“{goal}”：需学习 {n} 个主题。",
        "reviews": "先安排 {n} 次复习，针对测验中薄弱的主题。",
        "known": "已跳过 {n} 个你已掌握或已完成的主题。",
        "kept": "第 1–{n} 周作为已完成内容保留。",
        "short": "时间不够：{n} 个主题（约 {h} 小时）被推迟；增加周数或每周学习时间即可安排。",
        "nothing": "这个目标需要的内容你都已经掌握了。",
    },
}


class PlanError(TutorbotError, ValueError):
    """The profile or progress refers to something the curriculum does not have."""


class Piece(BaseModel):
    """Part of one topic scheduled in one week."""

    topic: str
    hours: float
    review: bool = False


@dataclass
class _Ctx:
    cur: Curriculum
    catalog: dict[str, CatalogEntry]
    profile: LearnerProfile
    used: set[str] = field(default_factory=set)  # resources already given, so weeks don't repeat them

    @property
    def lang(self) -> PlanLang:
        return self.profile.language

    def t(self, key: str, **values: object) -> str:
        return TEXT[self.lang][key].format(**values)

    def name(self, tid: str) -> str:
        return self.cur.topic(tid).name.get(self.lang)


def make_plan(profile: LearnerProfile, curriculum: Curriculum, catalog: list[CatalogEntry], *,
              done: Iterable[str] = (), weak: Iterable[str] = (), previous: Plan | None = None,
              now_week: int = 0) -> Plan:
    """A plan for ``profile``; with ``previous``, weeks before ``now_week`` are kept as they were."""
    done, weak = set(done), set(weak)
    check_ids(curriculum, known=profile.known, done=done, weak=weak)
    ctx = _Ctx(curriculum, {e.id: e for e in catalog}, profile)
    kept = [w for w in previous.weeks if w.week < now_week] if previous else []
    spent = _hours_spent(kept, curriculum)
    finished = _finished(curriculum, set(profile.known) | done, spent)
    targets = goal_targets(profile, curriculum)
    needed = (set(targets) | curriculum.ancestors(targets, stop=finished)) - finished
    order = curriculum.topo_order(needed, first=weak)  # weak topics not yet finished move earlier
    reviews = curriculum.topo_order(weak & finished)
    slots = _slots(curriculum, order, reviews, spent)
    packed, deferred = pack(slots, profile.hours_per_week, profile.weeks - len(kept), curriculum)
    ctx.used = {r.id for w in kept for r in w.resources}
    new_weeks = _build_weeks(packed, len(kept) + 1, kept, ctx)
    weeks = kept + new_weeks
    phases = _phases(weeks, ctx)
    skipped = len((set(targets) | curriculum.ancestors(targets)) & finished)
    return Plan(summary=_summary(ctx, weeks, order, reviews, deferred, skipped, len(kept)),
                language=ctx.lang, goal=profile.goal, hours_per_week=profile.hours_per_week,
                weeks_requested=profile.weeks, weeks=weeks, phases=phases,
                deferred=[TopicRef(id=t, name=ctx.name(t), hours=curriculum.topic(t).hours) for t in deferred])


def check_ids(cur: Curriculum, **groups: Iterable[str]) -> None:
    for label, ids in groups.items():
        if bad := sorted(set(ids) - set(cur.ids)):
            raise PlanError(f"{label} topics {bad} are not in the curriculum: use topic ids such as "
                            f"{cur.ids[0]!r} (see corpus/curriculum.yaml)")


def goal_targets(profile: LearnerProfile, cur: Curriculum) -> list[str]:
    """The topics a goal must reach; a research area narrows 'research' to that track or topic."""
    spec = cur.goals[profile.goal]
    if profile.goal != Goal.research or not profile.area:
        return spec.targets
    track = next((t for t in cur.track_mentions(profile.area) if t != "research"), None)
    if track is None and (exact := cur.match_track(profile.area)) and exact.id != "research":
        track = exact.id
    area = [t.id for t in cur.topics if track in t.tracks] if track else []
    if not area and (topic := cur.match(profile.area)):
        area = [topic.id]
    return list(dict.fromkeys(spec.area_base + area)) if area else spec.targets


def _hours_spent(weeks: list[Week], cur: Curriculum) -> dict[str, float]:
    spent: dict[str, float] = {}
    for t in (t for w in weeks for t in w.topics if not t.review and t.id in cur.ids):
        spent[t.id] = spent.get(t.id, 0.0) + t.hours
    return spent


def _finished(cur: Curriculum, declared: set[str], spent: dict[str, float]) -> set[str]:
    """Known, done and fully scheduled topics, plus everything they build on."""
    finished = declared | {t for t, h in spent.items() if h >= cur.topic(t).hours - 1e-6}
    return finished | cur.ancestors(finished)


def _slots(cur: Curriculum, order: list[str], reviews: list[str], spent: dict[str, float]) -> list[Piece]:
    """Review slots first (quizzes found these weak), then what is left of each topic to learn."""
    slots = [Piece(topic=t, hours=max(1.0, math.ceil(REVIEW_SHARE * cur.topic(t).hours)), review=True)
             for t in reviews]
    return slots + [Piece(topic=t, hours=cur.topic(t).hours - spent.get(t, 0.0)) for t in order]


def pack(slots: list[Piece], budget: float, max_weeks: int,
         cur: Curriculum) -> tuple[list[list[Piece]], list[str]]:
    """Fill weeks in order; a topic that would not finish within ``max_weeks`` is deferred with its
    dependents, and later topics that still fit go on. Review slots that don't fit are dropped."""
    weeks: list[list[Piece]] = []
    deferred: list[str] = []
    for slot in slots:
        blocked = bool(set(cur.topic(slot.topic).prereqs) & set(deferred))
        trial = None if blocked else _place([list(w) for w in weeks], slot, budget)
        if trial is not None and len(trial) <= max_weeks:
            weeks = trial
        elif not slot.review:
            deferred.append(slot.topic)
    return weeks, deferred


def _place(weeks: list[list[Piece]], slot: Piece, budget: float) -> list[list[Piece]]:
    left = slot.hours
    weeks = weeks or [[]]
    while left > 1e-9:
        room = budget - sum(p.hours for p in weeks[-1])
        if left <= room + OVERFLOW * budget:
            weeks[-1].append(slot.model_copy(update={"hours": left}))
            left = 0.0
        elif room >= min(MIN_PIECE, budget):
            weeks[-1].append(slot.model_copy(update={"hours": room}))
            left -= room
        else:
            weeks.append([])
    return weeks


def _build_weeks(packed: list[list[Piece]], start: int, kept: list[Week], ctx: _Ctx) -> list[Week]:
    # Part numbers continue from the kept weeks, so "part 3/4" stays true after a re-plan.
    done_parts = Counter(t.id for w in kept for t in w.topics if not t.review)
    parts = done_parts + Counter(p.topic for w in packed for p in w if not p.review)
    seen = Counter(done_parts)
    weeks = []
    for n, pieces in enumerate(packed, start):
        topics = []
        for p in pieces:
            seen[p.topic] += not p.review
            topics.append(WeekTopic(id=p.topic, name=ctx.name(p.topic), hours=round(p.hours, 2), review=p.review,
                                    part=1 if p.review else seen[p.topic],
                                    parts=1 if p.review else parts[p.topic]))
        weeks.append(_week(n, topics, ctx))
    return weeks


def _week(n: int, topics: list[WeekTopic], ctx: _Ctx) -> Week:
    resources: list[PlanResource] = []
    tasks: list[str] = []
    for t in topics:
        for r in _pick_resources(t, ctx):
            if r.id not in {x.id for x in resources}:
                resources.append(r)
        tasks += _tasks(t, ctx)
    return Week(week=n, hours=round(sum(t.hours for t in topics), 2), topics=topics,
                resources=resources, tasks=tasks, checkpoint=_checkpoint(topics))


def _pick_resources(t: WeekTopic, ctx: _Ctx) -> list[PlanResource]:
    """Catalog entries for this piece: preferred kinds, then the plan's language, then curriculum order."""
    entries = [ctx.catalog[r] for r in ctx.cur.topic(t.id).resources if r in ctx.catalog]
    wanted = {PREFERRED_KIND.get(k, k) for k in ctx.profile.preferred_kinds}

    def rank(item: tuple[int, CatalogEntry]) -> tuple:
        i, e = item
        return (e.kind not in wanted, e.language != ctx.lang and e.language != "mixed", i)

    ranked = [e for _, e in sorted(enumerate(entries), key=rank)]
    limit = 1 if t.review else 3 if t.part == 1 else 2
    chosen = [e for e in ranked if e.id not in ctx.used][:limit] or ranked[:1]
    ctx.used |= {e.id for e in chosen}
    return [PlanResource(id=e.id, title=e.title, url=e.url, kind=e.kind, topic=t.id) for e in chosen]


def _tasks(t: WeekTopic, ctx: _Ctx) -> list[str]:
    topic = ctx.cur.topic(t.id)
    if t.review:
        return [ctx.t("review", name=t.name)]
    tasks = [ctx.t("study", name=t.name, desc=topic.description.get(ctx.lang)) if t.part == 1
             else ctx.t("continue", name=t.name, part=t.part, parts=t.parts)]
    if t.part == t.parts:
        tasks += [ctx.t("project", project=p.get(ctx.lang)) for p in topic.projects]
    return tasks


def _checkpoint(topics: list[WeekTopic]) -> str | None:
    """Quiz the biggest topic finished this week, else the biggest one studied, else a review."""
    for pool in ([t for t in topics if not t.review and t.part == t.parts],
                 [t for t in topics if not t.review], topics):
        if pool:
            return max(pool, key=lambda t: t.hours).id
    return None


def _phases(weeks: list[Week], ctx: _Ctx) -> list[Phase]:
    """Consecutive weeks whose main topic shares a track form a phase, ending with a project."""
    phases: list[Phase] = []
    for w in weeks:
        main = max(w.topics, key=lambda t: (not t.review, t.hours))
        track = ctx.cur.topic(main.id).tracks[0] if main.id in ctx.cur.ids else ctx.cur.tracks[0].id
        learned = [t.id for t in w.topics if not t.review]
        if phases and phases[-1].track == track:
            phases[-1].last_week = w.week
            phases[-1].topics += [t for t in learned if t not in phases[-1].topics]
        else:
            info = ctx.cur.track(track)
            phases.append(Phase(title=info.name.get(ctx.lang), track=track, first_week=w.week,
                                last_week=w.week, topics=learned, project="", tips=info.tip.get(ctx.lang)))
    for ph in phases:
        ph.project = _phase_project(ph, weeks, ctx)
    return phases


def _phase_project(phase: Phase, weeks: list[Week], ctx: _Ctx) -> str:
    """The project of the last topic finished in the phase, else a small integration exercise."""
    finished = [t.id for w in weeks if phase.first_week <= w.week <= phase.last_week
                for t in w.topics if not t.review and t.part == t.parts and t.id in ctx.cur.ids]
    with_projects = [t for t in finished if ctx.cur.topic(t).projects]
    if with_projects:
        return ctx.cur.topic(with_projects[-1]).projects[0].get(ctx.lang)
    names = ", ".join(ctx.name(t) for t in phase.topics if t in ctx.cur.ids)
    return ctx.t("default_project", names=names or ctx.cur.track(phase.track).name.get(ctx.lang))


def _summary(ctx: _Ctx, weeks: list[Week], order: list[str], reviews: list[str], deferred: list[str],
             skipped: int, kept: int) -> str:
    taught = [t for t in order if t not in deferred]
    goal = ctx.cur.goals[ctx.profile.goal].name.get(ctx.lang)
    text = ctx.t("summary", weeks=len(weeks), hours=ctx.profile.hours_per_week, goal=goal, n=len(taught))
    if reviews:
        text += ctx.t("reviews", n=len(reviews))
    if skipped:
        text += ctx.t("known", n=skipped)
    if kept:
        text += ctx.t("kept", n=kept)
    if deferred:
        hours = sum(ctx.cur.topic(t).hours for t in deferred)
        text += ctx.t("short", n=len(deferred), h=round(hours))
    if not order and not reviews:
        text += ctx.t("nothing")
    return text
