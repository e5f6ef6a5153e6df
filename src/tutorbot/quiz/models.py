"""Quiz data: questions with their answer keys and sources, quizzes, grades and feedback.

Stage: shared by the quiz pipeline (rules/model generation → validation → grading → SRS).
A ``Question`` carries everything needed to check and grade it later without the index:
the answer key (``key``, the span its cited passage must contain), an optional ``anchor`` that
must share a line with the key, and ``absent`` claims the passage must *not* support.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from tutorbot.lang import Language

QType = Literal["mcq", "tf", "short", "blank"]
QuizLang = Language
Level = Literal["recall", "understanding", "application"]
About = Literal["subject", "roadmap"]
Origin = Literal["model", "rule"]
LEVELS: tuple[Level, ...] = ("recall", "understanding", "application")
QTYPES: tuple[QType, ...] = ("mcq", "tf", "short", "blank")
BLANK = "____"
TF_OPTIONS: dict[QuizLang, list[str]] = {"en": ["True", "False"], "zh": ["对", "错"]}
MAX_QUESTIONS = 20


class QuizConfig(BaseModel):
    """Knobs of quiz generation, validation and grading (defaults measured on the bundled models)."""

    max_model_calls: int = Field(3, ge=0, le=20, description="LLM calls per quiz; rules fill the rest.")
    model_budget_s: float = Field(15.0, ge=0, description="No new LLM call starts after this many seconds "
                                  "of a quiz's model phase (a CPU server takes 10-30 s per question).")
    model_max_tokens: int = Field(160, ge=32, le=2048, description="Completion budget of one question.")
    passage_chars: int = Field(400, ge=100, le=4000, description="Passage text shown to the model.")
    min_similarity: float = Field(0.80, ge=-1, le=1, description="Cosine floor of question+answer vs its "
                                  "passage (multilingual-e5 puts unrelated text at about 0.72-0.80).")
    model_top_k: int = Field(10, ge=1, description="A model question's passage must be among its k nearest.")
    duplicate_similarity: float = Field(0.85, ge=0, le=1, description="Bigram Jaccard above which two "
                                        "questions with the same answer count as one.")
    recent_days: int = Field(14, ge=0, description="A question seen this recently is not asked again.")
    grade_band: float = Field(0.25, ge=0, le=1, description="How far the model's grade may move the "
                              "deterministic short-answer score.")
    answer_max_chars: int = Field(2000, ge=10, le=100_000)
    roadmap_share: float = Field(0.2, ge=0, le=1, description="At most this share of a quiz asks about the "
                                 "roadmaps themselves (which course, which resource) rather than the subject.")
    roadmap_share_thin: float = Field(0.5, ge=0, le=1, description="The share allowed when the topic and its "
                                      "neighbours have too few explanatory sentences (roadmaps without linked pages).")


class QuizSource(BaseModel):
    """Where a question's answer is written: a chunk of a roadmap or a linked page."""

    chunk_id: str
    source: str = Field(description="Document id (roadmap path) or page URL.")
    title: str = ""
    section: str = ""
    urls: list[str] = Field(default_factory=list, description="The fact's own link first.")
    quote: str = Field("", description="The passage line holding the answer.")

    @property
    def link(self) -> str:
        return self.urls[0] if self.urls else self.source


class Question(BaseModel):
    id: str
    type: QType
    topic: str = Field(description="Curriculum topic id.")
    level: Level = Field("recall", description="recall (cloze, a stated fact), understanding (which term, "
                         "which property, a distorted claim) or application (explain, which technique solves it).")
    about: About = Field("subject", description="subject: the concept itself; roadmap: which course or resource.")
    language: QuizLang = "en"
    question: str
    options: list[str] = Field(default_factory=list, description="mcq: 4; tf: 2; else empty.")
    answer: str = Field(description="The correct option, the blank's word, or the reference answer.")
    accepted: list[str] = Field(default_factory=list, description="blank: other accepted spellings.")
    rubric: list[str] = Field(default_factory=list, description="short: key points a full answer covers.")
    explanation: str = ""
    source: QuizSource
    origin: Origin = "rule"
    rule: str = Field("", description="Generator that made it ('model' for the LLM).")
    key: str = Field(description="Span the cited passage must contain.")
    anchor: str = Field("", description="If set, the key must appear on a line that also has the anchor.")
    absent: list[str] = Field(default_factory=list, description="Claims the passage must not support.")
    fact: str = Field("", description="Questions sharing a fact never appear in one quiz.")

    @model_validator(mode="after")
    def _shape(self) -> Question:
        need = {"mcq": 4, "tf": 2}.get(self.type, 0)
        if len(self.options) != need:
            raise ValueError(f"{self.type} question needs {need} options, has {len(self.options)}")
        if need and self.answer not in self.options:
            raise ValueError("the answer must be one of the options")
        if self.type == "short" and not self.rubric:
            raise ValueError("a short-answer question needs a rubric of key points")
        if self.type == "blank" and BLANK not in self.question:
            raise ValueError(f"a fill-in-the-blank question must contain {BLANK}")
        return self

    def public(self) -> dict[str, Any]:
        """The shape `tutorbot quiz --json` prints."""
        return {"id": self.id, "type": self.type, "question": self.question, "options": self.options,
                "answer": self.answer, "explanation": self.explanation,
                "source": {"source": self.source.source, "section": self.source.section, "urls": self.source.urls},
                "topic": self.topic, "origin": self.origin}

    def card_front(self) -> str:
        letters = "ABCD"
        opts = [f"{letters[i]}. {o}" for i, o in enumerate(self.options)] if self.type == "mcq" else []
        return "\n".join([self.question, *opts])

    def card_back(self) -> str:
        parts = [self.answer, *([f"- {p}" for p in self.rubric] if self.type == "short" else [])]
        return "\n".join([*parts, "", self.explanation]).strip()


class MixReport(BaseModel):
    """Where a quiz's questions came from."""

    model: int = 0
    rule: int = 0
    rejected: int = Field(0, description="Candidates the validator refused (model and rule).")
    rejected_model: int = 0
    reasons: dict[str, int] = Field(default_factory=dict)
    model_calls: int = 0
    model_error: str = ""
    roadmap: int = Field(0, description="Questions about the roadmaps themselves (capped by roadmap_share).")
    levels: dict[str, int] = Field(default_factory=dict, description="Questions per level.")
    related: int = Field(0, description="Questions from neighbouring topics, when the topic ran out.")
    repeated: int = Field(0, description="Recently seen questions reused because nothing fresh was left.")
    seconds: float = 0.0

    def reject(self, reason: str, origin: Origin) -> None:
        self.rejected += 1
        self.rejected_model += origin == "model"
        self.reasons[reason] = self.reasons.get(reason, 0) + 1


class Quiz(BaseModel):
    id: str
    user_id: int
    kind: Literal["topic", "review"] = "topic"
    topic: str = ""
    topic_name: str = ""
    language: QuizLang = "en"
    questions: list[Question]
    mix: MixReport = Field(default_factory=MixReport)
    created_at: datetime

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def public(self) -> dict[str, Any]:
        return {"quiz_id": self.id, "topic": self.topic, "kind": self.kind, "language": self.language,
                "questions": [q.public() for q in self.questions], "mix": self.mix.model_dump(exclude={"reasons"})
                | {"rejected_reasons": self.mix.reasons}}


class KeyPoint(BaseModel):
    point: str
    score: float = Field(ge=0, le=1)
    covered: bool


class Grade(BaseModel):
    score: float = Field(ge=0, le=1)
    correct: bool
    method: Literal["exact", "rubric", "rubric+model"]
    key_points: list[KeyPoint] = Field(default_factory=list)
    comment: str = ""


class Feedback(BaseModel):
    """What the learner sees after answering: always the right answer, why, and where it is written."""

    quiz_id: str
    question_id: str
    type: QType
    topic: str
    given: str
    correct: bool
    score: float
    answer: str
    explanation: str
    source: QuizSource
    source_link: str
    key_points: list[KeyPoint] = Field(default_factory=list)
    comment: str = ""
    method: str = "exact"
    rating: int = Field(ge=1, le=4, description="fsrs.Rating applied to the card.")
    due: datetime
