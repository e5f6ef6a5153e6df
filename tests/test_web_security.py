"""Web security over HTTP (issue 9): no file outside the app's assets is served, and with login on
no learner gets another learner's data from any endpoint.

Runs the real ``ui.launch`` in-process on 127.0.0.1 (free ports) over a real Container — hash
embedder, FakeLLM, a temp data dir — twice: local mode (no login) and login mode. Requests for
traversal go out through httpcore, because httpx removes ``../`` segments before sending. The
Gradio queue protocol (join, then read the session's event stream) is driven by hand, exactly
as the browser does it. Every refusal has a positive control: the same request shape returns
the planted content where it is allowed, so a refusal is never just a broken probe.
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import gradio as gr
import httpcore
import httpx
import pytest
from conftest import free_port, make_settings

from tutorbot.container import Container
from tutorbot.llm.fake import FakeLLM
from tutorbot.plans.models import LearnerProfile
from tutorbot.quiz.models import Question, QuizSource
from tutorbot.settings import PROJECT_ROOT

PASSWORD = "pw-123456-correct"
CALL_S = 20  # one queued handler call; they all take milliseconds on fakes
KINDS = ("conv", "msg", "area", "plan", "attempt", "card")  # A's learner data, one marker each
REFUSED = {400, 401, 403, 404, 405, 422}
EXPORT_URL = re.compile(r'"url":\s*"([^"]*/gradio_api/file=[^"]*study-plan\.md)"')


@dataclass
class World:
    container: Container
    llm: FakeLLM
    local: str  # base URL of the app in local mode (no login)
    login: str  # base URL of the app in login mode
    upload_dir: Path  # Gradio's own served folder (GRADIO_TEMP_DIR)
    served: Path  # a file Gradio does serve, for positive controls
    marks: dict[str, str]
    a_id: int
    conv_id: str
    login_app: Any  # the login-mode app's GuardedApp (its throttle and clock can be swapped)
    secrets: dict[str, tuple[Path, bytes]] = field(default_factory=dict)  # name -> (file, content marker)


# -- app under test --------------------------------------------------------------------------------
def plant_learner_a(c: Container, marks: dict[str, str]) -> tuple[int, str]:
    """Learner A's conversation, profile, plan, quiz attempt and due card, each carrying a marker."""
    store, topic = c.store, c.curriculum.ids[0]
    a = store.add_user("ann", PASSWORD)
    store.add_user("ben", PASSWORD)
    conv = store.create_conversation(a.id, marks["conv"])
    store.add_message(a.id, conv.id, "user", f"question {marks['msg']}")
    store.add_message(a.id, conv.id, "assistant", f"answer {marks['msg']}", {})
    plan = c.plans.create(a.id, LearnerProfile(goal="research", area=marks["area"]), guidance=False)
    store.save_plan(a.id, plan.model_copy(update={"overview": marks["plan"]}).model_dump(mode="json"))
    store.record_attempt(a.id, quiz_id="qz-ann", question_id="qa1", topic=topic, qtype="tf",
                         question={"question": marks["attempt"]}, answer="True", score=1.0, correct=True)
    card = Question(id="qa2", type="tf", topic=topic, question=marks["card"], options=["True", "False"],
                    answer="True", source=QuizSource(chunk_id="c", source="roadmaps/x.txt"), key="k")
    store.upsert_card(a.id, "qa2", topic=topic, front=marks["card"], back="True",
                      payload={"question": card.model_dump(mode="json")})  # a new card is due at once
    return a.id, conv.id


def plant_secrets(w: World) -> None:
    """Files the server must never hand out, each with content the test process itself can read."""
    data = w.container.settings.data_dir
    (data / "planted-secret.txt").write_text(w.marks["file"], encoding="utf-8")
    w.secrets = {"data-dir file": (data / "planted-secret.txt", w.marks["file"].encode()),
                 "learner db": (Path(w.container.settings.db_url.split("///", 1)[1]), b"SQLite format 3"),
                 "pyproject": (PROJECT_ROOT / "pyproject.toml", b"[build-system]"),
                 "passwd": (Path("/etc/passwd"), b"root:")}
    for path, content in w.secrets.values():
        assert content in path.read_bytes(), f"{path} does not hold its marker: the probe could not fail"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    from tutorbot.ui import launch

    root = tmp_path_factory.mktemp("websec")
    marks = {k: f"tbsec{k}{uuid.uuid4().hex[:12]}" for k in (*KINDS, "file", "served")}
    llm = FakeLLM("A fake answer.")
    c = Container(make_settings(root / "data", embedding={"backend": "hash"}), llm=llm)
    c.ingest()
    a_id, conv_id = plant_learner_a(c, marks)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GRADIO_TEMP_DIR", str(root / "gradio"))  # Gradio's served folder, private to this test
        served = root / "gradio" / "control" / "served.txt"
        served.parent.mkdir(parents=True)
        served.write_text(marks["served"], encoding="utf-8")
        apps, urls = [], []
        for login in (False, True):  # one at a time, so the second free port cannot be the first one
            port = free_port()
            apps.append(launch(c, host="127.0.0.1", port=port, block=False, require_login=login))
            urls.append(f"http://127.0.0.1:{port}")
        w = World(c, llm, *urls, root / "gradio", served, marks, a_id, conv_id, apps[1].server_app)
        plant_secrets(w)
        try:
            yield w
        finally:
            for demo in apps:
                demo.close()
            c.store.close()


def signed_in(w: World, name: str) -> httpx.Client:
    client = httpx.Client(base_url=w.login, timeout=10)
    assert client.post("/login", data={"username": name, "password": PASSWORD}).status_code < 400
    return client


def raw_get(base: str, target: str, cookies: httpx.Cookies | None = None, method: str = "GET",
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    """Send ``target`` byte for byte (no dot-segment removal, no re-encoding)."""
    url = httpx.URL(base)
    hdrs = [(k.encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookies:
        hdrs.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    with httpcore.ConnectionPool() as pool:
        r = pool.request(method, httpcore.URL(scheme=b"http", host=url.host.encode(), port=url.port,
                                              target=target.encode()), headers=hdrs)
        return r.status, r.content


# -- Gradio's queue protocol -----------------------------------------------------------------------
class Page:
    """One browser tab: a session hash, the app config, and handler calls over join + event stream."""

    def __init__(self, client: httpx.Client, session_hash: str | None = None):
        self.client, self.session = client, session_hash or secrets.token_hex(8)
        config = client.get("/config").json()
        self.deps = {d["id"]: d for d in config["dependencies"]}
        self.comps = {c["id"]: c for c in config["components"]}
        self.seen: list[str] = []  # every event-stream message, as text

    def elem(self, elem_id: str) -> int:
        return next(i for i, c in self.comps.items() if c["props"].get("elem_id") == elem_id)

    def defaults(self, fn: int, overrides: dict[int, Any] | None = None) -> list[Any]:
        """What the browser sends: each input's current value (state is kept by the server)."""
        values = {i: None if c["type"] == "state" else c["props"].get("value") for i, c in self.comps.items()}
        values.update(overrides or {})
        return [values[i] for i in self.deps[fn]["inputs"]]

    def call(self, fn: int, data: list[Any] | None = None, overrides: dict[int, Any] | None = None) -> str:
        body = {"data": self.defaults(fn, overrides) if data is None else data, "fn_index": fn,
                "session_hash": self.session, "event_data": None, "trigger_id": None}
        joined = self.client.post("/gradio_api/queue/join", json=body)
        if joined.status_code != 200:
            self.seen.append(joined.text)
            return joined.text
        return self._await(joined.json()["event_id"])

    def _await(self, event_id: str) -> str:
        got, deadline = [], time.monotonic() + CALL_S
        with self.client.stream("GET", "/gradio_api/queue/data", params={"session_hash": self.session}) as s:
            for line in s.iter_lines():
                got.append(line)
                if time.monotonic() > deadline:
                    raise AssertionError(f"handler event {event_id} did not finish in {CALL_S}s")
                if line.startswith("data:") and '"process_completed"' in line and event_id in line:
                    break
        self.seen.extend(got)
        return "\n".join(got)

    def load(self) -> None:
        """Every page-load chain: each ``load`` event and every step ``.then``-ed after it. A page has
        several (the app's, the chat tab's time zone); steps that run only in the browser (JS) are skipped."""
        for first in [i for i, d in self.deps.items() if any(t[1] == "load" for t in d["targets"])]:
            step: int | None = first
            while step is not None:
                if self.deps[step]["backend_fn"]:
                    self.call(step)
                step = next((i for i, d in self.deps.items() if d.get("trigger_after") == step), None)

    def fn_on(self, elem_id: str, event: str) -> int:
        target = self.elem(elem_id)
        return next(i for i, d in self.deps.items() if [target, event] in d["targets"] and d["backend_fn"])


def read_learner_data(page: Page, conv_id: str) -> str:
    """Everything a tab shows about its learner: page load, opening ``conv_id``, the due-card review."""
    page.load()
    page.call(page.fn_on("tb-convs", "input"), overrides={page.elem("tb-convs"): conv_id})
    page.call(page.fn_on("tb-quiz-review", "click"))
    return "\n".join(page.seen)


# -- 1. files ---------------------------------------------------------------------------------------
ROUTES = ["/gradio_api/file=", "/gradio_api/file/", "/file=", "/gradio_api/proxy=", "/static/", "/assets/",
          "/svelte/", "/gradio_api/static/", "/favicon.ico?", "/theme.css?", "/manifest.json?",
          f"/custom_component/{gr.Textbox.get_component_class_id()}/client/", "/Gradio_Api/File=",
          "/GRADIO_API/FILE=", "/gradio_api/File=", "/Static/", "/ASSETS/"]
SELF_SERVING = ("/favicon.ico?", "/theme.css?", "/manifest.json?")  # answer 200 whatever the query says


def variants(path: Path, upload_dir: Path) -> list[str]:
    """``path`` spelt absolutely, relatively, encoded, double-encoded, with backslashes, in upper case…"""
    p = str(path)
    up = "../" * 12 + p.lstrip("/")
    dots = ["..%2f", "%2e%2e/", "%2e%2e%2f", "..%252f", "%252e%252e%252f", "..%5c", "....//", "..;/",
            "%c0%ae%c0%ae/", "..%c0%af", "%2e%2e%5c"]
    return [p, "/" + p, p.upper(), "file://" + p, "%2f" + quote(p.lstrip("/"), safe=""), quote(p, safe=""),
            p + "%00.svg", up, up.replace("/", "\\"), *(up.replace("../", d) for d in dots),
            os.path.relpath(p), f"{upload_dir}/control/../../../../../../../..{p}",
            ".gradio/cached_examples/" + up, "./" + os.path.relpath(p)]


def probe_files(w: World, base: str, cookies: httpx.Cookies | None) -> list[str]:
    leaks = []
    for name, (path, content) in w.secrets.items():
        for route in ROUTES:
            for v in variants(path, w.upload_dir):
                status, body = raw_get(base, route + v, cookies)
                if content in body or (status == 200 and route not in SELF_SERVING):
                    leaks.append(f"{name}: {status} for {route + v}")
    return leaks


def test_the_probe_sends_dot_segments_raw_and_sees_what_is_served(world):
    cookies = signed_in(world, "ben").cookies
    ok = f"/gradio_api/file={world.served}"
    for base, jar in ((world.local, None), (world.login, cookies)):
        status, body = raw_get(base, ok, jar)
        assert status == 200 and world.marks["served"].encode() in body  # a served file does show
        inside = f"/gradio_api/file={world.served.parent}/../control/{world.served.name}"
        assert raw_get(base, inside, jar)[0] == 200  # '..' that stays inside the served folder is fine
        assert raw_get(base, "/static/img/logo.svg", jar)[0] == 200
    # httpx would normalise this to the served file; sent raw, Gradio sees the '..' and refuses.
    sneaky = f"/static/../gradio_api/file={world.served}"
    assert httpx.get(world.local + sneaky).status_code == 200
    assert raw_get(world.local, sneaky)[0] in REFUSED


@pytest.mark.parametrize("mode", ["local", "login"])
def test_no_route_serves_files_outside_the_apps_assets(world, mode):
    cookies = signed_in(world, "ben").cookies if mode == "login" else None
    leaks = probe_files(world, world.local if mode == "local" else world.login, cookies)
    assert not leaks, f"{len(leaks)} requests got a protected file, e.g. {leaks[:5]}"


def test_head_and_range_requests_are_refused_the_same_way(world):
    for path, content in world.secrets.values():
        for target in (f"/gradio_api/file={path}", f"/gradio_api/file={'../' * 12}{str(path).lstrip('/')}"):
            assert raw_get(world.local, target, method="HEAD")[0] in REFUSED
            status, body = raw_get(world.local, target, headers={"Range": "bytes=0-64"})
            assert status in REFUSED and content not in body


def test_file_and_proxy_routes_do_not_fetch_loopback_urls(world):
    inner = f"/gradio_api/file={world.served}"
    port = httpx.URL(world.local).port
    assert world.marks["served"] in httpx.get(world.local + inner).text  # the inner URL does serve it
    hosts = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "2130706433", "0x7f.1", "127.1", "[::ffff:127.0.0.1]"]
    for host in hosts:
        for route in ("/gradio_api/file=", "/gradio_api/proxy="):
            status, body = raw_get(world.local, f"{route}http://{host}:{port}{inner}")
            assert status in REFUSED and world.marks["served"].encode() not in body, (route, host, status)


# -- 2. learner data with login on -------------------------------------------------------------------
def test_the_owner_sees_each_planted_record_through_these_endpoints(world):
    shown = read_learner_data(Page(signed_in(world, "ann")), world.conv_id)
    missing = [k for k in KINDS if world.marks[k] not in shown]
    assert not missing, f"the probe cannot see A's {missing} even as A: it could never catch a leak"


def test_another_learner_gets_none_of_it_from_any_endpoint(world):
    page, prompts_before = Page(signed_in(world, "ben")), len(world.llm.calls)
    read_learner_data(page, world.conv_id)  # the same reads A made, with A's conversation id
    typed = {page.elem("tb-convs"): world.conv_id, page.elem("tb-question"): "What is self-attention?"}
    for fn, dep in sorted(page.deps.items()):  # then every handler of every tab, as the browser sends it
        if dep["backend_fn"]:
            page.call(fn, overrides=typed)
    seen = "\n".join(page.seen)
    assert "process_completed" in seen  # the calls did run
    assert not [k for k in KINDS if world.marks[k] in seen]
    prompts = "\n".join(c.prompt for c in world.llm.calls[prompts_before:])
    assert prompts  # B's question did reach the model
    assert not [k for k in KINDS if world.marks[k] in prompts]  # nor was A's history put in B's prompts
    store = world.container.store  # and B's rename/delete/mark calls left A's records alone
    assert store.get_conversation(world.a_id, world.conv_id).title == world.marks["conv"]
    assert len(store.get_messages(world.a_id, world.conv_id)) == 2
    assert world.container.plans.current(world.a_id).overview == world.marks["plan"]


def export_url(page: Page) -> str:
    """The download URL of the plan export that the page's load offered (Gradio's cached copy)."""
    page.load()
    urls = [u for line in page.seen for u in EXPORT_URL.findall(line)]
    assert urls, "the page load offered no plan export"
    return urls[-1]


def test_the_plan_export_is_served_to_its_owner_only_by_its_secret_url(world):
    page = Page(signed_in(world, "ann"))
    url = export_url(page)
    assert world.marks["plan"] in page.client.get(url).text  # positive control: A downloads it
    assert httpx.get(url).status_code in (401, 404)  # nobody without a login
    written = [p for p in glob.glob(f"{tempfile.gettempdir()}/tutorbot-plans-*/{world.a_id}/study-plan.md")
               if world.marks["plan"] in Path(p).read_text(encoding="utf-8")]
    assert written
    b_page = Page(signed_in(world, "ben"))
    for path in written:  # the file the handler wrote lies outside Gradio's folder: not served
        status, body = raw_get(world.login, f"/gradio_api/file={path}", b_page.client.cookies)
        assert status == 403 and world.marks["plan"].encode() not in body
    b_page.load()
    assert url.split("file=", 1)[1] not in "\n".join(b_page.seen)  # B is never told where A's copy lies
    assert b_page.client.get(url).status_code == 404  # and the URL alone is no key: it was handed to A
    assert world.marks["plan"] in page.client.get(url).text


def test_a_learner_cannot_borrow_another_learners_session_hash(world):
    a_page = Page(signed_in(world, "ann"))
    assert world.marks["msg"] in read_learner_data(a_page, world.conv_id)
    b_page = Page(signed_in(world, "ben"), session_hash=a_page.session)
    chatbot = b_page.elem("tb-chatbot")
    ask = next(i for i, d in b_page.deps.items() if d["types"]["generator"] and chatbot in d["outputs"])
    assert world.marks["msg"] not in b_page.call(ask)


# -- 3. what is open without a login, and the API -------------------------------------------------------
def test_without_a_login_only_the_login_page_and_static_assets_answer(world):
    anon = httpx.Client(base_url=world.login, timeout=10)
    page = Page(signed_in(world, "ben"))  # positive control: the same requests work once signed in
    fn = page.fn_on("tb-quiz-review", "click")
    join = {"data": page.defaults(fn), "fn_index": fn, "session_hash": "anon", "event_data": None}
    calls_before, users_before = len(world.llm.calls), len(world.container.store.list_users())
    for method, path, body in [("GET", "/config", None), ("GET", "/gradio_api/info", None),
                               ("GET", "/gradio_api/openapi.json", None), ("POST", "/gradio_api/queue/join", join),
                               ("GET", "/gradio_api/queue/data?session_hash=anon", None),
                               ("POST", f"/gradio_api/call/{page.deps[fn]['api_name']}", {"data": []}),
                               ("POST", f"/gradio_api/run/{page.deps[fn]['api_name']}", join),
                               ("GET", f"/gradio_api/file={world.served}", None)]:
        r = anon.request(method, path, json=body)
        assert r.status_code in (401, 404), (path, r.status_code)
        assert not [k for k in KINDS if world.marks[k] in r.text]
    r = anon.post("/gradio_api/upload", files={"files": ("x.txt", b"payload")})
    assert r.status_code in (401, 403)
    assert page.client.get("/config").status_code == 200
    assert page.client.get(f"/gradio_api/file={world.served}").status_code == 200
    assert "process_completed" in page.call(fn)
    assert len(world.llm.calls) == calls_before and len(world.container.store.list_users()) == users_before
    home = anon.get("/")
    assert home.status_code == 200 and not [k for k in KINDS if world.marks[k] in home.text]


@pytest.mark.parametrize("mode", ["local", "login"])
def test_the_api_page_lists_nothing_and_direct_posts_are_refused(world, mode):
    client = signed_in(world, "ben") if mode == "login" else httpx.Client(base_url=world.local, timeout=10)
    names = [d["api_name"] for d in client.get("/config").json()["dependencies"] if d["backend_fn"]]
    assert "open_conv" in names  # the config does name every handler, so the checks below can fail
    assert client.get("/gradio_api/info").json() == {"named_endpoints": {}, "unnamed_endpoints": {}}
    assert client.get("/gradio_api/info", params={"all_endpoints": "true"}).json()["named_endpoints"] == {}
    openapi = client.get("/gradio_api/openapi.json").text
    assert not [n for n in names if f"/{n}" in openapi]
    for name in names:
        for route in ("run", "api"):
            assert client.post(f"/gradio_api/{route}/{name}", json={"data": []}).status_code == 404
    for path in ("/gradio_api/mcp/sse", "/gradio_api/mcp/", "/monitoring", "/gradio_api/runs"):
        assert client.get(path).status_code in REFUSED, path


def test_private_handlers_are_not_callable_through_the_simple_call_api(world):
    page = Page(signed_in(world, "ben"))
    name = page.deps[page.fn_on("tb-quiz-review", "click")]["api_name"]
    r = page.client.post(f"/gradio_api/call/{name}", json={"data": [3, "en"]})
    assert r.status_code in REFUSED, f"POST /gradio_api/call/{name} answered {r.status_code} {r.text[:80]}"


# -- 4. origins, cookies, sign-in, sessions, uploads (issue 14) ------------------------------------------
EVIL_ORIGIN = "https://evil.example"
PROXIED = {"host": "tutor.example.org"}  # a request through the documented proxies names the public host


def test_a_foreign_origin_gets_no_cors_grant_and_cannot_post(world):
    client = signed_in(world, "ben")
    token = client.get("/gradio_api/token", headers={**PROXIED, "origin": EVIL_ORIGIN})
    assert token.status_code == 200 and "access-control-allow-origin" not in token.headers
    preflight = {**PROXIED, "access-control-request-method": "POST", "access-control-request-headers": "content-type"}
    refused = client.options("/gradio_api/queue/join", headers={**preflight, "origin": EVIL_ORIGIN})
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers
    page = Page(client)
    fn = page.fn_on("tb-quiz-review", "click")
    body = {"data": page.defaults(fn), "fn_index": fn, "session_hash": page.session, "event_data": None}
    posted = client.post("/gradio_api/queue/join", json=body, headers={**PROXIED, "origin": EVIL_ORIGIN})
    assert posted.status_code == 403 and "event_id" not in posted.text
    own = client.options("/gradio_api/queue/join", headers={**preflight, "origin": "https://tutor.example.org"})
    assert own.status_code == 200  # positive control: the app's own origin is let in
    assert client.post("/gradio_api/queue/join", json=body, headers={"origin": world.login}).status_code == 200


def test_session_cookies_are_same_site_lax(world):
    r = httpx.post(f"{world.login}/login", data={"username": "ben", "password": PASSWORD}, timeout=10)
    cookies = r.headers.get_list("set-cookie")
    assert r.status_code == 200 and len(cookies) == 2
    assert all("samesite=lax" in c.lower() and "samesite=none" not in c.lower() for c in cookies), cookies


def test_sign_out_is_a_post_and_ends_the_session(world):
    client = signed_in(world, "ben")
    kept = httpx.Cookies(client.cookies)
    assert client.get("/logout").status_code == 405  # a link on another site cannot sign the learner out
    assert client.get("/config").status_code == 200
    assert client.post("/logout", headers={"origin": world.login}).status_code in (200, 302)
    assert httpx.get(f"{world.login}/config", cookies=kept, timeout=10).status_code == 401


@pytest.mark.parametrize("mode", ["local", "login"])
def test_uploads_and_the_openapi_schema_are_refused_even_when_signed_in(world, mode):
    client = signed_in(world, "ben") if mode == "login" else httpx.Client(base_url=world.local, timeout=10)
    before = sorted(world.upload_dir.rglob("*"))
    for _ in range(3):
        r = client.post("/gradio_api/upload", files=[("files", (f"f{i}.bin", b"x" * 1000)) for i in range(50)])
        assert r.status_code == 403, r.text
    assert sorted(world.upload_dir.rglob("*")) == before
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/config").status_code == 200  # positive control


def test_guessing_passwords_is_slowed_per_account_and_per_address_and_logged(world, caplog):
    from tutorbot.ui.auth import LoginThrottle

    now = [1000.0]
    world.login_app.throttle = LoginThrottle(clock=lambda: now[0])
    world.container.store.add_user("gus", PASSWORD)

    def attempt(password: str, name: str = "gus", address: str = "10.1.1.1") -> httpx.Response:
        return httpx.post(f"{world.login}/login", data={"username": name, "password": password},
                          headers={"x-forwarded-for": address}, timeout=10)
    try:
        assert [attempt("wrong guess").status_code for _ in range(6)] == [400] * 6  # the 6th starts the back-off
        locked = attempt(PASSWORD)  # even the right password waits
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        assert attempt(PASSWORD, name="Gus", address="10.9.9.9").status_code == 429  # the account, by its look
        now[0] += 2
        assert attempt(PASSWORD).status_code == 200  # the wait is over, and success clears it
        for i in range(21):  # one address trying many accounts
            assert attempt("wrong guess", name=f"nobody{i}", address="10.2.2.2").status_code == 400
        assert attempt(PASSWORD, address="10.2.2.2").status_code == 429
        assert attempt(PASSWORD, address="10.3.3.3").status_code == 200  # other addresses are not held up
        assert "failed sign-in for 'gus' from 10.1.1.1" in caplog.text
    finally:
        world.login_app.throttle = LoginThrottle()


def test_a_session_expires_after_the_configured_hours(world):
    now = [5000.0]
    world.login_app.clock = lambda: now[0]
    try:
        client = signed_in(world, "ben")
        now[0] += world.container.settings.ui.session_hours * 3600 - 60
        assert client.get("/config").status_code == 200
        now[0] += 120
        assert client.get("/config").status_code == 401
    finally:
        world.login_app.clock = time.monotonic


def test_an_oversized_sign_in_form_is_refused_before_any_password_check(world):
    r = httpx.post(f"{world.login}/login", data={"username": "ben" * 40_000, "password": PASSWORD}, timeout=10)
    assert r.status_code == 413
    assert signed_in(world, "ben").get("/config").status_code == 200  # and the sign-in itself still works
