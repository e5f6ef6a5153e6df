"""The linked pages in the background of `up`: the job, its progress, the politeness of its embedding,
and the retriever that is refreshed under readers. Real Chroma, the hash embedder, the mirror or a
loopback server: never a real host."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED, make_settings
from links_server import State, serve
from test_library_links import build_tab

from tutorbot.container import Container
from tutorbot.ingest.background import LinkedJob
from tutorbot.ingest.links import FetchTuning
from tutorbot.ingest.polite import PoliteEmbedder, Stopped
from tutorbot.ingest.progress import LinkedProgress
from tutorbot.ingest.terms import load_terms, table_key
from tutorbot.retrieval.embed import HashEmbedder
from tutorbot.retrieval.live import Foreground, LiveRetriever
from tutorbot.ui import library_tab
from tutorbot.ui.status import Health, status_text
from tutorbot.urls import normalise_url

MIRROR = SHARED / "linked"
PAGES = ["arxiv-1706.03762-attention-is-all-you-need.md", "arxiv-2205.14135-flashattention.md",
         "arxiv-2006.11239-ddpm.md"]


def roadmap(corpus: Path, links: list[str], names: list[str] | None = None) -> Path:
    """A corpus of one roadmap whose sections link to ``links`` (under ``names``, when given)."""
    (corpus / "roadmaps").mkdir(parents=True)
    names = names or ["Read this page about transformers"] * len(links)
    body = "\n\n".join(f"## Part {i}\n\n- {name}: {url}"
                       for i, (name, url) in enumerate(zip(names, links, strict=True)))
    (corpus / "roadmaps" / "links.txt").write_text(f"# Linked roadmap\n\n{body}\n", encoding="utf-8")
    return corpus


def container(tmp_path: Path, links: list[str], **links_settings: object) -> Container:
    s = make_settings(tmp_path / "data", corpus_dir=roadmap(tmp_path / "corpus", links),
                      links={"allow_hosts": "127.0.0.1/32", "timeout_s": 5, **links_settings})
    c = Container(s, embedder=HashEmbedder())
    c.ingest()
    return c


def fresh_job(c: Container, **kw: object) -> LinkedJob:
    """The job of a (next) `up` over this data dir; fetches are not retried (tests need no back-off)."""
    kw.setdefault("tuning", FetchTuning(retries=0))
    c.__dict__["linked"] = LinkedJob(c.settings, c.catalog, c.embedder, c.index, c.foreground,
                                     on_indexed=c._searchable, on_done=c._terms_current,
                                     **kw)  # type: ignore[arg-type]
    return c.linked


@pytest.fixture()
def server() -> Iterator[tuple[str, State]]:
    with serve() as s:
        yield s


def linked_docs(c: Container) -> set[str]:
    return {d for d, kind in c.index.doc_kinds().items() if kind == "linked"}


# -- the job --------------------------------------------------------------------------------------
def test_pages_are_indexed_and_searchable_and_a_second_run_embeds_nothing(tmp_path, server):
    base, _ = server
    urls = [f"{base}/pages/{p}" for p in PAGES] + [f"{base}/404"]
    c = container(tmp_path, urls)
    before = c.retriever.search("FlashAttention IO-aware exact attention", k=3)
    assert all(h.chunk.kind == "roadmap" for h in before)
    first = fresh_job(c).run()
    assert (first.state, first.total, first.indexed, first.unreachable) == ("done", 4, 3, 1)
    assert first.texts_embedded > 0 and first.texts_embedded == first.chunks_added
    assert linked_docs(c) == {normalise_url(u) for u in urls[:3]}
    hits = c.retriever.search("FlashAttention IO-aware exact attention", k=3)  # refreshed by the job
    assert hits[0].chunk.kind == "linked" and "flashattention" in hits[0].chunk.doc_id
    again = fresh_job(c).run()
    assert (again.state, again.indexed, again.texts_embedded, again.chunks_deleted) == ("done", 3, 0, 0)


def test_pages_count_as_searchable_only_once_the_retriever_has_been_refreshed(tmp_path, server):
    base, _ = server
    c = container(tmp_path, [f"{base}/pages/{p}" for p in PAGES])
    job, seen = fresh_job(c), list[tuple[int, int]]()

    def refreshing() -> None:  # what progress says while the retriever is being refreshed
        p = job.progress()
        seen.append((p.indexed, p.searchable))
        c._searchable()

    job.on_indexed = refreshing
    done = job.run()
    assert seen and all(searchable < indexed for indexed, searchable in seen)  # indexed, not yet findable
    assert done.searchable == done.indexed == 3


def test_when_the_job_is_done_the_term_table_is_mined_from_the_pages_too_and_searched_with(tmp_path, server):
    base, _ = server
    c = container(tmp_path, [f"{base}/pages/{p}" for p in PAGES])
    roadmaps_only = c.terms().key
    assert fresh_job(c).run().state == "done"
    stored = load_terms(c.settings.paths.terms)
    assert stored is not None and stored.key == table_key(c.index.all_chunks(), c.glossary.zh_terms()) != roadmaps_only
    assert c.retriever.current.terms.key == stored.key  # the running retriever expands with it


def test_a_changed_page_is_re_embedded_and_a_vanished_one_keeps_its_copy_marked_dead(tmp_path, server):
    base, state = server
    c = container(tmp_path, [f"{base}/toggle", f"{base}/pages/{PAGES[0]}"], refresh_after_h=1e-9)
    fresh_job(c).run()
    state.toggle_text = "# Toggle\n\nthe second version, about rotary position embeddings"
    changed = fresh_job(c).run()  # refresh_after_h ~ 0: every copy is revalidated (the other one: 304)
    assert changed.texts_embedded >= 1 and changed.chunks_deleted >= 1
    assert any("rotary" in h.chunk.text for h in c.retriever.search("rotary position embeddings", k=3))
    state.toggle_broken = True
    gone = fresh_job(c).run()
    assert (gone.indexed, gone.unreachable, gone.kept_old, gone.texts_embedded) == (2, 1, 1, 0)
    assert gone.pages[normalise_url(f"{base}/toggle")] == "dead" and "HTTP 503" in gone.reasons[
        normalise_url(f"{base}/toggle")]
    assert any("rotary" in h.chunk.text for h in c.retriever.search("rotary position embeddings", k=3))


def test_a_failed_page_waits_out_its_back_off_then_is_tried_again(tmp_path, server):
    base, state = server
    state.toggle_broken = True
    c = container(tmp_path, [f"{base}/toggle"], retry_after_s=3600)
    assert (fresh_job(c).run().unreachable, state.hits["/toggle"]) == (1, 1)
    state.toggle_broken = False
    waiting = fresh_job(c).run()
    assert state.hits["/toggle"] == 1 and waiting.unreachable == 1  # inside its back-off: not requested
    assert "HTTP 503" in waiting.reasons[normalise_url(f"{base}/toggle")]  # the reason it is waiting for
    c.settings.links.retry_after_s = 0
    retried = fresh_job(c).run()
    assert state.hits["/toggle"] == 2 and (retried.indexed, retried.unreachable) == (1, 0)


def test_when_no_host_resolves_every_link_fails_fast_with_its_reason_and_the_roadmaps_still_answer(tmp_path):
    tried: list[str] = []

    def no_dns(host: str, port: int) -> list[str]:
        tried.append(host)
        raise socket.gaierror(-2, "Name or service not known")

    s = make_settings(tmp_path / "data")  # the real corpus and catalog
    c = Container(s, embedder=HashEmbedder())
    c.ingest()
    done = fresh_job(c, resolver=no_dns).run()
    assert done.state == "done" and done.total >= 60 and done.unreachable == done.total and done.indexed == 0
    assert len(tried) < done.total  # a few hosts, then the rest are not even looked up
    down = [why for why in done.reasons.values() if why.startswith("not tried: the network looks down")]
    assert down and all("cannot resolve host" in why and "attempts" not in why for why in done.reasons.values())
    assert c.retriever.search("CS336", k=3)  # the roadmaps keep working
    show = build_tab(c.settings, c.catalog, linked=c.linked_progress).refreshers[0].fn
    dead = show("", "", "", "", "", True, "en").split("<tr>")[2:]  # the rows after the header
    # the links tutorbot added to named resources are never fetched, so never dead
    fetched = {e.url for e in c.catalog if e.url and e.url.startswith("http") and e.url_source == "roadmap"}
    assert len(dead) == len(fetched) and done.total == len(fetched)
    assert all("tb-link-dead" in row and "cannot resolve host" in row for row in dead)


def test_a_mirror_without_a_manifest_fails_the_job_with_the_reason_and_keeps_the_roadmaps(tmp_path):
    c = container(tmp_path, ["https://example.org/a"], mirror=tmp_path / "empty")
    failed = fresh_job(c).run()
    assert failed.state == "failed" and "manifest.json" in failed.error
    assert "not fetched" in failed.line() and c.retriever.search("transformers", k=1)


def test_stop_ends_the_job_between_batches_and_keeps_what_was_indexed(tmp_path, server):
    base, state = server
    c = container(tmp_path, [f"{base}/pages/{PAGES[0]}", f"{base}/gated/{PAGES[1]}"])
    job = fresh_job(c)
    job.start()
    deadline = time.monotonic() + 60
    while job.progress().indexed < 1:  # the first page; the second is held by the server
        assert time.monotonic() < deadline, job.progress()
        time.sleep(0.05)
    assert job.stop(timeout=30)
    stopped = job.progress()
    assert stopped.state == "stopped" and stopped.pages[normalise_url(f"{base}/gated/{PAGES[1]}")] == "pending"
    assert linked_docs(c) == {normalise_url(f"{base}/pages/{PAGES[0]}")}
    state.gate.set()


# -- progress, as the CLI and the UI show it -------------------------------------------------------
def test_progress_line_counts_indexed_unreachable_and_old_copies():
    p = LinkedProgress(state="running", total=72, indexed=41, unreachable=6)
    assert p.line() == "linked pages: 41 of 72 indexed, 6 unreachable"
    done = p.model_copy(update={"state": "done", "kept_old": 2, "seconds": 312.4, "texts_embedded": 2338})
    assert done.line() == ("linked pages: 41 of 72 indexed, 6 unreachable (2 kept from an earlier fetch); "
                           "done in 312 s, 2338 passages embedded")


def test_status_line_shows_the_linked_pages_while_the_job_runs_in_both_languages():
    running = LinkedProgress(state="running", total=72, indexed=41, unreachable=6)
    line = status_text(Health(state="up", model="m", chunks=2400, linked=running), "en")
    assert "linked pages: 41 of 72 indexed, 6 unreachable — indexing in the background" in line
    zh = status_text(Health(state="up", model="m", chunks=2400, linked=running), "zh")
    assert "已索引 41/72" in zh and "6 个无法访问" in zh
    assert "linked" not in status_text(Health(state="up", model="m", chunks=156), "en")  # no job, no count
    failed = LinkedProgress(state="failed", error="<no manifest.json>")
    assert "&lt;no manifest.json&gt;" in status_text(Health(state="up", linked=failed), "en")


def test_library_marks_pages_the_job_has_not_reached_as_pending():
    fresh = library_tab.LinkStatus(state="pending")
    assert "pending" in library_tab.link_badge(fresh, "en") and "tb-desc" not in library_tab.link_badge(fresh, "en")
    retry = library_tab.LinkStatus(state="pending", reason="timed out after 20s")
    assert "timed out after 20s" in library_tab.link_badge(retry, "en")
    assert "等待抓取" in library_tab.link_badge(fresh, "zh")


# -- politeness: the learner's question first ---------------------------------------------------
class Recording(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.called = threading.Event()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        self.called.set()
        return super().embed_passages(texts)


def test_background_embedding_waits_while_a_question_is_being_retrieved():
    inner, foreground, stop = Recording(), Foreground(), threading.Event()
    polite = PoliteEmbedder(inner, foreground, stop, threads=1)
    try:
        with foreground.active():
            worker = threading.Thread(target=polite.embed_passages, args=(["a passage"],))
            worker.start()
            assert not inner.called.wait(0.5)  # held back while the question runs
        assert inner.called.wait(10)
        worker.join(10)
        assert (polite.calls, polite.texts_embedded) == (1, 1)
    finally:
        polite.close()


def test_a_stop_request_ends_background_embedding_before_the_next_batch():
    inner, stop = Recording(), threading.Event()
    polite = PoliteEmbedder(inner, Foreground(), stop, threads=1, batch=2)
    try:
        assert polite.embed_passages(["a", "b", "c"]).shape == (3, inner.dim)
        stop.set()
        with pytest.raises(Stopped):
            polite.embed_passages(["d"])
        assert polite.texts_embedded == 3
    finally:
        polite.close()


# -- the live retriever -------------------------------------------------------------------------
class Snapshot:
    """A stand-in retriever whose refresh replaces its state; retrieve can be held mid-way."""

    def __init__(self) -> None:
        self.version, self.by_id, self.chunks = 1, {"a": "chunk a"}, ["chunk a"]
        self.hold = threading.Event()

    def refresh(self) -> None:
        self.version += 1
        self.by_id = {**self.by_id, "b": "chunk b"}

    def retrieve(self, query: str) -> int:
        seen = self.version
        self.hold.wait(10)
        return seen * 100 + self.version  # a reader that saw the state change mid-way returns 102


def test_a_search_under_way_finishes_on_the_state_it_started_with():
    inner = Snapshot()
    live = LiveRetriever(inner)  # type: ignore[arg-type]
    got: list[int] = []
    reader = threading.Thread(target=lambda: got.append(live.retrieve("q")))
    reader.start()
    time.sleep(0.1)
    live.refresh()
    inner.hold.set()
    reader.join(10)
    assert got == [101] and live.retrieve("q") == 202 and inner.version == 1


def test_a_service_that_kept_by_id_get_sees_chunks_indexed_later():
    live = LiveRetriever(Snapshot())  # type: ignore[arg-type]
    lookup = live.by_id.get
    assert lookup("b") is None
    live.refresh()
    assert lookup("b") == "chunk b" and len(live.by_id) == 2


def test_retrievals_count_as_foreground_while_they_run():
    inner = Snapshot()
    live = LiveRetriever(inner)  # type: ignore[arg-type]
    reader = threading.Thread(target=lambda: live.retrieve("q"))
    reader.start()
    time.sleep(0.1)
    assert not live.foreground.wait_idle(0.2)
    inner.hold.set()
    reader.join(10)
    assert live.foreground.wait_idle(1)


def test_a_chunk_deleted_while_a_query_ran_is_no_hit(tmp_path):
    from llama_index.core.schema import TextNode
    from llama_index.core.vector_stores.types import VectorStoreQueryResult

    from tutorbot.retrieval.index import chunk_metadata, open_index
    from tutorbot.schemas import Chunk

    index = open_index(make_settings(tmp_path / "data"))
    kept = Chunk(id="c1", doc_id="d", title="t", text="kept")
    index.add([kept], np.ones((1, 8), np.float32))
    # What Chroma hands back for an id whose record went between the vector search and the read.
    nodes = [TextNode(id_="c1", text="kept", metadata=chunk_metadata(kept)), TextNode(id_="c2", text="")]
    index._store = type("Store", (), {"query": lambda self, q: VectorStoreQueryResult(
        nodes=nodes, similarities=[0.9, 0.8], ids=["c1", "c2"])})()
    assert [h.chunk.id for h in index.query(np.ones(8, np.float32), 2)] == ["c1"]
