"""Data that crosses the link-fetching modules: fetch results, cache records, raw pages.

Stage: linked material (fetch → extract → cache → ``Document``). Everything here is plain
pydantic; the fetcher, extractor, cache and mirror only exchange these models.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field

from tutorbot.errors import TutorbotError
from tutorbot.schemas import Document

FetchStatus = Literal["ok", "not_modified", "cached", "error", "skipped"]
Source = Literal["network", "mirror"]


class LinkError(TutorbotError):
    """A fetch or extraction failure; ``reason`` ends up in the ``FetchResult``, never raised to callers."""

    def __init__(self, reason: str, http_status: int | None = None, *, retriable: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status
        self.retriable = retriable


class FetchResult(BaseModel):
    """What happened to one (normalised) URL in one run."""

    url: str = Field(description="Normalised URL, as given by urls.normalise_url.")
    status: FetchStatus
    http_status: int | None = None
    reason: str = Field("", description="Why it failed or was skipped; empty on success.")
    content_type: str = ""
    title: str = ""
    fetched_at: datetime | None = Field(None, description="When this run (or the cached run) fetched it.")
    last_success: datetime | None = Field(None, description="Last time the page was fetched successfully.")
    bytes: int = Field(0, description="Size of the body that the document was extracted from.")


class FetchReport(BaseModel):
    """Outcome of ``fetch_links``: one result per distinct URL and the documents that came out."""

    results: list[FetchResult] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.status for r in self.results))

    def errors(self) -> list[FetchResult]:
        return [r for r in self.results if r.status in ("error", "skipped")]


class CacheRecord(BaseModel):
    """The JSON record kept per URL in the cache directory."""

    url: str
    final_url: str = ""
    status: FetchStatus = "ok"
    http_status: int | None = None
    etag: str = ""
    last_modified: str = ""
    fetched_at: datetime | None = None
    last_success: datetime | None = None
    content_type: str = ""
    title: str = ""
    reason: str = ""
    bytes: int = 0
    source: Source = "network"
    failures: int = Field(0, description="Failed fetches in a row since the last success (for back-off).")

    @property
    def has_content(self) -> bool:
        """A good version exists on disk (a failed refresh keeps it)."""
        return self.last_success is not None

    def to_result(self, status: FetchStatus | None = None) -> FetchResult:
        return FetchResult(
            url=self.url, status=status or self.status, http_status=self.http_status, reason=self.reason,
            content_type=self.content_type, title=self.title, fetched_at=self.fetched_at,
            last_success=self.last_success, bytes=self.bytes,
        )


class Page(BaseModel):
    """A raw response body, from the network or the mirror, before extraction."""

    url: str = Field(description="The URL asked for (after plan_request).")
    final_url: str = Field(description="Where redirects ended; the mirror file name for mirrored pages.")
    http_status: int | None = 200
    content_type: str = Field("", description="Lower-cased MIME type without parameters.")
    charset: str | None = None
    body: bytes = b""
    etag: str = ""
    last_modified: str = ""
    title_hint: str = Field("", description="A curated title (the mirror manifest's), preferred when present.")


class Extracted(BaseModel):
    """Text pulled out of a page: markdown-ish, headings as ``#`` lines."""

    title: str = ""
    text: str


class FetchTuning(BaseModel):
    """Knobs that are not user settings but that tests (and cautious callers) want to change."""

    retries: int = Field(2, ge=0, le=5, description="Extra attempts after a 5xx or a timeout.")
    backoff_s: float = Field(0.5, ge=0, description="First retry delay; doubles each retry.")
    connect_timeout_s: float = Field(10.0, gt=0, description="TCP/TLS connect timeout (capped by the total).")
    max_redirects: int = Field(5, ge=0, le=20)


class Revisit(BaseModel):
    """When a cached URL is requested again: the background run's policy (``None`` = the explicit
    commands' one: a good copy is reused until ``--refresh``, a failed page is tried at once)."""

    refresh_after_s: float = Field(..., gt=0, description="A good copy older than this is revalidated.")
    retry_after_s: float = Field(..., ge=0, description="Wait after one failure; doubles with each further one.")
    retry_cap_s: float = Field(86_400, ge=0, description="The longest wait between tries of a failing page.")

    def due(self, record: CacheRecord, now: datetime) -> bool:
        """Whether ``record``'s URL should be requested now (never-fetched ones always are)."""
        if record.fetched_at is None:
            return True
        if record.status == "error":
            wait = min(self.retry_after_s * 2 ** max(record.failures - 1, 0), self.retry_cap_s)
        else:
            wait = self.refresh_after_s
        return now - record.fetched_at >= timedelta(seconds=wait)
