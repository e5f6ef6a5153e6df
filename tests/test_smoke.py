"""Every module imports and every command answers --help: function-level imports hide broken paths."""

import importlib
import pkgutil

import pytest
import typer
from typer.testing import CliRunner

import tutorbot
from tutorbot.cli import app

# Alembic's environment and revisions are scripts Alembic runs on a connection, not modules to import.
MODULES = sorted(info.name for info in pkgutil.walk_packages(tutorbot.__path__, "tutorbot.")
                 if not info.name.startswith("tutorbot.store.migrations."))


def command_paths() -> list[list[str]]:
    """Every command and sub-command of the CLI, as argument lists."""
    def walk(cmd: object, path: list[str]) -> list[list[str]]:
        subs = getattr(cmd, "commands", None)  # a group (typer ships its own click)
        if subs:
            return [p for name, sub in subs.items() for p in walk(sub, [*path, name])]
        return [path]
    return walk(typer.main.get_command(app), [])


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports(module):
    importlib.import_module(module)


def test_the_cli_has_every_documented_command():
    names = {" ".join(p) for p in command_paths()}
    assert {"ask", "search", "ingest", "plan", "quiz", "review", "doctor", "up", "ui", "user add",
            "eval retrieval", "eval answers"} <= names


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_every_command_answers_help(path):
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
