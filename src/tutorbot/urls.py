"""URL handling shared by the catalog, the curriculum, link fetching and answer filtering.

``normalise_url`` is the one definition of "the same resource": fragments and tracking
parameters dropped, host lower-cased, arXiv ``abs``/``pdf`` versions unified, trailing
slashes and ``index.html`` ignored. ``is_loopback`` says whether a host is this machine only.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Markdown links [text](url) — the text may contain escaped brackets like "\[2303.18223\]".
MD_LINK = re.compile(r"\[((?:\\.|[^\[\]\\])*)\]\((https?://[^\s)]+)\)")
BARE_URL = re.compile(r"(?<![(\[<])\bhttps?://[^\s)\]>，。；、）]+")
TRACKING = re.compile(r"^(utm_\w+|spm_id_from|vd_source|fbclid|gclid|ref|ref_src|from|share_source)$", re.I)
ARXIV = re.compile(r"^/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})(?:v\d+)?(?:\.pdf)?/?$", re.I)


def normalise_url(url: str) -> str:
    """Canonical form of a resource URL (idempotent)."""
    url = url.strip().strip("<>")
    parts = urlsplit(url)
    scheme = parts.scheme.lower() or "https"
    host = parts.netloc.lower()
    if host.startswith("www.") and host not in {"www.youtube.com", "www.bilibili.com", "www.cs.cmu.edu"}:
        host = host[4:]
    path = parts.path or "/"
    m = ARXIV.match(path) if host.endswith("arxiv.org") else None
    if m:
        return f"https://arxiv.org/abs/{m.group(1)}"
    if host == "http" or not host:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)]
    if path.endswith("/index.html"):
        path = path[: -len("index.html")]
    if len(path) > 1:
        path = path.rstrip("/")
    if scheme == "http" and host not in {"llm.int8.dev"}:
        scheme = "https" if host.endswith(("github.com", "youtube.com", "arxiv.org")) else scheme
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def unescape_md(text: str) -> str:
    """Undo markdown backslash escapes in link text (``\\[2303.18223\\]`` → ``[2303.18223]``)."""
    return re.sub(r"\\(.)", r"\1", text)


def find_links(text: str) -> list[tuple[str, str]]:
    """All (link text, raw url) pairs in markdown text, markdown links first, then bare URLs."""
    found = [(unescape_md(t).strip(), u) for t, u in MD_LINK.findall(text)]
    seen = {u for _, u in found}
    stripped = MD_LINK.sub(" ", text)
    for u in BARE_URL.findall(stripped):
        u = u.rstrip(".,;:!?*'\"")
        if u not in seen:
            found.append(("", u))
            seen.add(u)
    return found


def find_urls(text: str) -> list[str]:
    """Normalised, de-duplicated URLs in order of appearance."""
    out: list[str] = []
    for _, u in find_links(text):
        n = normalise_url(u)
        if n not in out:
            out.append(n)
    return out


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name could resolve anywhere: treat it as exposed
