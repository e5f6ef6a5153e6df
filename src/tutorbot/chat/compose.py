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
Lists are followed in ``chat.lists``; a source's markdown lines are read in ``chat.source_lines``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from pydantic import BaseModel

from tutorbot.chat.lists import LIST_AFTER_LEAD, follow_on, from_list_start, items_after, list_intro
from tutorbot.chat.source_lines import heading, line_of, parent_heading, repeats, section_name, too_short
from tutorbot.retrieval.sentences import LEAD_IN, RankedSentence, split_sentences
from tutorbot.schemas import Chunk, Hit
from tutorbot.verify.gate import cite
from tutorbot.verify.loops import first_repeat

LEAD = {"en": "From the sources:", "zh": "资料中的相关内容："}
MORE = {"en": "More in", "zh": "更多内容见"}
PARTS = {"en": "its parts: ", "zh": "各部分："}


class Line(BaseModel):
    """One quoted sentence with where it is written, and the list items that follow it there."""

    text: str
    source: int
    section: str = ""
    parent: str = ""  # the heading above the section, named with it the first time
    items: list[str] = []


class Outline(BaseModel):
    """A page the question asks about (a link it names leads there): hit ``hit``'s title and headings."""

    hit: int
    title: str
    parts: list[str]

    def line(self, lang: str) -> Line:
        sep = "；" if lang == "zh" else "; "
        return Line(text=f"{self.title} — {PARTS[lang]}{sep.join(self.parts)}", source=self.hit + 1, section=self.title)


def outlines_of(pages: Sequence[Hit], hits: Sequence[Hit], outline: Callable[[Chunk], list[str]]) -> list[Outline]:
    """The outline of each page among ``pages`` (a link the question names leads there), cited as its first
    chunk among ``hits`` is; none for a page of one part ("— its parts: Abstract" says nothing)."""
    at = {h.chunk.id: n for n, h in enumerate(hits)}
    first: dict[str, Chunk] = {}
    for p in (p for p in pages if p.chunk.id in at):
        first.setdefault(p.chunk.doc_id, p.chunk)
    return [Outline(hit=at[c.id], title=c.title, parts=parts) for c in first.values() if len(parts := outline(c)) > 1]


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
            max_lines: int = 4, min_share: float = 0.5, exclude: str = "",
            outlines: Sequence[Line] = ()) -> Composition:
    """The best sentences (within ``min_share`` of the best score), without repeats, then pointers.

    ``clean`` makes a quoted sentence safe to show (no foreign links, no markup from the page);
    ``exclude`` is text already shown (a verified model answer): lines that repeat it are skipped;
    ``outlines`` lead: the parts of a page the question asks about (``Outline``)."""
    top = ranked[0].score if ranked else 0.0
    said = _own_words(ranked)
    lines = [o for o in outlines if not repeats(o.text, exclude)]
    shown = "\n".join([exclude, *(o.text for o in lines)])
    for r in ranked:
        if len(lines) == max_lines or r.score < top * min_share:
            break
        if heading(r, hits[r.hit]):
            line = _list_under(r, hits, clean, shown)
        else:
            line = _line(r, hits, clean, shown, first=not lines, said=said)
        if line is not None:
            lines.append(line)
            shown += "\n" + "\n".join([line.text, *line.items])
    return _without_repeats(Composition(lines=lines, more=_more(hits, lines)), exclude)


def _own_words(ranked: Sequence[RankedSentence]) -> set[tuple[int, int]]:
    """The sentences that hold a word of the question themselves: a sentence is ranked with its heading's
    words, which every sentence of its chunk shares (the least any of them scores)."""
    floor: dict[int, float] = {}
    for x in ranked:
        floor[x.hit] = min(floor.get(x.hit, x.lexical), x.lexical)
    return {(x.hit, x.start) for x in ranked if x.lexical > floor[x.hit]}


def _line(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str], shown: str,
          first: bool, said: Collection[tuple[int, int]] = ()) -> Line | None:
    """The sentence quoted with what follows it (``_follow_on``); none for a fragment or a repeat.
    The second or third item of a list is quoted from the list's first item: a list that short is
    one answer ("理解 Self-Attention…" before "掌握 Masked LM…" in a stage's tasks), and a list's first item
    from the prose line that introduces it when that line holds a word of the question (``said``)."""
    hit = hits[r.hit]
    r, up_to = from_list_start(r, hit, clean, shown)
    n = r.hit
    r, intro = list_intro(r, hit, clean, shown, lambda s: (n, s.start) in said)
    up_to += intro
    text = clean(r.text, hit).strip()
    if (too_short(r.text, text) and not _all_it_says(r, hit)) or repeats(text, shown):
        return None
    limit = LIST_AFTER_LEAD if LEAD_IN.search(text) else 3 if first else 1
    items = follow_on(r, hits, clean, shown + "\n" + text, limit=limit + up_to)
    return Line(text=text, source=r.hit + 1, section=section_name(hit), parent=parent_heading(hit), items=items)


def _list_under(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str],
                shown: str) -> Line | None:
    """A label that ranks among the answer's lines ("**Project Ideas**:", "推荐资源：") names what the
    question asks for, and its list is the answer: the list is quoted under the label's section name.
    A heading that announces nothing ("研究方向") answers nothing."""
    hit = hits[r.hit]
    if not LEAD_IN.search(line_of(r.start, hit.chunk.text)):
        return None
    items = items_after(r, hits, clean, shown, LIST_AFTER_LEAD + 1)
    if not items or items[0][1] != r.hit:  # the list's first item leads, cited by the label's own chunk
        return None
    rest = [text if n == r.hit else cite(text, n + 1) for text, n in items[1:]]
    return Line(text=items[0][0], source=r.hit + 1, section=section_name(hit), parent=parent_heading(hit), items=rest)


def _all_it_says(r: RankedSentence, hit: Hit) -> bool:
    """Whether ``r`` is the only thing its section says besides its heading ("RAG" → "待补充", to be added):
    short, but it is the answer to "what does it say about RAG?"."""
    labels = {p.strip() for p in hit.chunk.section.split(" > ")}
    said = [s for s in split_sentences(hit.chunk.text, code=False) if s.text.strip("*：: ") not in labels]
    return len(said) == 1 and said[0].start == r.start


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


def _label(line: Line, labelled: set[str]) -> str:
    """"**parent › section**: " where the line stands; the parts already named or quoted are left out."""
    parts = [p for p in (line.parent, line.section) if p and p not in line.text and p not in labelled]
    return f"**{' › '.join(parts)}**: " if line.section in parts else ""


def _more(hits: Sequence[Hit], lines: list[Line], limit: int = 3) -> list[tuple[str, int]]:
    used = {line.source for line in lines}
    seen = {name for line in lines for name in (line.section, line.parent)}  # named above: a pointer repeats it
    out = []
    for n, h in enumerate(hits, 1):
        name = section_name(h)
        if n not in used and name and name not in seen:
            seen.add(name)
            out.append((name, n))
    return out[:limit]
