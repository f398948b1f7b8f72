"""Sign-in and tokens, and each way an attacker might get past them."""

from __future__ import annotations

import base64
import json
import time

import asyncpg
import jwt
from starlette.testclient import TestClient

from tests.web.conftest import BASE, PASSWORD, SECRET, auth, login, run
from vault_mcp.auth.throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES


def _token(**overrides: object) -> str:
    now = int(time.time())
    claims = {
        "iss": BASE,
        "aud": f"{BASE}/mcp",
        "sub": "1",
        "iat": now,
        "exp": now + 600,
        "jti": "t",
        "scope": "notes:read notes:write",
    }
    claims.update(overrides)
    secret = str(claims.pop("_secret", SECRET))
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def _refused(http: TestClient, token: str | None) -> str:
    headers = auth(token) if token is not None else {}
    response = http.get("/api/v1/notes", headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"]["code"] == "unauthorized"
    return str(body["error"]["message"])


def test_login_returns_a_one_hour_access_token_and_a_refresh_token(http: TestClient) -> None:
    tokens = login(http, "alice")
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    claims = jwt.decode(
        tokens["access_token"], SECRET, algorithms=["HS256"], audience=f"{BASE}/mcp"
    )
    assert claims["iss"] == BASE and claims["exp"] - claims["iat"] == 3600
    assert claims["jti"] and claims["sub"]
    assert http.get("/api/v1/notes", headers=auth(tokens["access_token"])).status_code == 200


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(http: TestClient) -> None:
    wrong = http.post("/api/v1/auth/login", json={"username": "alice", "password": "nope nope"})
    unknown = http.post("/api/v1/auth/login", json={"username": "mallory", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_no_token(http: TestClient) -> None:
    assert "sign in first" in _refused(http, None)


def test_garbage_token(http: TestClient) -> None:
    _refused(http, "not.a.jwt")


def test_token_with_a_bad_signature(http: TestClient, accounts: dict[str, int]) -> None:
    _refused(http, _token(sub=str(accounts["alice"]), _secret="another-secret-" + "y" * 40))


def test_expired_token(http: TestClient, accounts: dict[str, int]) -> None:
    past = int(time.time()) - 7200
    message = _refused(http, _token(sub=str(accounts["alice"]), iat=past, exp=past + 3600))
    assert "expired" in message


def test_token_for_another_audience(http: TestClient, accounts: dict[str, int]) -> None:
    _refused(http, _token(sub=str(accounts["alice"]), aud="https://elsewhere.example/mcp"))


def test_token_from_another_issuer(http: TestClient, accounts: dict[str, int]) -> None:
    _refused(http, _token(sub=str(accounts["alice"]), iss="https://elsewhere.example"))


def test_token_without_an_expiry(http: TestClient, accounts: dict[str, int]) -> None:
    _refused(http, _token(sub=str(accounts["alice"]), exp=None))


def test_unsigned_alg_none_token(http: TestClient, accounts: dict[str, int]) -> None:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    now = int(time.time())
    claims = {
        "iss": BASE,
        "aud": f"{BASE}/mcp",
        "sub": str(accounts["alice"]),
        "iat": now,
        "exp": now + 600,
        "jti": "x",
    }
    _refused(http, f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.")


def test_token_of_a_deleted_user(http: TestClient, database_url: str) -> None:
    token = login(http, "bob")["access_token"]

    async def delete_bob() -> None:
        conn = await asyncpg.connect(database_url)
        await conn.execute("DELETE FROM users WHERE username = 'bob'")
        await conn.close()

    run(delete_bob())
    assert "no longer exists" in _refused(http, token)


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(http: TestClient) -> None:
    first = login(http, "alice")
    second = http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    pair = second.json()
    assert pair["refresh_token"] != first["refresh_token"]
    assert http.get("/api/v1/notes", headers=auth(pair["access_token"])).status_code == 200

    replay = http.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401 and "already used" in replay.json()["error"]["message"]
    # The thief's replay also ends the legitimate client's newer token.
    after = http.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert after.status_code == 401


def test_logout_then_refresh_is_refused(http: TestClient) -> None:
    tokens = login(http, "alice")
    out = http.post("/api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert out.status_code == 204
    again = http.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert again.status_code == 401


def test_an_unknown_refresh_token_is_refused(http: TestClient) -> None:
    response = http.post("/api/v1/auth/refresh", json={"refresh_token": "made-up"})
    assert response.status_code == 401


def test_repeated_failures_lock_an_account_even_for_the_right_password(http: TestClient) -> None:
    for _ in range(ACCOUNT_FAILURES):
        bad = http.post("/api/v1/auth/login", json={"username": "alice", "password": "guess123"})
        assert bad.status_code == 401
    locked = http.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) > 0
    # Other accounts are not locked out by alice's attacker... until the address is.
    assert (
        http.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}).status_code
        == 200
    )


def test_one_address_guessing_across_accounts_is_throttled(http: TestClient) -> None:
    for i in range(ADDRESS_FAILURES):
        name = f"user{i % 4}"  # spread over names, each below the per-account limit
        assert (
            http.post(
                "/api/v1/auth/login", json={"username": name, "password": "guess123"}
            ).status_code
            == 401
        )
    blocked = http.post("/api/v1/auth/login", json={"username": "bob", "password": PASSWORD})
    assert blocked.status_code == 429


def test_whitespace_spellings_of_a_locked_name_do_not_sign_in(http: TestClient) -> None:
    """Issue 11, finding 1: " alice", "alice\\t" and "\\u00a0alice" each reached alice's
    account with a fresh count of guesses while "alice" was locked."""
    for _ in range(ACCOUNT_FAILURES):
        http.post("/api/v1/auth/login", json={"username": "alice", "password": "guess123"})
    for spelling in (" alice", "alice\t", "\u00a0alice"):
        answer = http.post("/api/v1/auth/login", json={"username": spelling, "password": PASSWORD})
        assert answer.status_code == 429, (spelling, answer.text)
