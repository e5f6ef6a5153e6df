"""UI stage, Plan tab layout: describe yourself → check what was read → profile form → week-by-week plan;
mark progress, re-plan, export.

Handlers are thin: they turn the form into a ``LearnerProfile`` (``plan_logic.PlanForm``), call
``PlanOps`` and render with ``plan_view``. A description fills the form and shows, field by field, what
was read and from which words; the learner corrects the form before the plan is built. The chat tab
can open this tab pre-filled from a "make me a plan: …" message (``fill_from_draft``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from tutorbot.chat.markdown import escape
from tutorbot.plans.models import ProfileDraft
from tutorbot.plans.service import needs_guidance
from tutorbot.plans.understood import understood
from tutorbot.store.rows import TopicStatus
from tutorbot.ui.choices import goal_choices, kind_choices, topic_choices
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import Labels, t
from tutorbot.ui.plan_logic import (
    PlanForm,
    plan_topics,
)
from tutorbot.ui.plan_view import plan_html, understood_html


def _profile_form(L: Labels, cur: Any) -> dict[str, Any]:
    L.add(gr.Markdown(t("en", "plan.profile")), value="plan.profile")
    with gr.Accordion(t("en", "plan.describe"), open=True) as describe_box:
        about = L.add(gr.Textbox(show_label=False, lines=3, max_length=4000, placeholder=t("en", "plan.describe_ph"),
                                 elem_id="tb-describe"), placeholder="plan.describe_ph")
        fill = L.add(gr.Button(t("en", "plan.fill"), size="sm", elem_id="tb-fill"), value="plan.fill")
        read = gr.HTML(elem_id="tb-understood")
    L.add(describe_box, label="plan.describe")
    known = gr.CheckboxGroup(topic_choices(cur, "en"), label=t("en", "plan.known"), elem_id="tb-known")
    learn = gr.CheckboxGroup(topic_choices(cur, "en"), label=t("en", "plan.learn"), elem_id="tb-learn")
    goal = gr.Dropdown(goal_choices(cur, "en"), value="understand_llms", label=t("en", "plan.goal"), elem_id="tb-goal")
    area = L.add(gr.Textbox(label=t("en", "plan.area"), max_lines=1, max_length=80), label="plan.area")
    with gr.Row():
        hours = L.add(gr.Number(8, label=t("en", "plan.hours"), minimum=1, maximum=80, precision=0, elem_id="tb-hours"),
                      label="plan.hours")
        weeks = L.add(gr.Number(12, label=t("en", "plan.weeks"), minimum=1, maximum=104, precision=0,
                                elem_id="tb-weeks"), label="plan.weeks")
    kinds = gr.CheckboxGroup(kind_choices("en"), label=t("en", "plan.kinds"), elem_id="tb-kinds")
    plan_lang = L.add(gr.Radio([("English", "en"), ("中文", "zh")], value="en", label=t("en", "plan.language"),
                               elem_id="tb-plan-lang"),
                      lambda lang: {"label": t(lang, "plan.language"), "value": lang})  # a saved profile's wins
    fill_weeks = L.add(gr.Checkbox(True, label=t("en", "plan.fill_weeks"), elem_id="tb-fill-weeks"),
                       label="plan.fill_weeks")
    overview = L.add(gr.Checkbox(False, label=t("en", "plan.overview_only"), elem_id="tb-overview"),
                     label="plan.overview_only")
    not_covered = gr.State([])  # requests the roadmaps do not cover, read from the text (shown in the plan)
    L.add(known, lambda lang: {"label": t(lang, "plan.known"), "choices": topic_choices(cur, lang)})
    L.add(learn, lambda lang: {"label": t(lang, "plan.learn"), "choices": topic_choices(cur, lang)})
    L.add(goal, lambda lang: {"label": t(lang, "plan.goal"), "choices": goal_choices(cur, lang)})
    L.add(kinds, lambda lang: {"label": t(lang, "plan.kinds"), "choices": kind_choices(lang)})
    return {"about": about, "fill": fill, "read": read,
            "form": [known, learn, goal, area, hours, weeks, kinds, plan_lang, fill_weeks, overview, not_covered]}


def _plan_controls(L: Labels) -> dict[str, Any]:
    with gr.Row():
        make = L.add(gr.Button(t("en", "plan.make"), variant="primary", elem_id="tb-make-plan"), value="plan.make")
        replan = L.add(gr.Button(t("en", "plan.replan"), elem_id="tb-replan"), value="plan.replan")
    L.add(gr.Markdown(t("en", "plan.mark")), value="plan.mark")
    mark_topics = gr.Dropdown([], multiselect=True, label=t("en", "plan.mark_topics"), elem_id="tb-mark")
    L.add(mark_topics, lambda lang: {"label": t(lang, "plan.mark_topics")})
    with gr.Row():
        done = L.add(gr.Button(t("en", "plan.mark_done"), size="sm"), value="plan.mark_done")
        known = L.add(gr.Button(t("en", "plan.mark_known"), size="sm"), value="plan.mark_known")
        clear = L.add(gr.Button(t("en", "plan.mark_clear"), size="sm"), value="plan.mark_clear")
    export = L.add(gr.DownloadButton(t("en", "plan.export"), size="sm", elem_id="tb-export"), label="plan.export")
    return {"make": make, "replan": replan, "mark_topics": mark_topics, "done": done, "known_btn": known,
            "clear": clear, "export": export}


def _layout(L: Labels, cur: Any) -> SimpleNamespace:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=360, elem_classes="tb-form"):
            parts = {**_profile_form(L, cur), **_plan_controls(L)}
        with gr.Column(scale=5):
            parts["note"] = gr.Markdown(elem_id="tb-plan-note")
            parts["view"] = gr.HTML(plan_html(None, {}, "en"), elem_id="tb-plan")
    return SimpleNamespace(**parts)


def build_plan_tab(ctx: UIContext) -> dict[str, Any]:
    cur, plans = ctx.services.curriculum, ctx.services.plans
    exports = Path(tempfile.mkdtemp(prefix="tutorbot-plans-"))  # Gradio serves returned files from the temp dir
    p = _layout(ctx.labels, cur)
    form, note, view, mark_topics, export = p.form, p.note, p.view, p.mark_topics, p.export

    def shown(uid: int, lang: str, message: str = "") -> tuple:
        plan, marks = plans.current(uid), plans.marks(uid)
        markdown = plans.export_markdown(uid) if plan else None
        return (message, plan_html(plan, marks, lang),
                gr.update(choices=topic_choices(cur, lang, plan_topics(plan)), value=[]),
                export_file(markdown, exports / str(uid)))

    outs = [note, view, mark_topics, export]

    def submit(replan_: bool, lang: str, values: tuple, request: gr.Request) -> tuple:
        uid = ctx.identity.user_id(request)
        try:
            profile = form_profile(values, lang, cur)
        except ValueError as exc:
            return ("⚠ " + t(lang, "err.generic", why=escape(str(exc))), *shown(uid, lang)[1:])
        # Re-planning keeps the weeks already behind the learner; without a plan there is nothing to keep.
        # The deterministic plan shows at once; the model's advice follows in ``do_guidance``.
        if not replan_ or plans.replan(uid, profile) is None:
            plans.create(uid, profile, guidance=False)
        return shown(uid, lang, t(lang, "plan.writing") if needs_guidance(plans.current(uid)) else "")

    def do_guidance(lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        plan = plans.add_guidance(uid)
        markdown = plans.export_markdown(uid) if plan else None
        return "", plan_html(plan, plans.marks(uid), lang), export_file(markdown, exports / str(uid))

    def do_make(lang: str, kn: list, le: list, gl: str, ar: str, hr: float, wk: float, kd: list, pl: str,
                fw: bool, ov: bool, nc: list, request: gr.Request):
        return submit(False, lang, (kn, le, gl, ar, hr, wk, kd, pl, fw, ov, nc), request)

    def do_replan(lang: str, kn: list, le: list, gl: str, ar: str, hr: float, wk: float, kd: list, pl: str,
                  fw: bool, ov: bool, nc: list, request: gr.Request):
        return submit(True, lang, (kn, le, gl, ar, hr, wk, kd, pl, fw, ov, nc), request)

    def do_mark(status: TopicStatus | None):
        def handler(topics: list[str], lang: str, request: gr.Request):
            uid = ctx.identity.user_id(request)
            for topic in [x for x in topics or [] if x in cur.ids]:
                plans.mark(uid, topic, status)  # marks, then re-plans the weeks still ahead
            return shown(uid, lang, t(lang, "plan.marked", n=len(topics or [])))
        return handler

    def do_fill(text: str, lang: str):
        try:
            draft = plans.draft(text or "", refine=True)
        except ValueError as exc:
            return (*[gr.update()] * len(form), "", "⚠ " + t(lang, "err.generic", why=escape(str(exc))))
        rows = understood(draft, cur, "zh" if lang == "zh" else "en")
        return (*form_values(draft), understood_html(rows, lang), t(lang, "plan.filled"))

    def refresh(lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        profile = saved_profile(plans, uid)
        values = form_updates(PlanForm.from_profile(profile)) if profile else [gr.update()] * len(form)
        return (*values, *shown(uid, lang))

    llm, quick = ctx.llm_event(), ctx.quick_event()
    # The plan stays readable (not greyed out) while the model writes its advice.
    advise = {**llm, "show_progress": "hidden"}
    for button, handler in ((p.make, do_make), (p.replan, do_replan)):
        button.click(handler, [ctx.lang, *form], outs, **quick).then(do_guidance, [ctx.lang], [note, view, export],
                                                                     **advise)
    marks: list[tuple[Any, TopicStatus | None]] = [(p.done, "done"), (p.known_btn, "known"), (p.clear, None)]
    for button, status in marks:
        button.click(do_mark(status), [mark_topics, ctx.lang], outs, **quick)
    p.fill.click(do_fill, [p.about, ctx.lang], [*form, p.read, note], **llm)
    ctx.on_refresh(refresh, [ctx.lang], [*form, *outs])
    def fill_for_learner(data: dict | None, request: gr.Request) -> list[Any]:
        ctx.identity.user(request)  # the draft is page state: only the login that owns the page reads it
        return fill_from_draft(data)

    return {"form": form, "note": note, "fill_from_draft": fill_for_learner}


def fill_from_draft(data: dict | None) -> list[Any]:
    """Form updates for a profile draft the chat read from a "make me a plan" message."""
    return form_values(ProfileDraft.model_validate(data)) if data else [gr.update()] * len(PlanForm.model_fields)


def form_profile(values: tuple, lang: str, cur: Any) -> Any:
    """The form's raw values (in ``PlanForm`` field order) as a checked ``LearnerProfile``."""
    known, learn, goal, area, hours, weeks, kinds, plan_lang, fill_weeks, overview, not_covered = values
    return PlanForm(known=known or [], learn=learn or [], goal=goal or "", area=area or "",
                    hours_per_week=hours or 0, weeks=weeks or 0, preferred_kinds=kinds or [],
                    language=plan_lang or lang, fill_weeks=fill_weeks is not False, overview=bool(overview),
                    not_covered=not_covered or []).to_profile(cur)


def saved_profile(plans: Any, user_id: int) -> Any:
    """The learner's saved profile, or None when there is none (or it no longer validates)."""
    try:
        return plans.profile(user_id)
    except ValueError:
        return None


def form_values(draft: ProfileDraft) -> list[Any]:
    return form_updates(PlanForm.from_profile(draft.to_profile()))


def form_updates(form: PlanForm) -> list[Any]:
    return [gr.update(value=form.known), gr.update(value=form.learn), gr.update(value=form.goal),
            gr.update(value=form.area), gr.update(value=form.hours_per_week), gr.update(value=form.weeks),
            gr.update(value=form.preferred_kinds), gr.update(value=form.language),
            gr.update(value=form.fill_weeks), gr.update(value=form.overview), form.not_covered]


def export_file(markdown: str | None, folder: Path) -> Any:
    """The plan as a Markdown file for the download button (one file per learner, rewritten)."""
    if markdown is None:
        return gr.update(value=None, interactive=False)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "study-plan.md"
    path.write_text(markdown, encoding="utf-8")
    return gr.update(value=str(path), interactive=True)
