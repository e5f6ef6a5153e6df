"""Corpus loading: mojibake repair, normalisation, front matter, bad files, duplicates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tutorbot.ingest.corpus import (
    CorpusFileError,
    Lexicon,
    document_lang,
    load_corpus,
    normalise_text,
    read_document,
    repair_text,
    split_front_matter,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
OLD = "roadmaps/llm-researcher-plan-old-export.txt"
NEW = "roadmaps/llm-researcher-plan.txt"
MOJIBAKE = ("ï¼", "ðŸ", "Ã", "â€", "å", "è¦")


def mangle(text: str) -> str:
    """What the bad exporter did: UTF-8 read as cp1252, undefined bytes and soft hyphens lost."""
    return text.encode("utf-8").decode("cp1252", errors="ignore").replace("\xad", "")


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.from_jieba()


@pytest.fixture(scope="module")
def real(lexicon: Lexicon):
    return load_corpus(CORPUS, lexicon=lexicon)


def test_old_export_is_repaired(lexicon: Lexicon) -> None:
    doc = read_document(CORPUS / OLD, OLD, lexicon)
    assert "主修 CS224N" in doc.text
    assert "## 🔹 一线研究者主讲的 LLM 高质量课程" in doc.text
    assert doc.title == "I. 首要任务" == doc.meta["title"]
    assert not [m for m in MOJIBAKE if m in doc.text]
    assert doc.lang == "zh"


@pytest.mark.parametrize("sentence", [
    "我想要学习大语言模型的相关理论，并动手实现相关的模型。",
    "推荐学习下列课程：深度生成模型的基础理论",
    "The model’s “attention” works — really",
])
def test_repair_restores_lost_bytes(sentence: str, lexicon: Lexicon) -> None:
    assert mangle(sentence) != sentence
    assert repair_text(mangle(sentence), lexicon) == sentence


@pytest.mark.parametrize("clean", [
    "Chris Ré and café, naïve. Größe daß Ångström",
    "深度生成模型学习路线：VAE，GAN，Diffusion Model",
    "plain ascii € 100 ™",
])
def test_clean_text_is_left_alone(clean: str) -> None:
    assert repair_text(clean, Lexicon({})) == clean


def test_normalise_text() -> None:
    raw = "\ufeff# T\u200b  \r\n- a\n\t- b\t c\n\n\n\n\ne\u0301 \u00a0x   \n"
    assert normalise_text(raw) == "# T\n- a\n    - b  c\n\né  x\n"


def test_front_matter_becomes_meta(tmp_path: Path) -> None:
    (tmp_path / "post.md").write_text(
        "---\ntitle: \"My Plan\"\ndate: 2024-12-31 11:12:01 +0800\ntags: ['dl', 'llm']\n---\n\n# Heading\n\nBody\n",
        encoding="utf-8")
    doc = read_document(tmp_path / "post.md", "post.md")
    assert doc.meta == {"title": "My Plan", "date": "2024-12-31 11:12:01 +0800", "tags": "dl, llm"}
    assert doc.title == "My Plan"
    assert doc.text.startswith("# Heading") and "---" not in doc.text
    assert doc.content_hash == hashlib.sha256(doc.text.encode()).hexdigest()


def test_title_falls_back_to_h1_then_stem(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("intro\n\n# **First** title\n\ntext\n", encoding="utf-8")
    (tmp_path / "b-notes.txt").write_text("no heading here\n", encoding="utf-8")
    assert read_document(tmp_path / "a.md", "a.md").title == "First title"
    assert read_document(tmp_path / "b-notes.txt", "b-notes.txt").title == "b-notes"


def test_not_yaml_front_matter_is_kept_as_text() -> None:
    meta, text = split_front_matter("---\n: [unclosed\n---\nbody\n")
    assert meta == {} and text.startswith("---")


def test_bad_files_are_skipped_and_good_ones_load(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Good\n\n好的内容\n", encoding="utf-8")
    (tmp_path / "nested" / "deep").mkdir(parents=True)
    (tmp_path / "nested" / "deep" / "more.markdown").write_text("More text\n", encoding="utf-8")
    (tmp_path / "curriculum.yaml").write_text("topics: []\n", encoding="utf-8")
    (tmp_path / "invalid.md").write_bytes("前言".encode() + b" \xc3\x28 broken")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "empty.md").write_text("  \n\t\n", encoding="utf-8")
    (tmp_path / "big.txt").write_text("x" * 5000, encoding="utf-8")
    (tmp_path / "only-front-matter.md").write_text("---\ntitle: x\n---\n", encoding="utf-8")
    load = load_corpus(tmp_path, max_file_bytes=4000)
    assert [d.id for d in load.documents] == ["good.md", "nested/deep/more.markdown"]
    reasons = {s.path: s.reason for s in load.skipped}
    assert set(reasons) == {"invalid.md", "binary.txt", "empty.md", "big.txt", "only-front-matter.md"}
    assert "UTF-8" in reasons["invalid.md"] and "offset 7" in reasons["invalid.md"]
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.md"]
    assert "too large" in reasons["big.txt"] and "4000" in reasons["big.txt"]


def test_read_document_raises_clear_error(tmp_path: Path) -> None:
    (tmp_path / "e.md").write_text("\n", encoding="utf-8")
    with pytest.raises(CorpusFileError, match="empty"):
        read_document(tmp_path / "e.md", "e.md")


def test_missing_corpus_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusFileError, match="TUTORBOT_CORPUS_DIR"):
        load_corpus(tmp_path / "nope")


def test_exact_and_near_duplicates_merge(tmp_path: Path) -> None:
    body = "\n".join(f"- 第{i}条：学习 Transformer 与注意力机制的要点 {i}" for i in range(40))
    (tmp_path / "a.md").write_text(f"# A\n\n{body}\n", encoding="utf-8")
    (tmp_path / "b.md").write_text(f"# A\n\n{body}\n", encoding="utf-8")
    (tmp_path / "c.md").write_text(f"# A\n\n{body}\n- 多了一行\n", encoding="utf-8")
    (tmp_path / "d.md").write_text("# D\n\n完全不同的文字，讲扩散模型。\n", encoding="utf-8")
    load = load_corpus(tmp_path)
    assert [d.id for d in load.documents] == ["c.md", "d.md"]  # the longer copy is kept
    assert sorted(load.documents[0].merged_from) == ["a.md", "b.md"]
    merged = {m.dropped: m for m in load.merged}
    assert set(merged) == {"a.md", "b.md"} and all(m.kept == "c.md" for m in merged.values())
    assert all(m.similarity >= 0.9 for m in merged.values())


def test_real_corpus_merges_the_old_export(real) -> None:
    assert [d.id for d in real.documents] == [
        "roadmaps/deep-generative-models.txt", NEW, "roadmaps/llm-roadmap-deepseek-chatgpt.txt",
        "roadmaps/relearn-ai.txt"]
    assert real.skipped == []
    assert [(m.kept, m.dropped) for m in real.merged] == [(NEW, OLD)]
    kept = next(d for d in real.documents if d.id == NEW)
    assert kept.merged_from == [OLD]
    assert kept.meta["lastmod"] == "2025-06-28T04:01:31.489Z"  # the newer export, needing no repair


def test_documents_are_clean_and_tagged(real) -> None:
    langs = {d.id: d.lang for d in real.documents}
    assert langs["roadmaps/relearn-ai.txt"] == "zh"
    assert langs["roadmaps/llm-roadmap-deepseek-chatgpt.txt"] == "mixed"
    for doc in real.documents:
        assert "\t" not in doc.text and "\n\n\n" not in doc.text
        assert not any(line != line.rstrip() for line in doc.text.splitlines())


@pytest.mark.parametrize(("text", "lang"), [
    ("这是一个完全中文的句子，讲述大语言模型。", "zh"),
    ("This sentence is entirely English about language models.", "en"),
    ("学习 Transformer 的 self attention and multi head attention 机制", "mixed"),
    ("[链接](https://example.com/a/very/long/english/url/path/here)", "zh"),
])
def test_detect_lang(text: str, lang: str) -> None:
    assert document_lang(text) == lang
