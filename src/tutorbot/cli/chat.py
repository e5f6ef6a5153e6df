"""`tutorbot search`, `ask`, `eval`: retrieval and grounded answers from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tutorbot.cli.core import _guard, app, container, echo_json, eval_app, fail, guard

if TYPE_CHECKING:
    from tutorbot.container import Container


@app.command()
def search(question: str, top_k: int = typer.Option(5, "--top-k", "-k", min=1, max=50),
           mode: str = typer.Option("", help="hybrid, bm25 or dense (default from settings)."),
           as_json: bool = typer.Option(False, "--json")):
    """Show the chunks retrieval returns for a question."""
    from tutorbot.chat.service import clean_question

    question = _guard(lambda: clean_question(question))  # the question exactly as chat would retrieve with it
    if mode and mode not in ("hybrid", "bm25", "dense"):
        fail("--mode must be hybrid, bm25 or dense")
    hits = _guard(lambda: container().retriever.search(question, k=top_k, mode=mode or None))
    if as_json:
        return echo_json([h.as_json() for h in hits])
    for i, h in enumerate(hits, 1):
        typer.echo(f"[{i}] {h.score:.4f} {h.chunk.source} :: {h.chunk.section}\n    {h.chunk.text[:200]!r}")


@eval_app.command("retrieval")
def eval_retrieval(qa: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL questions."),
                   top_k: int = typer.Option(10, "--top-k"), mode: str = typer.Option("", help="Only this mode."),
                   as_json: bool = typer.Option(False, "--json")):
    """hit@1, hit@5 and MRR per retriever, overall and per language."""
    from tutorbot.chat.evaluate import eval_retrieval as run
    from tutorbot.chat.evaluate import load_qa

    questions = _guard(lambda: load_qa(qa))
    r = container().retriever
    modes = [mode] if mode else ["bm25", "dense", "hybrid"]
    report = {m: _guard(lambda m=m: run(r, questions, k=top_k, mode=m)) for m in modes}
    if as_json:
        return echo_json(report)
    typer.echo(f"{'mode':8} {'lang':4} {'n':>3} {'hit@1':>6} {'hit@5':>6} {'MRR':>6}")
    for m, res in report.items():
        for lang, v in res.items():
            if isinstance(v, dict):
                typer.echo(f"{m:8} {lang:4} {v['n']:>3} {v['hit@1']:>6.2f} {v['hit@5']:>6.2f} {v['mrr']:>6.2f}")


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
        user = c.store.get_or_create_local_user().id if conversation else None
        conv_id = _conversation(c, user, conversation) if user is not None and conversation else None
        for ev in c.chat.ask_stream(question, user_id=user, conversation_id=conv_id, language=language):
            if ev.kind == "delta" and not as_json:
                typer.echo(ev.text, nl=False)
            answer = ev.answer or answer
    if answer is None:
        fail("no answer came back: run `tutorbot doctor` to check the model server", 1)
    if as_json:
        return echo_json(answer.model_dump(include={"answer", "citations", "language", "grounded", "error"}))
    typer.echo(f"\n\n--- answer (checked) ---\n{answer.answer}")
    for cit in answer.citations:
        typer.echo(f"[{cit.n}] {cit.title} > {cit.section} {' '.join(cit.urls[:3])}")
        typer.echo(f"    {' '.join(cit.text.split())[:160]}")


def _conversation(c: Container, user: int, name: str) -> str:
    """A conversation by id or title; a new one (titled ``name``) the first time it is named."""
    conv, created = c.conversations.find_or_create(user, name, name)
    if created:
        typer.echo(f"(new conversation '{name}', id {conv.id}; continue it with --conversation {name})", err=True)
    return conv.id
