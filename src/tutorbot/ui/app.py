"""Assemble the Gradio Blocks from small tab builders and launch it with safe defaults.

Safe defaults: bound to 127.0.0.1 unless configured, never shared, analytics off, no file
access beyond Gradio's own assets, queue sized from the LLM server's measured capacity.
"""

from __future__ import annotations

import os

from .chat_tab import build_chat_tab
from .status import status_line


def build_ui(container):
    import gradio as gr

    with gr.Blocks(title="tutorbot", analytics_enabled=False) as demo:
        status = gr.Markdown(status_line(container))
        with gr.Tabs():
            with gr.Tab("Chat / 问答"):
                build_chat_tab(container)
        demo.load(lambda: status_line(container), outputs=status)
    return demo


def launch(container, host: str | None = None, port: int | None = None, block: bool = True):
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    s = container.settings
    demo = build_ui(container)
    demo.queue(default_concurrency_limit=s.llm.max_concurrency, max_size=s.llm.max_concurrency * 2)
    return demo.launch(server_name=host or s.ui.host, server_port=port or s.ui.port, share=False,
                       prevent_thread_lock=not block, show_error=False, allowed_paths=[], quiet=True)
