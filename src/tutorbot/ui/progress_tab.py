"""UI stage, Progress tab: mastery per topic (bar chart), due reviews ahead (line chart),
quiz history (table) and the learner's streak.

Everything shown comes from the learner's ``Progress`` (``learner/progress.py``); this module only
shapes it into data frames for Gradio's native plot components. A chart with nothing to draw is
hidden behind a plain sentence (an empty plot shows a "0.000000" axis), and times are shown in the
browser's time zone (read by the page when the tab opens; UTC until then).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import gradio as gr

from tutorbot.learner.progress import ProgressView
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import t

TZ_JS = "() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { return ''; } }"


def zone(name: str | None) -> tzinfo:
    """The browser's IANA time zone, or UTC for an empty or unknown name."""
    try:
        return ZoneInfo(name) if name and len(name) <= 64 else UTC
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return UTC


def frames(view: ProgressView, lang: str, tz: str | None = None) -> tuple[Any, Any, Any]:
    """(mastery, forecast, history) data frames; history columns are in the interface language and its
    times in the time zone ``tz`` (UTC when not given)."""
    import pandas as pd

    # Explicit dtypes: an empty first frame must not make the chart treat mastery as a category.
    mastery = pd.DataFrame({"topic": pd.Series([n for n, _ in view.mastery], dtype=object),
                            "mastery": pd.Series([m for _, m in view.mastery], dtype=float)})
    due = pd.DataFrame({"day": pd.to_datetime([d for d, _ in view.due]),
                        "due": pd.Series([n for _, n in view.due], dtype=int)})
    cols = [t(lang, k) for k in ("col.when", "col.topic", "col.question", "col.score", "col.correct")]
    rows = [(r.when.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M"), r.topic, r.question, f"{round(100 * r.score)}%",
             "✔" if r.correct else "✘") for r in view.history]
    return mastery, due, pd.DataFrame(rows, columns=cols)


def shown(view: ProgressView, lang: str, tz: str | None = None) -> list[Any]:
    """Updates for (bars, line, table, note): a chart only when it has something to draw, else the note."""
    mastery, due, history = frames(view, lang, tz)
    reviews = any(n for _, n in view.due)
    note = "" if reviews else t(lang, "progress.no_reviews")
    return [gr.update(value=mastery, visible=bool(view.mastery)), gr.update(value=due, visible=reviews),
            gr.update(value=history, visible=bool(view.history)), gr.update(value=note, visible=bool(note))]


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
                          x_title=" ", y_title="%", sort="y", elem_id="tb-mastery", x_label_angle=-30,
                          visible=False)
        line = gr.LinePlot(x="day", y="due", height=380, label=t("en", "progress.forecast"), x_title=" ",
                           y_title=t("en", "col.due"), elem_id="tb-forecast", visible=False)
    L.add(bars, label="progress.mastery")
    L.add(line, lambda lang: {"label": t(lang, "progress.forecast"), "y_title": t(lang, "col.due")})
    table = L.add(gr.Dataframe(label=t("en", "progress.history"), interactive=False, wrap=True, elem_id="tb-history",
                               max_height=360, column_widths=["15%", "22%", "47%", "8%", "8%"], visible=False),
                  label="progress.history")
    note = gr.Markdown(elem_id="tb-progress-empty")
    tz = gr.Textbox(visible=False, elem_id="tb-tz")  # the browser's time zone, filled by TZ_JS

    def refresh(lang: str, zone_name: str | None, request: gr.Request):
        view = ctx.services.progress.view(ctx.identity.user_id(request), lang)
        return (summary(view, lang), *shown(view, lang, zone_name))

    outputs = [headline, bars, line, table, note]
    quick = ctx.quick_event()
    refresh_btn.click(None, None, [tz], js=TZ_JS, **quick).then(refresh, [ctx.lang, tz], outputs, **quick)
    ctx.on_refresh(refresh, [ctx.lang, tz], outputs)
    return {"refresh": refresh, "inputs": [ctx.lang, tz], "outputs": outputs, "tz": tz}
