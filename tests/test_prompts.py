"""Prompt templates are files with named variables; wrong variables raise."""

import pytest

from tutorbot.llm.prompts import PromptError, PromptLibrary
from tutorbot.settings import PROJECT_ROOT


def test_render_and_errors(tmp_path):
    (tmp_path / "greet.txt").write_text("Hello ${name}, cost $$5", encoding="utf-8")
    lib = PromptLibrary(tmp_path)
    assert lib.render("greet", name="Ada") == "Hello Ada, cost $5"
    with pytest.raises(PromptError, match="missing variables \\['name'\\]"):
        lib.render("greet")
    with pytest.raises(PromptError, match="unexpected \\['nmae'\\]"):
        lib.render("greet", name="Ada", nmae="typo")
    with pytest.raises(PromptError, match="not found"):
        lib.render("nope")


def test_shipped_prompts_declare_their_variables():
    lib = PromptLibrary(PROJECT_ROOT / "prompts")
    assert lib.get("chat_user").variables == {"sources", "history", "question", "language_name", "style"}
    assert lib.get("chat_system").variables == set()
