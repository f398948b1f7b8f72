"""Accounts as the notes' owners: find or create a user by name."""

from __future__ import annotations

from vault_mcp.db.pool import Pool, storage_errors
from vault_mcp.errors import InvalidInput

_ENSURE = """
WITH created AS (
    INSERT INTO users (username) VALUES ($1) ON CONFLICT (username) DO NOTHING RETURNING id
)
SELECT id FROM created UNION ALL SELECT id FROM users WHERE username = $1 LIMIT 1
"""


async def ensure_user(pool: Pool, username: str) -> int:
    """The id of the account named `username`, created if it does not exist yet."""
    username = username.strip()
    if not 1 <= len(username) <= 64:
        raise InvalidInput("a user name must be 1 to 64 characters (VAULT_USER)")
    with storage_errors():
        user_id = await pool.fetchval(_ENSURE, username)
    return int(user_id)
