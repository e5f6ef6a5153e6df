"""Data that crosses module lines: documents, chunks, hits, citations, answers, catalog entries.

Plan and quiz schemas live beside their services (``plan_models``, ``quiz_models``) to keep
this file short; everything here is plain pydantic with no behaviour beyond small helpers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from tutorbot.lang import TextLang

Lang = TextLang
SourceKind = Literal["roadmap", "linked"]
ResourceKind = Literal["course", "paper", "blog", "repository", "video", "book", "documentation", "site"]


class Document(BaseModel):
    """One cleaned source document (a roadmap file or a fetched linked page)."""

    id: str = Field(description="Stable id: corpus-relative path, or the page URL for linked pages.")
    title: str
    text: str = Field(description="Cleaned, repaired, normalised markdown text.")
    kind: SourceKind = "roadmap"
    lang: Lang = "zh"
    meta: dict[str, str] = Field(default_factory=dict, description="Front matter (title, date, tags...).")
    trusted: bool = Field(True, description="False for fetched pages: reference data, never instructions.")
    merged_from: list[str] = Field(default_factory=list, description="Ids of duplicates merged into this one.")
    linked_from: list[str] = Field(default_factory=list, description="'doc_id > section' entries linking here.")
    content_hash: str = ""


class Chunk(BaseModel):
    """A retrievable unit: a heading section or part of one."""

    id: str = Field(description="doc id + position + content hash.")
    doc_id: str
    title: str = Field(description="Document title.")
    section: str = Field("", description="Heading path, ' > '-joined.")
    text: str = Field(description="The chunk's own text, as shown to learners.")
    lang: Lang = "zh"
    urls: list[str] = Field(default_factory=list)
    position: int = 0
    kind: SourceKind = "roadmap"
    trusted: bool = True
    linked_from: list[str] = Field(default_factory=list)

    @property
    def embed_text(self) -> str:
        """What is embedded and BM25-indexed: heading path first so list items keep their context."""
        head = " > ".join(p for p in (self.title, self.section) if p)
        return f"{head}\n{self.text}" if head else self.text

    @property
    def source(self) -> str:
        """Where a citation leads: the page URL for linked material, else the document id."""
        return self.doc_id


class Hit(BaseModel):
    chunk: Chunk
    score: float

    def as_json(self) -> dict[str, object]:
        """The ``tutorbot search --json`` row; linked pages add their provenance and trust flag."""
        c = self.chunk
        row = {"id": c.id, "text": c.text, "source": c.source, "section": c.section, "title": c.title,
               "urls": c.urls, "score": round(self.score, 6), "kind": c.kind}
        if c.kind == "linked":  # source is the page URL, title the page title
            # entries are "<roadmap id> > <heading path>"; a roadmap id (a file path) has no " > "
            refs = [RoadmapRef(roadmap=r, section=sec).model_dump()
                    for r, _, sec in (x.partition(" > ") for x in c.linked_from)]
            row.update(url=c.source, linked_from=refs, trusted=c.trusted)
        return row


class Citation(BaseModel):
    n: int = Field(ge=1)
    source: str
    section: str = ""
    title: str = ""
    urls: list[str] = Field(default_factory=list)
    text: str = Field("", description="Snippet of the cited chunk.")
    chunk_id: str = ""


class AnswerPart(BaseModel):
    """A piece of an answer and who wrote it: the model (each sentence verified) or the sources."""

    text: str
    origin: Literal["model", "composed"]


class GateReport(BaseModel):
    """What the truth gate did to the model's text for one answer."""

    kept: int = 0
    dropped: int = 0
    reasons: dict[str, int] = Field(default_factory=dict, description="Why sentences were dropped.")
    looped: bool = False
    gave_up: bool = Field(False, description="The model was stopped early; sources were quoted instead.")


class Answer(BaseModel):
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    language: Literal["zh", "en"] = "en"
    grounded: bool = True
    error: str = Field("", description="Set when the model was unavailable; sources are still given.")
    query: str = Field("", description="The standalone query actually used for retrieval.")
    parts: list[AnswerPart] = Field(default_factory=list, description="Which text the model wrote, which was quoted.")
    gate: GateReport = Field(default_factory=GateReport)
    first_text_s: float | None = Field(None, description="Seconds from the model call to the first shown text.")
    question_cut_from: int = Field(
        0, description="The question's length when it was over the limit and only its first characters were asked "
                       "(chat.service.MAX_QUESTION_CHARS); 0 when it was asked whole.")


class RoadmapRef(BaseModel):
    roadmap: str = Field(description="Document id of the roadmap.")
    section: str = ""


class CatalogEntry(BaseModel):
    id: str = Field(description="Normalised URL, or 'name:<slug>' for a resource the roadmaps name without a link.")
    url: str | None = Field(None, description="Normalised URL; None when the roadmaps give no link and "
                            "corpus/canonical_links.yaml knows no official one for the name.")
    url_source: Literal["roadmap", "tutorbot"] = Field(
        "roadmap", description="Who gave ``url``: the roadmaps, or tutorbot's curated canonical links "
        "(a resource the roadmaps name without a link; such pages are not fetched).")
    title: str
    kind: ResourceKind
    roadmaps: list[str] = Field(default_factory=list, description="Roadmap titles recommending it.")
    refs: list[RoadmapRef] = Field(default_factory=list)
    description: str = ""
    language: Lang = "en"
    topics: list[str] = Field(default_factory=list, description="Curriculum topic ids.")
    status: str = Field("", description="Last fetch status of the linked page (issue: linked material).")
