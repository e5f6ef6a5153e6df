"""Link fetching, storage: the per-URL cache that makes re-runs incremental.

For each URL (file stem = sha256 of the normalised URL) the cache keeps ``<key>.json``
(a ``CacheRecord``), ``<key>.body`` (the raw bytes) and ``<key>.md`` (extracted text).
Every file is written to a temporary name and moved into place with ``os.replace``, and
the record is written last, so an interrupted run never leaves a record that points at
missing or half-written content. A failed fetch only rewrites the record: the last good
body and text stay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from tutorbot.files import write_atomic
from tutorbot.ingest.links.models import CacheRecord


def url_key(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()


class LinkCache:
    """Cache directory of fetched pages; one instance per run, no state beyond the path."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, url: str, suffix: str) -> Path:
        return self.root / f"{url_key(url)}{suffix}"

    def load(self, url: str) -> CacheRecord | None:
        """The record for url, or None when absent or unreadable (then the URL is simply fetched again)."""
        try:
            return CacheRecord.model_validate_json(self._path(url, ".json").read_bytes())
        except (OSError, ValidationError):
            return None

    def text(self, url: str) -> str | None:
        try:
            return self._path(url, ".md").read_text(encoding="utf-8")
        except OSError:
            return None

    def body(self, url: str) -> bytes | None:
        try:
            return self._path(url, ".body").read_bytes()
        except OSError:
            return None

    def save(self, record: CacheRecord, body: bytes | None = None, text: str | None = None) -> None:
        """Store a record; body and text (when given) replace the stored good version first."""
        self.root.mkdir(parents=True, exist_ok=True)
        if body is not None:
            write_atomic(self._path(record.url, ".body"), body)
        if text is not None:
            write_atomic(self._path(record.url, ".md"), text.encode("utf-8"))
        write_atomic(self._path(record.url, ".json"), record.model_dump_json(indent=1).encode("utf-8"))

    def records(self) -> Iterator[CacheRecord]:
        """Every readable record, in file-name order."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*.json")):
            try:
                yield CacheRecord.model_validate_json(path.read_bytes())
            except (OSError, ValidationError):
                continue
