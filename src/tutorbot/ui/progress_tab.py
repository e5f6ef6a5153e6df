"""UI stage, Progress tab: mastery per topic (bar chart), due reviews ahead (line chart),
quiz history (table) and the learner's streak.

Mastery comes from the QuizService, the rest from the learner store through the pure ``srs``
functions; this module only shapes them into data frames for Gradio's native plot components.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import gradio as gr
from pydantic import BaseModel

from tutorbot.curriculum.graph import Curriculum
from tutorbot.learner.srs import TopicMastery, forecast, streak
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import t

FORECAST_DAYS = 14
HISTORY_ROWS = 200


class HistoryRow(BaseModel):
    when: datetime
    topic: str
    question: str
    score: float
    correct: bool


class ProgressView(BaseModel):
    mastery: list[tuple[str, float]]  # (topic name, percent), weakest first
    due: list[tuple[date, int]]
    history: list[HistoryRow]
    streak: int
    attempts: int
    cards: int


def topic_name(curriculum: Curriculum | None, tid: str, lang: str) -> str:
    if curriculum is None or tid not in curriculum.ids:
        return tid
    return curriculum.topic(tid).name.get("zh" if lang == "zh" else "en")


def progress_view(store: Any, user_id: int, report: dict[str, TopicMastery], curriculum: Curriculum | None,
                  now: datetime, lang: str) -> ProgressView:
    """Everything the tab shows for one learner; ``report`` is the QuizService's mastery."""
    attempts, cards = store.attempts(user_id), store.cards(user_id)
    mastery = sorted(((topic_name(curriculum, m.topic, lang), round(100 * m.score, 1)) for m in report.values()),
                     key=lambda x: (x[1], x[0]))
    active = [a.created_at for a in attempts] + [r.reviewed_at for r in store.review_log(user_id)]
    history = [HistoryRow(when=a.created_at, topic=topic_name(curriculum, a.topic, lang),
                          question=str(a.question.get("question", ""))[:120], score=a.score, correct=a.correct)
               for a in attempts[:HISTORY_ROWS]]
    return ProgressView(mastery=mastery, due=forecast(cards, now, FORECAST_DAYS), history=history,
                        streak=streak(active, now.date()), attempts=len(attempts), cards=len(cards))


def frames(view: ProgressView, lang: str) -> tuple[Any, Any, Any]:
    """(mastery, forecast, history) data frames; history columns are in the interface language."""
    import pandas as pd

    # Explicit dtypes: an empty first frame must not make the chart treat mastery as a category.
    mastery = pd.DataFrame({"topic": pd.Series([n for n, _ in view.mastery], dtype=object),
                            "mastery": pd.Series([m for _, m in view.mastery], dtype=float)})
    due = pd.DataFrame({"day": pd.to_datetime([d for d, _ in view.due]),
                        "due": pd.Series([n for _, n in view.due], dtype=int)})
    cols = [t(lang, k) for k in ("col.when", "col.topic", "col.question", "col.score", "col.correct")]
    rows = [(r.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), r.topic, r.question, f"{round(100 * r.score)}%",
             "✔" if r.correct else "✘") for r in view.history]
    return mastery, due, pd.DataFrame(rows, columns=cols)


def summary(view: ProgressView, lang: str) -> str:
    if not view.attempts and not view.cards:
        return t(lang, "progress.empty")
    return t(lang, "progress.streak", n=view.streak, attempts=view.attempts, cards=view.cards)


def build_progress_tab(ctx: UIContext) -> dict[str, Any]:
    L = ctx.labels
    with gr.Row():
        headline = gr.Markdown(elem_id="tb-streak")
        refresh_btn = L.add(gr.Button(t("en", "progress.refresh"), size="sm", scale=0), value="progress.refresh")
    with gr.Row():
        bars = gr.BarPlot(x="topic", y="mastery", y_lim=[0, 100], height=380, label=t("en", "progress.mastery"),
                          x_title=" ", y_title="%", sort="y", elem_id="tb-mastery", x_label_angle=-30)
        line = gr.LinePlot(x="day", y="due", height=380, label=t("en", "progress.forecast"), x_title=" ",
                           y_title=t("en", "col.due"), elem_id="tb-forecast")
    L.add(bars, label="progress.mastery")
    L.add(line, lambda lang: {"label": t(lang, "progress.forecast"), "y_title": t(lang, "col.due")})
    table = L.add(gr.Dataframe(label=t("en", "progress.history"), interactive=False, wrap=True, elem_id="tb-history",
                               max_height=360, column_widths=["15%", "22%", "47%", "8%", "8%"]),
                  label="progress.history")

    def refresh(lang: str, request: gr.Request):
        c, uid = ctx.container, ctx.identity.user_id(request)
        view = progress_view(c.store, uid, c.quizzes.mastery(uid), c.curriculum, datetime.now(UTC), lang)
        return (summary(view, lang), *frames(view, lang))

    outputs = [headline, bars, line, table]
    refresh_btn.click(refresh, [ctx.lang], outputs, **ctx.quick_event())
    ctx.on_refresh(refresh, [ctx.lang], outputs)
    return {"refresh": refresh, "inputs": [ctx.lang], "outputs": outputs}
