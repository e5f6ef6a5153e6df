"""`tutorbot` command line: a thin router over the container's services.

Every command builds settings → container, calls one service, and prints text or ``--json``.
Known failures (bad settings, empty index, LLM down, bad input) exit 2 with a one-line message
that names the fixing command; no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from .settings import Settings, SettingsError, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="tutorbot: study LLMs and generative models.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval and answer quality.")
user_app = typer.Typer(no_args_is_help=True, help="Manage learner accounts (needed when the UI is not on 127.0.0.1).")
app.add_typer(eval_app, name="eval")
app.add_typer(user_app, name="user")


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))
    except (ValueError, OSError) as exc:  # a group variable that is not JSON, a data dir path the OS refuses
        fail(f"invalid settings: {exc}; fix the TUTORBOT_* variable (or .env / tutorbot.toml entry) it names")


def container(**kw):
    from .container import Container

    return Container(settings(), **kw)


def echo_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command("serve-llm")
def serve_llm(model: str = typer.Option("", help="Model id/path (GPU profile); default: bundled SmolLM2."),
              device: str = typer.Option("", help="cpu or gpu (default from settings)."),
              tensor_parallel_size: int = typer.Option(0, help="GPU: --tensor-parallel-size."),
              gpu_memory_utilization: float = typer.Option(0.0, help="GPU: --gpu-memory-utilization."),
              prepare_only: bool = typer.Option(False, help="Only convert the bundled model, then exit.")):
    """Start vLLM's OpenAI-compatible server (own venv) and wait until it answers."""
    from . import serve
    from .llm import LLMError, OpenAICompatClient

    s = settings()
    if model:
        s.serve.model_path = model
    if device:
        s.serve.device = device  # type: ignore[assignment]
    if tensor_parallel_size:
        s.serve.tensor_parallel_size = tensor_parallel_size
    if gpu_memory_utilization:
        s.serve.gpu_memory_utilization = gpu_memory_utilization
    try:
        if prepare_only:
            typer.echo(serve.ensure_model(s))
            return
        proc = serve.start(s)
        serve.wait_ready(OpenAICompatClient(s.llm), proc, s.serve.startup_timeout_s, serve.log_file(s))
    except (serve.ServeError, LLMError) as exc:
        fail(str(exc))
    typer.echo(f"vLLM ready at {s.llm.base_url} serving {s.llm.model} (Ctrl-C stops it)")
    try:
        proc.wait()
    except KeyboardInterrupt:
        serve.stop(proc, s)


@app.command()
def ingest(corpus_dir: Optional[Path] = typer.Argument(None, help="Corpus directory (default: corpus/)."),
           rebuild: bool = typer.Option(False, help="Drop the index and start from scratch."),
           follow_links: bool = typer.Option(False, help="Also fetch and index the linked pages."),
           mirror: Optional[Path] = typer.Option(None, help="Offline mirror dir with manifest.json."),
           refresh: bool = typer.Option(False, help="Revalidate cached linked pages.")):
    """Index the corpus into Chroma (incremental) and build the resource catalog."""
    if corpus_dir is not None and not corpus_dir.is_dir():
        fail(f"corpus directory {corpus_dir} does not exist")
    c = container()
    from tqdm import tqdm

    with guard(), tqdm(total=0, unit="doc", desc="ingest", disable=not sys.stderr.isatty()) as bar:
        linked = _fetch_linked(c, corpus_dir, mirror, refresh) if follow_links else None

        def progress(doc_id: str, i: int, n: int) -> None:
            bar.total = n
            bar.update(1)
        report = c.ingest(corpus_dir=corpus_dir, rebuild=rebuild, linked=linked, progress=progress)
    for line in report.skipped:
        typer.echo(f"skipped {line}")
    for line in report.merged:
        typer.echo(f"merged {line}")
    typer.echo(report.summary())


def _fetch_linked(c, corpus_dir, mirror, refresh):
    from .linked import fetch_catalog_links

    report = fetch_catalog_links(c.settings, corpus_dir or c.settings.corpus_dir, mirror=mirror, refresh=refresh)
    bad = [r for r in report.results if r.status == "error"]
    typer.echo(f"linked pages: {len(report.documents)} indexed, {len(bad)} failed (see `tutorbot catalog --dead`)")
    return report.documents


@app.command()
def search(question: str, top_k: int = typer.Option(5, "--top-k", "-k", min=1, max=50),
           mode: str = typer.Option("", help="hybrid, bm25 or dense (default from settings)."),
           as_json: bool = typer.Option(False, "--json")):
    """Show the chunks retrieval returns for a question."""
    from .chat import clean_question

    question = _guard(lambda: clean_question(question))  # the question exactly as chat would retrieve with it
    if mode and mode not in ("hybrid", "bm25", "dense"):
        fail("--mode must be hybrid, bm25 or dense")
    hits = _guard(lambda: container().retriever.search(question, k=top_k, mode=mode or None))
    if as_json:
        return echo_json([h.as_json() for h in hits])
    for i, h in enumerate(hits, 1):
        typer.echo(f"[{i}] {h.score:.4f} {h.chunk.source} :: {h.chunk.section}\n    {h.chunk.text[:200]!r}")


@app.command()
def catalog(kind: Optional[str] = typer.Option(None), topic: Optional[str] = typer.Option(None),
            dead: bool = typer.Option(False, help="Only links whose last fetch failed."),
            as_json: bool = typer.Option(False, "--json")):
    """List the resources the roadmaps recommend."""
    from typing import get_args

    from .catalog import filter_catalog
    from .schemas import ResourceKind

    if kind is not None and kind not in get_args(ResourceKind):
        fail(f"--kind must be one of {', '.join(get_args(ResourceKind))}")
    c = container()
    if dead:  # from the link cache: works before the first ingest too
        from .linked import dead_link_report

        rows = dead_link_report(c.settings)
        if as_json:
            return echo_json(rows)
        for r in rows:
            typer.echo(f"{r['url']}  {r['reason']}  last ok: {r.get('last_success') or '-'}")
        return
    entries = _guard(lambda: filter_catalog(c.catalog, kind=kind, topic=topic))
    if as_json:
        return echo_json([e.model_dump() for e in entries])
    for e in entries:
        typer.echo(f"{e.kind:13} {e.title[:60]:60} {e.url or '(no link)'}")


@eval_app.command("retrieval")
def eval_retrieval(qa: Path = typer.Option(..., exists=True, dir_okay=False, help="JSONL questions."),
                   top_k: int = typer.Option(10, "--top-k"), mode: str = typer.Option("", help="Only this mode."),
                   as_json: bool = typer.Option(False, "--json")):
    """hit@1, hit@5 and MRR per retriever, overall and per language."""
    from .evaluate import eval_retrieval as run, load_qa

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
def eval_answers(qa: Path = typer.Option(..., exists=True, dir_okay=False), as_json: bool = typer.Option(False, "--json")):
    """Citations, citation precision, off-topic refusals and time to first token, through the whole chain."""
    from .evaluate import eval_answers as run, load_qa

    report = _guard(lambda: run(container().chat, load_qa(qa)))
    echo_json(report) if as_json else [typer.echo(f"{k}: {v}") for k, v in report.items()]


@app.command()
def ask(question: str, conversation: Optional[str] = typer.Option(None, "--conversation"),
        language: str = typer.Option("auto", help="auto, zh or en"), as_json: bool = typer.Option(False, "--json")):
    """Ask a question; the answer streams with numbered citations."""
    c = container()
    answer = None
    with guard():
        user = c.store.get_or_create_local_user().id if conversation else None
        conv_id = _conversation(c.store, user, conversation) if conversation else None
        for ev in c.chat.ask_stream(question, user_id=user, conversation_id=conv_id, language=language):
            if ev.kind == "delta" and not as_json:
                typer.echo(ev.text, nl=False)
            answer = ev.answer or answer
    if as_json:
        return echo_json(answer.model_dump(include={"answer", "citations", "language", "grounded", "error"}))
    typer.echo(f"\n\n--- answer (checked) ---\n{answer.answer}")
    for cit in answer.citations:
        typer.echo(f"[{cit.n}] {cit.title} > {cit.section} {' '.join(cit.urls[:3])}")
        typer.echo(f"    {' '.join(cit.text.split())[:160]}")


def _conversation(store, user: int, name: str) -> str:
    """A conversation by id or title; a new one (titled ``name``) the first time it is named."""
    for conv in store.list_conversations(user):
        if name in (conv.id, conv.title):
            return conv.id
    conv = store.create_conversation(user, name)
    typer.echo(f"(new conversation '{name}', id {conv.id}; continue it with --conversation {name})", err=True)
    return conv.id


@contextmanager
def guard():
    """Turn the errors users can fix into one-line messages (exit 2), never tracebacks."""
    from sqlalchemy.exc import ArgumentError

    from .chat import ChatInputError
    from .index import IndexEmpty
    from .links.mirror import MirrorError
    from .links.models import LinkError
    from .llm import LLMError
    from .store import StoreError

    try:
        yield
    except (IndexEmpty, LLMError, ChatInputError, ValueError, FileNotFoundError, StoreError, MirrorError,
            LinkError) as exc:
        fail(str(exc))
    except ArgumentError as exc:  # the learner DB opens lazily, so a malformed URL surfaces here
        fail(f"TUTORBOT_DATABASE_URL is not a valid SQLAlchemy URL ({exc})")


def _guard(fn):
    with guard():
        return fn()


def main() -> None:
    app()


# The remaining commands live in their own modules and register themselves on `app`; they import
# this module, so they are imported last.
from . import cli_more, cli_plan, cli_quiz  # noqa: E402,F401
