"""Password hashing (scrypt, per-user salt, parameters stored with the hash; constant-time checks)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCRYPT_R, _SCRYPT_P = 8, 1


def hash_password(password: str, n: int) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str, default_n: int) -> bool:
    """Constant-time compare; unknown users and password-less accounts still pay for one hash."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        params = (int(n), int(r), int(p), base64.b64decode(salt), base64.b64decode(digest))
    except ValueError:
        params = (default_n, _SCRYPT_R, _SCRYPT_P, b"\0" * 16, b"")
    n_, r_, p_, salt_b, want = params
    try:
        got = hashlib.scrypt(password.encode("utf-8"), salt=salt_b, n=n_, r=r_, p=p_, dklen=32)
    except (ValueError, UnicodeEncodeError):
        return False
    return bool(want) and hmac.compare_digest(got, want)
