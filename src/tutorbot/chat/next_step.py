"""Chat stage, the learner's own next step: "what should I study next?" answered from their plan.

The roadmaps say where anyone begins; only the learner's plan and progress say where they are. A
learner with a plan who asks what to do next (``scope.asks_what_next``) gets the plan's current week
(the first with a topic not marked done): its unfinished topics, the resources the plan gives each,
cited by the roadmap section that recommends them, and the quiz reviews due. Composed from stored
data, never model text; a learner without a plan gets the roadmaps' starting points instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from tutorbot.plans.models import Plan, PlanResource, Week, WeekTopic
from tutorbot.schemas import Answer, AnswerPart, CatalogEntry, Citation, GateReport

TEXT = {
    "en": {"week": "You are in week {week} of your {weeks}-week plan ({hours} h a week). Still to do:",
           "topic": "- **{name}** ({hours} h)", "review": "- **{name}** (review, {hours} h)",
           "project": "- **{name}** (project, {hours} h)", "with": ": {resources}",
           "due": "{n} quiz review(s) are due now: the Quiz tab or `tutorbot review` asks them.",
           "mark": "Mark a topic done in the Plan tab (or `tutorbot mark TOPIC`) and the plan moves on to the next.",
           "finished": "Every topic of your plan is marked done. A quiz keeps them fresh; for a further goal, "
                       "make a new plan in the Plan tab or with `tutorbot plan`."},
    "zh": {"week": "你在学习计划的第 {week} 周（共 {weeks} 周，每周 {hours} 小时）。还要完成：",
           "topic": "- **{name}**（{hours} 小时）", "review": "- **{name}**（复习，{hours} 小时）",
           "project": "- **{name}**（项目，{hours} 小时）", "with": "：{resources}",
           "due": "现在有 {n} 张测验复习卡到期：在“测验”页或用 `tutorbot review` 复习。",
           "mark": "在“计划”页（或用 `tutorbot mark 主题`）把主题标为已完成，计划就会进入下一个主题。",
           "finished": "你计划里的主题都已标为完成。做一次测验可以巩固；想学得更远，在“计划”页或用 "
                       "`tutorbot plan` 制定新的计划。"},
}


@dataclass(frozen=True)
class Standing:
    """Where a learner stands: their plan, the topics they marked done or known, the reviews due."""

    plan: Plan
    done: set[str]
    due: int = 0


def next_step_answer(standing: Standing, lang: str, catalog: Mapping[str, CatalogEntry],
                     name_of: Callable[[str, str], str]) -> Answer:
    """The learner's next step as a composed, cited answer in ``lang``."""
    s, citations = TEXT["zh" if lang == "zh" else "en"], list[Citation]()
    lines = _week_lines(standing, s, lambda topic: name_of(topic, lang), catalog, citations)
    if standing.due:
        lines.append(s["due"].format(n=standing.due))
    text = "\n".join(lines)
    return Answer(answer=text, citations=citations, language=lang, grounded=True, query="",
                  parts=[AnswerPart(text=text, origin="composed")], gate=GateReport())


def _week_lines(standing: Standing, s: dict[str, str], name: Callable[[str], str],
                catalog: Mapping[str, CatalogEntry], citations: list[Citation]) -> list[str]:
    plan, done = standing.plan, standing.done
    if (week := plan.week_at(done)) is None:
        return [s["finished"]]
    head = s["week"].format(week=week.week, weeks=len(plan.weeks), hours=plan.hours_per_week)
    topics = [_topic_line(t, week, s, name(t.id), catalog, citations) for t in week.topics if t.id not in done]
    return [head, *topics, s["mark"]]


def _topic_line(topic: WeekTopic, week: Week, s: dict[str, str], name: str, catalog: Mapping[str, CatalogEntry],
                citations: list[Citation]) -> str:
    kind = "review" if topic.review else "project" if topic.project else "topic"
    line = s[kind].format(name=name, hours=f"{topic.hours:g}")
    marks = [_cite(r, catalog, citations) for r in week.resources if r.topic == topic.id]
    return line + (s["with"].format(resources="; ".join(marks)) if marks else "")


def _cite(resource: PlanResource, catalog: Mapping[str, CatalogEntry], citations: list[Citation]) -> str:
    """``resource`` as "title [n]", its citation the roadmap section recommending it (added once)."""
    n = next((c.n for c in citations if c.title == resource.title), len(citations) + 1)
    if n > len(citations):
        entry = catalog.get(resource.id)
        ref = entry.refs[0] if entry and entry.refs else None
        citations.append(Citation(n=n, source=ref.roadmap if ref else "", section=ref.section if ref else "",
                                  title=resource.title, urls=[resource.url] if resource.url else [],
                                  text=entry.description if entry else ""))
    return f"{resource.title} [{n}]"
