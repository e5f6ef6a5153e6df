"""Key terms of an explaining sentence: what a short answer must mention to be about the concept.

Stage: statements → **key terms** → short-answer rubric → grading. The key terms are the other
concept terms the sentence names, then its rarest content words (English words; Chinese phrases
between function words), in sentence order, never the term the question asks about. Rarity is
measured over all explanatory sentences of the corpus, so common words ("model", "模型") rank last.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

from tutorbot.lang import CJK_CHARS
from tutorbot.quiz.match import STOP, fold, terms
from tutorbot.quiz.statements import Statement
from tutorbot.quiz.vocabulary import same_term, stem

EN_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{2,}")
# Chinese function words and punctuation cut a sentence into content phrases.
ZH_CUT = re.compile(f"[^{CJK_CHARS}A-Za-z0-9]+|的|了|和|是|在|与|及|或|来|将|把|被|对|从|到|为|而|并|也|都|就|可以|"
                    f"能够|通过|使得|一个|一种|这个|这些|其|之|中|上|下|时")
MORE_STOP = set("than then into also such with without these those their there which while where when only each "
                "more most very much many some other using used uses based both between about over same can could "
                "would should may might will has have had been being does did done make makes made like just "
                "key fact brief summary necessary possible common able given general simple certain various way "
                "ways thing things part parts kind type types example instance case cases number lot first second "
                "new well also one two three still even further".split())


class Rarity:
    """Inverse document frequency of words and CJK bigrams over a set of sentences."""

    def __init__(self, sentences: Iterable[str]):
        docs = [terms(s) for s in sentences]
        self.n = max(len(docs), 1)
        self.df = Counter(t for d in docs for t in d)

    def of(self, phrase: str) -> float:
        grams = terms(phrase)
        return max((math.log(self.n / (1 + self.df.get(g, 0))) for g in grams), default=0.0)


def candidates(s: Statement) -> list[tuple[int, str]]:
    """(position, phrase) of every content phrase of the sentence: runs of up to three content words
    in English ("score function", "low density regions"), phrases between function words in Chinese."""
    if s.language == "zh":
        return _zh_phrases(s.text)
    out: list[tuple[int, str]] = []
    for m in EN_WORD.finditer(s.text):
        word = m.group()
        if word.lower() in STOP | MORE_STOP or word.lower().endswith("ly"):
            continue
        last = out[-1] if out else None
        if last and s.text[last[0] + len(last[1]):m.start()] == " " and len(last[1].split()) < 3:
            out[-1] = (last[0], f"{last[1]} {word}")
        else:
            out.append((m.start(), word))
    return out


def _zh_phrases(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for cut in [*ZH_CUT.finditer(text), None]:
        end = cut.start() if cut else len(text)
        piece = text[start:end].strip()
        if 2 <= len(piece) <= 8:
            out.append((start, piece))
        start = cut.end() if cut else end
    return out


def key_terms(s: Statement, rarity: Rarity, k: int = 3) -> list[str]:
    """Up to ``k`` key terms of ``s`` in sentence order, the question's own term left out."""
    assert s.focus is not None
    focus = s.focus.term
    own = {stem(w) for w in fold(focus).split()}
    named = [(m.start, m.term) for m in s.mentions if not same_term(m.term, focus) and fold(m.term) != fold(focus)]
    words = [(at, w) for at, w in candidates(s) if stem(fold(w)) not in own and not _inside(at, s)]
    words.sort(key=lambda p: -rarity.of(p[1]))
    picked = (named + words)[:k]
    return list(dict.fromkeys(w for _, w in sorted(picked)))


def _inside(at: int, s: Statement) -> bool:
    return any(m.start <= at < m.end for m in s.mentions)
