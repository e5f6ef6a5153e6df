"""Ingestion stage 3: cleaned roadmap ``Document``s → the resource catalog.

Every http(s) link becomes one ``CatalogEntry`` keyed by ``normalise_url`` and merged across
roadmaps and sections; resources the roadmaps recommend by name only (a curated list,
matched in the text) become ``name:<slug>`` entries without a URL. The catalog is a JSON
file written atomically; the curriculum's topics are added to the entries in ``catalog_topics``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from tutorbot.errors import TutorbotError
from tutorbot.files import write_atomic
from tutorbot.ingest.chunking import LIST_ITEM, clean_heading, iter_sections
from tutorbot.ingest.corpus import document_lang
from tutorbot.lang import has_cjk
from tutorbot.schemas import CatalogEntry, Document, Lang, ResourceKind, RoadmapRef
from tutorbot.urls import MD_LINK, find_links, normalise_url, unescape_md

# (host, path prefix, kind): first match wins; a host matches itself and its subdomains.
KIND_RULES: tuple[tuple[str, str, ResourceKind], ...] = (
    ("arxiv.org", "/abs/", "paper"), ("arxiv.org", "/pdf/", "paper"), ("arxiv.org", "", "site"),
    ("github.com", "", "repository"),
    ("youtube.com", "", "video"), ("youtu.be", "", "video"), ("bilibili.com", "", "video"),
    ("d2l.ai", "", "book"),
    ("pytorch.org", "/tutorials", "documentation"), ("pytorch.org", "/docs", "documentation"),
    ("huggingface.co", "/docs", "documentation"), ("huggingface.co", "/learn", "course"),
    ("karpathy.ai", "/zero-to-hero", "course"), ("speech.ee.ntu.edu.tw", "/~hylee", "course"),
    ("stanford.edu", "", "course"), ("berkeley.edu", "", "course"), ("mit.edu", "", "course"),
    ("cs.cmu.edu", "/~mgormley/courses", "course"), ("cmu-llms.org", "", "course"),
    ("phontron.com", "/class", "course"), ("sites.google.com", "/view/berkeley-cs", "course"),
    ("stanford-cs336.github.io", "", "course"), ("mit-6s978.github.io", "", "course"),
    ("llmsystem.github.io", "", "course"),
    ("nlp.seas.harvard.edu", "", "blog"), ("lilianweng.github.io", "", "blog"),
    ("jalammar.github.io", "", "blog"), ("r4j4n.github.io", "", "blog"), ("yang-song.net", "/blog", "blog"),
    ("medium.com", "", "blog"), ("substack.com", "", "blog"), ("zhihu.com", "", "blog"),
    ("kexue.fm", "", "blog"), ("spaces.ac.cn", "", "blog"), ("jarvis73.com", "", "blog"),
    ("neptune.ai", "/blog", "blog"),
)
# Without a host rule, words in the title or its context decide; "site" is the fallback.
KIND_WORDS: tuple[tuple[str, ResourceKind], ...] = (
    (r"论文|paper|technical report|技术报告", "paper"), (r"课程|course|lecture|\bCS ?\d{3}", "course"),
    (r"博客|blog", "blog"), (r"视频|video", "video"), (r"《|\bbook\b|书", "book"),
    (r"教程|tutorial|documentation|文档", "documentation"), (r"github|repo", "repository"),
)
ZH_HOSTS = ("zh.d2l.ai", "bilibili.com", "zhihu.com", "kexue.fm", "spaces.ac.cn", "jarvis73.com",
            "speech.ee.ntu.edu.tw")
ZH_TEACHERS = ("李宏毅", "李沐", "苏剑林")  # their videos are in Chinese wherever they are hosted
PLACEHOLDER = re.compile(r"^(链接|课程主页|主页|官网|课程网站|网站|link|here|homepage|overview|fetching title.*)$",
                         re.IGNORECASE)
SITE_SUFFIX = re.compile(r"\s*(?:[-|·_]\s*)+(?:YouTube|知乎|哔哩哔哩|bilibili|Medium|GitHub|Lil'Log|"
                         r"科学空间\|Scientific Spaces|Scientific Spaces)\s*$", re.IGNORECASE)
LABEL = re.compile(r"\*\*([^*]+?)\*\*\s*[：:]\s*$")
LABELLED_ITEM = re.compile(r"^\s*[-*+]\s+\*\*[^*]+\*\*\s*[：:]")  # "- **特点**：…"

class CatalogError(TutorbotError, ValueError):
    """The catalog file is missing or invalid; the message says how to rebuild it."""


class NamedResource(BaseModel):
    """A resource the roadmaps recommend by name only (``corpus/named_resources.yaml``)."""

    slug: str
    pattern: str = Field(description="Regular expression matched against roadmap lines, ignoring case.")
    title: str
    kind: ResourceKind
    url: str = Field("", description="Known address; used only if the roadmaps link it somewhere.")


def load_named(path: Path) -> list[NamedResource]:
    """The named-resource list; a missing file means none (a custom corpus), a broken one says where."""
    import yaml

    if not path.exists():
        return []
    try:
        return TypeAdapter(list[NamedResource]).validate_python(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as exc:
        raise CatalogError(f"{path}: invalid named-resource list ({str(exc).splitlines()[0]}); fix the file "
                           "and run `tutorbot ingest`") from None


class _Mention(BaseModel):
    url: str
    title: str
    quality: int  # how sure we are the title names the resource (higher wins)
    description: str
    ref: RoadmapRef
    roadmap: str
    zh: bool


def _host_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.netloc.lower().removeprefix("www."), parts.path


def classify_kind(url: str | None, title: str = "", context: str = "") -> ResourceKind:
    """Kind of a resource: host/path rules first, then words in its title and context."""
    if url:
        host, path = _host_path(url)
        for rule_host, prefix, kind in KIND_RULES:
            if (host == rule_host or host.endswith("." + rule_host)) and path.startswith(prefix):
                return kind
    for pattern, kind in KIND_WORDS:
        if re.search(pattern, f"{title} {context}", re.IGNORECASE):
            return kind
    return "site"


def _plain(text: str) -> str:
    """Markdown line as plain text: links become their text, markers and emphasis go."""
    text = MD_LINK.sub(lambda m: unescape_md(m.group(1)), text)
    text = LIST_ITEM.sub("", text, count=1)
    text = re.sub(r"[*`✅]+|~~|\\(?=[\[\]|_])|(?<!\w)_|_(?!\w)", "", text)
    return re.sub(r"\s+", " ", text).strip(" |")


def _clean_title(text: str) -> str:
    text = re.sub(r"[*`]+", "", text).strip()
    while SITE_SUFFIX.search(text):  # "…_哔哩哔哩_bilibili" carries two
        text = SITE_SUFFIX.sub("", text)
    text = re.sub(r"^GitHub - |^《(.*)》$", r"\1", text)
    text = re.sub(r"^\[\d{4}\.\d{4,5}(?:v\d+)?\]\s*", "", text)  # "[2303.18223] A Survey…"
    return re.sub(r"\s+—\s+.*documentation$", "", text).strip()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _title(link_text: str, url: str, before: str, lines: list[str], i: int, heading: str) -> tuple[str, int]:
    """Best title for a link and how much to trust it (higher is better)."""
    label = LABEL.search(before)
    if label and not PLACEHOLDER.match(clean_heading(label.group(1))):
        return clean_heading(label.group(1)), 4  # "**The Illustrated Transformer**：[Jalammar博客](…)"
    title = _clean_title(link_text)
    weak = bool(re.search(r"官网|主页", title))
    if label and heading and (weak or not title or PLACEHOLDER.match(title) or title.startswith("http")):
        return re.sub(r"^\d+\.\s*", "", heading), 3  # "- **链接**：[课程主页](…)" under "### 3. Berkeley CS182"
    if title and not PLACEHOLDER.match(title) and not title.startswith(("http://", "https://")):
        return title, 2 if weak else 3
    lead = re.split(r"[，。；、|（(]", _plain(before).rstrip("（(：: "))[-1].strip()
    if lead and not PLACEHOLDER.match(lead):
        return lead, 2  # "Illustrated Transformer（[链接](…)）"
    parent = next((_plain(x) for x in reversed(lines[:i]) if x.strip() and _indent(x) < _indent(lines[i])), "")
    host, path = _host_path(url)
    return (f"{parent} – {host}", 1) if parent else (host + path, 0)


def _description(lines: list[str], i: int, start: int, end: int) -> str:
    """Rest of the link's line, plus its sub-items; labelled siblings (特点…) for a bare link line."""
    line = lines[i]
    rest = re.sub(r"（\s*）|\(\s*\)", "", _plain(line[:start] + line[end:])).lstrip("：:）) ").rstrip("：:（( ")
    label = LABEL.search(line[:start])
    if label and PLACEHOLDER.match(clean_heading(label.group(1))):
        rest = ""  # "**链接**：" says nothing about the resource
    parts = [rest] if rest else []
    for nxt in lines[i + 1 :]:
        if nxt.strip() and _indent(nxt) <= _indent(line):
            break
        if nxt.strip() and not find_links(nxt):
            parts.append(_plain(nxt))
    if not parts:
        parts = [_plain(x) for x in lines if LABELLED_ITEM.match(x) and not find_links(x)
                 and _indent(x) == _indent(line)]
    desc = "；".join(p for p in parts if p)
    return desc if len(desc) <= 300 else desc[:299] + "…"


def _link_spans(line: str) -> list[tuple[str, str, int, int]]:
    """(text, raw url, start, end) of every link in a line, markdown links first."""
    spans = [(unescape_md(m.group(1)).strip(), m.group(2), m.start(), m.end()) for m in MD_LINK.finditer(line)]
    for text, raw in find_links(line)[len(spans):]:
        start = line.find(raw)
        spans.append((text, raw, start, start + len(raw)))
    return spans


def _mentions(doc: Document) -> list[_Mention]:
    found: list[_Mention] = []
    for section in iter_sections(doc):
        heading = section.path[-1] if section.path else ""
        for i, line in enumerate(section.lines):
            for text, raw, start, end in _link_spans(line):
                url = normalise_url(raw.split("\\")[0])  # an export left "\)" behind one link
                if not re.fullmatch(r"https?://[a-z0-9.\-]+(:\d+)?(/.*)?", url, re.DOTALL):
                    continue
                title, quality = _title(text, url, line[:start], section.lines, i, heading)
                host = _host_path(url)[0]
                zh_video = classify_kind(url) == "video" and document_lang(text) == "zh"
                found.append(_Mention(
                    url=url, title=title, quality=quality, description=_description(section.lines, i, start, end),
                    ref=RoadmapRef(roadmap=doc.id, section=" > ".join(section.path)), roadmap=doc.title,
                    zh=host.endswith(ZH_HOSTS) or zh_video or any(t in line for t in ZH_TEACHERS),
                ))
    return found


def _entry(mentions: list[_Mention]) -> CatalogEntry:
    lang: Lang = "zh" if any(m.zh for m in mentions) else "en"
    # Most trusted title; among equals one in the resource's language, then the longest.
    best = max(mentions, key=lambda m: (m.quality, lang == "zh" or not has_cjk(m.title), len(m.title)))
    url = max((m.url for m in mentions), key=lambda u: u.startswith("https:"))
    description = max((m.description for m in mentions), key=len)
    refs: list[RoadmapRef] = []
    for ref in (m.ref for m in mentions):
        if ref not in refs:
            refs.append(ref)
    return CatalogEntry(
        id=url, url=url, title=best.title, description=description, language=lang,
        kind=classify_kind(url, best.title), refs=refs,
        roadmaps=list(dict.fromkeys(m.roadmap for m in mentions)),
    )


def _named(documents: list[Document], by_url: dict[str, list[_Mention]],
           named: Sequence[NamedResource]) -> list[CatalogEntry]:
    """Entries for resources recommended by name; mentions of linked ones join their entry."""
    entries: dict[str, list[_Mention]] = {}
    for doc in documents:
        for section in iter_sections(doc):
            for line in section.lines:
                for res in named:
                    if not re.search(res.pattern, line if res.url else MD_LINK.sub(" ", line), re.IGNORECASE):
                        continue
                    url = same_resource(normalise_url(res.url)) if res.url else ""
                    key = url if url in by_url else f"name:{res.slug}"
                    linked = url in [same_resource(normalise_url(u)) for _, u in find_links(line)]
                    mention = _Mention(url=by_url[key][0].url if key in by_url else key, title=res.title, quality=3,
                                       description="" if linked else _plain(line)[:300],
                                       ref=RoadmapRef(roadmap=doc.id, section=" > ".join(section.path)),
                                       roadmap=doc.title, zh=False)
                    (by_url if key in by_url else entries).setdefault(key, []).append(mention)
    kinds = {f"name:{res.slug}": res.kind for res in named}
    return [_entry(m).model_copy(update={"id": key, "url": None, "kind": kinds[key]})
            for key, m in entries.items()]


def same_resource(url: str) -> str:
    """Grouping key: ``normalise_url`` keeps http and https apart for most hosts; one page is one entry."""
    return re.sub(r"^https?://", "//", url)


def build_catalog(documents: list[Document], named: Sequence[NamedResource] = ()) -> list[CatalogEntry]:
    """One entry per linked resource (first-seen order), then the resources ``named`` recommends by name."""
    by_url: dict[str, list[_Mention]] = {}
    for doc in documents:
        for mention in _mentions(doc):
            by_url.setdefault(same_resource(mention.url), []).append(mention)
    by_name = _named(documents, by_url, named)  # first: it adds name-only mentions of linked resources
    return [_entry(m) for m in by_url.values()] + by_name


def filter_catalog(entries: list[CatalogEntry], kind: ResourceKind | None = None,
                   topic: str | None = None) -> list[CatalogEntry]:
    return [e for e in entries if (kind is None or e.kind == kind) and (topic is None or topic in e.topics)]


_ENTRIES = TypeAdapter(list[CatalogEntry])


def save_catalog(entries: list[CatalogEntry], path: Path) -> None:
    write_atomic(path, json.dumps({"version": 1, "entries": _ENTRIES.dump_python(entries, mode="json")},
                                  ensure_ascii=False, indent=1))


def load_catalog(path: Path) -> list[CatalogEntry]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return _ENTRIES.validate_python(data["entries"])
    except FileNotFoundError:
        raise CatalogError(f"{path}: catalog not found; build it with `tutorbot ingest`") from None
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise CatalogError(f"{path}: invalid catalog ({str(exc).splitlines()[0]}); "
                           "rebuild it with `tutorbot ingest`") from None
