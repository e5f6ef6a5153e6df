"""`tutorbot` command line, shared parts: the Typer apps, settings → container, errors → one line.

Every command builds settings → container, calls one service, and prints text or ``--json``.
Known failures print one line that names the fix, never a traceback, and exit with
``USAGE`` (2, as click does for bad options) when what the user gave cannot be used — an argument,
typed input, a setting — or ``FAILED`` (1) when something failed while running: the LLM server is
down, there is no index, the disk refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer

from tutorbot.errors import TutorbotError
from tutorbot.settings import LogSettings, Settings, SettingsError, load_settings

FAILED, USAGE = 1, 2

app = typer.Typer(add_completion=False, no_args_is_help=True, help="tutorbot: study LLMs and generative models.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval and answer quality.")
user_app = typer.Typer(no_args_is_help=True, help="Manage learner accounts (needed when the UI is not on 127.0.0.1).")
app.add_typer(eval_app, name="eval")
app.add_typer(user_app, name="user")


def fail(message: str, code: int = FAILED) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def exit_code(exc: BaseException) -> int:
    """A tutorbot error that is also a ValueError says the value given cannot be used: usage."""
    return USAGE if isinstance(exc, ValueError) else FAILED


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        typer.echo(f"tutorbot {metadata.version('tutorbot')}")
        raise typer.Exit()


@app.callback()
def _main(ctx: typer.Context,
          version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")) -> None:
    """tutorbot: study LLMs and generative models."""
    _logging(ctx.invoked_subcommand or "")


SERVING = {"ui", "up", "serve-llm"}  # long-running commands: their request lines are the operator's log


def _logging(command: str) -> None:
    """The process's one logging set-up, before any command runs (TUTORBOT_LOG_*). A one-shot command
    (ask, plan, eval…) prints its result; request lines would only clutter it, unless a level is set."""
    from tutorbot.logs import setup_logging

    try:
        chosen = load_settings().log
    except (SettingsError, ValueError, OSError):  # the command itself reports the bad setting, exit 2
        chosen = LogSettings()
    if command not in SERVING and "TUTORBOT_LOG_LEVEL" not in os.environ:
        chosen = chosen.model_copy(update={"level": "ERROR"})
    setup_logging(chosen)


def settings(**overrides: Any) -> Settings:
    """The settings of this run; ``overrides`` (from command-line options) win over the environment."""
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        fail(str(exc), USAGE)
    except (ValueError, OSError) as exc:  # a group variable that is not JSON, a data dir path the OS refuses
        fail(f"invalid settings: {exc}; fix the TUTORBOT_* variable (or .env / tutorbot.toml entry) it names", USAGE)


def container(overrides: dict[str, Any] | None = None, **kw):
    from tutorbot.container import Container

    return Container(settings(**(overrides or {})), **kw)


def echo_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def guard() -> Iterator[None]:
    """Turn the errors users can fix into one-line messages (exit 1 or 2), never tracebacks."""
    try:
        yield
    except TutorbotError as exc:
        fail(str(exc), exit_code(exc))
    except OSError as exc:  # a file named on the command line, a data dir the OS refuses
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))


def _guard(fn):
    with guard():
        return fn()
