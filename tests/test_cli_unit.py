"""The command line's contract without a model: --version, exit codes (1 failed, 2 bad input),
one-line errors for an unreachable embeddings endpoint, and `ingest --json`."""

from __future__ import annotations

import json
from importlib import metadata

import numpy as np
import pytest
from conftest import free_port
from fake_openai import FakeOpenAI
from typer.testing import CliRunner

from tutorbot.cli import app
from tutorbot.llm.embeddings import EmbeddingError
from tutorbot.retrieval.embed import OpenAIEmbedder


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TUTORBOT_EMBEDDING_BACKEND", "hash")
    monkeypatch.chdir(tmp_path)  # no .env or tutorbot.toml of the developer's
    return monkeypatch


def invoke(*args: str):
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_version_prints_the_installed_version(env):
    out = invoke("--version")
    assert out.exit_code == 0 and out.stdout.strip() == f"tutorbot {metadata.version('tutorbot')}"


def test_a_bad_option_value_is_a_usage_error_and_a_failure_at_run_time_is_not(env):
    bad = invoke("search", "attention", "--mode", "magic")
    assert bad.exit_code == 2 and bad.output.startswith("error: --mode must be")
    no_index = invoke("search", "attention")
    assert no_index.exit_code == 1 and "tutorbot ingest" in no_index.output


def test_up_with_an_llm_url_that_is_no_http_address_is_a_usage_error_naming_the_setting(env):
    bad = invoke("up", "--llm-url", "gpu-box:8000")
    assert bad.exit_code == 2 and "TUTORBOT_LLM_BASE_URL" in bad.output and "http://" in bad.output


def test_an_unreachable_embeddings_endpoint_is_one_line_naming_the_setting(env):
    env.setenv("TUTORBOT_EMBEDDING_BACKEND", "openai")
    env.setenv("TUTORBOT_EMBEDDING_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    env.setenv("TUTORBOT_EMBEDDING_MODEL", "e5")
    out = invoke("search", "attention")
    assert out.exit_code == 1 and out.output.count("\n") == 1, out.output
    assert out.output.startswith("error: embeddings endpoint") and "TUTORBOT_EMBEDDING_BASE_URL" in out.output


def test_the_openai_embeddings_backend_goes_through_the_sdk_and_normalises():
    with FakeOpenAI() as server:
        emb = OpenAIEmbedder(server.url, "e5", batch_size=2)
        vecs = emb.embed_passages(["a", "b", "c"])
    assert emb.dim == 3 and vecs.shape == (3, 3) and np.allclose(np.linalg.norm(vecs, axis=1), 1)
    assert [b["model"] for b in server.bodies] == ["e5"] * 3 and server.paths[-1] == "/v1/embeddings"
    with pytest.raises(EmbeddingError, match="TUTORBOT_EMBEDDING_BASE_URL"):
        OpenAIEmbedder(server.url, "e5")  # the server is gone now


def test_ingest_json_is_the_report(env, corpus_copy):
    out = invoke("ingest", str(corpus_copy), "--json")
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout)
    assert report["chunks_total"] > 0 and report["documents_read"] == 5 and isinstance(report["skipped"], list)


class LocalStore:
    def get_or_create_local_user(self):
        from types import SimpleNamespace

        return SimpleNamespace(id=1)


def test_ask_answers_what_next_from_the_local_learners_plan_without_offering_another(env):
    from types import SimpleNamespace

    from test_chat_unit import service
    from test_next_step import plan

    from tutorbot.chat.next_step import Standing
    from tutorbot.llm.fake import FakeLLM

    chat = service(FakeLLM("x [1]."))
    chat.standing = lambda user: Standing(plan(), {"dl_basics"}) if user == 1 else None
    env.setattr("tutorbot.cli.chat.container", lambda: SimpleNamespace(chat=chat, store=LocalStore()))
    out = invoke("ask", "What should I study next?")
    assert out.exit_code == 0 and "You are in week 2 of your 2-week plan" in out.stdout
    assert "[1] nanoGPT" in out.stdout and out.stderr == ""


def test_ask_says_on_stderr_that_an_overlong_question_was_cut_and_answers_on_stdout(env):
    from types import SimpleNamespace

    from test_chat_unit import service

    from tutorbot.llm.fake import FakeLLM

    chat = service(FakeLLM("Stanford CS336 builds an LLM from scratch [1]."))
    env.setattr("tutorbot.cli.chat.container", lambda: SimpleNamespace(chat=chat, store=None))  # reads no learner data
    long = invoke("ask", "Which course builds an LLM from scratch? " + "x" * 5000)
    short = invoke("ask", "Which course builds an LLM from scratch?")
    assert long.exit_code == 0 and "CS336" in long.stdout and "cut" not in long.stdout
    assert long.stderr.strip() == "note: your question was cut to the first 4,000 characters (it had 5,041)"
    assert short.exit_code == 0 and short.stderr == ""


def test_ask_suggests_a_study_plan_on_stderr_where_the_web_page_offers_one(env):
    from types import SimpleNamespace

    from test_chat_unit import service

    from tutorbot.llm.fake import FakeLLM

    chat = service(FakeLLM("Stanford CS336 builds an LLM from scratch [1]."))
    env.setattr("tutorbot.cli.chat.container", lambda: SimpleNamespace(chat=chat, store=LocalStore()))
    start = invoke("ask", "I have 6 hours a week, where should I start?")
    asked = invoke("ask", "帮我制定一个学习计划")
    other = invoke("ask", "Which course builds an LLM from scratch?")
    assert "tutorbot plan --text 'I have 6 hours a week, where should I start?'" in start.stderr
    assert "tutorbot plan --text" in asked.stderr and "tutorbot plan" not in start.stdout
    assert other.stderr == ""


def test_mark_records_a_topic_done_re_plans_and_says_which_week_the_learner_is_in(env, tmp_path):
    from types import SimpleNamespace

    from tutorbot.curriculum.graph import load_curriculum
    from tutorbot.llm.fake import FakeLLM
    from tutorbot.llm.prompts import PromptLibrary
    from tutorbot.plans.models import LearnerProfile
    from tutorbot.plans.service import PlanService
    from tutorbot.settings import PROJECT_ROOT
    from tutorbot.store.learner_store import LearnerStore

    cur = load_curriculum(PROJECT_ROOT / "corpus" / "curriculum.yaml")
    with LearnerStore(f"sqlite:///{tmp_path / 'db.sqlite3'}", scrypt_n=2**10) as store:
        plans = PlanService(cur, [], FakeLLM("not json"), PromptLibrary(PROJECT_ROOT / "prompts"), store)
        user = store.get_or_create_local_user().id
        first = plans.create(user, LearnerProfile(hours_per_week=4, weeks=12), guidance=False).weeks[0].topics[0]
        env.setattr("tutorbot.cli.plan.container", lambda: SimpleNamespace(store=store, plans=plans, curriculum=cur))
        done = invoke("mark", first.id)
        assert done.exit_code == 0, done.output
        assert done.stdout.startswith(f"{cur.name_of(first.id, 'en')}: done") and "you are in week" in done.stdout
        assert store.topic_status(user) == {first.id: "done"}
        assert invoke("mark", first.id, "clear").exit_code == 0 and store.topic_status(user) == {}
        unknown = invoke("mark", "cooking")
        assert unknown.exit_code != 0 and "corpus/curriculum.yaml" in unknown.stderr
        assert invoke("mark", first.id, "finished").exit_code == 2  # done, known or clear
