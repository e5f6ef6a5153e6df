"""Link fetching, offline source: read pages from a local mirror instead of the network.

A mirror is a directory with ``manifest.json`` — a list of ``{url, file, content_type,
title, source, note}`` (``file`` relative to the mirror, or null when the page could not
be saved). URLs are matched through ``urls.normalise_url`` on both sides, so a roadmap
link with tracking parameters still finds its page.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, TypeAdapter, ValidationError

from tutorbot.errors import TutorbotError
from tutorbot.ingest.links.models import LinkError, Page
from tutorbot.ingest.links.requests import url_id


class MirrorError(TutorbotError):
    """The mirror directory or its manifest is unusable; the message says what to fix."""


class MirrorEntry(BaseModel):
    url: str
    file: str | None = None
    content_type: str | None = None
    title: str | None = None
    source: str | None = None
    note: str | None = None


class Mirror:
    """Manifest-indexed pages under ``root``."""

    def __init__(self, root: Path, entries: list[MirrorEntry]) -> None:
        self.root = root.resolve()
        # Several manifest URLs can normalise alike; one with a file wins over one without.
        self.by_url: dict[str, MirrorEntry] = {}
        for e in entries:
            key = url_id(e.url)
            if key not in self.by_url or (e.file and not self.by_url[key].file):
                self.by_url[key] = e

    @classmethod
    def load(cls, root: Path) -> Mirror:
        path = root / "manifest.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            entries = TypeAdapter(list[MirrorEntry]).validate_python(raw)
        except FileNotFoundError:
            raise MirrorError(f"{path}: no manifest.json; a mirror needs one listing url/file pairs") from None
        except (OSError, ValueError, ValidationError) as exc:
            raise MirrorError(f"{path}: not a list of {{url, file, content_type, ...}} entries ({exc})") from None
        return cls(root, entries)

    def page(self, url: str) -> Page:
        """The mirrored page for url, or a LinkError("not in mirror ...")."""
        entry = self.by_url.get(url_id(url))
        if entry is None or not entry.file:
            note = f" {entry.note}" if entry and entry.note else ""
            raise LinkError(f"not in mirror{note}")
        path = (self.root / entry.file).resolve()
        if not path.is_relative_to(self.root):
            raise LinkError(f"mirror file {entry.file!r} lies outside the mirror directory")
        try:
            body = path.read_bytes()
        except OSError as exc:
            raise LinkError(f"mirror file {entry.file!r} unreadable: {exc.strerror}") from None
        return Page(
            url=url, final_url=entry.file, http_status=None, content_type=(entry.content_type or "").lower(),
            body=body, title_hint=entry.title or "",
        )
