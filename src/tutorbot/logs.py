"""Logging stage: one set-up for every entry point, and one structured line per learner request.

``setup_logging(settings.log)`` is called once, by the CLI's entry point: the level
(``TUTORBOT_LOG_LEVEL``) and the line format, text (``key=value`` fields) or JSON. Each chat
answer, plan or quiz request is one line: ``request kind=chat outcome=ok ms=… retrieval_ms=…
first_text_s=… tokens=… gate_kept=…``, with the error class when it failed; each model-server
error is a line of its own. What a learner typed never appears unless
``TUTORBOT_LOG_LEARNER_TEXT=true`` (for debugging on one's own machine).

The composition root (``container.py``) marks which service calls are requests (``log_requests``),
times retrieval (``log_timing``) and counts the model's tokens (``log_llm``); nothing here knows
what a service does, and a call inside a request (a quiz that re-plans) stays part of it.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tutorbot.llm.errors import LLMError
from tutorbot.schemas import Answer
from tutorbot.settings import LogSettings

T = TypeVar("T")
log = logging.getLogger("tutorbot.requests")
llm_log = logging.getLogger("tutorbot.llm")
QUIET = ("httpx", "httpcore", "urllib3", "chromadb", "openai", "gradio", "uvicorn.access", "multipart", "alembic")
HANDLER = "tutorbot"
_config = {"learner_text": False}


@dataclass
class Request:
    """One learner request being served, and the fields its log line will carry."""

    kind: str
    fields: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)


Watch = Callable[[Request, Any], None]  # sees each result (or streamed item) of a request
_current: ContextVar[Request | None] = ContextVar("tutorbot_request", default=None)


# -- set-up -----------------------------------------------------------------------------------------------
class Lines(logging.Formatter):
    """``time level logger: message key=value…`` or one JSON object per line."""

    def __init__(self, as_json: bool) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.as_json = as_json

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", {})
        if self.as_json:
            return json.dumps({"time": self.formatTime(record), "level": record.levelname, "logger": record.name,
                               "message": record.getMessage(), **fields}, ensure_ascii=False, default=str)
        pairs = " ".join(f"{k}={_value(v)}" for k, v in fields.items())
        return super().format(record) + (f" {pairs}" if pairs else "")


def _value(v: Any) -> str:
    text = f"{v:.3f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)
    return json.dumps(text, ensure_ascii=False) if not text or any(c in text for c in ' "=') else text


def setup_logging(settings: LogSettings) -> None:
    """One line-per-record handler on stderr for the whole process (set up again: replaced, not doubled)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Lines(settings.format == "json"))
    handler.set_name(HANDLER)
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if h.get_name() != HANDLER] + [handler]
    root.setLevel(settings.level)
    for name in QUIET:  # a line per HTTP call of a library would drown the request lines
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    _config["learner_text"] = settings.learner_text


# -- requests ---------------------------------------------------------------------------------------------
def note(**fields: Any) -> None:
    """Add fields to the line of the request being served (none: nothing happens)."""
    if (req := _current.get()) is not None:
        req.fields.update(fields)


def add(name: str, amount: float) -> None:
    if (req := _current.get()) is not None:
        req.fields[name] = req.fields.get(name, 0) + amount


def learner_text(name: str, text: str) -> None:
    """What the learner typed goes in the line only where the operator asked for it."""
    note(**{name: text} if _config["learner_text"] else {f"{name}_chars": len(text)})


def finish(req: Request, error: BaseException | None = None, outcome: str = "") -> None:
    fields: dict[str, Any] = {"kind": req.kind, "outcome": "ok", **req.fields}
    if outcome:
        fields["outcome"] = outcome
    if error is not None:
        fields.update(outcome="error", error=type(error).__name__)
    fields["ms"] = round((time.perf_counter() - req.started) * 1000)
    log.log(logging.WARNING if error is not None else logging.INFO, "request", extra={"fields": fields})


def logged(kind: str, fn: Callable[..., T], watch: Watch | None = None, text: str = "") -> Callable[..., T]:
    """``fn`` whose every call (a generator's whole stream) is one request with one log line;
    ``text`` names the argument the learner typed (logged only where the operator asked for it)."""
    signature = inspect.signature(fn)

    def call(*args: Any, **kwargs: Any) -> Any:
        if _current.get() is not None:  # called while serving a request: part of that one
            return fn(*args, **kwargs)
        req = Request(kind)
        token = _current.set(req)
        try:
            if text and isinstance(typed := signature.bind_partial(*args, **kwargs).arguments.get(text), str):
                learner_text(text, typed)
            result = fn(*args, **kwargs)
        except BaseException as exc:
            finish(req, exc)
            raise
        finally:
            _current.reset(token)
        if inspect.isgenerator(result):
            return _streamed(req, result, watch)
        if watch is not None:
            watch(req, result)
        finish(req)
        return result
    return call


def _streamed(req: Request, gen: Iterator[Any], watch: Watch | None) -> Iterator[Any]:
    """Each step runs with the request current; a web server may run each step on another thread."""
    while True:
        token = _current.set(req)
        try:
            item = next(gen)
        except StopIteration:
            break
        except BaseException as exc:
            finish(req, exc)
            raise
        finally:
            _current.reset(token)
        if watch is not None:
            watch(req, item)
        try:
            yield item
        except GeneratorExit:  # the learner stopped it: the service still closes (and saves) in the request
            token = _current.set(req)
            try:
                gen.close()  # type: ignore[attr-defined]
            finally:
                _current.reset(token)
            finish(req, outcome="stopped")
            raise
    finish(req)


def log_requests(service: T, kind: str, *methods: str, watch: Watch | None = None, text: str = "") -> T:
    """Make each call of these methods of ``service`` a logged request (the instance is changed)."""
    for name in methods:
        _replace(service, name, lambda fn: logged(kind, fn, watch, text))
    return service


def log_timing(obj: T, method: str, name: str) -> T:
    """Add the milliseconds each call of ``obj.method`` takes to the request's ``name`` field."""
    def timing(fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                add(name, round((time.perf_counter() - started) * 1000))
        return timed
    _replace(obj, method, timing)
    return obj


def _replace(obj: object, method: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """``obj.method`` becomes ``wrap(obj.method)`` on this instance only (the class is untouched)."""
    fn = getattr(obj, method)
    setattr(obj, method, functools.wraps(fn)(wrap(fn)))


def answer_fields(req: Request, item: Any) -> None:
    """A chat answer's line: time to first shown text, what the truth gate did, how it ended."""
    answer = getattr(item, "answer", None)
    if not isinstance(answer, Answer):
        return
    gate = answer.gate
    req.fields.update(first_text_s=answer.first_text_s, gate_kept=gate.kept, gate_dropped=gate.dropped,
                      gate_looped=gate.looped, gate_gave_up=gate.gave_up, citations=len(answer.citations))
    if not answer.grounded:
        req.fields["outcome"] = "not_covered"
    elif answer.error:
        req.fields["outcome"] = "stopped" if answer.error == "stopped" else "model_unavailable"


# -- the model server -------------------------------------------------------------------------------------
def log_llm(llm: T) -> T:
    """Count the model's tokens into the request, and log every model-server error with its class."""
    _replace(llm, "stream", _counted_stream)
    _replace(llm, "complete", _counted_complete)
    return llm


def _counted_stream(stream: Callable[..., Iterator[str]]) -> Callable[..., Iterator[str]]:
    def counted(*args: Any, **kwargs: Any) -> Iterator[str]:
        with _llm_errors("stream"):
            for delta in stream(*args, **kwargs):
                add("tokens", 1)  # a streamed delta is about one token
                yield delta
    return counted


def _counted_complete(complete: Callable[..., Any]) -> Callable[..., Any]:
    def counted(*args: Any, **kwargs: Any) -> Any:
        with _llm_errors("complete"):
            out = complete(*args, **kwargs)
        add("tokens", getattr(out, "tokens", 0))
        return out
    return counted


@contextmanager
def _llm_errors(call: str) -> Iterator[None]:
    """Log an error of the model server (its class and message, never the prompt) and note its class."""
    try:
        yield
    except LLMError as exc:
        llm_log.warning("llm error", extra={"fields": {"call": call, "error": type(exc).__name__,
                                                       "detail": str(exc)[:300]}})
        note(llm_error=type(exc).__name__)
        raise
