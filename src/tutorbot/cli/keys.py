"""`tutorbot user key NAME [--revoke]`: a learner's keys for the OpenAI-compatible API (/v1)."""

from __future__ import annotations

import typer

from tutorbot.cli.core import USAGE, container, fail, guard, user_app
from tutorbot.store.learner_store import LOCAL_USER, User


@user_app.command("key")
def user_key(name: str, revoke: bool = typer.Option(False, "--revoke", help="Revoke every key of NAME.")):
    """Make an API key for NAME (printed once, stored hashed), or revoke NAME's keys."""
    with guard():
        store = container().store
        user = _learner(store, name)
        if revoke:
            n = store.revoke_api_keys(user.id)
            typer.echo(f"{n} API key(s) of {user.name!r} revoked")
            return
        key = store.create_api_key(user.id)
    typer.echo(key)
    typer.echo(f"API key for {user.name!r}: shown once, keep it (send it as 'Authorization: Bearer KEY')", err=True)


def _learner(store, name: str) -> User:
    if name == LOCAL_USER:
        return store.get_or_create_local_user()
    found = [u for u in store.list_users() if u.name == name]
    if not found:
        fail(f"no learner named {name!r}: create one with `tutorbot user add {name}`", USAGE)
    return found[0]
