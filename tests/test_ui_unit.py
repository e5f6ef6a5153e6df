"""Web UI without a browser: i18n, login rules, safe rendering, chat streaming, tab logic, safe launch.

Everything runs on fakes and a temp SQLite store in seconds. ``test_launch_*`` start the real
Gradio server on a free port over a stub container to check what it exposes over HTTP.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import pytest
from conftest import free_port, make_settings
from markdown_it import MarkdownIt

from tutorbot.chat.conversations import Conversations
from tutorbot.chat.service import MAX_QUESTION_CHARS, ChatEvent, cut_question
from tutorbot.curriculum.graph import load_curriculum
from tutorbot.curriculum.models import Goal
from tutorbot.learner.progress import Progress
from tutorbot.learner.srs import CardState, TopicMastery, new_scheduler
from tutorbot.llm.fake import FakeLLM
from tutorbot.plans.models import Phase, Plan, PlanResource, Week, WeekTopic
from tutorbot.plans.service import needs_guidance, plan_stage
from tutorbot.quiz.models import Feedback, KeyPoint, Question, Quiz, QuizSource
from tutorbot.schemas import Answer, CatalogEntry, Citation
from tutorbot.settings import PROJECT_ROOT
from tutorbot.store.learner_store import LearnerStore
from tutorbot.ui import auth, chat_logic, i18n, library_tab, plan_logic, plan_view, progress_tab, quiz_logic, render
from tutorbot.ui.status import Health, HealthCache, probe, status_text

T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
CATALOG_URL = "https://github.com/karpathy/nanogpt"


@pytest.fixture(scope="module")
def curriculum():
    return load_curriculum(PROJECT_ROOT / "corpus" / "curriculum.yaml")


@pytest.fixture
def store(tmp_path):
    with LearnerStore(f"sqlite:///{tmp_path / 'db.sqlite3'}", now=lambda: T0, scrypt_n=2**10) as s:
        yield s


# -- i18n ------------------------------------------------------------------------------------------
def test_every_string_exists_in_both_languages_with_the_same_placeholders():
    import string

    for key, (en, zh) in i18n.STRINGS.items():
        assert en.strip() and zh.strip(), key
        fields = [{f for _, f, _, _ in string.Formatter().parse(s) if f} for s in (en, zh)]
        assert fields[0] == fields[1], key


@pytest.mark.parametrize("header, lang", [("zh-CN,zh;q=0.9,en;q=0.8", "zh"), ("en-US,en;q=0.9", "en"),
                                          ("fr-FR,zh-TW;q=0.5", "zh"), ("de-DE", "en"), ("", "en"), (None, "en")])
def test_browser_language_picks_the_first_supported_preference(header, lang):
    assert i18n.browser_lang(header) == lang


def test_labels_relabel_every_registered_component_in_the_chosen_language():
    labels = i18n.Labels()
    labels.add("send-button", value="chat.send")
    labels.add("box", lambda lang: {"label": i18n.t(lang, "chat.input"), "choices": [lang]})
    assert labels.props("zh") == [{"value": "发送"}, {"label": i18n.t("zh", "chat.input"), "choices": ["zh"]}]
    assert labels.props("en")[0] == {"value": "Send"}
    assert i18n.choose_lang("<script>") == "en" and i18n.choose_lang("zh") == "zh"


# -- login ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("host, needed", [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                          ("127.0.0.2", False), ("0.0.0.0", True), ("192.168.1.5", True),
                                          ("tutor.example.org", True), ("::", True)])
def test_login_is_required_on_every_interface_but_loopback(host, needed):
    assert auth.login_required(host) is needed
    assert auth.login_required(host, override=True) is True


def test_sign_in_back_off_doubles_after_the_free_failures_and_a_success_clears_it():
    now = [0.0]
    throttle = auth.LoginThrottle(clock=lambda: now[0], free_account=3, free_address=100, first_wait=1, max_wait=8)
    for _ in range(3):
        throttle.failed("10.0.0.1", "bob")
    assert throttle.wait("10.0.0.1", "bob") == 0
    waits = []
    for _ in range(5):
        throttle.failed("10.0.0.1", "bob")
        waits.append(throttle.wait("10.0.0.2", "Bоb"))  # another address, an account that looks the same
    assert waits == [1, 2, 4, 8, 8]
    throttle.succeeded("10.0.0.1", "bob")
    assert throttle.wait("10.0.0.1", "bob") == 0


def test_sign_in_failures_are_forgotten_after_a_quiet_while_and_the_table_stays_bounded():
    now = [0.0]
    throttle = auth.LoginThrottle(clock=lambda: now[0], free_account=1, forget_after=60, keep=10)
    throttle.failed("a", "bob")
    now[0] += 61
    assert throttle.failed("a", "bob") == 1 and throttle.wait("a", "bob") == 0
    for i in range(50):
        throttle.failed(f"10.0.0.{i}", f"user{i}")
    assert len(throttle._strikes) <= 10


def test_password_checks_run_in_a_worker_thread_not_on_the_event_loop(store, monkeypatch):
    import asyncio
    import threading

    store.add_user("alice", "s3cret-pass")
    threads = []
    verify = store.verify_user
    monkeypatch.setattr(store, "verify_user", lambda *a: threads.append(threading.get_ident()) or verify(*a))
    ident = auth.Identity(store, login=True)
    assert asyncio.run(ident.check_async("alice", "s3cret-pass")) is True
    assert threads and threads[0] != threading.get_ident()


@pytest.mark.parametrize("origin, host, allowed", [
    (None, "127.0.0.1:7860", True), ("http://127.0.0.1:7860", "127.0.0.1:7860", True),
    ("https://tutor.example.org", "tutor.example.org", True), ("https://tutor.example.org", "127.0.0.1:7860", True),
    ("https://evil.example", "tutor.example.org", False), ("null", "127.0.0.1:7860", False),
    ("https://tutor.example.org.evil.example", "127.0.0.1:7860", False),
    ("https://tutor.example.org:8443", "tutor.example.org", True), ("http://127.0.0.1:7860", "", False)])
def test_only_the_public_origin_or_the_requests_own_is_let_in(origin, host, allowed):
    from starlette.datastructures import Headers

    from tutorbot.settings import UISettings
    from tutorbot.ui.web import WebGuard

    guard = WebGuard(None, SimpleNamespace(guard_settings=UISettings(public_url="https://Tutor.example.org/")))
    headers = Headers({"host": host} | ({"origin": origin} if origin else {}))
    assert guard.allowed_origin(headers) is allowed


def test_only_a_few_passwords_are_checked_at_once_the_rest_are_told_to_retry():
    import asyncio

    from tutorbot.settings import UISettings
    from tutorbot.ui.auth import LoginThrottle
    from tutorbot.ui.web import SIGN_INS_AT_ONCE, WebGuard

    async def scenario() -> list[int]:
        gate = asyncio.Event()

        async def slow_hash(scope, receive, send):  # stands in for Gradio's /login: a wrong password
            await gate.wait()
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b""})
        app = SimpleNamespace(guard_settings=UISettings(), login=True, throttle=LoginThrottle(), tokens={},
                              clock=lambda: 0.0)
        guard = WebGuard(slow_hash, app)

        async def sign_in(n: int) -> int:
            scope = {"type": "http", "method": "POST", "path": "/login", "client": (f"10.0.0.{n}", 1),
                     "headers": [(b"content-type", b"application/x-www-form-urlencoded")]}
            statuses = []

            async def receive():
                return {"type": "http.request", "body": f"username=u{n}&password=x".encode(), "more_body": False}

            async def send(message):
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])
            await guard(scope, receive, send)
            return statuses[0]
        waiting = [asyncio.create_task(sign_in(n)) for n in range(SIGN_INS_AT_ONCE)]
        await asyncio.sleep(0.01)
        refused = await sign_in(99)
        gate.set()
        return [refused, *await asyncio.gather(*waiting)]
    assert asyncio.run(scenario()) == [503] + [400] * SIGN_INS_AT_ONCE


def test_a_handed_out_file_is_readable_by_each_learner_it_went_to_and_no_one_else():
    from starlette.datastructures import Headers

    from tutorbot.settings import UISettings
    from tutorbot.ui.web import WebGuard

    app = SimpleNamespace(guard_settings=UISettings(), tokens={"ta": "ann", "tb": "ben", "tc": "cy"})
    guard = WebGuard(None, app)
    for user in ("ann", "ben"):  # two identical exports: Gradio caches them under one path
        guard.hand_out("/tmp/gradio/abc/study-plan.md", user)
    scope = {"path": "/gradio_api/file=/tmp/gradio/abc/study-plan.md"}
    seen = {u: guard.may_read(scope, Headers({"cookie": f"access-token-x={t}"})) for t, u in app.tokens.items()}
    assert seen == {"ann": True, "ben": True, "cy": False}
    assert guard.may_read({"path": "/gradio_api/file=/tmp/gradio/other.txt"}, Headers({}))  # not handed out


def test_identity_checks_hashed_passwords_and_takes_the_user_from_the_session(store):
    alice = store.add_user("alice", "s3cret-pass")
    ident = auth.Identity(store, login=True)
    assert not ident.check("alice", "wrong") and not ident.check("local", "") and not ident.check("", "")
    assert ident.check("alice", "s3cret-pass")
    assert ident.user_id(SimpleNamespace(username="alice")) == alice.id
    with pytest.raises(auth.NotSignedIn):
        ident.user(SimpleNamespace(username=None))
    restarted = auth.Identity(store, login=True)  # a session signed in before a restart still resolves
    assert restarted.user_id(SimpleNamespace(username="alice")) == alice.id
    local = auth.Identity(store, login=False).user(SimpleNamespace(username="alice"))
    assert local.name == "local"  # without login nobody can pick a user by name


# -- rendering ------------------------------------------------------------------------------------
def test_model_markdown_loses_html_images_and_unknown_links_but_keeps_code_and_known_links():
    text = ("Hi <script>alert(1)</script><img src=x onerror=alert(1)> ![p](https://evil.example/p.png) "
            f"[ok]({CATALOG_URL}) [bad](https://evil.example/x) https://evil.example/y `<b>code</b>` <iframe")
    out = render.safe_markdown(text, render.allowed_set([CATALOG_URL]))
    assert "<script" not in out and "<img" not in out and "evil.example" not in out and "![" not in out
    assert f"[ok]({CATALOG_URL})" in out and "bad" in out and "`<b>code</b>`" in out
    assert "&lt;iframe" in out


def test_citation_cards_are_numbered_escaped_and_link_only_to_allowed_urls():
    cites = [Citation(n=1, source="roadmaps/a.txt", title="LLM <Road> Map", section="A > Attention",
                      urls=[CATALOG_URL], text="<b>self</b>-attention " * 40),
             Citation(n=2, source="roadmaps/b.txt", title="B", urls=["https://evil.example/z"], text="x")]
    html = render.citation_cards(cites, "zh", render.allowed_set([CATALOG_URL]))
    assert html.count('class="tb-cite"') == 2 and "来源" in html
    assert "LLM &lt;Road&gt; Map › Attention" in html and "<b>self" not in html
    assert f'href="{CATALOG_URL}"' in html and "evil.example" not in html
    assert "…" in html  # long snippets are cut


def test_busy_answers_say_so_in_the_interface_language():
    answer = Answer(answer="the model is busy: try again\n- x [1]", error="the model is busy: try again")
    assert i18n.t("zh", "err.busy") in render.answer_markdown(answer, "zh", set())


# -- chat -----------------------------------------------------------------------------------------
class FakeChat:
    """Streams fixed deltas, then an answer citing a catalog URL; records what it was asked."""

    def __init__(self, deltas: list[str]):
        self.deltas, self.calls = deltas, []

    def ask_stream(self, question, **kw):
        self.calls.append((question, kw))
        cut_from = cut_question(question)[1]  # reported as the service reports it
        yield from (ChatEvent("delta", d) for d in self.deltas)
        cite = Citation(n=1, source="roadmaps/a.txt", title="Map", urls=[CATALOG_URL], text="snippet")
        yield ChatEvent("done", answer=Answer(answer="".join(self.deltas) + " [1]", citations=[cite],
                                              question_cut_from=cut_from))


def test_streaming_is_coalesced_and_ends_with_the_cited_answer(store):
    uid = store.add_user("bob", "pw-123456").id
    chat = FakeChat(["tok "] * 50)
    # one re-render per hour at most
    ctl = chat_logic.ChatController(chat, Conversations(store), {CATALOG_URL}, interval=3600)
    frames = list(ctl.ask(uid, None, "What is attention?", [], lang="en", answer_lang="zh", socratic=True))
    assert len(frames) <= 4  # placeholder, first delta, final answer: not 50 re-renders
    history, conv, answer = frames[-1]
    assert answer is not None and "tb-cite" in history[-1]["content"] and history[0]["content"] == "What is attention?"
    assert chat.calls[0][1] == {"user_id": uid, "conversation_id": conv, "language": "zh", "socratic": True}
    assert [c.title for c in store.list_conversations(uid)] == ["What is attention?"]


def test_coalescer_lets_through_one_update_per_interval():
    now = [0.0]
    tick = chat_logic.Coalescer(0.05, clock=lambda: now[0])
    passed = 0
    for _ in range(100):  # 100 deltas over one second
        passed += tick.ready()
        now[0] += 0.01
    assert passed == 20


def test_conversations_are_per_learner(store):
    a, b = store.add_user("ann", "pw-123456").id, store.add_user("ben", "pw-123456").id
    ctl = chat_logic.ChatController(FakeChat(["hi"]), Conversations(store), set(), interval=0)
    conv = list(ctl.ask(a, None, "Ann's secret question", [], lang="en", answer_lang="auto", socratic=False))[-1][1]
    assert ctl.conversations(b) == [] and [(ctl.title(a, v), v) for _, v in ctl.conversations(a)] == [
        ("Ann's secret question", conv)]
    assert ctl.open(b, conv, "en") == [{"role": "assistant", "content": i18n.t("en", "chat.not_found")}]
    ctl.delete(b, conv)
    ctl.rename(b, conv, "hacked")
    assert [(ctl.title(a, v), v) for _, v in ctl.conversations(a)] == [("Ann's secret question", conv)]
    # After a restart the stored turn (as ChatService saves it) comes back with its citation cards.
    store.add_message(a, conv, "user", "Ann's secret question")
    cite = {"n": 1, "source": "roadmaps/a.txt", "title": "Map", "urls": [CATALOG_URL], "text": "snippet"}
    store.add_message(a, conv, "assistant", "Answer [1] <img src=x>", {"citations": [cite], "language": "en"})
    reopened = ctl.open(a, conv, "en")
    assert [m["role"] for m in reopened] == ["user", "assistant"] and "tb-cite" in reopened[1]["content"]
    assert "<img" not in reopened[1]["content"]


def test_an_empty_question_gets_a_message_in_the_interface_language_and_starts_no_conversation(store):
    uid = store.add_user("cy", "pw-123456").id
    ctl = chat_logic.ChatController(FakeChat(["x"]), Conversations(store), set(), interval=0)
    empty = list(ctl.ask(uid, None, "   ", [], lang="en", answer_lang="auto", socratic=False))
    assert i18n.t("en", "chat.empty") in empty[-1][0][-1]["content"]
    assert store.list_conversations(uid) == []


@pytest.mark.parametrize(("lang", "note"), [("en", "Your question was cut to the first 4,000 characters."),
                                            ("zh", "你的问题已截断，只保留了前 4,000 个字符。")])
def test_an_overlong_question_is_answered_with_a_note_of_the_cut_in_every_frame(store, lang, note):
    uid = store.add_user("cy", "pw-123456").id
    chat = FakeChat(["tok "] * 3)
    ctl = chat_logic.ChatController(chat, Conversations(store), set(), interval=0)
    frames = list(ctl.ask(uid, None, "y" * 5000, [], lang=lang, answer_lang="auto", socratic=False))
    assert all(f[0][-1]["content"].startswith(f"⚠ *{note}*") for f in frames)  # from the first frame to the answer
    assert frames[-1][2] is not None and "tb-cite" in frames[-1][0][-1]["content"]
    assert len(chat.calls[0][0]) == 5000  # the service gets the whole question and cuts it itself
    assert len(frames[-1][0][-2]["content"]) == MAX_QUESTION_CHARS  # the learner's turn shows what was asked


def test_a_question_within_the_limit_gets_no_note(store):
    uid = store.add_user("cy", "pw-123456").id
    ctl = chat_logic.ChatController(FakeChat(["tok "]), Conversations(store), set(), interval=0)
    frames = list(ctl.ask(uid, None, "y" * MAX_QUESTION_CHARS, [], lang="en", answer_lang="auto", socratic=False))
    assert not any("⚠" in f[0][-1]["content"] for f in frames)


def test_a_reopened_conversation_still_says_its_question_was_cut(store):
    uid = store.add_user("cy", "pw-123456").id
    ctl = chat_logic.ChatController(FakeChat(["x"]), Conversations(store), set(), interval=0)
    conv = Conversations(store).find_or_create(uid, None, "long")[0].id
    store.add_message(uid, conv, "user", "y" * MAX_QUESTION_CHARS)
    store.add_message(uid, conv, "assistant", "Answer", {"language": "en", "question_cut_from": 5000})
    assert ctl.open(uid, conv, "zh")[1]["content"].startswith("⚠ *你的问题已截断")


@pytest.mark.parametrize("text, wanted", [("make me a plan: 10h/week, I know python", True),
                                          ("帮我制定一个学习计划", True), ("Give me a 12-week study plan", True),
                                          ("What is RLHF?", False), ("how does planning in agents work", False)])
def test_plan_requests_are_recognised(text, wanted):
    from tutorbot.chat.scope import wants_plan

    assert wants_plan(text) is wanted


# -- plan -----------------------------------------------------------------------------------------
def make_plan() -> Plan:
    weeks = [Week(week=1, hours=6, topics=[WeekTopic(id="python_pytorch", name="Python <basics>", hours=6)],
                  resources=[PlanResource(id=CATALOG_URL, title="nanoGPT", url=CATALOG_URL, kind="repository")],
                  tasks=["Study it"], checkpoint="python_pytorch"),
             Week(week=2, hours=6, topics=[WeekTopic(id="dl_basics", name="DL", hours=6)])]
    phases = [Phase(title="Foundations", track="foundations", first_week=1, last_week=2,
                    topics=["python_pytorch", "dl_basics"], project="Train an MLP")]
    return Plan(summary="2 weeks", language="en", goal=Goal.understand_llms, hours_per_week=6, weeks_requested=2,
                weeks=weeks, phases=phases)


def test_plan_view_is_an_escaped_timeline_with_milestones_and_marks():
    html = plan_view.plan_html(make_plan(), {"python_pytorch": "done"}, "zh")
    assert "Python &lt;basics&gt;" in html and "<basics>" not in html and "✔" in html
    assert f'href="{CATALOG_URL}"' in html and "Train an MLP" in html and "代码库" in html
    assert html.count("<tr>") == 3  # header + two weeks
    assert "生成学习计划" in plan_view.plan_html(None, {}, "zh")


def test_profile_form_errors_name_the_field(curriculum):
    ok = plan_logic.PlanForm(known=["python_pytorch"], hours_per_week=6, weeks=10, language="zh")
    assert ok.to_profile(curriculum).hours_per_week == 6
    with pytest.raises(ValueError, match="hours_per_week"):
        plan_logic.PlanForm(hours_per_week=0).to_profile(curriculum)
    with pytest.raises(ValueError, match="unknown topics"):
        plan_logic.PlanForm(known=["cooking"]).to_profile(curriculum)


def test_the_form_carries_wanted_topics_filling_and_uncovered_requests(curriculum):
    form = plan_logic.PlanForm(known=["dl_basics"], learn=["rlhf"], fill_weeks=False,
                               not_covered=["interview_practice", "forged"])
    profile = form.to_profile(curriculum)
    assert (profile.learn, profile.fill_weeks, profile.not_covered) == (["rlhf"], False, ["interview_practice"])
    assert plan_logic.PlanForm.from_profile(profile).learn == ["rlhf"]
    with pytest.raises(ValueError, match="unknown topics"):
        plan_logic.PlanForm(learn=["cooking"]).to_profile(curriculum)


def test_what_was_read_is_shown_field_by_field_and_escaped(curriculum):
    from tutorbot.plans.profile import parse_profile
    from tutorbot.plans.understood import understood

    draft = parse_profile("I know <b>CNNs</b>. 3h/wk for 4 weeks, I want to build RAG apps.", curriculum)
    html = plan_view.understood_html(understood(draft, curriculum, "en"), "en")
    assert '<tr data-field="hours_per_week" data-source="parser"><td>Hours per week</td><td>3</td>' in html
    assert "Deep learning basics" in html and "&lt;b&gt;CNNs&lt;/b&gt;" in html and "<b>CNNs" not in html
    assert "Build LLM applications" in html and 'data-source="default"' in html  # kinds were not stated
    assert "你的描述" in plan_view.understood_html(understood(draft, curriculum, "zh"), "zh")


def test_plan_stage_is_the_unfinished_part_of_the_current_phase():
    plan = make_plan()
    assert plan_stage(plan, {}) == ["python_pytorch", "dl_basics"]
    assert plan_stage(plan, {"python_pytorch": "done"}) == ["dl_basics"]
    assert plan_stage(plan, {"python_pytorch": "done", "dl_basics": "known"}) == []


def test_a_fresh_plan_shows_at_once_and_gets_its_advice_in_a_second_step(store, curriculum):
    from tutorbot.llm.prompts import PromptLibrary
    from tutorbot.plans.models import LearnerProfile
    from tutorbot.plans.service import PlanService

    uid = store.add_user("fay", "pw-123456").id
    prompts = PromptLibrary(PROJECT_ROOT / "prompts")
    plans = PlanService(curriculum, [], FakeLLM("not json"), prompts, store)
    assert plans.add_guidance(uid) is None  # no plan yet: nothing to do
    plans.create(uid, LearnerProfile(hours_per_week=6, weeks=8), guidance=False)
    assert needs_guidance(plans.current(uid))
    guided = plans.add_guidance(uid)
    assert guided.guidance_source == "template" and guided.overview  # the model failed: template advice
    assert plans.current(uid) == guided and len(store.plan_history(uid)) == 2
    assert not needs_guidance(plans.replan(uid))  # a re-plan keeps its predecessor's advice


# -- library --------------------------------------------------------------------------------------
def test_library_filters_combine_and_topics_come_from_the_curriculum(curriculum):
    entries = library_tab.entry_topics([
        CatalogEntry(id="https://d2l.ai/", url="https://d2l.ai/", title="Dive into Deep Learning", kind="book",
                     roadmaps=["LLM Road Map"], language="en"),
        CatalogEntry(id="https://zh.d2l.ai/", url="https://zh.d2l.ai/", title="动手学深度学习", kind="book",
                     roadmaps=["如果重学AI"], language="zh"),
        CatalogEntry(id="https://arxiv.org/abs/1706.03762", url="https://arxiv.org/abs/1706.03762",
                     title="Attention Is All You Need", kind="paper", roadmaps=["LLM Road Map"])], curriculum)
    assert "python_pytorch" in entries[0].topics
    f = library_tab.filter_entries
    assert [e.title for e in f(entries, kind="book", language="zh")] == ["动手学深度学习"]
    found = f(entries, roadmap="LLM Road Map", query="ATTENTION need")
    assert [e.title for e in found] == ["Attention Is All You Need"]
    assert len(f(entries, topic="python_pytorch")) == 2 and f(entries, query="nothing-like-this") == []
    html = library_tab.library_html(f(entries, kind="paper"), 3, curriculum, "zh")
    assert "论文" in html and 'target="_blank"' in html and "LLM Road Map" in html


# -- progress and quiz ----------------------------------------------------------------------------
def test_progress_view_reports_mastery_forecast_history_and_streak(store, curriculum):
    uid = store.add_user("dee", "pw-123456").id
    for score in (1.0, 0.0):
        store.record_attempt(uid, quiz_id="q1", question_id=f"x{score}", topic="python_pytorch", qtype="mcq",
                             question={"question": "Which?"}, answer="a", score=score, correct=score > 0.5)
    store.upsert_card(uid, "x1.0", topic="python_pytorch", front="f", back="b",
                      state=CardState.new(T0 + timedelta(days=2)))
    report = {"python_pytorch": TopicMastery(topic="python_pytorch", score=0.4, attempts=2, right=1)}
    progress = Progress(store, new_scheduler(fuzz=False), clock=lambda: T0, names=curriculum)
    progress.mastery = lambda user_id: report
    view = progress.view(uid, "zh")
    assert view.mastery == [("PyTorch 基础", 40.0)] and view.streak == 1 and view.attempts == 2
    assert [n for _, n in view.due][:3] == [0, 0, 1]
    assert view.weak == [("PyTorch 基础", "python_pytorch")] and view.next_review == T0 + timedelta(days=2)
    _, due, history = progress_tab.frames(view, "zh")
    assert list(history.columns)[:2] == ["时间", "主题"] and len(history) == 2 and len(due) == 14
    assert "连续学习" in progress_tab.summary(view, "zh")


def test_quiz_feedback_gives_the_verdict_the_answer_why_and_the_source_link():
    src = QuizSource(chunk_id="c1", source="roadmaps/a.txt", title="Map", section="A > B", urls=[CATALOG_URL])
    fb = Feedback(quiz_id="q", question_id="x", type="short", topic="t", given="g", correct=False, score=0.6,
                  answer="Attention", explanation="Because <b>", source=src, source_link=CATALOG_URL,
                  key_points=[KeyPoint(point="weights", score=1, covered=True)], rating=2, due=T0)
    md = quiz_logic.feedback_markdown(fb, "en", now=T0 - timedelta(days=3, hours=1))
    assert "Partly right (60%)" in md and "Attention" in md and f"]({CATALOG_URL})" in md
    assert "<b>" not in md and "Next review: in 3 days" in md and "✔ weights" in md


@pytest.mark.parametrize(("ahead_by", "lang", "said"), [
    (timedelta(minutes=10), "en", "in 10 minutes"), (timedelta(minutes=1), "en", "in 1 minute"),
    (timedelta(hours=5, minutes=10), "en", "in 5 hours"), (timedelta(days=1), "en", "in 1 day"),
    (timedelta(days=12, hours=20), "zh", "13 天后"), (timedelta(minutes=58), "zh", "1 小时后"),
    (timedelta(0), "en", "now"), (-timedelta(days=2), "zh", "现在")])
def test_a_review_says_how_far_ahead_it_is_in_the_learners_language(ahead_by, lang, said):
    from tutorbot.ui.dates import ahead

    assert ahead(T0 + ahead_by, T0, lang) == said


def test_quiz_session_walks_one_question_at_a_time_to_a_score():
    src = QuizSource(chunk_id="c", source="s")
    qs = [Question(id=f"q{i}", type="tf", topic="t", question=f"Q{i}?", options=["True", "False"], answer="True",
                   source=src, key="k") for i in range(3)]
    quiz = SimpleNamespace(id="z", questions=qs)
    session = quiz_logic.QuizSession.model_construct(quiz=quiz, index=0, results=[])
    assert session.current.id == "q0" and not session.answered and not session.finished
    fb = SimpleNamespace(correct=True, score=1.0)
    done = session.model_copy(update={"index": 3, "results": [fb, fb, SimpleNamespace(correct=False, score=0.0)]})
    assert done.finished and done.current is None
    score = quiz_logic.score_markdown(done, "en")
    assert "2 of 3 points (67%)" in score and "1. ✔ Q0?" in score and "3. ✘ Q2? — Answer: True" in score


def test_the_score_line_never_mixes_a_count_with_partial_credit():
    src = QuizSource(chunk_id="c", source="s")
    qs = [Question(id=f"q{i}", type="tf", topic="t", question=f"Q{i}?", options=["True", "False"], answer="True",
                   source=src, key="k") for i in range(4)]
    marks = [SimpleNamespace(correct=c, score=s) for c, s in ((True, 1.0), (True, 1.0), (True, 0.8), (False, 0.0))]
    done = quiz_logic.QuizSession.model_construct(quiz=SimpleNamespace(id="z", questions=qs), index=4, results=marks)
    first = quiz_logic.score_markdown(done, "en").splitlines()[0]
    assert first == "### Score: 2.8 of 4 points (70%)"  # was "3 / 4 (70%)": a count beside partial credit
    assert "3 of 4 answers fully right" in quiz_logic.score_markdown(done, "en")
    assert "得分：2.8 / 4 分（70%）" in quiz_logic.score_markdown(done, "zh")


@pytest.mark.parametrize("text", ["学习计划概览（3~6个月）的第1~3周", "a *very* _odd_ `name` [x](y) | #1"])
def test_corpus_text_in_quiz_questions_is_shown_as_written(text):
    q = Question(id="q", type="tf", topic="t", question=f"True or false? “{text}”", options=["True", "False"],
                 answer="True", source=QuizSource(chunk_id="c", source="s"), key="k")
    session = quiz_logic.QuizSession.model_construct(quiz=SimpleNamespace(id="z", questions=[q]), index=0, results=[])
    md = quiz_logic.question_markdown(session, "Topic", "en").split("\n\n", 1)[1]
    assert not re.search(r"(?<!\\)[~*_`\[\]|#]", md)  # escaped: a single "~" is strikethrough in GFM
    rendered = MarkdownIt("commonmark").enable(["strikethrough", "table"]).render(md)
    assert not re.search(r"<(?:del|s|em|strong|code|a)\b", rendered)
    assert text in html.unescape(re.sub(r"<[^>]+>", "", rendered))


def test_a_quiz_picked_from_the_plan_draws_on_that_weeks_resources():
    weeks = [Week(week=1, hours=5, topics=[WeekTopic(id="dl_basics", name="DL", hours=5)], checkpoint="dl_basics",
                  resources=[PlanResource(id="a", title="A", url="https://a.example/1", kind="blog")]),
             Week(week=2, hours=5, topics=[WeekTopic(id="ddpm", name="DDPM", hours=5)], checkpoint="ddpm",
                  resources=[PlanResource(id="b", title="B", url="https://b.example/ddpm", kind="paper"),
                             PlanResource(id="c", title="C", url=None, kind="book")])]
    plan = SimpleNamespace(weeks=weeks)
    made = []
    quizzes = SimpleNamespace(make_quiz=lambda uid, topic, **kw: made.append((topic, kw["sources"])) or
                              Quiz(id="z", user_id=uid, questions=[], created_at=T0))
    ops = quiz_logic.QuizOps(SimpleNamespace(quizzes=quizzes, plans=SimpleNamespace(current=lambda uid: plan)))
    ops.start(1, "ddpm", 3, [], "en", source="plan")
    ops.start(1, "ddpm", 3, [], "en", source="all")
    assert made == [("ddpm", ["https://b.example/ddpm"]), ("ddpm", None)]


def test_finishing_a_quiz_replans_and_says_so():
    src = QuizSource(chunk_id="c", source="s")
    qs = [Question(id=f"q{i}", type="tf", topic="t", question=f"Q{i}?", options=["True", "False"], answer="True",
                   source=src, key="k") for i in range(2)]
    fb = SimpleNamespace(correct=False, score=0.0)
    replans = []
    quizzes = SimpleNamespace(submit=lambda *a, **kw: fb, finish=lambda uid, quiz_id: replans.append(uid) or True)
    ops = quiz_logic.QuizOps(SimpleNamespace(quizzes=quizzes))
    session = quiz_logic.QuizSession.model_construct(quiz=SimpleNamespace(id="z", questions=qs), index=0, results=[])
    first = ops.answer(1, session, "False")
    assert replans == [] and not first.plan_updated  # not before the last answer
    last = ops.answer(1, first.model_copy(update={"index": 1}), "False")
    assert replans == [1] and last.plan_updated
    assert "study plan was updated" in quiz_logic.score_markdown(last.model_copy(update={"index": 2}), "en")


def test_status_line_names_the_model_and_never_shows_raw_html():
    up = status_text(Health(state="up", model="<smol>", chunks=156), "en")
    assert "&lt;smol&gt;" in up and "156" in up and "tb-up" in up
    assert "<code>tutorbot serve-llm</code>" in status_text(Health(state="down"), "zh")


def test_health_is_probed_once_per_interval_for_all_pages(tmp_path):
    now, calls = [0.0], []
    llm = FakeLLM(state="warming")
    llm.status = lambda: calls.append(1) or FakeLLM.status(llm)
    container = SimpleNamespace(llm=llm, index=SimpleNamespace(count=lambda: 7), settings=make_settings(tmp_path))
    cache = HealthCache(lambda: probe(container.llm, container.index.count, container.settings), ttl=10,
                        clock=lambda: now[0])
    assert "warming" in cache.line("en").lower() and cache.get().chunks == 7
    cache.line("zh")
    assert len(calls) == 1
    now[0] = 10.0
    cache.get()
    assert len(calls) == 2


# -- launch ---------------------------------------------------------------------------------------
def stub_container(tmp_path, curriculum):
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    store = LearnerStore(settings.db_url, scrypt_n=2**10)
    return SimpleNamespace(settings=settings, store=store, llm=FakeLLM(), curriculum=curriculum, catalog=[],
                           chat=FakeChat(["hi"]), conversations=Conversations(store), plans=None, quizzes=None,
                           progress=None, index=SimpleNamespace(count=lambda: 3), linked_progress=lambda: None)


@pytest.mark.parametrize("login", [False, True])
def test_launch_serves_no_public_api_and_requires_login_when_asked(tmp_path, curriculum, login):
    from tutorbot.ui import launch

    c = stub_container(tmp_path, curriculum)
    c.store.add_user("eve", "pw-123456")
    port = free_port()
    demo = launch(c, host="127.0.0.1", port=port, block=False, require_login=login)
    try:
        assert demo.share is False and demo.analytics_enabled is False
        assert all(fn.api_visibility == "private" for fn in demo.fns.values())
        base = f"http://127.0.0.1:{port}"
        config = httpx.get(f"{base}/config", timeout=10)
        assert config.status_code == (401 if login else 200)
        for path in ("/etc/passwd", str(PROJECT_ROOT / "pyproject.toml"), str(c.settings.db_url).split("///")[1]):
            assert httpx.get(f"{base}/gradio_api/file={path}", timeout=10).status_code in (401, 403, 404)
        if login:
            with httpx.Client(base_url=base) as client:
                assert client.post("/login", data={"username": "eve", "password": "nope"}).status_code >= 400
                assert client.post("/login", data={"username": "eve", "password": "pw-123456"}).status_code < 400
                assert client.get("/config").status_code == 200
    finally:
        demo.close()
        c.store.close()


def test_the_quiz_tab_offers_all_weak_or_plan_topics(curriculum):
    progress = SimpleNamespace(weak_topics=lambda uid: ["dl_basics", "not-a-topic"])
    plans = SimpleNamespace(stage=lambda uid: ["python_pytorch"])
    ops = quiz_logic.QuizOps(SimpleNamespace(curriculum=curriculum, progress=progress, plans=plans))
    assert len(ops.topics(1, "all", "en")) == len(curriculum.ids)
    assert [v for _, v in ops.topics(1, "weak", "en")] == ["dl_basics"]
    assert [v for _, v in ops.topics(1, "plan", "zh")] == ["python_pytorch"]
