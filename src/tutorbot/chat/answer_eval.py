"""Answer evaluation: does the answer state the right facts? Truth, not form.

A question row may carry ``keys``: groups of alternative strings (either language); an answer is
correct when it contains one alternative of every group. Rows of kind ``not-covered`` must be
refused. Reported per kind and per language: correct, refused, degenerate (any repeated line,
sentence or 8-gram), sentences the gate dropped, citations valid (every ``[n]`` points at a source
given), the share of answers with model-written text, and the times to the first shown text and to done.
"""

from __future__ import annotations

import html
import re
import statistics
import time
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field

from tutorbot.chat.evaluate import QA
from tutorbot.schemas import Answer
from tutorbot.urls import unescape_md
from tutorbot.verify.loops import is_degenerate

CITE = re.compile(r"\[(\d{1,3})\]")


class KeyedQA(QA):
    kind: str = ""
    keys: list[list[str]] = Field(default_factory=list)


class Outcome(BaseModel):
    id: str
    kind: str
    lang: str
    correct: bool
    refused: bool
    degenerate: bool
    dropped: int
    citations_valid: bool
    model_text: bool
    first_text_s: float | None
    done_s: float
    missing: list[list[str]] = Field(default_factory=list)


def correct(text: str, keys: list[list[str]]) -> tuple[bool, list[list[str]]]:
    """Whether ``text`` holds one alternative of every key group (case-insensitive); the groups it misses."""
    flat = text.lower()
    missing = [g for g in keys if not any(k.lower() in flat for k in g)]
    return not missing, missing


def shown_text(answer: Answer) -> str:
    """The answer as a learner reads it: markdown escapes and entities rendered (a quoted "0\\.1" reads
    "0.1"), and without its error notice, which states no fact (a server's 127.0.0.1 is no "0.1")."""
    text = answer.answer.replace(answer.error, "") if answer.error else answer.answer
    return html.unescape(unescape_md(text))


def citations_valid(answer: Answer) -> bool:
    given = {c.n for c in answer.citations}
    return all(int(n) in given for n in CITE.findall(answer.answer))


def judge(q: KeyedQA, answer: Answer, first_s: float | None, done_s: float) -> Outcome:
    ok, missing = correct(shown_text(answer), q.keys)
    refused = not answer.grounded
    right = refused if q.kind == "not-covered" else ok and not refused
    return Outcome(id=q.id, kind=q.kind, lang=q.lang, correct=right,
                   refused=refused, degenerate=is_degenerate(answer.answer), dropped=answer.gate.dropped,
                   citations_valid=citations_valid(answer), model_text=any(p.origin == "model" for p in answer.parts),
                   first_text_s=first_s, done_s=done_s, missing=[] if q.kind == "not-covered" else missing)


def timed(chat: Any, question: str) -> tuple[Answer, float | None, float]:
    """The final answer, seconds to its first shown text and seconds to done."""
    t, first, answer = time.perf_counter(), None, None
    for ev in chat.ask_stream(question):
        if ev.kind == "delta" and ev.text.strip() and first is None:
            first = time.perf_counter() - t
        answer = ev.answer or answer
    assert answer is not None
    return answer, first, time.perf_counter() - t


def evaluate(chat: Any, questions: Iterable[KeyedQA]) -> list[Outcome]:
    return [judge(q, *timed(chat, q.question)) for q in questions]


def summary(outcomes: list[Outcome]) -> dict[str, dict[str, Any]]:
    """Per (kind, language), per language and overall."""
    groups: dict[str, list[Outcome]] = {"all": outcomes}
    for o in outcomes:
        groups.setdefault(f"{o.kind}/{o.lang}", []).append(o)
        groups.setdefault(f"lang:{o.lang}", []).append(o)
    return {name: _row(rows) for name, rows in sorted(groups.items())}


def _row(rows: list[Outcome]) -> dict[str, Any]:
    firsts = [o.first_text_s for o in rows if o.first_text_s is not None]
    return {"n": len(rows), "correct": _share(o.correct for o in rows),
            "degenerate": sum(o.degenerate for o in rows), "dropped": sum(o.dropped for o in rows),
            "citations_valid": _share(o.citations_valid for o in rows),
            "model_text": _share(o.model_text for o in rows),
            "first_text_p50_s": round(statistics.median(firsts), 2) if firsts else None,
            "done_p50_s": round(statistics.median(o.done_s for o in rows), 2)}


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 3) if values else 0.0
