"""Facts in a sentence: the words a learner would act on, and that a model most often invents.

Course codes (CS336, 6.S898), names of models, papers and tools (nanoGPT, GPT-4, FlashAttention,
RLHF), people and places written with capitals mid-sentence (Andrej Karpathy, Stanford), numbers and
durations (3 weeks, 6个月), quoted titles (“…”, 《…》) and URLs. A sentence may only state a fact that
its sources (or the learner's own question) state too: ``missing_facts`` names the ones they do not.
Matching ignores case, width, spaces and hyphens, so "CS 336" is "cs336" and "ＧＰＴ" is "gpt".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

URL = re.compile(r"https?://[^\s)\]>\"'，。]+")
COURSE = re.compile(r"\b(?:[A-Z]{2,6}\s?-?\d{2,4}[A-Za-z]?|\d{1,2}\.[A-Z]?\d{2,4})\b", re.A)
MIXED = re.compile(r"\b[A-Za-z]+[-.]?\d+(?:\.\d+)*[A-Za-z]*\b|\b\d+[A-Za-z]+\b", re.A)  # GPT-4, int8, T5, 7B
INNER_CAPS = re.compile(r"\b[a-z]+[A-Z][A-Za-z]*\b|\b[A-Z][a-z]+[A-Z][A-Za-z]*\b", re.A)  # nanoGPT, DeepSeek
ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b", re.A)  # RLHF, MoE is caught by INNER_CAPS
CAPITALISED = re.compile(r"(?<![.!?。！？]\s)(?<!^)\b[A-Z][a-z]{2,}(?:\s+[A-Z][a-z]+)*\b", re.A)
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w.])", re.A)
QUOTED = re.compile(r"[“\"「『《]([^”\"」』》\n]{2,80})[”\"」』》]")
CITATION = re.compile(r"\[\d{1,3}\]")
# Words a sentence may capitalise without naming anything (English prose, lead-ins, labels).
COMMON = frozenset("""
I The This That These Those It Its They Their There Then Than When While What Which Who Why How Where
If And But Or So Also Both Each Every For From In On At To Of With Without By As An A Be Is Are Was Were
Yes No Not Note See Start First Second Third Next Finally After Before Learn Read Watch Study Try Use Begin
English Chinese Monday Week Weeks Stage Step Part Chapter Section Topic Course Paper Book Video Blog
""".split())
# Acronyms of the field itself, not names of anything a model could invent.
GENERAL_ACRONYMS = frozenset("AI ML DL LLM NLP CV GPU CPU TPU API SDK URL PDF FAQ OK".split())


def normalise(text: str) -> str:
    """Case-, width-, space- and hyphen-insensitive form for comparing facts."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\-_·•]+", "", text)


def facts(sentence: str) -> list[str]:
    """The facts a sentence states, in order of appearance, each once."""
    text = CITATION.sub(" ", sentence)
    found: list[tuple[int, str]] = []
    for pattern in (URL, COURSE, MIXED, INNER_CAPS, ACRONYM, NUMBER):
        found += [(m.start(), m.group()) for m in pattern.finditer(text)]
    found += [(m.start(1), m.group(1).strip()) for m in QUOTED.finditer(text)]
    found += [(m.start(), m.group()) for m in CAPITALISED.finditer(text) if not _common(m.group())]
    return list(dict.fromkeys(f for _, f in sorted(found) if normalise(f) and not _general(f)))


def _general(fact: str) -> bool:
    return fact.rstrip("s") in GENERAL_ACRONYMS


def _common(phrase: str) -> bool:
    return all(word in COMMON for word in phrase.split())


def missing_facts(sentence: str, sources: Iterable[str]) -> list[str]:
    """The facts of ``sentence`` that none of ``sources`` states (empty: every fact is supported)."""
    haystack = normalise(" ".join(sources))
    return [f for f in facts(sentence) if not _stated(f, haystack)]


def _stated(fact: str, haystack: str) -> bool:
    key = normalise(fact)
    if key.isdigit():  # "3" is not stated by "CS336": numbers match whole
        return re.search(rf"(?<![0-9]){key}(?![0-9])", haystack) is not None
    if key in haystack or (key.endswith("s") and key[:-1] in haystack):  # "Transformers", "LLMs"
        return True
    # "Andrej Karpathy" is supported by "Karpathy": every capitalised word of a name counts alone
    words = [normalise(w) for w in fact.split() if len(w) > 2]
    return len(words) > 1 and all(w in haystack for w in words)
