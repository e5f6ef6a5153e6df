"""UI stage, citation passages: every ``[n]`` of an answer opens the exact passage it cites.

An answer's markers become in-page links (``#tb-cite-<turn>-<n>``) to the passage inside card n's
``<details>``: the browser opens the card and scrolls to it, no script needed. The passage is the
cited section as written (escaped, never rendered as markdown), with its place in the roadmap, the
sentences the answer drew on highlighted, and the page's address for linked material.
"""

from __future__ import annotations

import html
import re

from tutorbot.chat.citations import CITE, SENTENCE, tokens
from tutorbot.retrieval.sentences import split_sentences
from tutorbot.schemas import Citation

ESCAPED_MARKER = re.compile(r"\\\[(\d{1,3})\\\]")  # "[n]" as ``chat.markdown.rewrite`` writes it in prose
LEADING_MARKERS = re.compile(r"\s*(?:\[\d{1,3}\]\s*)+")
MARKUP = re.compile(r"[*_`#>|\\]+|\]\([^)]*\)|[\[\]]")
PASSAGE_LINK = re.compile(r"#tb-cite-[A-Za-z0-9_-]*-\d{1,3}")
MIN_OVERLAP = 0.5  # share of an answer sentence's words a passage sentence must hold to be highlighted


def anchor(key: str, n: int) -> str:
    """The id of citation ``n``'s passage in the answer ``key`` (its place in the conversation)."""
    return f"tb-cite-{re.sub(r'[^A-Za-z0-9_-]', '', key)}-{n}"


def is_passage_link(href: str) -> bool:
    """Whether ``href`` is one of the in-page links ``link_markers`` makes (it leads nowhere else)."""
    return PASSAGE_LINK.fullmatch(href) is not None


def link_markers(safe_md: str, key: str, numbers: set[int]) -> str:
    """Sanitised answer markdown with each ``[n]`` of a shown citation made a link to its passage."""
    def link(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in numbers:
            return m.group(0)
        return f'<a class="tb-cite-ref" href="#{anchor(key, n)}">[{n}]</a>'
    return ESCAPED_MARKER.sub(link, safe_md)


def cited_sentences(answer: str, n: int) -> list[str]:
    """The answer's sentences (or list lines) that cite source ``n``, markers and markup removed."""
    pieces: list[str] = []
    for piece in (s for line in answer.split("\n") for s in SENTENCE.split(line)):
        lead = LEADING_MARKERS.match(piece)
        if pieces and lead:  # "It is cheap. [1] Next.": a marker after the full stop cites the sentence before
            pieces[-1], piece = pieces[-1] + lead.group(0), piece[lead.end():]
        if piece.strip():
            pieces.append(piece)
    return [" ".join(MARKUP.sub(" ", CITE.sub(" ", s)).split()) for s in pieces if f"[{n}]" in s]


def highlighted(text: str, claims: list[str]) -> str:
    """``text`` escaped, each of its sentences that best carries one of ``claims`` in ``<mark>``."""
    sentences = split_sentences(text)
    marked: set[int] = set()
    for claim in claims:
        words = tokens(claim)
        scores = [len(words & tokens(s.text)) / max(len(words), 1) for s in sentences]
        if scores and max(scores) >= MIN_OVERLAP:
            marked.add(scores.index(max(scores)))
    out, at = [], 0
    for i in sorted(marked):
        s = sentences[i]
        out += [html.escape(text[at:s.start]), f'<mark class="tb-cited">{html.escape(s.text)}</mark>']
        at = s.end
    return one_line("".join([*out, html.escape(text[at:])]))


def one_line(escaped: str) -> str:
    """HTML with its line breaks as ``<br>``: a blank line would end the HTML block in the chat's
    markdown, and what follows would be read as markdown ("|" tables, "~" strikethrough)."""
    return escaped.replace("\r", "").replace("\n", "<br>")


def place(c: Citation) -> str:
    """Where the passage is: the document, then its heading path."""
    return " › ".join(p for p in (c.title or c.source, *c.section.split(" > ")) if p.strip())


def passage_html(c: Citation, key: str, claims: list[str], url: str | None) -> str:
    """The passage shown when card ``c`` is opened (by a click on it or on an ``[n]``)."""
    link = (f'<div class="tb-passage-url"><a href="{html.escape(url, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer">{html.escape(url)}</a></div>') if url else ""
    return (f'<div class="tb-passage" id="{anchor(key, c.n)}">'
            f'<div class="tb-passage-path">{html.escape(place(c))}</div>'
            f'<div class="tb-passage-text">{highlighted(c.text, claims)}</div>{link}</div>')
