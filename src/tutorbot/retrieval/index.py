"""Index stage: chunks ⇄ Chroma, through llama-index's ``ChromaVectorStore``.

Upserts are idempotent and incremental: chunk ids are content-addressed (doc id + position +
hash of text and metadata), so a document whose chunks all exist already costs zero embedding
calls; a changed document gets its new chunks added *before* its stale ones are deleted, so an
interrupted run leaves every document searchable. Chroma is not process-safe: one process owns a persist dir,
or set ``TUTORBOT_INDEX_CHROMA_HOST`` to use a Chroma server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable

import numpy as np

from tutorbot.errors import TutorbotError
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import Settings

# llama-index overwrites the metadata keys doc_id/document_id/ref_doc_id, so ours is "source_id".
META_KEYS = ("source_id", "title", "section", "lang", "position", "kind", "trusted")
# ef_search well above the top-k asked for keeps HNSW equal to brute force on the dev questions
# (tests/test_index_hnsw.py); at this corpus size (~160 chunks) it visits every chunk anyway.
HNSW = {"space": "cosine", "ef_search": 256, "ef_construction": 256, "max_neighbors": 32}


def similarity(cosine: float) -> float:
    """The score a hit at this cosine gets from Chroma's cosine distance through llama-index
    (``exp(-distance)``), whichever path ranked it: the grounding thresholds are on this scale."""
    return math.exp(cosine - 1.0)


class IndexEmpty(TutorbotError, RuntimeError):
    """No chunks indexed yet."""


class IndexMismatch(TutorbotError, RuntimeError):
    """The index was embedded by another model than the one configured now."""


def make_chroma_client(settings: Settings):
    """The one place Chroma is named: embedded PersistentClient or an HttpClient."""
    import chromadb

    chroma_settings = chromadb.Settings(anonymized_telemetry=False)
    if settings.index.chroma_host:
        return chromadb.HttpClient(host=settings.index.chroma_host, port=settings.index.chroma_port,
                                   settings=chroma_settings)
    path = settings.paths.chroma
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)


def chunk_metadata(c: Chunk) -> dict:
    return {"source_id": c.doc_id, "title": c.title, "section": c.section, "lang": c.lang,
            "position": c.position, "kind": c.kind, "trusted": c.trusted,
            "urls": json.dumps(c.urls, ensure_ascii=False),
            "linked_from": json.dumps(c.linked_from, ensure_ascii=False)}


def chunk_from_record(cid: str, text: str, meta: dict) -> Chunk:
    return Chunk(id=cid, doc_id=meta["source_id"], title=meta.get("title", ""), section=meta.get("section", ""),
                 text=text, lang=meta.get("lang", "zh"), urls=json.loads(meta.get("urls", "[]")),
                 position=int(meta.get("position", 0)), kind=meta.get("kind", "roadmap"),
                 trusted=bool(meta.get("trusted", True)), linked_from=json.loads(meta.get("linked_from", "[]")))


class VectorIndex:
    """Chunks with their embeddings in one Chroma collection."""

    def __init__(self, client, collection: str):
        self._client, self._name = client, collection
        self._open()

    def _open(self) -> None:
        self.collection = self._client.get_or_create_collection(self._name, configuration={"hnsw": HNSW},
                                                                embedding_function=None)
        self._store = None

    @property
    def store(self):
        """llama-index's view of the collection, built on first add/query: importing llama-index
        takes about a second, which an unchanged re-ingest (only reads and deletes) never needs."""
        if self._store is None:
            from llama_index.vector_stores.chroma import ChromaVectorStore

            self._store = ChromaVectorStore(chroma_collection=self.collection)
        return self._store

    def count(self) -> int:
        return self.collection.count()

    def ids_for(self, doc_id: str) -> set[str]:
        return set(self.collection.get(where={"source_id": doc_id}, include=[])["ids"])

    def doc_kinds(self) -> dict[str, str]:
        """source id → kind ("roadmap"/"linked") of every indexed document."""
        metas = self.collection.get(include=["metadatas"])["metadatas"] or []
        return {m["source_id"]: m.get("kind", "roadmap") for m in metas}

    def add(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        from llama_index.core.schema import TextNode

        nodes = [TextNode(id_=c.id, text=c.text, embedding=v.tolist(), metadata=chunk_metadata(c))
                 for c, v in zip(chunks, vectors, strict=False)]
        for i in range(0, len(nodes), 256):
            self.store.add(nodes[i:i + 256])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self.collection.delete(ids=ids)

    def all_chunks(self) -> list[Chunk]:
        """Every chunk, by document and position."""
        return self._read(include_vectors=False)[0]

    def snapshot(self) -> tuple[list[Chunk], np.ndarray]:
        """Every chunk (as ``all_chunks`` orders them) and its stored vector, row for row. One read, so
        the two match while the background job writes."""
        return self._read(include_vectors=True)

    def _read(self, include_vectors: bool) -> tuple[list[Chunk], np.ndarray]:
        got = self.collection.get(include=["documents", "metadatas", *(["embeddings"] if include_vectors else [])])
        rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        chunks = [chunk_from_record(i, t or "", m) for i, t, m in rows]
        order = sorted(range(len(chunks)), key=lambda i: (chunks[i].doc_id, chunks[i].position))
        if not (include_vectors and chunks):
            return [chunks[i] for i in order], np.zeros((0, 0), np.float32)
        return [chunks[i] for i in order], np.asarray(got["embeddings"], np.float32)[order]

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[Hit]:
        from llama_index.core.vector_stores.types import VectorStoreQuery

        n = self.count()
        if n == 0:
            raise IndexEmpty("index is empty: run `tutorbot ingest`")
        q = VectorStoreQuery(query_embedding=vector.tolist(), similarity_top_k=min(k, n))
        res = self.store.query(q, where=where) if where else self.store.query(q)
        # A chunk deleted while the query ran (the background indexer replacing a changed page) comes
        # back without its metadata: it is gone, so it is no hit.
        pairs = [(n, s) for n, s in zip(res.nodes, res.similarities, strict=False) if "source_id" in n.metadata]
        return [Hit(chunk=self._chunk_of(n), score=float(s)) for n, s in pairs]

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these chunks (ids not in the index are left out)."""
        got = self.collection.get(ids=ids, include=["embeddings"])
        rows = zip(got["ids"], got["embeddings"], strict=True)
        return {i: np.asarray(v, dtype=np.float32) for i, v in rows}

    def nearest(self, vector: np.ndarray, k: int) -> list[str]:
        """Ids of the ``k`` chunks nearest to ``vector``."""
        return [h.chunk.id for h in self.query(vector, k)]

    def _chunk_of(self, node) -> Chunk:
        return chunk_from_record(node.node_id, node.get_content(), node.metadata)

    def reset(self) -> None:
        self._client.delete_collection(self._name)
        self._open()


def open_index(settings: Settings) -> VectorIndex:
    return VectorIndex(make_chroma_client(settings), settings.index.collection)


