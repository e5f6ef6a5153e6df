"""`tutorbot quiz`, `review`, `export-anki` and `eval quizzes`: quizzes and flashcards in the terminal.

Registered on the ``cli.app`` Typer app when this module is imported (``cli.main`` does that).
Without ``--json`` the questions are asked one by one; each answer is graded, logged and
scheduled at once, and the feedback shows the right answer, the sentence that explains it and
the source link. ``--week N`` makes the checkpoint quiz of week N of the learner's plan, from that
week's resources. ``review --self`` shows due cards as flashcards rated again/hard/good/easy and
``export-anki --topic`` exports one topic: both through ``quiz.cards.CardDesk``, as the UI does.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tutorbot.cli.core import USAGE, app, container, echo_json, eval_app, fail, guard
from tutorbot.learner.srs import SELF_RATINGS
from tutorbot.quiz.grade import AnswerError
from tutorbot.quiz.models import Feedback, Quiz


def _service():
    c = container()
    return c.quizzes, c.store.get_or_create_local_user().id


@app.command()
def quiz(topic: str = typer.Option("", "--topic", "-t", help="Curriculum topic id or name (zh/en), or free text."),
         week: int = typer.Option(0, "--week", "-w", help="Checkpoint quiz of this week of your plan, from its "
                                  "resources (instead of --topic)."),
         n: int = typer.Option(5, "--n", "-n", help="Number of questions (1-20)."),
         types: str = typer.Option("", "--types", help="Comma-separated: mcq,tf,short,blank (default: all)."),
         language: str = typer.Option("auto", "--language", help="auto, zh or en."),
         as_json: bool = typer.Option(False, "--json", help="Print the quiz as JSON instead of asking it."),
         sure: bool = typer.Option(False, "--sure", help="Before each answer is graded, say how sure you are "
                                   "(1-4): confident and wrong comes back sooner, unsure and right too.")):
    """Quiz yourself on a topic; every answer key is checked against the passage it cites."""
    if bool(topic) == bool(week):
        fail("give exactly one of --topic TOPIC or --week N (a week of your plan: see `tutorbot plan`)", USAGE)
    with guard():
        c = container()
        svc, user = c.quizzes, c.store.get_or_create_local_user().id
        sources = _week_sources(c, user, week) if week else None
        topic = sources[0] if sources else topic
        made = svc.make_quiz(user, topic, n, types or None, language, sources=sources[1] if sources else None)
    if as_json:
        return echo_json(made.public())
    typer.echo(f"Quiz on {made.topic_name}: {len(made.questions)} questions "
               f"({made.mix.model} from the model, {made.mix.rule} from the sources)")
    _ask_all(svc, user, made, ask_rating=False, ask_sure=sure)


def _week_sources(c, user: int, week: int) -> tuple[str, list[str]]:
    """(checkpoint topic, resource URLs) of a week of the learner's plan."""
    from tutorbot.errors import InputError

    plan = c.plans.current(user)
    found = next((w for w in plan.weeks if w.week == week), None) if plan else None
    if found is None or not (found.checkpoint or found.topics):
        raise InputError(f"no week {week} with a checkpoint in your plan: make one with `tutorbot plan`")
    return found.checkpoint or found.topics[0].id, [r.url for r in found.resources if r.url]


@app.command()
def review(n: int = typer.Option(10, "--n", "-n", help="At most this many due cards (1-20)."),
           self_rated: bool = typer.Option(False, "--self", help="Flashcards: see the answer, rate your own "
                                           "recall again/hard/good/easy (no typed answer)."),
           as_json: bool = typer.Option(False, "--json", help="Print the due questions as JSON."),
           sure: bool = typer.Option(False, "--sure", help="Say how sure you are (1-4) before each answer is "
                                     "graded, instead of rating your recall after it.")):
    """Review the cards that are due (spaced repetition)."""
    if self_rated:
        return _flashcards(n)
    with guard():
        svc, user = _service()
        due = svc.review_quiz(user, n)
    if as_json:
        return echo_json(due.public())
    if not due.questions:
        return _nothing_due(svc, user)
    review_reasons(svc, user, due)
    _ask_all(svc, user, due, ask_rating=not sure, ask_sure=sure)


def review_reasons(svc, user: int, quiz: Quiz) -> None:
    """Why these cards come back: the repeated mistakes on their topics and the prerequisites to review first
    (the same lines the Quiz tab opens a review with)."""
    lines = [r.reason for r in svc.progress.patterns(user, "en", {q.topic for q in quiz.questions})]
    first = [svc.cur.name_of(tid, "en") for tid in svc.progress.weak_prereqs(user)]
    lines += ["Review first: " + ", ".join(first)] if first else []
    if lines:
        typer.echo("Why this review:\n" + "\n".join(f"  - {line}" for line in lines))


def _nothing_due(svc, user: int) -> None:
    nxt = svc.next_due(user)
    typer.echo("Nothing is due." + (f" Next card due {nxt:%Y-%m-%d %H:%M} UTC." if nxt else
                                    " Take a quiz first: tutorbot quiz --topic TOPIC"))


def _flashcards(n: int) -> None:
    """Due cards one at a time: the question, Enter shows the answer, the learner rates their recall."""
    with guard():
        svc, user = _service()
        due = svc.cards.due(user, n)
    if not due:
        return _nothing_due(svc, user)
    for i, card in enumerate(due, 1):
        typer.echo(f"\n[{i}/{len(due)}] {card.front}")
        typer.prompt("Enter shows the answer", default="", show_default=False)
        typer.echo(f"  {card.back}" + (f"\n  source: {card.source_url}" if card.source_url else ""))
        with guard():
            nxt = svc.cards.rate(user, card.question_id, _rating(required=True) or "good")
        typer.echo(f"  next review {nxt:%Y-%m-%d %H:%M} UTC")


@app.command("export-anki")
def export_anki(file: Path = typer.Argument(..., help="Output .apkg file (or .md for a Markdown study sheet)."),
                topic: str = typer.Option("", "--topic", "-t", help="Only this topic's cards (a topic id).")):
    """Export your review cards as an Anki deck (.apkg) or as Markdown (.md)."""
    with guard():
        svc, user = _service()
        cards = len(svc.cards.export_cards(user, topic or None))
        if file.suffix.lower() == ".md":
            file.write_text(svc.cards.export_markdown(user, topic or None), encoding="utf-8")
        else:
            svc.cards.export_anki(user, file, topic or None)
    typer.echo(f"exported {cards} cards to {file}")


def _ask_all(svc, user: int, quiz: Quiz, ask_rating: bool, ask_sure: bool = False) -> None:
    scores = []
    for i, q in enumerate(quiz.questions, 1):
        typer.echo(f"\n[{i}/{len(quiz.questions)}] {q.question}")
        for letter, option in zip("ABCD", q.options, strict=False):
            typer.echo(f"  {letter}. {option}" if q.type == "mcq" else f"  - {option}")
        feedback = _ask_one(svc, user, quiz, q.id, ask_rating, ask_sure)
        if feedback is not None:
            scores.append(feedback.score)
            _show(feedback)
    if scores:
        typer.echo("\n" + score_line(scores))
    if scores and svc.finish(user, quiz.id):
        typer.echo("Your study plan was updated: weak topics got review slots (see `tutorbot plan`).")


def score_line(scores: list[float]) -> str:
    """Points (partial credit counts) and how many answers were fully right, never mixed in one fraction."""
    points, n = sum(scores), len(scores)
    right = sum(s >= 1.0 for s in scores)
    return (f"Score: {points:.1f} of {n} points ({round(100 * points / n)}%); "
            f"{right} of {n} answers fully right")


def _ask_one(svc, user: int, quiz: Quiz, question_id: str, ask_rating: bool,
             ask_sure: bool = False) -> Feedback | None:
    while True:
        answer = typer.prompt("Your answer (Enter skips)", default="", show_default=False)
        if not answer.strip():
            return None
        sure = _sure() if ask_sure else None  # asked before grading: the learner has not seen the verdict
        rating = _rating() if ask_rating else None
        try:
            return svc.submit(user, quiz.id, question_id, answer, self_rating=rating, confidence=sure)
        except AnswerError as exc:  # the learner can fix this one: ask again
            typer.echo(f"  {exc}")
        except ValueError as exc:
            fail(str(exc), USAGE)


def _sure() -> int | None:
    while True:
        said = typer.prompt("How sure are you? 1 guessing, 2 unsure, 3 fairly sure, 4 certain (Enter skips)",
                            default="", show_default=False).strip()
        if said in ("1", "2", "3", "4") or not said:
            return int(said) if said else None
        typer.echo("  type 1, 2, 3 or 4, or press Enter")


def _rating(required: bool = False) -> str | None:
    hint = "" if required else " (Enter = from the grade)"
    while True:
        rating = typer.prompt(f"How did recalling it feel? again/hard/good/easy{hint}",
                              default="", show_default=False).strip().lower()
        if rating in SELF_RATINGS or (not rating and not required):
            return rating or None
        typer.echo(f"  type one of {', '.join(SELF_RATINGS)}" + ("" if required else ", or press Enter"))


def _show(fb: Feedback) -> None:
    verdict = "correct" if fb.correct else "partly right" if fb.score >= 0.5 else "not quite"
    typer.echo(f"  -> {verdict} (score {fb.score:.2f}); answer: {fb.answer}")
    for kp in fb.key_points:
        typer.echo(f"     [{'x' if kp.covered else ' '}] {kp.point}")
    if fb.comment:
        typer.echo(f"     {fb.comment}")
    typer.echo(f"     {fb.explanation}\n     source: {fb.source_link}  (next review {fb.due:%Y-%m-%d %H:%M} UTC)")


@eval_app.command("quizzes")
def eval_quizzes(topics: str = typer.Option("", "--topics", help="Comma-separated topic ids (default: ten "
                                            "across the tracks)."),
                 n: int = typer.Option(5, "--n", "-n", help="Questions per quiz."),
                 languages: str = typer.Option("en,zh", "--languages", help="Quiz languages: en, zh or both."),
                 model: bool = typer.Option(True, "--model/--no-model", help="Let the model write questions too."),
                 as_json: bool = typer.Option(False, "--json", help="Every item as JSON.")):
    """Quiz quality per item: type, source kind, key supported, duplicate, language (a quiz per topic, language)."""
    from tutorbot.quiz.evaluate import DEFAULT_TOPICS, evaluate_quizzes

    with guard():
        c = container()
        svc = c.quizzes
        if not model:
            svc.assembler.writer = None
        wanted = [t.strip() for t in topics.split(",") if t.strip()] or list(DEFAULT_TOPICS)
        langs = [x.strip() for x in languages.split(",") if x.strip()]
        report = evaluate_quizzes(svc.draft, svc.retriever.by_id.get, wanted, n, langs)
    if as_json:
        return echo_json(report.model_dump() | {"summary": {lang: report.summary(lang) for lang in langs}})
    _print_eval(report, langs)


def _print_eval(report, langs: list[str]) -> None:
    typer.echo(f"{'topic':22} {'lang':4} {'type':5} {'level':13} {'source':13} {'key':3} {'dup':3} {'lng':3}  question")
    for r in report.items:
        flags = " ".join("yes" if f else "no " for f in (r.key_supported, r.duplicate, r.language_ok))
        typer.echo(f"{r.topic[:22]:22} {r.language:4} {r.type:5} {r.level:13} {r.source_kind:13} {flags}  "
                   f"{r.question[:90]}")
    for lang in [*langs, None]:
        typer.echo(f"summary {lang or 'all'}: {report.summary(lang)}")
    for e in report.errors:
        typer.echo(f"error: {e}")
