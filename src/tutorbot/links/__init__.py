"""Linked material: fetch the pages the roadmaps link to, safely and incrementally.

Data flow: ``plan`` (what to request) → ``safety`` (may we?) → ``fetch`` (HTTP) or
``mirror`` (offline snapshot) → ``extract`` / ``htmltext`` (text with ``#`` headings) →
``cache`` (per-URL records) → ``runner`` (``fetch_links``: results and Documents).
"""

from tutorbot.links.extract import detect_lang, extract
from tutorbot.links.mirror import Mirror, MirrorError
from tutorbot.links.models import CacheRecord, Extracted, FetchReport, FetchResult, FetchTuning, LinkError, Page
from tutorbot.links.plan import plan_request, site_of
from tutorbot.links.runner import dead_links, fetch_links, fetch_links_async
from tutorbot.links.safety import AllowList, UnsafeURLError, check_url, forbidden_reason

__all__ = [
    "AllowList", "CacheRecord", "Extracted", "FetchReport", "FetchResult", "FetchTuning", "LinkError", "Mirror",
    "MirrorError", "Page", "UnsafeURLError", "check_url", "dead_links", "detect_lang", "extract", "fetch_links",
    "fetch_links_async", "forbidden_reason", "plan_request", "site_of",
]
