"""Chat tab: streamed, cited answers. Handlers are thin: they call ChatService and format."""

from __future__ import annotations

import time

from ..chat import ChatInputError


def render_citations(answer) -> str:
    if not answer or not answer.citations:
        return ""
    lines = ["", "**Sources / 来源**"]
    for c in answer.citations:
        link = f" — [{c.urls[0]}]({c.urls[0]})" if c.urls else ""
        lines.append(f"[{c.n}] *{c.title}* › {c.section}{link}")
    return "\n".join(lines)


def respond(container, message: str, history: list, min_interval: float):
    """Generator for gr.Chatbot: coalesces deltas to ≤ 1/min_interval re-renders per second."""
    history = list(history or []) + [{"role": "user", "content": message},
                                     {"role": "assistant", "content": ""}]
    text, last = "", 0.0
    try:
        for ev in container.chat.ask_stream(message):
            if ev.kind == "delta":
                text += ev.text
                if time.monotonic() - last >= min_interval:
                    history[-1]["content"] = text
                    last = time.monotonic()
                    yield history, ""
            elif ev.answer:
                history[-1]["content"] = ev.answer.answer + "\n" + render_citations(ev.answer)
    except ChatInputError as exc:
        history[-1]["content"] = f"⚠️ {exc}"
    yield history, ""


def build_chat_tab(container):
    import gradio as gr

    interval = 1.0 / container.settings.ui.updates_per_second
    chatbot = gr.Chatbot(height=480, sanitize_html=True, allow_tags=False, label="tutorbot")
    box = gr.Textbox(placeholder="Ask about the roadmaps… / 关于路线图提问…", show_label=False)
    box.submit(lambda m, h: (yield from respond(container, m, h, interval)), [box, chatbot], [chatbot, box])
    return chatbot
