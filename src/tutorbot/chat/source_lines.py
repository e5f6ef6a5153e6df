"""Reading a source's markdown lines for the composer: which line a sentence stands on, whether it is a
heading, a label or a table's header row (names, not answers), whether it is too short to quote, whether
it repeats what is already shown, and the section names a quoted line is labelled with.

Stage: retrieved hits → ranked sentences → **source lines** → composed answer (``chat.compose``).
"""

from __future__ import annotations

import re

from tutorbot.retrieval.sentences import TABLE_SEPARATOR, RankedSentence, Sentence
from tutorbot.schemas import Hit
from tutorbot.verify.loops import NGRAM, tokens_with_offsets

MIN_TOKENS = 4  # a heading word or a bare link label answers nothing
BOLD_LINE = re.compile(r"(?:[-*+]\s+|\d+[.)]\s+)?\*\*[^*]+\*\*\s*[：:]?")


def heading(s: RankedSentence | Sentence, hit: Hit) -> bool:
    """A heading, a bold label or a table's header row names a section or its columns; it answers nothing
    ("技术报告", "研究方向", "阶段 | 推荐内容")."""
    text = hit.chunk.text
    line = line_of(s.start, text)
    bare = s.text.strip("*：: ")
    return (line.startswith("#") or bare in hit.chunk.section.split(" > ") or bool(BOLD_LINE.fullmatch(line))
            or header_row(s.start, text))


def line_of(at: int, text: str) -> str:
    """The markdown line of ``text`` that offset ``at`` is on, stripped."""
    return raw_line(at, text).strip()


def raw_line(at: int, text: str) -> str:
    return text[text.rfind("\n", 0, at) + 1:].split("\n", 1)[0]


def header_row(at: int, text: str) -> bool:
    """Whether offset ``at`` is on a table's header row ("| 阶段 | 推荐内容 |"): it names columns, like a heading."""
    end = text.find("\n", at)
    following = text[end + 1:].split("\n", 1)[0] if end >= 0 else ""
    return line_of(at, text).startswith("|") and bool(TABLE_SEPARATOR.match(following))


def too_short(raw: str, text: str) -> bool:
    """A sentence of a few words answers nothing, unless it names a linked resource."""
    return len(tokens_with_offsets(text)) < MIN_TOKENS and "](" not in raw


def repeats(text: str, shown: str) -> bool:
    """Whether ``text`` shares an 8-gram with what is already shown, or is a line of it (a short item
    quoted twice: "✅ **LoRA / QLoRA 论文**")."""
    def grams(s: str) -> set[tuple[str, ...]]:
        toks = [t for t, _ in tokens_with_offsets(s)]
        return {tuple(toks[i:i + NGRAM]) for i in range(len(toks) - NGRAM + 1)} or {tuple(toks)}
    return bool(grams(text) & grams(shown)) or text.strip() in shown.split("\n") if shown else False


def section_name(hit: Hit) -> str:
    c = hit.chunk
    return (c.section.split(" > ")[-1] or c.title).strip()


def parent_heading(hit: Hit) -> str:
    """The heading above the section, below the document's title ("阶段 2：Transformer 深度解析（3-4 周）"
    above "代码实现进阶"): it often carries what the sub-heading leaves out (the stage, its weeks)."""
    parts = [p.strip() for p in hit.chunk.section.split(" > ") if p.strip()]
    return parts[-2] if len(parts) >= 3 else ""
