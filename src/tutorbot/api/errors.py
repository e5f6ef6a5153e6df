"""API stage, errors: what a /v1 request is refused with, as OpenAI clients read it.

Every refusal is ``{"error": {"message", "type", "code"}}`` with the HTTP status OpenAI uses for the
case, and a message that names the fix.
"""

from __future__ import annotations

from tutorbot.api.protocol import ErrorInfo, ErrorResponse
from tutorbot.errors import TutorbotError


class ApiError(TutorbotError):
    """A refused request: status, OpenAI error type and code, headers (Retry-After for 429)."""

    def __init__(self, status: int, message: str, type_: str, code: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code = status, message, type_, code
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return ErrorResponse(error=ErrorInfo(message=self.message, type=self.type, code=self.code)).model_dump()


def bad_request(message: str, code: str) -> ApiError:
    return ApiError(400, message, "invalid_request_error", code)


def unauthorized(message: str, code: str) -> ApiError:
    return ApiError(401, message, "invalid_request_error", code)
