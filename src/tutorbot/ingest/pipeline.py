"""Ingest stage: corpus → cleaned documents → chunks → embeddings → index, plus the catalog.

Incremental by construction (see ``index``): unchanged chunks are never re-embedded, a changed
document is updated add-then-delete, removed documents are swept. Sweeping is scoped to the
kinds of source ingested in this run, so a plain ``tutorbot ingest`` keeps linked pages that
``--follow-links`` brought in earlier. A manifest in the data dir remembers what reading and
chunking produced, so an unchanged file is neither repaired nor chunked (nor tokenised) again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections import defaultdict
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from tutorbot.files import write_atomic
from tutorbot.ingest.canonical import add_canonical, load_canonical
from tutorbot.ingest.catalog import build_catalog, load_named, save_catalog
from tutorbot.ingest.catalog_topics import assign_topics, curriculum_resources
from tutorbot.ingest.chunking import chunk_document
from tutorbot.ingest.corpus import FileRecord, Skipped, load_corpus
from tutorbot.ingest.dedupe import dedupe_chunks
from tutorbot.retrieval.embed import Embedder
from tutorbot.retrieval.index import VectorIndex
from tutorbot.schemas import CatalogEntry, Chunk, Document
from tutorbot.settings import Settings


class IngestReport(BaseModel):
    documents_read: int = 0
    skipped: list[str] = Field(default_factory=list, description="'path: reason' per skipped file.")
    warnings: list[str] = Field(default_factory=list, description="What the run could not use, and the fix.")
    merged: list[str] = Field(default_factory=list, description="'kept ⇐ dropped (similarity)' per merge.")
    chunks_total: int = 0
    chunks_added: int = 0
    chunks_deleted: int = 0
    chunks_unchanged: int = 0
    near_duplicate_chunks: int = 0
    embedding_calls: int = 0
    texts_embedded: int = 0
    catalog_entries: int = 0
    term_pairs: int = Field(0, description="Bilingual term pairs mined from the indexed chunks.")
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"documents read {self.documents_read}, skipped {len(self.skipped)}, merged {len(self.merged)}; "
                f"chunks {self.chunks_total} (added {self.chunks_added}, deleted {self.chunks_deleted}, "
                f"unchanged {self.chunks_unchanged}, near-duplicates dropped {self.near_duplicate_chunks}); "
                f"embedded {self.texts_embedded} texts in {self.embedding_calls} calls; "
                f"catalog {self.catalog_entries} entries; term pairs {self.term_pairs}; {self.seconds:.1f}s")


Progress = Callable[[str, int, int], None]
log = logging.getLogger(__name__)


class ChunkRecord(BaseModel):
    key: str = Field(description="Hash of the document the chunks were cut from.")
    chunks: list[Chunk]


class Manifest(BaseModel):
    """What the pure stages of the last run produced: file bytes → Document → chunks.

    It is dropped whole when the code or the tokenizer differs (``fingerprint``). What gets
    embedded is still decided by the chunk ids in the index, so a stale, lost or corrupt
    manifest only costs time, never a wrong index.
    """

    fingerprint: str = ""
    files: dict[str, FileRecord] = Field(default_factory=dict, description="Corpus-relative path → record.")
    chunks: dict[str, ChunkRecord] = Field(default_factory=dict, description="Document id → its chunks.")
    skipped: list[Skipped] = Field(default_factory=list, description="Files the last run could not read.")


def fingerprint(settings: Settings, embedder: Embedder) -> str:
    """Everything besides file bytes that reading and chunking depend on, source code included
    (hashing the modules means an upgrade can never reuse results of the old code)."""
    from tutorbot import lang, schemas, urls
    from tutorbot.ingest import chunking, corpus, mojibake

    try:
        jieba = metadata.version("jieba")  # its dictionary guides mojibake repair
    except metadata.PackageNotFoundError:
        jieba = ""
    h = hashlib.sha256(f"{embedder.name}|{settings.index.chunk_tokens}|{jieba}".encode())
    for module in (corpus, mojibake, chunking, lang, schemas, urls):
        h.update(Path(module.__file__ or "").read_bytes())
    return h.hexdigest()


def read_manifest(path: Path) -> Manifest | None:
    """The last run's manifest, whatever code wrote it; None when there is none or it is unreadable."""
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as exc:
        log.warning("%s unreadable (%s): reading the whole corpus again", path, str(exc).splitlines()[0])
        return None


def load_manifest(path: Path, expected: str) -> Manifest:
    found = read_manifest(path)
    return found if found is not None and found.fingerprint == expected else Manifest(fingerprint=expected)


def _doc_key(doc: Document) -> str:
    data = doc.model_dump(mode="json", exclude={"merged_from"})  # merging does not change the chunks
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def chunk_all(documents: list[Document], settings: Settings, embedder: Embedder,
              known: dict[str, ChunkRecord] | None = None) -> tuple[list[Chunk], int, dict[str, ChunkRecord]]:
    """(kept chunks, near-duplicates dropped, records): documents found in ``known`` unchanged
    are not chunked again. De-duplication spans documents, so it always runs on all of them."""
    known = known or {}
    records: dict[str, ChunkRecord] = {}
    for doc in documents:
        key, rec = _doc_key(doc), known.get(doc.id)
        if rec is None or rec.key != key:
            rec = ChunkRecord(key=key, chunks=chunk_document(doc, settings.index.chunk_tokens, embedder.count_tokens))
        records[doc.id] = rec
    kept, dropped = dedupe_chunks([c for d in documents for c in records[d.id].chunks])
    return kept, len(dropped), records


def sync_document(index: VectorIndex, embedder: Embedder, doc_id: str, chunks: list[Chunk],
                  report: IngestReport, step: int = 0) -> None:
    """Bring one document's chunks in the index to exactly ``chunks``, embedding only new ones.
    ``step`` > 0 embeds and adds that many at a time: a long page becomes searchable piece by
    piece, and an interruption keeps what was embedded (the next run adds only the rest)."""
    existing = index.ids_for(doc_id)
    new = [c for c in chunks if c.id not in existing]
    step = step or max(len(new), 1)
    for i in range(0, len(new), step):
        part = new[i:i + step]
        index.add(part, embedder.embed_passages([c.embed_text for c in part]))
        report.chunks_added += len(part)
    stale = existing - {c.id for c in chunks}
    index.delete(stale)  # after the add: an interruption leaves old or old+new, never nothing
    report.chunks_deleted += len(stale)
    report.chunks_unchanged += len(chunks) - len(new)


def index_documents(documents: list[Document], settings: Settings, embedder: Embedder, index: VectorIndex,
                    report: IngestReport, kinds: set[str], progress: Progress | None = None,
                    known: dict[str, ChunkRecord] | None = None) -> dict[str, ChunkRecord]:
    """Sync the index to ``documents``; returns the chunk records for the next run's manifest."""
    chunks, report.near_duplicate_chunks, records = chunk_all(documents, settings, embedder, known)
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
    return records


def ingest(settings: Settings, embedder: Embedder, index: VectorIndex, corpus_dir: Path | None = None,
           rebuild: bool = False, linked: list[Document] | None = None,
           progress: Progress | None = None) -> IngestReport:
    start = time.perf_counter()
    report = IngestReport()
    corpus_dir = corpus_dir or settings.corpus_dir
    expected = fingerprint(settings, embedder)
    previous = read_manifest(settings.paths.ingest_manifest)
    # --rebuild trusts nothing from earlier runs as a cache; a file that cannot be read now still
    # falls back to the version an earlier run read (even one of older code): better than losing it.
    fresh = rebuild or previous is None or previous.fingerprint != expected
    manifest = Manifest(fingerprint=expected) if fresh or previous is None else previous
    load = load_corpus(corpus_dir, settings.index.max_file_bytes, known=manifest.files,
                       last_good=previous.files if previous else {})
    report.documents_read = len(load.documents) + len(load.merged)
    report.skipped = [s.line() for s in load.skipped]
    report.merged = [f"{m.kept} ⇐ {m.dropped} ({m.similarity:.2f})" for m in load.merged]
    if rebuild:
        index.reset()
    documents = list(load.documents) + list(linked or [])
    kinds = {"roadmap"} | ({"linked"} if linked is not None else set())
    records = index_documents(documents, settings, embedder, index, report, kinds, progress, manifest.chunks)
    named = load_named(corpus_dir / "named_resources.yaml")
    canonical, problem = load_canonical(corpus_dir / "canonical_links.yaml")
    report.warnings += [problem] if problem else []
    entries = add_canonical(build_catalog(load.documents, named), canonical)
    entries = assign_topics(entries, curriculum_resources(corpus_dir / "curriculum.yaml"))
    save_catalog(entries, settings.paths.catalog)
    report.catalog_entries = len(entries)
    report.term_pairs = len(mine_terms_of(index, corpus_dir, settings).pairs)
    report.warnings += curriculum_problems(corpus_dir / "curriculum.yaml", entries)
    new = Manifest(fingerprint=expected, files=load.files, chunks=records, skipped=load.skipped)
    save_manifest(manifest, new, settings.paths.ingest_manifest)
    report.seconds = time.perf_counter() - start
    return report


def mine_terms_of(index: VectorIndex, corpus_dir: Path, settings: Settings):
    """The bilingual term table of everything indexed now (mined again only when that changed)."""
    from tutorbot.ingest.terms import ensure_terms
    from tutorbot.retrieval.expand import Glossary

    glossary = Glossary.load(corpus_dir / "glossary.yaml")
    return ensure_terms(settings.paths.terms, index.all_chunks(), glossary.zh_terms())


def curriculum_problems(path: Path, entries: list[CatalogEntry]) -> list[str]:
    """What is wrong with the curriculum against the catalog just built. The ingest still succeeds:
    only plans and quizzes need the curriculum, and they say so until it is fixed."""
    from tutorbot.curriculum.graph import CurriculumError, load_curriculum

    if not path.is_file():
        return []
    try:
        load_curriculum(path, {e.id for e in entries})
    except CurriculumError as exc:
        return [f"{exc}; plans and quizzes are off until it is fixed (chat still works)"]
    return []


def save_manifest(old: Manifest, new: Manifest, path: Path) -> None:
    """Written last, and only when it changed: the index and catalog it describes are saved."""
    if new != old or not path.exists():
        write_atomic(path, new.model_dump_json())
