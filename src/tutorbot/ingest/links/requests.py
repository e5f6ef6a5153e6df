"""Link fetching, step 1: decide what to request for a roadmap link (pure functions).

A GitHub repository page is mostly navigation chrome rendered by scripts; its README
is the content, so repository and ``blob`` links are rewritten to raw.githubusercontent.com.
arXiv ``pdf`` links become the ``abs`` page (title, authors, abstract); the PDF is fetched
only when ``LinksSettings.pdf_text`` asks for it. Everything else is requested as given,
minus the fragment.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from tutorbot.urls import normalise_url

Site = Literal["github", "arxiv", "youtube", "bilibili", "web"]

ARXIV_ID = re.compile(r"^/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})(v\d+)?(?:\.pdf)?/?$", re.I)
RAW_GITHUB = "https://raw.githubusercontent.com"
# Second path segments on github.com that are site pages, not repositories.
NOT_REPOS = frozenset({"orgs", "topics", "settings", "marketplace", "features", "sponsors", "collections"})


def host_of(url: str) -> str:
    """Lower-cased host name, or "" for a URL too malformed to have one."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def url_id(url: str) -> str:
    """``normalise_url``, but a malformed URL is its own id (the fetch then reports it)."""
    try:
        return normalise_url(url)
    except ValueError:
        return url.strip()


def site_of(url: str) -> Site:
    """Which special case (if any) a URL belongs to."""
    host = host_of(url).removeprefix("www.").removeprefix("m.")
    if host in ("github.com", "raw.githubusercontent.com"):
        return "github"
    if host.endswith("arxiv.org"):
        return "arxiv"
    if host in ("youtube.com", "youtu.be"):
        return "youtube"
    if host.endswith("bilibili.com") or host == "b23.tv":
        return "bilibili"
    return "web"


def arxiv_id(url: str) -> str | None:
    """The arXiv identifier (with version, if the link pins one) of an abs/pdf URL."""
    m = ARXIV_ID.match(urlsplit(url).path)
    return m.group(1) + (m.group(2) or "") if m else None


def plan_request(url: str) -> str:
    """The URL to actually request for a roadmap link (malformed ones pass through for the check to refuse)."""
    url = url.strip()
    host = host_of(url)
    if not host:
        return url
    path = urlsplit(url).path
    if host in ("github.com", "www.github.com"):
        return _github_raw(path) or _without_fragment(url)
    if site_of(url) == "arxiv" and (ident := arxiv_id(url)):
        return f"https://arxiv.org/abs/{ident}"
    if host == "youtu.be" and path.strip("/"):
        return f"https://www.youtube.com/watch?v={path.strip('/')}"
    return _without_fragment(url)


def arxiv_pdf_url(url: str) -> str | None:
    """The PDF of an arXiv abs/pdf link, for the optional full-text fetch."""
    ident = arxiv_id(url)
    return f"https://arxiv.org/pdf/{ident}" if ident else None


def _github_raw(path: str) -> str | None:
    segs = [s for s in path.split("/") if s]
    if len(segs) < 2 or segs[0] in NOT_REPOS:
        return None
    owner, repo = segs[0], segs[1].removesuffix(".git")
    if len(segs) == 2:
        return f"{RAW_GITHUB}/{owner}/{repo}/HEAD/README.md"
    if segs[2] == "blob" and len(segs) >= 5:
        return f"{RAW_GITHUB}/{owner}/{repo}/{'/'.join(segs[3:])}"
    if segs[2] == "tree" and len(segs) >= 4:
        # A folder: its README is what the folder page shows.
        return f"{RAW_GITHUB}/{owner}/{repo}/{'/'.join(segs[3:])}/README.md"
    return None


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
