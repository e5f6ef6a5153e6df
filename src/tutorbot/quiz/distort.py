"""False versions of true statements, for true/false questions that test understanding.

Stage: statements → **distortion** → concept true/false questions. Two mechanisms, both general
to the language rather than to a passage: swap the two things a comparison compares ("ODE solvers
need fewer steps than SDE solvers" → "SDE solvers … than ODE solvers"), or turn one comparative or
directional word into its opposite ("reduces" → "increases", "更快" → "更慢"). The distorted
sentence contradicts the passage, which states the original.
"""

from __future__ import annotations

import re

from tutorbot.quiz.statements import Statement
from tutorbot.quiz.vocabulary import match_case, same_term

EN_OPPOSITES = {
    "more": "less", "less": "more", "fewer": "more", "faster": "slower", "slower": "faster",
    "higher": "lower", "lower": "higher", "larger": "smaller", "smaller": "larger", "better": "worse",
    "worse": "better", "increases": "decreases", "decreases": "increases", "increase": "decrease",
    "decrease": "increase", "reduces": "increases", "reduce": "increase", "improves": "degrades",
    "improve": "degrade", "before": "after", "after": "before", "same": "different", "different": "same",
    "deterministic": "stochastic", "deterministically": "stochastically", "stochastic": "deterministic",
    "easier": "harder", "harder": "easier", "cheaper": "costlier", "shorter": "longer", "longer": "shorter",
    "stable": "unstable", "efficient": "inefficient", "parallel": "sequential", "sequential": "parallel",
}
ZH_OPPOSITES = {
    "更快": "更慢", "更慢": "更快", "增加": "减少", "减少": "增加", "提高": "降低", "降低": "提高", "提升": "降低",
    "加快": "减慢", "更多": "更少", "更少": "更多", "更大": "更小", "更小": "更大", "更高": "更低", "更低": "更高",
    "之前": "之后", "之后": "之前", "相同": "不同", "优于": "劣于", "容易": "困难", "确定性": "随机性", "并行": "串行",
}
EN_WORD = re.compile(r"\b(" + "|".join(EN_OPPOSITES) + r")\b", re.I)
ZH_WORD = re.compile("|".join(sorted(ZH_OPPOSITES, key=len, reverse=True)))


def swap_compared(s: Statement) -> str | None:
    """A comparison with its two compared terms exchanged (they must name different things)."""
    if s.cue != "comparison":
        return None
    pairs = [(a, b) for a in s.mentions for b in s.mentions if a.end <= s.cue_at < b.start
             and a.topic != b.topic and not same_term(a.term, b.term)]
    if not pairs:
        return None
    a, b = pairs[0]
    t = s.text
    return t[:a.start] + match_case(b.term, a.term) + t[a.end:b.start] + match_case(a.term, b.term) + t[b.end:]


def flip_word(s: Statement) -> str | None:
    """The sentence with its first comparative or directional word (outside a term: "pipeline parallel"
    stays) turned into its opposite."""
    inside = [(x.start, x.end) for x in s.mentions]
    words = ZH_WORD if s.language == "zh" else EN_WORD
    m = next((m for m in words.finditer(s.text) if not any(a < m.end() and m.start() < b for a, b in inside)), None)
    if m is None:
        return None
    if s.language == "zh":
        return s.text[:m.start()] + ZH_OPPOSITES[m.group()] + s.text[m.end():]
    word = EN_OPPOSITES[m.group().lower()]
    word = word.capitalize() if m.group()[0].isupper() else word
    return s.text[:m.start()] + word + s.text[m.end():]


def distort(s: Statement) -> str | None:
    """A false version of the statement, or None when neither mechanism applies."""
    return swap_compared(s) or flip_word(s)
