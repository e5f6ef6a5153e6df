"""Ingest stage: corpus → cleaned documents → chunks → embeddings → index, plus the catalog.

Incremental by construction (see ``index``): unchanged chunks are never re-embedded, a changed
document is updated add-then-delete, removed documents are swept. Sweeping is scoped to the
kinds of source ingested in this run, so a plain ``tutorbot ingest`` keeps linked pages that
``--follow-links`` brought in earlier.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, Field

from .catalog import build_catalog, save_catalog
from .chunking import chunk_document, dedupe_chunks
from .corpus import load_corpus
from .embed import Embedder
from .index import VectorIndex, catalog_path
from .schemas import Chunk, Document
from .settings import Settings


class IngestReport(BaseModel):
    documents_read: int = 0
    skipped: list[str] = Field(default_factory=list, description="'path: reason' per skipped file.")
    merged: list[str] = Field(default_factory=list, description="'kept ⇐ dropped (similarity)' per merge.")
    chunks_total: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_unchanged: int = 0
    near_duplicate_chunks: int = 0
    embedding_calls: int = 0
    texts_embedded: int = 0
    catalog_entries: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"documents read {self.documents_read}, skipped {len(self.skipped)}, merged {len(self.merged)}; "
                f"chunks {self.chunks_total} (added {self.chunks_added}, deleted {self.chunks_deleted}, "
                f"unchanged {self.chunks_unchanged}, near-duplicates dropped {self.near_duplicate_chunks}); "
                f"embedded {self.texts_embedded} texts in {self.embedding_calls} calls; "
                f"catalog {self.catalog_entries} entries; {self.seconds:.1f}s")


Progress = Callable[[str, int, int], None]


def chunk_all(documents: list[Document], settings: Settings, embedder: Embedder) -> tuple[list[Chunk], int]:
    chunks = [c for d in documents for c in chunk_document(d, settings.index.chunk_tokens, embedder.count_tokens)]
    kept, dropped = dedupe_chunks(chunks)
    return kept, len(dropped)


def sync_document(index: VectorIndex, embedder: Embedder, doc_id: str, chunks: list[Chunk],
                  report: IngestReport) -> None:
    """Bring one document's chunks in the index to exactly ``chunks``, embedding only new ones."""
    existing = index.ids_for(doc_id)
    new = [c for c in chunks if c.id not in existing]
    if new:
        index.add(new, embedder.embed_passages([c.embed_text for c in new]))
    stale = existing - {c.id for c in chunks}
    index.delete(stale)  # after the add: an interruption leaves old or old+new, never nothing
    report.chunks_added += len(new)
    report.chunks_deleted += len(stale)
    report.chunks_unchanged += len(chunks) - len(new)


def index_documents(documents: list[Document], settings: Settings, embedder: Embedder, index: VectorIndex,
                    report: IngestReport, kinds: set[str], progress: Progress | None = None) -> None:
    chunks, report.near_duplicate_chunks = chunk_all(documents, settings, embedder)
    report.chunks_total = len(chunks)
    by_doc: dict[str, list[Chunk]] = defaultdict(list)
    for c in chunks:
        by_doc[c.doc_id].append(c)
    calls0, texts0 = embedder.calls, embedder.texts_embedded
    for i, doc in enumerate(documents, 1):
        sync_document(index, embedder, doc.id, by_doc.get(doc.id, []), report)
        if progress:
            progress(doc.id, i, len(documents))
    gone = {cid for cid, kind in index.doc_kinds().items() if kind in kinds} - {d.id for d in documents}
    for doc_id in gone:
        sync_document(index, embedder, doc_id, [], report)
    report.embedding_calls = embedder.calls - calls0
    report.texts_embedded = embedder.texts_embedded - texts0


def ingest(settings: Settings, embedder: Embedder, index: VectorIndex, corpus_dir: Path | None = None,
           rebuild: bool = False, linked: list[Document] | None = None,
           progress: Progress | None = None) -> IngestReport:
    start = time.perf_counter()
    report = IngestReport()
    load = load_corpus(corpus_dir or settings.corpus_dir, settings.index.max_file_bytes)
    report.documents_read = len(load.documents) + len(load.merged)
    report.skipped = [f"{s.path}: {s.reason}" for s in load.skipped]
    report.merged = [f"{m.kept} ⇐ {m.dropped} ({m.similarity:.2f})" for m in load.merged]
    if rebuild:
        index.reset()
    documents = list(load.documents) + list(linked or [])
    kinds = {"roadmap"} | ({"linked"} if linked is not None else set())
    index_documents(documents, settings, embedder, index, report, kinds, progress)
    entries = build_catalog(load.documents)
    save_catalog(entries, catalog_path(settings))
    report.catalog_entries = len(entries)
    report.seconds = time.perf_counter() - start
    return report
