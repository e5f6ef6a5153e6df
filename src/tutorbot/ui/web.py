"""UI stage: the HTTP layer around Gradio — which origins may call, how sign-in, sessions, cookies,
logout, uploads and handed-out files behave.

Gradio's defaults suit a demo: behind a proxy it reflects any ``Origin`` with credentials, its
session cookie is ``SameSite=None``, logout is a GET, anyone may upload, session tokens never
expire, and passwords can be guessed as fast as the server answers. ``WebGuard`` wraps the whole
app, outside Gradio's own middleware, and:

- lets cross-origin requests in only from ``ui.public_url`` or the request's own origin: other
  preflights and state-changing requests are refused, other responses lose their CORS grant;
- rewrites every cookie to ``SameSite=Lax``; accepts logout only as a POST; refuses uploads and
  Gradio's direct-call API (the page uses only the queue);
- throttles sign-in per account and per address (``auth.LoginThrottle``), checks at most
  ``SIGN_INS_AT_ONCE`` passwords at a time, and logs each failure;
- drops sessions older than ``ui.session_hours``;
- serves a file a handler handed to one learner (a plan export) to that learner only;
- answers ``GET /healthz`` without a login: the health checks and the model server's state as JSON,
  200 unless one failed, else 503 (names and fixes only, no learner data), probed at most once
  every ``HEALTH_FRESH_S`` however often it is asked;
- passes ``/v1/`` (the OpenAI-compatible API, ``tutorbot.api``) straight to its router: no cookies
  there, each request names its learner by API key, and the API's own rule refuses keyless requests
  from web pages and from other machines.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from gradio.routes import App
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tutorbot.settings import UISettings
from tutorbot.ui.auth import LoginThrottle

if TYPE_CHECKING:
    from fastapi import APIRouter

log = logging.getLogger(__name__)
API = "/gradio_api"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
DIRECT_CALLS = (f"{API}/call/", f"{API}/run/", f"{API}/api/")
LOGIN_BODY_MAX = 64 * 1024
# Password hashes checked at once (each is ~0.1 s of one core on purpose): a flood spread over many
# addresses, which no per-address limit sees, cannot take every core from the learners signed in.
SIGN_INS_AT_ONCE = 2
FILE_URL = re.compile(rb"/gradio_api/file=([^\"'\s\\]+)")
FILES_KEPT = 100_000
TOKEN_COOKIE = re.compile(r"access-token-(?:unsecure-)?[^=]+=([^;]+)")
HEALTH_PATH = "/healthz"
API_PREFIX = "/v1/"
HEALTH_FRESH_S = 2.0  # an unauthenticated flood of probes runs the checks at most once per this many seconds
Health = Callable[[], tuple[int, dict[str, object]]]


class GuardedApp(App):
    """Gradio's app with ``WebGuard`` around its whole middleware stack, and no OpenAPI schema."""

    def __init__(self, ui: UISettings, login: bool, clock: Callable[[], float] = time.monotonic,
                 health: Health | None = None, api: APIRouter | None = None) -> None:
        from fastapi.responses import ORJSONResponse

        super().__init__(default_response_class=ORJSONResponse, openapi_url=None)
        self.guard_settings, self.login, self.clock, self.health = ui, login, clock, health
        self.throttle = LoginThrottle(clock)
        self.has_api = api is not None
        if api is not None:  # before Gradio adds its routes
            self.include_router(api)

    def build_middleware_stack(self) -> ASGIApp:
        return WebGuard(super().build_middleware_stack(), self)


class WebGuard:
    def __init__(self, inner: ASGIApp, app: GuardedApp) -> None:
        self.inner, self.app = inner, app
        self.api = getattr(app, "has_api", False)  # /v1 is routed to the API (a test's stand-in app has none)
        self.public = app.guard_settings.public_url
        self.issued: dict[str, float] = {}  # session token -> when it was issued
        # file handed out by a handler -> the learners it went to (two identical exports share a path)
        self.owners: OrderedDict[str, set[str]] = OrderedDict()
        self.checking = 0  # sign-ins being checked now
        self.health_lock = asyncio.Lock()
        self.last_health: tuple[float, int, dict[str, object]] | None = None  # when, status, body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # Gradio serves nothing over websockets
            return await self.inner(scope, receive, send)
        if scope["path"] == HEALTH_PATH and self.app.health is not None:
            return await self.healthz(scope, send)
        if self.api and scope["path"].startswith(API_PREFIX):
            return await self.inner(scope, receive, send)
        headers = Headers(scope=scope)
        foreign = not self.allowed_origin(headers)
        self.expire_sessions()
        refusal = self.refusal(scope, headers, foreign)
        if refusal:
            return await _reply(send, *refusal)
        send = self.wrap_send(scope, send, foreign)
        if scope["path"].rstrip("/") == "/logout":
            scope = {**scope, "method": "GET"}  # Gradio's handler; only a POST gets this far
        if self.app.login and scope["path"].rstrip("/") == "/login" and scope["method"] == "POST":
            return await self.sign_in(scope, receive, send)
        await self.inner(scope, receive, send)

    # -- what is refused outright ---------------------------------------------------------------------------
    def allowed_origin(self, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is None:
            return True  # not a browser's cross-site request
        # Host names only: a proxy may drop the port from Host (nginx's $host), and cookies ignore ports anyway.
        own = urlsplit(f"//{headers.get('host', '')}").hostname
        return origin.lower() == self.public or (own is not None and urlsplit(origin).hostname == own)

    def refusal(self, scope: Scope, headers: Headers, foreign: bool) -> tuple[int, str, dict[str, str]] | None:
        path, method = scope["path"], scope["method"]
        if foreign and (method not in SAFE_METHODS or "access-control-request-method" in headers):
            return 403, "cross-origin request refused: open tutorbot at its own address", {}
        if path.startswith(f"{API}/upload"):
            return 403, "uploads are disabled: tutorbot takes no files", {}
        if path.startswith(DIRECT_CALLS):  # Gradio's "simple call" API: the page itself only uses the queue
            return 404, "not found", {}
        if path.rstrip("/") == "/logout" and method != "POST":
            return 405, "sign out with a POST (the page's sign-out button)", {"allow": "POST"}
        if self.app.login and path.startswith(f"{API}/file=") and not self.may_read(scope, headers):
            return 404, "not found", {}
        return None

    # -- responses ------------------------------------------------------------------------------------------
    def wrap_send(self, scope: Scope, send: Send, foreign: bool) -> Send:
        """Cookies become SameSite=Lax, a foreign origin loses any CORS grant, files handed out in
        the queue's event stream are remembered with the learner who got them."""
        user = self.user(Headers(scope=scope))
        watch_files = self.app.login and user is not None and scope["path"].startswith(f"{API}/queue/data")

        async def guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                cookies = [_lax(v) for k, v in headers.raw if k.lower() == b"set-cookie"]
                del headers["set-cookie"]
                for cookie in cookies:
                    headers.append("set-cookie", cookie.decode("latin-1"))
                if foreign:
                    for name in ("access-control-allow-origin", "access-control-allow-credentials"):
                        del headers[name]
            elif watch_files and message["type"] == "http.response.body":
                for m in FILE_URL.finditer(message.get("body", b"")):
                    self.hand_out(_file_path(m.group(1).decode("utf-8", "replace")), user or "")
            await send(message)
        return guarded

    # -- health ---------------------------------------------------------------------------------------------
    async def healthz(self, scope: Scope, send: Send) -> None:
        if scope["method"] != "GET":
            return await _reply(send, 405, "GET only", {"allow": "GET"})
        async with self.health_lock:  # concurrent probes wait for one run of the checks
            last = self.last_health
            if last is None or self.app.clock() - last[0] > HEALTH_FRESH_S:
                assert self.app.health is not None
                status, body = await run_in_threadpool(self.app.health)  # the checks block: off the event loop
                last = self.last_health = (self.app.clock(), status, body)
        await _send_json(send, last[1], last[2], {"cache-control": "no-store"})

    # -- sign-in, sessions, files ---------------------------------------------------------------------------
    async def sign_in(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await _body(receive, LOGIN_BODY_MAX)
        if body is None:
            return await _reply(send, 413, "sign-in form too large", {})
        name = await _form_name(scope, body)
        address = (scope.get("client") or ("?", 0))[0]
        throttle = self.app.throttle
        if wait := throttle.wait(address, name):
            log.warning("sign-in for %r from %s refused: %d s of back-off left", name[:64], address, math.ceil(wait))
            return await _reply(send, 429, f"too many failed sign-ins: try again in {math.ceil(wait)} s",
                                {"retry-after": str(math.ceil(wait))})
        if self.checking >= SIGN_INS_AT_ONCE:
            return await _reply(send, 503, "too many sign-ins at once: try again in a second", {"retry-after": "1"})
        started: list[Message] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.append(message)
            await send(message)
        self.checking += 1
        try:
            await self.inner(scope, _replay(body), watch)
        finally:
            self.checking -= 1
        if started and started[0]["status"] == 200:
            throttle.succeeded(address, name)
            self.remember_tokens(started[0])
        else:
            n = throttle.failed(address, name)
            log.warning("failed sign-in for %r from %s (%d in a row)", name[:64], address, n)

    def remember_tokens(self, start: Message) -> None:
        for key, value in start.get("headers", []):
            if key.lower() == b"set-cookie" and (m := TOKEN_COOKIE.match(value.decode("latin-1"))):
                self.issued[m.group(1)] = self.app.clock()

    def expire_sessions(self) -> None:
        """Forget tokens older than the session lifetime, in Gradio's table too."""
        oldest = self.app.clock() - self.app.guard_settings.session_hours * 3600
        for token in [t for t, at in self.issued.items() if at < oldest]:
            self.app.tokens.pop(token, None)
            del self.issued[token]

    def user(self, headers: Headers) -> str | None:
        cookies = _cookies(headers)
        tokens: MutableMapping[str, str] = self.app.tokens
        return next((tokens[v] for k, v in cookies.items() if k.startswith("access-token") and v in tokens), None)

    def hand_out(self, path: str, user: str) -> None:
        self.owners.setdefault(path, set()).add(user)
        self.owners.move_to_end(path)
        while len(self.owners) > FILES_KEPT:  # the oldest hand-outs are forgotten (then Gradio's rules apply)
            self.owners.popitem(last=False)

    def may_read(self, scope: Scope, headers: Headers) -> bool:
        owners = self.owners.get(_file_path(scope["path"].split("/file=", 1)[1]))
        return owners is None or self.user(headers) in owners


def _lax(cookie: bytes) -> bytes:
    text = re.sub(rb";\s*samesite=[^;]*", b"", cookie, flags=re.I)
    return text + b"; SameSite=Lax"


def _file_path(raw: str) -> str:
    return unquote(raw).split("?", 1)[0]


def _cookies(headers: Headers) -> dict[str, str]:
    pairs = (part.strip().split("=", 1) for part in headers.get("cookie", "").split(";") if "=" in part)
    return {k: v for k, v in pairs}


async def _body(receive: Receive, limit: int) -> bytes | None:
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


async def _form_name(scope: Scope, body: bytes) -> str:
    """The user name a sign-in form carries (url-encoded, or multipart as Gradio's page sends it)."""
    if Headers(scope=scope).get("content-type", "").startswith("multipart/"):
        form = await Request(scope, _replay(body)).form()
        return str(form.get("username") or "").strip()
    return (parse_qs(body.decode("utf-8", "replace")).get("username") or [""])[0].strip()


async def _reply(send: Send, status: int, detail: str, headers: dict[str, str]) -> None:
    await _send_json(send, status, {"detail": detail}, headers)


async def _send_json(send: Send, status: int, data: dict[str, object], headers: dict[str, str]) -> None:
    body = json.dumps(data, ensure_ascii=False).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.encode(), v.encode()) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
