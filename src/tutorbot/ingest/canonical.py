"""Ingestion stage 3b: canonical links for resources the roadmaps name without one.

``corpus/canonical_links.yaml`` maps names (English and Chinese) to a resource's official
address. A catalog entry without a URL whose title equals one of those names, once both are
normalised, gets that address marked ``url_source="tutorbot"``; a URL from the roadmaps is never
replaced. The match is exact on purpose: a near miss attaching a wrong link is worse than none.
The file is optional: a broken one costs only these links, with a warning that names the fix.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from tutorbot.schemas import CatalogEntry
from tutorbot.urls import normalise_url

# Marks that decorate a name without changing which resource it is: 《书名》, quotes, emphasis.
DECORATION = re.compile(r"[《》〈〉「」『』“”‘’\"'`*]")


class CanonicalLink(BaseModel):
    """One resource: the names it goes by and its official address."""

    names: list[str] = Field(min_length=1)
    url: str
    what: str = Field("", description="One line saying what the resource is (for whoever edits the file).")

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not re.fullmatch(r"https://[a-z0-9.\-]+(/\S*)?", url):
            raise ValueError(f"not an https address: {url!r}")
        return normalise_url(url)


def normalise_name(name: str) -> str:
    """The form names are compared in: NFKC (full-width brackets become ASCII), no decoration,
    case folded, one space between words and none next to CJK characters."""
    text = DECORATION.sub("", unicodedata.normalize("NFKC", name)).casefold()
    text = re.sub(r"\s+", " ", text).strip(" .:;,-")
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)


def load_canonical(path: Path) -> tuple[list[CanonicalLink], str]:
    """The curated links and a warning; a missing file means none, a broken one means none plus
    a warning naming the file (the catalog still builds, only these links are missing)."""
    import yaml

    if not path.exists():
        return [], ""
    try:
        links = TypeAdapter(list[CanonicalLink]).validate_python(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError, UnicodeDecodeError) as exc:
        return [], (f"{path.name}: invalid canonical-link list ({_where(exc)}); resources named without a "
                    "link stay without one until the file is fixed and `tutorbot ingest` runs again")
    return links, _ambiguous(links, path.name)


def _where(exc: Exception) -> str:
    """Where the file is wrong: the line a YAML error points at, the entry and field a validation
    error names (its first line only says how many errors there are)."""
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ", ".join(f"entry {x + 1}" if isinstance(x, int) else str(x) for x in err["loc"])
        return f"{where}: {err['msg']}" if where else err["msg"]
    mark = getattr(exc, "problem_mark", None)
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return f"line {mark.line + 1}: {first}" if mark else first


def _ambiguous(links: Sequence[CanonicalLink], file: str) -> str:
    """A name given two different addresses is a mistake in the file; say which one."""
    seen: dict[str, str] = {}
    for link in links:
        for name in map(normalise_name, link.names):
            if seen.setdefault(name, link.url) != link.url:
                return f"{file}: the name {name!r} has two addresses; neither is used"
    return ""


def by_name(links: Sequence[CanonicalLink]) -> dict[str, str]:
    """Normalised name → URL, leaving out names the file gives two different addresses."""
    table: dict[str, str | None] = {}
    for link in links:
        for name in map(normalise_name, link.names):
            table[name] = link.url if table.get(name, link.url) == link.url else None
    return {name: url for name, url in table.items() if url}


def add_canonical(entries: list[CatalogEntry], links: Sequence[CanonicalLink]) -> list[CatalogEntry]:
    """Entries, those without a URL given the canonical one their title names (marked as added)."""
    table = by_name(links)
    return [e.model_copy(update={"url": table[key], "url_source": "tutorbot"})
            if e.url is None and (key := normalise_name(e.title)) in table else e
            for e in entries]
