"""UI stage, short dates: when a conversation was last active, in the learner's own time zone.

"today 14:05" for today, "Mar 2" for earlier this year, "Mar 2, 2025" before that (and the same in
Chinese). The store keeps UTC; the browser tells its IANA zone, and until it has (or when it cannot)
times are in UTC and say so, rather than pass UTC off as local time. How far ahead a review is
("in 3 days", "10 分钟后") needs no zone at all. Chart days are named in the interface language too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

# Run in the page: the browser's IANA zone ("" when it cannot say), for the tabs that show times.
TZ_JS = "() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { return ''; } }"
AHEAD = ((24 * 60, ("day", "天")), (60, ("hour", "小时")), (1, ("minute", "分钟")))  # largest unit first
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = (("Mon", "周一"), ("Tue", "周二"), ("Wed", "周三"), ("Thu", "周四"), ("Fri", "周五"), ("Sat", "周六"),
            ("Sun", "周日"))


def zone(name: str | None) -> tzinfo | None:
    """The browser's IANA time zone; None for an empty or unknown name (then times are shown in UTC)."""
    try:
        return ZoneInfo(name) if name and len(name) <= 64 else None
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def short_date(when: datetime, now: datetime, tz_name: str | None, lang: str) -> str:
    """``when`` as the conversation list shows it, relative to ``now`` (both UTC; naive means UTC)."""
    where = zone(tz_name)
    local, today = (_utc(d).astimezone(where or UTC) for d in (when, now))
    if local.date() == today.date():
        text = f"{'今天' if lang == 'zh' else 'today'} {local:%H:%M}"
    elif lang == "zh":
        text = ("" if local.year == today.year else f"{local.year}年") + f"{local.month}月{local.day}日"
    else:
        text = f"{MONTHS[local.month - 1]} {local.day}" + ("" if local.year == today.year else f", {local.year}")
    return text if where else f"{text} UTC"


def day_label(day: date, lang: str) -> str:
    """A chart's day in the interface language: "Fri Dec 4", "12月4日 周五" (the forecast's x axis)."""
    en, zh = WEEKDAYS[day.weekday()]
    return f"{day.month}月{day.day}日 {zh}" if lang == "zh" else f"{en} {MONTHS[day.month - 1]} {day.day}"


def ahead(when: datetime, now: datetime, lang: str) -> str:
    """How long until ``when`` ("in 10 minutes", "in 5 hours", "in 3 days"; "now" when it is due)."""
    minutes = round((_utc(when) - _utc(now)).total_seconds() / 60)
    if minutes <= 0:
        return "现在" if lang == "zh" else "now"
    size, (en, zh) = next(u for u in AHEAD if minutes >= u[0] * 0.95)  # 58 minutes read as "in 1 hour"
    n = round(minutes / size)
    return f"{n} {zh}后" if lang == "zh" else f"in {n} {en}{'' if n == 1 else 's'}"


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # SQLite gives back naive UTC
