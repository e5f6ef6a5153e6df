"""`tutorbot ingest`, `index rebuild`, `catalog`, `fetch-links`: the corpus into the index, the resource
catalog; the mirror option and the progress lines of `up`'s background indexing of the linked pages."""

from __future__ import annotations

import shutil
import sys
import threading
from pathlib import Path

import typer

from tutorbot.cli.core import USAGE, _guard, app, container, echo_json, fail, guard, settings
from tutorbot.schemas import ResourceKind

index_app = typer.Typer(no_args_is_help=True, help="The vector index (Chroma) built from the corpus.")
app.add_typer(index_app, name="index")

LINKED_EVERY_S = 5.0  # `up`: the background job's progress line, at most this often


@app.command()
def ingest(corpus_dir: Path | None = typer.Argument(None, help="Corpus directory (default: corpus/)."),
           rebuild: bool = typer.Option(False, help="Drop the index and start from scratch."),
           follow_links: bool = typer.Option(False, help="Also fetch and index the linked pages."),
           mirror: Path | None = typer.Option(None, help="Offline mirror dir with manifest.json "
                                           "(default: TUTORBOT_LINKS_MIRROR)."),
           refresh: bool = typer.Option(False, help="Revalidate cached linked pages."),
           as_json: bool = typer.Option(False, "--json", help="Print the report as JSON (counts, skipped, merged).")):
    """Index the corpus into Chroma (incremental) and build the resource catalog."""
    if corpus_dir is not None and not corpus_dir.is_dir():
        fail(f"corpus directory {corpus_dir} does not exist", USAGE)
    c = container()
    from tqdm import tqdm

    with guard(), tqdm(total=0, unit="doc", desc="ingest", disable=not sys.stderr.isatty()) as bar:
        linked = _fetch_linked(c, corpus_dir, mirror, refresh) if follow_links else None

        def progress(doc_id: str, i: int, n: int) -> None:
            bar.total = n
            bar.update(1)
        report = c.ingest(corpus_dir=corpus_dir, rebuild=rebuild, linked=linked, progress=progress)
    if as_json:
        return echo_json(report.model_dump())
    for line in report.skipped:
        typer.echo(f"skipped {line}")
    for line in report.merged:
        typer.echo(f"merged {line}")
    for line in report.warnings:
        typer.echo(f"warning: {line}", err=True)
    typer.echo(report.summary())


@index_app.command("rebuild")
def index_rebuild(follow_links: bool = typer.Option(False, help="Also index the linked pages (from the cache)."),
                  mirror: Path | None = typer.Option(None, help="Offline mirror dir with manifest.json.")):
    """Delete the index and build it again from the corpus: the fix for an index `doctor` reports
    damaged. Learner data (accounts, chats, plans, quizzes) is in another file and is not touched."""
    s = settings()
    if not s.index.chroma_host and s.paths.chroma.exists():
        # Opening a damaged index can crash the vector store's native code: remove it unopened.
        shutil.rmtree(s.paths.chroma)
        typer.echo(f"removed {s.paths.chroma}")
    ingest(corpus_dir=None, rebuild=True, follow_links=follow_links, mirror=mirror, refresh=False)


def _fetch_linked(c, corpus_dir, mirror, refresh):
    from tutorbot.ingest.linked import fetch_catalog_links

    report = fetch_catalog_links(c.settings, corpus_dir or c.settings.corpus_dir, mirror=mirror, refresh=refresh)
    bad = [r for r in report.results if r.status == "error"]
    typer.echo(f"linked pages: {len(report.documents)} indexed, {len(bad)} failed (see `tutorbot catalog --dead`)",
               err=True)  # progress, not the result: stdout stays the report (and valid JSON with --json)
    return report.documents


@app.command()
def catalog(kind: str | None = typer.Option(None), topic: str | None = typer.Option(None),
            dead: bool = typer.Option(False, help="Only links whose last fetch failed."),
            as_json: bool = typer.Option(False, "--json")):
    """List the resources the roadmaps recommend."""
    from typing import cast, get_args

    from tutorbot.ingest.catalog import filter_catalog

    if kind is not None and kind not in get_args(ResourceKind):
        fail(f"--kind must be one of {', '.join(get_args(ResourceKind))}", USAGE)
    c = container()
    if dead:  # from the link cache: works before the first ingest too
        from tutorbot.ingest.linked import dead_link_report

        rows = dead_link_report(c.settings)
        if as_json:
            return echo_json(rows)
        for r in rows:
            typer.echo(f"{r['url']}  {r['reason']}  last ok: {r.get('last_success') or '-'}")
        return
    entries = _guard(lambda: filter_catalog(c.catalog, kind=cast(ResourceKind | None, kind), topic=topic))
    if as_json:
        return echo_json([e.model_dump() for e in entries])
    for e in entries:
        added = " (link added by tutorbot)" if e.url_source == "tutorbot" else ""
        typer.echo(f"{e.kind:13} {e.title[:60]:60} {e.url or '(no link)'}{added}")


@app.command("fetch-links")
def fetch_links_cmd(mirror: Path | None = typer.Option(None, help="Offline mirror dir with manifest.json "
                                                       "(default: TUTORBOT_LINKS_MIRROR)."),
                    refresh: bool = typer.Option(False, help="Revalidate cached pages (conditional requests)."),
                    as_json: bool = typer.Option(False, "--json")):
    """Fetch (or read from a mirror) every page the catalog links to, into the cache; index with
    `tutorbot ingest --follow-links`."""
    from tutorbot.ingest.linked import fetch_catalog_links

    s = settings()
    with guard():
        report = fetch_catalog_links(s, s.corpus_dir, mirror=mirror, refresh=refresh)
    if as_json:
        return echo_json([r.model_dump(mode="json") for r in report.results])
    for r in report.results:
        typer.echo(f"{r.status:12} {r.url}  {r.reason}")
    typer.echo(f"{report.counts()}")


def use_mirror(s, mirror: Path | None) -> None:
    """--mirror overrides TUTORBOT_LINKS_MIRROR; either must be a readable mirror (checked before any work)."""
    from tutorbot.ingest.links import Mirror

    s.links.mirror = mirror or s.links.mirror
    if s.links.mirror is not None:
        Mirror.load(s.links.mirror)


def watch_linked(job, s, watch: threading.Event) -> threading.Thread:
    """A progress line whenever the background job's counts change (at most every few seconds), and its end."""
    where = f"the mirror {s.links.mirror}" if s.links.mirror else "the network"
    typer.echo(f"linked pages: fetching and indexing {job.progress().total} in the background from {where}")

    def run() -> None:
        last = ""
        while not watch.wait(LINKED_EVERY_S):
            p = job.progress()
            if (line := p.line()) != last:
                typer.echo(line)
                last = line
            if p.state not in ("idle", "running"):
                if p.unreachable:
                    typer.echo("why each unreachable page failed: `tutorbot catalog --dead` or the Library")
                return

    thread = threading.Thread(target=run, daemon=True, name="linked-watch")
    thread.start()
    return thread
