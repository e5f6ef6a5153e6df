"""Linked material: fetch the pages the roadmaps link to, safely and incrementally.

Data flow: ``plan`` (what to request) → ``safety`` (may we?) → ``fetch`` (HTTP) or
``mirror`` (offline snapshot) → ``extract`` / ``htmltext`` (text with ``#`` headings) →
``cache`` (per-URL records) → ``runner`` (``fetch_links``: results and Documents).
"""

from tutorbot.ingest.links.extract import extract, page_lang
from tutorbot.ingest.links.mirror import Mirror, MirrorError
from tutorbot.ingest.links.models import (
    CacheRecord,
    Extracted,
    FetchReport,
    FetchResult,
    FetchTuning,
    LinkError,
    Page,
    Revisit,
)
from tutorbot.ingest.links.requests import plan_request, site_of
from tutorbot.ingest.links.runner import dead_links, fetch_links, fetch_links_async, plan_jobs
from tutorbot.ingest.links.safety import AllowList, UnsafeURLError, check_url, forbidden_reason

__all__ = [
    "AllowList", "CacheRecord", "Extracted", "FetchReport", "FetchResult", "FetchTuning", "LinkError", "Mirror",
    "MirrorError", "Page", "Revisit", "UnsafeURLError", "check_url", "dead_links", "page_lang", "extract",
    "fetch_links", "fetch_links_async", "forbidden_reason", "plan_jobs", "plan_request", "site_of",
]
