"""UI stage, Quiz tab's wrong-answer notebook: the learner's missed questions, each with the answer given,
the right one, its error pattern and the passage that explains it; one asked again, or a ten-minute review.

Everything comes from the quiz service's ``Notebook`` (the one `tutorbot notebook` uses); asking again
and the ten-minute review start an ordinary quiz session in the Quiz tab (wired in ``quiz_tab``), whose
first question carries the review reasons of its topics (``Progress.patterns``).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gradio as gr

from tutorbot.curriculum.graph import Curriculum
from tutorbot.quiz.notebook import NotebookEntry
from tutorbot.ui.i18n import Labels, t
from tutorbot.ui.quiz_logic import corpus_md

LABEL_CHARS = 70  # a question in the picker: enough to recognise it


def choices(entries: list[NotebookEntry], cur: Curriculum, lang: str) -> list[tuple[str, str]]:
    """(label, question id) per entry: its topic, the question's start, how often it was missed."""
    def label(e: NotebookEntry) -> str:
        text = e.question if len(e.question) <= LABEL_CHARS else e.question[:LABEL_CHARS - 1] + "…"
        done = " ✔" if e.fixed else ""
        return f"{cur.name_of(e.topic, lang)} · {text} ({t(lang, 'notebook.missed', n=e.misses)}){done}"
    return [(label(e), e.question_id) for e in entries]


def entry_markdown(entry: NotebookEntry | None, lang: str) -> str:
    """The entry as the learner reads it: the question, both answers, the pattern and the explaining passage."""
    if entry is None:
        return ""
    pattern = t(lang, f"pattern.{entry.pattern}") if entry.pattern else "—"
    link = entry.source_link
    source = f"[{corpus_md(link)}]({link.replace(')', '%29')})" if link.startswith(("http://", "https://")) else \
        corpus_md(link)
    return "\n\n".join([corpus_md(entry.question),
                        f"**{t(lang, 'notebook.given')}:** {corpus_md(entry.given)} · "
                        f"**{t(lang, 'quiz.right_answer')}:** {corpus_md(entry.answer)}",
                        f"**{t(lang, 'col.pattern')}:** {pattern}",
                        f"**{t(lang, 'quiz.explanation')}:** {corpus_md(entry.explanation)}",
                        f"**{t(lang, 'quiz.source')}:** {source}"])


def shown(entries: list[NotebookEntry], picked: str | None, cur: Curriculum, lang: str) -> tuple[Any, Any, Any]:
    """Updates for (picker, entry, ask-again button): the pick kept while it is listed, else the newest."""
    options = choices(entries, cur, lang)
    ids = [qid for _, qid in options]
    keep = picked if picked in ids else (ids[0] if ids else None)
    entry = next((e for e in entries if e.question_id == keep), None)
    empty = t(lang, "notebook.empty")
    return (gr.update(choices=options, value=keep, visible=bool(options)),
            gr.update(value=entry_markdown(entry, lang) if entry else empty), gr.update(visible=entry is not None))


def build_notebook_panel(L: Labels) -> SimpleNamespace:
    L.add(gr.Markdown(t("en", "notebook.title"), elem_id="tb-notebook-title"), value="notebook.title")
    with gr.Row(equal_height=False):
        with gr.Column(scale=2, min_width=280, elem_classes="tb-form"):
            pick = L.add(gr.Dropdown([], label=t("en", "notebook.pick"), elem_id="tb-notebook-pick", visible=False),
                         label="notebook.pick")
            ask = L.add(gr.Button(t("en", "notebook.ask"), elem_id="tb-notebook-ask", visible=False),
                        value="notebook.ask")
            session = L.add(gr.Button(t("en", "notebook.session"), elem_id="tb-notebook-session"),
                            value="notebook.session")
        with gr.Column(scale=5):
            entry = gr.Markdown(elem_id="tb-notebook-entry")
    return SimpleNamespace(pick=pick, ask=ask, session=session, entry=entry)
