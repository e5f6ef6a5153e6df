"""The LLM stage's errors. Every one is an ``LLMError``, so callers fall back on one type.

``LLMBusy`` carries the learner's place in the queue and an estimate of the wait, so a face can
show "3 learners ahead of you, about 40 s" instead of a spinner.
"""

from __future__ import annotations

from tutorbot.errors import TutorbotError


class LLMError(TutorbotError, RuntimeError):
    """Base class of every error the LLM stage raises."""


class LLMUnavailable(LLMError):
    """The server is down, not ready, stopped answering, or broke off an answer."""


class LLMLate(LLMError):
    """The model sent no first token within the caller's patience (shorter than the server's own limit):
    the request is cancelled, and the caller answers without the model."""


class LLMOutputError(LLMError):
    """The model answered, but not with valid structured output."""


class LLMBusy(LLMError):
    """Every slot is taken and the wait would be too long; says how long, and where the learner stands."""

    def __init__(self, message: str, position: int = 0, estimate_s: float = 0.0):
        super().__init__(message)
        self.position, self.estimate_s = position, estimate_s


def unreachable(url: str, why: object = "", warming: bool = False) -> LLMUnavailable:
    """The one wording for a server that does not answer: warming up only when we know it is starting."""
    if warming:
        return LLMUnavailable(f"LLM server at {url} is still warming up: try again in a minute")
    detail = f" ({why})" if why else ""
    return LLMUnavailable(f"LLM server at {url} is not reachable{detail}: start it with `tutorbot serve-llm`")
