"""The Progress tab without a browser: an empty state in words instead of empty charts, times in the
browser's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tutorbot.learner.progress import HistoryRow, ProgressView
from tutorbot.ui import progress_tab

WHEN = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def view(reviews: int = 0, history: bool = False) -> ProgressView:
    rows = [HistoryRow(when=WHEN, topic="Attention", question="Why?", score=1.0, correct=True)] if history else []
    return ProgressView(mastery=[("Attention", 80.0)] if history else [], due=[(date(2026, 3, 2), reviews)],
                        history=rows, streak=0, attempts=len(rows), cards=reviews)


def test_a_learner_without_reviews_sees_a_sentence_not_empty_charts():
    bars, line, table, note = progress_tab.shown(view(), "en")
    assert not bars["visible"] and not line["visible"] and not table["visible"]
    assert note["visible"] and note["value"].startswith("No reviews yet")


def test_charts_show_once_there_is_something_to_draw():
    bars, line, table, note = progress_tab.shown(view(reviews=2, history=True), "zh")
    assert bars["visible"] and line["visible"] and table["visible"] and not note["visible"]


def test_history_times_are_in_the_browsers_time_zone_and_utc_when_unknown():
    assert progress_tab.frames(view(history=True), "en", "Asia/Shanghai")[2].iloc[0, 0] == "2026-03-02 07:30"
    assert progress_tab.frames(view(history=True), "en", "Not/AZone")[2].iloc[0, 0] == "2026-03-01 23:30"
    assert progress_tab.frames(view(history=True), "en", "../../etc/passwd")[2].iloc[0, 0] == "2026-03-01 23:30"
