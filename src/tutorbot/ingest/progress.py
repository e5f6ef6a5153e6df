"""Ingest stage, in the background: how far the linked-pages job has got (``background.LinkedJob``).

Plain data, cheap to import: the UI's status line and Library and the CLI's `up` read it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

JobState = Literal["idle", "running", "done", "stopped", "failed"]
PageState = Literal["pending", "fetched", "indexed", "dead"]


class LinkedProgress(BaseModel):
    """Where the background job stands; a copy, safe to keep."""

    state: JobState = "idle"
    source: Literal["network", "mirror"] = "network"
    total: int = Field(0, description="Distinct pages the roadmaps link to.")
    fetched: int = Field(0, description="Pages whose fetch (or cache/back-off decision) is done.")
    indexed: int = Field(0, description="Pages whose text is in the index, old copies of failing pages included.")
    searchable: int = Field(0, description="Indexed pages chat finds: the retriever was refreshed since (a refresh "
                                           "embeds for the second dense view too, so it lags a little behind).")
    unreachable: int = Field(0, description="Pages whose last fetch failed.")
    kept_old: int = Field(0, description="Unreachable pages whose last good copy stays indexed.")
    texts_embedded: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    seconds: float = 0.0
    error: str = ""
    pages: dict[str, PageState] = Field(default_factory=dict, description="Normalised URL → state.")
    reasons: dict[str, str] = Field(default_factory=dict, description="Why an unreachable page failed.")

    def line(self) -> str:
        """The CLI's progress line, e.g. "linked pages: 41 of 72 indexed, 6 unreachable"."""
        if self.state == "failed":
            return f"linked pages: not fetched: {self.error}"
        text = f"linked pages: {self.indexed} of {self.total} indexed, {self.unreachable} unreachable"
        if self.kept_old:
            text += f" ({self.kept_old} kept from an earlier fetch)"
        if self.state == "done":
            return text + f"; done in {self.seconds:.0f} s, {self.texts_embedded} passages embedded"
        return text + (" (stopped)" if self.state == "stopped" else "")

    def pending(self) -> list[str]:
        return [url for url, state in self.pages.items() if state == "pending"]
