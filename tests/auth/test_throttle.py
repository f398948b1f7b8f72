"""The sign-in throttle in PostgreSQL: one count per account however its name is spelled,
counted before the password is hashed, shared by every process, and pruned."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest

from tests.conftest import OpenedServices
from vault_mcp.auth.throttle import ACCOUNT_FAILURES, ADDRESS_FAILURES
from vault_mcp.db.login_throttle import PgLoginThrottle
from vault_mcp.errors import TooManyAttempts, Unauthorized

PASSWORD = "correct horse battery"


@pytest.fixture
async def erin(services: OpenedServices) -> OpenedServices:
    await services.auth.add_user("erin", PASSWORD)
    return services


async def _fail(services: OpenedServices, name: str, address: str = "192.0.2.1") -> None:
    with pytest.raises(Unauthorized):
        await services.auth.check_credentials(name, "wrong guess!", address)


@pytest.mark.parametrize("spelling", [" erin", "erin\t", "\u00a0erin", "erin\n"])
async def test_another_spelling_of_a_locked_name_is_locked_too(
    erin: OpenedServices, spelling: str
) -> None:
    for _ in range(ACCOUNT_FAILURES):
        await _fail(erin, "erin")
    with pytest.raises(TooManyAttempts):
        await erin.auth.check_credentials(spelling, PASSWORD, "198.51.100.7")


async def test_spellings_of_one_name_share_one_count_of_guesses(erin: OpenedServices) -> None:
    for spelling in (" erin", "erin\t", "\u00a0erin", "erin ", "\terin"):
        await _fail(erin, spelling)
    with pytest.raises(TooManyAttempts):
        await erin.auth.check_credentials("erin", PASSWORD, "198.51.100.7")


async def test_concurrent_guesses_cannot_all_pass_the_check_while_the_first_hashes(
    erin: OpenedServices,
) -> None:
    guesses = [
        erin.auth.check_credentials("erin", f"wrong guess {i}", f"203.0.113.{i}")
        for i in range(3 * ACCOUNT_FAILURES)
    ]
    outcomes = await asyncio.gather(*guesses, return_exceptions=True)
    hashed = [o for o in outcomes if isinstance(o, Unauthorized)]
    refused = [o for o in outcomes if isinstance(o, TooManyAttempts)]
    assert len(hashed) == ACCOUNT_FAILURES and len(refused) == 2 * ACCOUNT_FAILURES


async def test_the_count_holds_across_server_processes_on_one_database(
    erin: OpenedServices, database_url: str
) -> None:
    """A second throttle on the same database (another process, or this one restarted)
    sees the failures the first one counted."""
    for _ in range(ACCOUNT_FAILURES):
        await _fail(erin, "erin")
    other = PgLoginThrottle(erin.pool)
    with pytest.raises(TooManyAttempts):
        await other.attempt("erin", "198.51.100.7")


async def test_an_address_is_limited_across_accounts(erin: OpenedServices) -> None:
    for i in range(ADDRESS_FAILURES):
        await _fail(erin, f"nobody{i}", "192.0.2.50")
    with pytest.raises(TooManyAttempts):
        await erin.auth.check_credentials("erin", PASSWORD, "192.0.2.50")


async def test_a_right_password_forgets_the_accounts_failures(erin: OpenedServices) -> None:
    for _ in range(ACCOUNT_FAILURES - 1):
        await _fail(erin, "erin")
    await erin.auth.check_credentials(" erin", PASSWORD, "192.0.2.1")
    for _ in range(ACCOUNT_FAILURES - 1):
        await _fail(erin, "erin")
    assert (await erin.auth.check_credentials("erin", PASSWORD, "192.0.2.1")).username == "erin"


async def test_attempts_older_than_the_window_are_pruned(erin: OpenedServices) -> None:
    throttle = PgLoginThrottle(erin.pool, window=timedelta(minutes=15))
    for i in range(50):
        await throttle.attempt(f"name{i}", f"192.0.2.{i}")
    async with erin.pool.acquire() as conn:
        await conn.execute("UPDATE login_attempts SET attempted_at = now() - interval '16 min'")
    await throttle.attempt("erin", "192.0.2.200")
    assert await erin.pool.fetchval("SELECT count(*) FROM login_attempts") == 1


async def test_an_overlong_password_costs_a_hash_and_counts_as_a_guess(
    erin: OpenedServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vault_mcp.auth import passwords

    verified: list[int] = []
    real = passwords._verify

    def counting(stored: str | None, password: str) -> bool:
        verified.append(len(password))
        return real(stored, password)

    monkeypatch.setattr(passwords, "_verify", counting)
    for _ in range(ACCOUNT_FAILURES):
        with pytest.raises(Unauthorized):
            await erin.auth.check_credentials("erin", "x" * 5000, "192.0.2.1")
    assert len(verified) == ACCOUNT_FAILURES  # every failure went through argon2
    with pytest.raises(TooManyAttempts):
        await erin.auth.check_credentials("erin", PASSWORD, "192.0.2.1")


async def test_a_throttle_row_names_the_account_as_the_lookup_reads_it(
    erin: OpenedServices, database_url: str
) -> None:
    await _fail(erin, "\u00a0erin\t")
    conn = await asyncpg.connect(database_url)
    try:
        assert await conn.fetchval("SELECT account FROM login_attempts") == "erin"
    finally:
        await conn.close()
