"""Curriculum coverage: which catalog resources no topic uses, which roadmap sections no topic covers.

Stage: corpus → catalog → curriculum → **coverage** (`tutorbot coverage`, the curriculum tests).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import CoverageReport, Section
from tutorbot.schemas import CatalogEntry, Chunk
from tutorbot.urls import find_urls


def sections_from_chunks(chunks: Iterable[Chunk]) -> list[Section]:
    """Merge chunks back into their heading sections (a long section is several chunks)."""
    merged: dict[tuple[str, str], Section] = {}
    for c in chunks:
        s = merged.setdefault((c.doc_id, c.section), Section(doc_id=c.doc_id, section=c.section))
        s.text += "\n" + c.text
        s.urls += c.urls
    return list(merged.values())


def coverage(cur: Curriculum, catalog: list[CatalogEntry],
             sections: Iterable[Section | Chunk | tuple[str, str, str]]) -> CoverageReport:
    """Catalog resources no topic uses, and roadmap sections no topic covers.

    A topic covers a section when one of its names or synonyms appears in the heading path or
    text, or when the section links (or names, for link-less entries) one of its resources.
    Sections may be given as ``Section``s, ``Chunk``s or ``(doc_id, section, text)`` tuples.
    """
    used = {r for t in cur.topics for r in t.resources}
    by_id = {e.id: e for e in catalog}
    # A heading with no body of its own (its content sits in sub-sections) has nothing to cover.
    uncovered = [(s.doc_id, s.section) for s in _as_sections(sections)
                 if re.search(r"\w", s.text) and not _covers(cur, s, used, by_id)]
    return CoverageReport(unused_resources=[e.id for e in catalog if e.id not in used],
                          uncovered_sections=uncovered,
                          topics_without_resources=[t.id for t in cur.topics if not t.resources])


def _as_sections(items: Iterable[Section | Chunk | tuple[str, str, str]]) -> list[Section]:
    items = list(items)
    chunks = [i for i in items if isinstance(i, Chunk)]
    plain = [i if isinstance(i, Section) else Section(doc_id=i[0], section=i[1], text=i[2])
             for i in items if not isinstance(i, Chunk)]
    return plain + sections_from_chunks(chunks)


def _covers(cur: Curriculum, s: Section, used: set[str], by_id: dict[str, CatalogEntry]) -> bool:
    text = f"{s.section}\n{s.text}"
    if cur.mentions(text):
        return True
    if used & (set(find_urls(text)) | set(s.urls)):
        return True
    folded = text.casefold()
    return any(e.url is None and e.title.casefold() in folded for i in used if (e := by_id.get(i)))
