"""`tutorbot quiz`, `review` and `export-anki`: quizzes and flashcards in the terminal.

Registered on the ``cli.app`` Typer app when this module is imported (``cli.main`` does that).
Without ``--json`` the questions are asked one by one; each answer is graded, logged and
scheduled at once, and the feedback shows the right answer, the explanation and the source link.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tutorbot.cli.core import USAGE, app, container, echo_json, fail, guard
from tutorbot.learner.srs import SELF_RATINGS
from tutorbot.quiz.grade import AnswerError
from tutorbot.quiz.models import Feedback, Quiz


def _service():
    c = container()
    return c.quizzes, c.store.get_or_create_local_user().id


@app.command()
def quiz(topic: str = typer.Option(..., "--topic", "-t", help="Curriculum topic id or name (zh/en), or free text."),
         n: int = typer.Option(5, "--n", "-n", help="Number of questions (1-20)."),
         types: str = typer.Option("", "--types", help="Comma-separated: mcq,tf,short,blank (default: all)."),
         language: str = typer.Option("auto", "--language", help="auto, zh or en."),
         as_json: bool = typer.Option(False, "--json", help="Print the quiz as JSON instead of asking it.")):
    """Quiz yourself on a topic; every answer key is checked against its roadmap source."""
    with guard():
        svc, user = _service()
        made = svc.make_quiz(user, topic, n, types or None, language)
    if as_json:
        return echo_json(made.public())
    typer.echo(f"Quiz on {made.topic_name}: {len(made.questions)} questions "
               f"({made.mix.model} from the model, {made.mix.rule} from roadmap facts)")
    _ask_all(svc, user, made, ask_rating=False)


@app.command()
def review(n: int = typer.Option(10, "--n", "-n", help="At most this many due cards (1-20)."),
           as_json: bool = typer.Option(False, "--json", help="Print the due questions as JSON.")):
    """Review the cards that are due (spaced repetition)."""
    with guard():
        svc, user = _service()
        due = svc.review_quiz(user, n)
    if as_json:
        return echo_json(due.public())
    if not due.questions:
        nxt = svc.next_due(user)
        return typer.echo("Nothing is due." + (f" Next card due {nxt:%Y-%m-%d %H:%M} UTC." if nxt else
                                                " Take a quiz first: tutorbot quiz --topic TOPIC"))
    _ask_all(svc, user, due, ask_rating=True)


@app.command("export-anki")
def export_anki(file: Path = typer.Argument(..., help="Output .apkg file (or .md for a Markdown study sheet).")):
    """Export your review cards as an Anki deck (.apkg) or as Markdown (.md)."""
    with guard():
        svc, user = _service()
        cards = len(svc.store.cards(user))
        if file.suffix.lower() == ".md":
            file.write_text(svc.export_markdown(user), encoding="utf-8")
        else:
            svc.export_anki(user, file)
    typer.echo(f"exported {cards} cards to {file}")


def _ask_all(svc, user: int, quiz: Quiz, ask_rating: bool) -> None:
    scores = []
    for i, q in enumerate(quiz.questions, 1):
        typer.echo(f"\n[{i}/{len(quiz.questions)}] {q.question}")
        for letter, option in zip("ABCD", q.options, strict=False):
            typer.echo(f"  {letter}. {option}" if q.type == "mcq" else f"  - {option}")
        feedback = _ask_one(svc, user, quiz, q.id, ask_rating)
        if feedback is not None:
            scores.append(feedback.score)
            _show(feedback)
    if scores:
        typer.echo(f"\nScore: {sum(scores):.1f} / {len(scores)} answered")
    if scores and svc.finish(user, quiz.id):
        typer.echo("Your study plan was updated: weak topics got review slots (see `tutorbot plan`).")


def _ask_one(svc, user: int, quiz: Quiz, question_id: str, ask_rating: bool) -> Feedback | None:
    while True:
        answer = typer.prompt("Your answer (Enter skips)", default="", show_default=False)
        if not answer.strip():
            return None
        rating = _rating() if ask_rating else None
        try:
            return svc.submit(user, quiz.id, question_id, answer, self_rating=rating)
        except AnswerError as exc:  # the learner can fix this one: ask again
            typer.echo(f"  {exc}")
        except ValueError as exc:
            fail(str(exc), USAGE)


def _rating() -> str | None:
    while True:
        rating = typer.prompt("How did recalling it feel? again/hard/good/easy (Enter = from the grade)",
                              default="", show_default=False).strip().lower()
        if not rating or rating in SELF_RATINGS:
            return rating or None
        typer.echo(f"  type one of {', '.join(SELF_RATINGS)}, or press Enter")


def _show(fb: Feedback) -> None:
    verdict = "correct" if fb.correct else "partly right" if fb.score >= 0.5 else "not quite"
    typer.echo(f"  -> {verdict} (score {fb.score:.2f}); answer: {fb.answer}")
    for kp in fb.key_points:
        typer.echo(f"     [{'x' if kp.covered else ' '}] {kp.point}")
    if fb.comment:
        typer.echo(f"     {fb.comment}")
    typer.echo(f"     {fb.explanation}\n     source: {fb.source_link}  (next review {fb.due:%Y-%m-%d %H:%M} UTC)")
