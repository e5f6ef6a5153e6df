"""Grounding signals: does the question name things the corpus has never heard of?

Dense similarity and BM25 say how close the nearest passage is; they cannot tell "LoRA's
lora_alpha", "XGBoost" or "ONNX Runtime" from the LoRA, boosting or PyTorch the roadmaps do
cover — on-topic-sounding questions score like answerable ones. Names can: a name-shaped word
(mixed case, letters with digits, snake_case: XGBoost, ONNX, YOLO, v8, word2vec, lora_alpha) that
occurs nowhere in the index is something the corpus does not cover. Chat refuses a question whose
unknown names are at least as many as its known ones (``chat.service.in_scope``), so "CS336 with
Copilot?" (one unknown, one known) is still answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tutorbot.retrieval.tokenize import NAME_LIKE, WORD, fold

SNAKE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")
VERSION = re.compile(r"\b[A-Za-z][0-9]{1,2}\b")  # v5, v8, o1


@dataclass(frozen=True)
class NameEvidence:
    known: list[str]
    unknown: list[str]


def question_names(question: str) -> list[str]:
    """Name-shaped words of a question, in order, without repeats (none starting with a digit)."""
    found = NAME_LIKE.findall(question) + SNAKE.findall(question) + VERSION.findall(question)
    return list(dict.fromkeys(n for n in found if not n[0].isdigit()))


def name_evidence(question: str, vocab: set[str] | dict, stem: Callable[[str], str]) -> NameEvidence:
    """Which of the question's names the index holds (as a token, or inside one: PKU-DAIR)."""
    joined = {w for w in WORD.findall(fold(question)) if w in vocab}
    known: list[str] = []
    unknown: list[str] = []
    for name in question_names(question):
        low = fold(name)
        inside = any(low in re.split(r"[-./_]", w) for w in joined)
        (known if low in vocab or stem(low) in vocab or inside else unknown).append(name)
    return NameEvidence(known, unknown)
