"""Repeated error patterns per topic, and the review reasons they give.

Stage: attempt log (each wrong answer with its ``quiz.mistakes.Mistake``) → **patterns** → the
Progress tab, the review queue and the CLI. A pattern is one kind of mistake on one topic (with the
same confused topic or missing prerequisite); it counts once it has happened ``REPEATED`` times, and
its reason says it in the learner's language ("You confused X with Y twice"). Pure functions: the
caller passes the attempts and a topic namer. The learner package reads mistakes as plain dicts, so
it never imports the quiz package (quizzes write, the learner model reads).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

REPEATED = 2  # a mistake made twice is a pattern; once may be chance

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "confused_terms": "You confused {topic} with {other} {times}.",
        "wrong_concept": "You took {other} for {topic} {times}.",
        "wrong_concept_": "You picked another concept's answer in {topic} {times}.",
        "missing_prereq": "{n} misses in {topic} point to {prereq}, not mastered yet: review it first.",
        "careless": "{n} near-misses in {topic} (a typo, extra words): check the answer before sending.",
        "not_recalled": "{n} answers in {topic} not recalled: re-read its passages.",
        "twice": "twice", "times": "{n} times",
    },
    "zh": {
        "confused_terms": "你把{topic}和{other}混淆了{times}。",
        "wrong_concept": "你把{other}当成了{topic}{times}。",
        "wrong_concept_": "在{topic}中你选了其他概念的答案{times}。",
        "missing_prereq": "{topic}中有 {n} 次错误指向尚未掌握的前置主题{prereq}：请先复习它。",
        "careless": "{topic}中有 {n} 次差一点答对（笔误、多余的词）：提交前再看一眼答案。",
        "not_recalled": "{topic}中有 {n} 个答案没有想起来：重读相关段落。",
        "twice": "两次", "times": "{n} 次",
    },
}


class Pattern(BaseModel):
    """One repeated mistake on one topic."""

    topic: str
    kind: str
    other: str = ""
    prereq: str = ""
    count: int
    last: datetime


class PatternRow(BaseModel):
    """A pattern as shown: names in the learner's language and its review reason."""

    topic: str
    topic_id: str
    kind: str
    count: int
    reason: str
    prereq: str = ""


def patterns(attempts: Iterable[Any], at_least: int = REPEATED) -> list[Pattern]:
    """Patterns made at least ``at_least`` times, most frequent (then most recent) first."""
    found: dict[tuple[str, str, str, str], Pattern] = {}
    for a in attempts:
        m = a.mistake
        if a.correct or not isinstance(m, dict) or "kind" not in m:
            continue  # right answers, and wrong ones logged before patterns were kept
        key = (a.topic, str(m["kind"]), str(m.get("other", "")), str(m.get("prereq", "")))
        old = found.get(key)
        found[key] = Pattern(topic=key[0], kind=key[1], other=key[2], prereq=key[3], count=(old.count if old else 0)
                             + 1, last=max(a.created_at, old.last) if old else a.created_at)
    kept = [p for p in found.values() if p.count >= at_least]
    return sorted(kept, key=lambda p: (-p.count, -p.last.timestamp(), p.topic, p.kind))


def reason(p: Pattern, name: Callable[[str], str], lang: str) -> str:
    """Why this pattern calls for a review, in ``lang`` (en, zh)."""
    words = WORDS["zh" if lang == "zh" else "en"]
    times = words["twice"] if p.count == 2 else words["times"].format(n=p.count)
    key = "wrong_concept_" if p.kind == "wrong_concept" and not p.other else p.kind
    template = words.get(key, words["not_recalled"])
    other, prereq = (name(t) if t else "" for t in (p.other, p.prereq))
    return template.format(topic=name(p.topic), other=other, prereq=prereq, n=p.count, times=times)


def rows(found: Iterable[Pattern], name: Callable[[str], str], lang: str) -> list[PatternRow]:
    return [PatternRow(topic=name(p.topic), topic_id=p.topic, kind=p.kind, count=p.count, reason=reason(p, name, lang),
                       prereq=p.prereq) for p in found]


def weak_prereqs(found: Iterable[Pattern], mastered: set[str]) -> dict[str, list[str]]:
    """Prerequisites that repeated mistakes blame and the learner has not mastered (most blamed first), each
    with the topics whose mistakes point to it."""
    out: dict[str, list[str]] = {}
    for p in found:
        if p.prereq and p.prereq not in mastered and p.topic not in out.setdefault(p.prereq, []):
            out[p.prereq].append(p.topic)
    return out
