"""Numbers and durations in learner text: number words, hours per week, plan length, dates.

Stage: learner free text → **profile** (``profile.parse_profile``) → planner. English and Chinese,
digits and words ("twelve", "twenty-five", "十二", "两个半月", "a month and a half"), ranges
("3-4 hours a day", "3~6个月") and deadlines relative to ``today`` ("till March", "到明年三月底").
Durations that describe the past ("I've used PyTorch for 2 years", "写了四年") are not plan lengths.
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import date

from pydantic import BaseModel

from tutorbot.lang import CN_NUMERAL, chinese_number

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
EN_PHRASES = {"a": 1, "an": 1, "half a": 0.5, "half an": 0.5, "a couple of": 2, "a couple": 2, "couple of": 2,
              "a few": 3, "a dozen": 12}
EN_N = (rf"\d+(?:\.\d+)?|(?:{'|'.join(TENS)})(?:[-\s](?:{'|'.join(UNITS[1:10])}))?|{'|'.join(UNITS[::-1])}|"
        r"half an?|a couple(?: of)?|couple of|a few|a dozen|an?")
ZH_N = rf"\d+(?:\.\d+)?|[{CN_NUMERAL}]+|半"
HALF_EN = r"(?P<half>\s+and\s+a\s+half)?"
RANGE_EN = rf"(?:\s*(?:-|–|to|~|or)\s*(?P<m>{EN_N}))?"
RANGE_ZH = rf"(?:\s*[-~～到至]\s*(?P<m>{ZH_N}))?"
ZH_GAP = rf"[^\d{CN_NUMERAL}。，,.;；\n]{{0,8}}?"
ZH_WEEKLY = r"(?:每周|每星期|每个星期|一周|一星期|一个星期|每礼拜|每个礼拜|周末)"
HOURS_UNIT_EN = r"(?:h|hrs?|hours?)\b"
HOURS_UNIT_ZH = r"个?(?P<half>半)?\s*(?:小时|钟头|h\b|hrs?\b|hours?\b)"

# (pattern, hours-per-week multiplier); weekly statements are tried first, they win over daily ones.
HOURS: list[tuple[re.Pattern, float]] = [(re.compile(p, re.I), f) for p, f in [
    (rf"(?<![\w.])(?P<n>{EN_N}){RANGE_EN}\s*{HOURS_UNIT_EN}{HALF_EN}\s*"
     r"(?:(?:/|a|an|per|each|every|in\s+a)\s*(?:week|wk|w|weekend)\b|weekly\b)", 1),
    (rf"{ZH_WEEKLY}{ZH_GAP}(?P<n>{ZH_N}){RANGE_ZH}\s*{HOURS_UNIT_ZH}", 1),
    (rf"(?P<n>{ZH_N}){RANGE_ZH}\s*{HOURS_UNIT_ZH}\s*(?:/|每|一)\s*(?:周|星期)", 1),
    (rf"(?<![\w.])(?P<n>{EN_N}){RANGE_EN}\s*{HOURS_UNIT_EN}{HALF_EN}\s*"
     r"(?:(?:a|per|each|every|on)\s*(?:weekday|workday|work\s*day)s?\b|on\s+weekdays\b)", 5),
    (rf"(?:工作日|每个工作日){ZH_GAP}(?P<n>{ZH_N}){RANGE_ZH}\s*{HOURS_UNIT_ZH}", 5),
    (rf"(?<![\w.])(?P<n>{EN_N}){RANGE_EN}\s*{HOURS_UNIT_EN}{HALF_EN}\s*"
     r"(?:(?:/|a|per|each|every)\s*(?:day|night|evening)\b|daily\b|nightly\b)", 7),
    (rf"(?:每天|每日|一天|每晚|每个晚上){ZH_GAP}(?P<n>{ZH_N}){RANGE_ZH}\s*{HOURS_UNIT_ZH}", 7),
    (rf"(?<![\w.])(?P<n>{EN_N}){RANGE_EN}\s*(?:min|mins|minutes)\b\s*(?:(?:/|a|per|each|every)\s*day\b|daily\b)",
     7 / 60),
    (rf"(?:每天|每日|一天|每晚){ZH_GAP}(?P<n>{ZH_N}){RANGE_ZH}\s*分钟", 7 / 60),
]]

WEEKS_PER = {"week": 1.0, "wk": 1.0, "周": 1.0, "星期": 1.0, "礼拜": 1.0, "month": 52 / 12, "mo": 52 / 12,
             "月": 52 / 12, "year": 52.0, "yr": 52.0, "年": 52.0, "semester": 16.0, "学期": 16.0}
WEEKS: list[re.Pattern] = [re.compile(p, re.I) for p in [
    rf"(?<![\w.])(?P<n>{EN_N}){RANGE_EN}[\s-]*(?P<u>weeks?|wks?|months?|mos?|years?|yrs?|semesters?)\b{HALF_EN}",
    rf"(?<!第)(?P<n>{ZH_N}){RANGE_ZH}\s*个?(?P<half>半)?\s*(?P<u>周|星期|礼拜|月|年|学期)(?P<half2>半)?",
    r"(?P<n>full)[\s-](?P<u>year)\b",
    r"\b(?:over|for|in|within|during)\s+(?:the\s+)?(?P<n>next|coming)\s+(?P<u>year|month|semester)\b",
]]
# Durations that are not plan lengths: "twice a week", "2 years ago", "3 years of PyTorch", "写了四年", "5 年经验",
# and any duration in a clause about the past ("I've used PyTorch for 2 years", "学了两年").
NOT_LENGTH_BEFORE = re.compile(r"(?:once|twice|thrice|times|hours?|hrs?|days?|\bh|了|每)\s*$", re.I)
NOT_LENGTH_AFTER = re.compile(r"^\s*(?:ago|old)\b|^[^，。,.]{0,4}(?:经验|前)|^\s*了", re.I)
YEARS_OF = re.compile(r"^\s*of\b", re.I)
PAST = re.compile(r"\b(?:used|using|studied|worked|working|learned|learnt|been|had|experience|background|since|"
                  r"past|last|spent)\b|\b(?:i|we)'ve\b(?!\s+got)|学了|学过|用了|用过|工作|经验|已经", re.I)
CLAUSE_END = re.compile(r"[,.;!?()（），。；！？\n]")

MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m} | \
         {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m} | {"sept": 9}
EN_DEADLINE = re.compile(
    r"\b(?:till|until|til|by|before|(?P<through>through|thru)|up to)\s+(?:the\s+)?(?P<end>end\s+of\s+)?"
    r"(?P<next>next\s+)?"
    rf"(?P<month>{'|'.join(sorted(MONTHS, key=len, reverse=True))})\b\.?(?:\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?)?"
    r"(?:,?\s+(?P<year>20\d\d))?|\b(?:till|until|by|before)\s+(?:the\s+)?end\s+of\s+(?:the|this)\s+(?P<eoy>year)\b|"
    r"\bthe\s+rest\s+of\s+(?:the|this)\s+(?P<rest>year)\b", re.I)
ZH_DEADLINE = re.compile(r"(?:到|至|在|于)?(?P<next>明年)?(?P<month>\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月"
                         r"(?:(?P<day>\d{1,2})\s*[日号])?(?P<end>底|末)?(?:份)?\s*(?:前|之前|以前|为止)|"
                         r"(?:到|至)(?P<next2>明年)?(?P<month2>\d{1,2}|十[一二]?|[一二三四五六七八九])\s*月(?P<end2>底|末)?|"
                         r"(?P<eoy>年底|年末)(?:前|之前)?|(?P<rest>今年(?:剩下|余下|剩余)的?时间)")
ISO_DATE = re.compile(r"\b(?:till|until|by|before|deadline:?)\s+(?P<y>20\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b", re.I)


class Reading(BaseModel):
    """A value read from the text, with the words it came from and where they are."""

    value: int
    evidence: str
    span: tuple[int, int]


def number(token: str) -> float | None:
    """Arabic, English or Chinese numbers up to 99 ('twenty-five', '十二', '两', '半', 'half a', 'a few')."""
    token = re.sub(r"\s+", " ", token.strip().lower())
    if re.fullmatch(r"\d+(?:\.\d+)?", token):
        value = float(token)
        return value if math.isfinite(value) else None  # a 400-digit "number" is not a time budget
    if token in EN_PHRASES:
        return float(EN_PHRASES[token])
    if token in UNITS:
        return float(UNITS.index(token))
    if (tens := token.split("-")[0].split(" ")[0]) in TENS:
        ones = token[len(tens):].strip(" -")
        return 20.0 + 10 * TENS.index(tens) + (UNITS.index(ones) if ones in UNITS[1:10] else 0)
    return _chinese(token)


def _chinese(token: str) -> float | None:
    if token == "半":
        return 0.5
    value = chinese_number(token)
    return None if value is None else float(value)


def amount(m: re.Match, upper: bool) -> float | None:
    """The number a match gives, plus "and a half" / "个半" / "年半"; a range "8-10" gives its mean, or its
    upper end for plan lengths (a learner who says "3-6 months" has six)."""
    groups = m.groupdict()
    low = 1.0 if groups["n"].lower() in ("full", "next", "coming") else number(groups["n"])
    high = number(groups["m"]) if groups.get("m") else None
    value = low if low is None or high is None else high if upper else (low + high) / 2
    if value is not None and (groups.get("half") or groups.get("half2")):
        value += 0.5
    return value


def bounded(value: float, high: int) -> int:
    """``value`` rounded into 1..high; capped before rounding, as a huge product overflows to infinity."""
    return max(1, round(min(value, high)))


def parse_hours(text: str) -> Reading | None:
    """Hours per week from '10h/week', '3h/wk', '每周十小时', '2 hours every weekday', 'an hour a day'."""
    for pattern, factor in HOURS:
        for m in pattern.finditer(text):
            if (value := amount(m, upper=False)) is not None and value > 0:
                return Reading(value=bounded(value * factor, 80), evidence=m.group(0).strip(), span=m.span())
    return None


def parse_weeks(text: str, today: date | None = None) -> Reading | None:
    """Plan length in weeks: '12 weeks', 'two months' (9), '一个学期' (16), '两个半月', or a deadline
    such as 'till March' counted from ``today``. The first duration that is not about the past wins."""
    found = [r for r in (_duration(text), _deadline(text, today or date.today())) if r is not None]
    return min(found, key=lambda r: r.span[0]) if found else None


def _duration(text: str) -> Reading | None:
    hits = [m for pattern in WEEKS for m in pattern.finditer(text)]
    for m in sorted(hits, key=lambda m: m.start()):
        value = amount(m, upper=True)
        if value and _is_plan_length(text, m):
            unit = m["u"].lower().rstrip("s")
            return Reading(value=bounded(value * WEEKS_PER[unit], 104), evidence=m.group(0).strip(), span=m.span())
    return None


def _is_plan_length(text: str, m: re.Match) -> bool:
    before, after = text[:m.start()], text[m.end():]
    start = max((e.end() for e in CLAUSE_END.finditer(before)), default=0)
    end = m.end() + next((e.start() for e in CLAUSE_END.finditer(after)), len(after))
    experience = m["u"][0] in "yY年" and YEARS_OF.match(after)
    return not (NOT_LENGTH_BEFORE.search(before) or NOT_LENGTH_AFTER.search(after) or experience
                or PAST.search(text[start:end]))


def _deadline(text: str, today: date) -> Reading | None:
    """Weeks from ``today`` to a named month (its first day, or its last with "end of" / "底")."""
    for m in (*EN_DEADLINE.finditer(text), *ZH_DEADLINE.finditer(text), *ISO_DATE.finditer(text)):
        target = _target_date(m, today)
        if target is not None and target > today:
            weeks = bounded((target - today).days / 7, 104)
            return Reading(value=weeks, evidence=m.group(0).strip(), span=m.span())
    return None


def _target_date(m: re.Match, today: date) -> date | None:
    g = {k: v for k, v in m.groupdict().items() if v}
    if "y" in g:
        try:
            return date(int(g["y"]), int(g["m"]), int(g["d"]))
        except ValueError:
            return None
    if "eoy" in g or "rest" in g:
        return date(today.year, 12, 31)
    month = _month(g.get("month") or g.get("month2") or "")
    if month is None:
        return None
    later = bool(g.get("next") or g.get("next2")) or month < today.month
    year = today.year + 1 if later else today.year
    if "day" in g:
        return _safe_date(year, month, int(g["day"]))
    last = calendar.monthrange(year, month)[1]
    through = g.get("end") or g.get("end2") or g.get("through") or month == today.month  # "through June": all of it
    return date(year, month, last if through else 1)


def _month(token: str) -> int | None:
    token = token.lower().rstrip(".")
    value = MONTHS.get(token) or number(token)
    return int(value) if value and 1 <= value <= 12 else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def numbers_in(text: str) -> set[float]:
    """Every number the text states (digits or words), for checking a model's reading against it."""
    found = {number(m.group()) for m in re.finditer(rf"(?<![\w.])(?:{EN_N})(?![\w])", text, re.I)}
    found |= {number(m.group()) for m in re.finditer(ZH_N, text)}
    return {v for v in found if v is not None}
