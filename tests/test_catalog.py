"""Resource catalog: one entry per resource, merged across roadmaps, kinds, titles, storage."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tutorbot.ingest.catalog import (
    CatalogError,
    build_catalog,
    classify_kind,
    filter_catalog,
    load_catalog,
    load_named,
    save_catalog,
)
from tutorbot.ingest.catalog_topics import assign_topics, curriculum_resources
from tutorbot.ingest.corpus import load_corpus, read_document
from tutorbot.ingest.mojibake import Lexicon
from tutorbot.schemas import CatalogEntry, Document
from tutorbot.settings import PROJECT_ROOT

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
OLD = "roadmaps/llm-researcher-plan-old-export.txt"
MOJIBAKE = ("ï¼", "ðŸ", "Ã", "â€", "è¦")


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.from_jieba()


@pytest.fixture(scope="module")
def documents(lexicon: Lexicon) -> list[Document]:
    return load_corpus(CORPUS, lexicon=lexicon).documents


@pytest.fixture(scope="module")
def catalog(documents: list[Document]) -> dict[str, CatalogEntry]:
    entries = build_catalog(documents, load_named(PROJECT_ROOT / "corpus" / "named_resources.yaml"))
    assert len({e.id for e in entries}) == len(entries)
    return {e.id: e for e in entries}


@pytest.mark.parametrize(("url", "kind"), [
    ("https://stanford-cs336.github.io/spring2025", "course"),
    ("https://cs25.stanford.edu/", "course"),
    ("https://arxiv.org/abs/2006.11239", "paper"),
    ("https://github.com/karpathy/nanoGPT", "repository"),
    ("https://github.com/huggingface/transformers/blob/main/src/transformers/models/llama/modeling_llama.py",
     "repository"),
    ("https://www.youtube.com/watch?v=7xTGNNLPyMI", "video"),
    ("https://www.bilibili.com/video/BV1u142187S5", "video"),
    ("https://zh.d2l.ai/", "book"),
    ("https://pytorch.org/tutorials/intermediate", "documentation"),
    ("https://lmsys.org/", "site"),
    ("https://kexue.fm/archives/8265", "blog"),
    ("https://lilianweng.github.io/posts/2021-07-11-diffusion-models", "blog"),
])
def test_known_links_have_the_right_kind(catalog: dict[str, CatalogEntry], url: str, kind: str) -> None:
    assert catalog[url].kind == kind
    assert catalog[url].url == url


def test_every_link_in_the_roadmaps_is_catalogued(documents: list[Document], catalog) -> None:
    from tutorbot.urls import find_urls

    for doc in documents:
        for url in find_urls(doc.text):
            assert url in catalog or url.replace("http://", "https://", 1) in catalog, url


def test_resource_in_several_roadmaps_has_several_refs(catalog: dict[str, CatalogEntry]) -> None:
    nano = catalog["https://github.com/karpathy/nanoGPT"]
    assert {r.roadmap for r in nano.refs} == {"roadmaps/llm-roadmap-deepseek-chatgpt.txt", "roadmaps/relearn-ai.txt"}
    assert nano.roadmaps == ["LLM Road Map", "如果重学AI我会怎么学"]
    assert "DeepSeek > 二、关键学习资源 > 代码级学习" in [r.section for r in nano.refs]
    survey = catalog["https://arxiv.org/abs/2303.18223"]
    assert len({r.roadmap for r in survey.refs}) == 2  # linked in one roadmap, named in another


def test_http_and_https_variants_merge(catalog: dict[str, CatalogEntry]) -> None:
    annotated = catalog["https://nlp.seas.harvard.edu/annotated-transformer"]
    assert "http://nlp.seas.harvard.edu/annotated-transformer" not in catalog
    expected = {"roadmaps/relearn-ai.txt", "roadmaps/llm-roadmap-deepseek-chatgpt.txt"}
    assert {r.roadmap for r in annotated.refs} >= expected
    text = ("# R\n\n## A\n\n- [Jalammar](http://jalammar.github.io/illustrated-transformer/)\n\n"
            "## B\n\n- [The Illustrated Transformer](https://jalammar.github.io/illustrated-transformer/)\n")
    (entry,) = [e for e in build_catalog([Document(id="r.md", title="R", text=text)]) if e.url]
    assert entry.id == entry.url == "https://jalammar.github.io/illustrated-transformer"
    assert [r.section for r in entry.refs] == ["A", "B"]


def test_titles_replace_placeholders_and_site_noise(catalog: dict[str, CatalogEntry]) -> None:
    assert catalog["https://cs25.stanford.edu/"].title == "Stanford CS25: Transformers United"
    assert catalog["https://inst.eecs.berkeley.edu/~cs182/sp24"].title == "Berkeley CS182: Transformers and Attention"
    assert catalog["https://llm.int8.dev/"].title == "LLM.int8"
    assert catalog["https://jalammar.github.io/illustrated-transformer"].title == "The Illustrated Transformer"
    assert catalog["https://www.youtube.com/watch?v=zjkBMFhNj_g"].title == "[1hr Talk] Intro to Large Language Models"
    assert catalog["https://arxiv.org/abs/2303.18223"].title == "A Survey of Large Language Models"
    assert catalog["https://kexue.fm/archives/8265"].title.startswith("位置编码")
    for entry in catalog.values():
        assert entry.title and not entry.title.startswith(("Fetching Title", "http"))
        assert entry.title not in {"链接", "课程主页", "主页"}
        assert not entry.title.endswith(("YouTube", "bilibili", "知乎", "GitHub"))


def test_descriptions_come_from_the_surrounding_text(catalog: dict[str, CatalogEntry]) -> None:
    assert "何恺明" in catalog["https://mit-6s978.github.io/schedule.html"].description
    assert "讨论大型语言模型的研究趋势" in catalog["https://cs25.stanford.edu/"].description
    assert "南大智科" in catalog["https://github.com/BradyFU/Awesome-Multimodal-Large-Language-Models"].description
    assert all(len(e.description) <= 300 for e in catalog.values())


def test_resource_language(catalog: dict[str, CatalogEntry]) -> None:
    zh = {"https://zh.d2l.ai/", "https://www.bilibili.com/video/BV1u142187S5", "https://zhuanlan.zhihu.com/p/713794852",
          "https://spaces.ac.cn/archives/9119", "https://www.youtube.com/watch?v=ugWDIIOHtPA"}
    for url in zh:
        assert catalog[url].language == "zh", url
    assert catalog["https://d2l.ai/"].language == "en"
    assert catalog["https://arxiv.org/abs/2006.11239"].language == "en"


def test_named_resources_without_links(catalog: dict[str, CatalogEntry]) -> None:
    expected = {
        "name:instructgpt": "paper", "name:stanford-alpaca": "repository", "name:lora": "paper",
        "name:qlora": "paper", "name:speech-and-language-processing": "book", "name:deepspeed": "documentation",
        "name:colossalai": "documentation", "name:deeplearning-ai-specialization": "course",
        "name:deep-learning-book": "book",
    }
    for key, kind in expected.items():
        assert catalog[key].kind == kind and catalog[key].url is None and catalog[key].refs, key
    assert "name:huggingface-course" not in catalog  # "HuggingFace Course" is the linked huggingface.co/learn
    learn = catalog["https://huggingface.co/learn"]
    assert "roadmaps/llm-researcher-plan.txt" in {r.roadmap for r in learn.refs}


def test_named_resources_must_appear_in_the_text() -> None:
    text = "# R\n\n## A\n\n- 只讲 [nanoGPT](https://github.com/karpathy/nanoGPT)，别的不提。\n"
    entries = build_catalog([Document(id="r.md", title="R", text=text)])
    assert [e.id for e in entries] == ["https://github.com/karpathy/nanoGPT"]


def test_no_entry_carries_mojibake(lexicon: Lexicon, documents: list[Document]) -> None:
    old = read_document(CORPUS / OLD, OLD, lexicon)
    for entry in build_catalog([*documents, old], load_named(PROJECT_ROOT / "corpus" / "named_resources.yaml")):
        assert not [m for m in MOJIBAKE if m in entry.title + entry.description], entry.id
        assert entry.url is None or "\\" not in entry.url


@pytest.mark.parametrize(("url", "title", "context", "kind"), [
    ("https://arxiv.org/abs/1706.03762", "", "", "paper"),
    ("https://arxiv.org/list/cs.CL/recent", "", "", "site"),
    ("https://youtu.be/abc", "", "", "video"),
    ("https://huggingface.co/learn", "", "", "course"),
    ("https://example.org/x", "Some tutorial", "", "documentation"),
    (None, "Some book", "《书名》", "book"),
    (None, "Mystery", "", "site"),
])
def test_classify_kind(url: str | None, title: str, context: str, kind: str) -> None:
    assert classify_kind(url, title, context) == kind


def test_filter_catalog(catalog: dict[str, CatalogEntry]) -> None:
    entries = list(catalog.values())
    papers = filter_catalog(entries, kind="paper")
    assert papers and all(e.kind == "paper" for e in papers)
    tagged = [entries[0].model_copy(update={"topics": ["transformer"]}), *entries[1:]]
    assert filter_catalog(tagged, topic="transformer") == tagged[:1]
    assert filter_catalog(entries) == entries


def test_save_and_load_round_trip(tmp_path: Path, catalog: dict[str, CatalogEntry]) -> None:
    path = tmp_path / "data" / "catalog.json"
    entries = list(catalog.values())
    save_catalog(entries, path)
    assert load_catalog(path) == entries
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


def test_failed_save_keeps_the_previous_file(tmp_path: Path, monkeypatch, catalog) -> None:
    path = tmp_path / "catalog.json"
    entries = list(catalog.values())
    save_catalog(entries[:3], path)

    def boom(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        save_catalog(entries, path)
    assert load_catalog(path) == entries[:3]
    assert [p.name for p in tmp_path.iterdir()] == ["catalog.json"]


def test_load_errors_say_how_to_fix(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not found.*tutorbot ingest"):
        load_catalog(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"entries": [{"id": 1}]}', encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid catalog.*rebuild"):
        load_catalog(bad)
    bad.write_text("not json", encoding="utf-8")
    with pytest.raises(CatalogError, match="invalid catalog"):
        load_catalog(bad)


def test_topics_come_from_the_curriculum(catalog: dict[str, CatalogEntry]) -> None:
    entries = assign_topics(list(catalog.values()), curriculum_resources(CORPUS / "curriculum.yaml"))
    by_id = {e.id: e for e in entries}
    assert "attention_transformer" in by_id["https://arxiv.org/abs/1706.03762"].topics
    assert "positional_encoding" in by_id["https://arxiv.org/abs/1706.03762"].topics
    assert "peft_lora" in by_id["name:lora"].topics
    found = {e.id for e in filter_catalog(entries, topic="attention_transformer")}
    assert {"https://arxiv.org/abs/1706.03762", "https://jalammar.github.io/illustrated-transformer"} <= found
    assert sum(bool(e.topics) for e in entries) > 20


def test_topic_resources_match_url_variants_and_keep_existing_topics() -> None:
    entry = CatalogEntry(id="https://jalammar.github.io/illustrated-transformer",
                         url="https://jalammar.github.io/illustrated-transformer", title="T", kind="blog",
                         topics=["mine"])
    (out,) = assign_topics([entry], {"attention": ["http://jalammar.github.io/illustrated-transformer/#x"],
                                     "other": ["https://example.org/"]})
    assert out.topics == ["mine", "attention"]


def test_missing_or_invalid_curriculum_gives_no_topics(tmp_path: Path) -> None:
    assert curriculum_resources(tmp_path / "curriculum.yaml") == {}
    bad = tmp_path / "bad.yaml"
    bad.write_text("topics: [unclosed", encoding="utf-8")
    assert curriculum_resources(bad) == {}
    bad.write_text("topics:\n  - id: a\n    prereqs: [missing]\n", encoding="utf-8")
    assert curriculum_resources(bad) == {}
