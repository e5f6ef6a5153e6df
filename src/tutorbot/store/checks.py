"""Input checks before anything is stored: what no backend can store faithfully is refused with a reason."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from tutorbot.errors import InputError
from tutorbot.lang import fold_look_alikes

NAME_MAX = 64
PASSWORD_MAX = 1024
TITLE_MAX = 200
KEY_MAX = 200  # topic ids, quiz ids, question ids
CONTENT_MAX = 100_000  # message bodies, answers, card faces
JSON_MAX = 1_000_000  # serialised size of any JSON document


def check_text(field: str, value: str, max_len: int, *, allow_empty: bool = True) -> str:
    """Reject what no backend can store faithfully; everything else is kept exactly as given."""
    if not isinstance(value, str):
        raise InputError(f"{field} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise InputError(f"{field} must not be empty")
    if len(value) > max_len:
        raise InputError(f"{field} is {len(value)} characters; the limit is {max_len}")
    if "\x00" in value:  # PostgreSQL text cannot hold NUL; refuse it everywhere for one behaviour
        raise InputError(f"{field} contains a NUL character (\\x00); remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{field} contains a lone surrogate and is not valid Unicode text") from None
    return value


def check_json(field: str, value: dict[str, Any] | None) -> dict[str, Any]:
    """JSON documents must be dicts that serialise, within ``JSON_MAX`` bytes."""
    value = {} if value is None else value
    if not isinstance(value, dict):
        raise InputError(f"{field} must be a dict, got {type(value).__name__}")
    try:
        # NaN and lone surrogates are refused here because PostgreSQL's json type refuses them
        size = len(json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise InputError(f"{field} is not valid JSON data: {exc}") from None
    if size > JSON_MAX:
        raise InputError(f"{field} is {size} bytes of JSON; the limit is {JSON_MAX}")
    return value


def check_score(score: float) -> None:
    if not 0.0 <= float(score) <= 1.0:
        raise InputError(f"score must be between 0 and 1, got {score!r}")


def check_user_name(name: str) -> None:
    check_text("user name", name, NAME_MAX, allow_empty=False)
    if name != name.strip() or any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InputError("user name must not start/end with spaces or contain control characters")


def name_key(name: str) -> str:
    """What a user name looks like (``fold_look_alikes``): two accounts with the same key could be
    mistaken for each other, so only one may exist."""
    return fold_look_alikes(name)


PASSWORD_MIN = 8
COMMON_PASSWORDS = frozenset({"password", "password1", "12345678", "123456789", "1234567890", "qwertyuiop",
                              "qwerty123", "iloveyou", "11111111", "00000000", "abcdefgh", "letmein1",
                              "tutorbot", "changeme", "welcome1", "passw0rd", "admin123"})


def check_new_password(name: str, password: str) -> None:
    """A password a guess-per-second attacker does not get in a day: long enough, not the user name,
    not one of the first passwords every attacker tries (length beats composition rules)."""
    check_text("password", password, PASSWORD_MAX, allow_empty=False)
    if len(password) < PASSWORD_MIN:
        raise InputError(f"the password is {len(password)} characters; use at least {PASSWORD_MIN}")
    folded = password.casefold()
    if name.casefold() in folded or len(set(folded)) < 3 or folded in COMMON_PASSWORDS:
        raise InputError("that password is too easy to guess (it contains the user name, repeats one or two "
                         "characters, or is a common password); choose a longer, unusual one")
