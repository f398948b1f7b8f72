"""Password hashing with argon2id, always in a worker thread (it is deliberately slow)."""

from __future__ import annotations

import functools

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from vault_mcp.errors import InvalidInput

MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 1024

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that an unknown name costs as much
    time as a wrong password and timing does not reveal which accounts exist."""
    return _hasher.hash("not the password of any account")


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise InvalidInput(
            f"the password is too short; use at least {MIN_PASSWORD_CHARS} characters"
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise InvalidInput(
            f"the password is too long; the limit is {MAX_PASSWORD_CHARS} characters"
        )


async def hash_password(password: str) -> str:
    check_password_strength(password)
    return await anyio.to_thread.run_sync(_hasher.hash, password)


def _verify(stored: str | None, password: str) -> bool:
    try:
        password.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: nobody's password, but it costs a hash
        stored, password = None, ""
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(stored: str | None, password: str) -> bool:
    """True if `password` matches `stored`; takes the same time when there is no stored hash,
    and when the password is too long to be anyone's (it is checked against the dummy hash,
    so its failure costs a hash like any other)."""
    if len(password) > MAX_PASSWORD_CHARS:
        await anyio.to_thread.run_sync(_verify, None, "")
        return False
    return await anyio.to_thread.run_sync(_verify, stored, password)
