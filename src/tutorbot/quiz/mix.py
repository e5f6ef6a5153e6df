"""The mix of a quiz: how hard each question is, which type asks it, how much may be about the roadmaps.

Stage: learner mastery + requested types → **slots** → assembler. A learner new to a topic mostly
recalls (cloze, stated facts), one who knows it a little mostly shows understanding (which term,
which property, a distorted claim), and one who knows it well mostly applies it (explain, which
technique solves it). Each level has the question types that can ask it; the slots rotate through
them so a quiz of five is not five blanks. At most ``roadmap_share`` of a quiz (one in five) asks
about the roadmaps themselves.
"""

from __future__ import annotations

from tutorbot.quiz.models import Level, QType

# Mastery bands (upper bound, levels in rotation): weighted towards the level that fits the learner.
BANDS: tuple[tuple[float, tuple[Level, ...]], ...] = (
    (0.4, ("recall", "understanding", "recall", "application", "recall")),
    (0.75, ("understanding", "recall", "understanding", "application", "understanding")),
    (1.01, ("application", "understanding", "application", "recall", "application")),
)
TYPES_FOR: dict[Level, tuple[QType, ...]] = {
    "recall": ("blank", "tf", "mcq"),
    "understanding": ("mcq", "tf", "short"),
    "application": ("short", "mcq"),
}
Slot = tuple[QType, Level]


def levels_for(mastery: float | None, n: int) -> list[Level]:
    """The level of each of ``n`` questions for a learner with this mastery (None: never quizzed)."""
    score = 0.0 if mastery is None else mastery
    cycle = next(levels for top, levels in BANDS if score < top)
    return [cycle[i % len(cycle)] for i in range(n)]


def slots(levels: list[Level], types: list[QType]) -> list[Slot]:
    """(type, level) per question: a type that can ask the level, rotating so types vary."""
    out: list[Slot] = []
    for i, level in enumerate(levels):
        fit = [t for t in TYPES_FOR[level] if t in types] or list(types)
        out.append((fit[i % len(fit)], level))
    return out


def roadmap_cap(n: int, share: float) -> int:
    """How many of ``n`` questions may be about the roadmaps: one in five at the default share."""
    return int(n * share + 1e-9)
