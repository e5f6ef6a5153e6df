"""Bad-input fuzzing (hypothesis) of every learner entry point: chat, profile, quiz answers, CLI, settings.

Hostile text (empty, whitespace, 100 KB, control characters, lone surrogates, HTML/script, markdown
images, SQL-looking strings, random unicode) must give a clear error or a safe result: no other
exception reaches the learner, what is rendered has no raw HTML, no images and no foreign links, and
a rejected call leaves every stored row as it was. Fakes only (FakeLLM, hash embeddings, a fake
retriever); the CLI runs over a real index of the real corpus built with hash embeddings.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from fakes import RanksSentences
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from pydantic import ValidationError
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from tutorbot import cli
from tutorbot.chat.conversations import Conversations, conversation_title
from tutorbot.chat.service import MAX_QUESTION_CHARS, ChatInputError, ChatService
from tutorbot.cli import chat as cli_chat
from tutorbot.cli import core as cli_app
from tutorbot.cli import ingest as cli_ingest
from tutorbot.cli import ops as cli_ops
from tutorbot.cli import plan as cli_plan
from tutorbot.cli import quiz as cli_quiz
from tutorbot.container import Container
from tutorbot.curriculum.graph import load_curriculum
from tutorbot.learner.srs import CORRECT
from tutorbot.llm.fake import FakeLLM
from tutorbot.llm.prompts import PromptLibrary
from tutorbot.plans.models import LearnerProfile
from tutorbot.plans.service import PlanService
from tutorbot.quiz.grade import AnswerError, Grader
from tutorbot.quiz.models import Feedback, Question, Quiz, QuizConfig, QuizSource
from tutorbot.quiz.rules import RuleBank
from tutorbot.quiz.service import QuizError, QuizService
from tutorbot.retrieval.embed import HashEmbedder
from tutorbot.retrieval.retriever import Retrieval
from tutorbot.schemas import Chunk, Hit
from tutorbot.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from tutorbot.store.learner_store import LearnerStore
from tutorbot.ui import chat_logic, plan_logic, quiz_logic
from tutorbot.ui.passages import is_passage_link
from tutorbot.ui.render import allowed_set, answer_markdown, is_allowed, safe_markdown

PROMPTS = PromptLibrary(PROJECT_ROOT / "prompts")
T0 = datetime(2025, 5, 1, 9, 0, tzinfo=UTC)
FUZZ = settings(max_examples=40, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
SLOW = settings(FUZZ, max_examples=12)  # each example is a whole CLI run
FEW = settings(FUZZ, max_examples=8)  # each example opens an index from scratch
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")  # the 100 KB examples

# -- the hostile text ----------------------------------------------------------------------------
PAYLOADS = ["", " ", "\t \n\r\n\u3000\u00a0\u2028", "\x00", "\x01\x07\x1b[31mred\x7f", "\ud800", "a\udfffb", "\udcff",
            "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<iframe src=//evil.example>",
            "![x](http://evil.example/p.png)", "![x](//evil.example/p.png)", "[click](javascript:alert(1))",
            "<a href='http://evil.example'>x</a>", "see http://evil.example/x now", "'; DROP TABLE users; --",
            "1 OR 1=1; DELETE FROM quiz_attempts", "${question} {answer} %s {{7*7}}", "\u202e\u200b\ufeff",
            "注意力机制是什么？", "A", "True", "1", "!!!", "10 hours a week for 3 months, I know python",
            "9" * 400 + " hours a week for " + "9" * 400 + " years"]  # 1e400: float infinity
PIECES = st.one_of(st.sampled_from(PAYLOADS), st.text(max_size=20), st.integers(0, 0x1F).map(chr),
                   st.integers(0xD800, 0xDFFF).map(chr))
HOSTILE = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(max_size=300),  # random unicode
    st.lists(PIECES, min_size=1, max_size=6).map("".join),
    st.sampled_from(PAYLOADS).map(lambda p: ((p or " ") * 100_000)[:100_000]),  # 100 KB
)
UNSTORABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]")  # C0 controls (bar \t \n), surrogates


def storable(value: str) -> bool:
    """Text the learner store keeps as given (it refuses NUL and lone surrogates)."""
    return "\x00" not in value and not re.search(r"[\ud800-\udfff]", value)


def encodable(value: str) -> bool:
    """What an environment variable or argv can hold (POSIX: no NUL; undecodable bytes as \\udcXX)."""
    try:
        os.fsencode(value)
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def with_payloads(arg: str, keep: Callable[[str], bool] = lambda p: True, **fixed: object):
    """Also run the test with ``arg`` set to every payload ``keep`` accepts: generated examples may miss one."""
    def add(test):
        for payload in filter(keep, PAYLOADS):
            test = example(**{arg: payload}, **fixed)(test)
        return test
    return add


# -- checks shared by the tests ------------------------------------------------------------------
SAFE_TAGS = {"p", "em", "strong", "code", "pre", "a", "ul", "ol", "li", "blockquote", "hr", "br", "div", "span",
             "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "del", "s",
             "details", "summary", "mark"}  # a citation card opens on its passage


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_renders_safely(markdown: str, allowed: set[str]) -> None:
    """Rendered as a browser would (raw HTML on, every link scheme kept): markup only, links only to ``allowed``."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # a renderer that trusts its input: nothing is dropped for us
    parser = _Tags()
    parser.feed(md.render(markdown))
    for tag, attrs in parser.found:
        assert tag in SAFE_TAGS, f"<{tag}> rendered from {markdown[:200]!r}"
        assert not [a for a in attrs if a.startswith("on") or a in ("src", "style")], (tag, attrs)
        if tag == "a":
            href = attrs.get("href") or ""
            assert is_allowed(href, allowed) or is_passage_link(href), f"link to {href!r}"


def snapshot(engine) -> dict[str, list[tuple]]:
    """Every row of every table: what "nothing stored is altered" compares."""
    with engine.connect() as conn:
        return {name: sorted((tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr)
                for name in inspect(engine).get_table_names()}


def added_rows(before: dict, after: dict) -> dict[str, int]:
    """Rows added per table, asserting that no row that was there changed or went away."""
    for name, rows in before.items():
        missing = set(rows) - set(after[name])
        assert not missing, f"{name}: rows changed or deleted: {list(missing)[:2]}"
    return {name: len(after[name]) - len(before.get(name, [])) for name in after if after[name] != before.get(name)}


# -- fixtures ------------------------------------------------------------------------------------
class FakeRetriever(RanksSentences):
    """Always the same two sources, scored as clearly in scope."""

    def __init__(self, hits: list[Hit]):
        self.hits = hits
        self.chunks, self.by_id = [h.chunk for h in hits], {h.chunk.id: h.chunk for h in hits}

    def retrieve(self, query, k=None, mode=None):
        return Retrieval(self.hits, 0.95, 9.0, query) if mode != "bm25" else Retrieval([], 0.0, 0.0, query)

    def search(self, query, k=None, mode=None):
        return self.hits


CATALOG_URL = "https://stanford-cs336.github.io/spring2025"
HITS = [Hit(chunk=Chunk(id="c1", doc_id="roadmaps/a.txt", title="LLM Road Map", section="阶段 1：巩固基础",
                        text="Stanford CS336 builds an LLM from scratch. 重点复习 PyTorch 的动态计算图。",
                        urls=[CATALOG_URL]), score=0.1),
        Hit(chunk=Chunk(id="c2", doc_id="roadmaps/b.txt", title="Gen", section="扩散模型 > 入门",
                        text="先从DDPM开始 <b>bold</b>", urls=["https://arxiv.org/abs/2006.11239"]), score=0.05)]
ALLOWED = allowed_set(u for h in HITS for u in h.chunk.urls)


@pytest.fixture(scope="module")
def curriculum():
    return load_curriculum(PROJECT_ROOT / "corpus" / "curriculum.yaml")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    with LearnerStore(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'db.sqlite3'}", now=lambda: T0,
                      scrypt_n=2**10) as s:
        yield s


@pytest.fixture(scope="module")
def learner(store):
    uid = store.add_user("fuzz", "pw-123456").id
    conv = store.create_conversation(uid, "earlier").id
    store.add_message(uid, conv, "user", "What is attention?")
    return uid, conv


def chat_service(llm: FakeLLM, store: LearnerStore) -> ChatService:
    s = Settings(_env_file=None, data_dir=PROJECT_ROOT / ".data")
    return ChatService(s, FakeRetriever(HITS), llm, PROMPTS, store, [])


# -- 1. chat -------------------------------------------------------------------------------------
@FUZZ
@with_payloads("question")
@given(question=HOSTILE)
def test_chat_service_answers_or_rejects_a_hostile_question_and_stores_only_the_turn(question, store, learner):
    uid, conv = learner
    before = snapshot(store.engine)
    try:
        answer = chat_service(FakeLLM("CS336 builds an LLM [1]."), store).ask(question, user_id=uid,
                                                                               conversation_id=conv)
    except ChatInputError as exc:
        visible = "".join(ch for ch in question if ch.isprintable() or ch in "\t\n").strip()
        assert not visible, f"rejected a fine question: {exc}"  # an overlong one is cut, not rejected
        assert snapshot(store.engine) == before
        return
    added = added_rows(before, snapshot(store.engine))
    assert added == {"messages": 2}  # the question and the answer; nothing else moved
    stored = store.get_messages(uid, conv)[-2]
    assert stored.role == "user" and stored.content.strip() and len(stored.content) <= MAX_QUESTION_CHARS
    assert not UNSTORABLE.search(stored.content), repr(stored.content[:80])
    assert_renders_safely(answer_markdown(answer, "en", ALLOWED), ALLOWED)


@FUZZ
@with_payloads("reply")
@given(reply=HOSTILE)
def test_whatever_the_model_answers_the_rendered_answer_is_safe(reply, store):
    answer = chat_service(FakeLLM(reply), store).ask("Which course builds an LLM from scratch?")
    assert answer.grounded and answer.answer.strip()  # an empty or broken reply still gets quoted sources
    assert_renders_safely(answer_markdown(answer, "zh", ALLOWED), ALLOWED)


@FUZZ
@with_payloads("message", lang="en")
@given(message=HOSTILE, lang=st.sampled_from(["en", "zh"]))
def test_chat_tab_shows_a_message_or_a_safe_answer_and_creates_nothing_for_rejected_input(message, lang, store,
                                                                                          learner):
    uid, _ = learner
    echo = FakeLLM(lambda messages: messages[-1]["content"][-300:])  # the model parrots the (hostile) prompt
    ctl = chat_logic.ChatController(chat_service(echo, store), Conversations(store), ALLOWED, interval=0)
    before = snapshot(store.engine)
    frames = list(ctl.ask(uid, None, message, [], lang=lang, answer_lang="auto", socratic=False))
    history, conv, answer = frames[-1]
    for shown in history:
        assert_renders_safely(shown["content"], ALLOWED | allowed_set(u for c in getattr(answer, "citations", [])
                                                                        for u in c.urls))
    if answer is None:
        assert history[-1]["content"].startswith("⚠") and conv is None
        assert snapshot(store.engine) == before
    else:
        assert added_rows(before, snapshot(store.engine)) == {"conversations": 1, "messages": 2}


@FUZZ
@with_payloads("title", keep=storable)
@given(title=HOSTILE.filter(storable))
def test_renaming_a_conversation_stores_a_tidy_title(title, store, learner):
    uid, conv = learner
    ctl = chat_logic.ChatController(None, Conversations(store), set(), interval=0)
    ctl.rename(uid, conv, title)
    stored = store.get_conversation(uid, conv).title
    assert stored == (conversation_title(title, 200) or stored) and len(stored) <= 200


@pytest.mark.parametrize("title", ["a\x00b", "\ud800"])
def test_renaming_with_characters_the_store_refuses_gives_no_exception(title, store, learner):
    uid, conv = learner
    chat_logic.ChatController(None, Conversations(store), set(), interval=0).rename(uid, conv, title)


@pytest.mark.parametrize("text", ["![a[b]](//evil.example/p.png)", "![r]\n\n[r]: //evil.example/p.png",
                                  "[a[b]](//evil.example/x)"])
def test_images_and_links_hidden_in_nested_brackets_are_removed(text):
    assert_renders_safely(safe_markdown(text, ALLOWED), ALLOWED)


# -- 2. profile ----------------------------------------------------------------------------------
@FUZZ
@with_payloads("about", extraction="not json")
@given(about=HOSTILE, extraction=st.sampled_from(["not json", '{"goal": "research", "research_area": "%s"}',
                                                 '{"known_topics": ["%s"], "hours_per_week": 1000000}']))
def test_free_text_gives_a_profile_or_says_what_to_write(about, extraction, curriculum):
    reply = extraction.replace("%s", about[:40].replace("\\", "").replace('"', ""))
    plans = PlanService(curriculum, [], FakeLLM(reply), PROMPTS, store=None)
    try:
        draft = plans.draft(about)
    except ValueError as exc:
        assert not about.strip() or len(about.strip()) > 4000, f"rejected readable text: {exc}"
        assert "describe" in str(exc) or "too long" in str(exc)
        return
    profile = plans.profile_from_draft(draft)
    assert isinstance(profile, LearnerProfile) and set(profile.known) <= set(curriculum.ids)
    assert plan_logic.draft_summary(draft, curriculum, "en")


NUMBERS = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
                    st.sampled_from([0, 1, 8, 80, 81, 104, 105]))


@FUZZ
@example(known=[], goal="research", area=" x ", hours=float("inf"), weeks=12, kinds=[], language="en")
@example(known=["ddpm"], goal="understand_llms", area="", hours=8, weeks=float("nan"), kinds=["video"], language="zh")
@given(known=st.lists(st.one_of(HOSTILE, st.sampled_from(["python_pytorch", "ddpm"])), max_size=3),
       goal=st.one_of(HOSTILE, st.sampled_from(["research", "understand_llms"])), area=HOSTILE,
       hours=NUMBERS, weeks=NUMBERS, kinds=st.lists(st.one_of(HOSTILE, st.sampled_from(["video", "paper"])),
                                                    max_size=3),
       language=st.one_of(HOSTILE, st.sampled_from(["zh", "en"])))
def test_plan_form_values_give_a_profile_or_an_error_naming_the_field(known, goal, area, hours, weeks, kinds,
                                                                     language, curriculum):
    try:
        form = plan_logic.PlanForm(known=known, goal=goal, area=area, hours_per_week=hours, weeks=weeks,
                                   preferred_kinds=kinds, language=language)
        profile = form.to_profile(curriculum)
    except ValueError as exc:  # pydantic's ValidationError is one too
        assert any(name in str(exc) for name in [*plan_logic.PlanForm.model_fields, "unknown topics"]), str(exc)
        return
    assert 1 <= profile.hours_per_week <= 80 and 1 <= profile.weeks <= 104 and set(profile.known) <= set(known)


# -- 3. quiz answers -----------------------------------------------------------------------------
SOURCE = QuizSource(chunk_id="c1", source="roadmaps/a.txt", title="Map", section="A > B", urls=[CATALOG_URL])


def quiz_for(user_id: int) -> Quiz:
    tag = uuid.uuid4().hex[:8]  # fresh question ids: each example answers new cards
    def q(kind: str, **kw) -> Question:
        return Question(id=f"{kind}-{tag}", type=kind, topic="attention_transformer", source=SOURCE, key="k", **kw)
    questions = [q("mcq", question="Which?", options=["Attention", "CNN", "RNN", "MLP"], answer="Attention"),
                 q("tf", question="True?", options=["True", "False"], answer="True"),
                 q("short", question="Why attention?", answer="It weighs tokens by relevance",
                   rubric=["weighs tokens", "relevance"]),
                 q("blank", question="Self-____ mixes tokens", answer="attention", accepted=["Attention"])]
    return Quiz(id=f"qz-{tag}", user_id=user_id, questions=questions, created_at=T0)


@pytest.fixture(scope="module")
def quizzes(store, curriculum):
    grade = '{"scores": [2, 2], "feedback": "<script>alert(1)</script>"}'
    return QuizService(store, FakeRetriever(HITS), [], curriculum, llm=FakeLLM(grade), prompts=PROMPTS,
                       embedder=HashEmbedder(), rules=RuleBank([], curriculum, []), clock=lambda: T0)


@FUZZ
@with_payloads("answer", kind="mcq")
@with_payloads("answer", kind="short")
@given(answer=HOSTILE, kind=st.sampled_from(["mcq", "tf", "short", "blank"]))
def test_a_hostile_answer_is_graded_or_refused_and_only_the_intended_rows_are_added(answer, kind, quizzes, store,
                                                                                   learner):
    uid, _ = learner
    quiz = quiz_for(uid)
    quizzes.store.save_quiz(quiz.user_id, quiz.id, quiz.model_dump(mode="json"), quiz.created_at)
    question = next(q for q in quiz.questions if q.type == kind)
    before = snapshot(store.engine)
    try:
        fb = quizzes.submit(uid, quiz.id, question.id, answer)
    except (AnswerError, QuizError) as exc:
        assert str(exc) and snapshot(store.engine) == before
        return
    assert isinstance(fb, Feedback) and 0 <= fb.score <= 1 and fb.given == answer.strip()
    assert added_rows(before, snapshot(store.engine)) == {"quiz_attempts": 1, "review_cards": 1, "review_log": 1}
    assert_renders_safely(quiz_logic.feedback_markdown(fb, "en"), allowed_set([CATALOG_URL]))


@FUZZ
@with_payloads("answer")
@given(answer=HOSTILE)
def test_the_quiz_tab_turns_a_hostile_answer_into_feedback_or_leaves_the_question_open(answer, quizzes, learner):
    uid, _ = learner
    quiz = quiz_for(uid)
    quizzes.store.save_quiz(quiz.user_id, quiz.id, quiz.model_dump(mode="json"), quiz.created_at)
    session = quiz_logic.QuizSession(quiz=quiz)
    ops = quiz_logic.QuizOps(SimpleNamespace(quizzes=quizzes))
    try:
        after = ops.answer(uid, session, answer)
    except AnswerError:
        return  # the tab shows the message and keeps the question open
    assert after.answered and after.results[0].given == answer.strip()


@FUZZ
@with_payloads("answer", kind="mcq")
@with_payloads("answer", kind="tf")
@with_payloads("answer", kind="blank")
@given(answer=st.one_of(HOSTILE, st.text()), kind=st.sampled_from(["mcq", "tf", "short", "blank"]))
def test_grading_gives_a_grade_or_names_what_to_type(answer, kind):
    question = next(q for q in quiz_for(1).questions if q.type == kind)
    try:
        grade = Grader(HashEmbedder(), None, None, QuizConfig()).grade(question, answer)
    except AnswerError as exc:
        assert str(exc)
        return
    assert 0 <= grade.score <= 1 and grade.correct == (grade.score >= CORRECT if kind == "short" else grade.score == 1)


# -- 4. CLI arguments ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A real index of the real corpus with hash embeddings (seconds), a FakeLLM that says anything."""
    s = Settings(_env_file=None, data_dir=tmp_path_factory.mktemp("cli"), embedding={"backend": "hash"})
    c = Container(s, llm=FakeLLM("<script>alert(1)</script> ![x](http://evil.example/p.png) [1]"))
    c.ingest()
    _ = c.quizzes  # creates the quiz archive table now, so a snapshot before the first quiz already has it
    c.store.get_or_create_local_user()  # any CLI use creates it (`quiz` before checking the topic): not learner data
    return c


def run_cli(c: Container | None, args: list[str], stdin: str = ""):
    """Invoke the CLI app; with ``c`` every command gets that container instead of building one."""
    with ExitStack() as stack:
        for module in (cli_app, cli_chat, cli_ingest, cli_ops, cli_plan, cli_quiz) if c is not None else ():
            stack.enter_context(patch.object(module, "container", lambda **kw: c))
        result = CliRunner().invoke(cli.app, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{args[:3]}: {type(result.exception).__name__}: {result.exception}"
    assert "Traceback" not in result.output
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output[-300:])  # 1 failed, 2 bad input
    if result.exit_code:
        assert result.output.startswith("error: ") or "Usage:" in result.output, result.output[-300:]
    return result


ARG = HOSTILE.filter(encodable)
SEARCH, ASK, PLAN, PLAN_LLM, QUIZ, KIND, TOPIC = COMMANDS = [
    lambda a: ["search", a], lambda a: ["ask", a], lambda a: ["plan", "--text", a, "--no-llm"],
    lambda a: ["plan", "--text", a, "--json"], lambda a: ["quiz", "--topic", a, "--n", "2", "--json"],
    lambda a: ["catalog", "--kind", a], lambda a: ["catalog", "--topic", a, "--json"]]


@SLOW
@example(arg=PAYLOADS[-1], command=PLAN)
@example(arg="<script>alert(1)</script>", command=KIND)
@example(arg="\udcff" * 5000, command=SEARCH)
@example(arg="'; DROP TABLE users; --", command=QUIZ)
@given(arg=ARG, command=st.sampled_from(COMMANDS))
def test_cli_commands_taking_text_exit_with_a_message_never_a_traceback(arg, command, indexed):
    before = snapshot(indexed.store.engine)
    result = run_cli(indexed, command(arg))
    if result.exit_code:  # refused: nothing the learner had is touched
        assert snapshot(indexed.store.engine) == before
    else:
        assert result.output.strip(), f"{command(arg)[:2]}: success without a word"


@SLOW
@given(answers=st.lists(HOSTILE.filter(lambda s: storable(s) and "\n" not in s and "\r" not in s), min_size=1,
                        max_size=3))
def test_cli_quiz_asks_again_after_a_hostile_answer(answers, indexed):
    # CliRunner encodes stdin strictly, so no lone surrogates here (a terminal's undecodable bytes arrive as
    # \udcXX via surrogateescape; the service tests above cover those answers)
    stdin = "\n".join([*answers, "", "", ""]) + "\n"  # then Enter skips whatever is left
    result = run_cli(indexed, ["quiz", "--topic", "attention_transformer", "--n", "2", "--types", "mcq,tf"], stdin)
    assert result.exit_code == 0 and "Quiz on" in result.output


@FEW
@given(arg=ARG, command=st.sampled_from(COMMANDS[:5]))
def test_cli_without_an_index_says_to_ingest(arg, command, tmp_path_factory):
    env = {"TUTORBOT_DATA_DIR": str(tmp_path_factory.getbasetemp() / "empty"), "TUTORBOT_EMBEDDING_BACKEND": "hash"}
    with patch.dict(os.environ, env):
        result = run_cli(None, command(arg))
    assert result.exit_code in (1, 2)  # no index (a failure), or refused input before that (usage)
    assert "tutorbot ingest" in result.output or result.exit_code == 2, result.output


# -- 5. settings ---------------------------------------------------------------------------------
def leaf_variables() -> list[str]:
    """Every TUTORBOT_* variable naming one value (group JSON and paths are fuzzed separately)."""
    names = [f"TUTORBOT_{n.upper()}" for n, f in Settings.model_fields.items() if f.annotation is str]
    for group, f in Settings.model_fields.items():
        if isinstance(f.default_factory, type):
            names += [f"TUTORBOT_{group.upper()}_{n.upper()}" for n in f.default_factory.model_fields]
    return names


@FUZZ
@with_payloads("value", keep=encodable, name="TUTORBOT_LLM_BASE_URL")
@with_payloads("value", keep=encodable, name="TUTORBOT_UI_PORT")
@given(name=st.sampled_from(leaf_variables()), value=ARG)
def test_a_hostile_setting_is_a_validation_error_naming_the_variable(name, value, tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)  # no tutorbot.toml or .env of the developer's
        mp.setenv(name, value)
        try:
            Settings(_env_file=None)
        except ValidationError:
            with pytest.raises(SettingsError, match=name):
                load_settings(_env_file=None)


@pytest.mark.parametrize("name, value", [("TUTORBOT_LLM", "not json"), ("TUTORBOT_UI", "{"),
                                         ("TUTORBOT_DATA_DIR", "x" * 5000)])
def test_group_values_and_paths_the_os_refuses_are_settings_errors(name, value, tmp_path):
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        mp.setenv(name, value)
        with pytest.raises(SettingsError, match=name):
            load_settings(_env_file=None)


SETTING_NAMES = ["TUTORBOT_LLM", "TUTORBOT_UI", "TUTORBOT_INDEX", "TUTORBOT_DATA_DIR", "TUTORBOT_DATABASE_URL",
                 "TUTORBOT_LLM_BASE_URL", "TUTORBOT_EMBEDDING_BACKEND", "TUTORBOT_UI_PORT"]


@FUZZ
@example(name="TUTORBOT_LLM", value="not json")
@example(name="TUTORBOT_DATA_DIR", value="x" * 5000)
@example(name="TUTORBOT_DATABASE_URL", value="'; DROP TABLE users; --")
@given(name=st.sampled_from(SETTING_NAMES), value=ARG)
def test_the_cli_reports_a_hostile_setting_in_one_line(name, value, tmp_path):
    if name == "TUTORBOT_DATA_DIR":
        value = "d" + value.replace("/", "_").replace("\\", "_")  # a name in tmp_path, never a path out of it
    env = {"TUTORBOT_DATA_DIR": str(tmp_path / "data"), "TUTORBOT_EMBEDDING_BACKEND": "hash", name: value}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        with patch.dict(os.environ, env):
            run_cli(None, ["user", "list"])  # settings, then the learner DB
