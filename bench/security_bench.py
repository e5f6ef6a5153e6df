"""Issue 14 figures: a bounded sign-in flood on loopback, the link spellings the sanitiser sees, and
what a 4,000-character question costs retrieval with and without the question budget.

The flood runs against the same app twice in one run, side by side: set up as Gradio does by default
(the password hash runs on the event loop, nothing limits guesses) and as ``tutorbot.ui.launch``
serves it (``WebGuard``: throttled sign-in, hashes in a worker thread). While guessing threads post
wrong passwords for a fixed time, a signed-in learner keeps loading ``/config`` (what every page
load asks first); its latency is the cost the flood puts on everyone else. The guard is measured
against one attacker (one address, one account: throttled) and against a spread one (a new address
and account for every guess: nothing to throttle, so only the worker thread helps).

Standalone: ``.venvs/app/bin/python bench/security_bench.py [--seconds S] [--threads N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from common import Section, Table, median, ms, pct
from context import BenchContext, free_port

from tutorbot.container import Container
from tutorbot.llm.fake import FakeLLM
from tutorbot.settings import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from injection_payloads import LINK_SPELLINGS, PAYLOADS  # noqa: E402  (the attack's payloads live with the tests)

PASSWORD = "correct horse battery staple"
COURSE = "https://stanford-cs336.github.io/spring2025"


# -- the two apps ------------------------------------------------------------------------------------
@contextlib.contextmanager
def gradio_defaults(c: Container) -> Iterator[str]:
    """The UI launched the way Gradio sets it up by default (the launch before issue 14)."""
    from tutorbot.ui.app import HANDLERS_PER_SLOT, build_ui
    from tutorbot.ui.auth import Identity
    from tutorbot.ui.context import Services

    services = Services.from_container(c)
    identity = Identity(services.accounts, login=True)
    demo = build_ui(services, require_login=True, host="127.0.0.1", identity=identity)
    demo.queue(default_concurrency_limit=c.settings.llm.max_concurrency * HANDLERS_PER_SLOT, api_open=False)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, ssr_mode=False,
                auth=identity.check, show_error=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@contextlib.contextmanager
def tutorbot_app(c: Container) -> Iterator[str]:
    from tutorbot.ui import launch

    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False, require_login=True)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


# -- load --------------------------------------------------------------------------------------------
def signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    assert client.post("/login", data={"username": "reader", "password": PASSWORD}).status_code == 200
    return client


def probe(client: httpx.Client, seconds: float, every_s: float = 0.1) -> list[float]:
    """Latencies of a signed-in learner's page-load request, one every ``every_s``."""
    times, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        t = time.perf_counter()
        assert client.get("/config").status_code == 200
        times.append(time.perf_counter() - t)
        time.sleep(every_s)
    return times


def flood(base: str, reader: httpx.Client, seconds: float, threads: int, spread: bool) -> tuple[Counter, list[float]]:
    """``threads`` guessers post wrong passwords for ``seconds`` while ``reader`` probes; returns the
    sign-in answers by status and the probe's latencies."""
    answers: Counter = Counter()
    counter, stop, lock = itertools.count(), threading.Event(), threading.Lock()

    def guess() -> None:
        with httpx.Client(base_url=base, timeout=60) as client:
            while not stop.is_set():
                n = next(counter)
                name, headers = (f"user{n}", {"x-forwarded-for": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}) \
                    if spread else ("victim", {})
                status = client.post("/login", data={"username": name, "password": f"guess{n}"}, headers=headers)
                with lock:
                    answers[status.status_code] += 1
    workers = [threading.Thread(target=guess, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    try:
        latencies = probe(reader, seconds)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=60)
    return answers, latencies


def login_flood(c: Container, seconds: float, threads: int) -> Table:
    table = Table(title=f"Sign-in flood on loopback: {threads} guessing threads for {seconds:.0f} s, a signed-in "
                        "learner loading /config every 0.1 s",
                  columns=["app", "attacker", "wrong passwords answered /s", "refused (429/503) /s",
                           "/config p50 ms idle", "/config p50 ms in flood", "/config p95 ms in flood",
                           "p50 ratio flood/idle"])
    runs: list[tuple[str, Callable[[Container], Any], bool]] = [
        ("Gradio defaults", gradio_defaults, False), ("tutorbot (WebGuard)", tutorbot_app, False),
        ("tutorbot (WebGuard)", tutorbot_app, True)]
    for label, app, spread in runs:
        with app(c) as base, contextlib.closing(signed_in(base)) as reader:
            idle = probe(reader, seconds / 2)
            answers, during = flood(base, reader, seconds, threads, spread)
        table.add(label, "a new address and account per guess" if spread else "one address, one account",
                  answers[400] / seconds, (answers[429] + answers[503]) / seconds, ms(median(idle)), ms(median(during)),
                  ms(pct(during, 95)), median(during) / median(idle))
    return table


# -- link spellings ----------------------------------------------------------------------------------
def spellings() -> Table:
    from markdown_it import MarkdownIt

    from tutorbot.chat.citations import sanitize
    from tutorbot.ui.render import safe_markdown
    from tutorbot.urls import normalise_url

    md = MarkdownIt("commonmark", {"html": True, "linkify": True}).enable(["table", "strikethrough", "linkify"])
    md.validateLink = lambda url: True  # type: ignore[method-assign]

    def leaks(text: str) -> bool:
        spans = [span for block in md.parse(text) for span in block.children or []]
        return any(s.type == "image" or s.type.startswith("html") or
                   (s.type == "link_open" and normalise_url(str(s.attrs.get("href"))) != COURSE) for s in spans)
    table = Table(title="Link and image spellings (a GFM renderer with raw HTML, trusting every scheme)",
                  columns=["text", "spellings", "make a foreign link or image"])
    table.add("as written", len(LINK_SPELLINGS), sum(leaks(s) for s in LINK_SPELLINGS))
    table.add("after chat.citations.sanitize", len(LINK_SPELLINGS), sum(leaks(sanitize(s, {COURSE}))
                                                                        for s in LINK_SPELLINGS))
    table.add("after ui.render.safe_markdown", len(LINK_SPELLINGS), sum(leaks(safe_markdown(s, {COURSE}))
                                                                        for s in LINK_SPELLINGS))
    return table


def hostile_questions() -> dict[str, str]:
    """4,000-character questions of the kinds that cost most (seeded: the same text every run)."""
    rnd = random.Random(14)
    return {"normal question": "How does the KV cache speed up inference?",
            "random CJK": "".join(chr(rnd.randint(0x4E00, 0x9FFF)) for _ in range(4000)),
            "combining accents": "a\u0301\u0301\u0301" * 1000,
            "digits": " ".join(str(rnd.randint(0, 10**6)) for _ in range(600))[:4000]}


def costly_questions(ctx: BenchContext) -> Table:
    """Retrieval CPU time per question, with the question budget and without it (side by side)."""
    retriever = ctx.roadmaps.retriever.current  # the retriever itself, not the live wrapper
    bounded_settings = retriever.settings
    unbounded = bounded_settings.model_copy(update={"max_query_tokens": 10**6})  # (bench only: no validation)
    table = Table(title="Costly questions: retrieval CPU-seconds (roadmaps index, real embeddings)",
                  columns=["question", "characters", "without the budget", "with the budget", "with / normal"])
    normal = 0.0
    retriever.retrieve("warm up")  # the first call loads what every later one reuses
    for name, q in hostile_questions().items():
        times = []
        for settings in (unbounded, bounded_settings):
            retriever.settings, retriever._vector_of = settings, None  # (no cached query vector either)
            start = time.process_time()
            retriever.retrieve(q)
            times.append(time.process_time() - start)
        retriever.settings, normal = bounded_settings, normal or times[1]
        table.add(name, len(q), f"{times[0]:.2f}", f"{times[1]:.2f}", f"{times[1] / normal:.1f}x")
    return table


def run(ctx: BenchContext, _counts: object = None, seconds: float = 8.0, threads: int = 4) -> Section:
    c = Container(ctx.settings("security", embedding={"backend": "hash"}), llm=FakeLLM("A fake answer."))
    c.ingest()
    for name in ("victim", "reader"):
        c.store.add_user(name, PASSWORD)
    notes = [f"{len(PAYLOADS)} injection payloads and {len(LINK_SPELLINGS)} link spellings (English and Chinese) "
             "live in tests/injection_payloads.py; tests/test_browser_security.py renders the spellings in "
             "chromium through Gradio's own markdown renderer.",
             "Both apps run in this process, one after the other, on the same data; the password hash is the "
             "store's real scrypt cost (n=2**14)."]
    try:
        return Section(name="security", title="Security: sign-in flood and link spellings (issue 14)",
                       tables=[login_flood(c, seconds, threads), spellings(), costly_questions(ctx)], notes=notes)
    finally:
        c.store.close()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=8.0, help="flood duration per app (bounded)")
    p.add_argument("--threads", type=int, default=4, help="guessing threads")
    args = p.parse_args()
    section = run(BenchContext(Path(tempfile.mkdtemp(prefix="tutorbot-security-"))), None, args.seconds,
                  min(args.threads, 16))
    print(section.markdown())
