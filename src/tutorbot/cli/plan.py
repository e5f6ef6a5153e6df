"""`tutorbot plan`, `tutorbot coverage` and `tutorbot eval plans`: study plans from a profile file or free text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from pydantic import ValidationError

from tutorbot.cli.core import USAGE, app, container, echo_json, eval_app, fail, guard

LABELS = {"language": "language", "hours_per_week": "hours/week", "weeks": "weeks", "goal": "goal", "area": "area",
          "depth": "depth",
          "known": "known", "learn": "to learn", "preferred_kinds": "prefers", "not_covered": "not covered"}


def _read_profile(path: Path):
    from tutorbot.plans.models import LearnerProfile

    try:
        return LearnerProfile.model_validate_json(path.read_text(encoding="utf-8-sig"))  # Windows editors add a BOM
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", USAGE)
    except ValidationError as exc:
        e = exc.errors()[0]
        fail(f"{path}: {'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']} (see README: profile format)", USAGE)


def plan_json(plan) -> dict:
    """The documented JSON shape (plus phases, guidance and where each part of the advice came from)."""
    return {"summary": plan.summary, "language": plan.language, "overview": plan.overview,
            "guidance": plan.guidance, "guidance_parts": plan.guidance_parts, "goal_week": plan.goal_week,
            "not_covered": plan.not_covered, "condensed": plan.condensed,
            "weeks": [{"week": w.week, "hours": w.hours, "topics": [t.name for t in w.topics],
                       "topic_ids": [t.id for t in w.topics],
                       "resources": [{"title": r.title, "url": r.url, "kind": r.kind} for r in w.resources],
                       "tasks": w.tasks, "checkpoint": w.checkpoint} for w in plan.weeks],
            "phases": [p.model_dump() for p in plan.phases],
            "deferred": [d.model_dump() for d in plan.deferred]}


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def _today(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else date.today()
    except ValueError:
        fail(f"--today {value!r}: give a date as YYYY-MM-DD")


def _print_understood(rows) -> None:
    typer.echo("understood (correct any field with --known/--learn/--goal/--area/--weeks/--hours/--depth):")
    for r in rows:
        said = f'  ← "{r.evidence}"' if r.evidence else ""
        typer.echo(f"  {LABELS[r.field]:<12} {r.value}  [{r.source}]{said}")


@app.command()
def plan(profile: Path | None = typer.Option(None, "--profile", help="Learner profile JSON (see README)."),
         text: str | None = typer.Option(None, "--text", help="Free-text self-description instead."),
         known: str | None = typer.Option(None, "--known", help="Topics you know, comma-separated ids or names "
                                                                "(replaces what was read)."),
         learn: str | None = typer.Option(None, "--learn", help="Topics you want to learn, comma-separated."),
         goal: str | None = typer.Option(None, "--goal", help="Goal id, e.g. build_llm_apps or research."),
         area: str | None = typer.Option(None, "--area", help="Research area (goal research)."),
         weeks: int | None = typer.Option(None, "--weeks", min=1, max=104, help="Plan length in weeks."),
         hours: int | None = typer.Option(None, "--hours", min=1, max=80, help="Study hours per week."),
         no_fill: bool = typer.Option(False, "--no-fill", help="Stop when the goal is reached."),
         depth: str | None = typer.Option(None, "--depth", help="full (hands-on) or overview (concepts only)."),
         today: str | None = typer.Option(None, "--today", help="Date that 'till March' counts from (YYYY-MM-DD)."),
         no_llm: bool = typer.Option(False, "--no-llm", help="Deterministic only (no model reading or advice)."),
         as_json: bool = typer.Option(False, "--json")):
    """Make a personalised study plan from the roadmaps' resources."""
    if (profile is None) == (text is None):
        fail("give exactly one of --profile FILE.json or --text \"...\"", USAGE)
    from tutorbot.plans.models import ProfileDraft
    from tutorbot.plans.understood import override, understood

    c = container()
    changes = {"known": _split(known), "learn": _split(learn), "goal": goal, "area": area, "weeks": weeks,
               "hours_per_week": hours, "fill_weeks": False if no_fill else None, "depth": depth}
    with guard():
        svc = c.plans
        svc.today = lambda: _today(today)
        if text is not None:
            draft = svc.draft(text, refine=not no_llm)
        else:  # every field the file gives is the learner's own
            given = _read_profile(profile)  # type: ignore[arg-type]
            draft = override(ProfileDraft(), c.curriculum, **{f: getattr(given, f) for f in given.model_fields_set})
        draft = override(draft, c.curriculum, **changes)
        rows = understood(draft, c.curriculum, draft.language)
        if not as_json:
            _print_understood(rows)
        learner = draft.to_profile()
        user = c.store.get_or_create_local_user().id
        result = svc.create(user, learner, guidance=not no_llm)
    if as_json:
        return echo_json(plan_json(result) | {"understood": [r.model_dump() for r in rows]})
    from tutorbot.plans.export import plan_to_markdown

    typer.echo(plan_to_markdown(result))


@app.command()
def mark(topic: str = typer.Argument(..., help="Curriculum topic id or name (zh/en), e.g. transformer."),
         status: str = typer.Argument("done", help="done, known, or clear (removes the mark).")):
    """Mark a topic of your plan done or known, or clear the mark: the weeks ahead are planned again."""
    if status not in ("done", "known", "clear"):
        fail(f"status {status!r}: use done, known or clear", USAGE)
    c = container()
    with guard():
        user = c.store.get_or_create_local_user().id
        plan = c.plans.mark(user, topic, None if status == "clear" else status)
        found = c.curriculum.match(topic)
    name = c.curriculum.name_of(found.id, plan.language if plan else "en") if found else topic
    typer.echo(f"{name}: {'mark cleared' if status == 'clear' else status}")
    if plan is None:
        return typer.echo("no plan yet: make one with `tutorbot plan`")
    from tutorbot.plans.service import done_topics

    week = c.plans.current_week(plan, done_topics(c.plans.marks(user)))
    typer.echo(f"the plan was updated; you are in week {week} of {len(plan.weeks)} "
               "(`tutorbot ask \"What should I study next?\"` lists what is left in it)")


@eval_app.command("plans")
def eval_plans(profiles: Path = typer.Option(..., "--profiles", help="JSON list of learner descriptions "
                                                                     "(README: plan quality)."),
               no_llm: bool = typer.Option(False, "--no-llm", help="Parser and planner only (no model)."),
               today: str | None = typer.Option(None, "--today", help="Default date for relative deadlines."),
               as_json: bool = typer.Option(False, "--json")):
    """Plan quality per learner description: fields read, budget used, known topics skipped, expected topics."""
    from tutorbot.plans.evaluate import evaluate_file, report_table

    c = container()
    with guard():
        report = evaluate_file(profiles, c.plans, use_llm=not no_llm, today=_today(today))
    if as_json:
        return echo_json(report.model_dump())
    typer.echo(report_table(report))


@app.command()
def coverage(as_json: bool = typer.Option(False, "--json")):
    """Which catalog resources no topic uses, and which roadmap sections no topic covers."""
    from tutorbot.curriculum.coverage import coverage as run

    c = container()
    with guard():
        report = run(c.curriculum, c.catalog, c.index.all_chunks())
    if as_json:
        return echo_json(report.model_dump())
    typer.echo(f"unused resources ({len(report.unused_resources)}): {', '.join(report.unused_resources) or '-'}")
    typer.echo(f"uncovered sections ({len(report.uncovered_sections)}):")
    for doc, section in report.uncovered_sections:
        typer.echo(f"  {doc} :: {section}")
