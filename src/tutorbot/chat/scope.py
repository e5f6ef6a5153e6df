"""Whether a question is about the corpus: the signals that lower the grounding floor.

Naming a curriculum topic, or a course/paper/tool the corpus names (CS336, nanoGPT, HELM), makes a
question on-topic even when it says little else. A corpus that does not match the curriculum goes
without the first signal.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tutorbot.curriculum.graph import Curriculum
from tutorbot.retrieval.tokenize import mentions_name, name_terms
from tutorbot.schemas import CatalogEntry, Chunk


def topic_matcher(chunks: Sequence[Chunk], catalog: Sequence[CatalogEntry],
                  curriculum: Curriculum | None) -> Callable[[str], bool]:
    """A predicate: does this question name a topic, or a name the corpus uses?"""
    names = name_terms([f"{c.title} {c.section}" for c in chunks] + [e.title for e in catalog])
    if curriculum is None:
        return lambda q: mentions_name(q, names)
    return lambda q: bool(curriculum.mentions(q)) or mentions_name(q, names)
