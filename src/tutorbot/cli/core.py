"""`tutorbot` command line, shared parts: the Typer apps, settings → container, errors → one line.

Every command builds settings → container, calls one service, and prints text or ``--json``.
Known failures (bad settings, empty index, LLM down, bad input) exit 2 with a one-line message
that names the fixing command; no traceback reaches the user.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from tutorbot.errors import TutorbotError
from tutorbot.settings import Settings, SettingsError, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="tutorbot: study LLMs and generative models.")
eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval and answer quality.")
user_app = typer.Typer(no_args_is_help=True, help="Manage learner accounts (needed when the UI is not on 127.0.0.1).")
app.add_typer(eval_app, name="eval")
app.add_typer(user_app, name="user")


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        fail(str(exc))
    except (ValueError, OSError) as exc:  # a group variable that is not JSON, a data dir path the OS refuses
        fail(f"invalid settings: {exc}; fix the TUTORBOT_* variable (or .env / tutorbot.toml entry) it names")


def container(**kw):
    from tutorbot.container import Container

    return Container(settings(), **kw)


def echo_json(data) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@contextmanager
def guard() -> Iterator[None]:
    """Turn the errors users can fix into one-line messages (exit 2), never tracebacks."""
    try:
        yield
    except TutorbotError as exc:
        fail(str(exc))
    except OSError as exc:  # a file named on the command line, a data dir the OS refuses
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))


def _guard(fn):
    with guard():
        return fn()
