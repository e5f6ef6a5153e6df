"""Canonical links: resources the roadmaps name without a link get their official address, marked as added."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import make_settings

from tutorbot.container import Container
from tutorbot.curriculum.graph import load_curriculum
from tutorbot.ingest.canonical import CanonicalLink, add_canonical, load_canonical, normalise_name
from tutorbot.ingest.catalog import build_catalog, load_named
from tutorbot.ingest.corpus import load_corpus
from tutorbot.ingest.linked import catalog_links
from tutorbot.plans.export import plan_to_markdown
from tutorbot.plans.models import LearnerProfile
from tutorbot.plans.planner import make_plan
from tutorbot.schemas import CatalogEntry
from tutorbot.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
BOOK = "https://deeplearningbook.org/"
LINKS = [CanonicalLink(names=["Deep Learning Book", "深度学习（花书）"], url=BOOK),
         CanonicalLink(names=["CS231n"], url="https://cs231n.stanford.edu/")]


def named(title: str, url: str | None = None) -> CatalogEntry:
    return CatalogEntry(id=url or f"name:{title}", url=url, title=title, kind="book")


# -- matching ---------------------------------------------------------------------------------------
def test_an_english_name_gets_the_url_marked_as_added_by_tutorbot():
    [entry] = add_canonical([named("deep  learning BOOK")], LINKS)
    assert entry.url == BOOK and entry.url_source == "tutorbot" and entry.id == "name:deep  learning BOOK"


def test_a_chinese_name_matches_with_full_width_brackets_and_book_title_marks():
    [entry] = add_canonical([named("《深度学习 (花书)》")], LINKS)
    assert entry.url == BOOK and entry.url_source == "tutorbot"
    assert normalise_name("深度学习（花书）") == normalise_name("深度学习 (花书)") == "深度学习(花书)"


def test_near_misses_get_no_link():
    for title in ("Deep Learning", "Deep Learning Book 2", "CS231", "CS231n notes", "花书"):
        [entry] = add_canonical([named(title)], LINKS)
        assert entry.url is None and entry.url_source == "roadmap", title


def test_a_link_the_roadmap_gives_is_never_replaced():
    mine = "https://example.org/my-copy-of-the-book"
    [entry] = add_canonical([named("Deep Learning Book", mine)], LINKS)
    assert entry.url == mine and entry.url_source == "roadmap"


def test_a_name_given_two_addresses_is_used_for_neither(tmp_path):
    path = tmp_path / "canonical_links.yaml"
    path.write_text("- {names: [CS231n], url: 'https://cs231n.stanford.edu/'}\n"
                    "- {names: [cs231n], url: 'https://example.org/other'}\n", encoding="utf-8")
    links, warning = load_canonical(path)
    assert "'cs231n' has two addresses" in warning
    assert add_canonical([named("CS231n")], links)[0].url is None


# -- a broken file degrades this feature only ----------------------------------------------------
@pytest.mark.parametrize("text, says", [
    ("- names: [CS231n]\n  url: https://a.org/: x: y\n", "line 2"),  # YAML syntax
    ("- names: [CS231n]\n", "url"),  # a field missing
    ("- names: [CS231n]\n  url: 'http://cs231n.stanford.edu/'\n", "not an https address"),
    ("names: CS231n\n", "invalid canonical-link list"),  # not a list
])
def test_a_malformed_file_gives_no_links_and_a_warning_naming_it(tmp_path, text, says):
    path = tmp_path / "canonical_links.yaml"
    path.write_text(text, encoding="utf-8")
    links, warning = load_canonical(path)
    assert links == [] and warning.startswith("canonical_links.yaml: invalid canonical-link list") and says in warning
    assert "tutorbot ingest" in warning


def test_a_missing_file_means_no_links_and_no_warning(tmp_path):
    assert load_canonical(tmp_path / "canonical_links.yaml") == ([], "")


# -- the curated file against the real roadmaps ------------------------------------------------------
@pytest.fixture(scope="module")
def catalog() -> list[CatalogEntry]:
    documents = load_corpus(CORPUS).documents
    links, warning = load_canonical(CORPUS / "canonical_links.yaml")
    assert warning == ""
    return add_canonical(build_catalog(documents, load_named(CORPUS / "named_resources.yaml")), links)


def test_every_curated_link_names_a_resource_the_roadmaps_name_without_a_link(catalog):
    links, _ = load_canonical(CORPUS / "canonical_links.yaml")
    used = {e.url for e in catalog if e.url_source == "tutorbot"}
    assert [link.url for link in links if link.url not in used] == []
    assert all(e.id.startswith("name:") for e in catalog if e.url_source == "tutorbot")
    assert len(used) == 22 and sum(e.url is None for e in catalog) == 2


def test_added_links_are_not_fetched(catalog):
    urls, _ = catalog_links(catalog)
    added = {e.url for e in catalog if e.url_source == "tutorbot"}
    assert added and not added & set(urls)
    assert {e.url for e in catalog if e.url and e.url_source == "roadmap"} <= set(urls)


# -- ingest ---------------------------------------------------------------------------------------------
def small_corpus(root: Path) -> Path:
    """One roadmap naming the Deep Learning Book without a link and linking CS231n somewhere unofficial."""
    (root / "roadmaps").mkdir(parents=True)
    (root / "roadmaps" / "mini.txt").write_text(
        "# Mini roadmap\n\n## Books\n\n- Deep Learning Book by Ian Goodfellow: theory.\n"
        "- [CS231n](https://example.org/cs231n-mirror) for vision.\n", encoding="utf-8")
    for name in ("named_resources.yaml", "canonical_links.yaml"):
        shutil.copy(CORPUS / name, root / name)
    return root


def ingest(tmp_path: Path) -> tuple[list[dict], list[str]]:
    c = Container(make_settings(tmp_path / "data", corpus_dir=tmp_path / "corpus", embedding={"backend": "hash"}))
    report = c.ingest()
    entries = json.loads(c.settings.paths.catalog.read_text(encoding="utf-8"))["entries"]
    return entries, report.warnings


def test_ingest_writes_added_urls_marked_as_added_and_keeps_roadmap_links(tmp_path):
    small_corpus(tmp_path / "corpus")
    entries, warnings = ingest(tmp_path)
    by_id = {e["id"]: e for e in entries}
    assert by_id["name:deep-learning-book"]["url"] == BOOK
    assert by_id["name:deep-learning-book"]["url_source"] == "tutorbot"
    linked = by_id["https://example.org/cs231n-mirror"]  # titled "CS231n", a curated name
    assert linked["url"] == "https://example.org/cs231n-mirror" and linked["url_source"] == "roadmap"
    assert not [w for w in warnings if "canonical" in w]


def test_ingest_with_a_broken_file_still_builds_the_catalog_and_warns(tmp_path):
    (small_corpus(tmp_path / "corpus") / "canonical_links.yaml").write_text("- names: [x\n", encoding="utf-8")
    entries, warnings = ingest(tmp_path)
    assert {e["id"]: e["url"] for e in entries}["name:deep-learning-book"] is None
    assert any(w.startswith("canonical_links.yaml: invalid canonical-link list") for w in warnings)


def test_a_plan_recommending_a_named_resource_links_its_added_address(catalog):
    cur = load_curriculum(CORPUS / "curriculum.yaml", {e.id for e in catalog})
    profile = LearnerProfile(known=["python_pytorch", "dl_basics", "nlp_basics", "sequence_models",
                                    "attention_transformer", "tokenization", "pretrained_models"],
                             goal="finetune_deploy", hours_per_week=10, weeks=20)
    plan = make_plan(profile, cur, catalog)
    lora = next(r for w in plan.weeks for r in w.resources if r.id == "name:lora")
    assert lora.url == "https://arxiv.org/abs/2106.09685"
    assert "(https://arxiv.org/abs/2106.09685)" in plan_to_markdown(plan)
