"""The sign-in throttle's policy: how many failures an account and an address may have.

The counting lives in PostgreSQL (vault_mcp.db.login_throttle) behind the LoginThrottle
Protocol (vault_mcp.auth.stores), so it holds across processes and restarts.
"""

from __future__ import annotations

# Failures tolerated within the window before further attempts are refused outright.
ACCOUNT_FAILURES = 5
ADDRESS_FAILURES = 20
WINDOW_SECONDS = 15 * 60
