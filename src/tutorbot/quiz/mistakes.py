"""Why an answer was wrong: one deterministic error pattern per missed question.

Stage: grade → **mistakes** → attempt log → repeated patterns per topic (``learner/patterns.py``).
A wrong answer is classified from the question itself (its type, rule and options), what the learner
gave, its explaining passage (``source.quote``) and the curriculum graph, never by the model, so the
same answer always gets the same pattern. The rules, first match wins:

- careless: the answer holds the right term (extra words, a typo): a format slip, not a gap;
- missing_prereq: the question is about a prerequisite, or the passage leans on a prerequisite of
  the topic that the learner has not mastered;
- confused_terms: the answer names a concept tied to the right one (named by the same passage, next
  to it in the graph, or swapped with it in a compared statement);
- wrong_concept: the answer names another concept of the track (the sibling distractors) or picks
  another option;
- not_recalled: nothing of the above (a blank or short answer naming no concept, a true claim rejected,
  a fact about the roadmaps themselves: which course, which week; those say nothing of a concept).
"""

from __future__ import annotations

import difflib
from collections.abc import Container
from typing import Literal

from pydantic import BaseModel, Field

from tutorbot.curriculum.graph import Curriculum
from tutorbot.quiz.grade import AnswerError, choice_of
from tutorbot.quiz.match import contains, fold
from tutorbot.quiz.models import Question

MistakeKind = Literal["careless", "missing_prereq", "confused_terms", "wrong_concept", "not_recalled"]
MISTAKE_KINDS: tuple[MistakeKind, ...] = ("careless", "missing_prereq", "confused_terms", "wrong_concept",
                                          "not_recalled")
TYPO_RATIO = 0.8  # difflib ratio of a near-miss: "attenton" vs "attention" is 0.94, "GAN" vs "VAE" 0.33


class Mistake(BaseModel):
    """The pattern of one wrong answer, kept with its attempt."""

    kind: MistakeKind
    topic: str = Field(description="The question's topic.")
    right: str = Field("", description="The right answer, short.")
    chosen: str = Field("", description="What the learner answered, short.")
    other: str = Field("", description="The topic the answer named (confused_terms, wrong_concept).")
    prereq: str = Field("", description="The unmastered prerequisite (missing_prereq).")


def classify(q: Question, given: str, cur: Curriculum, mastered: Container[str] = ()) -> Mistake:
    """The pattern of the wrong answer ``given`` to ``q`` by a learner who has mastered ``mastered``."""
    given = _option(q, given)
    base = Mistake(kind="not_recalled", topic=q.topic, right=q.answer[:120], chosen=given.strip()[:120])
    if _careless(q, given):
        return base.model_copy(update={"kind": "careless"})
    if prereq := _missing_prereq(q, cur, mastered):
        return base.model_copy(update={"kind": "missing_prereq", "prereq": prereq})
    if q.about == "roadmap":
        return base
    named = _named_topic(q, given, cur)
    if named and named in _tied(q, cur):
        return base.model_copy(update={"kind": "confused_terms", "other": named})
    if named or q.type == "mcq":
        return base.model_copy(update={"kind": "wrong_concept", "other": named or ""})
    return base


def _option(q: Question, given: str) -> str:
    """The option a choice answer picked ("B" → its text), so the pattern names what was chosen."""
    try:
        return choice_of(q, given) if q.type in ("mcq", "tf") else given
    except AnswerError:
        return given


def _careless(q: Question, given: str) -> bool:
    """A typed answer that holds the key in other words, or misses it by a typo."""
    if q.type not in ("blank", "short"):
        return False  # a picked option cannot be a slip of the keyboard
    keys = [q.answer, *q.accepted] if q.type == "blank" else q.rubric
    text = fold(given)
    if q.type == "blank" and any(contains(given, k) for k in keys):
        return True
    return any(difflib.SequenceMatcher(None, text, fold(k)).ratio() >= TYPO_RATIO for k in keys)


def _missing_prereq(q: Question, cur: Curriculum, mastered: Container[str]) -> str:
    """The prerequisite behind the miss: the one a prerequisite question asks for, else the first
    prerequisite of the topic that the question or its passage names and the learner has not mastered."""
    if q.rule == "prereq":  # the answer names the prerequisite; filed under it, the miss is of the order only
        return next((tid for tid, _, _ in cur.mentions(q.answer) if tid != q.topic), "")
    if q.about == "roadmap" or q.topic not in cur.ids:
        return ""
    return next((p for p in cur.topic(q.topic).prereqs if p in _named(q, cur) and p not in mastered), "")


def _named_topic(q: Question, given: str, cur: Curriculum) -> str:
    """The curriculum topic the answer names, other than the question's own ('' when none)."""
    text = _swapped(q) if q.type == "tf" else given
    return next((tid for tid, _, _ in cur.mentions(text) if tid != q.topic), "")


def _swapped(q: Question) -> str:
    """A distorted true/false statement accepted as true: the text the distortion put in (the absent claim)."""
    return q.absent[0] if q.rule == "distorted" and q.absent else ""


def _named(q: Question, cur: Curriculum) -> set[str]:
    """Topics the question or its explaining passage names."""
    return {tid for tid, _, _ in cur.mentions(f"{q.question}\n{q.source.quote}")}


def _tied(q: Question, cur: Curriculum) -> set[str]:
    """Topics a learner may take for the question's own: named by its passage, or next to it in the graph."""
    near = _named(q, cur)
    if q.topic in cur.ids:
        t = cur.topic(q.topic)
        near |= {*t.prereqs, *t.recommended}
        near |= {o.id for o in cur.topics if q.topic in o.prereqs or q.topic in o.recommended}
    return near - {q.topic}
