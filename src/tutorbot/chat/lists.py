"""Lists in a composed answer: what follows a quoted sentence (the rest of its line, the next items, the
list a lead-in announces, across a chunk boundary), and where a short list starts (its second or third
item is quoted from its first: a list that short is one answer).

Stage: ranked sentences → **list items** → composed answer (``chat.compose``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from tutorbot.chat.source_lines import header_row, heading, raw_line, repeats, too_short
from tutorbot.retrieval.sentences import LEAD_IN, RankedSentence, Sentence, split_sentences
from tutorbot.schemas import Hit
from tutorbot.verify.gate import cite

LIST_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s")
ITEM_OPENING = re.compile(r"\s*(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s*)?")  # what precedes an item's first sentence
LIST_AFTER_LEAD = 3  # items quoted after a lead-in, wherever its line stands in the answer


def from_list_start(r: RankedSentence, hit: Hit, clean: Callable[[str, Hit], str],
                    shown: str) -> tuple[RankedSentence, int]:
    """``r`` moved to the first item of its short list, and how many sentences that puts before it
    (``r`` itself and 0 when its list is long, it is no item, or an earlier item is a label or shown)."""
    before = earlier_items(r, hit.chunk.text)
    if not before or any(_label_or_short(b, hit, clean) or repeats(clean(b.text, hit), shown) for b in before):
        return r, 0
    up_to = sum(1 for s in split_sentences(hit.chunk.text, code=False) if before[0].start < s.start <= r.start)
    return replace(r, text=before[0].text, start=before[0].start, end=before[0].end), up_to


def list_intro(r: RankedSentence, hit: Hit, clean: Callable[[str, Hit], str], shown: str,
               asked: Callable[[Sentence], bool]) -> tuple[RankedSentence, int]:
    """``r`` moved to the sentence that introduces its list when ``r`` is the list's first item and a line
    of prose stands right above it ("Randomly 15% of input token will be changed…" above "1. Randomly
    80% of tokens…"): the list says how, its introduction says what. Only an introduction that holds a
    word the question asks about (``asked``): "This is NOT the text of the page" introduces nothing.
    ``r`` itself and 0 otherwise."""
    text = hit.chunk.text
    if _item_indent(r.start, text) is None:
        return r, 0
    above = text[:text.rfind("\n", 0, r.start) + 1].rstrip()
    line = above[above.rfind("\n") + 1:]
    if not line or LIST_ITEM.match(line) or line.lstrip().startswith(("#", "|")):
        return r, 0
    intro = [s for s in split_sentences(text, code=False) if s.end <= len(above)][-1:]
    if not intro or not asked(intro[0]) or _label_or_short(intro[0], hit, clean) \
            or repeats(clean(intro[0].text, hit), shown):
        return r, 0
    return replace(r, text=intro[0].text, start=intro[0].start, end=intro[0].end), 1


def earlier_items(r: RankedSentence, text: str, most: int = 2) -> list[Sentence]:
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
    return heading(s, hit) or too_short(s.text, clean(s.text, hit))


def _item_indent(at: int, text: str) -> int | None:
    """The indent of the list item that offset ``at`` is on; None for a line that is no list item."""
    m = LIST_ITEM.match(raw_line(at, text))
    return len(m.group(1).expandtabs(4)) if m else None


def follow_on(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str], shown: str,
              limit: int = 3) -> list[str]:
    """``items_after``, an item from a further chunk with its own citation."""
    return [text if n == r.hit else cite(text, n + 1) for text, n in items_after(r, hits, clean, shown, limit)]


def items_after(r: RankedSentence, hits: Sequence[Hit], clean: Callable[[str, Hit], str], shown: str,
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
            if item and not repeats(item, shown) and not header_row(s.start, text):
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
