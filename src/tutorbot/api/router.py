"""API stage, router: ``GET /v1/models`` and ``POST /v1/chat/completions`` on the UI's own app.

Every request first resolves its learner (``auth.KeyAuth``); the body is parsed here rather than
by FastAPI so that a malformed request gets an OpenAI-style 400 naming the fix, not a 422. The
chat service blocks (retrieval, the model), so it runs in worker threads: a streamed answer is a
sync iterator Starlette drains in its thread pool, sent as server-sent events ending in
``data: [DONE]``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from tutorbot.api.auth import KeyAuth
from tutorbot.api.errors import ApiError, bad_request
from tutorbot.api.protocol import DONE, ChatCompletionRequest, ErrorInfo, model_list
from tutorbot.api.serving import Prepared, TutorServing
from tutorbot.errors import TutorbotError

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # a conversation longer than this is trimmed by the client, not sent whole


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


async def parse(request: Request) -> ChatCompletionRequest:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise bad_request(f"request body over {MAX_BODY // 1024} KiB: send fewer earlier messages", "too_large")
    try:
        return ChatCompletionRequest.model_validate(json.loads(body or b"null"))
    except (ValueError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else {"loc": (), "msg": str(exc)}
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise bad_request(f"invalid request ({where}: {first['msg']}): send a JSON body with `model` and "
                          "`messages`, as OpenAI's chat completions take", "invalid_request") from None


def guarded(chunks: Iterator[str]) -> Iterator[str]:
    """The stream, with a failure after it started sent as an error event (the status is already 200)."""
    try:
        yield from chunks
    except TutorbotError as exc:
        log.warning("API stream failed: %s", exc)
        yield f"data: {json.dumps({'error': ErrorInfo(message=str(exc), type='server_error').model_dump()})}\n\n"
        yield DONE


def build_router(serving: TutorServing, auth: KeyAuth) -> APIRouter:
    router = APIRouter(prefix="/v1", default_response_class=JSONResponse)

    async def learner(request: Request) -> int:
        client = request.client.host if request.client else None
        try:
            return (await run_in_threadpool(auth.learner, request.headers, client)).id
        except ApiError as exc:  # a wrong key is worth a line: someone may be trying keys
            log.warning("API request to %s refused (%s) from %s", request.url.path, exc.code, client)
            raise

    @router.get("/models")
    async def models(request: Request) -> Any:
        try:
            await learner(request)
        except ApiError as exc:
            return error_response(exc)
        return JSONResponse(model_list().model_dump())

    @router.post("/chat/completions")
    async def chat_completions(request: Request) -> Any:
        try:
            user_id = await learner(request)
            body = await parse(request)
            p: Prepared = await run_in_threadpool(serving.prepare, body, user_id)
            if body.stream:
                return StreamingResponse(guarded(serving.stream(p)), media_type="text/event-stream",
                                         headers={"cache-control": "no-store", "x-accel-buffering": "no"})
            return JSONResponse((await run_in_threadpool(serving.complete, p)).model_dump())
        except ApiError as exc:
            return error_response(exc)
        except TutorbotError as exc:  # the message names the fix; a ValueError is about what was sent
            if isinstance(exc, ValueError):
                return error_response(bad_request(str(exc), "invalid_value"))
            return error_response(ApiError(503, str(exc), "server_error", "unavailable"))
    return router
