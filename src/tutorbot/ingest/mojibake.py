"""Mojibake repair: UTF-8 text that a Windows code page mangled ("å¦‚æžœ" → "如果"), put back.

Stage 1 of ingestion (``corpus``) runs every file through ``repair_text``. Bytes that the code page
left undefined are lost on the way; candidate fillings are ranked by a lexicon (jieba's dictionary
plus the corpus's own words), so the repair picks real words. Text that was never mangled (CJK, or
Latin with accents) passes through unchanged. ftfy, tried instead, left about half the pairs broken.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Mapping
from types import MappingProxyType

log = logging.getLogger(__name__)

# Exporters that decode UTF-8 as cp1252/cp1254 drop the bytes those code pages leave
# undefined, and the soft hyphen (0xAD) is later stripped as invisible: these bytes are lost.
_LOST = bytes([0x81, 0x8D, 0x8E, 0x8F, 0x90, 0x9D, 0x9E, 0xAD])
_PUNCT = frozenset("、，。：；！？（）《》「」『』【】—…·“”‘’")


def _byte_table() -> Mapping[str, int]:
    """Character → byte for every code page an exporter may have used (latin-1 for C1 controls)."""
    table: dict[str, int] = {}
    for enc, b in itertools.product(("cp1252", "cp1254", "latin-1"), range(0x80, 0x100)):
        if ch := bytes([b]).decode(enc, "ignore"):
            table.setdefault(ch, b)
    return MappingProxyType(table)


_BYTE_OF = _byte_table()
_RUN = re.compile("[\x00-\x7f" + re.escape("".join(_BYTE_OF)) + "]+")


class Lexicon:
    """Word frequencies that pick between the characters a lost byte could have been."""

    def __init__(self, freq: Mapping[str, int]) -> None:
        self.freq = freq
        self.log_total = math.log(max(sum(freq.values()), 2))

    @classmethod
    def from_jieba(cls) -> Lexicon:
        """jieba's Chinese dictionary (a project dependency); empty if it is missing."""
        try:
            import jieba
        except ImportError:
            log.warning("jieba is not installed: lost mojibake bytes are guessed without a lexicon")
            return cls({})
        freq: dict[str, int] = {}
        with jieba.get_dict_file() as f:
            for line in f:
                word, count, *_ = line.decode("utf-8").split(" ")
                freq[word] = int(count)
        return cls(freq)

    def char_logp(self, c: str) -> float:
        if c in self.freq:
            return math.log(self.freq[c]) - self.log_total
        if c in _PUNCT or c.isascii():
            return math.log(1e5) - self.log_total
        if 0x1F300 <= ord(c) <= 0x1FAFF or 0x2600 <= ord(c) <= 0x27BF:  # emoji beat rare symbols
            return math.log(10) - self.log_total
        return -self.log_total

    def score(self, s: str) -> float:
        """Log-probability of ``s`` under its best word segmentation (unigram word model)."""
        best = [0.0] + [-math.inf] * len(s)
        for i in range(1, len(s) + 1):
            best[i] = best[i - 1] + self.char_logp(s[i - 1])
            for j in range(max(0, i - 4), i - 1):
                if f := self.freq.get(s[j:i]):
                    best[i] = max(best[i], best[j] + math.log(f) - self.log_total)
        return best[-1]


def _utf8_len(lead: int) -> int:
    return 2 if 0xC2 <= lead <= 0xDF else 3 if 0xE0 <= lead <= 0xEF else 4 if 0xF0 <= lead <= 0xF4 else 0


def _fill_lost(got: bytes, need: int) -> list[str]:
    """Every character ``got`` can become by re-inserting up to two lost bytes."""
    out: list[str] = []
    missing = need - len(got)
    for slots in itertools.combinations(range(1, need), missing):
        for fill in itertools.product(_LOST, repeat=missing):
            seq = bytearray(got)
            for pos, b in zip(slots, fill, strict=True):
                seq.insert(pos, b)
            try:
                ch = bytes(seq).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if ch not in out:
                out.append(ch)
    return out


def _decode_run(run: str) -> tuple[list[list[str]], int, int]:
    """Candidate characters per position of a run; counts of clean decodes and leftover bytes."""
    data = bytes(ord(c) if c.isascii() else _BYTE_OF[c] for c in run)
    slots: list[list[str]] = []
    clean = left = i = 0
    while i < len(data):
        need, j = _utf8_len(data[i]), i + 1
        while need and j < len(data) and j - i < need and 0x80 <= data[j] <= 0xBF:
            j += 1
        if need and j - i == need:
            try:
                slots.append([data[i:j].decode("utf-8")])
                clean, i = clean + 1, j
                continue
            except UnicodeDecodeError:
                pass
        elif need and need - (j - i) <= 2 and (options := _fill_lost(data[i:j], need)):
            slots.append(options)
            i = j
            continue
        slots.append([run[i]])
        left, i = left + (data[i] >= 0x80), i + 1
    return slots, clean, left


def _clusters(slots: list[list[str]]) -> list[list[int]]:
    """Ambiguous positions grouped when close enough to form one word together."""
    groups: list[list[int]] = []
    for i in (i for i, s in enumerate(slots) if len(s) > 1):
        if groups and i - groups[-1][-1] <= 2:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _choose(slots: list[list[str]], lexicon: Lexicon, beam: int = 8) -> str:
    """Resolve ambiguous positions cluster by cluster: beam search on the lexicon score."""
    text = [s[0] for s in slots]
    for group in _clusters(slots):
        lo, hi = max(0, group[0] - 4), min(len(text), group[-1] + 5)
        window = text[lo:hi]
        hyps: list[tuple[float, tuple[str, ...]]] = [(0.0, ())]
        for k, i in enumerate(group):
            stop = (group[k + 1] if k + 1 < len(group) else hi) - lo  # score only decided text
            scored = []
            for _, chosen in hyps:
                for c in slots[i]:
                    for pos, ch in zip(group, chosen + (c,), strict=False):
                        window[pos - lo] = ch
                    scored.append((lexicon.score("".join(window[:stop])), chosen + (c,)))
            hyps = sorted(scored, key=lambda h: -h[0])[:beam]
        for pos, ch in zip(group, hyps[0][1], strict=True):
            text[pos] = ch
    return "".join(text)


def repair_text(text: str, lexicon: Lexicon | None = None) -> str:
    """Undo UTF-8-read-as-cp1252/cp1254 mojibake, guessing bytes the export lost.

    Only runs of text that mostly decode as UTF-8 are repaired, so clean
    text (CJK, or Latin with accents) passes through unchanged.
    """
    def fix(m: re.Match[str]) -> str:
        run = m.group(0)
        if run.isascii():
            return run
        slots, clean, left = _decode_run(run)
        if not clean or left > 0.2 * sum(1 for c in run if not c.isascii()):
            return run
        nonlocal lexicon
        if lexicon is None and any(len(s) > 1 for s in slots):
            lexicon = Lexicon.from_jieba()
        return _choose(slots, lexicon or Lexicon({}))

    return _RUN.sub(fix, text)
