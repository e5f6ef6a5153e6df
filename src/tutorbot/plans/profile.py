"""Learner text → ``ProfileDraft``: a deterministic parser, optionally refined by the LLM.

Stage: learner free text → **profile** → planner. The parser alone gets hours, weeks,
language and the obvious known topics right (English and Chinese, negations included);
``refine_profile`` lets the model fill gaps but never overrides what the parser read.
"""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from tutorbot.curriculum.graph import Curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.lang import PROSE_ZH, Language, detect_lang
from tutorbot.llm.client import LLMClient, LLMError
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import PreferredKind, ProfileDraft

CN_DIGIT = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
EN_WORD = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
           "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "half a": 0.5, "half an": 0.5}
EN_N = r"\d+(?:\.\d+)?|half an?|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
ZH_N = r"\d+(?:\.\d+)?|[零一二两三四五六七八九十半]+"
ZH_WEEK = r"(?:每周|每星期|每个星期|一周|一星期|一个星期|每礼拜)"
HOURS = [  # (pattern, multiplier to hours per week)
    (rf"(?<![\w.])(?P<n>{EN_N})(?:\s*(?:-|to|~)\s*(?P<m>{EN_N}))?\s*(?:h|hrs?|hours?)\b\s*"
     r"(?:(?:/|a|an|per|each|every)\s*(?:week|wk)\b|weekly)", 1),
    (rf"(?<![\w.])(?P<n>{EN_N})(?:\s*(?:-|to|~)\s*(?P<m>{EN_N}))?\s*(?:h|hrs?|hours?)\b\s*"
     r"(?:(?:/|a|per|each|every)\s*day\b|daily)", 7),
    (rf"{ZH_WEEK}[^\d零一二两三四五六七八九十。，,.;；\n]{{0,6}}?(?P<n>{ZH_N})"
     rf"(?:\s*[-~到至]\s*(?P<m>{ZH_N}))?\s*个?\s*(?:小时|钟头|h\b|hours?)", 1),
    (rf"(?P<n>{ZH_N})\s*个?\s*(?:小时|h)\s*(?:/|每)\s*(?:周|星期)", 1),
    (rf"(?:每天|每日|一天)[^\d零一二两三四五六七八九十。，,.;；\n]{{0,6}}?(?P<n>{ZH_N})\s*个?\s*(?:小时|钟头|h\b)", 7),
]
WEEKS = [
    rf"(?<![\w.])(?P<n>{EN_N})(?:\s*(?:-|to|~)\s*(?P<m>{EN_N}))?\s*(?P<u>weeks?|wks?|months?|years?)\b",
    rf"(?<!第)(?P<n>{ZH_N})(?:\s*[-~到至]\s*(?P<m>{ZH_N}))?\s*个?\s*(?P<u>周|星期|礼拜|月|年)",
]
# Durations that are not plan lengths: "twice a week", "2 years ago", "3 years of PyTorch", and any
# duration in a clause about the past ("I've used PyTorch for 2 years", "学了两年").
NOT_LENGTH_BEFORE = re.compile(r"(?:once|twice|thrice|times|hours?|hrs?|days?|h)\s*$", re.I)
NOT_LENGTH_AFTER = re.compile(r"^\s*(?:ago|old)\b|^[^，。,.]{0,4}(?:经验|前)", re.I)
YEARS_OF = re.compile(r"^\s*of\b", re.I)
PAST = re.compile(r"\b(?:used|using|studied|worked|working|learned|learnt|been|had|experience|background)\b|"
                  r"学了|学过|用了|用过|工作|经验|已经", re.I)
CLAUSE_END = re.compile(r"[,.;!?，。；！？\n]")
UNIT_WEEKS = {"w": 1.0, "周": 1.0, "星": 1.0, "礼": 1.0, "m": 52 / 12, "月": 52 / 12, "y": 52.0, "年": 52.0}

NEG = re.compile(r"\b(?:not|no|never|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t|can'?t|cannot|isn'?t|aren'?t|"
                 r"unfamiliar|struggle|struggling|confused|barely|hardly)\b|n't\b|\bnew to\b|"
                 r"\bbeginner\b|没|未(?!来)|不(?!少|错|仅|断|同|久|但)|陌生|零基础")
WANT = re.compile(r"\b(?:want|wanna|would like|'d like|hope|hoping|plan|planning|aim|aiming|goal|interested|"
                  r"eager|wish|going to|need to|to learn|to understand|to study|to work on)\b|"
                  r"想|希望|打算|准备|计划|目标|要学|渴望|感兴趣|期望")
POS = re.compile(r"\b(?:know|knew|can|could|familiar|comfortable|experience[d]?|used|use|using|worked|"
                 r"wrote|written|write|writing|built|implemented|understand|understood|studied|learned|"
                 r"learnt|took|taken|completed|finished|proficient|good at|fluent|expert|mastered|trained|"
                 r"background|have|i've|did)\b|会|懂|了解|熟悉|掌握|学过|用过|使用|写过|做过|理解|精通|能|"
                 r"看过|读过|经验|基础|实现过|接触过")
CONTRAST = re.compile(r"\b(?:but|however|although|though|whereas|yet)\b|但是|但|不过|然而|可是")
CLAUSE = re.compile(r"[,;:，；：、]|\b(?:and|also|plus)\b|而且|并且|并|以及|和|及")
SENTENCE = re.compile(r"\.(?=\s|$)|[!?。！？\n]+")
GOALS: list[tuple[Goal, str]] = [  # first match wins, so the most specific goals come first
    (Goal.research, r"\bresearch|\bph\.?d\b|\bpublish|科研|研究(?!生)|读博|博士|发论文|顶会"),
    (Goal.diffusion_models, r"diffusion|\bddpm\b|image generation|text-to-image|扩散|文生图|图像生成"),
    (Goal.llm_systems_inference, r"\binference\b|\bserving\b|\bvllm\b|\bcuda\b|\btriton\b|\bsystems?\b|"
                                 r"\binfra\b|\bmlsys\b|\blatency\b|\bthroughput\b|推理|系统|算子|加速"),
    (Goal.finetune_deploy, r"fine-?tun|\bdeploy|\blora\b|微调|部署|落地"),
    (Goal.implement_from_scratch, r"from scratch|\bimplement|\breproduce|\bbuild (?:my own|an? )|"
                                  r"从零|手写|实现|复现|动手"),
    (Goal.understand_llms, r"understand|how .{0,30}works?|\btheory\b|\bllms?\b|large language model|"
                           r"chatgpt|原理|理论|理解|了解|大模型|大语言模型"),
]
PREFER = re.compile(r"\b(?:prefer|like|love|enjoy|favou?rite|mostly|learn best|best)\b|喜欢|偏好|倾向|更爱|爱看|习惯")
KINDS: list[tuple[PreferredKind, str]] = [
    ("video", r"\bvideos?\b|\byoutube\b|\blectures?\b|\bbilibili\b|视频|b站"),
    ("course", r"\bcourses?\b|\bmoocs?\b|\bclass(?:es)?\b|课程|公开课|网课"),
    ("paper", r"\bpapers?\b|\barxiv\b|论文"),
    ("code", r"\bcode\b|\bcoding\b|\brepos?(?:itor(?:y|ies))?\b|\bgithub\b|\bhands-on\b|\bnotebooks?\b|代码|源码|动手"),
    ("blog", r"\bblogs?\b|\barticles?\b|\bposts?\b|博客|文章"),
    ("book", r"\bbooks?\b|\btextbooks?\b|书"),
]


class Clause(BaseModel):
    text: str
    sentence: int = 0
    polarity: str = Field(description="neg, want, pos or none (inherited across 'and'/comma splits).")


def number(token: str) -> float | None:
    """Arabic, English or Chinese number words up to 99 ('十二', '两', '半', 'half a')."""
    token = token.strip().lower()
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        value = float(token)
        return value if math.isfinite(value) else None  # a 400-digit "number" is not a time budget
    if token in EN_WORD:
        return float(EN_WORD[token])
    if token == "半":
        return 0.5
    if not token or any(c not in CN_DIGIT and c != "十" for c in token):
        return None
    if "十" not in token:
        return float(CN_DIGIT[token]) if len(token) == 1 else None
    tens, _, ones = token.partition("十")
    return float((CN_DIGIT.get(tens, 1) if tens else 1) * 10 + (CN_DIGIT.get(ones, 0) if ones else 0))


def _amount(m: re.Match, upper: bool) -> float | None:
    """The number a match gives; a range "8-10" gives its mean, or its upper end for plan lengths."""
    low = number(m.group("n"))
    high = number(m["m"]) if m.groupdict().get("m") else None
    if low is None or high is None:
        return low
    return high if upper else (low + high) / 2


def parse_hours(text: str) -> tuple[int | None, str, tuple[int, int] | None]:
    """(hours per week, evidence, span) from phrases like '10h/week', '每周10小时', '2 hours a day'."""
    for pattern, factor in HOURS:
        m = re.search(pattern, text, re.I)
        if m and (value := _amount(m, upper=False)) is not None:
            return _bounded(value * factor, 80), m.group(0), m.span()
    return None, "", None


def parse_weeks(text: str) -> tuple[int | None, str]:
    """Plan length in weeks from '12 weeks', '3 months' (13 weeks), '三个月', 'half a year', '半年'."""
    for pattern in WEEKS:
        for m in re.finditer(pattern, text, re.I):
            amount = _amount(m, upper=True)
            if not amount or not _is_plan_length(text, m):
                continue
            return _bounded(amount * UNIT_WEEKS[m.group("u")[0].lower()], 104), m.group(0)
    return None, ""


def _bounded(value: float, high: int) -> int:
    """``value`` rounded into 1..high; capped before rounding, as a huge product overflows to infinity."""
    return max(1, round(min(value, high)))


def _is_plan_length(text: str, m: re.Match) -> bool:
    before, after = text[:m.start()], text[m.end():]
    start = max((e.end() for e in CLAUSE_END.finditer(before)), default=0)
    end = m.end() + next((e.start() for e in CLAUSE_END.finditer(after)), len(after))
    experience = m["u"][0] in "yY年" and YEARS_OF.match(after)
    return not (NOT_LENGTH_BEFORE.search(before) or NOT_LENGTH_AFTER.search(after) or experience
                or PAST.search(text[start:end]))


def profile_language(text: str) -> Language:
    return detect_lang(text, zh_from=PROSE_ZH, strict=True)


def clauses(text: str) -> list[Clause]:
    """Clauses with a polarity; a clause without cues inherits its sentence's previous polarity."""
    out: list[Clause] = []
    for n, sentence in enumerate(SENTENCE.split(text.replace("’", "'"))):
        for segment in CONTRAST.split(sentence):
            polarity = "none"
            for part in CLAUSE.split(segment):
                if part.strip():
                    polarity = _polarity(part.lower()) or polarity
                    out.append(Clause(text=part.strip(), sentence=n, polarity=polarity))
    return out


def _polarity(text: str) -> str | None:
    for name, cue in (("neg", NEG), ("want", WANT), ("pos", POS)):
        if cue.search(text):
            return name
    return None


def parse_profile(text: str, curriculum: Curriculum) -> ProfileDraft:
    """Deterministic reading of a learner's self-description; ``sources`` marks what it found."""
    draft = ProfileDraft(language=profile_language(text))
    draft.sources["language"] = "parser"
    hours, said, span = parse_hours(text)
    if hours is not None:
        _set(draft, "hours_per_week", hours, said)
        text_for_weeks = text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]  # "一周 8 小时" ≠ 1 week
    else:
        text_for_weeks = text
    weeks, said = parse_weeks(text_for_weeks)
    if weeks is not None:
        _set(draft, "weeks", weeks, said)
    parts = clauses(text)
    _read_known(draft, parts, curriculum)
    _read_goal(draft, parts, curriculum)
    _read_kinds(draft, parts)
    return draft


def _set(draft: ProfileDraft, field: str, value: object, evidence: str) -> None:
    setattr(draft, field, value)
    draft.sources[field] = "parser"
    draft.evidence[field] = evidence.strip()


def _read_known(draft: ProfileDraft, parts: list[Clause], curriculum: Curriculum) -> None:
    known: dict[str, str] = {}
    negative: set[str] = set()
    for c in parts:
        for tid, _, _ in curriculum.mentions(c.text):
            if c.polarity == "neg":
                negative.add(tid)
            elif c.polarity == "pos":
                known.setdefault(tid, c.text)
    # A topic that is also mentioned negatively ("know a bit of X but don't get X") is not known.
    for tid, said in known.items():
        if tid not in negative:
            draft.known.append(tid)
            draft.sources[f"known:{tid}"] = "parser"
            draft.evidence[f"known:{tid}"] = said
    draft.not_known = sorted(negative)


def _read_goal(draft: ProfileDraft, parts: list[Clause], curriculum: Curriculum) -> None:
    wanted = [c for c in parts if c.polarity == "want"]
    others = [c for c in parts if c.polarity not in ("neg", "want")]
    for pool in (wanted, others):
        for goal, pattern in GOALS:
            hit = next((c for c in pool if re.search(pattern, c.text, re.I)), None)
            if hit:
                _set(draft, "goal", goal, hit.text)
                if goal == Goal.research:
                    _read_area(draft, pool, curriculum)
                return


def _read_area(draft: ProfileDraft, pool: list[Clause], curriculum: Curriculum) -> None:
    for c in pool:
        track = next((t for t in curriculum.track_mentions(c.text) if t != "research"), None)
        if track:
            _set(draft, "area", curriculum.track(track).name.get(draft.language), c.text)
            return
        for tid, _, _ in curriculum.mentions(c.text):
            if "research" not in curriculum.topic(tid).tracks:
                _set(draft, "area", curriculum.topic(tid).name.get(draft.language), c.text)
                return


def _read_kinds(draft: ProfileDraft, parts: list[Clause]) -> None:
    """Kinds named after a preference cue, up to the end of its sentence ("I prefer papers and code")."""
    liking: int | None = None
    for c in parts:
        if PREFER.search(c.text.lower()):
            liking = c.sentence
        if c.polarity == "neg" or liking != c.sentence:
            continue
        for kind, pattern in KINDS:
            if kind not in draft.preferred_kinds and re.search(pattern, c.text, re.I):
                draft.preferred_kinds.append(kind)
                draft.sources[f"preferred_kinds:{kind}"] = "parser"
                draft.evidence[f"preferred_kinds:{kind}"] = c.text


# -- LLM refinement -------------------------------------------------------------------------

Short = Annotated[str, StringConstraints(max_length=40)]


class ProfileExtraction(BaseModel):
    """What the model may say about a learner; bounded so constrained decoding stays short."""

    known_topics: list[Short] = Field(default_factory=list, max_length=40)
    goal: Goal | None = None
    research_area: str | None = Field(None, max_length=80)
    hours_per_week: int | None = None
    weeks: int | None = None
    preferred_kinds: list[PreferredKind] = Field(default_factory=list, max_length=6)


def refine_profile(draft: ProfileDraft, text: str, llm: LLMClient, curriculum: Curriculum,
                   prompts: PromptLibrary) -> ProfileDraft:
    """Ask the model for a structured reading and merge its valid fields; on any LLM error keep ``draft``."""
    topics = "\n".join(f"- {t.id}: {t.name.en} / {t.name.zh}" for t in curriculum.topics)
    prompt = prompts.render("profile_extract", text=text[:4000], topics=topics,
                            goals=", ".join(g.value for g in Goal),
                            kinds="video, course, paper, code, blog, book")
    try:
        out = llm.structured([{"role": "user", "content": prompt}], ProfileExtraction, max_tokens=400)
    except LLMError:
        return draft
    return merge_extraction(draft, out, curriculum)


def merge_extraction(draft: ProfileDraft, out: ProfileExtraction, curriculum: Curriculum) -> ProfileDraft:
    """The model fills what the parser left empty and adds list items; invalid values are dropped."""
    merged = draft.model_copy(deep=True)
    for tid in out.known_topics:
        if tid in curriculum.ids and tid not in merged.known and tid not in merged.not_known:
            merged.known.append(tid)
            merged.sources[f"known:{tid}"] = "llm"
    for kind in out.preferred_kinds:
        if kind not in merged.preferred_kinds:
            merged.preferred_kinds.append(kind)
            merged.sources[f"preferred_kinds:{kind}"] = "llm"
    if merged.goal is None and out.goal is not None:
        merged.goal, merged.sources["goal"] = out.goal, "llm"
    area = (out.research_area or "").strip()
    if merged.goal == Goal.research and merged.area is None and area and "://" not in area:
        merged.area, merged.sources["area"] = area, "llm"
    if merged.hours_per_week is None and out.hours_per_week is not None and 1 <= out.hours_per_week <= 80:
        merged.hours_per_week, merged.sources["hours_per_week"] = out.hours_per_week, "llm"
    if merged.weeks is None and out.weeks is not None and 1 <= out.weeks <= 104:
        merged.weeks, merged.sources["weeks"] = out.weeks, "llm"
    return merged
