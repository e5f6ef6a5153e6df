"""Ingestion stage 2: cleaned ``Document`` → retrievable ``Chunk``s, following the markdown.

A document is cut into heading sections (``#``..``######``, plus bold pseudo-headings such
as ``**理论**：`` or a bold list item with sub-items such as ``3. **优化实践**``). A section
that is too long is packed from whole blocks — paragraphs, fenced code, top-level list
items with their sub-items, tables — so no chunk cuts a link, code span or list item. Only
tables and list items that are too long on their own are split, repeating their header.
Near-duplicate chunks are dropped afterwards, in ``dedupe``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable

from pydantic import BaseModel

from tutorbot.ingest.corpus import document_lang
from tutorbot.schemas import Chunk, Document
from tutorbot.urls import find_urls, unescape_md

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
PSEUDO = re.compile(r"^(?P<marker>(?:[-*+]|\d+[.)])\s+)?\*\*(?P<title>[^*]{1,40}?)\*\*\s*[：:]?\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d+[.)])(?:\s+|$)")
SEPARATOR = re.compile(r"^\s*(?:[-*_]\s*){3,}$")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}")
MD_LINK_TEXT = re.compile(r"!?\[((?:\\.|[^\[\]\\])*)\]\([^)]*\)")


class Section(BaseModel):
    """Lines under one heading; ``path`` excludes a first-level heading equal to the title."""

    path: list[str]
    heading: str = ""
    lines: list[str] = []


class _Head(BaseModel):
    level: int
    title: str
    has_content: bool = False


def clean_heading(text: str) -> str:
    """Heading text without markdown: links become their text, emphasis and colons go."""
    text = unescape_md(MD_LINK_TEXT.sub(lambda m: m.group(1), text))
    text = re.sub(r"[*`]+|__", "", text)
    return re.sub(r"\s+", " ", text).strip().rstrip("：:").strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _has_children(lines: list[str], i: int) -> bool:
    """Whether the list item at ``i`` is followed by more-indented content before a sibling."""
    for line in lines[i + 1 :]:
        if line.strip():
            return _indent(line) > _indent(lines[i])
    return False


OUTLINE_ITEM = re.compile(r"^[-*+]\s+(?P<title>[^\[\]()*`:：]{1,24}?)\s*$")


def _pseudo(lines: list[str], i: int) -> str:
    """Title if line ``i`` is a bold line, or a short top-level outline item, acting as a heading."""
    m = PSEUDO.match(lines[i])
    if not m:
        # "- 后训练" over an indented list of methods is a heading in outline form: giving it its own
        # section keeps "后训练 > GRPO" together instead of packing it with unrelated siblings.
        o = OUTLINE_ITEM.match(lines[i])
        return clean_heading(o.group("title")) if o and _has_children(lines, i) else ""
    if m.group("marker") and not _has_children(lines, i):
        return ""  # a bold item in a flat list is content, not a heading
    return clean_heading(m.group("title"))


class _Sectioner:
    """Walks a document's lines, opening a section at each heading or pseudo-heading."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.sections = [Section(path=[])]
        self.stack: list[_Head] = []
        self.child_indent: int | None = None  # open bold-list-item section: its children's indent

    def _path(self) -> list[str]:
        return [h.title for h in self.stack if h.title]

    def open(self, level: int, title: str, heading: str) -> None:
        stack = self.stack
        while stack and (stack[-1].level > level or (stack[-1].level == level and stack[-1].has_content)):
            stack.pop()  # an empty heading stays: it becomes the parent of the next section
        stack.append(_Head(level=level, title=title))
        self.sections.append(Section(path=self._path(), heading=heading))

    def heading(self, hashes: str, text: str, line: str) -> None:
        title, level = clean_heading(text), len(hashes)
        self.child_indent = None
        self.open(level, "" if level == 1 and title == self.doc.title else title, line.strip())

    def pseudo(self, title: str, lines: list[str], i: int) -> None:
        """Pseudo-headings sit one level below the nearest real heading (levels 7+)."""
        self.open(max((h.level for h in self.stack if h.level <= 6), default=0) + 7, title, lines[i].strip())
        m = PSEUDO.match(lines[i])
        if m is None or m.group("marker"):
            self.child_indent = _indent(next(x for x in lines[i + 1 :] if x.strip()))

    def close_item(self) -> None:
        while self.stack and self.stack[-1].level > 6:
            self.stack.pop()
        self.child_indent = None
        self.sections.append(Section(path=self._path()))

    def add(self, line: str) -> None:
        if self.child_indent is not None:  # the item's children become the section's top level
            line = line[min(self.child_indent, _indent(line)) :]
        self.sections[-1].lines.append(line)
        if line.strip() and not SEPARATOR.match(line):
            for head in self.stack:
                head.has_content = True


def iter_sections(doc: Document) -> list[Section]:
    """The document's sections in order, each with its heading path."""
    walker = _Sectioner(doc)
    lines = doc.text.split("\n")
    in_fence = False
    for i, line in enumerate(lines):
        if not in_fence:
            if walker.child_indent is not None and line.strip() and _indent(line) < walker.child_indent:
                walker.close_item()
            if m := HEADING.match(line):
                walker.heading(m.group(1), m.group(2), line)
                continue
            if title := _pseudo(lines, i):
                walker.pseudo(title, lines, i)
                continue
        if FENCE.match(line):
            in_fence = not in_fence
        walker.add(line)
    return [s for s in walker.sections if s.heading or any(x.strip() for x in s.lines)]


class _Block(BaseModel):
    text: str
    kind: str  # paragraph | list | table | code
    gap: bool = True  # blank line before it in the source


def _block_end(lines: list[str], i: int) -> tuple[int, str]:
    """End index (exclusive) and kind of the block starting at line ``i``."""
    n, line = len(lines), lines[i]
    if FENCE.match(line):
        j = next((j for j in range(i + 1, n) if FENCE.match(lines[j])), n - 1)
        return j + 1, "code"
    if line.lstrip().startswith("|"):
        j = next((j for j in range(i, n) if not lines[j].lstrip().startswith("|")), n)
        return j, "table"
    if m := LIST_ITEM.match(line):
        j, base = i + 1, len(m.group(1))
        while j < n:
            nxt = next((k for k in range(j, n) if lines[k].strip()), n)
            if nxt == n or _indent(lines[nxt]) <= base:
                break
            j = nxt + 1
        return j, "list"
    j = i + 1
    while j < n and lines[j].strip() and not any(
        p.match(lines[j]) for p in (FENCE, LIST_ITEM, SEPARATOR, HEADING)
    ) and not lines[j].lstrip().startswith("|"):
        j += 1
    return j, "paragraph"


def _blocks(lines: list[str]) -> list[_Block]:
    blocks: list[_Block] = []
    i, gap = 0, True
    while i < len(lines):
        if not lines[i].strip() or SEPARATOR.match(lines[i]):
            i, gap = i + 1, True
            continue
        end, kind = _block_end(lines, i)
        text = "\n".join(lines[i:end]).rstrip()
        blocks.append(_Block(text=text, kind=kind, gap=gap))
        i, gap = end, False
    return blocks


def _pack(head: str, parts: list[str], sep: str, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """Greedy groups of ``parts``, each prefixed by ``head`` (a table header or a parent item)."""
    groups: list[list[str]] = []
    budget = max_tokens - count(head)
    used = 0
    for part in parts:
        size = count(part)
        if groups and used + size <= budget:
            groups[-1].append(part)
            used += size
        else:
            groups.append([part])
            used = size
    return [sep.join([head, *g]) if head else sep.join(g) for g in groups]


def _split_block(block: _Block, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    """A block as pieces of at most ``max_tokens`` where its structure allows."""
    if count(block.text) <= max_tokens or block.kind not in ("table", "list"):
        return [block.text]
    lines = block.text.split("\n")
    if block.kind == "table":
        n_head = 2 if len(lines) > 1 and TABLE_RULE.match(lines[1]) else 1
        return _pack("\n".join(lines[:n_head]), lines[n_head:], "\n", max_tokens, count)
    children = [i for i, ln in enumerate(lines) if i and LIST_ITEM.match(ln)
                and _indent(ln) == min(_indent(x) for x in lines[1:] if LIST_ITEM.match(x))]
    if not children:
        return [block.text]
    parts = ["\n".join(lines[a:b]) for a, b in zip(children, children[1:] + [len(lines)], strict=False)]
    return _pack("\n".join(lines[: children[0]]), parts, "\n", max_tokens, count)


def _section_texts(section: Section, max_tokens: int, count: Callable[[str], int]) -> list[str]:
    head_size = count(section.heading) if section.heading else 0
    pieces: list[tuple[str, bool, bool]] = []  # text, blank line before it, is a paragraph
    for block in _blocks(section.lines):
        for k, piece in enumerate(_split_block(block, max_tokens - head_size, count)):
            pieces.append((piece, block.gap or k > 0, block.kind == "paragraph"))
    texts: list[str] = []
    used = 0
    for n, (piece, gap, is_para) in enumerate(pieces):
        size = count(piece)
        # A lead-in paragraph ("一些优质博客") travels with the list right under it.
        attached = n + 1 < len(pieces) and is_para and not pieces[n + 1][1]
        need = size + (count(pieces[n + 1][0]) if attached else 0)
        if texts and used + need <= max_tokens or texts and not gap and used + size <= max_tokens:
            texts[-1] += ("\n\n" if gap else "\n") + piece
            used += size
        elif not texts and section.heading:  # the heading opens the first chunk, never stands alone
            texts.append(f"{section.heading}\n\n{piece}")
            used = head_size + size
        else:
            texts.append(piece)
            used = size
    return texts


def chunk_id(chunk: Chunk) -> str:
    """Doc id + position + a hash of everything stored with the chunk.

    Hashing the metadata too (title, heading path, provenance), not just the text, means a
    renamed parent heading gives its children new ids, so an incremental run re-embeds them
    instead of keeping a vector and a section that describe the old heading.
    """
    stored = chunk.model_dump(mode="json", exclude={"id"}) | {"embed_text": chunk.embed_text}
    digest = hashlib.sha1(json.dumps(stored, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:10]
    return f"{chunk.doc_id}#{chunk.position}-{digest}"


def chunk_document(doc: Document, max_tokens: int, count_tokens: Callable[[str], int]) -> list[Chunk]:
    """Structure-aware chunks of ``doc``; ids are stable while text and metadata are."""
    chunks: list[Chunk] = []
    for section in iter_sections(doc):
        for text in _section_texts(section, max_tokens, count_tokens):
            chunk = Chunk(
                id="", doc_id=doc.id, title=doc.title, section=" > ".join(section.path), text=text,
                lang=document_lang(text), urls=find_urls(text), position=len(chunks), kind=doc.kind,
                trusted=doc.trusted, linked_from=list(doc.linked_from),
            )
            chunks.append(chunk.model_copy(update={"id": chunk_id(chunk)}))
    return chunks

