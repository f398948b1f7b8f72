"""The sign-in throttle's policy: how many failures an account and an address may have.

The counting lives in PostgreSQL (vault_mcp.db.login_throttle) behind the LoginThrottle
Protocol (vault_mcp.auth.stores), so it holds across processes and restarts.
"""

from __future__ import annotations

# Failures tolerated within the window before further attempts are refused outright.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60


def in_words(seconds: int) -> str:
    """A wait as a person reads it: "15 minutes", "1 minute", "40 seconds"."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)  # rounded up: never sooner than the throttle allows
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
