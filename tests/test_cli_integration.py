"""`tutorbot ask` and `tutorbot doctor` against the real vLLM server and the real index."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tutorbot.cli import app

pytestmark = pytest.mark.integration


@pytest.fixture
def env(real, monkeypatch):
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(real.settings.data_dir))
    monkeypatch.setenv("TUTORBOT_LLM_BASE_URL", real.settings.llm.base_url)
    return real


def test_ask_json_and_a_follow_up_in_a_named_conversation(env):
    runner = CliRunner()
    first = runner.invoke(app, ["ask", "Tell me about Stanford CS336", "--conversation", "cs336-cli", "--json"])
    assert first.exit_code == 0, first.output
    data = json.loads(first.stdout)
    assert set(data) >= {"answer", "citations", "language", "grounded"} and data["grounded"]
    assert all(set(c) >= {"n", "source", "section", "urls", "text"} for c in data["citations"]) and data["citations"]
    again = runner.invoke(app, ["ask", "What about its assignments?", "--conversation", "cs336-cli"])
    assert again.exit_code == 0, again.output
    assert "--- answer (checked) ---" in again.stdout and "[1]" in again.stdout
    user = env.store.get_or_create_local_user().id
    conv = next(c for c in env.store.list_conversations(user) if c.title == "cs336-cli")
    assert len(env.store.get_messages(user, conv.id)) == 4  # the same conversation, both turns
    assert "CS336" in env.store.get_messages(user, conv.id)[-1].meta["query"]  # the follow-up was made standalone


def test_doctor_reports_a_healthy_system_and_names_what_is_wrong(env, tmp_path, monkeypatch):
    out = CliRunner().invoke(app, ["doctor", "--json"])
    assert out.exit_code == 0, out.output
    checks = {c["check"]: c for c in json.loads(out.stdout)}
    assert {"index", "catalog", "llm", "round trip", "structured output"} <= set(checks)
    assert all(c["ok"] for c in checks.values()) and "context 4096" in checks["llm"]["detail"]
    assert checks["query translation"]["detail"].startswith("off: smollm2-135m-instruct has 0.135B")
    assert checks["second dense view"]["detail"].startswith("on: multilingual USE fused at weight 0.5")
    monkeypatch.setenv("TUTORBOT_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("TUTORBOT_LLM_MODEL", "no-such-model")
    bad = CliRunner().invoke(app, ["doctor", "--json"])
    checks = {c["check"]: c for c in json.loads(bad.stdout)}
    assert bad.exit_code == 1 and "run `tutorbot ingest`" in checks["index"]["detail"]
    assert not checks["llm"]["ok"] and "TUTORBOT_LLM_MODEL=no-such-model" in checks["llm"]["detail"]
