"""Ingest stage, in the background: the linked pages fetched and indexed while the UI already serves.

``LinkedJob`` is the one owner of this work in a process (``tutorbot up`` starts it through the
container, SIGTERM stops it). A fetch thread runs the safe fetcher (``links``: SSRF guard, size
caps, per-host limits, conditional requests, cache or mirror) with a ``Revisit`` policy — old
copies revalidated, failed pages retried with back-off — and hands each page over as it comes.
The job thread indexes them in the catalog's order, page by page: chunked, near-duplicates of
what is already kept dropped (the same decisions a whole ``ingest --follow-links`` makes), only
new chunks embedded (``PoliteEmbedder``), written a few at a time, a page that changed replaced
add-then-delete. The retriever is refreshed every few seconds, so new pages become searchable
while the job runs. ``progress()`` is a snapshot that the status line and the CLI both read.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable

from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.dedupe import NearDuplicates
from tutorbot.ingest.linked import catalog_links
from tutorbot.ingest.links import FetchResult, FetchTuning, Revisit, fetch_links_async, plan_jobs
from tutorbot.ingest.links.safety import Resolver, system_resolver
from tutorbot.ingest.pipeline import IngestReport, sync_document
from tutorbot.ingest.polite import PoliteEmbedder, Stopped
from tutorbot.ingest.progress import JobState, LinkedProgress, PageState
from tutorbot.retrieval.embed import Embedder
from tutorbot.retrieval.index import VectorIndex
from tutorbot.retrieval.live import Foreground
from tutorbot.schemas import CatalogEntry, Document
from tutorbot.settings import Settings

log = logging.getLogger(__name__)
REFRESH_EVERY_S = 10.0  # new chunks become searchable this often (a refresh re-reads the whole index)
STEP = 16  # chunks embedded and written at a time: a long page is searchable piece by piece
Item = tuple[int, FetchResult, Document | None] | BaseException | None


class LinkedJob:
    """Fetch and index the catalog's linked pages on a background thread; see the module docstring."""

    def __init__(self, settings: Settings, catalog: list[CatalogEntry], embedder: Embedder, index: VectorIndex,
                 foreground: Foreground, on_indexed: Callable[[], None] = lambda: None,
                 resolver: Resolver = system_resolver, tuning: FetchTuning | None = None,
                 on_done: Callable[[], None] = lambda: None) -> None:
        self.settings, self.embedder, self.index, self.foreground = settings, embedder, index, foreground
        self.on_indexed, self.on_done, self.resolver, self.tuning = on_indexed, on_done, resolver, tuning
        self.urls, self.sources = catalog_links(catalog)
        plan = [job.url for job in plan_jobs(self.urls, self.sources)]
        self.plan = plan
        self._stop = threading.Event()
        self._lock = threading.Lock()
        source = "mirror" if settings.links.mirror else "network"
        self._progress = LinkedProgress(source=source, total=len(plan), pages=dict.fromkeys(plan, "pending"))
        self._thread: threading.Thread | None = None
        self._start = 0.0

    # -- control -----------------------------------------------------------------------------
    def start(self) -> None:
        """Run in a daemon thread (one per job)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="linked-pages", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask the job to stop at its next batch and wait; True when it has."""
        self._stop.set()
        return self.wait(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self._thread is None or not self._thread.is_alive()

    def progress(self) -> LinkedProgress:
        with self._lock:
            copy = self._progress.model_copy(deep=True)
        if copy.state == "running":
            copy.seconds = time.monotonic() - self._start
        return copy

    # -- the work ----------------------------------------------------------------------------
    def run(self) -> LinkedProgress:
        """The whole job in the calling thread; never raises (a failure is the progress' error)."""
        self._start = time.monotonic()
        self._set(state="running")
        polite = PoliteEmbedder(self.embedder, self.foreground, self._stop, self.settings.links.index_threads)
        try:
            state: JobState = "done" if self._index(polite) else "stopped"
            if state == "done":
                self.on_done()  # e.g. mine the term pairs the new pages write (once, not on every refresh)
            self._set(state=state)
        except Stopped:
            self._set(state="stopped")
        except Exception as exc:  # a broken mirror, a full disk: the roadmaps keep working, the line says why
            log.exception("linked pages: background job failed")
            self._set(state="failed", error=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        finally:
            polite.close()
            self._set(seconds=time.monotonic() - self._start)
        return self.progress()

    def _index(self, embedder: PoliteEmbedder) -> bool:
        """Index pages in plan order as they arrive; True when every page was handled."""
        pages: queue.Queue[Item] = queue.Queue()
        cancel = threading.Event()
        fetcher = threading.Thread(target=self._fetch, args=(pages, cancel), name="linked-fetch", daemon=True)
        fetcher.start()
        indexer = _Indexer(self, embedder)
        try:
            while (item := self._next(pages, indexer)) is not None:
                if isinstance(item, BaseException):
                    raise item
                indexer.arrived(*item)
            complete = indexer.next == len(self.plan)  # else the fetch was stopped
            if complete:
                indexer.sweep(set(self.plan))
        finally:
            cancel.set()  # the indexer failed or stopped: no more fetching either
            fetcher.join(30)
            indexer.refresh(force=True)
        return complete

    @staticmethod
    def _next(pages: queue.Queue[Item], indexer: _Indexer) -> Item:
        try:
            return pages.get_nowait()
        except queue.Empty:  # waiting for the network: what is indexed becomes searchable meanwhile
            indexer.refresh(force=True)
            return pages.get()

    def _fetch(self, out: queue.Queue[Item], cancel: threading.Event) -> None:
        try:
            asyncio.run(self._fetch_all(out, cancel))
        except Exception as exc:  # a mirror without a manifest, a bad allow-list: the job's error
            out.put(exc)
        finally:
            out.put(None)

    async def _fetch_all(self, out: queue.Queue[Item], cancel: threading.Event) -> None:
        links = self.settings.links
        revisit = Revisit(refresh_after_s=links.refresh_after_h * 3600, retry_after_s=links.retry_after_s)
        task = asyncio.ensure_future(fetch_links_async(
            self.urls, links, self.settings.paths.links, mirror=links.mirror, linked_from=self.sources,
            tuning=self.tuning, resolver=self.resolver, revisit=revisit,
            on_page=lambda i, result, doc: out.put((i, result, doc))))
        while not task.done():  # a stop cancels the fetches in flight
            if self._stop.is_set() or cancel.is_set():
                task.cancel()
            await asyncio.wait([task], timeout=0.2)
        if not task.cancelled():
            task.result()

    # -- progress ----------------------------------------------------------------------------
    def _set(self, **fields: object) -> None:
        with self._lock:
            for name, value in fields.items():
                setattr(self._progress, name, value)

    def _page(self, url: str, state: PageState, reason: str = "") -> None:
        with self._lock:
            p = self._progress
            p.pages[url] = state
            if reason:
                p.reasons[url] = reason
            p.fetched = sum(s != "pending" for s in p.pages.values())
            p.unreachable = sum(s == "dead" for s in p.pages.values())

    def _all_searchable(self) -> None:
        """The retriever holds every page indexed so far."""
        with self._lock:
            self._progress.searchable = self._progress.indexed

    def _indexed(self, url: str, report: IngestReport, embedded: int, stale: bool) -> None:
        with self._lock:
            p = self._progress
            p.indexed += 1
            p.kept_old += stale
            p.chunks_added, p.chunks_deleted = report.chunks_added, report.chunks_deleted
            p.texts_embedded = embedded
            if not stale:
                p.pages[url] = "indexed"


class _Indexer:
    """The job thread's side: pages in plan order into the index."""

    def __init__(self, job: LinkedJob, embedder: PoliteEmbedder) -> None:
        self.job, self.embedder = job, embedder
        self.report = IngestReport()
        self.ready: dict[int, tuple[FetchResult, Document | None]] = {}
        self.next = 0
        self.seen = NearDuplicates()
        for chunk in job.index.all_chunks():  # what a whole ingest would have kept before the pages
            if chunk.kind == "roadmap":
                self.seen.keep(chunk)
        self.dirty, self.last_refresh = False, time.monotonic()

    def arrived(self, position: int, result: FetchResult, doc: Document | None) -> None:
        ok = result.status in ("ok", "not_modified", "cached")
        self.job._page(result.url, "fetched" if ok and doc else "dead", "" if ok else result.reason)
        self.ready[position] = (result, doc)
        while self.next in self.ready:  # the catalog's order: the same near-duplicate choices every run
            result, doc = self.ready.pop(self.next)
            if doc is not None:
                self.index(doc, stale=result.status not in ("ok", "not_modified", "cached"))
            self.next += 1
            self.refresh()

    def index(self, doc: Document, stale: bool) -> None:
        s = self.job.settings
        chunks = [c for c in chunk_document(doc, s.index.chunk_tokens, self.embedder.count_tokens)
                  if self.seen.keep(c)]
        before = self.report.chunks_added + self.report.chunks_deleted
        sync_document(self.job.index, self.embedder, doc.id, chunks, self.report, step=STEP)
        self.dirty |= self.report.chunks_added + self.report.chunks_deleted > before
        self.job._indexed(doc.id, self.report, self.embedder.texts_embedded, stale)

    def sweep(self, linked: set[str]) -> None:
        """Pages the roadmaps no longer link to leave the index (a failing page keeps its copy)."""
        gone = {d for d, kind in self.job.index.doc_kinds().items() if kind == "linked"} - linked
        for doc_id in gone:
            sync_document(self.job.index, self.embedder, doc_id, [], self.report)
            self.dirty = True

    def refresh(self, force: bool = False) -> None:
        """Make new chunks searchable: at most every REFRESH_EVERY_S, and once at the end."""
        due = force or time.monotonic() - self.last_refresh >= REFRESH_EVERY_S
        if self.dirty and due:
            self.job.on_indexed()
            self.dirty, self.last_refresh = False, time.monotonic()
        if not self.dirty:  # every page indexed so far is in the retriever now (or changed nothing)
            self.job._all_searchable()
