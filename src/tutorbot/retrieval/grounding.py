"""Grounding signals: does the question name things the corpus has never heard of?

Dense similarity and BM25 say how close the nearest passage is; they cannot tell "LoRA's
lora_alpha", "XGBoost" or "ONNX Runtime" from the LoRA, boosting or PyTorch the roadmaps do
cover — on-topic-sounding questions score like answerable ones. Names can: a name-shaped word
(mixed case, letters with digits, snake_case: XGBoost, ONNX, YOLO, v8, word2vec, lora_alpha) that
occurs nowhere in the index is something the corpus does not cover. So is a proper noun: a
capitalised word inside a sentence ("Milvus or Qdrant", "Whisper for Cantonese"), unless the question
the index writes it anywhere, links included (the roadmaps write "Lilian Weng" only in her URL), or
holds it in the other language (Pokémon → 宝可梦). Chat refuses a question whose unknown names
are at least as many as its known ones (``chat.scope.in_scope``), so "CS336 with Copilot?" (one
unknown, one known) is still answered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tutorbot.retrieval.tokenize import NAME_LIKE, STOP, WORD, fold

SNAKE = re.compile(r"\b[A-Za-z]+_[A-Za-z0-9_]+\b")
VERSION = re.compile(r"\b[A-Za-z][0-9]{1,2}\b")  # v5, v8, o1
CAPITALISED = re.compile(r"\b[A-Z][a-zà-ÿ]{2,}\b")
SENTENCE_START = ".?!:;\"'(（—-“‘「"


@dataclass(frozen=True)
class NameEvidence:
    known: list[str]
    unknown: list[str]


def question_names(question: str) -> list[str]:
    """Name-shaped words of a question, in order, without repeats (none starting with a digit)."""
    found = NAME_LIKE.findall(question) + SNAKE.findall(question) + VERSION.findall(question)
    return list(dict.fromkeys(n for n in found if not n[0].isdigit()))


def proper_nouns(question: str) -> list[str]:
    """Capitalised words inside a sentence (not its first word, nor one after a quote or a bracket)."""
    out = []
    for m in CAPITALISED.finditer(question):
        before = question[:m.start()].rstrip()
        if before and before[-1] not in SENTENCE_START and m.group().lower() not in STOP:
            out.append(m.group())
    return out


def name_evidence(question: str, vocab: set[str] | dict, stem: Callable[[str], str],
                  translate: Callable[[str], set[str]] = lambda w: set(), text: str = "") -> NameEvidence:
    """Which of the question's names the index holds (as a token, or inside one: PKU-DAIR). With the
    index's ``text`` (folded, links included), proper nouns it never writes count as unknown names too;
    one it writes, or holds translated, adds nothing (a capitalised word is often a plain word)."""
    joined = {w for w in WORD.findall(fold(question)) if w in vocab}
    known: list[str] = []
    unknown: list[str] = []
    names = question_names(question)
    for name in names:
        low = fold(name)
        inside = any(low in re.split(r"[-./_]", w) for w in joined)
        (known if low in vocab or stem(low) in vocab or inside else unknown).append(name)
    for noun in (w for w in proper_nouns(question) if text and w not in names):
        if fold(noun) not in text and not any(t in vocab for t in translate(fold(noun))):
            unknown.append(noun)
    return NameEvidence(known, unknown)
