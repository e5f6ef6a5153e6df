"""Scale-out stage, run for real: two app instances on loopback share one Chroma server and one PostgreSQL.

One `chroma run` (chromadb's own server) and one throw-away PostgreSQL database. The index is built
once, through instance A (`tutorbot ingest`; hash embeddings, since this is about sharing, not about
embeddings). Instance B starts from an empty data dir of its own and joins as a fresh deployment does
(deploy/ensure-index.sh runs `tutorbot ingest` where it finds no index built yet): that run must embed
and add nothing, because every chunk is on the server already. Each instance is a `tutorbot ui` web
process on its own free port; its CLI and tests/scale_out_driver.py run as further processes with the
same TUTORBOT_* settings. The model is a loopback fake (tests/fake_openai.py).

An instance that kept a private store (embedded Chroma or SQLite in its data dir) fails these tests:
they read the Chroma server's collection and the PostgreSQL tables directly, and look into both data
dirs. Skipped only where PostgreSQL cannot be started (`make test` installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import services
from conftest import free_port
from fake_openai import FakeOpenAI

from tutorbot.settings import PROJECT_ROOT, IndexSettings

pytestmark = pytest.mark.integration

NAME, PASSWORD, TOPIC = "ann", "pw-123456-correct", "llm_intro"
QUESTION = "What should I learn before studying the Transformer architecture?"
CLI = ("-c", "from tutorbot.cli import main; main()")
DRIVER = Path(__file__).with_name("scale_out_driver.py")


@dataclass
class Node:
    """One app instance: its settings (environment), its own data dir, and its web address once it serves."""

    name: str
    env: dict[str, str]
    data: Path
    url: str = ""

    def run(self, *args: str) -> str:
        # cwd is the node's own dir: no developer .env or tutorbot.toml is read
        done = subprocess.run([sys.executable, *args], env=self.env, cwd=self.data.parent, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, f"{self.name} {args[-3:]}: exit {done.returncode}: {done.stderr[-2000:]}"
        return done.stdout

    def cli(self, *args: str) -> str:
        return self.run(*CLI, *args)

    def driver(self, *args: str) -> dict[str, Any]:
        return json.loads(self.run(str(DRIVER), *args))

    def health(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/healthz", timeout=30).json()


@dataclass
class World:
    a: Node
    b: Node
    collection: Any  # the Chroma server's collection, read directly
    db_url: str
    built: dict[str, Any]  # A's ingest report
    joined: dict[str, Any]  # B's ingest report
    key: str  # the learner's API key, made through A


def shared_env(chroma_url: str, db_url: str, llm_url: str) -> dict[str, str]:
    """What every instance is configured with; the developer's own TUTORBOT_* stay out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTORBOT_")}
    server = urlsplit(chroma_url)
    # thresholds at zero: the hash embedder's scores are not the real model's, and a refusal cites nothing
    return {**env, "PYTHONPATH": str(PROJECT_ROOT / "src"), "TUTORBOT_INDEX_CHROMA_HOST": str(server.hostname),
            "TUTORBOT_INDEX_CHROMA_PORT": str(server.port), "TUTORBOT_DATABASE_URL": db_url,
            "TUTORBOT_LLM_BASE_URL": llm_url, "TUTORBOT_EMBEDDING_BACKEND": "hash",
            "TUTORBOT_RETRIEVAL_MIN_SCORE": "0", "TUTORBOT_RETRIEVAL_MIN_LEXICAL": "0"}


def node(root: Path, name: str, shared: dict[str, str]) -> Node:
    home = root / name
    home.mkdir()
    env = {**shared, "TUTORBOT_DATA_DIR": str(home / "data"), "GRADIO_TEMP_DIR": str(home / "gradio")}
    return Node(name, env, home / "data")


@contextmanager
def serving(*nodes: Node) -> Iterator[None]:
    """Each node's `tutorbot ui` on a free loopback port, all started before any is waited for."""
    with ExitStack() as stack:
        started = [(n, stack.enter_context(web(n))) for n in nodes]
        for n, (proc, log) in started:
            services.wait_http(f"{n.url}/healthz", proc, log, 120)
        yield


@contextmanager
def web(n: Node) -> Iterator[tuple[subprocess.Popen, Path]]:
    port, log = free_port(), n.data.parent / "ui.log"
    n.url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, *CLI, "ui", "--host", "127.0.0.1", "--port", str(port)],
                                env=n.env, cwd=n.data.parent, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield proc, log
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def server_collection(chroma_url: str) -> Any:
    import chromadb

    server = urlsplit(chroma_url)
    client = chromadb.HttpClient(host=str(server.hostname), port=int(server.port or 0),
                                 settings=chromadb.Settings(anonymized_telemetry=False))
    return client.get_collection(IndexSettings().collection)


@pytest.fixture(scope="module")
def world(pg_cluster: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("scale-out")
    db_url = services.fresh_pg_database(pg_cluster)
    with services.chroma_server(free_port(), root / "chroma.log") as chroma_url, FakeOpenAI() as llm:
        a, b = (node(root, name, shared_env(chroma_url, db_url, llm.url)) for name in "ab")
        built = json.loads(a.cli("ingest", "--json"))
        joined = json.loads(b.cli("ingest", "--json"))
        a.cli("user", "add", NAME, "--password", PASSWORD)
        key = a.cli("user", "key", NAME).strip()
        with serving(a, b):
            yield World(a, b, server_collection(chroma_url), db_url, built, joined, key)


def rows(world: World, sql: str, **params: Any) -> list[Any]:
    """The first column of a query on the PostgreSQL database itself, past every instance."""
    from sqlalchemy import create_engine, text

    engine = create_engine(world.db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(sql), params).scalars())
    finally:
        engine.dispose()


def test_the_index_is_built_once_on_the_chroma_server_and_the_joining_instance_adds_nothing(world):
    n = world.collection.count()
    assert n > 0 and world.built["chunks_added"] == world.built["chunks_total"] == n
    assert world.joined["chunks_unchanged"] == world.joined["chunks_total"] == n
    assert world.joined["chunks_added"] == world.joined["chunks_deleted"] == world.joined["texts_embedded"] == 0


def test_both_instances_are_healthy_and_count_the_chunks_of_the_one_index_on_the_server(world):
    expected = f"{world.collection.count()} chunks"
    for n in (world.a, world.b):
        health = n.health()
        index = next(ch for ch in health["checks"] if ch["name"] == "index")
        assert health["status"] == "ok" and index["detail"] == expected, n.name


def test_a_search_through_b_returns_chunks_that_a_indexed_on_the_server(world):
    hits = json.loads(world.b.cli("search", "--json", "-k", "3", QUESTION))
    ids = [h["id"] for h in hits]
    assert len(ids) == 3 and sorted(world.collection.get(ids=ids)["ids"]) == sorted(ids)


def test_a_quiz_answer_written_through_a_is_read_through_b(world):
    wrote = world.a.driver("answer", NAME, TOPIC)
    read = world.b.driver("read", NAME)
    assert {k: wrote[k] for k in ("quiz_id", "question_id", "answer", "score")} in read["attempts"]
    assert wrote["question_id"] in read["cards"] and read["mastery"]
    assert rows(world, "SELECT answer FROM quiz_attempts WHERE quiz_id = :q", q=wrote["quiz_id"]) == ["true"]


def ask(n: Node, key: str) -> httpx.Response:
    return httpx.post(f"{n.url}/v1/chat/completions", headers={"authorization": f"Bearer {key}"}, timeout=60,
                      json={"model": "tutorbot", "messages": [{"role": "user", "content": QUESTION}]})


def test_an_api_key_made_through_a_gets_an_answer_from_b_that_cites_chunks_on_the_server(world):
    assert ask(world.b, "tb-not-a-key-of-anyone").status_code == 401  # control: B does check the key
    r = ask(world.b, world.key)
    assert r.status_code == 200, r.text
    cited = [c["chunk_id"] for c in r.json()["citations"]]
    assert cited and sorted(world.collection.get(ids=cited)["ids"]) == sorted(set(cited))
    saved = rows(world, "SELECT m.content FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                        "JOIN users u ON u.id = c.user_id WHERE u.name = :n AND m.role = 'user'", n=NAME)
    assert QUESTION in saved


def test_neither_instance_keeps_an_index_or_a_learner_db_of_its_own(world):
    for n in (world.a, world.b):
        kept = {p.name for p in n.data.iterdir()}
        assert not kept & {"chroma", "learners.sqlite3"}, (n.name, kept)
    assert rows(world, "SELECT name FROM users WHERE name = :n", n=NAME) == [NAME]
