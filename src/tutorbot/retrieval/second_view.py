"""Second dense view stage: a second embedding model's rankings, per language, for the fusion.

e5 and multilingual USE miss different questions: alone, USE found fewer answering passages than
e5 (hit@5 0.63 against 0.67 on the roadmaps index), but fused as one more pair of ranked lists it
found more on the tuning half of dev2 and no fewer on the held-out half (``bench/RESULTS.md``). The
vectors are held in memory (2 KB a chunk) and kept in one file beside the index (``second-view.npz``,
written by the ingest and by each refresh that adds or drops chunks), so a start embeds only the chunks the
file lacks: all 2365 passages of the linked index took 15 s. The roadmap lines the line view ranks
(``line_view``) are kept the same way, by their text, in a file of their own (``line-view.npz``): 487 lines
took 1.2 s of every start.
"""

from __future__ import annotations

import io
import logging
import math
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tutorbot.files import write_atomic
from tutorbot.retrieval.embed import USE_NAME, Embedder, LastQuery
from tutorbot.retrieval.fusion import SIDES, top_ids
from tutorbot.schemas import Chunk
from tutorbot.settings import Settings

GAP = 0.05  # USE cosines spread wider than e5's: a side 0.05 behind the best weighs 1/e
log = logging.getLogger(__name__)


class SecondView:
    """Chunk vectors under a second embedder, and the per-language rankings of a query.

    Its vectors never change once built (it only remembers the last query's): ``refreshed`` builds a new
    view, so a search still running on the old retriever keeps rows that match its chunks."""

    def __init__(self, embedder: Embedder, cache: Path | None = None,
                 vectors: dict[str, np.ndarray] | None = None, lines: Path | None = None):
        self.embedder, self.cache, self.lines = embedder, cache, lines
        self._vectors = load_vectors(cache, embedder.name) if vectors is None else vectors
        self._matrix = np.vstack(list(self._vectors.values())) if self._vectors else np.zeros((0, embedder.dim))
        # The query embedded by this view's model, once per query (the line view reads the same vector).
        self.query_vector = LastQuery(lambda q: np.asarray(embedder.embed_query(q), np.float32))

    def refreshed(self, chunks: Sequence[Chunk]) -> SecondView:
        """The view of ``chunks`` (rows in their order), embedding only the ones not seen before."""
        new = [c for c in chunks if c.id not in self._vectors]
        embedded = list(self.embedder.embed_passages([c.embed_text for c in new])) if new else []
        known = {**self._vectors, **dict(zip([c.id for c in new], embedded, strict=True))}
        view = SecondView(self.embedder, self.cache, {c.id: known[c.id] for c in chunks}, self.lines)
        if self.cache is not None and view._vectors.keys() != self._vectors.keys():  # added or deleted chunks
            save_vectors(self.cache, self.embedder.name, view._vectors, self.embedder.dim)
        return view

    def embed_lines(self, texts: list[str]) -> np.ndarray:
        """The vectors of ``texts`` (the roadmap lines, in order), embedding only those the lines file lacks;
        the file is rewritten to hold exactly these lines when they changed."""
        if not texts:
            return np.zeros((0, self.embedder.dim), np.float32)
        saved = load_vectors(self.lines, self.embedder.name)
        wanted = list(dict.fromkeys(texts))
        missing = [t for t in wanted if t not in saved]
        known = {**saved, **dict(zip(missing, self.embedder.embed_passages(missing) if missing else [], strict=True))}
        if self.lines is not None and saved.keys() != set(wanted):
            save_vectors(self.lines, self.embedder.name, {t: known[t] for t in wanted}, self.embedder.dim)
        return np.asarray([known[t] for t in texts], np.float32)

    def _cosines(self, query: str, chunks: Sequence[Chunk]) -> np.ndarray | None:
        """The query's cosine with each of ``chunks`` (None unless the view was refreshed with them)."""
        if len(self._matrix) != len(chunks) or not len(chunks):
            return None
        return self._matrix @ self.query_vector(query)

    def nearest(self, query: str, chunks: Sequence[Chunk], k: int) -> dict[str, float]:
        """Chunk id → cosine of the ``k`` nearest chunks, best first (the view alone, for evaluation)."""
        if (cos := self._cosines(query, chunks)) is None:
            return {}
        return {chunks[i].id: float(cos[i]) for i in np.argsort(-cos, kind="stable")[:k]}

    def lists(self, query: str, chunks: Sequence[Chunk], masks: dict[str, np.ndarray],
              n: int) -> tuple[list[list[str]], list[float]]:
        """Each language side's ``n`` nearest chunks, weighted by how close its best comes to the best."""
        if (cos := self._cosines(query, chunks)) is None:
            return [], []
        top = float(cos.max())
        lists, weights = [], []
        for side in SIDES:
            if masks[side].any():
                lists.append(top_ids(np.where(masks[side], cos + 1.0, 0.0), chunks, n))  # +1: cosines may be < 0
                weights.append(math.exp(-(top - float(cos[masks[side]].max())) / GAP))
        return lists, weights


def view_mode(settings: Settings) -> str:
    """What ``tutorbot doctor`` says of the second view: on or off, and why."""
    e, weight = settings.embedding, settings.retrieval.second_view_weight
    if e.backend == "hash":
        return "off (the hash backend)"
    if e.second_view == "none":
        return "off (TUTORBOT_EMBEDDING_SECOND_VIEW=none)"
    if weight == 0:
        return "off (TUTORBOT_RETRIEVAL_SECOND_VIEW_WEIGHT=0)"
    path = settings.paths.second_view
    kept = f"vectors of {len(load_vectors(path, USE_NAME))} chunks in {path}" if path.exists() else \
        "no vectors yet (`tutorbot ingest` embeds them)"
    lines, line_path = settings.retrieval.line_view_weight, settings.paths.line_view
    line = f"its roadmap lines at weight {lines:g}" if lines else \
        "line view off (TUTORBOT_RETRIEVAL_LINE_VIEW_WEIGHT=0)"
    if lines and line_path.exists():
        kept += f"; of {len(load_vectors(line_path, USE_NAME))} roadmap lines in {line_path}"
    return f"on: multilingual USE fused at weight {weight:g}, {line}; {kept}"


def save_vectors(path: Path, model: str, vectors: dict[str, np.ndarray], dim: int) -> None:
    buf = io.BytesIO()
    matrix = np.vstack(list(vectors.values())) if vectors else np.zeros((0, dim))  # an emptied index: no rows
    np.savez(buf, model=np.array(model), ids=np.array(list(vectors), dtype=str), vectors=matrix.astype(np.float32))
    write_atomic(path, buf.getvalue())


def load_vectors(path: Path | None, model: str) -> dict[str, np.ndarray]:
    """The saved vectors of ``model``; none when there is no file, it is another model's, or it is
    damaged (they are embedded again: the file only saves time)."""
    if path is None or not path.exists():
        return {}
    try:
        with np.load(path, allow_pickle=False) as saved:
            if str(saved["model"]) != model:
                return {}
            return dict(zip(saved["ids"].tolist(), saved["vectors"].astype(np.float32), strict=True))
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        log.warning("second-view vectors in %s unreadable (%s): embedding again", path, exc)
        return {}
