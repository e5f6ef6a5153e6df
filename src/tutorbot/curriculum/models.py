"""Data of the curriculum: topics, tracks and goals (``corpus/curriculum.yaml``), and coverage.

Ingest, plans, quizzes, chat and the UI all read these types; the graph logic is in ``graph``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tutorbot.lang import Language
from tutorbot.urls import normalise_url

TOPIC_ID = r"^[a-z][a-z0-9_]{0,39}$"


class Goal(StrEnum):
    understand_llms = "understand_llms"
    implement_from_scratch = "implement_from_scratch"
    research = "research"
    llm_systems_inference = "llm_systems_inference"
    diffusion_models = "diffusion_models"
    finetune_deploy = "finetune_deploy"
    build_llm_apps = "build_llm_apps"


class Text(BaseModel):
    """A short text in both plan languages."""

    model_config = ConfigDict(extra="forbid")
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)

    def get(self, lang: Language) -> str:
        return self.zh if lang == "zh" else self.en


class Synonyms(BaseModel):
    model_config = ConfigDict(extra="forbid")
    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class Topic(BaseModel):
    """One node of the curriculum graph (``corpus/curriculum.yaml``)."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=TOPIC_ID)
    name: Text
    synonyms: Synonyms = Field(default_factory=Synonyms)
    description: Text
    prereqs: list[str] = Field(default_factory=list, description="Topics it cannot be learned without.")
    recommended: list[str] = Field(default_factory=list, description="Topics the roadmaps put first, planned "
                                                                     "before it when the time budget allows.")
    tracks: list[str] = Field(min_length=1)
    practice: bool = Field(False, description="A skill to practise (Python, PyTorch, CUDA...), not a concept "
                                              "to understand: an overview plan leaves it out.")
    hours: float = Field(gt=0, le=200, description="Estimated study hours for a typical learner.")
    stage: int = Field(ge=1, le=99, description="The roadmaps' own stage order; breaks ordering ties.")
    resources: list[str] = Field(default_factory=list, description="Catalog ids (normalised URL or name:slug).")
    projects: list[Text] = Field(default_factory=list)

    @field_validator("resources")
    @classmethod
    def _normalise(cls, v: list[str]) -> list[str]:
        # The yaml may list raw roadmap URLs; the catalog knows them by their normalised form.
        return [normalise_url(r) if r.startswith(("http://", "https://")) else r for r in v]

    def aliases(self) -> list[str]:
        """Every string that names this topic, for matching learner text and roadmap sections."""
        return [self.id, self.name.en, self.name.zh, *self.synonyms.en, *self.synonyms.zh]


class Track(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=TOPIC_ID)
    name: Text
    synonyms: Synonyms = Field(default_factory=Synonyms)
    tip: Text = Field(description="Template study tip for a phase of this track (used when the LLM fails).")


class GoalSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    targets: list[str] = Field(min_length=1, description="Topics the goal must reach.")
    area_base: list[str] = Field(default_factory=list, description="research: targets kept when an area is given.")
    tracks: list[str] = Field(default_factory=list, description="Tracks whose topics point a learner to this goal.")
    synonyms: Synonyms = Field(default_factory=Synonyms, description="Words a learner uses for this goal.")
    not_covered: Text | None = Field(None, description="What this goal usually asks for that the roadmaps do not "
                                                       "teach, said plainly in every plan for it.")


class Uncovered(BaseModel):
    """Something learners ask for that the roadmaps do not teach; a plan says so plainly."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=TOPIC_ID)
    name: Text
    synonyms: Synonyms
    nearest: Goal | None = Field(None, description="The goal whose path comes closest, when the text names no other.")


class Section(BaseModel):
    """One roadmap section (heading path) with its text, for the curriculum coverage check."""

    doc_id: str
    section: str
    text: str = ""
    urls: list[str] = Field(default_factory=list)


class CoverageReport(BaseModel):
    unused_resources: list[str] = Field(description="Catalog ids no topic uses.")
    uncovered_sections: list[tuple[str, str]] = Field(description="(doc_id, section) pairs no topic covers.")
    topics_without_resources: list[str] = Field(default_factory=list)
