"""Evaluation: retrieval hit@k / MRR on a JSONL question set (answers: ``answer_eval``).

A question is a hit at k when its top-k chunks contain every evidence string, compared
case-insensitively after whitespace normalisation: one chunk for a single string (the dev set's
definition); a linked page's two facts may sit in two neighbouring chunks, and then both must be
in the top k.
Questions without evidence (``not-covered``) have no right chunk: they count only for grounding.
``split`` cuts a question set into a tuning half and a held-out half, the same on every run.
"""

from __future__ import annotations

import hashlib
import json
import re
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from tutorbot.errors import InputError
from tutorbot.schemas import Hit

OFF_TOPIC = [
    "How do I bake sourdough bread at home?", "Who won the 2018 football World Cup?",
    "What is a good marathon training schedule?", "红烧肉怎么做才好吃？", "明天北京天气怎么样？",
    "How do I change a flat tyre on a bicycle?", "推荐几部好看的爱情电影", "What are the rules of cricket?",
    "What's the best way to learn to play guitar?", "How much does a flight to Tokyo cost?", "如何种植番茄？",
    "Who is the president of France?", "怎么减肥最快？", "How do I fix a leaking kitchen tap?",
    "What is the capital of Australia?", "推荐一款好用的手机", "How do I knit a scarf?",
    "What is the best diet for training a dog?", "How do I model a house in Blender?",
    "What language do they speak in Brazil?",
]


class QA(BaseModel):
    id: str = ""
    lang: str = "en"
    kind: str = Field("", description="lookup-cross, lookup-zh, advice, linked, not-covered; empty = unlabelled.")
    question: str
    evidence: list[str] = []


HALVES = ("tune", "heldout", "all")
Q = TypeVar("Q", bound=QA)


def split(qa: list[Q], half: str) -> list[Q]:
    """The tuning or the held-out half, stratified by kind and language: within each (kind, lang)
    group, questions ordered by a hash of their id alternate between the halves."""
    if half not in HALVES:
        raise InputError(f"unknown half {half!r}: use one of {', '.join(HALVES)}")
    if half == "all":
        return list(qa)
    groups: dict[tuple[str, str], list[Q]] = defaultdict(list)
    for q in qa:
        groups[(q.kind, q.lang)].append(q)
    start = 0 if half == "tune" else 1
    chosen = {id(q) for g in groups.values() for q in sorted(g, key=_id_hash)[start::2]}
    return [q for q in qa if id(q) in chosen]


def _id_hash(q: QA) -> str:
    return hashlib.sha256((q.id or q.question).encode()).hexdigest()


def load_qa(path: Path, model: type[Q] = QA) -> list[Q]:  # type: ignore[assignment]
    rows = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(model.model_validate_json(line))
            except ValueError as exc:
                raise InputError(f"{path}:{i}: not a valid QA line ({exc.__class__.__name__})") from None
    if not rows:
        raise InputError(f"{path}: no questions found")
    return rows


def _norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip().lower()


def contains_evidence(text: str, evidence: list[str]) -> bool:
    t = _norm(text)
    return all(_norm(e) in t for e in evidence)


def first_hit_rank(hits: list[Hit], evidence: list[str]) -> int | None:
    """The rank from which the hits hold every evidence string (all in one chunk, or spread)."""
    missing = list(evidence)
    for rank, h in enumerate(hits, 1):
        if contains_evidence(h.chunk.embed_text, evidence):
            return rank
        missing = [e for e in missing if not contains_evidence(h.chunk.embed_text, [e])]
        if not missing:
            return rank
    return None


def summarise(ranks: list[int | None]) -> dict:
    n = max(len(ranks), 1)
    return {"n": len(ranks), "hit@1": sum(1 for r in ranks if r == 1) / n,
            "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
            "mrr": sum(1 / r for r in ranks if r) / n}


def eval_retrieval(retriever, qa: list[QA], k: int = 10, mode: str | None = None) -> dict:
    """Metrics for ``all``, each language, each kind and each ``kind/lang``; questions without
    evidence are left out. ``median_ms`` is the search time."""
    ranks: dict[str, list[int | None]] = {"all": []}
    times = []
    for q in (q for q in qa if q.evidence):
        t = time.perf_counter()
        hits = retriever.search(q.question, k=k, mode=mode)
        times.append((time.perf_counter() - t) * 1000)
        r = first_hit_rank(hits, q.evidence)
        for group in ("all", q.lang, *((q.kind, f"{q.kind}/{q.lang}") if q.kind else ())):
            ranks.setdefault(group, []).append(r)
    out: dict[str, object] = {group: summarise(rs) for group, rs in ranks.items()}
    out["median_ms"] = statistics.median(times) if times else 0.0
    return out


def eval_grounding(chat, qa: list[QA], off_topic: list[str] = OFF_TOPIC) -> dict:
    """How often chat answers vs. says "not covered": ``not_covered_refused`` over the questions
    without evidence (on-topic-sounding, unanswerable), ``answerable_refused`` over the others,
    ``off_topic_refused`` over ``off_topic``; the ids behind each miss."""
    unanswerable = [q for q in qa if not q.evidence]
    answerable = [q for q in qa if q.evidence]
    wrongly_answered = [q.id for q in unanswerable if chat.covers(q.question)]
    wrongly_refused = [q.id for q in answerable if not chat.covers(q.question)]
    off = [q for q in off_topic if chat.covers(q)]
    return {"not_covered_refused": 1 - len(wrongly_answered) / max(len(unanswerable), 1),
            "answerable_refused": len(wrongly_refused) / max(len(answerable), 1),
            "off_topic_refused": 1 - len(off) / max(len(off_topic), 1), "n_not_covered": len(unanswerable),
            "n_answerable": len(answerable), "answered_not_covered": wrongly_answered,
            "refused_answerable": wrongly_refused, "answered_off_topic": off}


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)
