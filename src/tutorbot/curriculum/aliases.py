"""Finding names in free text: topic, track, goal and resource names, in English and Chinese.

Stage: curriculum (and catalog) → **aliases** → profile parser, coverage check, guidance check.
Longest name wins; ASCII names need word edges and may be plural ("CNNs", "transformers").
"""

from __future__ import annotations

import difflib
import re

ASCII_WORD = re.compile(r"[a-z0-9]")


def alias_key(text: str) -> str:
    """Loose form for exact alias comparison: case, spaces, hyphens and underscores ignored."""
    return re.sub(r"[\s\-_]+", " ", text.casefold()).strip()


class AliasIndex:
    """Finds names (aliases) of things in free text; longest alias wins, ASCII aliases need word edges."""

    def __init__(self, aliases: dict[str, str]):
        self.by_key = {alias_key(a): owner for a, owner in aliases.items() if alias_key(a)}
        parts = [self._pattern(a) for a in sorted(self.by_key, key=len, reverse=True)]
        self.regex = re.compile("|".join(parts)) if parts else None

    @staticmethod
    def _pattern(key: str) -> str:
        body = r"[\s\-_]*".join(re.escape(w) for w in key.split(" "))
        # English names may be plural in learner text ("CNNs", "transformers").
        head = r"(?<![a-z0-9])" if ASCII_WORD.match(key[0]) else ""
        tail = r"(?:e?s)?(?![a-z0-9])" if ASCII_WORD.match(key[-1]) else ""
        return head + body + tail

    def exact(self, text: str) -> str | None:
        return self.by_key.get(alias_key(text))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(owner, start, end) of every non-overlapping alias mention, in text order."""
        if self.regex is None:
            return []
        found = []
        for m in self.regex.finditer(text.casefold()):
            key = alias_key(m.group(0))
            owner = self.by_key.get(key) or self.by_key.get(re.sub(r"e?s$", "", key))
            if owner:
                found.append((owner, m.start(), m.end()))
        return found

    def close(self, text: str, cutoff: float = 0.8) -> str | None:
        hit = difflib.get_close_matches(alias_key(text), list(self.by_key), n=1, cutoff=cutoff)
        return self.by_key[hit[0]] if hit else None
