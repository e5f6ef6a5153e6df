"""`tutorbot plan` and `tutorbot coverage`: study plans from a profile file or free text."""

from __future__ import annotations

from pathlib import Path

import typer
from pydantic import ValidationError

from tutorbot.cli.core import USAGE, app, container, echo_json, fail, guard


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
    """The documented JSON shape (plus phases and guidance)."""
    return {"summary": plan.summary, "language": plan.language, "overview": plan.overview,
            "guidance": plan.guidance,
            "weeks": [{"week": w.week, "hours": w.hours, "topics": [t.name for t in w.topics],
                       "topic_ids": [t.id for t in w.topics],
                       "resources": [{"title": r.title, "url": r.url, "kind": r.kind} for r in w.resources],
                       "tasks": w.tasks, "checkpoint": w.checkpoint} for w in plan.weeks],
            "phases": [p.model_dump() for p in plan.phases],
            "deferred": [d.model_dump() for d in plan.deferred]}


@app.command()
def plan(profile: Path | None = typer.Option(None, "--profile", help="Learner profile JSON (see README)."),
         text: str | None = typer.Option(None, "--text", help="Free-text self-description instead."),
         no_llm: bool = typer.Option(False, "--no-llm", help="Deterministic only (no guidance text)."),
         as_json: bool = typer.Option(False, "--json")):
    """Make a personalised study plan from the roadmaps' resources."""
    if (profile is None) == (text is None):
        fail("give exactly one of --profile FILE.json or --text \"...\"", USAGE)
    c = container()
    with guard():
        svc = c.plans
        if text is not None:
            draft = svc.draft(text, refine=not no_llm)
            learner = svc.profile_from_draft(draft)
            if not as_json:
                typer.echo(f"understood: {learner.model_dump_json()}")
        elif profile is not None:
            learner = _read_profile(profile)
        user = c.store.get_or_create_local_user().id
        result = svc.create(user, learner, guidance=not no_llm)
    if as_json:
        return echo_json(plan_json(result))
    from tutorbot.plans.export import plan_to_markdown

    typer.echo(plan_to_markdown(result))


@app.command()
def coverage(as_json: bool = typer.Option(False, "--json")):
    """Which catalog resources no topic uses, and which roadmap sections no topic covers."""
    from tutorbot.curriculum.graph import coverage as run

    c = container()
    with guard():
        report = run(c.curriculum, c.catalog, c.index.all_chunks())
    if as_json:
        return echo_json(report.model_dump())
    typer.echo(f"unused resources ({len(report.unused_resources)}): {', '.join(report.unused_resources) or '-'}")
    typer.echo(f"uncovered sections ({len(report.uncovered_sections)}):")
    for doc, section in report.uncovered_sections:
        typer.echo(f"  {doc} :: {section}")
