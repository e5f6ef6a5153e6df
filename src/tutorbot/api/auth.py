"""API stage, auth: which learner a /v1 request is from.

A request names its learner with ``Authorization: Bearer KEY`` (a key from `tutorbot user key
NAME`, looked up by its SHA-256 in the learner store). A key that is given must be valid, wherever
the request comes from. Without a key, only the single-user ``local`` learner is assumed, and only
when the UI runs in local mode (no login) and the request comes straight from this machine: from a
loopback address, not through a proxy (no forwarding headers), and not from a web page (no
``Origin``: another site open in the learner's browser must not read their conversations).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tutorbot.api.errors import unauthorized
from tutorbot.store.learner_store import User
from tutorbot.urls import is_loopback

MAKE_KEY = "make one with `tutorbot user key NAME`"
FORWARDED = ("x-forwarded-for", "forwarded", "x-real-ip")


def bearer(headers: Mapping[str, str]) -> str | None:
    scheme, _, key = (headers.get("authorization") or "").strip().partition(" ")
    return key.strip() or None if scheme.lower() == "bearer" else None


def from_this_machine(client_host: str | None, headers: Mapping[str, str]) -> bool:
    direct = not any(h in headers for h in (*FORWARDED, "origin"))
    return direct and client_host is not None and is_loopback(client_host)


class KeyAuth:
    """Resolves a request's learner from its API key (or the local learner, in local mode)."""

    def __init__(self, store: Any, local: bool) -> None:
        self.store, self.local = store, local

    def learner(self, headers: Mapping[str, str], client_host: str | None) -> User:
        key = bearer(headers)
        if key is not None:
            user = self.store.user_for_api_key(key)
            if user is None:
                raise unauthorized(f"invalid or revoked API key: {MAKE_KEY}", "invalid_api_key")
            return user
        if self.local and from_this_machine(client_host, headers):
            return self.store.get_or_create_local_user()
        raise unauthorized(f"missing API key: send 'Authorization: Bearer KEY' ({MAKE_KEY})", "missing_api_key")
