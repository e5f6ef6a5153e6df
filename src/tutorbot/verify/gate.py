"""The truth gate on a stream: model text in, verified sentences out, each with its citation.

Sentences are held back until they are complete and checked (``SupportChecker``); a supported one is
released with the number of the source that supports it, an unsupported one is dropped and counted.
A loop (``LoopGuard``) ends the stream: the text before it is all that is ever considered. The gate
also tells the caller when to give up on the model (it loops, or its first sentences all fail), so
the request can be cancelled and the learner gets a composed answer without waiting for the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutorbot.lang import language_matches
from tutorbot.retrieval.sentences import MARKER, split_sentences
from tutorbot.schemas import GateReport
from tutorbot.verify.loops import LoopGuard
from tutorbot.verify.support import CITATION, SupportChecker, Verdict, clean

TRAILING_PUNCT = re.compile(r"([\s.!?。！？；;:：…]*)$")


@dataclass
class StreamGate:
    checker: SupportChecker
    language: str = ""  # the learner's: a sentence in another language is dropped
    questions: bool = False  # Socratic mode: guiding questions pass on the fact and topic checks
    max_rejects: int = 2  # with nothing kept yet, this many failed sentences end the model's turn
    guard: LoopGuard = field(default_factory=LoopGuard)
    report: GateReport = field(default_factory=GateReport)
    verdicts: list[Verdict] = field(default_factory=list)
    _done: int = 0  # offset into the guarded text up to which sentences were decided
    _last_end: int = 0  # where the last kept sentence ended (a new line since then starts a new line)

    def feed(self, delta: str) -> list[str]:
        """Verified text to show now (complete, supported sentences with their citations)."""
        if self.guard.feed(delta) is not None:
            self.report.looped = True
            return self._decide(final=True)
        return self._decide(final=False)

    def finish(self) -> list[str]:
        """The stream ended: decide the last sentence too."""
        return self._decide(final=True)

    @property
    def should_stop(self) -> bool:
        failing = self.report.kept == 0 and self.report.dropped >= self.max_rejects
        return self.report.looped or failing

    def _decide(self, final: bool) -> list[str]:
        text = self.guard.kept if self.report.looped else self.guard.text
        sentences = split_sentences(text[self._done:])
        ready = sentences if final else sentences[:-1]  # the last one may still be growing
        out = [seg for s in ready if (seg := self._one(text, self._done + s.start, self._done + s.end))]
        if ready:
            self._done += ready[-1].end
        return out

    def _one(self, text: str, start: int, end: int) -> str:
        verdict = self._check(text[start:end])
        self.verdicts.append(verdict)
        if not verdict.ok:
            self.report.reasons[verdict.reason] = self.report.reasons.get(verdict.reason, 0) + 1
            self.report.dropped += verdict.reason != "empty"  # a fragment ("也很推荐") is no claim
            return ""
        self.report.kept += 1
        line_start = text.rfind("\n", 0, start) + 1
        marker = text[line_start:start] if MARKER.fullmatch(text[line_start:start]) else ""
        sep = "" if self.report.kept == 1 else "\n" if marker.strip() or line_start > self._last_end else " "
        self._last_end = end
        return f"{sep}{marker.strip() + ' ' if marker.strip() else ''}{cite(text[start:end], verdict.source)}"


    def _check(self, sentence: str) -> Verdict:
        if self.language and not language_matches(clean(sentence), self.language):
            return Verdict(sentence=sentence, ok=False, reason="language")
        if self.questions and clean(sentence).rstrip().endswith(("?", "？")):
            return self.checker.check_question(sentence)
        return self.checker.check(sentence)


def cite(sentence: str, source: int | None) -> str:
    """The sentence with its own markers replaced by the supporting source's, before its full stop."""
    body = CITATION.sub("", sentence).rstrip()
    if source is None:
        return body
    m = TRAILING_PUNCT.search(body)
    assert m is not None  # the pattern also matches an empty tail
    head = body[:m.start()].rstrip().removesuffix("\\")  # "apps\." (markdown-escaped): the stop moves, not its escape
    space = " " if head and head[-1].isascii() else ""  # Chinese sets the marker right after the word
    return f"{head}{space}[{source}]{m.group(1).strip()}"
