"""Shared fixtures. The real vLLM CPU server and the real index are built once per session.

- ``llm_server``: vLLM (CPU build, bundled SmolLM2) from .venvs/llm on a free port; skipped
  with a clear reason only when the LLM venv is missing (``make test`` always creates it).
  ``TEST_LLM_BASE_URL=http://127.0.0.1:8011/v1`` reuses a server already running (development only).
- ``real``: a Container over a temp data dir, with the real embedder, real Chroma and the real
  corpus ingested, talking to ``llm_server``.
"""

from __future__ import annotations

import os
import random
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import services
from hypothesis import settings as hypothesis_settings

from tutorbot.settings import PROJECT_ROOT, Settings

# The suite draws the same examples on every run, so a red run is reproducible and never a coin toss;
# HYPOTHESIS_EXPLORE=1 searches new examples (run it while changing a planner or a parser).
hypothesis_settings.register_profile("repeatable", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile("explore" if os.environ.get("HYPOTHESIS_EXPLORE") else "repeatable")


SHARED = PROJECT_ROOT.parent / "shared"
DEV_QA = SHARED / "eval" / "dev_qa.jsonl"


CHROMIUM = Path("/usr/bin/chromium")
BROWSER_ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "browser"  # screenshots for a reviewer
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless chromium per test module (the browser tests share it)."""
    if not CHROMIUM.exists():
        pytest.skip("chromium missing: run `bash scripts/install-browser.sh` (part of `make test`)")
    from playwright.sync_api import sync_playwright

    BROWSER_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def wait_ready(pg) -> None:
    """Wait until the page's opening chain has run (``ui.app.READY_JS``): until then a tab may still be
    replaced by the learner's saved state, and a test reading it would race that refresh."""
    pg.wait_for_selector("#tb-status .tb-dot", timeout=120_000)
    pg.wait_for_selector("body[data-tb-ready]", state="attached", timeout=120_000)


GIVEN: set[int] = set()  # the ports free_port has handed out in this session


def free_port() -> int:
    """A loopback port no one holds, below the kernel's ephemeral range. A port the kernel picked (bind to
    port 0) is free only until the next outgoing connection, which may take it as its own local port before
    the server meant for it binds: the restart of a test proxy once failed with "Address already in use"."""
    low = ephemeral_start()
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randrange(10_000, low)
        if port in GIVEN:  # its server may not have bound it yet: two asked in a row must differ
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            GIVEN.add(port)
            return port
    raise RuntimeError(f"no free loopback port between 10000 and {low}")


def ephemeral_start() -> int:
    """The first port of the kernel's ephemeral range (Linux's default, 32768, elsewhere)."""
    try:
        return max(int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]), 11_000)
    except (OSError, ValueError, IndexError):
        return 32768


@contextmanager
def served(container) -> Iterator[str]:
    """The web UI of ``container`` on a free loopback port, for the browser tests; closed with its store."""
    from tutorbot.ui import launch

    port = free_port()
    demo = launch(container, host="127.0.0.1", port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
        container.store.close()


@pytest.fixture(autouse=True)
def _root_logger_restored():
    """A CLI command sets up logging for its process (level and handler); in the test process that must not
    leak into the next test, whose caplog would otherwise see nothing below the CLI's level."""
    import logging

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch):
    """Tests never read the developer's own TUTORBOT_* variables or .env."""
    for k in list(os.environ):
        if k.startswith("TUTORBOT_"):
            monkeypatch.delenv(k)


def make_settings(data_dir: Path, **kw) -> Settings:
    return Settings(data_dir=data_dir, _env_file=None, **kw)


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory):
    from tutorbot.llm import server as serve
    from tutorbot.llm.client import OpenAICompatClient

    if url := os.environ.get("TEST_LLM_BASE_URL"):  # a developer's already-running server (saves ~2 min)
        s = make_settings(tmp_path_factory.mktemp("llm"), llm={"base_url": url},
                          serve={"port": int(url.rsplit(":", 1)[1].split("/")[0])})
        serve.wait_ready(OpenAICompatClient(s.llm), None, 300, s.paths.vllm_log)
        yield s
        return
    base = Settings(_env_file=None)
    if not base.serve.python.exists():
        pytest.skip("LLM venv missing: run `make test` (it creates .venvs/llm)")
    model = serve.ensure_model(base)  # cached in the project's .data/models
    port = free_port()
    data = tmp_path_factory.mktemp("llm")
    s = make_settings(data, serve={"port": port, "model_path": model},
                      llm={"base_url": f"http://127.0.0.1:{port}/v1"})
    client = OpenAICompatClient(s.llm)
    own = serve.start(s, client)  # a free port and a fresh data dir: always a server of our own
    try:
        serve.wait_ready(client, own, 900, s.paths.vllm_log)
        yield s
    finally:
        if own is not None:
            own.stop()


@pytest.fixture(scope="session")
def real(tmp_path_factory, llm_server):
    """Container with the real index over the real corpus and the real LLM server."""
    from tutorbot.container import Container

    data = tmp_path_factory.mktemp("data")
    s = make_settings(data, llm=llm_server.llm.model_dump())
    c = Container(s)
    c.ingest()
    return c


@pytest.fixture(scope="session")
def indexed(tmp_path_factory):
    """Real embeddings + real Chroma over the real corpus, without the LLM (faster tests)."""
    from tutorbot.container import Container

    data = tmp_path_factory.mktemp("indexed")
    c = Container(make_settings(data))
    c.ingest()
    return c


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """A throw-away PostgreSQL cluster for the session (``services.fresh_pg_database`` makes a database in it)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        services.unavailable("psycopg not installed: pip install 'psycopg[binary]'")
    with services.pg_cluster() as base:
        yield base


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus" / "roadmaps", dst / "roadmaps")
    return dst
