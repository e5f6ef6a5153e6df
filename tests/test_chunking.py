"""Structure-aware chunking: heading paths, whole blocks, tables, lists, links, stable ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutorbot.ingest.chunking import chunk_document, iter_sections
from tutorbot.ingest.corpus import load_corpus
from tutorbot.ingest.dedupe import dedupe_chunks
from tutorbot.ingest.mojibake import Lexicon
from tutorbot.schemas import Chunk, Document
from tutorbot.urls import MD_LINK

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
TOKEN = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9]+|[^\sA-Za-z0-9\u3400-\u9fff]+")


def count(text: str) -> int:
    """Fake tokenizer: one token per CJK character, latin word or run of punctuation."""
    return len(TOKEN.findall(text))


def doc(text: str, title: str = "Doc", doc_id: str = "d.md") -> Document:
    return Document(id=doc_id, title=title, text=text)


@pytest.fixture(scope="module")
def documents() -> list[Document]:
    return load_corpus(CORPUS, lexicon=Lexicon.from_jieba()).documents


@pytest.fixture(scope="module")
def chunks(documents: list[Document]) -> list[Chunk]:
    return [c for d in documents for c in chunk_document(d, 256, count)]


def containing(chunks: list[Chunk], needle: str) -> Chunk:
    found = [c for c in chunks if needle in c.text]
    assert len(found) == 1, f"{needle!r} in {len(found)} chunks"
    return found[0]


def test_heading_path_through_pseudo_headings(chunks: list[Chunk]) -> None:
    chunk = containing(chunks, "IWSLT 德英数据集")
    assert chunk.section.endswith("优化实践")
    assert "阶段 2：Transformer 深度解析" in chunk.section
    assert chunk.section.startswith("DeepSeek > ")  # the title H1 "LLM Road Map" is not repeated
    assert chunk.title == "LLM Road Map"
    assert containing(chunks, "名为机器学习实则是深度学习").section == "基础 > 深度学习 > 理论"


def test_empty_heading_stays_in_next_path(chunks: list[Chunk]) -> None:
    chunk = containing(chunks, "Score-Based Generative Modeling")
    # "- Score-based，SDE框架，PF-ODE" heads an indented link: an outline item, so part of the path.
    assert chunk.section == "扩散模型 > 入门 > 常见的入门渠道(这样方便了解历史发展) > Score-based，SDE框架，PF-ODE"
    assert not any(c.text.strip() in {"#### 入门", "### 有趣的应用"} for c in chunks)


def test_section_strips_emphasis_and_colons() -> None:
    text = "# Doc\n\n## **粗体** 标题：\n\n内容\n\n### [链接标题](https://x.org) `code`\n\n更多\n"
    sections = [" > ".join(s.path) for s in iter_sections(doc(text))]
    assert sections == ["", "粗体 标题", "粗体 标题 > 链接标题 code"]


def test_heading_only_and_separator_only_sections_make_no_chunks() -> None:
    text = "# Doc\n\n## A\n\n---\n\n## B\n\n正文内容\n\n## C\n\n***\n\n## D\n\n更多\n"
    out = chunk_document(doc(text), 256, count)
    # "A" had nothing under it, so it reads as the parent of "B"; "C" only had a rule.
    assert [(c.section, c.text) for c in out] == [("A > B", "## B\n\n正文内容"), ("C > D", "## D\n\n更多")]


def test_small_table_stays_whole(chunks: list[Chunk]) -> None:
    chunk = containing(chunks, "|第1~3周|")
    assert all(f"|第{w}周|" in chunk.text for w in ("1~3", "4~6", "7~9", "10~13", "14~17", "18~24"))


def test_large_table_is_split_by_rows_with_header() -> None:
    rows = "\n".join(f"| 第{i}行 | 内容 {i} 很长的说明文字 |" for i in range(40))
    out = chunk_document(doc(f"# Doc\n\n## 表\n\n| 列一 | 列二 |\n|---|---|\n{rows}\n"), 60, count)
    assert len(out) > 2
    body_rows = []
    for c in out:
        lines = c.text.split("\n")
        start = lines.index("| 列一 | 列二 |")
        assert lines[start + 1] == "|---|---|"
        body_rows += lines[start + 2 :]
        assert count(c.text) <= 60
    assert body_rows == rows.split("\n")


def test_list_items_keep_their_sub_items() -> None:
    names = "ABCDEFGHIJKL"
    items = "\n".join(f"- 主题{n}\n    - 子项{n}a 说明\n        - 细节{n}\n    - 子项{n}b 说明" for n in names)
    out = chunk_document(doc(f"# Doc\n\n## 列表\n\n{items}\n"), 40, count)
    assert len(out) > 1
    for c in out:
        for n in names:
            if f"子项{n}a" in c.text or f"细节{n}" in c.text:
                assert f"- 主题{n}" in c.text and f"子项{n}b" in c.text


def test_oversize_list_item_splits_under_repeated_parent() -> None:
    sub = "\n".join(f"    - 子项{i} 一些说明文字一些说明文字" for i in range(30))
    out = chunk_document(doc(f"# Doc\n\n- 父项目\n{sub}\n"), 50, count)
    assert len(out) > 1
    # A short parent item over a long list is an outline heading: every piece keeps it in its path.
    assert all(c.section == "父项目" and c.text.removeprefix("- 父项目\n\n").startswith("- 子项") for c in out)
    assert sum(c.text.count("- 子项") for c in out) == 30


def test_real_chunks_never_orphan_a_sub_item(chunks: list[Chunk]) -> None:
    for c in chunks:
        lines = [x for x in c.text.split("\n") if x.strip()]
        for k, line in enumerate(lines):
            if re.match(r"\s+[-*+] ", line):
                indent = len(line) - len(line.lstrip())
                assert any(len(p) - len(p.lstrip()) < indent for p in lines[:k]), (c.id, line)


def test_no_chunk_cuts_a_link(documents: list[Document], chunks: list[Chunk]) -> None:
    for d in documents:
        texts = [c.text for c in chunks if c.doc_id == d.id]
        for m in MD_LINK.finditer(d.text):
            assert any(m.group(0) in t for t in texts), m.group(0)
    for c in chunks:
        assert c.text.count("](http") == len(MD_LINK.findall(c.text))
        assert c.text.count("`") % 2 == 0


def test_fenced_code_is_never_split() -> None:
    code = "\n".join(f"x{i} = {i}  # line" for i in range(60))
    text = f"# Doc\n\n## Code\n\nintro text\n\n```python\n{code}\n# not a heading\n```\n\nafter\n"
    out = chunk_document(doc(text), 40, count)
    holder = [c for c in out if "```python" in c.text]
    assert len(holder) == 1 and holder[0].text.count("```") == 2 and "# not a heading" in holder[0].text
    assert all(c.section == "Code" for c in out)


def test_budget_is_respected_except_single_oversize_blocks(chunks: list[Chunk]) -> None:
    over = [c for c in chunks if count(c.text) > 256]
    assert len(over) <= 1  # only the long deep-generative-models paragraph may exceed
    for c in over:
        assert "\n\n" not in c.text.strip()


def test_ids_positions_and_metadata(documents: list[Document], chunks: list[Chunk]) -> None:
    for d in documents:
        mine = [c for c in chunks if c.doc_id == d.id]
        assert [c.position for c in mine] == list(range(len(mine)))
        again = chunk_document(d, 256, count)
        assert [c.id for c in again] == [c.id for c in mine]
        assert all(re.fullmatch(rf"{re.escape(d.id)}#\d+-[0-9a-f]{{10}}", c.id) for c in mine)
    cs25 = containing(chunks, "https://cs25.stanford.edu/")
    assert cs25.urls == ["https://cs25.stanford.edu/"]
    assert containing(chunks, "Gradient Descent and Optimization").lang == "en"
    assert containing(chunks, "IWSLT 德英数据集").lang == "zh"


def test_ids_change_with_the_metadata_that_is_stored_and_embedded() -> None:
    text = "# Doc\n\n## 基础\n\n### 深度学习\n\n- 学习反向传播。\n"
    (base,) = chunk_document(doc(text), 256, count)
    assert chunk_document(doc(text), 256, count)[0].id == base.id
    (renamed,) = chunk_document(doc(text.replace("## 基础", "## 基础知识")), 256, count)
    assert renamed.text == base.text and renamed.section == "基础知识 > 深度学习" and renamed.id != base.id
    (retitled,) = chunk_document(doc(text, title="Other"), 256, count)
    assert retitled.id != base.id
    linked = Document(id="d.md", title="Doc", text=text, linked_from=["r.md > A"])
    assert chunk_document(linked, 256, count)[0].id != base.id


def test_chunk_copies_document_provenance() -> None:
    linked = Document(id="https://x.org/p", title="P", text="# P\n\nSome page text here.\n", kind="linked",
                      trusted=False, linked_from=["r.md > A"])
    (c,) = chunk_document(linked, 256, count)
    assert (c.kind, c.trusted, c.linked_from) == ("linked", False, ["r.md > A"])


def test_dedupe_drops_near_duplicates_only() -> None:
    body = "- 学习 Transformer 的注意力机制与位置编码，并动手实现一个小模型。" * 3
    a = chunk_document(doc(f"# A\n\n## S\n\n{body}\n", "A", "a.md"), 256, count)
    b = chunk_document(doc(f"# B\n\n## S\n\n{body}\n", "B", "b.md"), 256, count)
    c = chunk_document(doc("# C\n\n## S\n\n- 扩散模型与流匹配的入门资料整理。\n", "C", "c.md"), 256, count)
    kept, dropped = dedupe_chunks(a + b + c)
    assert [x.doc_id for x in kept] == ["a.md", "c.md"]
    assert [x.doc_id for x in dropped] == ["b.md"]
    kept, dropped = dedupe_chunks(a + b + c, threshold=1.01)
    assert dropped == []
