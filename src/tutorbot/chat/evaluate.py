"""Evaluation: retrieval hit@k / MRR on a JSONL question set (answers: ``answer_eval``).

A question is a hit at k when one of its top-k chunks contains every evidence string,
compared case-insensitively after whitespace normalisation (the dev set's definition).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

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
    question: str
    evidence: list[str] = []


Q = TypeVar("Q", bound=QA)


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
    for rank, h in enumerate(hits, 1):
        if contains_evidence(h.chunk.embed_text, evidence):
            return rank
    return None


def summarise(ranks: list[int | None]) -> dict:
    n = max(len(ranks), 1)
    return {"n": len(ranks), "hit@1": sum(1 for r in ranks if r == 1) / n,
            "hit@5": sum(1 for r in ranks if r and r <= 5) / n,
            "mrr": sum(1 / r for r in ranks if r) / n}


def eval_retrieval(retriever, qa: list[QA], k: int = 10, mode: str | None = None) -> dict:
    ranks: dict[str, list[int | None]] = {"all": []}
    times = []
    for q in qa:
        t = time.perf_counter()
        hits = retriever.search(q.question, k=k, mode=mode)
        times.append((time.perf_counter() - t) * 1000)
        r = first_hit_rank(hits, q.evidence)
        ranks["all"].append(r)
        ranks.setdefault(q.lang, []).append(r)
    out: dict[str, object] = {lang: summarise(rs) for lang, rs in ranks.items()}
    out["median_ms"] = statistics.median(times) if times else 0.0
    return out


def to_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2)
