"""Linked material: fetch every roadmap link once, incrementally, into ``Document``s.

This is the stage's entry point. For each distinct (normalised) URL: serve it from the
cache when a good copy exists and no refresh is asked for; otherwise read it from the
mirror or the network (a refresh sends If-None-Match / If-Modified-Since), extract the
text, store it, and turn it into an untrusted ``Document`` with its provenance. Every
failure becomes a ``FetchResult`` reason; a failed refresh keeps serving the last good copy.
A background run passes a ``Revisit`` policy instead: good copies are revalidated once they are
old, failed pages are retried with back-off (meanwhile they are "skipped", their old copy kept).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from tutorbot.ingest.links.cache import LinkCache
from tutorbot.ingest.links.extract import extract, page_lang
from tutorbot.ingest.links.fetch import BudgetExhaustedError, Fetcher, RunLimits, make_client
from tutorbot.ingest.links.mirror import Mirror
from tutorbot.ingest.links.models import (
    CacheRecord,
    Extracted,
    FetchReport,
    FetchResult,
    FetchStatus,
    FetchTuning,
    LinkError,
    Page,
    Revisit,
    Source,
)
from tutorbot.ingest.links.requests import arxiv_pdf_url, plan_request, site_of, url_id
from tutorbot.ingest.links.safety import AllowList, Resolver, system_resolver
from tutorbot.schemas import Document
from tutorbot.settings import LinksSettings

log = logging.getLogger(__name__)
Progress = Callable[[FetchResult, int, int], None]
OnPage = Callable[[int, FetchResult, Document | None], None]  # (position in the plan, result, document)
GOOD = ("ok", "not_modified", "cached")


class Job(BaseModel):
    url: str
    raw: str
    linked_from: list[str] = []


class Outcome(BaseModel):
    result: FetchResult
    document: Document | None = None


class Run:
    """Everything one run needs; built inside the event loop, gone when it ends."""

    def __init__(self, cache: LinkCache, fetcher: Fetcher, mirror: Mirror | None, refresh: bool, pdf: bool,
                 revisit: Revisit | None = None) -> None:
        self.cache, self.fetcher, self.mirror, self.refresh, self.pdf = cache, fetcher, mirror, refresh, pdf
        self.revisit = revisit

    async def process(self, job: Job) -> Outcome:
        """One URL, start to end; never raises."""
        try:
            return await self._process(job)
        except Exception as exc:  # a bug or a full disk on one page must not sink the whole run
            log.exception("fetching %s failed unexpectedly", job.url)
            reason = f"unexpected {type(exc).__name__}: {exc}"
            return Outcome(result=FetchResult(url=job.url, status="error", reason=reason))

    async def _process(self, job: Job) -> Outcome:
        prev = self.cache.load(job.url)
        cached_text = self.cache.text(job.url) if prev and prev.has_content else None
        if prev and prev.status in GOOD and cached_text is not None and not self._due(prev):
            return self._outcome(job, prev, cached_text, "cached")
        if prev and prev.status == "error" and not self._due(prev):
            return self._waiting(job, prev, cached_text)
        try:
            page = await self._get(job, prev if cached_text is not None else None)
            if page.http_status == 304 and prev and cached_text is not None:
                return self._not_modified(job, prev, cached_text)
            doc = await asyncio.to_thread(extract, page, site_of(page.url))
            doc = await self._with_pdf(job, doc)
        except BudgetExhaustedError as exc:
            return Outcome(result=FetchResult(url=job.url, status="skipped", reason=exc.reason))
        except LinkError as exc:
            return self._failed(job, prev, cached_text, exc.reason, exc.http_status)
        return self._stored(job, page, doc)

    def _due(self, prev: CacheRecord) -> bool:
        """Request again? Explicit runs: a good copy only on --refresh, a failed page always."""
        if self.refresh:
            return True
        if self.revisit is None:
            return prev.status == "error"
        # A failure from the network says nothing about the mirror, and the other way round.
        elsewhere = prev.status == "error" and prev.source != self.source
        return elsewhere or self.revisit.due(prev, datetime.now(UTC))

    @property
    def source(self) -> Source:
        return "mirror" if self.mirror is not None else "network"

    def _waiting(self, job: Job, prev: CacheRecord, text: str | None) -> Outcome:
        """A failed page inside its back-off: not requested; its last good copy (if any) stays."""
        stale = to_document(job, prev, text, "error") if text is not None else None
        return Outcome(result=prev.to_result("skipped"), document=stale)

    async def _get(self, job: Job, prev: CacheRecord | None) -> Page:
        if self.mirror is not None:
            return self.mirror.page(job.raw)
        headers = {}
        if prev and prev.etag:
            headers["If-None-Match"] = prev.etag
        if prev and prev.last_modified:
            headers["If-Modified-Since"] = prev.last_modified
        return await self.fetcher.fetch(plan_request(job.raw), headers)

    async def _with_pdf(self, job: Job, doc: Extracted) -> Extracted:
        """arXiv full text, when asked for; a failed PDF keeps the abstract alone."""
        pdf_url = arxiv_pdf_url(job.raw) if self.pdf and self.mirror is None else None
        if not pdf_url:
            return doc
        try:
            pdf = await asyncio.to_thread(extract, await self.fetcher.fetch(pdf_url), "arxiv")
        except LinkError as exc:
            log.warning("arXiv PDF %s: %s", pdf_url, exc.reason)
            return doc
        return doc.model_copy(update={"text": f"{doc.text}\n\n## Full text\n\n{pdf.text}"})

    def _stored(self, job: Job, page: Page, doc: Extracted) -> Outcome:
        now = datetime.now(UTC)
        record = CacheRecord(
            url=job.url, final_url=page.final_url, status="ok", http_status=page.http_status, etag=page.etag,
            last_modified=page.last_modified, fetched_at=now, last_success=now, content_type=page.content_type,
            title=doc.title or job.url, bytes=len(page.body), source=self.source,
        )
        self.cache.save(record, page.body, doc.text)
        return self._outcome(job, record, doc.text, "ok")

    def _not_modified(self, job: Job, prev: CacheRecord, text: str) -> Outcome:
        now = datetime.now(UTC)
        record = prev.model_copy(update={"status": "not_modified", "http_status": 304, "fetched_at": now,
                                         "last_success": now, "reason": "", "failures": 0})
        self.cache.save(record)
        return self._outcome(job, record, text, "not_modified")

    def _failed(self, job: Job, prev: CacheRecord | None, text: str | None, reason: str,
                http_status: int | None) -> Outcome:
        base = prev or CacheRecord(url=job.url)
        record = base.model_copy(update={"status": "error", "reason": reason, "http_status": http_status,
                                         "fetched_at": datetime.now(UTC), "failures": base.failures + 1,
                                         "source": self.source})
        self.cache.save(record)
        stale = to_document(job, record, text, "error") if text is not None else None
        return Outcome(result=record.to_result(), document=stale)

    def _outcome(self, job: Job, record: CacheRecord, text: str, status: FetchStatus) -> Outcome:
        return Outcome(result=record.to_result(status), document=to_document(job, record, text, status))


def to_document(job: Job, record: CacheRecord, text: str, status: FetchStatus) -> Document:
    """An untrusted linked-page Document carrying where and when it came from ("error" = stale copy)."""
    meta = {"final_url": record.final_url, "content_type": record.content_type, "source": record.source,
            "fetch_status": status,
            "last_success": record.last_success.isoformat() if record.last_success else ""}
    return Document(
        id=job.url, title=record.title or job.url, text=text, kind="linked", lang=page_lang(text),
        meta=meta, trusted=False, linked_from=job.linked_from,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def plan_jobs(urls: list[str], linked_from: dict[str, list[str]] | None) -> list[Job]:
    """One job per normalised URL, in first-seen order, with all the places linking to it."""
    sources: dict[str, list[str]] = {}
    for raw, where in (linked_from or {}).items():
        bucket = sources.setdefault(url_id(raw), [])
        bucket.extend(w for w in where if w not in bucket)
    jobs: dict[str, Job] = {}
    for raw in urls:
        key = url_id(raw)
        jobs.setdefault(key, Job(url=key, raw=raw.strip(), linked_from=sources.get(key, [])))
    return list(jobs.values())


async def fetch_links_async(
    urls: list[str], settings: LinksSettings, cache_dir: Path, *, mirror: Path | None = None,
    refresh: bool = False, linked_from: dict[str, list[str]] | None = None, progress: Progress | None = None,
    tuning: FetchTuning | None = None, resolver: Resolver = system_resolver, revisit: Revisit | None = None,
    on_page: OnPage | None = None,
) -> FetchReport:
    """``fetch_links`` for callers that already run an event loop; ``on_page`` gets each URL's
    outcome as it comes (its position in ``plan_jobs``' order, the result, the document)."""
    AllowList.parse(settings.allow_hosts)  # a bad setting is a config error: fail before any work
    source = Mirror.load(mirror) if mirror is not None else None
    jobs = plan_jobs(urls, linked_from)
    tuning = tuning or FetchTuning()
    done = 0
    async with make_client(settings, tuning) as client:
        fetcher = Fetcher(client, settings, tuning, RunLimits(settings), resolver)
        run = Run(LinkCache(cache_dir), fetcher, source, refresh, settings.pdf_text, revisit)

        async def one(position: int, job: Job) -> Outcome:
            nonlocal done
            outcome = await run.process(job)
            done += 1
            if on_page:
                on_page(position, outcome.result, outcome.document)
            if progress:
                progress(outcome.result, done, len(jobs))
            return outcome

        outcomes = await asyncio.gather(*(one(i, j) for i, j in enumerate(jobs)))
    return FetchReport(results=[o.result for o in outcomes],
                       documents=[o.document for o in outcomes if o.document is not None])


def fetch_links(
    urls: list[str], settings: LinksSettings, cache_dir: Path, *, mirror: Path | None = None,
    refresh: bool = False, linked_from: dict[str, list[str]] | None = None, progress: Progress | None = None,
    tuning: FetchTuning | None = None, resolver: Resolver = system_resolver,
) -> FetchReport:
    """Fetch (or read from cache/mirror) every URL; see the module docstring.

    Raises only for bad configuration: ValueError for an unparsable ``allow_hosts``,
    ``MirrorError`` for a mirror without a readable manifest. ``progress(result, done, total)``
    is called after each URL.
    """
    return asyncio.run(fetch_links_async(
        urls, settings, cache_dir, mirror=mirror, refresh=refresh, linked_from=linked_from,
        progress=progress, tuning=tuning, resolver=resolver,
    ))


def dead_links(cache_dir: Path) -> list[FetchResult]:
    """Links whose last fetch failed, with the reason and when they last worked (if ever)."""
    records = (r for r in LinkCache(cache_dir).records() if r.status == "error")
    return sorted((r.to_result() for r in records), key=lambda r: r.url)
