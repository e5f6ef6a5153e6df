"""Composed answers: the source sentences that best answer the question, quoted and cited.

When the model's text does not survive the truth gate (the bundled 135M model mostly does not), the
learner still gets a short, structured answer built from the sources alone: the best-ranked sentences
first, each in its original words with its place in the roadmap (the section and the heading above it) and
citation, then pointers to the other sources.
Lead-ins and labels are in the learner's language; quoted facts keep the language they were written in.
A label that ranks among the lines ("**Project Ideas**:", "推荐资源：") is answered by its list, which names
what the question asks for only in the label; the second or third item of a list is quoted from its first
(a list that short is one answer); headings that announce nothing and tables' header rows are never quoted.
No two lines repeat each other (an answer must never read as a loop). A fragment of a few words is not
quoted, unless it is all its section says ("RAG" → "待补充", to be added: the roadmap has nothing yet).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from pydantic import BaseModel

from tutorbot.retrieval.sentences import LEAD_IN, TABLE_SEPARATOR, RankedSentence, Sentence, split_sentences
from tutorbot.schemas import Hit
from tutorbot.verify.gate import cite
from tutorbot.verify.loops import NGRAM, first_repeat, tokens_with_offsets

LEAD = {"en": "From the sources:", "zh": "资料中的相关内容："}
MORE = {"en": "More in", "zh": "更多内容见"}
MIN_TOKENS = 4  # a heading word or a bare link label answers nothing
BOLD_LINE = re.compile(r"(?:[-*+]\s+|\d+[.)]\s+)?\*\*[^*]+\*\*\s*[：:]?")
LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s")
ITEM_OPENING = re.compile(r"\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s*)?")  # what precedes an item's first sentence
LIST_AFTER_LEAD = 3  # items quoted after a lead-in, wherever its line stands in the answer


class Line(BaseModel):
    """One quoted sentence with where it is written, and the list items that follow it there."""

    text: str
    source: int
    section: str = ""
    parent: str = ""  # the heading above the section, named with it the first time
    items: list[str] = []


class Composition(BaseModel):
    lines: list[Line]
    more: list[tuple[str, int]]  # (section, citation number) of sources not quoted

    def render(self, lang: str, lead: bool = True) -> str:
        labelled: set[str] = set()  # a section or a parent is named once: twice would read as a repeat
        body = []
        for line in self.lines:
            body.append(f"- {_label(line, labelled)}{cite(line.text, line.source)}")
            body += [f"  - {item}" for item in line.items]
            labelled |= {line.section, line.parent}
        if self.more:
            body.append(f"{MORE[lang]} " + ", ".join(f"*{s}* [{n}]" for s, n in self.more))
        return "\n".join(([LEAD[lang]] if lead else []) + body)


def compose(ranked: Sequence[RankedSentence], hits: Sequence[Hit], clean: Callable[[str, Hit], str],
            max_lines: int = 4, min_share: float = 0.5, exclude: str = "") -> Composition:
    """The best sentences (within ``min_share`` of the best score), without repeats, then pointers.

    ``clean`` makes a quoted sentence safe to show (no foreign links, no markup from the page);
    ``exclude`` is text already shown (a verified model answer): lines that repeat it are skipped."""
    top = ranked[0].score if ranked else 0.0
    lines: list[Line] = []
    shown = exclude
    for r in ranked:
        if len(lines) == max_lines or r.score < top * min_share:
            break
        if _heading(r, hits[r.hit]):
            line = _list_under(r, hits, clean, shown)
        else:
            line = _line(r, hits, clean, shown, first=not lines)
        if line is not None:
            lines.append(line)
            shown += "\n" + "\n".join([line.text, *line.items])
    return _without_repeats(Composition(lines=lines, more=_more(hits, lines)), exclude)


def _line(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str], shown: str,
          first: bool) -> Line | None:
    """The sentence quoted with what follows it (``_follow_on``); none for a fragment or a repeat.
    The second or third item of a list is quoted from the list's first item: a list that short is
    one answer ("理解 Self-Attention…" before "掌握 Masked LM…" in a stage's tasks)."""
    hit = hits[r.hit]
    r, up_to = _from_list_start(r, hit, clean, shown)
    text = clean(r.text, hit).strip()
    if (_too_short(r.text, text) and not _all_it_says(r, hit)) or _repeats(text, shown):
        return None
    limit = LIST_AFTER_LEAD if LEAD_IN.search(text) else 3 if first else 1
    items = _follow_on(r, hits, clean, shown + "\n" + text, limit=limit + up_to)
    return Line(text=text, source=r.hit + 1, section=_section(hit), parent=_parent(hit), items=items)


def _from_list_start(r: RankedSentence, hit: Hit, clean: Callable[[str, Hit], str],
                     shown: str) -> tuple[RankedSentence, int]:
    """``r`` moved to the first item of its short list, and how many sentences that puts before it
    (``r`` itself and 0 when its list is long, it is no item, or an earlier item is a label or shown)."""
    before = _earlier_items(r, hit.chunk.text)
    if not before or any(_label_or_short(b, hit, clean) or _repeats(clean(b.text, hit), shown) for b in before):
        return r, 0
    up_to = sum(1 for s in split_sentences(hit.chunk.text, code=False) if before[0].start < s.start <= r.start)
    return replace(r, text=before[0].text, start=before[0].start, end=before[0].end), up_to


def _earlier_items(r: RankedSentence, text: str, most: int = 2) -> list[Sentence]:
    """The items before ``r`` in its list (same indent; an item's sub-items are passed over), when
    there are at most ``most``: the first sentence of each, in order. None when ``r`` is no list item."""
    indent = _item_indent(r.start, text)
    if indent is None:
        return []
    found: list[Sentence] = []
    for s in reversed([s for s in split_sentences(text, code=False) if s.end <= r.start]):
        at = _item_indent(s.start, text)
        if at is None or at < indent:
            break
        if at == indent and ITEM_OPENING.fullmatch(text[text.rfind("\n", 0, s.start) + 1:s.start]):
            found.insert(0, s)  # the item's first sentence; a later one, or a sub-item, is passed over
    return found if len(found) <= most else []


def _label_or_short(s: Sentence, hit: Hit, clean: Callable[[str, Hit], str]) -> bool:
    """An item that is a label ("- **深度学习框架强化**", the section's own name) or a fragment heads no answer."""
    return _heading(s, hit) or _too_short(s.text, clean(s.text, hit))


def _item_indent(at: int, text: str) -> int | None:
    """The indent of the list item that offset ``at`` is on; None for a line that is no list item."""
    m = LIST_ITEM.match(_raw_line(at, text))
    return len(m.group(1).expandtabs(4)) if m else None


def _list_under(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str],
                shown: str) -> Line | None:
    """A label that ranks among the answer's lines ("**Project Ideas**:", "推荐资源：") names what the
    question asks for, and its list is the answer: the list is quoted under the label's section name.
    A heading that announces nothing ("研究方向") answers nothing."""
    hit = hits[r.hit]
    if not LEAD_IN.search(_line_of(r.start, hit.chunk.text)):
        return None
    items = _items_after(r, hits, clean, shown, LIST_AFTER_LEAD + 1)
    if not items or items[0][1] != r.hit:  # the list's first item leads, cited by the label's own chunk
        return None
    rest = [text if n == r.hit else cite(text, n + 1) for text, n in items[1:]]
    return Line(text=items[0][0], source=r.hit + 1, section=_section(hit), parent=_parent(hit), items=rest)


def _too_short(raw: str, text: str) -> bool:
    """A sentence of a few words answers nothing, unless it names a linked resource."""
    return len(tokens_with_offsets(text)) < MIN_TOKENS and "](" not in raw


def _all_it_says(r: RankedSentence, hit: Hit) -> bool:
    """Whether ``r`` is the only thing its section says besides its heading ("RAG" → "待补充", to be added):
    short, but it is the answer to "what does it say about RAG?"."""
    labels = {p.strip() for p in hit.chunk.section.split(" > ")}
    said = [s for s in split_sentences(hit.chunk.text, code=False) if s.text.strip("*：: ") not in labels]
    return len(said) == 1 and said[0].start == r.start


def _follow_on(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str], shown: str,
               limit: int = 3) -> list[str]:
    """``_items_after``, an item from a further chunk with its own citation."""
    return [text if n == r.hit else cite(text, n + 1) for text, n in _items_after(r, hits, clean, shown, limit)]


def _items_after(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str], shown: str,
                 limit: int) -> list[tuple[str, int]]:
    """What follows the best sentence in its source, up to the next heading: the rest of its line
    ("…复杂任务？（ReAct）") and the next list items — an answer to "which…" or "what are…" is often
    the item and its neighbours. A lead-in ("Project Ideas:") is followed by its list: an answer
    never ends on a label whose items it leaves out. A list cut by a chunk boundary goes on in the
    retrieved chunks further on in the section; their items carry their own citation."""
    items, budget, after = list[tuple[str, int]](), limit, r.start
    for n, hit in _continued(r.hit, hits):
        text = hit.chunk.text
        for s in (s for s in split_sentences(text, code=False) if s.start > after):
            line = text[text.rfind("\n", 0, s.start) + 1:s.end].lstrip()
            if line.startswith("#") or budget == 0:
                return items
            item = clean(s.text, hit).strip()
            if item and not _repeats(item, shown) and not _header_row(s.start, text):
                items.append((item, n))
                shown += "\n" + item
                budget = LIST_AFTER_LEAD if LEAD_IN.search(item) else budget - 1
        after = -1
    return items


def _continued(first: int, hits: Sequence[Hit]) -> list[tuple[int, Hit]]:
    """Hit ``first``, then the retrieved chunks further on in its section of the same document, in order."""
    c = hits[first].chunk
    later = [i for i, h in enumerate(hits) if h.chunk.doc_id == c.doc_id and h.chunk.section == c.section
             and h.chunk.position > c.position]
    return [(i, hits[i]) for i in [first, *sorted(later, key=lambda i: hits[i].chunk.position)]]


def _without_repeats(comp: Composition, shown: str) -> Composition:
    """Drop lines until nothing repeats, across line ends and with what is already shown: a
    source can quote one title twice in a row, and the answer must still never read as a loop.
    A pointer that repeats a quoted line's label goes, never the line it repeats."""
    comp = _lines_without_repeats(comp.model_copy(update={"more": []}), shown).model_copy(update={"more": comp.more})
    while comp.more and first_repeat(f"{shown}\n{comp.render('en', lead=False)}") is not None:
        comp = comp.model_copy(update={"more": comp.more[:-1]})
    return comp


def _lines_without_repeats(comp: Composition, shown: str) -> Composition:
    while comp.lines:
        at = first_repeat(f"{shown}\n{comp.render('en', lead=False)}")
        if at is None:
            break
        drop = _line_at(comp, at - len(shown) - 1)
        comp = comp.model_copy(update={"lines": comp.lines[:drop] + comp.lines[drop + 1:]})
    return comp


def _line_at(comp: Composition, at: int) -> int:
    """Which line's rows (the line and its items) hold offset ``at`` of the rendered body; the last when none."""
    rows, row, offset = comp.render("en", lead=False).split("\n"), 0, 0
    for i, line in enumerate(comp.lines):
        for _ in range(1 + len(line.items)):
            offset, row = offset + len(rows[row]) + 1, row + 1
        if offset > at:
            return i
    return len(comp.lines) - 1


def _heading(r: RankedSentence | Sentence, hit: Hit) -> bool:
    """A heading, a bold label or a table's header row names a section or its columns; it answers nothing
    ("技术报告", "研究方向", "阶段 | 推荐内容")."""
    text = hit.chunk.text
    line = _line_of(r.start, text)
    bare = r.text.strip("*：: ")
    return (line.startswith("#") or bare in hit.chunk.section.split(" > ") or bool(BOLD_LINE.fullmatch(line))
            or _header_row(r.start, text))


def _line_of(at: int, text: str) -> str:
    """The markdown line of ``text`` that offset ``at`` is on, stripped."""
    return _raw_line(at, text).strip()


def _raw_line(at: int, text: str) -> str:
    return text[text.rfind("\n", 0, at) + 1:].split("\n", 1)[0]


def _header_row(at: int, text: str) -> bool:
    """Whether offset ``at`` is on a table's header row ("| 阶段 | 推荐内容 |"): it names columns, like a heading."""
    end = text.find("\n", at)
    following = text[end + 1:].split("\n", 1)[0] if end >= 0 else ""
    return _line_of(at, text).startswith("|") and bool(TABLE_SEPARATOR.match(following))


def _repeats(text: str, shown: str) -> bool:
    """Whether ``text`` shares an 8-gram with what is already shown, or is a line of it (a short item
    quoted twice: "✅ **LoRA / QLoRA 论文**")."""
    def grams(s: str) -> set[tuple[str, ...]]:
        toks = [t for t, _ in tokens_with_offsets(s)]
        return {tuple(toks[i:i + NGRAM]) for i in range(len(toks) - NGRAM + 1)} or {tuple(toks)}
    return bool(grams(text) & grams(shown)) or text.strip() in shown.split("\n") if shown else False


def _section(hit: Hit) -> str:
    c = hit.chunk
    return (c.section.split(" > ")[-1] or c.title).strip()


def _parent(hit: Hit) -> str:
    """The heading above the section, below the document's title ("阶段 2：Transformer 深度解析（3-4 周）"
    above "代码实现进阶"): it often carries what the sub-heading leaves out (the stage, its weeks)."""
    parts = [p.strip() for p in hit.chunk.section.split(" > ") if p.strip()]
    return parts[-2] if len(parts) >= 3 else ""


def _label(line: Line, labelled: set[str]) -> str:
    """"**parent › section**: " where the line stands; the parts already named or quoted are left out."""
    parts = [p for p in (line.parent, line.section) if p and p not in line.text and p not in labelled]
    return f"**{' › '.join(parts)}**: " if line.section in parts else ""


def _more(hits: Sequence[Hit], lines: list[Line], limit: int = 3) -> list[tuple[str, int]]:
    used = {line.source for line in lines}
    seen = {name for line in lines for name in (line.section, line.parent)}  # named above: a pointer repeats it
    out = []
    for n, h in enumerate(hits, 1):
        name = _section(h)
        if n not in used and name and name not in seen:
            seen.add(name)
            out.append((name, n))
    return out[:limit]
