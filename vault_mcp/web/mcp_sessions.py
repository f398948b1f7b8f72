"""Per-account caps on stateful MCP sessions: the SDK's own cap (10,000) is server-wide, so
one token opening sessions in a loop would lock every other account out of /mcp.

The SDK offers no hook for this; the cap wraps its session manager's admission step (run
under the manager's session-creation lock, so the count is exact), and reads its table of
session owners. Both are private: pinned with mcp 2.3, and checked by the tests.
"""

from __future__ import annotations

from typing import Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

MAX_SESSIONS_PER_ACCOUNT = 32


class SessionCap:
    def __init__(self, manager: StreamableHTTPSessionManager, limit: int) -> None:
        self._manager = manager
        self.limit = limit
        admit = manager._admit_session
        if not callable(admit) or not isinstance(manager._session_owners, dict):
            raise RuntimeError("this MCP SDK's session manager cannot be capped per account")

        def admit_within_cap(requestor: Any) -> Any:
            if requestor is not None and self.full(requestor.get("subject")):
                return None  # the SDK answers 503; the gate answers 429 before it comes to this
            return admit(requestor)

        manager._admit_session = admit_within_cap  # type: ignore[method-assign]

    def open_sessions(self, subject: str | None) -> int:
        owners = self._manager._session_owners.values()
        return sum(1 for owner in owners if owner.get("subject") == subject)

    def full(self, subject: str | None) -> bool:
        return subject is not None and self.open_sessions(subject) >= self.limit
