"""`tutorbot` command line: a thin router over the container's services.

Every command builds settings → container, calls one service, and prints text or ``--json``.
Known failures (bad settings, empty index, LLM down, bad input) exit 2 with a one-line message
that names the fixing command; no traceback reaches the user. ``core.py`` holds the Typer apps and
the shared helpers; each command module registers its commands on them when imported here.
"""

from tutorbot.cli import chat, ingest, keys, notebook, ops, plan, quiz  # noqa: F401  (registers the commands)
from tutorbot.cli.core import app


def main() -> None:
    app()
