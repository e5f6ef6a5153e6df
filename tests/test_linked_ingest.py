"""Linked pages into the index, end to end, from the offline mirror or the mirror served on loopback."""

from __future__ import annotations

import json
import time

import pytest
from conftest import DEV_QA, SHARED, make_settings
from links_server import serve
from test_crosslingual_integration import CROSS
from test_linked_background import fresh_job, roadmap
from typer.testing import CliRunner

from tutorbot.chat.evaluate import eval_retrieval, first_hit_rank, load_qa
from tutorbot.cli import app
from tutorbot.container import Container
from tutorbot.ingest.linked import fetch_catalog_links
from tutorbot.ingest.links import fetch_links_async
from tutorbot.urls import normalise_url

MIRROR = SHARED / "linked"
SMALL = ["arxiv-1706.03762-attention-is-all-you-need.md", "arxiv-2205.14135-flashattention.md",
         "arxiv-2006.11239-ddpm.md"]  # abstracts: a few chunks each, quick to embed
HELD = "arxiv-2001.08361-scaling-laws.md"
runner = CliRunner()
pytestmark = pytest.mark.integration  # real embeddings + Chroma


@pytest.fixture(scope="module")
def with_pages(tmp_path_factory) -> tuple[Container, list]:
    """The roadmaps and nine linked pages of the mirror, indexed; no model (composed answers)."""
    s = make_settings(tmp_path_factory.mktemp("pages") / "data", llm={"base_url": "http://127.0.0.1:9/v1"})
    report = fetch_catalog_links(s, s.corpus_dir, mirror=MIRROR)
    assert len(report.documents) >= 30 and all(not d.trusted and d.kind == "linked" for d in report.documents)
    # A subset keeps the test quick on 2 cores; bench/ measures the dev set with every linked page.
    docs = sorted(report.documents, key=lambda d: ("annotated" not in d.id, len(d.text)))[:8]
    docs += [d for d in report.documents if d.id.endswith("/Go.md")]  # a roadmap links it as "Overview" of agents
    c = Container(s)
    c.ingest(linked=docs)
    return c, docs


def test_mirror_pages_are_indexed_with_provenance_and_roadmaps_stay_findable(indexed, with_pages):
    c, docs = with_pages
    s = c.settings
    kinds = {ch.kind for ch in c.retriever.chunks}
    assert kinds == {"roadmap", "linked"}
    hits = c.retriever.search("What does the annotated transformer say about masking?", k=5)
    linked = [h for h in hits if h.chunk.kind == "linked"]
    assert linked and linked[0].chunk.source.startswith("http")  # source is the page URL
    assert linked[0].chunk.linked_from and " > " in linked[0].chunk.linked_from[0]  # which roadmap section
    qa = load_qa(DEV_QA)
    with_links = eval_retrieval(c.retriever, qa, k=10, mode="hybrid")["all"]["hit@5"]
    without = eval_retrieval(indexed.retriever, qa, k=10, mode="hybrid")["all"]["hit@5"]
    assert with_links >= without  # roadmap sections stay findable
    ids = {d.id for d in docs}
    again = c.ingest(linked=[d for d in fetch_catalog_links(s, s.corpus_dir, mirror=MIRROR).documents if d.id in ids])
    assert again.embedding_calls == 0  # nothing new on a re-run
    behind = c.chat.ask("重学AI 里 Agent 下面那个 Overview 链接，打开以后是什么内容？").answer
    assert "Go 后端学习路线 — 各部分：Go 语法；MySQL；Redis" in behind  # what the page holds, not what links it


@pytest.mark.parametrize(("question", "evidence"), CROSS)
def test_with_linked_pages_a_question_still_finds_the_roadmap_line_written_in_the_other_language(
        with_pages, question, evidence):
    # English and Chinese pages on the same topics push the line's chunk down its language's lists: with the
    # line view off, the sparse-attention question drops to 6th and the interpretability one out of the top 10.
    rank = first_hit_rank(with_pages[0].retriever.search(question, k=5), evidence)
    assert rank is not None, f"{evidence} not in the top 5 for {question!r} with linked pages indexed"


def test_plain_ingest_keeps_linked_pages(tmp_path):
    s = make_settings(tmp_path / "data")
    docs = fetch_catalog_links(s, s.corpus_dir, mirror=MIRROR).documents[:3]
    c = Container(s)
    c.ingest(linked=docs)
    n = c.index.count()
    assert c.ingest().chunks_deleted == 0 and c.index.count() == n


def test_fetch_links_cli_reports_missing_mirror_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path))
    out = runner.invoke(app, ["fetch-links", "--mirror", str(MIRROR), "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert any(r["status"] == "error" and "not in mirror" in r["reason"] for r in rows)
    assert sum(r["status"] in ("ok", "cached") for r in rows) >= 30
    dead = runner.invoke(app, ["catalog", "--dead", "--json"])
    assert dead.exit_code == 0 and json.loads(dead.output)


def test_up_indexes_the_linked_pages_in_the_background_while_chat_answers(llm_server, tmp_path):
    """`up`'s code path against the mirror served on loopback: real e5, Chroma and vLLM. The last page
    is held by the server, so the question is answered while the job is still running."""
    with serve() as (base, state):
        urls = [f"{base}/pages/{p}" for p in SMALL] + [f"{base}/404", f"{base}/gated/{HELD}"]
        names = ["Attention Is All You Need", "FlashAttention", "DDPM", "A page that is gone", "Scaling laws"]
        s = make_settings(tmp_path / "data", corpus_dir=roadmap(tmp_path / "corpus", urls, names),
                          llm=llm_server.llm.model_dump(), links={"allow_hosts": "127.0.0.1/32"})
        c = Container(s)
        c.ingest()
        chat = c.chat  # built on the roadmaps alone, as the UI's is when `up` starts the job
        job = c.linked
        job.start()
        wait_for(lambda: job.progress().searchable == len(SMALL), job)  # indexed is not yet searchable
        assert job.progress().state == "running"
        answer = chat.ask("What does FlashAttention make faster, and how?")
        flash = normalise_url(urls[1])
        assert answer.grounded and flash in {cit.source for cit in answer.citations}, answer
        state.gate.set()
        assert job.wait(600)
        done = job.progress()
        assert (done.state, done.indexed, done.unreachable) == ("done", len(SMALL) + 1, 1)
        assert {d for d, k in c.index.doc_kinds().items() if k == "linked"} == {
            normalise_url(u) for u in urls if "/404" not in u}
        assert fresh_job(c).run().texts_embedded == 0  # the next `up` embeds nothing


def wait_for(condition, job, within_s: float = 900) -> None:
    deadline = time.monotonic() + within_s  # a hang guard, not a speed target
    while not condition():
        assert time.monotonic() < deadline and job.progress().state == "running", job.progress()
        time.sleep(0.2)


def test_after_the_background_job_a_whole_ingest_of_the_same_pages_embeds_and_deletes_nothing(tmp_path,
                                                                                               monkeypatch):
    """Page by page in the catalog's order, the job keeps the chunks a whole `ingest --follow-links` keeps,
    near-duplicates across pages included (the two annotated-transformer versions share text), in
    whatever order the pages arrive: here the last first."""
    from tutorbot.ingest import background

    async def last_first(*args, on_page, **kw):
        arrived = []
        report = await fetch_links_async(*args, on_page=lambda *page: arrived.append(page), **kw)
        for page in reversed(arrived):
            on_page(*page)
        return report

    monkeypatch.setattr(background, "fetch_links_async", last_first)
    s = make_settings(tmp_path / "data", embedding={"backend": "hash"}, links={"mirror": MIRROR})
    c = Container(s)
    c.ingest()
    done = fresh_job(c).run()
    assert done.state == "done" and done.indexed >= 60
    report = c.ingest(linked=fetch_catalog_links(s, s.corpus_dir).documents)
    assert report.near_duplicate_chunks > 0
    assert (report.texts_embedded, report.chunks_added, report.chunks_deleted) == (0, 0, 0)
