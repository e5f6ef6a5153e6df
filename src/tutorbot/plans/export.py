"""Plan export: a ``Plan`` as a Markdown document the learner can keep.

Stage: planner/plan_writer → **plan_export**. Headings follow the plan's language; links are
the catalog URLs stored in the plan (named-only resources are shown without a link).
"""

from __future__ import annotations

from tutorbot.plans.models import Phase, Plan, PlanResource, Week

LABELS: dict[str, dict] = {
    "en": {"title": "Study plan", "overview": "Overview", "order": "Why this order", "phase": "Phase",
           "weeks": "weeks", "week": "Week", "hours": "h", "topics": "Topics", "resources": "Resources",
           "tasks": "Tasks", "checkpoint": "Checkpoint quiz", "project": "Phase project", "tips": "Tips",
           "deferred": "Deferred (not enough time)", "review": "review", "part": "part", "colon": ":",
           "kinds": {}},
    "zh": {"title": "学习计划", "overview": "概览", "order": "为什么这样安排", "phase": "阶段",
           "weeks": "周", "week": "第 {n} 周", "hours": "小时", "topics": "主题", "resources": "资源",
           "tasks": "任务", "checkpoint": "检查测验", "project": "阶段项目", "tips": "建议",
           "deferred": "推迟的主题（时间不足）", "review": "复习", "part": "部分", "colon": "：",
           "kinds": {"course": "课程", "paper": "论文", "blog": "博客", "repository": "代码库", "video": "视频",
                     "book": "书籍", "documentation": "文档", "site": "网站"}},
}


def plan_to_markdown(plan: Plan) -> str:
    """The whole plan: summary, guidance, then each phase with its weeks, then deferred topics."""
    lab = LABELS[plan.language]
    out = [f"# {lab['title']}", "", plan.summary, ""]
    if plan.overview:
        out += [f"## {lab['overview']}", "", plan.overview, ""]
    if plan.guidance:
        out += [f"## {lab['order']}", "", plan.guidance, ""]
    phases = plan.phases or [Phase(title="", track="", first_week=1, last_week=10**6, topics=[], project="")]
    for i, phase in enumerate(phases, 1):
        out += _phase(i, phase, [w for w in plan.weeks if phase.first_week <= w.week <= phase.last_week], lab)
    if plan.deferred:
        out += [f"## {lab['deferred']}", ""]
        out += [f"- {d.name} (~{_num(d.hours)} {lab['hours']})" for d in plan.deferred] + [""]
    return "\n".join(out).rstrip() + "\n"


def _phase(n: int, phase: Phase, weeks: list[Week], lab: dict) -> list[str]:
    out: list[str] = []
    if phase.title:
        span = f"{phase.first_week}–{phase.last_week}" if phase.last_week > phase.first_week else phase.first_week
        out += [f"## {lab['phase']} {n}{lab['colon']}{phase.title} ({lab['weeks']} {span})", ""]
        if phase.tips:
            out += [f"*{lab['tips']}{lab['colon']}* {phase.tips}", ""]
    for w in weeks:
        out += _week(w, lab)
    if phase.project:
        out += [f"**{lab['project']}{lab['colon']}** {phase.project}", ""]
    return out


def _week(w: Week, lab: dict) -> list[str]:
    title = lab["week"].format(n=w.week) if "{n}" in lab["week"] else f"{lab['week']} {w.week}"
    names = {t.id: t.name for t in w.topics}
    topics = [t.name + (f" ({lab['review']})" if t.review else
                        f" ({lab['part']} {t.part}/{t.parts})" if t.parts > 1 else "")
              + f" – {_num(t.hours)} {lab['hours']}" + (f" ({t.because})" if t.because else "") for t in w.topics]
    colon = lab["colon"]
    out = [f"### {title} · {_num(w.hours)} {lab['hours']}", "", f"**{lab['topics']}{colon}**"]
    out += [f"- {t}" for t in topics]
    if w.resources:
        out += ["", f"**{lab['resources']}{colon}**"] + [f"- {_resource(r, lab)}" for r in w.resources]
    if w.tasks:
        out += ["", f"**{lab['tasks']}{colon}**"] + [f"- [ ] {t}" for t in w.tasks]
    if w.checkpoint:
        out += ["", f"**{lab['checkpoint']}{colon}** {names.get(w.checkpoint, w.checkpoint)}"]
    return out + [""]


def _resource(r: PlanResource, lab: dict) -> str:
    title = r.title.replace("[", "\\[").replace("]", "\\]")
    kind = lab["kinds"].get(r.kind, r.kind)
    return f"[{title}]({r.url}) ({kind})" if r.url else f"{title} ({kind})"


def _num(x: float) -> str:
    return f"{x:g}"
