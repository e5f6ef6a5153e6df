"""Link fetching, step 3a: turn an HTML page into markdown-ish text with ``#`` headings.

General pages go through trafilatura (main-content detection, markdown output). arXiv
abstract pages and video pages (YouTube, bilibili) have little main text worth the name,
so their metadata is read instead: ``citation_*`` meta tags and the abstract blockquote,
or ``og:title`` / ``og:description``. If trafilatura finds nothing, a plain
``html.parser`` walk keeps headings, paragraphs and list items; when it finds the main text,
the walk's lines before it (the page's cover, which trafilatura drops as boilerplate) lead it.
Scripts are never run: they are dropped as text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tutorbot.ingest.links.models import Extracted
from tutorbot.ingest.links.requests import Site
from tutorbot.lang import CJK_CHARS

SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head", "nav", "footer", "form"})
BLOCK_TAGS = frozenset({"p", "div", "section", "article", "main", "br", "tr", "table", "ul", "ol", "pre",
                        "blockquote", "dd", "dt", "header"})
HEADING = re.compile(r"h[1-6]")
WORD_OR_CJK = re.compile(rf"[A-Za-z0-9]+|[{CJK_CHARS}]")
MARKS = re.compile(r"[#*_`\\>\[\]-]")
LEAD_WORDS = 6  # a lead line at least this long says something; "Home", "阿斯顿·张" do not
LEAD_LINES = 8  # a cover is short: a page's further people and thanks are no lead
LEAD_KEY = 30  # characters of a line compared to tell whether the main text has it
VIDEO_SUFFIX = re.compile(r"\s*(?:[-_|]\s*(?:YouTube|哔哩哔哩_bilibili|bilibili))+\s*$", re.I)


class _Meta(HTMLParser):
    """Collects <title>, <meta name|property=... content=...> and the arXiv abstract blockquote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title = ""
        self.meta: dict[str, list[str]] = {}
        self.abstract = ""
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "meta" and "content" in a:
            key = (a.get("name") or a.get("property") or "").lower()
            if key:
                self.meta.setdefault(key, []).append(a["content"].strip())
        elif tag == "title" and not self.title:
            self._in = "title"
        elif tag == "blockquote" and "abstract" in a.get("class", ""):
            self._in = "abstract"

    def handle_endtag(self, tag: str) -> None:
        if tag in ("title", "blockquote"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "abstract":
            self.abstract += data

    def first(self, *keys: str) -> str:
        return next((self.meta[k][0] for k in keys if self.meta.get(k) and self.meta[k][0]), "")


class _Blocks(HTMLParser):
    """Fallback extractor: visible text, one line per block, headings as '#' lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._buf: list[str] = []
        self._skip = 0
        self._prefix = ""

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.lines.append(self._prefix + text)
        self._buf, self._prefix = [], ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
        elif _is_block(tag):
            self._flush()
            self._prefix = _line_prefix(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif _is_block(tag):
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._buf.append(data)

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self.lines)


def _is_block(tag: str) -> bool:
    return tag in BLOCK_TAGS or tag == "li" or HEADING.fullmatch(tag) is not None


def _line_prefix(tag: str) -> str:
    if HEADING.fullmatch(tag):
        return "#" * int(tag[1]) + " "
    return "- " if tag == "li" else ""


def clean_title(title: str) -> str:
    # HTMLParser has already decoded entities; unescaping again would turn "&amp;lt;" into "<".
    return VIDEO_SUFFIX.sub("", " ".join(title.split()))


def fallback_text(html: str) -> str:
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    return parser.text()


def main_text(html: str) -> str:
    """Main content as markdown; the block walk when trafilatura finds nothing."""
    import trafilatura  # ~0.3 s to import; only runs when an HTML page is actually extracted

    text = trafilatura.extract(
        html, output_format="markdown", include_formatting=True, include_links=False,
        include_tables=True, include_comments=False, favor_recall=True,
    )
    return with_lead(text.strip(), fallback_text(html)) if text and text.strip() else fallback_text(html)


def with_lead(main: str, walked: str) -> str:
    """``main`` after the page's lead: the lines of the block walk ``walked`` that come before the
    main text's first line and that it lacks, once each, at most ``LEAD_LINES``, each of at least
    ``LEAD_WORDS`` words (a CJK character is a word; half that for a heading). trafilatura drops a
    page's cover as boilerplate: the d2l.ai front page lost "含 PyTorch、NumPy/MXNet、TensorFlow 和
    PaddlePaddle 实现", CS336's page its title; menu entries are shorter than that."""
    lines = [line for line in walked.split("\n\n") if line.strip()]
    first = _plain(main.splitlines()[0])[:LEAD_KEY]
    at = next((i for i, line in enumerate(lines) if first and first in _plain(line)), 0)
    said = _plain(main)
    lead = [line for line in dict.fromkeys(lines[:at]) if _plain(line)[:LEAD_KEY] not in said
            and len(WORD_OR_CJK.findall(line)) * (2 if line.startswith("#") else 1) >= LEAD_WORDS]
    return "\n\n".join([*lead[:LEAD_LINES], main])


def _plain(text: str) -> str:
    """Text without markdown's marks, escapes and spaces: the walk and trafilatura's markdown write
    one line differently ("\\-" and "-", "**PyTorch**," and "PyTorch,")."""
    return "".join(MARKS.sub("", text).split())


def arxiv_abs(meta: _Meta) -> Extracted | None:
    """Title, authors and abstract of an arXiv abs page, or None when the tags are missing."""
    title = meta.first("citation_title")
    abstract = " ".join(meta.abstract.split()).removeprefix("Abstract:").strip() or meta.first(
        "citation_abstract", "og:description", "description")
    if not title or not abstract:
        return None
    authors = "; ".join(meta.meta.get("citation_author", []))
    lines = [f"# {title}", ""] + ([f"Authors: {authors}", ""] if authors else []) + ["## Abstract", "", abstract]
    return Extracted(title=title, text="\n".join(lines))


def video_page(meta: _Meta) -> Extracted | None:
    """Title and description of a video page (only the metadata is readable without scripts)."""
    title = clean_title(meta.first("og:title", "title", "twitter:title") or meta.title)
    description = meta.first("og:description", "description", "twitter:description")
    if not title:
        return None
    return Extracted(title=title, text=f"# {title}\n\n{description}".strip())


def extract_html(html: str, site: Site) -> Extracted:
    """Markdown-ish text and title of an HTML page."""
    meta = _Meta()
    meta.feed(html)
    meta.close()
    if site == "arxiv" and (abstract := arxiv_abs(meta)):
        return abstract
    if site in ("youtube", "bilibili") and (video := video_page(meta)):
        return video
    title = clean_title(meta.first("og:title") or meta.title)
    return Extracted(title=title, text=main_text(html))
