"""What was understood from a learner's text, field by field, and the learner's corrections to it.

Stage: profile (+ refine) → **understood** → the learner checks and corrects → planner. The CLI prints
these rows and takes ``--known/--learn/--goal/--area/--weeks/--hours``; the Plan tab fills its form
from the same draft. A corrected field is marked as the learner's, so it is never re-guessed.
"""

from __future__ import annotations

from pydantic import BaseModel, ValidationError

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.errors import InputError
from tutorbot.lang import Language
from tutorbot.plans.models import FieldSource, ProfileDraft

FIELDS = ["language", "hours_per_week", "weeks", "goal", "area", "depth", "known", "learn", "preferred_kinds",
          "not_covered"]
LISTS = {"known", "learn", "preferred_kinds", "not_covered"}
DEPTH = {"en": {"full": "hands-on", "overview": "overview (concepts only)"},
         "zh": {"full": "完整（动手实践）", "overview": "概览（只学概念）"}}


class UnderstoodField(BaseModel):
    field: str
    value: str
    source: FieldSource
    evidence: str = ""


def understood(draft: ProfileDraft, cur: Curriculum, lang: Language) -> list[UnderstoodField]:
    """One row per profile field: the value the plan will use, where it came from and the words it came from."""
    profile = draft.to_profile()
    rows = []
    for name in FIELDS:
        if name in LISTS:
            items = getattr(profile, name)
            keys = [f"{name}:{i}" for i in items]
            sources = {draft.source_of(k) for k in keys}
            sources.add(draft.source_of(name))
            source: FieldSource = "learner" if "learner" in sources else "llm" if "llm" in sources else \
                "parser" if items else "default"
            evidence = "; ".join(dict.fromkeys(draft.evidence[k] for k in keys if k in draft.evidence))
        else:
            source, evidence = draft.source_of(name), draft.evidence.get(name, "")
        rows.append(UnderstoodField(field=name, value=show(name, getattr(profile, name), cur, lang),
                                    source=source, evidence=evidence))
    return rows


def show(field: str, value: object, cur: Curriculum, lang: Language) -> str:
    """A field's value as a learner reads it: topic and goal names, not ids."""
    if field in ("known", "learn"):
        return ", ".join(cur.name_of(t, lang) for t in value) or "-"  # type: ignore[attr-defined]
    if field == "not_covered":
        names = {u.id: u.name.get(lang) for u in cur.uncovered}
        return ", ".join(names.get(u, u) for u in value) or "-"  # type: ignore[attr-defined]
    if field == "goal":
        return cur.goals[Goal(str(value))].name.get(lang)
    if field == "depth":
        return DEPTH[lang][str(value)]
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    return "-" if value is None else str(value)


def override(draft: ProfileDraft, cur: Curriculum, **changes: object) -> ProfileDraft:
    """``draft`` with the learner's corrections (None = keep); topics by id or name, in either language."""
    out = draft.model_copy(deep=True)
    for name, value in changes.items():
        if value is None:
            continue
        if name in ("known", "learn"):
            value = [_topic_id(v, cur) for v in value]  # type: ignore[attr-defined]
            for k in [k for k in out.sources if k.startswith(f"{name}:")]:
                del out.sources[k]
            out.sources |= {f"{name}:{t}": "learner" for t in value}
        elif name == "goal":
            value = _goal(str(value))
        setattr(out, name, value)
        out.sources[name] = "learner"
    try:
        out.to_profile()  # a bad correction fails here, naming the field
    except ValidationError as exc:
        e = exc.errors()[0]
        raise InputError(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}") from None
    return out


def _topic_id(text: str, cur: Curriculum) -> str:
    if (topic := cur.match(text)) is None:
        raise InputError(f"unknown topic {text!r}: use a topic id or name from corpus/curriculum.yaml, "
                         f"such as {cur.ids[0]!r}")
    return topic.id


def _goal(text: str) -> Goal:
    try:
        return Goal(text.strip())
    except ValueError:
        raise InputError(f"unknown goal {text!r}: choose one of {', '.join(g.value for g in Goal)}") from None
