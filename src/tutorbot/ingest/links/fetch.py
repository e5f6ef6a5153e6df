"""Link fetching, step 2: one polite, bounded, SSRF-safe HTTP GET with redirects and retries.

Every hop is checked by ``safety.check_url`` and then sent to the very address that was
checked (the URL's host is swapped for the IP, with the Host header and TLS SNI kept), so
DNS cannot answer differently between check and connect. Redirects are followed by hand
(at most ``FetchTuning.max_redirects``), bodies are streamed and cut off at
``max_bytes``, a run-wide byte budget caps the total, and 5xx answers and timeouts are
retried with exponential backoff. Failures are ``LinkError`` with a human-readable reason. When
several hosts could not be resolved or connected to and none has answered, the network looks down:
the pages not tried yet fail at once with that reason (offline, or a firewall that drops all).
"""

from __future__ import annotations

import asyncio
from urllib.parse import urljoin

import httpx

from tutorbot.ingest.links.extract import ALLOWED_TYPES
from tutorbot.ingest.links.models import FetchTuning, LinkError, Page
from tutorbot.ingest.links.requests import host_of
from tutorbot.ingest.links.safety import AllowList, Resolver, UnreachableHostError, UnsafeURLError, check_url
from tutorbot.settings import LinksSettings

USER_AGENT = "tutorbot/0.1 (+study assistant; link fetcher)"
ACCEPT = "text/html,application/xhtml+xml,text/markdown,text/plain;q=0.9,application/pdf;q=0.8"
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
OFFLINE_HOSTS = 6  # hosts that failed to resolve or connect, with none answering, before the breaker trips


class BudgetExhaustedError(LinkError):
    """The run's byte budget is spent; the URL is skipped, not broken."""


class RunLimits:
    """Per-run concurrency limits, byte budget and network breaker (created inside the event loop of one run).

    The breaker: when ``OFFLINE_HOSTS`` different hosts failed to resolve or to connect and no host has
    answered yet, the network looks down (offline, or a firewall that drops everything); the pages
    not tried yet then fail at once with that reason instead of each waiting out its timeouts."""

    def __init__(self, settings: LinksSettings) -> None:
        self.all = asyncio.Semaphore(settings.concurrency)
        self.per_host = settings.per_host
        self.hosts: dict[str, asyncio.Semaphore] = {}
        self.bytes_left = settings.max_total_bytes
        self.unreached: dict[str, str] = {}  # host → why it could not be reached
        self.answered = False

    def unreachable(self, host: str, reason: str) -> None:
        self.unreached[host] = reason

    def check_network(self) -> None:
        if not self.answered and len(self.unreached) >= OFFLINE_HOSTS:
            example = next(iter(self.unreached.values()))
            raise LinkError(f"not tried: the network looks down ({len(self.unreached)} hosts could not be "
                            f"reached, e.g. {example})")

    def host(self, host: str) -> asyncio.Semaphore:
        return self.hosts.setdefault(host, asyncio.Semaphore(self.per_host))

    def take(self, n: int) -> None:
        if n > self.bytes_left:
            self.bytes_left = 0
            raise BudgetExhaustedError("run byte budget (links.max_total_bytes) exhausted")
        self.bytes_left -= n


def with_attempts(exc: LinkError, attempts: int) -> LinkError:
    """The last error, saying how often it was tried when that was more than once."""
    if attempts == 1:
        return exc
    return LinkError(f"{exc.reason} (after {attempts} attempts)", exc.http_status)


def make_client(settings: LinksSettings, tuning: FetchTuning) -> httpx.AsyncClient:
    """The run's HTTP client. trust_env is off: a proxy from the environment would connect
    to hosts the address check never saw."""
    timeout = httpx.Timeout(settings.timeout_s, connect=min(tuning.connect_timeout_s, settings.timeout_s))
    return httpx.AsyncClient(
        timeout=timeout, follow_redirects=False, trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        limits=httpx.Limits(max_connections=settings.concurrency),
    )


def content_type(response: httpx.Response) -> tuple[str, str | None]:
    """(mime type, charset) of a response."""
    raw = response.headers.get("content-type", "")
    mime = raw.split(";", 1)[0].strip().lower()
    return mime, response.charset_encoding


class Fetcher:
    """Fetches pages for one run; all limits and the client are passed in."""

    def __init__(self, client: httpx.AsyncClient, settings: LinksSettings, tuning: FetchTuning,
                 limits: RunLimits, resolver: Resolver) -> None:
        self.client, self.settings, self.tuning = client, settings, tuning
        self.limits, self.resolver = limits, resolver
        self.allow = AllowList.parse(settings.allow_hosts)

    async def fetch(self, url: str, headers: dict[str, str] | None = None) -> Page:
        """GET url (following redirects), retrying 5xx and timeouts; a 304 comes back as a Page too."""
        attempts = 0
        while True:
            try:
                return await self._attempt(url, headers or {})
            except LinkError as exc:
                attempts += 1
                if not exc.retriable or attempts > self.tuning.retries:
                    raise with_attempts(exc, attempts) from None
            # Back off outside the semaphores so other pages use the slot meanwhile.
            await asyncio.sleep(self.tuning.backoff_s * 2 ** (attempts - 1))

    async def _attempt(self, url: str, headers: dict[str, str]) -> Page:
        # Host slot first: a task queued behind its host must not hold a global slot.
        async with self.limits.host(host_of(url)), self.limits.all:
            self.limits.check_network()
            if self.limits.bytes_left <= 0:
                raise BudgetExhaustedError("run byte budget (links.max_total_bytes) exhausted")
            try:
                return await asyncio.wait_for(self._follow(url, headers), self.settings.timeout_s)
            except TimeoutError:
                raise LinkError(f"timed out after {self.settings.timeout_s:g}s", retriable=True) from None

    async def _follow(self, url: str, headers: dict[str, str]) -> Page:
        seen = {url}
        current = url
        for _ in range(self.tuning.max_redirects + 1):
            page_or_next = await self._hop(current, headers)
            if isinstance(page_or_next, Page):
                return page_or_next.model_copy(update={"url": url})
            if page_or_next in seen:
                raise LinkError(f"redirect loop at {page_or_next}")
            seen.add(page_or_next)
            current = page_or_next
        raise LinkError(f"too many redirects (more than {self.tuning.max_redirects})")

    async def _hop(self, url: str, headers: dict[str, str]) -> Page | str:
        """One request: a Page, or the next URL when redirected."""
        try:
            ip = await asyncio.to_thread(check_url, url, self.allow, self.resolver)
        except UnreachableHostError as exc:
            self.limits.unreachable(host_of(url), str(exc))
            raise LinkError(str(exc)) from None
        except UnsafeURLError as exc:
            raise LinkError(str(exc)) from None
        response = await self._send(url, ip, headers)
        self.limits.answered = True
        try:
            return await self._handle(url, response)
        finally:
            await response.aclose()

    async def _send(self, url: str, ip: str, headers: dict[str, str]) -> httpx.Response:
        try:
            return await self.client.send(self._pinned(url, ip, headers), stream=True)
        except (httpx.ConnectTimeout, httpx.ConnectError) as exc:
            reason = "timed out while connecting" if isinstance(exc, httpx.ConnectTimeout) else f"network error: {exc}"
            self.limits.unreachable(host_of(url), reason)
            raise LinkError(reason, retriable=isinstance(exc, httpx.ConnectTimeout)) from None
        except httpx.TimeoutException:
            raise LinkError("timed out", retriable=True) from None
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise LinkError(f"network error: {exc or type(exc).__name__}") from None

    def _pinned(self, url: str, ip: str, headers: dict[str, str]) -> httpx.Request:
        target = httpx.URL(url)
        extensions = {"sni_hostname": target.raw_host.decode("ascii")} if target.scheme == "https" else {}
        return self.client.build_request(
            "GET", target.copy_with(host=ip), headers={**headers, "Host": target.netloc.decode("ascii")},
            extensions=extensions,
        )

    async def _handle(self, url: str, response: httpx.Response) -> Page | str:
        code = response.status_code
        if code in REDIRECT_CODES:
            location = response.headers.get("location")
            if not location:
                raise LinkError(f"HTTP {code} redirect without a Location header", code)
            return urljoin(url, location)
        if code == 304:
            return Page(url=url, final_url=url, http_status=304)
        if code >= 500:
            raise LinkError(f"HTTP {code} {response.reason_phrase}".strip(), code, retriable=True)
        if code != 200:
            raise LinkError(f"HTTP {code} {response.reason_phrase}".strip(), code)
        mime, charset = content_type(response)
        if mime not in ALLOWED_TYPES:
            raise LinkError(f"content type {mime or '(none)'} not allowed", code)
        body = await self._read(response)
        return Page(
            url=url, final_url=url, http_status=code, content_type=mime, charset=charset, body=body,
            etag=response.headers.get("etag", ""), last_modified=response.headers.get("last-modified", ""),
        )

    async def _read(self, response: httpx.Response) -> bytes:
        """The body, refusing anything over max_bytes (announced or actual) or the run budget."""
        limit = self.settings.max_bytes
        announced = response.headers.get("content-length", "")
        if announced.isdigit() and int(announced) > limit:
            raise LinkError(f"body of {announced} bytes exceeds links.max_bytes ({limit})", response.status_code)
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise LinkError(f"body exceeds links.max_bytes ({limit})", response.status_code)
                self.limits.take(len(chunk))
                chunks.append(chunk)
        except httpx.TimeoutException:
            raise LinkError("timed out while reading the body", retriable=True) from None
        except httpx.HTTPError as exc:
            raise LinkError(f"network error while reading the body: {exc or type(exc).__name__}") from None
        return b"".join(chunks)
