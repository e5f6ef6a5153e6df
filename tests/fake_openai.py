"""A loopback OpenAI-compatible server that misbehaves on cue, for the LLM client's tests.

Each chat request takes the next scripted reply (the last one repeats); a reply is a function of
the request handler. ``sse`` streams like vLLM (optionally with a pause, a trickle or an in-band
``{"error": ...}`` event), the others accept and never answer, send headers then nothing, send
random bytes, or an HTTP error. The server records request bodies, and when the client hangs up
on a stream it notes the time, so a test can prove that closing the generator cancels it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = Callable[["_Handler"], None]


def chunk(text: str = "", finish: str | None = None) -> dict:
    return {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


def sse(*texts: str, finish: str | None = "stop", pause_s: float = 0.0, pause_at: int = -1,
        every_s: float = 0.0, error: str = "") -> Reply:
    """Stream ``texts`` as chat chunks; pause before chunk ``pause_at``; wait ``every_s`` between
    chunks; end with an in-band error event instead of a finish when ``error`` is given."""
    def reply(h: _Handler) -> None:
        h.start_stream()
        for i, text in enumerate(texts):
            time.sleep(pause_s if i == pause_at else every_s)
            h.event(chunk(text))
        if error:
            h.event({"error": {"message": error, "type": "InternalServerError", "code": 500}})
        elif finish:
            h.event(chunk("", finish))
        h.send(b"data: [DONE]\n\n")
    return reply


def endless(every_s: float = 0.05) -> Reply:
    """Tokens until the client hangs up (then the server notes when)."""
    def reply(h: _Handler) -> None:
        h.start_stream()
        while True:
            time.sleep(every_s)
            if not h.event(chunk("la ")):
                return
    return reply


def silent() -> Reply:
    """Accept the request and never answer."""
    return lambda h: h.server.stopping.wait(60)


def headers_then_silence() -> Reply:
    def reply(h: _Handler) -> None:
        h.start_stream()
        h.server.stopping.wait(60)
    return reply


def garbage(with_http: bool = True) -> Reply:
    """Random bytes: after a 200 status line, or instead of any HTTP at all."""
    def reply(h: _Handler) -> None:
        if with_http:
            h.start_stream()
        h.send(os.urandom(2048))
    return reply


def status(code: int, text: str = "") -> Reply:
    def reply(h: _Handler) -> None:
        body = (text or json.dumps({"error": {"message": f"HTTP {code}", "type": "x", "code": code}})).encode()
        h.send_response(code)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.send(body)
    return reply


def completion_json(content: str) -> Reply:
    """A streamed reply carrying ``content`` whole, as a structured-output answer arrives."""
    return sse(content)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no framing to fake
    server: FakeOpenAI
    body: dict

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = json.dumps({"object": "list", "data": [{"id": m, "object": "model", "max_model_len": 4096}
                                                      for m in self.server.models]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.send(body)

    def do_POST(self) -> None:
        self.server.paths.append(self.path)
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        self.server.bodies.append(body)
        self.body = body  # this request's own (a reply that answers the prompt reads it here)
        if self.path.endswith("/embeddings"):
            return self.embeddings(body)
        self.server.next_reply()(self)

    def embeddings(self, body: dict) -> None:
        data = [{"object": "embedding", "index": i, "embedding": [1.0, float(i), 0.0]}
                for i, _ in enumerate(body["input"])]
        payload = json.dumps({"object": "list", "data": data, "model": body["model"],
                              "usage": {"prompt_tokens": 1, "total_tokens": 1}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.send(payload)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        self.wfile.flush()

    def event(self, data: dict) -> bool:
        return self.send(f"data: {json.dumps(data)}\n\n".encode())

    def send(self, data: bytes) -> bool:
        """Write now; False (and the hang-up time noted) once the client has gone."""
        try:
            self.wfile.write(data)
            self.wfile.flush()
            return True
        except OSError:
            self.server.hung_up.append(time.monotonic())
            return False


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *replies: Reply, models: tuple[str, ...] = ("smollm2-135m-instruct",), port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)
        self.replies, self.models = list(replies) or [sse("ok")], list(models)
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.hung_up: list[float] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def next_reply(self) -> Reply:
        with self._lock:
            return self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
