"""The authorization-code exchange is one transaction: a replay racing the first exchange
cannot slip between the spend and the binding and leave the first tokens alive."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets

import asyncpg
import pytest

from tests.conftest import OpenedServices
from vault_mcp.errors import OAuthError

REDIRECT = "http://127.0.0.1:9999/callback"


async def _code(services: OpenedServices) -> tuple[str, str, str]:
    """(client_id, code, verifier) for alice's approval of a fresh public client."""
    user = await services.auth.add_user("alice", "correct horse battery")
    client = await services.oauth.register(
        {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none"}
    )
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    request = await services.oauth.authorization_request(
        {
            "response_type": "code",
            "client_id": client["client_id"],
            "redirect_uri": REDIRECT,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
        }
    )
    location = await services.oauth.approve(request, user.id)
    code = location.split("code=")[1].split("&")[0]
    return client["client_id"], code, verifier


async def _waiting_locks(conn: asyncpg.Connection, at_least: int) -> None:
    for _ in range(400):  # 20 s at most
        if await conn.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted") >= at_least:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the exchange never reached the lock")


async def test_a_replay_racing_the_first_exchange_still_revokes_its_tokens(
    services: OpenedServices, database_url: str
) -> None:
    client_id, code, verifier = await _code(services)
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "code": code,
        "redirect_uri": REDIRECT,
        "code_verifier": verifier,
    }
    # Hold the first exchange between spending the code and issuing its refresh token.
    blocker = await asyncpg.connect(database_url)
    try:
        transaction = blocker.transaction()
        await transaction.start()
        await blocker.execute("LOCK TABLE refresh_tokens IN EXCLUSIVE MODE")
        first = asyncio.create_task(services.oauth.token(form, None))
        await _waiting_locks(blocker, 1)
        replay = asyncio.create_task(services.oauth.token(form, None))
        done, _ = await asyncio.wait({replay}, timeout=1)
        # Before this fix the replay answered at once, "not valid", and revoked nothing.
        assert not done, "the replay did not wait for the first exchange to finish"
        await transaction.rollback()
    finally:
        await blocker.close()
    tokens = await asyncio.wait_for(first, 30)
    with pytest.raises(OAuthError, match="already used; the tokens issued for it are now"):
        await asyncio.wait_for(replay, 30)
    refresh = {"grant_type": "refresh_token", "client_id": client_id}
    with pytest.raises(OAuthError, match=r"already used|not valid"):
        await services.oauth.token({**refresh, "refresh_token": tokens["refresh_token"]}, None)


async def test_a_refused_exchange_leaves_the_code_spent(services: OpenedServices) -> None:
    client_id, code, verifier = await _code(services)
    form = {"grant_type": "authorization_code", "client_id": client_id, "code": code}
    with pytest.raises(OAuthError, match="code_verifier"):
        await services.oauth.token({**form, "redirect_uri": REDIRECT}, None)
    with pytest.raises(OAuthError, match="code is not valid"):
        await services.oauth.token(
            {**form, "redirect_uri": REDIRECT, "code_verifier": verifier}, None
        )
