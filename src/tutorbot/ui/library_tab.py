"""UI stage, Library tab: the resource catalog, searchable in both languages (``retrieval.catalog_search``)
and filterable by kind, topic, roadmap and language.

A resource's topics are its own ``topics`` plus every curriculum topic that lists it; each
row links out (catalog URLs only), names the roadmaps that recommend it and shows how its
link fared on its last fetch (read from the link cache at each render, so a fetch running
beside the UI shows up without a restart); pages the background job of ``up`` has not reached
yet read "pending". A link tutorbot added (``url_source="tutorbot"``: the roadmap names the
resource without one) says so instead: it is never fetched, so it has no status. A dead link
tells the learner what they can do in the browser: the roadmap's text about it is still searchable.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import gradio as gr

from tutorbot.curriculum.graph import Curriculum
from tutorbot.ingest.catalog import filter_catalog
from tutorbot.ingest.linked import LinkStatus, link_statuses
from tutorbot.retrieval.catalog_search import Expand, matches, search_terms
from tutorbot.schemas import CatalogEntry
from tutorbot.ui.choices import topic_choices
from tutorbot.ui.context import UIContext
from tutorbot.ui.i18n import STRINGS, t
from tutorbot.ui.render import link_html

MAX_ROWS = 300  # beyond this the table is unreadable anyway; the count says how many matched
KINDS = ("course", "paper", "blog", "repository", "video", "book", "documentation", "site")
def entry_topics(entries: list[CatalogEntry], curriculum: Curriculum | None) -> list[CatalogEntry]:
    """Entries whose ``topics`` also hold the curriculum topics that recommend them."""
    by_entry: dict[str, list[str]] = {}
    for topic in curriculum.topics if curriculum else []:
        for rid in topic.resources:
            by_entry.setdefault(rid, []).append(topic.id)
    return [e.model_copy(update={"topics": list(dict.fromkeys([*e.topics, *by_entry.get(e.id, [])]))})
            for e in entries]


def filter_entries(entries: list[CatalogEntry], query: str = "", kind: str = "", topic: str = "",
                   roadmap: str = "", language: str = "", expand: Expand | None = None) -> list[CatalogEntry]:
    """Entries matching every filter that is set; the search is case-insensitive over text fields, and
    in both languages when ``expand`` (the retriever's query expander) is given."""
    found = filter_catalog(entries, kind=kind or None, topic=topic or None)  # type: ignore[arg-type]
    terms = search_terms(query, expand)
    return [e for e in found
            if (not roadmap or roadmap in e.roadmaps) and (not language or e.language == language)
            and matches(f"{e.title} {e.description} {e.url or ''}", terms)]


def link_status(entry: CatalogEntry, statuses: dict[str, LinkStatus]) -> LinkStatus | None:
    """The entry's link status; None for resources the roadmaps name without a link (tutorbot's
    added links included: they are not fetched, so "not fetched" would only read as a fault)."""
    return statuses.get(entry.url, LinkStatus()) if entry.url and entry.url_source == "roadmap" else None


def dead_only(entries: list[CatalogEntry], statuses: dict[str, LinkStatus]) -> list[CatalogEntry]:
    return [e for e in entries if (s := link_status(e, statuses)) and s.state == "dead"]


def link_badge(status: LinkStatus | None, lang: str) -> str:
    """The status cell: a badge (ok / dead / pending / not fetched), then why it failed and when it
    last worked (a pending page that was fetched before says how that went)."""
    if status is None:
        return ""
    badge = (f'<span class="tb-link tb-link-{status.state}">'
             f'{html.escape(t(lang, "lib.link_" + status.state))}</span>')
    if status.state == "unfetched" or (status.state == "pending" and not (status.reason or status.last_success)):
        return badge
    details = [_why(status)] if status.state == "dead" or status.reason else []
    details.append(t(lang, "lib.last_ok", date=status.last_success.date().isoformat())
                   if status.last_success else t(lang, "lib.never_ok"))
    return f'{badge}<div class="tb-desc">{html.escape(" · ".join(details))}</div>'


def link_cell(entry: CatalogEntry, status: LinkStatus | None, lang: str) -> str:
    """The link column: the added-by-tutorbot note, or the status badge (a dead one with what to do)."""
    if entry.url and entry.url_source == "tutorbot":
        return (f'<span class="tb-link tb-link-added" title="{html.escape(t(lang, "lib.link_added_tip"))}">'
                f'{html.escape(t(lang, "lib.link_added"))}</span>')
    if status is None or status.state != "dead":
        return link_badge(status, lang)
    return link_badge(status, lang) + f'<div class="tb-desc">{html.escape(dead_help(entry, lang))}</div>'


def dead_help(entry: CatalogEntry, lang: str) -> str:
    """What a learner can do about a dead link in the browser, naming where the roadmaps recommend it."""
    sections = list(dict.fromkeys(r.section for r in entry.refs if r.section))[:2]  # two say enough
    return t(lang, "lib.dead_help", where="; ".join(sections) or ", ".join(entry.roadmaps))


def _why(status: LinkStatus) -> str:
    code = f"HTTP {status.http_status}" if status.http_status else ""
    if code and code not in status.reason:  # e.g. "content type … not allowed" still names the code
        return f"{code}: {status.reason}" if status.reason else code
    return status.reason or code


def roadmaps(entries: list[CatalogEntry]) -> list[str]:
    return sorted({r for e in entries for r in e.roadmaps})


def library_html(entries: list[CatalogEntry], total: int, curriculum: Curriculum | None, lang: str,
                 statuses: dict[str, LinkStatus] | None = None, empty: str = "lib.none") -> str:
    """The count line and the table; ``empty`` is the message key for when nothing matched."""
    count = f'<p class="tb-count">{html.escape(t(lang, "lib.count", n=len(entries), total=total))}</p>'
    if not entries:
        return count + f'<div class="tb-empty">{html.escape(t(lang, empty))}</div>'
    heads = ("lib.title", "lib.kind", "lib.topic", "lib.recommended", "lib.language", "lib.link")
    head = "".join(f"<th>{html.escape(t(lang, h))}</th>" for h in heads)
    rows = "".join(_row(e, curriculum, lang, statuses or {}) for e in entries[:MAX_ROWS])
    return f'{count}<table class="tb-library"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _row(e: CatalogEntry, curriculum: Curriculum | None, lang: str, statuses: dict[str, LinkStatus]) -> str:
    names = [curriculum.topic(x).name.get("zh" if lang == "zh" else "en") for x in e.topics
             if curriculum and x in curriculum.ids]
    desc = f'<div class="tb-desc">{html.escape(e.description[:200])}</div>' if e.description else ""
    kind = t(lang, f"kind.{e.kind}") if f"kind.{e.kind}" in STRINGS else e.kind
    return (f"<tr><td>{link_html(e.url, e.title)}{desc}</td><td>{html.escape(kind)}</td>"
            f"<td>{html.escape(', '.join(names))}</td><td>{html.escape(', '.join(e.roadmaps))}</td>"
            f"<td>{html.escape(t(lang, 'lang.' + e.language))}</td>"
            f"<td>{link_cell(e, link_status(e, statuses), lang)}</td></tr>")


def any_choice(lang: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(t(lang, "lib.any"), ""), *pairs]


def build_library_tab(ctx: UIContext) -> None:
    cur = ctx.services.curriculum
    entries = entry_topics(ctx.services.catalog, cur)
    L = ctx.labels

    def kinds(lang: str) -> list[tuple[str, str]]:
        return any_choice(lang, [(t(lang, f"kind.{k}"), k) for k in KINDS])

    def topics(lang: str) -> list[tuple[str, str]]:
        return any_choice(lang, topic_choices(cur, lang))

    def maps(lang: str) -> list[tuple[str, str]]:
        return any_choice(lang, [(r, r) for r in roadmaps(entries)])

    def langs(lang: str) -> list[tuple[str, str]]:
        return any_choice(lang, [(t(lang, f"lang.{x}"), x) for x in ("en", "zh", "mixed")])
    with gr.Row():
        query = L.add(gr.Textbox(label=t("en", "lib.search"), max_lines=1, max_length=200, scale=3,
                                 elem_id="tb-lib-search"), label="lib.search")
        filters: list[Any] = []
        for key, choices, elem in (("lib.kind", kinds, "tb-lib-kind"), ("lib.topic", topics, "tb-lib-topic"),
                                   ("lib.roadmap", maps, "tb-lib-roadmap"), ("lib.language", langs, "tb-lib-lang")):
            box = gr.Dropdown(choices("en"), value="", label=t("en", key), scale=2, elem_id=elem)
            L.add(box, _relabel(key, choices))
            filters.append(box)
        dead = gr.Checkbox(False, label=t("en", "lib.dead_only"), scale=1, elem_id="tb-lib-dead")
        L.add(dead, lambda lang: {"label": t(lang, "lib.dead_only")})
        filters.append(dead)
    table = gr.HTML(elem_id="tb-library")

    def show(q: str, kind: str, topic: str, roadmap: str, language: str, dead_links: bool, lang: str) -> str:
        progress = ctx.services.linked()
        statuses = link_statuses(ctx.services.settings, progress.pending() if progress else ())
        found = filter_entries(entries, q or "", kind or "", topic or "", roadmap or "", language or "",
                               ctx.services.expand)
        if dead_links:
            found = dead_only(found, statuses)
        empty = "lib.no_fetch" if dead_links and not statuses else "lib.none"
        return library_html(found, len(entries), cur, lang, statuses, empty)

    inputs = [query, *filters, ctx.lang]
    quick = ctx.quick_event()
    query.change(show, inputs, table, trigger_mode="always_last", **quick)
    for box in filters:
        box.change(show, inputs, table, **quick)
    ctx.on_refresh(show, inputs, [table])


def _relabel(key: str, choices: Callable[[str], list[tuple[str, str]]]) -> Callable[[str], dict[str, Any]]:
    return lambda lang: {"label": t(lang, key), "choices": choices(lang)}
