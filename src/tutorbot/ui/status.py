"""UI stage: the status line — LLM server up / warming up / down (and which model), index size, and
whatever the health checks find wrong (a file the last ingest could not read, a broken curriculum, a
damaged index or learner database), each with its fix; how far the background job has got
with the linked pages (indexed of all, unreachable).

Probing is cheap and bounded (the LLM client's connect timeout; the cheap health checks only),
shared by every open page through ``HealthCache``, and never raises: a broken index or server
shows as such instead of breaking the page.
"""

from __future__ import annotations

import html
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from tutorbot.health import Check, problems
from tutorbot.ingest.progress import LinkedProgress
from tutorbot.ui.i18n import t

if TYPE_CHECKING:
    from tutorbot.llm.client import LLMClient
    from tutorbot.settings import Settings


class Health(BaseModel):
    state: Literal["up", "warming", "down"]
    model: str = ""
    chunks: int = 0
    problems: list[Check] = Field(default_factory=list, description="Health checks that are not ok.")
    linked: LinkedProgress | None = None


def probe(llm: LLMClient, count_chunks: Callable[[], int], settings: Settings,
          checks: Callable[[], list[Check]] = list,
          linked: Callable[[], LinkedProgress | None] = lambda: None) -> Health:
    """Ask the LLM server, the index, the health checks and the linked-pages job how they are; failures read as
    'down' / 0 passages."""
    from tutorbot.llm.server import is_starting

    try:
        st = llm.status()
        state, model = st.state, ", ".join(st.models) or llm.model
    except Exception:  # a status probe must never take the page down
        state, model = "down", ""
    if state == "down" and is_starting(settings):
        state = "warming"
    try:
        chunks = count_chunks()
    except Exception:  # same: an unreadable index shows as empty
        chunks = 0
    return Health(state=state, model=model, chunks=chunks, problems=problems(checks()), linked=linked())


def status_text(health: Health, lang: str) -> str:
    """The status line as HTML: a coloured dot, the model's state and name, the index size."""
    llm = html.escape(t(lang, f"status.{health.state}", model=health.model or "?"))
    llm = re.sub(r"`([^`]+)`", r"<code>\1</code>", llm)
    index = html.escape(t(lang, "status.index", n=health.chunks))
    warnings = "".join(f'<div class="tb-warn tb-{ch.state}">⚠ {html.escape(ch.name)}: {html.escape(ch.detail)}</div>'
                       for ch in health.problems)
    linked = f' · <span id="tb-linked">{html.escape(linked_text(health.linked, lang))}</span>' if health.linked else ""
    return f'<span class="tb-dot tb-{health.state}"></span>{llm} · {index}{linked}{warnings}'


def linked_text(p: LinkedProgress, lang: str) -> str:
    """"linked pages: 41 of 72 indexed, 6 unreachable", and whether the job still runs."""
    if p.state == "failed":
        return t(lang, "status.linked_failed", error=p.error)
    text = t(lang, "status.linked", n=p.indexed, total=p.total, dead=p.unreachable)
    if p.kept_old:
        text += t(lang, "status.linked_old", n=p.kept_old)
    return text + (t(lang, "status.linked_running") if p.state in ("idle", "running") else "")


class HealthCache:
    """One probe per ``ttl`` seconds for the whole app, however many pages poll the status line."""

    def __init__(self, probe: Callable[[], Health], ttl: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.probe, self.ttl, self.clock = probe, ttl, clock
        self._last: tuple[float, Health] | None = None
        self._lock = threading.Lock()

    def get(self) -> Health:
        with self._lock:  # concurrent page loads share one probe instead of stampeding the server
            if self._last is None or self.clock() - self._last[0] >= self.ttl:
                self._last = (self.clock(), self.probe())
            return self._last[1]

    def line(self, lang: str) -> str:
        return status_text(self.get(), lang)
