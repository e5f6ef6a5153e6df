"""UI stage, Plan tab view: a ``Plan`` as HTML — milestones, then a week-by-week timeline table.

Every value is escaped; the only links are the catalog URLs the planner put in the plan.
Topic marks (done / already known) are shown as badges so progress is visible at a glance.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from tutorbot.plans.models import Phase, Plan, Week
from tutorbot.plans.understood import UnderstoodField
from tutorbot.ui.i18n import STRINGS, t
from tutorbot.ui.render import link_html

BADGE = {"done": "✔ ", "known": "★ "}


def plan_html(plan: Plan | None, marks: Mapping[str, str], lang: str) -> str:
    if plan is None:
        return f'<div class="tb-empty">{html.escape(t(lang, "plan.none"))}</div>'
    parts = [f'<div class="tb-plan"><p class="tb-plan-summary">{html.escape(plan.summary)}</p>']
    if plan.overview:
        parts.append(f'<p class="tb-plan-overview">{html.escape(plan.overview)}</p>')
    if plan.guidance:
        parts.append(f'<p class="tb-plan-guidance"><em>{html.escape(plan.guidance)}</em></p>')
    if plan.phases:
        parts.append(f'<h3>{html.escape(t(lang, "plan.phases"))}</h3><div class="tb-phases">')
        parts += [_phase(i, p, lang) for i, p in enumerate(plan.phases, 1)]
        parts.append("</div>")
    parts.append(_table(plan.weeks, marks, lang))
    if plan.deferred:
        items = "".join(f"<li>{html.escape(d.name)} (~{d.hours:g} h)</li>" for d in plan.deferred)
        parts.append(f'<h4>{html.escape(t(lang, "plan.deferred"))}</h4><ul>{items}</ul>')
    return "".join(parts) + "</div>"


def understood_html(rows: list[UnderstoodField], lang: str) -> str:
    """What was read from the learner's text, field by field: value, where it came from, their words."""
    if not rows:
        return ""
    heads = "".join(f"<th>{html.escape(t(lang, k))}</th>" for k in ("plan.u_field", "plan.u_value",
                                                                    "plan.u_source", "plan.u_evidence"))
    body = "".join(
        f'<tr data-field="{html.escape(r.field)}" data-source="{html.escape(r.source)}">'
        f"<td>{html.escape(t(lang, f'plan.f_{r.field}'))}</td><td>{html.escape(r.value)}</td>"
        f"<td>{html.escape(t(lang, f'plan.s_{r.source}'))}</td>"
        f"<td>{html.escape('“' + r.evidence + '”' if r.evidence else '')}</td></tr>" for r in rows)
    return (f'<div class="tb-understood"><p><b>{html.escape(t(lang, "plan.understood"))}</b></p>'
            f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></div>")


def _phase(n: int, phase: Phase, lang: str) -> str:
    span = t(lang, "plan.weeks_span", a=phase.first_week, b=phase.last_week)
    tips = f'<div class="tb-phase-tips">{html.escape(phase.tips)}</div>' if phase.tips else ""
    project = (f'<div class="tb-phase-project"><b>{html.escape(t(lang, "plan.project"))}:</b> '
               f"{html.escape(phase.project)}</div>") if phase.project else ""
    return (f'<div class="tb-phase"><div class="tb-phase-head"><span class="tb-phase-n">{n}</span>'
            f'{html.escape(phase.title)} <span class="tb-muted">· {html.escape(span)}</span></div>'
            f"{project}{tips}</div>")


def _table(weeks: list[Week], marks: Mapping[str, str], lang: str) -> str:
    heads = ("plan.week", "plan.topics", "plan.hours_col", "plan.resources", "plan.tasks", "plan.checkpoint")
    head = "".join(f"<th>{html.escape(t(lang, h))}</th>" for h in heads)
    rows = "".join(_row(w, marks, lang) for w in weeks)
    return f'<table class="tb-timeline"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _row(w: Week, marks: Mapping[str, str], lang: str) -> str:
    topics = "<br>".join(_topic(tp.id, tp.name, tp.review, tp.part, tp.parts, marks, lang) + _because(tp.because)
                         for tp in w.topics)
    resources = "<br>".join(
        f'{link_html(r.url, r.title)} <span class="tb-kind">{html.escape(t(lang, _kind_key(r.kind)))}</span>'
        for r in w.resources)
    tasks = "".join(f"<li>{html.escape(x)}</li>" for x in w.tasks)
    names = {tp.id: tp.name for tp in w.topics}
    check = html.escape(names.get(w.checkpoint or "", w.checkpoint or ""))
    return (f'<tr><td class="tb-week">{w.week}</td><td>{topics}</td><td>{w.hours:g}</td><td>{resources}</td>'
            f'<td><ul class="tb-tasks">{tasks}</ul></td><td>{check}</td></tr>')


def _topic(tid: str, name: str, review: bool, part: int, parts: int, marks: Mapping[str, str], lang: str) -> str:
    extra = f" ({t(lang, 'plan.review')})" if review else f" ({part}/{parts})" if parts > 1 else ""
    badge = BADGE.get(marks.get(tid, ""), "")
    return f'{badge}{html.escape(name + extra)}'


def _because(text: str) -> str:
    """Why a weak prerequisite comes first, under its name (plan text, escaped)."""
    return f'<br><span class="tb-muted tb-because">↳ {html.escape(text)}</span>' if text else ""


def _kind_key(kind: str) -> str:
    return f"kind.{kind}" if f"kind.{kind}" in STRINGS else "kind.site"
