"""`tutorbot search`, `ask`, `eval`: retrieval and grounded answers from the command line."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tutorbot.cli.core import USAGE, _guard, app, container, echo_json, eval_app, fail, guard

if TYPE_CHECKING:
    from tutorbot.container import Container


@app.command()
def search(question: str, top_k: int = typer.Option(5, "--top-k", "-k", min=1, max=50),
           mode: str = typer.Option("", help="hybrid (default), or a stage of it: bm25, dense, second, rrf, balanced, "
                                             "scoped."),
           as_json: bool = typer.Option(False, "--json")):
    """Show the chunks retrieval returns for a question."""
    from tutorbot.chat.service import cut_question

    question, cut_from = _guard(lambda: cut_question(question))  # exactly as chat would retrieve with it
    say_cut(cut_from)
    from tutorbot.retrieval.retriever import MODES

    if mode and mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}", USAGE)
    hits = _guard(lambda: container().retriever.search(question, k=top_k, mode=mode or None))
    if as_json:
        return echo_json([h.as_json() for h in hits])
    for i, h in enumerate(hits, 1):
        typer.echo(f"[{i}] {h.score:.4f} {h.chunk.source} :: {h.chunk.section}\n    {h.chunk.text[:200]!r}")


HALF_HELP = "tune, heldout or all: the half of a question set (split by kind, language and id hash)."


def _questions(qa: Path, half: str):
    from tutorbot.chat.evaluate import load_qa, split

    return _guard(lambda: split(load_qa(qa), half))


@eval_app.command("retrieval")
def eval_retrieval(qa: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL questions."),
                   half: str = typer.Option("all", help=HALF_HELP), top_k: int = typer.Option(10, "--top-k"),
                   mode: str = typer.Option("", help="Only this mode (a stage of hybrid, or hybrid)."),
                   as_json: bool = typer.Option(False, "--json")):
    """hit@1, hit@5 and MRR per retriever stage, overall, per language, per kind and per kind/language."""
    from tutorbot.chat.evaluate import eval_retrieval as run
    from tutorbot.retrieval.retriever import MODES

    questions = _questions(qa, half)
    if mode and mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}")
    r = container().retriever
    if not any(c.kind == "linked" for c in r.chunks):  # an index without the linked pages cannot answer them
        questions = [q for q in questions if q.kind != "linked"]
    modes = [mode] if mode else r.modes()
    report = {m: _guard(lambda m=m: run(r, questions, k=top_k, mode=m)) for m in modes}
    if as_json:
        return echo_json(report)
    typer.echo(f"{'mode':8} {'group':22} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for m, res in report.items():
        for group, v in res.items():
            if isinstance(v, dict):
                typer.echo(f"{m:8} {group:22} {v['n']:>3} {v['hit@1']:>6.2f} {v['hit@5']:>6.2f} {v['mrr']:>6.2f}")


@eval_app.command("grounding")
def eval_grounding(qa: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL questions."),
                   half: str = typer.Option("all", help=HALF_HELP), as_json: bool = typer.Option(False, "--json")):
    """Share of not-covered questions refused, of answerable ones refused, of off-topic ones refused."""
    from tutorbot.chat.evaluate import eval_grounding as run

    questions = _questions(qa, half)
    c = container()
    if not any(ch.kind == "linked" for ch in c.retriever.chunks):
        questions = [q for q in questions if q.kind != "linked"]
    report = _guard(lambda: run(c.chat, questions))
    if as_json:
        echo_json(report)
        return
    for k, v in report.items():
        typer.echo(f"{k}: {v}")


@eval_app.command("answers")
def eval_answers(qa: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL questions with keys."),
                 off_topic: bool = typer.Option(False, help="Also ask 20 off-topic questions (must be refused)."),
                 as_json: bool = typer.Option(False, "--json")):
    """Correct (every key group in the answer), refused, degenerate, dropped sentences, citations valid,
    time to the first shown text and to done: per kind and language, through the whole chain."""
    from tutorbot.chat.answer_eval import KeyedQA, evaluate, summary
    from tutorbot.chat.evaluate import OFF_TOPIC, load_qa

    rows = _guard(lambda: load_qa(qa, KeyedQA))
    if off_topic:
        rows += [KeyedQA(id=f"off{i}", kind="not-covered", question=q) for i, q in enumerate(OFF_TOPIC)]
    outcomes = _guard(lambda: evaluate(container().chat, rows))
    report = summary(outcomes)
    if as_json:
        return echo_json({"summary": report, "answers": [o.model_dump() for o in outcomes]})
    typer.echo(f"{'group':24} {'n':>3} {'correct':>8} {'degen':>6} {'dropped':>8} {'cites ok':>9} {'first s':>8}")
    for name, r in report.items():
        typer.echo(f"{name:24} {r['n']:>3} {r['correct']:>8.2f} {r['degenerate']:>6} {r['dropped']:>8} "
                   f"{r['citations_valid']:>9.2f} {r['first_text_p50_s'] or '-':>8}")


@app.command()
def ask(question: str, conversation: str | None = typer.Option(None, "--conversation"),
        language: str = typer.Option("auto", help="auto, zh or en"), as_json: bool = typer.Option(False, "--json")):
    """Ask a question; the answer streams with numbered citations."""
    c = container()
    answer = None
    with guard():
        asks_next = c.chat.asks_what_next(question)  # the local learner's plan answers it
        user = c.store.get_or_create_local_user().id if conversation or asks_next else None
        conv_id = _conversation(c, user, conversation) if user is not None and conversation else None
        for ev in c.chat.ask_stream(question, user_id=user, conversation_id=conv_id, language=language):
            if ev.kind == "delta" and not as_json:
                typer.echo(ev.text, nl=False)
            answer = ev.answer or answer
    if answer is None:
        fail("no answer came back: run `tutorbot doctor` to check the model server", 1)
    say_cut(answer.question_cut_from)
    if as_json:
        return echo_json(answer.model_dump(include={"answer", "citations", "language", "grounded", "error",
                                                  "question_cut_from"}))
    typer.echo(f"\n\n--- answer (checked) ---\n{answer.answer}")
    for cit in answer.citations:
        typer.echo(f"[{cit.n}] {cit.title} > {cit.section} {' '.join(cit.urls[:3])}")
        typer.echo(f"    {' '.join(cit.text.split())[:160]}")
    if c.chat.offers_plan(question, user):  # as the web page offers one: the same question gets the same offer
        typer.echo("tip: for a study plan fitted to your background, goal and weekly hours, run "
                   f"`tutorbot plan --text {shlex.quote(question)}`", err=True)


def say_cut(cut_from: int) -> None:
    """On stderr, so the answer on stdout stays the answer (and --json stays JSON)."""
    from tutorbot.chat.service import MAX_QUESTION_CHARS

    if cut_from:
        typer.echo(f"note: your question was cut to the first {MAX_QUESTION_CHARS:,} characters "
                   f"(it had {cut_from:,})", err=True)


def _conversation(c: Container, user: int, name: str) -> str:
    """A conversation by id or title; a new one (titled ``name``) the first time it is named."""
    conv, created = c.conversations.find_or_create(user, name, name)
    if created:
        typer.echo(f"(new conversation '{name}', id {conv.id}; continue it with --conversation {name})", err=True)
    return conv.id
