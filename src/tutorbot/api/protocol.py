"""API stage, protocol: the OpenAI chat-completions wire format that tutorbot's /v1 speaks.

Only what a chat client sends and reads is modelled; the sampling options a client may set
(temperature, top_p, max_tokens, ...) are accepted and ignored, since the tutor's answers are
written under the truth gate, not sampled as asked. tutorbot adds fields of its own: a
request may name a stored ``conversation`` (id or title, as `tutorbot ask --conversation`
does), and a response carries the answer's structured ``citations`` (on the final chunk when
streaming), the ``conversation_id`` the turn was saved in, and ``question_cut_from`` (the
question's length) when only its first ``MAX_QUESTION_CHARS`` characters were asked.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MODELS = {"tutorbot": False, "tutorbot-socratic": True}  # model id -> Socratic mode
OWNER = "tutorbot"


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """The message's text; of a list of parts, the text parts joined."""
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")  # sampling options and the like are ignored
    model: str
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    temperature: float | None = None  # accepted, ignored
    conversation: str | None = Field(None, max_length=200, description="tutorbot: a stored conversation's id or title")


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = OWNER


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


def model_list() -> ModelList:
    return ModelList(data=[ModelCard(id=name) for name in MODELS])


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


class ResponseMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: ResponseMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletionResponse(BaseModel):
    id: str = Field(default_factory=completion_id)
    object: Literal["chat.completion"] = "chat.completion"
    created: int = Field(default_factory=lambda: int(time.time()))
    model: str
    choices: list[Choice]
    usage: dict[str, int] = Field(default_factory=lambda: {"prompt_tokens": 0, "completion_tokens": 0,
                                                           "total_tokens": 0})
    citations: list[dict[str, Any]] = Field(default_factory=list)
    conversation_id: str | None = None
    question_cut_from: int | None = None


class DeltaMessage(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None


class StreamChoice(BaseModel):
    index: int = 0
    delta: DeltaMessage
    finish_reason: Literal["stop"] | None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[StreamChoice]
    citations: list[dict[str, Any]] | None = None  # on the final chunk only
    conversation_id: str | None = None
    question_cut_from: int | None = None  # on the final chunk, when the question was cut

    def sse(self) -> str:
        drop = {k for k in ("citations", "conversation_id", "question_cut_from") if getattr(self, k) is None}
        return f"data: {self.model_dump_json(exclude=drop)}\n\n"


DONE = "data: [DONE]\n\n"


class ErrorInfo(BaseModel):
    message: str
    type: str
    code: str | None = None
    param: str | None = None


class ErrorResponse(BaseModel):
    error: ErrorInfo
