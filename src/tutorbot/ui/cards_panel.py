"""UI stage, Quiz tab's flashcard panel: review due cards one at a time (reveal, rate Again/Hard/Good/Easy)
and download the learner's cards for Anki (.apkg) or as Markdown, all topics or one.

Every call goes to the quiz service's ``CardDesk``, the one the CLI's ``review --self`` and
``export-anki`` use; ``cards_logic`` shapes what it returns. Export files are written per learner
and handed out through the queue, so ``web.WebGuard`` serves each only to the learner it went to.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import gradio as gr

from tutorbot.quiz.cards import CardDesk
from tutorbot.ui.cards_logic import RATINGS, FlashSession, card_markdown, safe_topic, write_exports
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import Labels, t


def _layout(L: Labels) -> SimpleNamespace:
    L.add(gr.Markdown(t("en", "cards.title"), elem_id="tb-cards-title"), value="cards.title")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280, elem_classes="tb-form"):
            start = L.add(gr.Button(t("en", "cards.start"), elem_id="tb-flash-start"), value="cards.start")
            topic = L.add(gr.Dropdown([(t("en", "cards.all_topics"), "")], value="", elem_id="tb-cards-topic",
                                      label=t("en", "cards.export_topic")), label="cards.export_topic")
            anki = L.add(gr.DownloadButton(t("en", "cards.export_anki"), size="sm", interactive=False,
                                           elem_id="tb-export-anki"), label="cards.export_anki")
            md = L.add(gr.DownloadButton(t("en", "cards.export_md"), size="sm", interactive=False,
                                         elem_id="tb-export-md"), label="cards.export_md")
        with gr.Column(scale=5):
            card = gr.Markdown(elem_id="tb-flash-card")
            reveal = L.add(gr.Button(t("en", "cards.reveal"), visible=False, elem_id="tb-flash-reveal"),
                           value="cards.reveal")
            with gr.Row():
                rates = [L.add(gr.Button(t("en", f"cards.{r}"), visible=False, elem_id=f"tb-flash-{r}"),
                               value=f"cards.{r}") for r in RATINGS]
    return SimpleNamespace(start=start, topic=topic, anki=anki, md=md, card=card, reveal=reveal, rates=rates)


def view(session: FlashSession | None, lang: str, name_of: Any) -> list[Any]:
    """(card, reveal, again, hard, good, easy) updates for ``session``."""
    card = session.current if session else None
    text = card_markdown(session, name_of(card.topic, lang) if card else "", lang)
    shown = card is not None and session is not None and session.revealed
    return [text, gr.update(visible=card is not None and not shown),
            *[gr.update(visible=shown) for _ in RATINGS]]


def desk_of(quizzes: Any) -> CardDesk | None:
    """The quiz service's flashcard desk; None when quizzes could not start (``context.Unavailable``)."""
    found = getattr(quizzes, "cards", None)
    return found if isinstance(found, CardDesk) else None


def build_cards_panel(ctx: UIContext) -> dict[str, Any]:
    cur = ctx.services.curriculum

    def desk() -> CardDesk:
        found = desk_of(ctx.services.quizzes)
        if found is None:  # the quiz service's own reason (e.g. a broken curriculum) is shown by its tab
            raise gr.Error(getattr(ctx.services.quizzes, "why", "flashcards are unavailable"), print_exception=False)
        return found
    exports = Path(tempfile.mkdtemp(prefix="tutorbot-cards-"))  # Gradio serves returned files from the temp dir
    session = gr.State(None)
    p = _layout(ctx.labels)
    shown = [p.card, p.reveal, *p.rates]

    def files(topic: str | None, request: gr.Request) -> tuple[Any, Any]:
        uid = ctx.identity.user_id(request)
        chosen = safe_topic(topic, desk().topics(uid))
        made = write_exports(desk(), uid, chosen, exports / str(uid))
        if made is None:
            return gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)
        return gr.update(value=str(made[0]), interactive=True), gr.update(value=str(made[1]), interactive=True)

    def topics(topic: str | None, lang: str, request: gr.Request) -> Any:
        known = desk().topics(ctx.identity.user_id(request))
        choices = [(t(lang, "cards.all_topics"), ""), *[(cur.name_of(x, lang), x) for x in known]]
        return gr.update(choices=choices, value=safe_topic(topic, known) or "")

    def do_start(lang: str, request: gr.Request) -> list[Any]:
        new = FlashSession(cards=desk().due(ctx.identity.user_id(request)))
        return [new, *view(new, lang, cur.name_of)]

    def do_reveal(state: FlashSession | None, lang: str) -> list[Any]:
        after = state.reveal() if state else None
        return [after, *view(after, lang, cur.name_of)]

    def do_rate(rating: str) -> Any:
        def handler(state: FlashSession | None, lang: str, request: gr.Request) -> list[Any]:
            card = state.current if state and state.revealed else None
            if state is None or card is None:
                return [state, *view(state, lang, cur.name_of)]
            desk().rate(ctx.identity.user_id(request), card.question_id, rating)
            after = state.advance()
            return [after, *view(after, lang, cur.name_of)]
        return handler

    def refresh(topic: str | None, state: FlashSession | None, lang: str, request: gr.Request) -> list[Any]:
        if desk_of(ctx.services.quizzes) is None:  # nothing to export; the Quiz tab says why
            return [gr.update(), gr.update(interactive=False), gr.update(interactive=False), *view(None, lang, None)]
        return [topics(topic, lang, request), *files(topic, request), *view(state, lang, cur.name_of)]

    quick = ctx.quick_event()
    p.start.click(do_start, [ctx.lang], [session, *shown], **quick)
    p.reveal.click(do_reveal, [session, ctx.lang], [session, *shown], **quick)
    rated = [button.click(do_rate(rating), [session, ctx.lang], [session, *shown], **quick)
             for rating, button in zip(RATINGS, p.rates, strict=True)]
    p.topic.input(files, [p.topic], [p.anki, p.md], **quick)
    inputs, outputs = [p.topic, session, ctx.lang], [p.topic, p.anki, p.md, *shown]
    ctx.on_refresh(refresh, inputs, outputs)
    return {"refresh": refresh, "inputs": inputs, "outputs": outputs, "rated": rated}
