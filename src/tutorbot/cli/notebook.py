"""`tutorbot mistakes` and `tutorbot notebook`: the learner model in the terminal.

Registered on the ``cli.app`` Typer app when this module is imported (``cli.main`` does that).
`mistakes` prints the repeated error patterns per topic with their review reasons and the unmastered
prerequisites they point to (``learner.progress.Progress``, as the Progress tab shows them);
`notebook` lists the missed questions with their explaining passage (``quiz.notebook.Notebook``, as
the Quiz tab's notebook shows them), asks one again (``--ask ID``) or runs the ten-minute session
of due cards and notebook entries (``--session``), graded like any quiz.
"""

from __future__ import annotations

import typer

from tutorbot.cli.core import USAGE, app, echo_json, fail, guard
from tutorbot.cli.quiz import _ask_all, _service, review_reasons
from tutorbot.lang import Language


def _lang(lang: str) -> Language:
    if lang not in ("en", "zh"):
        fail(f"--lang must be en or zh, got {lang!r}", USAGE)
    return "zh" if lang == "zh" else "en"


@app.command()
def mistakes(lang: str = typer.Option("en", "--lang", help="Language of the reasons: en or zh."),
             as_json: bool = typer.Option(False, "--json", help="Print the patterns as JSON.")):
    """Your repeated mistakes per topic, why to review them, and the prerequisites to review first."""
    with guard():
        svc, user = _service()
        rows = svc.progress.patterns(user, _lang(lang))
        first = [svc.cur.name_of(tid, lang) for tid in svc.progress.weak_prereqs(user)]
    if as_json:
        return echo_json({"patterns": [r.model_dump() for r in rows], "review_first": first})
    if not rows:
        return typer.echo("No repeated mistakes yet: a mistake made twice on a topic shows up here.")
    for r in rows:
        typer.echo(f"- {r.topic} [{r.kind}, {r.count}x]: {r.reason}")
    if first:
        typer.echo("Review first (prerequisites your mistakes point to): " + ", ".join(first))


@app.command()
def notebook(topic: str = typer.Option("", "--topic", "-t", help="Only this topic's questions (a topic id)."),
             ask: str = typer.Option("", "--ask", help="Ask this missed question again (its id from the list)."),
             session: bool = typer.Option(False, "--session", help="Review about 10 minutes: due cards first, "
                                          "then the notebook's missed questions."),
             as_json: bool = typer.Option(False, "--json", help="Print the notebook as JSON.")):
    """Your wrong-answer notebook: every missed question with the passage that explains it."""
    with guard():
        svc, user = _service()
        if ask or session:
            try:
                quiz = svc.notebook.reask(user, ask) if ask else svc.notebook.session(user)
            except KeyError as exc:
                fail(str(exc.args[0]), USAGE)
            if not quiz.questions:
                return typer.echo("Nothing to review: no card is due and the notebook has no open question.")
            review_reasons(svc, user, quiz)
            return _ask_all(svc, user, quiz, ask_rating=False)
        entries = svc.notebook.entries(user, topic or None)
    if as_json:
        return echo_json([e.model_dump(mode="json") for e in entries])
    if not entries:
        return typer.echo("The notebook is empty: questions you miss are kept here with their explanation.")
    for e in entries:
        typer.echo(f"\n[{e.question_id}] {e.question}{'  (fixed)' if e.fixed else ''}")
        typer.echo(f"  you: {e.given}   right: {e.answer}   missed {e.misses}x ({e.pattern or 'n/a'})")
        typer.echo(f"  {e.explanation}\n  source: {e.source_link}")
