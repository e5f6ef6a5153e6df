"""Link fetching, step 3: turn a fetched body into a title and markdown-ish text.

Dispatch is by file suffix first (raw GitHub files all arrive as text/plain) and content
type second: HTML → ``htmltext``; markdown and plain text as they are (front matter
lifted into the title); ``.py`` → prose from the docstring or jupytext markdown cells,
code fenced; ``.ipynb`` → markdown cells and fenced code cells; PDF → pypdf text.

Encoding policy: the charset from the Content-Type header (or an HTML ``<meta charset>``)
else UTF-8, decoded strictly. Bytes that are not valid in that charset are an error
("invalid encoding") rather than a cp1252/latin-1 guess: those codecs accept almost any
byte string, so a guess cannot be checked, and mojibake in the index is worse than a
reported dead link.
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import re
from typing import Literal
from urllib.parse import urlsplit

from tutorbot.ingest.links.htmltext import extract_html
from tutorbot.ingest.links.models import Extracted, LinkError, Page
from tutorbot.ingest.links.requests import Site
from tutorbot.lang import PAGE_EN, PAGE_ZH, TextLang, detect_lang_mixed

ALLOWED_TYPES = frozenset({"text/html", "text/markdown", "text/plain", "application/pdf", "application/xhtml+xml"})
Kind = Literal["html", "pdf", "notebook", "python", "markdown", "text"]
SUFFIX_KINDS: dict[str, Kind] = {".pdf": "pdf", ".ipynb": "notebook", ".py": "python", ".md": "markdown",
                                 ".markdown": "markdown", ".txt": "text", ".rst": "text", ".html": "html",
                                 ".htm": "html"}
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)
FRONT_MATTER = re.compile(r"\A(---|\+\+\+)\s*\n(.*?)\n\1\s*\n", re.S)
FM_FIELD = re.compile(r"""^(title|description)\s*[:=]\s*["']?(.*?)["']?\s*$""", re.M)
ATX_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
FENCED = re.compile(r"^```.*?^```", re.M | re.S)
HTML_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.I | re.S)
# Markup that costs embedding time and says nothing (READMEs are full of it: the awesome-list pages
# lost 11% of their tokens to it): status badges, image URLs, layout tags, padded table rulers.
IMAGE = re.compile(r"\[!\[([^\]]*)\]\(([^)]*)\)\]\([^)\s]*\)|!\[([^\]]*)\]\(([^)]*)\)")  # linked, or bare
LAYOUT_TAG = re.compile(r"</?(?:a|b|br|center|details|div|em|figcaption|figure|font|i|img|p|picture|source|span|"
                        r"strong|sub|summary|sup)\b[^>]*>", re.I)
TABLE_RULER = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-+:?[ \t]*\|)+(?:[ \t]*:?-+:?[ \t]*)?$", re.M)


def page_kind(page: Page) -> Kind:
    """What a page is: declared PDF/HTML first, then the file suffix (raw files are all text/plain)."""
    if page.content_type == "application/pdf" or page.body.startswith(b"%PDF-"):
        return "pdf"
    if page.content_type in ("text/html", "application/xhtml+xml"):
        return "html"
    for name in (page.final_url, page.url):
        last = urlsplit(name).path.lower().rsplit("/", 1)[-1]
        suffix = last[last.rfind("."):] if "." in last else ""
        if suffix in SUFFIX_KINDS:
            return SUFFIX_KINDS[suffix]
    if page.body[:512].lstrip().lower().startswith((b"<!doctype html", b"<html")):
        return "html"
    return "markdown" if page.content_type == "text/markdown" else "text"


def decode(body: bytes, charset: str | None, kind: Kind) -> str:
    """Strictly decoded text (see the module docstring for the policy)."""
    if body.startswith(codecs.BOM_UTF8):
        charset, body = "utf-8", body[len(codecs.BOM_UTF8):]
    if not charset and kind == "html" and (m := META_CHARSET.search(body[:4096])):
        charset = m.group(1).decode("ascii")
    charset = charset or "utf-8"
    try:
        codecs.lookup(charset)
    except LookupError:
        charset = "utf-8"
    try:
        return body.decode(charset)
    except UnicodeDecodeError:
        raise LinkError(f"invalid encoding: body is not valid {charset}") from None


def page_lang(text: str) -> TextLang:
    """zh / en / mixed for a fetched page."""
    return detect_lang_mixed(text, zh_from=PAGE_ZH, en_to=PAGE_EN)


def first_heading(text: str) -> str:
    """The earliest '# heading' or inline <h1> outside code fences (notebooks often put their title in HTML)."""
    text = FENCED.sub("", text)  # '# comment' lines in code are not headings
    found = [m for m in (ATX_HEADING.search(text), HTML_H1.search(text)) if m]
    if not found:
        return ""
    title = min(found, key=lambda m: m.start()).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", title).split())


def tidy_markup(text: str) -> str:
    """Badges and layout tags dropped, images reduced to their alt text, table rulers to ``|---|``;
    code blocks untouched."""
    parts, last = [], 0
    for code in FENCED.finditer(text):
        parts += [_tidy(text[last:code.start()]), code.group(0)]
        last = code.end()
    return "".join([*parts, _tidy(text[last:])])


def _tidy(text: str) -> str:
    text = LAYOUT_TAG.sub("", IMAGE.sub(_alt_text, text))
    return TABLE_RULER.sub(lambda m: "|" + "---|" * len(m.group(0).strip().strip("|").split("|")), text)


def _alt_text(m: re.Match[str]) -> str:
    alt, src = (m.group(1), m.group(2)) if m.group(2) is not None else (m.group(3), m.group(4))
    return "" if re.search(r"shields\.io|badge", src, re.I) else alt


def markdown_doc(text: str) -> Extracted:
    """Markdown as is, with YAML/TOML front matter turned into a title heading and description."""
    m = FRONT_MATTER.match(text)
    if not m:
        return Extracted(title=first_heading(text), text=text.strip())
    fields = {k: v.strip() for k, v in FM_FIELD.findall(m.group(2))}
    body = text[m.end():].strip()
    title = fields.get("title") or first_heading(body)
    head = [f"# {title}"] if title and first_heading(body) != title else []
    head += [fields["description"]] if fields.get("description") else []
    return Extracted(title=title, text="\n\n".join([*head, body]).strip())


def python_doc(source: str) -> Extracted:
    """Prose from jupytext '# %% [markdown]' cells or the module docstring; code fenced."""
    if "# %%" in source:
        return _jupytext(source)
    try:
        doc = ast.get_docstring(ast.parse(source)) or ""
    except (SyntaxError, ValueError):
        doc = ""
    text = (f"{doc}\n\n" if doc else "") + f"```python\n{source.rstrip()}\n```"
    return Extracted(title=first_heading(doc) or doc.split("\n", 1)[0][:120], text=text)


def _jupytext(source: str) -> Extracted:
    parts: list[str] = []
    for cell in re.split(r"^# %%", source, flags=re.M)[1:]:
        header, _, body = cell.partition("\n")
        if "[markdown]" in header:
            lines = [re.sub(r"^# ?", "", ln) for ln in body.splitlines()]
            parts.append("\n".join(lines).strip())
        elif body.strip():
            parts.append(f"```python\n{body.strip()}\n```")
    text = "\n\n".join(p for p in parts if p)
    return Extracted(title=first_heading(text), text=text)


def notebook_doc(raw: str) -> Extracted:
    """Markdown cells as text, code cells fenced; outputs dropped."""
    try:
        nb = json.loads(raw)
        cells, lang = nb["cells"], nb.get("metadata", {}).get("kernelspec", {}).get("language", "python")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise LinkError("invalid notebook: not Jupyter JSON with a 'cells' list") from None
    parts = []
    for cell in cells:
        src = "".join(cell.get("source", [])) if isinstance(cell, dict) else ""
        if src.strip():
            parts.append(src.strip() if cell.get("cell_type") == "markdown" else f"```{lang}\n{src.strip()}\n```")
    text = "\n\n".join(parts)
    return Extracted(title=first_heading(text), text=text)


def pdf_doc(body: bytes) -> Extracted:
    """Text of every page; the PDF's own title metadata when it has one."""
    from pypdf import PdfReader  # heavy import, only when a PDF actually turns up
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(body))
        pages = [p.extract_text() or "" for p in reader.pages]
        meta: dict[str, object] = dict(reader.metadata or {})
        title = str(meta.get("/Title") or "")
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise LinkError(f"invalid PDF: {exc}") from None
    return Extracted(title=title.strip(), text="\n\n".join(p.strip() for p in pages if p.strip()))


def extract(page: Page, site: Site) -> Extracted:
    """Title and text of a fetched page; LinkError when nothing usable comes out."""
    kind = page_kind(page)
    if kind == "pdf":
        doc = pdf_doc(page.body)
    else:
        text = decode(page.body, page.charset, kind)
        handlers = {"html": lambda t: extract_html(t, site), "notebook": notebook_doc, "python": python_doc,
                    "markdown": markdown_doc, "text": markdown_doc}
        doc = handlers[kind](text)
        if kind in ("markdown", "text", "notebook"):
            doc = doc.model_copy(update={"text": tidy_markup(doc.text)})
    if not doc.text.strip():
        raise LinkError(f"no text extracted ({kind})")
    title = page.title_hint or doc.title or first_heading(doc.text)
    return Extracted(title=title.strip(), text=doc.text.strip())
