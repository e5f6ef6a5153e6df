"""Test helper: a real HTTP server on 127.0.0.1 serving the linked-pages snapshot plus broken cases.

Routes: ``/pages/<file>`` (snapshot, with ETag/Last-Modified and 304 support), ``/404``,
``/flaky`` (500 the first time, then a page), ``/slow`` (answers after ``SLOW_S``),
``/big`` (announced oversize), ``/big-chunked`` (oversize without Content-Length),
``/loop-a``↔``/loop-b``, ``/to-metadata``, ``/to-private``, ``/moved`` (→ a good page),
``/image``, ``/bad-encoding``, ``/toggle`` (content/health switched by the test),
``/held/<n>`` (holds the request briefly; tracks the most requests in flight at once),
``/gated/<file>`` (a snapshot page, served once the test opens ``State.gate``).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parents[2] / "shared" / "linked"  # the offline mirror beside the checkout
SLOW_S = 1.5
GATE_S = 300  # a gated request gives up waiting after this (a test that forgot to open the gate)
BIG = 250_000  # bytes; tests set links.max_bytes below this and above the largest snapshot page
TYPES = {".html": "text/html; charset=utf-8", ".md": "text/markdown; charset=utf-8", ".py": "text/plain",
         ".txt": "text/plain"}
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


class State:
    """What the server saw, and switches the tests flip."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.not_modified: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self.host_headers: set[str] = set()
        self.toggle_text = "# Toggle\n\nfirst version"
        self.toggle_broken = False
        self.in_flight = 0
        self.max_in_flight = 0
        self.gate = threading.Event()


class Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def send(self, code: int, body: bytes = b"", ctype: str = "text/plain",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send(302, headers={"Location": location})

    def do_GET(self) -> None:
        st, path = self.state, self.path.split("?")[0]
        with st.lock:
            st.hits[path] += 1
            st.user_agents.add(self.headers.get("User-Agent", ""))
            st.host_headers.add(self.headers.get("Host", ""))
            first = st.hits[path] == 1
        if path.startswith("/pages/"):
            return self.snapshot(path.removeprefix("/pages/"))
        if path.startswith("/held/"):
            return self.held()
        if path.startswith("/gated/"):
            self.state.gate.wait(GATE_S)
            return self.snapshot(path.removeprefix("/gated/"))
        simple = {
            "/404": lambda: self.send(404, b"gone"),
            "/flaky": lambda: self.send(500, b"oops") if first else self.send(200, b"# Flaky\n\nok", "text/markdown"),
            "/slow": self.slow,
            "/big": lambda: self.send(200, b"x" * BIG, "text/plain"),
            "/big-chunked": self.big_chunked,
            "/loop-a": lambda: self.redirect("/loop-b"),
            "/loop-b": lambda: self.redirect("/loop-a"),
            "/to-metadata": lambda: self.redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-private": lambda: self.redirect("http://10.0.0.1/admin"),
            "/moved": lambda: self.redirect("/pages/karpathy-mingpt-readme.md"),
            "/image": lambda: self.send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "image/png"),
            "/bad-encoding": lambda: self.send(200, b"caf\xe9 \xff\xfe broken", "text/plain; charset=utf-8"),
            "/toggle": self.toggle,
        }
        simple.get(path, lambda: self.send(404, b"no route"))()

    def snapshot(self, name: str) -> None:
        file = SNAPSHOT / "pages" / name
        if "/" in name or not file.is_file():
            return self.send(404, b"no such page")
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            with self.state.lock:
                self.state.not_modified[self.path] += 1
            return self.send(304, headers={"ETag": etag})
        ctype = TYPES.get(file.suffix, "text/plain")
        self.send(200, body, ctype, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def slow(self) -> None:
        time.sleep(SLOW_S)
        self.send(200, b"# Too late", "text/markdown")

    def big_chunked(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for _ in range(BIG // 1000):
            self.wfile.write(b"3e8\r\n" + b"y" * 1000 + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def toggle(self) -> None:
        if self.state.toggle_broken:
            return self.send(503, b"down")
        body = self.state.toggle_text.encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            return self.send(304, headers={"ETag": etag})
        self.send(200, body, "text/markdown; charset=utf-8", {"ETag": etag})

    def held(self) -> None:
        with self.state.lock:
            self.state.in_flight += 1
            self.state.max_in_flight = max(self.state.max_in_flight, self.state.in_flight)
        time.sleep(0.15)
        with self.state.lock:
            self.state.in_flight -= 1
        self.send(200, f"# Held {self.path}".encode(), "text/markdown")


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # /slow may still be sleeping when a test ends

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that gave up (timeouts, size limits) break the pipe; that is expected


@contextmanager
def serve() -> Iterator[tuple[str, State]]:
    """Run the server on an ephemeral port; yields (base URL, state)."""
    state = State()
    handler = type("BoundHandler", (Handler,), {"state": state})
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()


def tiny_pdf(text: str) -> bytes:
    """A minimal one-page PDF showing text in Helvetica (for extraction tests)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
