"""The first-run setup code: random, short enough to type, long enough not to guess."""

from __future__ import annotations

import secrets

# No 0/O or 1/I to misread in a log: 32 symbols, 8 of them, so 2^40 codes; guesses are
# throttled per address by the sign-in throttle, and every code dies with the first account.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 8


def new_code() -> str:
    """A fresh code as it is printed, e.g. `K7QX-M2PD`."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code[:4]}-{code[4:]}"


def normalized(typed: str) -> str:
    """The code as it is stored and compared: any case, with or without the dash or spaces."""
    return "".join(typed.split()).replace("-", "").upper()
