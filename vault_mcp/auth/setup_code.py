"""The first-run setup code: random, short enough to type, long enough not to guess."""

from __future__ import annotations

import secrets

# No 0/O or 1/I to misread in a log: 32 symbols, 10 of them, so 2^50 codes. Guesses are
# throttled per address by the sign-in throttle, but addresses are cheap (an IPv6 /64), so
# the length is what holds: a million guesses a second find a day's code with odds of 1e-4.
# Every code dies after a day (db/setup_codes.py) and with the first account.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 10


def new_code() -> str:
    """A fresh code as it is printed, e.g. `K7QXM-2PDHA`."""
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return f"{code[:5]}-{code[5:]}"


def looks_like_a_code(text: str) -> bool:
    """Whether `text` (from a link's query) could be a code, to fill the form in with."""
    plain = normalized(text)
    return len(plain) == LENGTH and all(c in ALPHABET for c in plain)


def normalized(typed: str) -> str:
    """The code as it is stored and compared: any case, with or without the dash or spaces."""
    return "".join(typed.split()).replace("-", "").upper()
