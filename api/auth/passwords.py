"""Password hashing with scrypt (hashlib, no extra dependency) and generated passwords.

Stored as ``scrypt$n$r$p$salt$hash`` (salt and hash base64), so the cost can be raised later and old hashes still
verify.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

__all__ = ["hash_password", "verify_password", "generate_password", "MIN_LENGTH", "dummy_hash"]

MIN_LENGTH = 10
_N, _R, _P = 2**14, 8, 1  # ~16 MiB and tens of milliseconds per guess
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alikes (0/O, 1/l/I)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(stored: str | None, password: str) -> bool:
    """True when ``password`` matches ``stored``; False for a missing or malformed hash (never raises)."""
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(want)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


def generate_password(length: int = 16) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


@functools.cache
def dummy_hash() -> str:
    """A hash of a random password, checked when the user does not exist: the answer then takes as long as for a
    real user, so timing does not tell whether a name is taken."""
    return hash_password(secrets.token_urlsafe(16))
