"""Which sentences of the model's plan advice a learner may read.

Stage: guidance (model text) → **truth** → plan. A part that loops (``verify.loops``) is rejected whole.
Otherwise a sentence is kept only when it is a sentence (not the prompt's own "Phase (weeks 1-3): A, B"
lines echoed back, not cut off mid-word, no name said three times), names one of this plan's topics,
tracks or resources, says nothing generic ("designed to help you achieve your goals"), states no fact
(``verify.facts``: names, course codes, numbers, titles) that the plan's own vocabulary does not state,
and repeats nothing already kept. ``keep_supported`` is the one check; a shared gate can replace it
without other changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tutorbot.curriculum.aliases import AliasIndex
from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.names import names_of
from tutorbot.lang import has_cjk
from tutorbot.plans.models import Plan
from tutorbot.retrieval.sentences import split_sentences
from tutorbot.schemas import CatalogEntry
from tutorbot.verify.facts import missing_facts
from tutorbot.verify.loops import is_degenerate

FILLER = re.compile(r"designed to help|achieve (?:your|their) goals?|good luck|happy learning|stay motivated|"
                    r"you can do it|(?:detailed|comprehensive|complete) guide|in this (?:guide|plan), you will|"
                    r"祝你|加油|帮助你实现|实现你的目标|详细的指南", re.I)
MIN_CHARS = {"en": 20, "zh": 8}  # a kept part shorter than this says too little: the template is used
ECHO = re.compile(r"\(\s*weeks?\s*\d|\bweeks?\s+\d+\s*[-–]\s*\d+|\bproject\s*:|第\s*\d+\s*[-–]\s*\d+\s*周|"
                  r"^\s*\d+\.\s", re.I)  # the prompt's own markup, copied instead of written
CUT = re.compile(r"[A-Za-z]-(?:\s|$)|[&,:;(（/]\s*$")  # a word or a list broken off
PAIRS = (("(", ")"), ("[", "]"), ("（", "）"))


@dataclass
class PlanVocabulary:
    """What advice about one plan may mention: its names (one is required) and its facts."""

    names: AliasIndex
    sources: list[str]


def plan_vocabulary(plan: Plan, cur: Curriculum, catalog: Iterable[CatalogEntry]) -> PlanVocabulary:
    """Topic names and synonyms in both languages, track names, resource titles and names, the goal,
    projects and descriptions, and the plan's numbers."""
    ids = {t.id for w in plan.weeks for t in w.topics if t.id in cur.ids}
    topics = [cur.topic(t) for t in ids]
    tracks = [cur.track(p.track) for p in plan.phases]
    by_id = {e.id: e for e in catalog}
    entries = [by_id[r.id] for w in plan.weeks for r in w.resources if r.id in by_id]
    names = [a for t in topics for a in t.aliases()] + [n for tr in tracks for n in (tr.name.en, tr.name.zh)]
    names += [e.title for e in entries] + [n for e in entries for n in names_of(e)]
    sources = names + [x for t in topics for x in (t.description.en, t.description.zh)]
    sources += [p.get(lang) for t in topics for p in t.projects for lang in ("en", "zh")]
    sources += [plan.summary, *cur.goals[plan.goal].name.model_dump().values(), _numbers(plan)]
    return PlanVocabulary(names=AliasIndex({n: n for n in names}), sources=sources)


def _numbers(plan: Plan) -> str:
    values = {len(plan.weeks), plan.hours_per_week, plan.weeks_requested, len(plan.phases), len(plan.taught())}
    values |= {w.week for w in plan.weeks} | {round(t.hours) for w in plan.weeks for t in w.topics}
    return " ".join(str(v) for v in sorted(values))


def keep_supported(text: str, vocab: PlanVocabulary, kept_before: Iterable[str] = ()) -> str:
    """The sentences of ``text`` a learner may read ('' when none, or when the text loops)."""
    if not text.strip() or is_degenerate(text):
        return ""
    before, kept = list(kept_before), list[str]()
    for s in split_sentences(text):
        sentence = s.text.strip()
        names = [owner for owner, _, _ in vocab.names.find(sentence)]
        if (not names or not _well_formed(sentence, names) or FILLER.search(sentence)
                or missing_facts(sentence, vocab.sources) or is_degenerate("\n".join([*before, *kept, sentence]))):
            continue
        kept.append(sentence)
    joined = ("" if has_cjk(text) else " ").join(kept)
    return joined if len(joined) >= MIN_CHARS["zh" if has_cjk(joined) else "en"] else ""


def _well_formed(sentence: str, names: list[str]) -> bool:
    """A written sentence: no echoed prompt markup, nothing cut off, brackets closed, no name thrice."""
    balanced = all(sentence.count(a) == sentence.count(b) for a, b in PAIRS)
    return balanced and not ECHO.search(sentence) and not CUT.search(sentence) and \
        max(names.count(n) for n in names) < 3
