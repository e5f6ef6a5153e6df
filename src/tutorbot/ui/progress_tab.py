"""UI stage, Progress tab: the weak topics (each one click from a quiz on it), repeated mistakes per topic
with their review reasons (table), mastery per topic (bar chart), reviews due per day ahead (bar chart)
with the next review's time, calibration (percent right per confidence given before grading, bar chart),
quiz history (table) and the learner's streak.

Everything shown comes from the learner's ``Progress`` (``learner/progress.py``); this module only
shapes it into data frames for Gradio's native plot components. A chart with nothing to draw is
hidden behind a plain sentence (an empty plot shows a "0.000000" axis), and times and days are in the
browser's time zone (read by the page when the tab opens; UTC until then, and the zone is named).
"""

from __future__ import annotations

from collections.abc import Container
from datetime import UTC, tzinfo
from typing import Any

import gradio as gr

from tutorbot.learner.progress import ProgressView
from tutorbot.ui.choices import confidence_choices
from tutorbot.ui.context import UIContext
from tutorbot.ui.dates import TZ_JS, day_label
from tutorbot.ui.dates import zone as browser_zone
from tutorbot.ui.i18n import Labels, t
from tutorbot.ui.quiz_logic import QuizOps


def zone(name: str | None) -> tzinfo:
    """The browser's IANA time zone, or UTC for an empty or unknown name."""
    return browser_zone(name) or UTC


def frames(view: ProgressView, lang: str, tz: str | None = None) -> tuple[Any, Any, Any]:
    """(mastery, forecast, history) data frames; history columns are in the interface language and its
    times in the time zone ``tz`` (UTC when not given)."""
    import pandas as pd

    # Explicit dtypes: an empty first frame must not make the chart treat mastery as a category.
    mastery = pd.DataFrame({"topic": pd.Series([n for n, _ in view.mastery], dtype=object),
                            "mastery": pd.Series([m for _, m in view.mastery], dtype=float)})
    # Days named in the interface language, a category each: one bar per day (a time axis would bin them),
    # kept in date order by the chart's `sort` (the names themselves do not sort: ``shown``).
    due = pd.DataFrame({"day": pd.Series([day_label(d, lang) for d, _ in view.due], dtype=object),
                        "due": pd.Series([n for _, n in view.due], dtype=int)})
    cols = [t(lang, k) for k in ("col.when", "col.topic", "col.question", "col.score", "col.correct")]
    rows = [(r.when.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M"), r.topic, r.question, f"{round(100 * r.score)}%",
             "✔" if r.correct else "✘") for r in view.history]
    return mastery, due, pd.DataFrame(rows, columns=cols)


def next_review(view: ProgressView, lang: str, tz: str | None = None) -> str:
    """The line naming the earliest card's due time in the browser's zone (and the zone), empty without cards."""
    if view.next_review is None:
        return ""
    when, where = view.next_review, zone(tz)
    when = when if when.tzinfo else when.replace(tzinfo=UTC)  # the store keeps UTC; SQLite drops the zone
    return t(lang, "progress.next_review", when=when.astimezone(where).strftime("%Y-%m-%d %H:%M"), zone=str(where))


def empty_note(view: ProgressView, lang: str) -> str:
    """The sentence shown instead of an empty forecast chart, or "" when it has bars to draw."""
    if any(n for _, n in view.due):
        return ""
    return t(lang, "progress.no_reviews_soon" if view.cards else "progress.no_reviews")


def shown(view: ProgressView, lang: str, tz: str | None = None) -> list[Any]:
    """Updates for (mastery bars, forecast bars, next review, table, note): a chart only when it has
    something to draw, else the note."""
    mastery, due, history = frames(view, lang, tz)
    note, when = empty_note(view, lang), next_review(view, lang, tz)
    return [gr.update(value=mastery, visible=bool(view.mastery)),
            gr.update(value=due, sort=list(due["day"]), visible=not note),
            gr.update(value=when, visible=bool(when)), gr.update(value=history, visible=bool(view.history)),
            gr.update(value=note, visible=bool(note))]


def patterns_shown(view: ProgressView, lang: str) -> Any:
    """Update for the repeated-mistakes table (topic, pattern, times, why to review), hidden when there are none."""
    import pandas as pd

    cols = [t(lang, k) for k in ("col.topic", "col.pattern", "col.times", "col.reason")]
    rows = [(r.topic, t(lang, f"pattern.{r.kind}"), r.count, r.reason) for r in view.patterns]
    return gr.update(value=pd.DataFrame(rows, columns=cols), visible=bool(rows))


def calibration_shown(view: ProgressView, lang: str) -> Any:
    """Update for the calibration chart: percent right per confidence level used, hidden until one was given."""
    import pandas as pd

    label = dict((n, text) for text, n in confidence_choices(lang))
    frame = pd.DataFrame({"sure": pd.Series([label[b.confidence] for b in view.calibration], dtype=object),
                          "right": pd.Series([b.right for b in view.calibration], dtype=float),
                          "answers": pd.Series([b.answers for b in view.calibration], dtype=int)})
    return gr.update(value=frame, visible=bool(view.calibration))


def weak_shown(view: ProgressView, known: Container[str]) -> list[Any]:
    """Updates for (weak topic picker, "quiz me" button): the learner's weak topics that a quiz can be
    made on, weakest first and picked; both hidden when there are none."""
    choices = [(name, tid) for name, tid in view.weak if tid in known]
    return [gr.update(choices=choices, value=choices[0][1] if choices else None, visible=bool(choices)),
            gr.update(visible=bool(choices))]


def quiz_me_on(topic_id: str | None, choices: list[tuple[str, str]]) -> tuple[Any, Any, Any]:
    """(tabs, quiz source, quiz topic) updates that open the Quiz tab on the weak topic ``topic_id``."""
    if not topic_id:  # nothing picked: the Quiz tab's own "choose a topic" message explains
        return gr.Tabs(selected="quiz"), gr.update(), gr.update(value=None)
    if topic_id not in {tid for _, tid in choices}:  # weak a moment ago; keep the learner's pick choosable
        choices = [*choices, (topic_id, topic_id)]
    return gr.Tabs(selected="quiz"), gr.update(value="weak"), gr.update(choices=choices, value=topic_id)


def summary(view: ProgressView, lang: str) -> str:
    if not view.attempts and not view.cards:
        return t(lang, "progress.empty")
    return t(lang, "progress.streak", n=view.streak, attempts=view.attempts, cards=view.cards)


def _weak_row(L: Labels) -> tuple[Any, Any]:
    with gr.Row(equal_height=True):
        pick = L.add(gr.Dropdown([], label=t("en", "progress.weak"), elem_id="tb-weak-topic", visible=False,
                                 scale=3), label="progress.weak")
        go = L.add(gr.Button(t("en", "progress.quiz_me"), variant="primary", elem_id="tb-weak-quiz", visible=False,
                             scale=1), value="progress.quiz_me")
    return pick, go


def _charts(L: Labels) -> tuple[Any, Any]:
    with gr.Row():
        bars = gr.BarPlot(x="topic", y="mastery", y_lim=[0, 100], height=380, label=t("en", "progress.mastery"),
                          x_title=" ", y_title="%", sort="y", elem_id="tb-mastery", x_label_angle=-30,
                          visible=False)
        ahead = gr.BarPlot(x="day", y="due", height=380, label=t("en", "progress.forecast"), x_title=" ",
                           y_title=t("en", "col.due"), x_label_angle=-45, elem_id="tb-forecast",
                           visible=False)
    L.add(bars, label="progress.mastery")
    L.add(ahead, lambda lang: {"label": t(lang, "progress.forecast"), "y_title": t(lang, "col.due")})
    return bars, ahead


def build_progress_tab(ctx: UIContext) -> dict[str, Any]:
    L, known = ctx.labels, set(ctx.services.curriculum.ids)
    with gr.Row():
        headline = gr.Markdown(elem_id="tb-streak")
        refresh_btn = L.add(gr.Button(t("en", "progress.refresh"), size="sm", scale=0), value="progress.refresh")
    pick, go = _weak_row(L)
    mistakes = L.add(gr.Dataframe(label=t("en", "progress.patterns"), interactive=False, wrap=True,
                                  elem_id="tb-patterns", column_widths=["20%", "18%", "8%", "54%"], visible=False),
                     label="progress.patterns")
    bars, ahead = _charts(L)
    when = gr.Markdown(elem_id="tb-next-review", visible=False)
    calib = L.add(gr.BarPlot(x="sure", y="right", y_lim=[0, 100], height=300, label=t("en", "progress.calibration"),
                             x_title=" ", y_title="%", sort="x", elem_id="tb-calibration", tooltip=["answers"],
                             visible=False), label="progress.calibration")
    table = L.add(gr.Dataframe(label=t("en", "progress.history"), interactive=False, wrap=True, elem_id="tb-history",
                               max_height=360, column_widths=["15%", "22%", "47%", "8%", "8%"], visible=False),
                  label="progress.history")
    note = gr.Markdown(elem_id="tb-progress-empty")
    tz = gr.Textbox(visible=False, elem_id="tb-tz")  # the browser's time zone, filled by TZ_JS

    def refresh(lang: str, zone_name: str | None, request: gr.Request):
        view = ctx.services.progress.view(ctx.identity.user_id(request), lang, zone(zone_name))
        return (summary(view, lang), *weak_shown(view, known), patterns_shown(view, lang),
                calibration_shown(view, lang), *shown(view, lang, zone_name))

    outputs = [headline, pick, go, mistakes, calib, bars, ahead, when, table, note]
    quick = ctx.quick_event()
    refresh_btn.click(None, None, [tz], js=TZ_JS, **quick).then(refresh, [ctx.lang, tz], outputs, **quick)
    ctx.on_refresh(refresh, [ctx.lang, tz], outputs)
    return {"refresh": refresh, "inputs": [ctx.lang, tz], "outputs": outputs, "tz": tz, "pick": pick, "go": go}


def link_to_quiz(ctx: UIContext, tabs: Any, progress: dict[str, Any], quiz: dict[str, Any]) -> None:
    """A weak topic's "quiz me" opens the Quiz tab on it ("my weak topics" chosen) and starts the quiz."""
    ops = QuizOps(ctx.services)

    def open_quiz(topic_id: str | None, lang: str, request: gr.Request):
        return quiz_me_on(topic_id, ops.topics(ctx.identity.user_id(request), "weak", lang))

    opened = progress["go"].click(open_quiz, [progress["pick"], ctx.lang], [tabs, quiz["source"], quiz["topic"]],
                                  **ctx.quick_event())
    opened.then(quiz["start"], quiz["start_inputs"], quiz["start_outputs"], **ctx.llm_event())
