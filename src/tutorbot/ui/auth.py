"""UI stage: who is asking. Decides whether login is needed and maps each request to a learner.

On a loopback address (any of 127.0.0.0/8, ::1, localhost: only this machine can reach it) the
app is single-user with no login (the ``local`` learner). Bound to any other interface, Gradio's
login form is required and checked against the learner database (hashed passwords); every handler
then takes the learner from Gradio's signed session (``gr.Request.username``), never from anything
the browser sends as data. Password checks run in a worker thread (scrypt is slow on purpose and
must not stall the event loop), and ``LoginThrottle`` slows down guessing.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tutorbot.errors import TutorbotError
from tutorbot.store.checks import name_key
from tutorbot.store.learner_store import LearnerStore, User
from tutorbot.urls import is_loopback

SESSIONS_KEPT = 20_000  # >= Gradio's state_session_capacity (10 000): a claim outlives the state it guards
AUTH_MESSAGE = ("Sign in with your tutorbot account (an admin creates it with <code>tutorbot user add NAME</code>)."
                "<br>请使用 tutorbot 账号登录（管理员用 <code>tutorbot user add 用户名</code> 创建账号）。")


class NotSignedIn(TutorbotError, PermissionError):
    """A request reached a handler without a signed-in learner (should not happen behind Gradio's login)."""


def login_required(host: str, override: bool | None = None) -> bool:
    """Login is on whenever the app is reachable from other machines, unless a test forces it."""
    return override if override is not None else not is_loopback(host)


class Identity:
    """Resolves the learner behind a request, in local or login mode."""

    def __init__(self, store: LearnerStore, login: bool):
        self.store = store
        self.login = login
        self._users: dict[str, User] = {}
        self._sessions: OrderedDict[str, str] = OrderedDict()  # Gradio session hash -> login that opened it
        self._lock = threading.Lock()

    async def check_async(self, name: str, password: str) -> bool:
        """Gradio's ``auth=`` callable (Gradio awaits it): ``check`` in a worker thread."""
        return await asyncio.to_thread(self.check, name, password)

    def check(self, name: str, password: str) -> bool:
        """True when the name and password match a learner account."""
        user = self.store.verify_user(name or "", password or "")
        if user is not None:
            self._users[user.name] = user
        return user is not None

    def user(self, request: Any) -> User:
        """The learner of ``request`` (a ``gr.Request``)."""
        if not self.login:
            return self._local()
        name = getattr(request, "username", None)
        if not name:
            raise NotSignedIn("sign in first: this tutorbot requires a login")
        self._claim(getattr(request, "session_hash", None), name)
        if name not in self._users:  # signed in before a restart of this process
            found = [u for u in self.store.list_users() if u.name == name]
            if not found:
                raise NotSignedIn(f"account {name!r} no longer exists; ask the admin")
            self._users[name] = found[0]
        return self._users[name]

    def user_id(self, request: Any) -> int:
        return self.user(request).id

    def _claim(self, session: str | None, name: str) -> None:
        """Gradio keys a page's server-side state (chat history, quiz session) by a hash the browser
        picks, and never checks it against the login: the hash belongs to the first login using it."""
        if not session:
            return
        with self._lock:
            owner = self._sessions.setdefault(session, name)
            self._sessions.move_to_end(session)
            while len(self._sessions) > SESSIONS_KEPT:
                self._sessions.popitem(last=False)
        if owner != name:
            raise NotSignedIn("this page was opened by another sign-in: reload the page")

    def _local(self) -> User:
        if "" not in self._users:
            self._users[""] = self.store.get_or_create_local_user()
        return self._users[""]


@dataclass
class Strikes:
    failures: int = 0
    until: float = 0.0  # no attempt before this time
    last: float = 0.0


class LoginThrottle:
    """Failed sign-ins counted per account and per address. After ``free`` failures each further
    one doubles the wait before the next attempt (from ``first_wait`` up to ``max_wait``); a key
    with no failure for ``forget_after`` seconds starts afresh, and a success clears both keys.
    Accounts are keyed by how their name looks (``name_key``), so "Bob" counts against "bob"."""

    def __init__(self, clock: Callable[[], float] = time.monotonic, free_account: int = 5, free_address: int = 20,
                 first_wait: float = 1.0, max_wait: float = 900.0, forget_after: float = 900.0, keep: int = 20_000):
        self.clock, self.first_wait, self.max_wait, self.forget_after = clock, first_wait, max_wait, forget_after
        self.free = {"account": free_account, "address": free_address}
        self.keep = keep
        self._strikes: OrderedDict[tuple[str, str], Strikes] = OrderedDict()

    def _keys(self, address: str, name: str) -> list[tuple[str, str]]:
        return [("address", address), ("account", name_key(name.strip()))]

    def wait(self, address: str, name: str) -> float:
        """Seconds before this address may try this account again (0: now)."""
        now = self.clock()
        return max([0.0, *(s.until - now for k in self._keys(address, name) if (s := self._strikes.get(k)))])

    def failed(self, address: str, name: str) -> int:
        """Count a failure; returns the account's failures in a row."""
        now = self.clock()
        for key in self._keys(address, name):
            s = self._strikes.pop(key, None) or Strikes()
            s = Strikes() if now - s.last > self.forget_after else s
            s.failures, s.last = s.failures + 1, now
            if s.failures > self.free[key[0]]:
                s.until = now + min(self.max_wait, self.first_wait * 2 ** (s.failures - self.free[key[0]] - 1))
            self._strikes[key] = s  # most recent last: the oldest are forgotten first
        while len(self._strikes) > self.keep:
            self._strikes.popitem(last=False)
        return s.failures

    def succeeded(self, address: str, name: str) -> None:
        for key in self._keys(address, name):
            self._strikes.pop(key, None)
