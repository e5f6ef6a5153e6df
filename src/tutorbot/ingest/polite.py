"""Ingest stage, background embedding: passages embedded without making a learner wait.

The background indexer embeds through ``PoliteEmbedder``: small batches, each started only once
the learners' retrievals in flight are done (``retrieval.live.Foreground``), on worker threads at
a lower OS priority with one OpenMP thread each. The e5 engine releases the GIL, so a question's
embedding runs beside a batch instead of behind it, and the scheduler gives it (and vLLM) the
cores first. A stop request ends the work at the next batch.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tutorbot.errors import TutorbotError
from tutorbot.retrieval.embed import Embedder
from tutorbot.retrieval.live import Foreground

log = logging.getLogger(__name__)
NICE = 10  # a nice-10 thread gets about a tenth of a core that a normal one also wants
BATCH = 4  # texts per call: a question that arrives mid-batch shares the cores for at most this long
MAX_WAIT_S = 5.0  # a steady stream of questions slows the indexer down, never stops it


class Stopped(TutorbotError):
    """The background job was asked to stop; what was embedded so far is kept."""


def lower_priority(nice: int = NICE) -> None:
    """Lower the calling thread's CPU priority (Linux schedules threads one by one); elsewhere a no-op."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError) as exc:
        log.debug("thread priority unchanged: %s", exc)


class PoliteEmbedder:
    """An ``Embedder`` for the background: same vectors, other timing; counts only its own texts."""

    def __init__(self, inner: Embedder, foreground: Foreground, stop: threading.Event, threads: int = 0,
                 batch: int = BATCH) -> None:
        self.inner, self.foreground, self.stop, self.batch = inner, foreground, stop, batch
        self.name, self.dim = inner.name, inner.dim
        self.calls = self.texts_embedded = 0
        self._count = threading.Lock()
        self.threads = threads or os.cpu_count() or 1
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="linked-embed", initializer=self._worker)

    def _worker(self) -> None:
        lower_priority()
        limit = getattr(self.inner, "limit_threads", None)  # only the e5 engine has OpenMP threads
        if limit is not None:
            limit(1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        parts = [texts[i:i + self.batch] for i in range(0, len(texts), self.batch)]
        futures = [self._pool.submit(self._embed, part) for part in parts]
        vectors = [f.result() for f in futures]  # Stopped from any batch ends the page here
        return np.vstack(vectors) if vectors else np.zeros((0, self.dim), np.float32)

    def _embed(self, texts: list[str]) -> np.ndarray:
        if self.stop.is_set():
            raise Stopped("stopped")
        self.foreground.wait_idle(MAX_WAIT_S)
        if self.stop.is_set():
            raise Stopped("stopped")
        vectors = self.inner.embed_passages(texts)
        with self._count:
            self.calls += 1
            self.texts_embedded += len(texts)
        return vectors

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
