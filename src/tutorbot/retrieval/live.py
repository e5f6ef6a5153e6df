"""Retrieve stage, shared between threads: the retriever the services hold while the background
indexer adds linked pages to the index.

A ``Retriever`` is only read once built. ``LiveRetriever`` holds the current one and hands every
call to it; ``refresh`` builds a fresh copy to the side and swaps it in with one assignment, so a
search under way finishes on the state it started with and no reader ever sees half-rebuilt BM25
statistics. ``Foreground`` counts the learners' retrievals in flight: the background indexer waits
for none before each embedding batch, so interactive queries come first.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tutorbot.retrieval.retriever import Retriever
    from tutorbot.schemas import Chunk


class Foreground:
    """How many interactive retrievals are running; background work waits until there are none."""

    def __init__(self) -> None:
        self._busy = 0
        self._idle = threading.Condition()

    @contextmanager
    def active(self) -> Iterator[None]:
        with self._idle:
            self._busy += 1
        try:
            yield
        finally:
            with self._idle:
                self._busy -= 1
                if not self._busy:
                    self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no retrieval runs; False when ``timeout`` passed first (so a stream of
        questions slows the background work down but never starves it)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout)


class LiveRetriever:
    """A ``Retriever`` that can be refreshed while other threads search it."""

    def __init__(self, current: Retriever, foreground: Foreground | None = None) -> None:
        self._current = current
        self.foreground = foreground or Foreground()

    @property
    def current(self) -> Retriever:
        return self._current

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        """Rebuild from the index into a copy, then swap: readers never see a state being built."""
        fresh = copy.copy(self._current)  # refresh replaces attributes, it never edits shared ones
        fresh.refresh(*args, **kwargs)
        self._current = fresh

    @property
    def by_id(self) -> Mapping[str, Chunk]:
        """A view of the current chunks by id: a service that kept ``by_id.get`` sees new chunks too."""
        return _ById(self)

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._current, name)
        if not callable(value):
            return value

        @functools.wraps(value)
        def interactive(*args: Any, **kwargs: Any) -> Any:
            with self.foreground.active():  # looked up now: a wrapper kept by a caller follows refreshes
                return getattr(self._current, name)(*args, **kwargs)
        return interactive


class _ById(Mapping[str, "Chunk"]):
    def __init__(self, live: LiveRetriever) -> None:
        self._live = live

    def __getitem__(self, key: str) -> Chunk:
        return self._live.current.by_id[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._live.current.by_id)

    def __len__(self) -> int:
        return len(self._live.current.by_id)
