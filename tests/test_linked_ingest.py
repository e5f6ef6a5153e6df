"""Linked pages into the index, end to end, from the offline mirror (no network)."""

from __future__ import annotations

import json

import pytest
from conftest import DEV_QA, SHARED, make_settings
from typer.testing import CliRunner

from tutorbot.chat.evaluate import eval_retrieval, load_qa
from tutorbot.cli import app
from tutorbot.container import Container
from tutorbot.ingest.linked import fetch_catalog_links

MIRROR = SHARED / "linked"
runner = CliRunner()
pytestmark = pytest.mark.integration  # real embeddings + Chroma


def test_mirror_pages_are_indexed_with_provenance_and_roadmaps_stay_findable(indexed, tmp_path):
    s = make_settings(tmp_path / "data")
    report = fetch_catalog_links(s, s.corpus_dir, mirror=MIRROR)
    assert len(report.documents) >= 30 and all(not d.trusted and d.kind == "linked" for d in report.documents)
    # A subset keeps the test quick on 2 cores; bench/ measures the dev set with every linked page.
    docs = sorted(report.documents, key=lambda d: ("annotated" not in d.id, len(d.text)))[:8]
    c = Container(s)
    c.ingest(linked=docs)
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
