"""Issue 8 leftovers: link status in the Library view, and provenance of linked hits in search --json."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from types import SimpleNamespace

import gradio as gr
import pytest
from conftest import make_settings
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.container import Container
from tutorbot.curriculum.graph import load_curriculum
from tutorbot.ingest.linked import link_statuses
from tutorbot.ingest.links import fetch_links
from tutorbot.ingest.links.cache import LinkCache
from tutorbot.ingest.links.models import CacheRecord
from tutorbot.schemas import CatalogEntry, Chunk, Document, Hit, RoadmapRef
from tutorbot.settings import PROJECT_ROOT, LinksSettings
from tutorbot.ui import library_tab
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import Labels

GOOD, GONE, MISSING, BROKEN = (f"https://example.org/{p}" for p in ("good", "gone", "missing", "broken"))
UNFETCHED = "https://example.org/never-asked"
JAN = datetime(2024, 1, 15, 9, 30, tzinfo=UTC)


def entry(url: str | None, title: str) -> CatalogEntry:
    return CatalogEntry(id=url or f"name:{title}", url=url, title=title, kind="blog", roadmaps=["LLM Road Map"])


ENTRIES = [entry(GOOD, "Good page"), entry(GONE, "Gone page"), entry(MISSING, "Missing page"),
           entry(BROKEN, "Broken page"), entry(UNFETCHED, "Unasked page"), entry(None, "Named only")]


def write_mirror(root, with_gone: bool) -> None:
    root.mkdir(exist_ok=True)
    (root / "good.md").write_text("# Good\n\nA page that stays.", encoding="utf-8")
    (root / "gone.md").write_text("# Gone\n\nA page that disappears.", encoding="utf-8")
    pages = [{"url": GOOD, "file": "good.md", "content_type": "text/markdown"}]
    if with_gone:
        pages.append({"url": GONE, "file": "gone.md", "content_type": "text/markdown"})
    (root / "manifest.json").write_text(json.dumps(pages), encoding="utf-8")


@pytest.fixture
def fetched(tmp_path):
    """Settings whose link cache saw real (mirror) runs: good stays, gone vanished, missing never was."""
    s = make_settings(tmp_path / "data")
    mirror = tmp_path / "mirror"
    write_mirror(mirror, with_gone=True)
    fetch_links([GOOD, GONE, MISSING], LinksSettings(), s.paths.links, mirror=mirror)
    write_mirror(mirror, with_gone=False)
    fetch_links([GOOD, GONE, MISSING], LinksSettings(), s.paths.links, mirror=mirror, refresh=True)
    # A network failure with an HTTP status, as the fetcher records it.
    LinkCache(s.paths.links).save(CacheRecord(url=BROKEN, status="error", http_status=404,
                                               reason="HTTP 404 Not Found", fetched_at=JAN))
    return s


def rows(page: str) -> dict[str, str]:
    """Title → that row's HTML, from a rendered library table."""
    return {title: part for part in page.split("<tr>")[1:]
            for title in [e.title for e in ENTRIES] if f">{title}<" in part}


# -- Library view: link status ----------------------------------------------------------------------
def test_without_any_fetch_every_link_reads_not_fetched(tmp_path):
    s = make_settings(tmp_path / "data")  # no data dir, no link cache
    statuses = link_statuses(s)
    assert statuses == {}
    page = rows(library_tab.library_html(ENTRIES, len(ENTRIES), None, "en", statuses))
    assert all("not fetched" in page[e.title] for e in ENTRIES if e.url)
    assert "tb-link" not in page["Named only"]  # no link, no badge
    assert library_tab.dead_only(ENTRIES, statuses) == []


def test_statuses_come_from_the_link_cache_with_reason_and_last_success(fetched):
    statuses = link_statuses(fetched)
    assert {u: s.state for u, s in statuses.items()} == {GOOD: "ok", GONE: "dead", MISSING: "dead", BROKEN: "dead"}
    assert statuses[GONE].last_success is not None and statuses[MISSING].last_success is None
    page = rows(library_tab.library_html(ENTRIES, len(ENTRIES), None, "en", statuses))
    today = statuses[GOOD].last_success.date().isoformat()
    assert "tb-link-ok" in page["Good page"] and f"last ok {today}" in page["Good page"]
    assert "tb-link-dead" in page["Gone page"] and "not in mirror" in page["Gone page"]
    assert f"last ok {today}" in page["Gone page"]  # its stale copy is still indexed
    assert "not in mirror" in page["Missing page"] and "never worked" in page["Missing page"]
    assert "HTTP 404 Not Found" in page["Broken page"] and "never worked" in page["Broken page"]
    assert "not fetched" in page["Unasked page"]


def test_dead_reason_names_the_http_status_once():
    dead = library_tab.LinkStatus(state="dead", http_status=415, reason="content type image/png not allowed")
    assert "HTTP 415: content type image/png not allowed" in library_tab.link_badge(dead, "en")
    plain = library_tab.LinkStatus(state="dead", http_status=404, reason="HTTP 404 Not Found", last_success=JAN)
    badge = library_tab.link_badge(plain, "zh")
    assert "HTTP 404 Not Found" in badge and "HTTP 404: " not in badge
    assert "失效" in badge and "上次成功 2024-01-15" in badge


def test_reasons_are_escaped():
    evil = library_tab.LinkStatus(state="dead", reason='<img src=x onerror="alert(1)">')
    assert "<img" not in library_tab.link_badge(evil, "en")


def build_tab(settings, entries, linked=lambda: None):
    curriculum = load_curriculum(PROJECT_ROOT / "corpus" / "curriculum.yaml")
    services = SimpleNamespace(settings=settings, catalog=entries, curriculum=curriculum, linked=linked,
                               expand=lambda text: None)
    ctx = UIContext(services=services, identity=None, labels=Labels(), lang=None)
    with gr.Blocks():
        ctx.lang = gr.State("en")
        library_tab.build_library_tab(ctx)
    return ctx


def test_tab_filters_dead_links_and_reads_the_cache_at_each_render(fetched, tmp_path):
    ctx = build_tab(fetched, ENTRIES)
    show = ctx.refreshers[0].fn
    assert any("Dead links only" in str(p.get("label")) for p in ctx.labels.props("en"))
    assert any(p.get("label") == "只看失效链接" for p in ctx.labels.props("zh"))
    dead = rows(show("", "", "", "", "", True, "en"))
    assert set(dead) == {"Gone page", "Missing page", "Broken page"}
    assert len(rows(show("", "", "", "", "", False, "en"))) == len(ENTRIES)
    assert set(rows(show("broken", "", "", "", "", True, "en"))) == {"Broken page"}  # filters combine
    LinkCache(fetched.paths.links).save(CacheRecord(url=UNFETCHED, status="error", reason="timed out"))
    assert "Unasked page" in rows(show("", "", "", "", "", True, "en"))  # no restart needed


def test_tab_with_no_cache_explains_what_the_learner_can_do_in_the_page(tmp_path):
    show = build_tab(make_settings(tmp_path / "data"), ENTRIES).refreshers[0].fn
    assert "not fetched" in show("", "", "", "", "", False, "en")
    empty = show("", "", "", "", "", True, "zh")
    assert "只看失效链接" in empty and "tutorbot fetch-links" not in empty and "tb-library" not in empty


# -- Library view: links tutorbot added, and what a learner can do about a dead one ------------------
ADDED = CatalogEntry(id="name:deep-learning-book", url="https://deeplearningbook.org/", url_source="tutorbot",
                     title="Deep Learning Book", kind="book", roadmaps=["LLM Road Map"])


def test_a_link_tutorbot_added_is_shown_with_its_note_and_no_fetch_status():
    dead_anyway = {ADDED.url: library_tab.LinkStatus(state="dead", reason="timed out")}  # never fetched by us
    for lang, note in (("en", "link added by tutorbot"), ("zh", "链接由 tutorbot 补充")):
        page = library_tab.library_html([ADDED], 1, None, lang, dead_anyway)
        assert 'href="https://deeplearningbook.org/"' in page and note in page
        assert "tb-link-dead" not in page and "tb-link-unfetched" not in page
    assert library_tab.dead_only([ADDED], dead_anyway) == []


def test_tab_shows_added_links_beside_fetched_ones(fetched):
    show = build_tab(fetched, [*ENTRIES, ADDED]).refreshers[0].fn
    page = rows(show("", "", "", "", "", False, "en"))
    assert "link added by tutorbot" in show("deep learning", "", "", "", "", False, "en")
    assert all("link added by tutorbot" not in row for row in page.values())


def test_a_dead_link_tells_the_learner_what_to_do_in_the_browser(fetched):
    show = build_tab(fetched, ENTRIES).refreshers[0].fn
    for lang, says in (("en", "ask about it in the Chat tab"), ("zh", "可以在“问答”页提问")):
        page = show("", "", "", "", "", True, lang)
        assert all(says in row and "LLM Road Map" in row for row in rows(page).values())
        assert "`tutorbot" not in page and "tutorbot fetch-links" not in page
    ok = rows(show("", "", "", "", "", False, "en"))["Good page"]
    assert "Chat tab" not in ok


def test_a_dead_link_names_the_roadmap_sections_that_recommend_it():
    entry = ENTRIES[1].model_copy(update={"refs": [RoadmapRef(roadmap="r.txt", section="Basics > Books")]})
    assert "Recommended in: Basics > Books." in library_tab.dead_help(entry, "en")


# -- search --json: provenance of linked chunks ---------------------------------------------------
PAGE = "https://example.org/annotated-masking"
LINKED_FROM = ["relearn-ai.txt > 第二阶段 > Transformer", "llm-roadmap-deepseek-chatgpt.txt"]
ROADMAP_KEYS = {"id", "text", "source", "section", "title", "urls", "score", "kind"}


def test_linked_hit_json_names_page_title_linking_sections_and_trust():
    chunk = Chunk(id="c1", doc_id=PAGE, title="Masking, annotated", section="Attention > Masking",
                  text="Causal masking hides future tokens.", kind="linked", trusted=False, linked_from=LINKED_FROM)
    row = Hit(chunk=chunk, score=0.5).as_json()
    assert row["source"] == row["url"] == PAGE and row["title"] == "Masking, annotated"
    assert row["trusted"] is False and row["kind"] == "linked" and row["section"] == "Attention > Masking"
    assert row["linked_from"] == [{"roadmap": "relearn-ai.txt", "section": "第二阶段 > Transformer"},
                                  {"roadmap": "llm-roadmap-deepseek-chatgpt.txt", "section": ""}]
    json.dumps(row)  # what the CLI prints


def test_roadmap_hit_json_keeps_its_keys():
    chunk = Chunk(id="r1", doc_id="roadmaps/relearn-ai.txt", title="重学AI", section="第二阶段",
                  text="学习 Transformer")
    row = Hit(chunk=chunk, score=0.1234567).as_json()
    assert set(row) == ROADMAP_KEYS and row["source"] == "roadmaps/relearn-ai.txt" and row["score"] == 0.123457


def test_search_json_gives_provenance_of_an_ingested_linked_page(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    (corpus / "roadmaps").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "corpus" / "roadmaps" / "deep-generative-models.txt", corpus / "roadmaps")
    s = make_settings(tmp_path / "data", corpus_dir=corpus, embedding={"backend": "hash"})
    page = Document(id=PAGE, title="Masking, annotated", kind="linked", lang="en", trusted=False,
                    text="# Masking\n\nThe decoder applies a subsequent mask so position i never attends "
                         "to later positions: zanzibarquux masking.", linked_from=LINKED_FROM[:1])
    Container(s).ingest(linked=[page])
    for key, value in (("DATA_DIR", tmp_path / "data"), ("CORPUS_DIR", corpus), ("EMBEDDING_BACKEND", "hash")):
        monkeypatch.setenv(f"TUTORBOT_{key}", str(value))
    out = CliRunner().invoke(app, ["search", "zanzibarquux masking", "--json", "--mode", "bm25"])
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    linked = [h for h in hits if h["kind"] == "linked"]
    assert linked and linked[0]["source"] == linked[0]["url"] == PAGE and linked[0]["title"] == "Masking, annotated"
    assert linked[0]["linked_from"] == [{"roadmap": "relearn-ai.txt", "section": "第二阶段 > Transformer"}]
    assert linked[0]["trusted"] is False
    assert all(set(h) == ROADMAP_KEYS for h in hits if h["kind"] == "roadmap")
