"""Clauses of a learner's self-description and what each says: known, not known, wanted or avoided.

Stage: learner free text → **clauses** → profile (``profile.parse_profile``). General linguistics only,
in English and Chinese: a sentence splits at contrasts ("but", "但") into segments and at commas and
"and"/"和"/"、" into clauses. A clause's cue words give its polarity; a clause without cues takes the
polarity of the clause before it, and the clauses that open a segment take the first cue that follows
("RLHF、LoRA、MoE 这些只知道名字" — all three are only known by name).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from tutorbot.lang import cjk_count

Polarity = Literal["pos", "neg", "want", "avoid", "none"]

# Phrases whose negation words do not negate ("C++ 没问题" = C++ is no problem).
NOT_NEGATION = re.compile(r"没问题|不在话下|不陌生|不错|\bno problem\b|\bnot a problem\b|\bno trouble\b", re.I)
NEG = re.compile(r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t|can'?t|cannot|isn'?t|aren'?t|"
                 r"unfamiliar|struggle|struggling|confused|barely|hardly|shaky|rusty|zero|lack|lacking|"
                 r"only heard|heard of)\b|n't\b|\bnew to\b|\bbeginner\b|没|未(?!来)|不(?!少|错|仅|断|同|久|但|过)|"
                 r"陌生|零基础|小白|听说过|只知道名字|说不清|一知半解|薄弱|欠缺", re.I)
WANT = re.compile(r"\b(?:want|wants|wanted|wanna|would like|'d like|would love|hope|hoping|plan|plans|planning|"
                  r"aim|aiming|goal|interested|curious|eager|wish|going to|need to|to learn|to understand|to study|"
                  r"to work on|get into|focus|preparing|prepare|please|help me|give me|supposed to|asked me to|"
                  r"wants me to|tasked with|have to)\b|"
                  r"想|希望|打算|准备|计划|目标|要学|要能|需要|最好|争取|渴望|感兴趣|期望|好奇|重点|求|请|帮我|"
                  r"补一补|冲刺|让我|要我|叫我|交给我", re.I)
POS = re.compile(r"\b(?:know|knew|known|can|could|familiar|comfortable|experience[d]?|used|use|using|worked|work|"
                 r"wrote|written|write|writing|built|implemented|understand|understood|studied|learned|learnt|took|"
                 r"taken|completed|finished|done|did|proficient|good at|fluent|expert|mastered|trained|reproduced|"
                 r"background|have|i've|covered|solid|strong|run|running|home turf|daily|code|coding|program|"
                 r"programming|maintain|maintaining|develop|developing|lead|deploy|deployed|design|ship|"
                 r"bread and butter|day job|every day)\b|"
                 r"会|懂|了解|熟悉|熟|掌握|学过|用过|使用|写过|做过|做了|写了|用了|理解|精通|(?<![可不才])能|看过|读过|"
                 r"经验|基础|天天|日常|平时|每天都|"
                 r"实现过|接触过|写完|做完|学完|看完|读完|完成|上过|没问题")
CONTRAST = re.compile(r"\b(?:but|however|although|though|whereas|yet)\b|但是|但|不过|然而|可是")
COMMA = re.compile(r"[,;:，；：]|\s-\s")
ENUM = re.compile(r"、|\b(?:and|also|plus)\b|而且|并且|并|以及|和|及")
SENTENCE = re.compile(r"\.(?=\s|$)|[!?。！？\n]+")


class Clause(BaseModel):
    text: str
    sentence: int = 0
    polarity: Polarity = "none"


def clauses(text: str) -> list[Clause]:
    """Clauses with a polarity, in text order."""
    out: list[Clause] = []
    for n, sentence in enumerate(SENTENCE.split(text.replace("’", "'"))):
        for segment in CONTRAST.split(sentence):
            out += _segment(segment, n)
    return out


def _segment(segment: str, sentence: int) -> list[Clause]:
    """A segment's comma-separated parts, each split into enumerated items ("X、Y 和 Z 都会")."""
    groups = [items for part in COMMA.split(segment) if (items := [i.strip() for i in ENUM.split(part) if i.strip()])]
    cues = [[polarity(i) for i in items] for items in groups]
    current: Polarity = next((p for c in cues for p in c if p is not None), "none")  # the segment's opening
    out = []
    for items, own in zip(groups, cues, strict=True):
        lead = next((p for p in own if p is not None), None)
        for i, (text, mine) in enumerate(zip(items, own, strict=True)):
            if mine is not None:
                current = _next(current, mine, text)
            elif lead is not None and all(p is None for p in own[:i]) and _is_item(text):
                current = _next(current, lead, text)  # a listed item before its clause's cue takes that cue
            out.append(Clause(text=text, sentence=sentence, polarity=current))
    return out


def _is_item(text: str) -> bool:
    """A listed name ("PyTorch", "KV cache", "位置编码"), not a clause of its own."""
    return len(re.findall(r"[A-Za-z0-9.+#-]+", text)) <= 3 and cjk_count(text) <= 8


def _next(current: Polarity, cue: Polarity, text: str) -> Polarity:
    """``cue``, except that a wish goes on through verbs that open a clause ("I want to learn X, understand
    Y and use Z"): only a clause with its own subject or a cue elsewhere states what the learner can do."""
    opens_with_cue = (m := POS.search(text.lower())) is not None and m.start() == 0
    return current if current == "want" and cue == "pos" and opens_with_cue else cue


def polarity(text: str) -> Polarity | None:
    """The clause's own polarity from its cue words; None when it has none."""
    text = text.lower()
    cleaned = NOT_NEGATION.sub(" ok ", text)
    neg, want = NEG.search(cleaned), WANT.search(cleaned)
    if neg and want:
        return "avoid" if neg.start() < want.start() else "want"  # "no plans to…" / "want to… not X"
    if neg:
        return "neg"
    if want:
        return "want"
    if POS.search(text):
        return "pos"
    return None
