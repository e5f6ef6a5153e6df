"""UI stage, Chat tab layout: conversation list (dated, searchable), streamed chatbot, options and the plan offer.

Only wiring lives here; ``chat_logic.ChatController`` does the work. Handlers always take the
learner from the signed request (``ctx.identity``), so a conversation id sent by the browser
can only ever open one of that learner's own conversations. Deleting (the Delete button or the
chatbot's trash icon) deletes the conversation from the store, not only from the screen.

Stop does not cancel the Gradio event: the browser's cancel races the cancelled generator's last
messages (one arrives with no data, the client throws on it) and the event's outputs, the chatbot and
the list, get red "Error" badges. Stop sets this page's flag instead, and the answer ends itself at the
model's next chunk, as a normal finish.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import gradio as gr
from gradio.components.chatbot import ExampleMessage

from tutorbot.chat.markdown import escape
from tutorbot.chat.service import MAX_QUESTION_CHARS
from tutorbot.ui.chat_logic import ChatController, listed
from tutorbot.ui.choices import answer_lang_choices
from tutorbot.ui.context import UIContext
from tutorbot.ui.dates import TZ_JS
from tutorbot.ui.i18n import Labels, t
from tutorbot.ui.plan_logic import draft_summary

CHAT_HEIGHT = 560
# A runaway paste stops in the browser; anything over the service's limit still reaches it, so the
# service cuts the question and the answer says so (a box as long as the limit would cut silently).
BOX_MAX_CHARS = 25 * MAX_QUESTION_CHARS


def examples(lang: str) -> list[ExampleMessage]:
    return [{"text": q} for q in t(lang, "chat.examples").split("|")]


@dataclass
class ChatParts:
    """The tab's components, as laid out by ``_layout``."""

    convs: Any
    search: Any
    new: Any
    title: Any
    rename: Any
    delete: Any
    bot: Any
    box: Any
    send: Any
    stop: Any
    answer_lang: Any
    socratic: Any
    offer_row: Any
    offer: Any
    open_plan: Any


def _sidebar(L: Labels) -> dict[str, Any]:
    L.add(gr.Markdown(f"#### {t('en', 'chat.conversations')}"),
          lambda lang: {"value": f"#### {t(lang, 'chat.conversations')}"})
    new = L.add(gr.Button(t("en", "chat.new"), size="sm", variant="secondary"), value="chat.new")
    search = L.add(gr.Textbox(placeholder=t("en", "chat.search"), show_label=False, max_lines=1, max_length=200,
                              container=False, elem_id="tb-conv-search"), placeholder="chat.search")
    convs = gr.Radio(choices=[], show_label=False, container=False, elem_id="tb-convs", elem_classes="tb-convs")
    title = L.add(gr.Textbox(label=t("en", "chat.title_box"), max_lines=1, max_length=200), label="chat.title_box")
    with gr.Row():
        rename = L.add(gr.Button(t("en", "chat.rename"), size="sm"), value="chat.rename")
        delete = L.add(gr.Button(t("en", "chat.delete"), size="sm", variant="stop"), value="chat.delete")
    return {"convs": convs, "search": search, "new": new, "title": title, "rename": rename, "delete": delete}


def _conversation(L: Labels) -> dict[str, Any]:
    bot = gr.Chatbot(value=[], height=CHAT_HEIGHT, sanitize_html=True, allow_tags=False, show_label=False,
                     elem_id="tb-chatbot", buttons=["copy"], feedback_options=None, layout="bubble",
                     placeholder=t("en", "chat.welcome"), examples=examples("en"))
    L.add(bot, lambda lang: {"placeholder": t(lang, "chat.welcome"), "examples": examples(lang)})
    with gr.Row(equal_height=True):
        box = L.add(gr.Textbox(placeholder=t("en", "chat.input"), show_label=False, scale=6, lines=1, max_lines=6,
                               max_length=BOX_MAX_CHARS, elem_id="tb-question", autofocus=True),
                    placeholder="chat.input")
        send = L.add(gr.Button(t("en", "chat.send"), variant="primary", scale=1, min_width=90, elem_id="tb-send"),
                     value="chat.send")
        stop = L.add(gr.Button(t("en", "chat.stop"), variant="stop", scale=1, min_width=90, visible=False,
                               elem_id="tb-stop"), value="chat.stop")
    with gr.Row():
        answer_lang = gr.Radio(answer_lang_choices("en"), value="auto", label=t("en", "chat.answer_lang"), scale=1,
                               elem_id="tb-answer-lang")
        L.add(answer_lang, lambda lang: {"label": t(lang, "chat.answer_lang"), "choices": answer_lang_choices(lang)})
        socratic = L.add(gr.Checkbox(label=t("en", "chat.socratic"), value=False, scale=2, elem_id="tb-socratic"),
                         label="chat.socratic")
    with gr.Row(visible=False, elem_classes="tb-offer") as offer_row:
        offer = gr.Markdown()
        open_plan = L.add(gr.Button(t("en", "chat.open_plan"), variant="primary", scale=0, elem_id="tb-open-plan"),
                          value="chat.open_plan")
    return {"bot": bot, "box": box, "send": send, "stop": stop, "answer_lang": answer_lang, "socratic": socratic,
            "offer_row": offer_row, "offer": offer, "open_plan": open_plan}


def _layout(L: Labels) -> ChatParts:
    # The conversation list sits in a drawer (an accordion, closed on phones by ``page_js``): on a phone
    # the columns stack, and an open list would push the question box far below the first screen.
    with gr.Row(equal_height=False, elem_classes="tb-chat-row"):
        with gr.Column(scale=1, min_width=220, elem_classes="tb-sidebar"):
            with gr.Accordion(t("en", "chat.conversations"), open=True, elem_id="tb-convs-drawer") as drawer:
                side = _sidebar(L)
            L.add(drawer, label="chat.conversations")
        with gr.Column(scale=4):
            main = _conversation(L)
    return ChatParts(**side, **main)


def build_chat_tab(ctx: UIContext) -> dict[str, Any]:
    c = ctx.services
    allowed = {e.url for e in c.catalog if e.url}
    ctl = ChatController(c.chat, c.conversations, allowed, 1.0 / c.settings.ui.updates_per_second)
    p = _layout(ctx.labels)
    conv_id, shown, draft, pending = gr.State(None), gr.State([]), gr.State(None), gr.State("")
    tz = gr.Textbox(visible=False, elem_id="tb-chat-tz")  # the browser's time zone, filled by TZ_JS on load
    stops: dict[str | None, threading.Event] = {}  # per page (session): set by Stop, read by the running answer

    def listing(uid: int, conv: str | None, query: str, zone: str, lang: str) -> Any:
        choices = ctl.conversations(uid, query, lang=lang, tz=zone)
        return gr.update(choices=choices, value=listed(choices, conv))

    def ask(message: str, history: list, conv: str | None, alang: str, soc: bool, lang: str, query: str, zone: str,
            request: gr.Request):
        uid, flag = ctx.identity.user_id(request), stops.get(request.session_hash) or threading.Event()
        hide = gr.update(visible=False)
        answer, conv_now = None, conv
        steps = ctl.ask(uid, conv, message, history, lang=lang, answer_lang=alang, socratic=soc, stop=flag.is_set)
        try:
            for step in steps:
                now, conv_now, answer = step  # the last step's answer decides the plan offer below
                yield now, now, conv_now, gr.update(), hide, gr.update(), None
        finally:
            if stops.get(request.session_hash) is flag:  # not a flag the next question already set up
                stops.pop(request.session_hash)
        offer_text, draft_value = plan_offer(message, lang, uid) if answer else (None, None)
        choices = listing(uid, conv_now, query, zone, lang)
        yield gr.update(), gr.update(), conv_now, choices, gr.update(visible=bool(offer_text)), offer_text, draft_value

    def plan_offer(message: str, lang: str, uid: int) -> tuple[str | None, dict | None]:
        if not c.chat.offers_plan(message, uid):
            return None, None
        found = c.plans.draft(message, refine=False)  # the parser alone: instant, no model call
        text = t(lang, "chat.plan_offer", summary=escape(draft_summary(found, c.curriculum, lang)),
                 button=t(lang, "chat.open_plan"))
        return text, found.model_dump(mode="json")

    def start(message: str, request: gr.Request):
        stops[request.session_hash] = threading.Event()  # before the answer starts: a quick Stop is not lost
        return "", message, gr.update(visible=False), gr.update(visible=True)

    def pick_example(evt: gr.SelectData, request: gr.Request):
        value = evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value or "")
        return start(value, request)

    def stopped():
        return gr.update(visible=True), gr.update(visible=False)

    def stop(request: gr.Request):
        if (flag := stops.get(request.session_hash)) is not None:
            flag.set()
        return stopped()

    def open_conv(conv: str | None, lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        history = ctl.open(uid, conv, lang)
        return history, history, conv, ctl.title(uid, conv)

    def new_conv():
        return [], [], None, gr.update(value=None), "", gr.update(visible=False)

    def do_rename(conv: str | None, new_title: str, query: str, zone: str, lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        ctl.rename(uid, conv, new_title)
        return listing(uid, conv, query, zone, lang)

    def do_delete(conv: str | None, query: str, zone: str, lang: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        ctl.delete(uid, conv)
        return [], [], None, listing(uid, None, query, zone, lang), ""

    def search(conv: str | None, query: str, zone: str, lang: str, request: gr.Request):
        return listing(ctx.identity.user_id(request), conv, query, zone, lang)

    def refresh(conv: str | None, lang: str, query: str, zone: str, request: gr.Request):
        uid = ctx.identity.user_id(request)
        history = ctl.open(uid, conv, lang) if conv else []
        return history, history, listing(uid, conv, query, zone, lang)

    quick = ctx.quick_event()
    ask_in = [pending, shown, conv_id, p.answer_lang, p.socratic, ctx.lang, p.search, tz]
    ask_out = [p.bot, shown, conv_id, p.convs, p.offer_row, p.offer, draft]
    for trigger, fn, inputs in ((p.box.submit, start, [p.box]), (p.send.click, start, [p.box]),
                                (p.bot.example_select, pick_example, None)):
        go = trigger(fn, inputs, [p.box, pending, p.send, p.stop], **quick).then(ask, ask_in, ask_out,
                                                                                 **ctx.llm_event())
        go.then(stopped, None, [p.send, p.stop], **quick)
    p.stop.click(stop, None, [p.send, p.stop], **quick)
    listing_in = [conv_id, p.search, tz, ctx.lang]
    deleted_out = [p.bot, shown, conv_id, p.convs, p.title]
    p.convs.input(open_conv, [p.convs, ctx.lang], [p.bot, shown, conv_id, p.title], **quick)
    p.new.click(new_conv, None, [p.bot, shown, conv_id, p.convs, p.title, p.offer_row], **quick)
    p.rename.click(do_rename, [conv_id, p.title, p.search, tz, ctx.lang], p.convs, **quick)
    p.delete.click(do_delete, [conv_id, p.search, tz, ctx.lang], deleted_out, **quick)
    p.bot.clear(do_delete, [conv_id, p.search, tz, ctx.lang], deleted_out, **quick)  # the trash icon deletes too
    p.search.change(search, listing_in, p.convs, **quick)  # typed, pasted or filled in: each edit
    gr.on(None, None, None, [tz], js=TZ_JS, **quick).then(search, listing_in, p.convs, **quick)
    ctx.on_refresh(refresh, [conv_id, ctx.lang, p.search, tz], [p.bot, shown, p.convs])
    return {"draft": draft, "open_plan": p.open_plan}
