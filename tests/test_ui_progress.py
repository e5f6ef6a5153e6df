"""The Progress tab without a browser: an empty state in words instead of empty charts, times and days in
the browser's time zone, one bar per day ahead, and weak topics one click from a quiz on them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from tutorbot.learner.calibration import CalibrationBar, calibration
from tutorbot.learner.patterns import PatternRow
from tutorbot.learner.progress import HistoryRow, ProgressView
from tutorbot.learner.srs import CardState, forecast
from tutorbot.ui import progress_tab

WHEN = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
WEAK = [("Attention", "attention_transformer"), ("RLHF", "rlhf")]


def view(reviews: int = 0, history: bool = False, cards: int | None = None) -> ProgressView:
    rows = [HistoryRow(when=WHEN, topic="Attention", question="Why?", score=1.0, correct=True)] if history else []
    cards = reviews if cards is None else cards
    return ProgressView(mastery=[("Attention", 80.0)] if history else [], due=[(date(2026, 3, 2), reviews)],
                        next_review=WHEN if cards else None, history=rows, streak=0, attempts=len(rows), cards=cards)


def test_a_learner_without_reviews_sees_a_sentence_not_empty_charts():
    for lang, start in (("en", "No reviews yet"), ("zh", "还没有复习安排")):
        bars, ahead, when, table, note = progress_tab.shown(view(), lang)
        assert not bars["visible"] and not ahead["visible"] and not when["visible"] and not table["visible"]
        assert note["visible"] and note["value"].startswith(start)


def test_cards_due_only_after_the_forecast_window_get_their_own_sentence_and_the_next_review_time():
    for lang, words in (("en", "No reviews due in the next 14 days"), ("zh", "未来 14 天没有到期的复习")):
        _, ahead, when, _, note = progress_tab.shown(view(reviews=0, cards=2), lang)
        assert not ahead["visible"] and note["value"].startswith(words) and when["visible"]


def test_charts_show_once_there_is_something_to_draw():
    bars, ahead, when, table, note = progress_tab.shown(view(reviews=2, history=True), "zh")
    assert bars["visible"] and ahead["visible"] and when["visible"] and table["visible"] and not note["visible"]


def test_the_forecast_is_one_bar_per_day_named_in_the_interface_language_in_date_order():
    days = [(date(2026, 12, 31) + timedelta(days=i), i % 2) for i in range(3)]
    v = view().model_copy(update={"due": days})
    due = progress_tab.frames(v, "en")[1]
    assert list(due["day"]) == ["Thu Dec 31", "Fri Jan 1", "Sat Jan 2"] and list(due["due"]) == [0, 1, 0]
    assert list(progress_tab.frames(v, "zh")[1]["day"]) == ["12月31日 周四", "1月1日 周五", "1月2日 周六"]
    # the names do not sort ("Fri" < "Thu"), so the chart is told the order: the days' own
    ahead = progress_tab.shown(v.model_copy(update={"cards": 1}), "zh")[1]
    assert ahead["sort"] == ["12月31日 周四", "1月1日 周五", "1月2日 周六"]


def test_the_next_review_is_shown_in_the_browsers_time_zone_and_names_utc_when_it_is_unknown():
    assert progress_tab.next_review(view(reviews=1), "en", "Asia/Shanghai") == \
        "Next review: **2026-03-02 07:30** (Asia/Shanghai)"
    assert progress_tab.next_review(view(reviews=1), "zh", None) == "下次复习：**2026-03-01 23:30**（UTC）"
    assert progress_tab.next_review(view(), "en", "Asia/Shanghai") == ""


def test_reviews_are_counted_on_the_learners_own_calendar_days():
    late = WHEN + timedelta(hours=1)  # 00:30 UTC on March 2nd: tomorrow in UTC, later today in Shanghai
    cards = [SimpleNamespace(topic="t", state=CardState.new(late), due=late)]
    utc, local = forecast(cards, WHEN, 3), forecast(cards, WHEN, 3, ZoneInfo("Asia/Shanghai"))
    assert utc[0][0] == date(2026, 3, 1) and [n for _, n in utc] == [0, 1, 0]
    assert local[0][0] == date(2026, 3, 2) and [n for _, n in local] == [1, 0, 0]


def test_history_times_are_in_the_browsers_time_zone_and_utc_when_unknown():
    assert progress_tab.frames(view(history=True), "en", "Asia/Shanghai")[2].iloc[0, 0] == "2026-03-02 07:30"
    assert progress_tab.frames(view(history=True), "en", "Not/AZone")[2].iloc[0, 0] == "2026-03-01 23:30"
    assert progress_tab.frames(view(history=True), "en", "../../etc/passwd")[2].iloc[0, 0] == "2026-03-01 23:30"


def test_weak_topics_are_offered_weakest_first_with_their_quiz_button():
    pick, go = progress_tab.weak_shown(view().model_copy(update={"weak": [*WEAK, ("Gone", "gone")]}),
                                       {"attention_transformer", "rlhf"})
    assert pick["choices"] == WEAK and pick["value"] == "attention_transformer" and pick["visible"] and go["visible"]


def test_without_weak_topics_the_picker_and_its_button_are_hidden():
    pick, go = progress_tab.weak_shown(view(), {"rlhf"})
    assert pick["choices"] == [] and not pick["visible"] and not go["visible"]


def test_quiz_me_on_a_weak_topic_opens_the_quiz_tab_with_my_weak_topics_and_that_topic_selected():
    tabs, source, topic = progress_tab.quiz_me_on("rlhf", WEAK)
    assert tabs.selected == "quiz" and source["value"] == "weak"
    assert topic["value"] == "rlhf" and topic["choices"] == WEAK


def test_quiz_me_on_a_topic_that_just_stopped_being_weak_still_selects_it():
    _, _, topic = progress_tab.quiz_me_on("ddpm", WEAK)
    assert topic["value"] == "ddpm" and ("ddpm", "ddpm") in topic["choices"]


def test_repeated_mistakes_show_as_a_table_of_patterns_with_their_review_reasons_in_the_learners_language():
    row = PatternRow(topic="扩散模型", topic_id="ddpm", kind="confused_terms", count=3,
                     reason="你把扩散模型和流匹配混淆了3 次。")
    assert not progress_tab.patterns_shown(view(), "en")["visible"]
    shown = progress_tab.patterns_shown(view().model_copy(update={"patterns": [row]}), "zh")
    assert shown["visible"]
    assert shown["value"].values.tolist() == [["扩散模型", "混淆了两个术语", 3, "你把扩散模型和流匹配混淆了3 次。"]]
    assert list(shown["value"].columns) == ["主题", "错误类型", "次数", "复习原因"]


def test_calibration_shows_percent_right_per_confidence_used_and_hides_without_one():
    bars = [CalibrationBar(confidence=1, answers=2, right=50.0), CalibrationBar(confidence=4, answers=3, right=33.3)]
    assert not progress_tab.calibration_shown(view(), "en")["visible"]
    shown = progress_tab.calibration_shown(view().model_copy(update={"calibration": bars}), "en")
    assert shown["visible"] and shown["value"].values.tolist() == [["1 · guessing", 50.0, 2], ["4 · certain", 33.3, 3]]


def test_calibration_counts_only_answers_with_a_confidence_in_level_order():
    log = [SimpleNamespace(confidence=c, correct=ok) for c, ok in ((4, False), (4, True), (None, True), (2, True),
                                                                   (4, False))]
    assert [(b.confidence, b.answers, b.right) for b in calibration(log)] == [(2, 1, 100.0), (4, 3, 33.3)]
