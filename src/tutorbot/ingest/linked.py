"""Linked material glue: catalog URLs → ``links.fetch_links`` → linked Documents for ingestion,
and the link cache → per-URL status for ``catalog --dead`` and the Library view.

Provenance comes from the catalog: each page records which roadmap sections linked to it
("<roadmap> > <section>"), so citations of linked chunks can say where the recommendation was.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from tutorbot.ingest.catalog import build_catalog, load_named
from tutorbot.ingest.corpus import load_corpus
from tutorbot.ingest.links import FetchReport, dead_links, fetch_links
from tutorbot.ingest.links.cache import LinkCache
from tutorbot.schemas import CatalogEntry
from tutorbot.settings import Settings

LinkState = Literal["ok", "dead", "unfetched", "pending"]


class LinkStatus(BaseModel):
    """How a catalog link fared on its last fetch, as the Library view shows it."""

    state: LinkState = "unfetched"
    http_status: int | None = None
    reason: str = ""
    last_success: datetime | None = None


def linked_from(entries: list[CatalogEntry]) -> dict[str, list[str]]:
    return {e.url: [f"{r.roadmap} > {r.section}" if r.section else r.roadmap for r in e.refs]
            for e in entries if e.url}


def catalog_links(entries: list[CatalogEntry]) -> tuple[list[str], dict[str, list[str]]]:
    """The http(s) URLs the roadmaps link to, and where they link to each.

    Links tutorbot added (``url_source="tutorbot"``) are left out on purpose: the linked pages are
    the roadmaps' recommendations, the network allow-list and an offline mirror's manifest are
    built from those, and a page nobody linked should not start being fetched because it has a name.
    """
    urls = [e.url for e in entries
            if e.url and e.url_source == "roadmap" and e.url.startswith(("http://", "https://"))]
    return urls, linked_from(entries)


def fetch_catalog_links(settings: Settings, corpus_dir: Path, *, mirror: Path | None = None,
                        refresh: bool = False, progress=None) -> FetchReport:
    documents = load_corpus(corpus_dir, settings.index.max_file_bytes).documents
    urls, sources = catalog_links(build_catalog(documents, load_named(corpus_dir / "named_resources.yaml")))
    return fetch_links(urls, settings.links, settings.paths.links, mirror=mirror or settings.links.mirror,
                       refresh=refresh, linked_from=sources, progress=progress)


def dead_link_report(settings: Settings) -> list[dict]:
    return [r.model_dump(mode="json") for r in dead_links(settings.paths.links)]


def link_statuses(settings: Settings, pending: Collection[str] = ()) -> dict[str, LinkStatus]:
    """Normalised URL → last fetch outcome, from the link cache; empty before the first fetch.

    "dead" means what ``catalog --dead`` means (the last fetch failed), even when an older
    good copy is still indexed; ``last_success`` then says how old that copy is. URLs in
    ``pending`` (the background job has not reached them yet) read "pending", with what the
    cache knows about their last fetch.
    """
    found = {r.url: LinkStatus(state="dead" if r.status == "error" else "ok", http_status=r.http_status,
                               reason=r.reason, last_success=r.last_success)
             for r in LinkCache(settings.paths.links).records()}
    for url in pending:
        found[url] = found.get(url, LinkStatus()).model_copy(update={"state": "pending"})
    return found
