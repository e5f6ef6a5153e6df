"""Chat stage: the one markdown parser, for finding every link and image in text a learner will see.

Answers are shown through a markdown renderer (GFM: tables, strikethrough, autolinks of ``www.``,
``http``, ``ftp`` and e-mail addresses, raw HTML). Regexes cannot follow all the spellings of a link
(a space before the destination, a title, entities in the scheme, a reference definition inside a
quote or a list item...), so this module parses the text with markdown-it-py + linkify-it-py set up
the same way and hands every link, autolink and image to the caller's allow-list.

``rewrite`` writes the parsed text back as markdown in which every character of prose is escaped:
structure (paragraphs, headings, lists, quotes, tables, code, emphasis) and allowed links survive,
while no renderer can find a link, image or tag in what was text. Strikethrough is never made: the
UI's renderer strikes even a single "~" ("3~6个月"), so every tilde, "~~x~~" included, is shown as
written. This module is the only importer of markdown-it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Literal

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

Keep = Callable[[str], bool]
LinkKind = Literal["link", "autolink", "image", "html"]
# Every ASCII character that starts or delimits markup, or joins words into an autolink
# ("www.x.org", "a@b.org", "ftp:"); "<", ">" and "&" become entities so no tag or entity survives.
PUNCT = re.compile(r"([\\`*_\[\]()#+\-.!|~:@=])")
ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
SCRIPT_STYLE = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|\Z)", re.I | re.S)
TAG = re.compile(r"<!--.*?(?:-->|\Z)|<[^>]*>?", re.S)
URL_UNSAFE = re.compile(r"[\s()<>\\]")
ALIGN = {"text-align:left": ":---", "text-align:center": ":---:", "text-align:right": "---:"}


@dataclass(frozen=True)
class Link:
    kind: LinkKind  # link: [text](url) and references; autolink: <url>, www., bare URLs, e-mail
    url: str
    text: str


class _Parser(MarkdownIt):
    """Every scheme makes a link (none is missed), and the allow-list sees each destination as
    written, entities and escapes decoded but not percent-encoded."""

    def validateLink(self, url: str) -> bool:  # markdown-it calls these by name
        return True

    def normalizeLink(self, url: str) -> str:
        return url


@cache
def parser() -> MarkdownIt:
    """markdown-it configured like the UI's renderer: GFM tables, strikethrough, autolinks, raw HTML."""
    return _Parser("commonmark", {"html": True, "linkify": True, "breaks": True}).enable(
        ["table", "strikethrough", "linkify"])


def tree(text: str) -> SyntaxTreeNode:
    return SyntaxTreeNode(parser().parse(text or ""))


def links(text: str) -> list[Link]:
    """Every link, autolink, image and raw HTML tag the renderer would make of ``text``."""
    return list(_links(tree(text)))


def _links(node: SyntaxTreeNode) -> Iterator[Link]:
    for n in node.walk():
        if n.type == "link":
            kind: LinkKind = "autolink" if n.markup in ("autolink", "linkify") else "link"
            yield Link(kind, str(n.attrs.get("href", "")), _plain(n))
        elif n.type == "image":
            yield Link("image", str(n.attrs.get("src", "")), _plain(n))
        elif n.type in ("html_inline", "html_block"):
            yield Link("html", "", n.content)


def is_clean(text: str, keep: Keep) -> bool:
    """No image, no raw HTML, and every link one that ``keep`` accepts."""
    return all(k.kind in ("link", "autolink") and keep(k.url) for k in links(text))


def _plain(node: SyntaxTreeNode) -> str:
    return "".join(n.content for n in node.walk() if n.type in ("text", "code_inline"))


def escape(text: str) -> str:
    """Prose as markdown no renderer turns into markup."""
    return PUNCT.sub(r"\\\1", re.sub("[&<>]", lambda m: ENTITIES[m.group(0)], text))


def rewrite(text: str, keep: Keep) -> str:
    """``text`` as safe markdown: images and raw HTML gone, links ``keep`` refuses reduced to their
    text (a bare URL to nothing), all prose escaped; code is kept as it was."""
    return "\n\n".join("\n".join(b) for b in _blocks(tree(text).children, keep) if b).strip("\n")


# -- blocks: each renders to a list of lines ---------------------------------------------------------
def _blocks(nodes: list[SyntaxTreeNode], keep: Keep) -> list[list[str]]:
    return [lines for n in nodes if (lines := _block(n, keep))]


def _block(node: SyntaxTreeNode, keep: Keep) -> list[str]:
    kind = node.type
    if kind == "paragraph":
        return _paragraph(_inline(node.children[0], keep) if node.children else "")
    if kind == "heading":
        title = _inline(node.children[0], keep).replace("\\\n", " ").replace("\n", " ").strip()
        return [f"{'#' * int(node.tag[1])} {title}"] if title else []
    if kind == "blockquote":
        return [f"> {line}".rstrip() for line in _join(_blocks(node.children, keep), loose=True)]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, keep)
    if kind in ("fence", "code_block"):
        return _code(node.content, node.info if kind == "fence" else "")
    if kind == "hr":
        return ["* * *"]
    if kind == "html_block":
        return _paragraph(escape(TAG.sub("", SCRIPT_STYLE.sub("", node.content))))
    if kind == "table":
        return _table(node, keep)
    return []


def _paragraph(text: str) -> list[str]:
    # Whatever was dropped (an image, a tag) may leave indentation that would read as a code block.
    return [line for line in (ln.strip(" \t") for ln in text.split("\n")) if line]


def _join(blocks: list[list[str]], loose: bool) -> list[str]:
    out: list[str] = []
    for i, lines in enumerate(blocks):
        out += ([""] if i and loose else []) + lines
    return out


def _list(node: SyntaxTreeNode, keep: Keep) -> list[str]:
    start = int(str(node.attrs.get("start", 1))) if node.type == "ordered_list" else 0
    out: list[str] = []
    loose = any(not p.hidden for item in node.children for p in item.children if p.type == "paragraph")
    for i, item in enumerate(node.children):
        marker = f"{start + i}." if node.type == "ordered_list" else "-"
        body = _join(_blocks(item.children, keep), loose) or [""]
        pad = " " * (len(marker) + 1)
        out += ([""] if i and loose else []) + [f"{marker} {body[0]}".rstrip()]
        out += [f"{pad}{line}" if line else "" for line in body[1:]]
    return out


def _code(content: str, info: str) -> list[str]:
    fence = "`" * max(3, 1 + max((len(r) for r in re.findall("`+", content)), default=0))
    lang = re.sub(r"[^\w+#.-]", "", info.split(" ")[0]) if info else ""
    return [fence + lang, *content.rstrip("\n").split("\n"), fence]


def _table(node: SyntaxTreeNode, keep: Keep) -> list[str]:
    rows = [r for part in node.children for r in part.children]
    if not rows:
        return []
    cells = [[_cell(c, keep) for c in r.children] for r in rows]
    rule = [ALIGN.get(str(c.attrs.get("style", "")), "---") for c in rows[0].children]
    return [f"| {' | '.join(cells[0])} |", f"| {' | '.join(rule)} |", *(f"| {' | '.join(r)} |" for r in cells[1:])]


def _cell(node: SyntaxTreeNode, keep: Keep) -> str:
    text = _inline(node.children[0], keep).replace("\\\n", " ").replace("\n", " ") if node.children else ""
    return re.sub(r"(?<!\\)\|", r"\\|", text)  # a "|" in a code span would end the cell


# -- inline ------------------------------------------------------------------------------------------
def _inline(node: SyntaxTreeNode, keep: Keep) -> str:
    return "".join(_span(n, keep) for n in node.children)


def _span(node: SyntaxTreeNode, keep: Keep) -> str:
    kind = node.type
    if kind == "text":
        return escape(node.content)
    if kind == "softbreak":
        return "\n"
    if kind == "hardbreak":
        return "\\\n"
    if kind == "code_inline":
        return _code_span(node.content)
    if kind == "s":  # shown as written: a tutor's text is never struck through
        return f"\\~\\~{_inline(node, keep)}\\~\\~"
    if kind in ("em", "strong"):
        mark = {"em": "*", "strong": "**"}[kind]
        inner = _inline(node, keep)
        return f"{mark}{inner}{mark}" if inner.strip() else inner
    if kind == "link":
        return _link(node, keep)
    return ""  # images, raw HTML


def _link(node: SyntaxTreeNode, keep: Keep) -> str:
    url, label = str(node.attrs.get("href", "")), _inline(node, keep)
    if keep(url) and label.strip():
        return f"[{label}]({URL_UNSAFE.sub(lambda m: f'%{ord(m.group(0)):02X}', url)})"
    # A refused autolink's text is the address itself: nothing of it should reach the learner.
    written_as_url = node.markup in ("autolink", "linkify") and re.match(r"(?i)[a-z][\w+.-]*:|www\.", _plain(node))
    return "" if written_as_url else label


def _code_span(content: str) -> str:
    ticks = "`" * (1 + max((len(r) for r in re.findall("`+", content)), default=0))
    pad = " " if content.startswith("`") or content.endswith("`") or not content.strip(" ") else ""
    return f"{ticks}{pad}{content}{pad}{ticks}"
