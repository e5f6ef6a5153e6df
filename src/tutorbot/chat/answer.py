"""Answer writing: the model's text through the truth gate, topped up by a composed answer.

Stage: retrieved hits → ranked source sentences (the evidence) → the model streams → ``StreamGate``
releases only sentences the evidence supports, each cited → if the model loops, fails its first
sentences, is down, or has shown nothing by the deadline (counted from the question; a first token
still missing by then cancels the request), it is stopped → the best source sentences
the learner has not seen yet are quoted below ("From the sources:"), saying first when model sentences
were held back. What the learner reads grows monotonically: nothing shown is ever replaced, and every
line is either verified or a quotation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass, field

from tutorbot.chat.compose import LEAD, Outline, compose
from tutorbot.llm.client import LLMBusy, LLMClient, LLMError
from tutorbot.llm.errors import LLMLate
from tutorbot.retrieval.sentences import RankedSentence
from tutorbot.schemas import AnswerPart, GateReport, Hit
from tutorbot.verify.gate import StreamGate
from tutorbot.verify.support import Evidence, SupportChecker

EVIDENCE = 16  # the best-ranked source sentences a model sentence may rest on (relevance, not volume)
UNAVAILABLE = {"en": "The model is unavailable right now ({why}).", "zh": "模型暂时不可用（{why}）。"}
# Said before the quotations when the gate held model sentences back: by whether any were shown.
HELD_BACK = {"en": ("The model's answer could not be verified against the sources, so it is not shown.",
                    "The rest of the model's answer could not be verified against the sources, so it is not shown."),
             "zh": ("模型的回答无法在资料中得到核实，因此未显示。",
                    "模型回答的其余部分无法在资料中得到核实，因此未显示。")}


@dataclass
class Draft:
    """Everything an answer is checked and composed from, computed once per question."""

    hits: list[Hit]
    ranked: list[RankedSentence]
    checker: SupportChecker
    lang: str
    clean: Callable[[str, Hit | None], str]  # makes text safe to show (links, markup, leaks)
    learner: Hashable | None = None  # the model's fair queue serves learners in turn
    socratic: bool = False
    asked: float | None = None  # when the question arrived (time.monotonic): the deadline counts from then
    outlines: list[Outline] = field(default_factory=list)  # pages the question asks about, their parts


@dataclass
class Written:
    parts: list[AnswerPart]
    report: GateReport
    error: str = ""
    first_text_s: float | None = None


class AnswerWriter:
    """Streams a verified answer for a ``Draft``."""

    def __init__(self, llm: LLMClient, deadline_s: float) -> None:
        self.llm, self.deadline_s = llm, deadline_s

    def stream(self, messages: list[dict[str, str]], draft: Draft, out: Written) -> Iterator[str]:
        """Yield text to show (an empty string for a model chunk that showed nothing yet); ``out`` is filled
        in as it goes (so a stopped turn keeps its parts)."""
        gate = StreamGate(draft.checker, language=draft.lang, questions=draft.socratic)
        start = draft.asked or time.monotonic()
        try:
            yield from self._model(messages, gate, out, start, draft)
        except LLMLate:  # no first token by the deadline: the sources are quoted, no error to report
            gate.report.gave_up = True
        except LLMBusy as exc:
            out.error = str(exc)
        except LLMError as exc:
            out.error = UNAVAILABLE[draft.lang].format(why=exc)
        out.report = gate.report
        tail = self._tail(draft, out)
        if tail:
            out.parts.append(AnswerPart(text=tail, origin="composed"))
            out.first_text_s = out.first_text_s or time.monotonic() - start
            yield tail

    def _model(self, messages: list[dict[str, str]], gate: StreamGate, out: Written, start: float,
               draft: Draft) -> Iterator[str]:
        clean = draft.clean
        # The deadline also holds while the server is still reading the prompt (no token to check it on).
        patience = max(self.deadline_s - (time.monotonic() - start), 0.0)
        stream = self.llm.stream(messages, learner=draft.learner, patience_s=patience)
        try:
            for delta in stream:
                released = list(_release(gate.feed(delta), out, start, clean))
                # An empty beat for a chunk that released nothing: the reader may stop (close the stream)
                # at any chunk, not only after the next verified sentence, which can be long in coming.
                yield from released or [""]
                if gate.should_stop or (not out.parts and time.monotonic() - start > self.deadline_s):
                    gate.report.gave_up = True
                    return
            yield from _release(gate.finish(), out, start, clean)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # stops generation on the server too: the slot is freed for others

    @staticmethod
    def _tail(draft: Draft, out: Written) -> str:
        """Quoted source sentences the model did not already state, led by the error if any."""
        shown = "".join(p.text for p in out.parts)
        if not out.error and _answered(shown, out.report, draft):
            return ""
        comp = compose(draft.ranked, draft.hits, draft.clean, exclude=shown,
                       outlines=[o.line(draft.lang) for o in draft.outlines])
        held = HELD_BACK[draft.lang][out.report.kept > 0] if out.report.dropped else ""
        lead = "\n".join(x for x in (out.error, held, LEAD[draft.lang]) if x)
        body = comp.render(draft.lang, lead=False) if comp.lines or comp.more else ""
        text = "\n".join(x for x in (lead, body) if x)
        return f"\n\n{text}" if shown else text


def _release(segments: list[str], out: Written, start: float, clean: Callable[[str, Hit | None], str]) -> Iterator[str]:
    """Verified sentences, made safe to show, recorded as the model's part of the answer."""
    for seg in segments:
        text = clean(seg, None)
        if text.strip():
            out.parts.append(AnswerPart(text=text, origin="model"))
            out.first_text_s = out.first_text_s or time.monotonic() - start
            yield text


def _answered(shown: str, report: GateReport, draft: Draft) -> bool:
    """The verified text already answers: two sentences or more, one resting on the best source."""
    best = draft.ranked[0].hit + 1 if draft.ranked else None
    return report.kept >= 2 and best is not None and f"[{best}]" in shown


def evidence_of(ranked: Sequence[RankedSentence], hits: Sequence[Hit]) -> list[Evidence]:
    return [Evidence(r.hit + 1, r.text, hits[r.hit].chunk.trusted) for r in ranked[:EVIDENCE]]
