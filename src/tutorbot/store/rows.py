"""Learner database rows as pydantic models: what leaves the store, so callers never see SQLAlchemy rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from tutorbot.learner.srs import CardState

Role = Literal["user", "assistant"]
TopicStatus = Literal["done", "known"]


class User(BaseModel):
    id: int
    name: str
    created_at: datetime


class Conversation(BaseModel):
    id: str
    user_id: int
    title: str
    created_at: datetime
    updated_at: datetime


class Message(BaseModel):
    id: int
    conversation_id: str
    role: Role
    content: str
    meta: dict[str, Any]
    created_at: datetime


class PlanRecord(BaseModel):
    id: int
    user_id: int
    data: dict[str, Any]
    created_at: datetime


class Attempt(BaseModel):
    id: int
    user_id: int
    quiz_id: str
    question_id: str
    topic: str
    qtype: str
    question: dict[str, Any]
    answer: str
    score: float
    correct: bool
    created_at: datetime
    mistake: dict[str, Any] | None = None  # the error pattern of a wrong answer (quiz.mistakes.Mistake)
    confidence: int | None = None  # how sure (1-4) the learner said they were before grading; None: not asked


class ReviewCard(BaseModel):
    id: int
    user_id: int
    question_id: str
    topic: str
    front: str
    back: str
    payload: dict[str, Any]
    state: CardState
    due: datetime
    last_review: datetime | None


class ReviewEntry(BaseModel):
    id: int
    card_id: int
    user_id: int
    rating: int
    score: float
    reviewed_at: datetime
