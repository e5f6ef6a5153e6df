"""UI stage, Quiz tab layout: choose a topic and questions → answer one at a time → feedback → score.

Also "review due cards": a quiz made of the learner's spaced-repetition cards that are due, its first
question headed by the review reasons of its topics; below, the wrong-answer notebook (``notebook_panel``:
ask a missed question again, review 10 minutes) and the flashcard panel (``cards_panel``): self-rated
review and Anki/Markdown exports.
The quiz session (with its answer keys) stays in server-side state; handlers call ``QuizOps``.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from tutorbot.curriculum.graph import Curriculum
from tutorbot.llm.client import LLMBusy
from tutorbot.ui.cards_panel import build_cards_panel
from tutorbot.ui.choices import confidence_choices, source_choices, type_choices
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import Labels, t
from tutorbot.ui.notebook_panel import build_notebook_panel
from tutorbot.ui.notebook_panel import shown as notebook_shown
from tutorbot.ui.quiz_logic import (
    QuizOps,
    QuizSession,
    feedback_markdown,
    question_markdown,
    score_markdown,
)


def view(session: QuizSession | None, lang: str, curriculum: Curriculum, note: str = "") -> tuple:
    """(question, radio, text box, submit, feedback, next, score, confidence) updates for ``session``; the
    confidence is cleared for each new question and kept, locked, once it is answered."""
    hidden = gr.update(visible=False)
    if session is None or not session.quiz.questions:
        return gr.update(value=note, visible=bool(note)), hidden, hidden, hidden, gr.update(value=""), hidden, "", \
            hidden
    if session.finished:
        return hidden, hidden, hidden, hidden, gr.update(value=note), hidden, score_markdown(session, lang), hidden
    q = session.current
    assert q is not None  # not finished, so there is a current question
    answered = session.answered
    feedback = feedback_markdown(session.results[session.index], lang) if answered else note
    choice = q.type in ("mcq", "tf")
    return (gr.update(value=question_markdown(session, curriculum.name_of(q.topic, lang), lang), visible=True),
            gr.update(choices=q.options, value=None, visible=choice, interactive=not answered),
            gr.update(value="", visible=not choice, interactive=not answered),
            gr.update(visible=not answered), gr.update(value=feedback),
            gr.update(visible=answered), "",
            gr.update(visible=True, interactive=False) if answered else gr.update(value=None, visible=True,
                                                                                   interactive=True))


def _chooser(L: Labels) -> dict[str, Any]:
    source = gr.Radio(source_choices("en"), value="all", label=t("en", "quiz.pick"), elem_id="tb-quiz-source")
    L.add(source, lambda lang: {"label": t(lang, "quiz.pick"), "choices": source_choices(lang)})
    topic = L.add(gr.Dropdown([], label=t("en", "quiz.topic"), elem_id="tb-quiz-topic"), label="quiz.topic")
    count = L.add(gr.Slider(1, 10, value=3, step=1, label=t("en", "quiz.count"), elem_id="tb-quiz-n"),
                  label="quiz.count")
    types = gr.CheckboxGroup(type_choices("en"), value=["mcq", "tf"], label=t("en", "quiz.types"),
                             elem_id="tb-quiz-types")
    L.add(types, lambda lang: {"label": t(lang, "quiz.types"), "choices": type_choices(lang)})
    start = L.add(gr.Button(t("en", "quiz.start"), variant="primary", elem_id="tb-quiz-start"), value="quiz.start")
    due = gr.Markdown(elem_id="tb-quiz-due")
    review = L.add(gr.Button(t("en", "quiz.review"), elem_id="tb-quiz-review"), value="quiz.review")
    return {"source": source, "topic": topic, "count": count, "types": types, "start": start, "due": due,
            "review": review}


def _question_area(L: Labels) -> dict[str, Any]:
    question = gr.Markdown(visible=False, elem_id="tb-quiz-question")
    choice = gr.Radio([], show_label=False, visible=False, elem_id="tb-quiz-choice")
    typed = L.add(gr.Textbox(label=t("en", "quiz.answer"), lines=2, max_length=2000, visible=False,
                             elem_id="tb-quiz-text"), label="quiz.answer")
    sure = gr.Radio(confidence_choices("en"), value=None, label=t("en", "quiz.sure"), visible=False,
                    elem_id="tb-quiz-sure")  # one click, optional: unanswered means "not asked"
    L.add(sure, lambda lang: {"label": t(lang, "quiz.sure"), "choices": confidence_choices(lang)})
    submit = L.add(gr.Button(t("en", "quiz.submit"), variant="primary", visible=False, elem_id="tb-quiz-submit"),
                   value="quiz.submit")
    feedback = gr.Markdown(elem_id="tb-quiz-feedback")
    nxt = L.add(gr.Button(t("en", "quiz.next"), visible=False, elem_id="tb-quiz-next"), value="quiz.next")
    score = gr.Markdown(elem_id="tb-quiz-score")
    return {"question": question, "choice": choice, "typed": typed, "sure": sure, "submit": submit,
            "feedback": feedback, "nxt": nxt, "score": score}


def _layout(L: Labels) -> SimpleNamespace:
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280, elem_classes="tb-form"):
            left = _chooser(L)
        with gr.Column(scale=5, elem_classes="tb-quiz"):
            right = _question_area(L)
    return SimpleNamespace(**left, **right)


def build_quiz_tab(ctx: UIContext) -> dict[str, Any]:
    ops, cur = QuizOps(ctx.services), ctx.services.curriculum
    session = gr.State(None)
    p = _layout(ctx.labels)
    book = build_notebook_panel(ctx.labels)  # missed questions, re-askable
    cards = build_cards_panel(ctx)  # flashcards: self-rated review and exports, below the quiz
    topic, count, types, source, due, choice, typed = p.topic, p.count, p.types, p.source, p.due, p.choice, p.typed
    shown = [p.question, p.choice, p.typed, p.submit, p.feedback, p.nxt, p.score, p.sure]

    def guarded(lang: str, fn: Any) -> tuple[QuizSession | None, str]:
        """Run a service call; its failures become a message in the interface language."""
        try:
            return fn(), ""
        except LLMBusy:
            return None, "⚠ " + t(lang, "err.busy")
        except (ValueError, KeyError, LookupError) as exc:
            return None, "⚠ " + t(lang, "err.generic", why=exc)

    def do_start(src: str, tid: str | None, n: float, qtypes: list[str], lang: str, request: gr.Request):
        if not tid:
            return None, *view(None, lang, cur, t(lang, "quiz.no_topic"))
        uid = ctx.identity.user_id(request)
        new, err = guarded(lang, lambda: ops.start(uid, tid, int(n), qtypes, lang, src))
        if new is not None and not new.quiz.questions:
            new, err = None, t(lang, "quiz.no_questions")
        return new, *view(new, lang, cur, err)

    def do_review(n: float, lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        if not ops.due(uid):
            return None, *view(None, lang, cur, t(lang, "quiz.none_due"))
        new, err = guarded(lang, lambda: ops.review(uid, int(n)))
        return new, *view(new, lang, cur, err or (ops.reasons(uid, new, lang) if new else ""))

    def do_reask(picked: str | None, lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        new, err = guarded(lang, lambda: ops.reask(uid, picked or ""))
        return new, *view(new, lang, cur, err or (ops.reasons(uid, new, lang) if new else ""))

    def do_ten_minutes(lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        new, err = guarded(lang, lambda: ops.ten_minutes(uid))
        if new is not None and not new.quiz.questions:
            return None, *view(None, lang, cur, t(lang, "notebook.nothing"))
        return new, *view(new, lang, cur, err or (ops.reasons(uid, new, lang) if new else ""))

    def book_refresh(picked: str | None, lang: str, request: gr.Request):
        return notebook_shown(ops.notebook(ctx.identity.user_id(request)), picked, cur, lang)

    def do_submit(state: QuizSession | None, picked: str | None, text: str, sure: int | None, lang: str,
                  request: gr.Request):
        uid = ctx.identity.user_id(request)  # first: even the early returns show the session's state
        if state is None or state.current is None:
            return state, *view(state, lang, cur)
        given = (picked if state.current.type in ("mcq", "tf") else text) or ""
        if not given.strip():
            return state, *view(state, lang, cur, "⚠ " + t(lang, "quiz.empty_answer"))
        after, err = guarded(lang, lambda: ops.answer(uid, state, given, sure))
        return (after or state), *view(after or state, lang, cur, err)

    def due_line(uid: int, lang: str) -> str:
        n = ops.due(uid)
        return t(lang, "quiz.due", n=n) if n else t(lang, "quiz.none_due")

    def do_next(state: QuizSession | None, src: str, picked: str | None, lang: str, request: gr.Request):
        if state is not None:
            state = state.model_copy(update={"index": state.index + 1})
        # A finished quiz has just scheduled its cards and may have made topics weak: due count and topics change.
        ended = state is not None and state.finished
        return (state, *view(state, lang, cur), due_line(ctx.identity.user_id(request), lang),
                topics(src, picked, lang, request) if ended else gr.update())

    def topics(src: str, picked: str | None, lang: str, request: gr.Request):
        """The topics of ``src``; the learner's pick stays picked while it is one of them."""
        choices = ops.topics(ctx.identity.user_id(request), src, lang)
        keep = picked if picked in {v for _, v in choices} else None
        return gr.update(choices=choices, value=keep or (choices[0][1] if choices else None))

    def refresh(src: str, picked: str | None, state: QuizSession | None, lang: str, request: gr.Request):
        due_now = due_line(ctx.identity.user_id(request), lang)
        return topics(src, picked, lang, request), due_now, *view(state, lang, cur)

    llm, quick = ctx.llm_event(), ctx.quick_event()
    start_inputs, start_outputs = [source, topic, count, types, ctx.lang], [session, *shown]
    p.start.click(do_start, start_inputs, start_outputs, **llm)
    p.review.click(do_review, [count, ctx.lang], [session, *shown], **llm)
    p.submit.click(do_submit, [session, choice, typed, p.sure, ctx.lang], [session, *shown], **llm)
    typed.submit(do_submit, [session, choice, typed, p.sure, ctx.lang], [session, *shown], **llm)
    # A finished quiz has made new cards: the flashcard exports are written again.
    p.nxt.click(do_next, [session, source, topic, ctx.lang], [session, *shown, due, topic], **quick).then(
        cards["refresh"], cards["inputs"], cards["outputs"], **quick)
    source.change(topics, [source, topic, ctx.lang], topic, **quick)
    book_parts = [book.pick, book.entry, book.ask]
    book.ask.click(do_reask, [book.pick, ctx.lang], [session, *shown], **quick)
    book.session.click(do_ten_minutes, [ctx.lang], [session, *shown], **quick)
    book.pick.input(book_refresh, [book.pick, ctx.lang], book_parts, **quick)
    p.nxt.click(book_refresh, [book.pick, ctx.lang], book_parts, **quick)  # a finished answer may be a new miss
    ctx.on_refresh(book_refresh, [book.pick, ctx.lang], book_parts)
    for rated in cards["rated"]:  # a rated flashcard is no longer due
        rated.then(lambda lang, request: due_line(ctx.identity.user_id(request), lang), [ctx.lang], [due], **quick)
    inputs, outputs = [source, topic, session, ctx.lang], [topic, due, *shown]
    ctx.on_refresh(refresh, inputs, outputs)
    return {"refresh": refresh, "inputs": inputs, "outputs": outputs, "parts": [cards], "source": source,
            "topic": topic, "start": do_start, "start_inputs": start_inputs, "start_outputs": start_outputs}
