"""`GET /healthz` on the UI's own app: the health checks and the model server's state as JSON, 200
unless a check failed, 503 when one did; open without a login, and without learner data in it.

The real ``ui.launch`` on 127.0.0.1 over a real Container (hash embedder, FakeLLM whose server
state the tests switch, temp data dir) in login mode.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import services
from conftest import free_port, make_settings

from tutorbot.container import Container
from tutorbot.health import HEALTHZ_CHECKS, healthz
from tutorbot.llm.fake import FakeLLM
from tutorbot.ui.web import HEALTH_FRESH_S


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class App:
    url: str
    llm: FakeLLM
    clock: Clock
    guarded: Any  # the GuardedApp: its health function can be watched
    marker: str

    def probe(self, model_server: str = "up") -> httpx.Response:
        """GET /healthz past the cached result, with the model server in this state."""
        self.llm.state = model_server
        self.clock.now += HEALTH_FRESH_S + 1
        try:
            return httpx.get(f"{self.url}/healthz", timeout=15)
        finally:
            self.llm.state = "up"


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[App]:
    from tutorbot.ui import launch

    llm, clock, marker = FakeLLM("A fake answer."), Clock(), f"tbhealth{uuid.uuid4().hex[:12]}"
    c = Container(make_settings(tmp_path_factory.mktemp("healthz") / "data", embedding={"backend": "hash"}),
                  llm=llm)
    c.ingest()
    alice = c.store.add_user(f"alice{marker}", "correct horse battery")
    conv = c.store.create_conversation(alice.id, f"title {marker}")
    c.store.add_message(alice.id, conv.id, "user", f"question {marker}")
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False, require_login=True)
    demo.server_app.clock = clock
    try:
        yield App(f"http://127.0.0.1:{port}", llm, clock, demo.server_app, marker)
    finally:
        demo.close()
        c.store.close()


def states(r: httpx.Response) -> dict[str, str]:
    return {ch["name"]: ch["state"] for ch in r.json()["checks"]}


def test_healthz_answers_without_a_login_with_every_check_and_no_learner_data(app):
    r = app.probe()
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json()["status"] == "ok" and states(r) == dict.fromkeys(HEALTHZ_CHECKS, "ok")
    assert app.marker not in r.text
    assert httpx.get(f"{app.url}/config", timeout=15).status_code == 401  # the rest of the app does need a login


def test_a_model_server_that_is_down_makes_it_503_and_says_how_to_fix_it(app):
    r = app.probe("down")
    assert r.status_code == 503 and r.json()["status"] == "failed" and states(r)["llm"] == "failed"
    assert "tutorbot serve-llm" in next(ch["detail"] for ch in r.json()["checks"] if ch["name"] == "llm")
    assert app.probe().status_code == 200  # and healthy again once it is back


def test_a_model_still_loading_is_degraded_not_failed(app):
    r = app.probe("warming")
    assert r.status_code == 200 and r.json()["status"] == "degraded" and states(r)["llm"] == "degraded"


def test_a_flood_of_probes_runs_the_checks_once(app, monkeypatch):
    calls = []
    inner = app.guarded.health
    monkeypatch.setattr(app.guarded, "health", lambda: calls.append(1) or inner())
    app.clock.now += HEALTH_FRESH_S + 1
    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(lambda _: httpx.get(f"{app.url}/healthz", timeout=15).status_code, range(32)))
    assert codes == [200] * 32 and len(calls) == 1
    app.probe()
    assert len(calls) == 2  # a later probe, after the fresh period, checks again


def test_only_get_is_answered(app):
    r = httpx.post(f"{app.url}/healthz", timeout=15)
    assert r.status_code == 405 and r.headers["allow"] == "GET"


def test_an_empty_index_fails_the_health_check(tmp_path):
    c = Container(make_settings(tmp_path / "data", embedding={"backend": "hash"}), llm=FakeLLM())
    status, body = healthz(c)
    assert status == 503 and {ch["name"]: ch["state"] for ch in body["checks"]}["index"] == "failed"


def learner_db(c: Container) -> dict[str, str]:
    return next(ch for ch in healthz(c)[1]["checks"] if ch["name"] == "learner db")


def test_a_postgresql_server_that_went_away_fails_the_learner_db_check(tmp_path):
    with services.pg_cluster() as base:
        c = Container(make_settings(tmp_path / "data", database_url=services.fresh_pg_database(base)), llm=FakeLLM())
        c.store.add_user("alice", "correct horse battery")
        assert learner_db(c)["state"] == "ok"
    gone = learner_db(c)  # the cluster is stopped now
    assert gone["state"] == "failed" and "does not answer" in gone["detail"]
    c.store.close()
