"""LoginThrottle: slows password guessing per account and per client address."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

# Failures tolerated within the window before further attempts are refused outright.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60


class LoginThrottle:
    """Counts recent failed logins in memory (one process serves HTTP; restarts forget).

    An attacker gets ACCOUNT_FAILURES guesses per account and ADDRESS_FAILURES per address
    every WINDOW_SECONDS; a blocked attempt is refused before the password is even checked.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self._clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - WINDOW_SECONDS:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def retry_after(self, username: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 if it is allowed now."""
        waits = []
        limits = (
            (f"user:{username.lower()}", ACCOUNT_FAILURES),
            (f"addr:{address}", ADDRESS_FAILURES),
        )
        for key, limit in limits:
            recent = self._recent(key)
            if len(recent) >= limit:
                waits.append(recent[-limit] + WINDOW_SECONDS - self._clock())
        return max(0, int(max(waits, default=0)) + (1 if waits else 0))

    def failed(self, username: str, address: str) -> None:
        now = self._clock()
        for key in (f"user:{username.lower()}", f"addr:{address}"):
            self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"user:{username.lower()}", None)
