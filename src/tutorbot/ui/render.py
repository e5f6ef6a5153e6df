"""UI stage: turns service results into what the browser shows, safely.

Model text is rendered as sanitised markdown: no raw HTML, no images (remote or not), and
links only to URLs from the catalog or the retrieved sources (a second check after the chat
service's own). It is parsed like the browser's renderer parses it and written back with every
character of prose escaped (``chat.markdown.rewrite``), so the browser finds no markup in it that
was not checked. Everything else the UI builds as HTML (citation cards and the passages they open,
``ui.passages``) escapes every value.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from tutorbot.chat.markdown import rewrite
from tutorbot.chat.service import MAX_QUESTION_CHARS
from tutorbot.schemas import Answer, Citation
from tutorbot.ui.i18n import t
from tutorbot.ui.passages import cited_sentences, link_markers, passage_html
from tutorbot.urls import normalise_url

BUSY = re.compile(r"the model is busy\b[^\n]*?try again(?: in a moment)?")  # ``llm.gate``'s message
SNIPPET_CHARS = 220
# Markdown furniture that reads as noise in a one-line snippet: headings, emphasis, table rules, bare links.
SNIPPET_NOISE = re.compile(r"\(\s*https?://[^)]*\)|https?://\S+|\|?\s*:?-{3,}:?\s*(?=\|)|[#*`>|\[\]]+")


def allowed_set(urls: Iterable[str]) -> set[str]:
    return {normalise_url(u) for u in urls if u}


def is_allowed(url: str, allowed: set[str]) -> bool:
    return url.startswith(("http://", "https://")) and normalise_url(url) in allowed


def safe_markdown(text: str, allowed: set[str]) -> str:
    """Markdown with images, raw HTML and links outside ``allowed`` removed; code is left alone."""
    return rewrite(text or "", lambda url: is_allowed(url, allowed))


def answer_markdown(answer: Answer, lang: str, allowed: set[str], key: str = "0") -> str:
    """The whole assistant message: the sanitised answer, each ``[n]`` a link that opens passage n,
    then the numbered citation cards. ``key`` tells this answer's passages from other turns'."""
    urls = allowed | allowed_set(u for c in answer.citations for u in (*c.urls, c.source) if "://" in u)
    body = link_markers(safe_markdown(display_text(answer.answer, lang), urls), key, {c.n for c in answer.citations})
    cards = citation_cards(answer.citations, lang, urls, key, answer.answer)
    stop = stopped_note(lang) if answer.error == "stopped" else ""
    return cut_note(answer.question_cut_from, lang) + body + stop + (f"\n\n{cards}" if cards else "")


def stopped_note(lang: str) -> str:
    """The line that ends an answer the learner stopped, live and when the conversation is reopened."""
    return f"\n\n⏹ *{t(lang, 'chat.stopped')}*"


def cut_note(cut_from: int, lang: str) -> str:
    """The line that opens the answer to a question the service cut (empty when it was asked whole): first,
    so the streamed answer and the final one start alike and the learner reads it before the answer."""
    return f"⚠ *{t(lang, 'chat.cut', limit=f'{MAX_QUESTION_CHARS:,}')}*\n\n" if cut_from else ""


def display_text(text: str, lang: str) -> str:
    """Answer text as shown, streamed or final alike (so the end replaces nothing that was shown):
    the model gate's "busy" message is said in the interface language."""
    return BUSY.sub(lambda _: t(lang, "err.busy"), text)


def citation_link(c: Citation, allowed: set[str]) -> str | None:
    """Where a card links: the chunk's own link, or the page itself for linked material."""
    return next((url for url in (*c.urls, c.source) if is_allowed(url, allowed)), None)


def citation_cards(citations: list[Citation], lang: str, allowed: set[str], key: str = "0", answer: str = "") -> str:
    """Numbered cards (HTML on one line, so markdown leaves it whole); empty without citations. Each
    opens on its passage, with the sentences of ``answer`` that cite it highlighted."""
    if not citations:
        return ""
    cards = "".join(_card(c, lang, allowed, key, answer) for c in citations)
    head = f'<div class="tb-cites-head">{html.escape(t(lang, "chat.sources"))}</div>'
    return f'<div class="tb-cites">{head}{cards}</div>'


def _card(c: Citation, lang: str, allowed: set[str], key: str, answer: str) -> str:
    where = " › ".join(p for p in (c.title, c.section.split(" > ")[-1] if c.section else "") if p)
    snippet = re.sub(r"\s+", " ", SNIPPET_NOISE.sub(" ", c.text)).strip()
    if len(snippet) > SNIPPET_CHARS:
        snippet = snippet[: SNIPPET_CHARS - 1] + "…"
    url = citation_link(c, allowed)
    link = (f'<a class="tb-cite-link" href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(short_url(url))}</a>') if url else ""
    page = url if url and c.source.startswith(("http://", "https://")) else None
    return (f'<details class="tb-cite"><summary><span class="tb-cite-n">{c.n}</span><div class="tb-cite-body">'
            f'<div class="tb-cite-title">{html.escape(where or c.source)}</div>'
            f'<div class="tb-cite-snippet">{html.escape(snippet)}</div>{link}</div></summary>'
            f'{passage_html(c, key, cited_sentences(answer, c.n), page)}</details>')


def short_url(url: str, limit: int = 60) -> str:
    parts = urlsplit(url)
    text = (parts.netloc + parts.path).removeprefix("www.").rstrip("/")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link_html(url: str | None, text: str) -> str:
    """An escaped external link, or the escaped text alone when there is no URL."""
    if not url or not url.startswith(("http://", "https://")):
        return html.escape(text)
    return (f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener noreferrer">'
            f"{html.escape(text)}</a>")


def md_link(url: str | None, text: str) -> str:
    """A markdown link for tables (brackets and pipes in the text escaped)."""
    label = re.sub(r"([\[\]|\\])", r"\\\1", text).replace("\n", " ")
    if not url or not url.startswith(("http://", "https://")):
        return label
    return f"[{label}]({url.replace(')', '%29').replace(' ', '%20')})"
